"""Assemble the design-justification report: text, tables and figures."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np

from simtrial.plots import (
    plot_accrual,
    plot_designs,
    plot_duration,
    plot_oc,
    plot_pet_en,
    plot_rdi,
    plot_survival,
    plot_toxicity,
)
from simtrial.plots._style import FIG_HEIGHT, FIG_WIDTH, rc_params
from simtrial.plots.design import design_hypotheses
from simtrial.report.document import Document, Figure, Heading, Paragraph, Table
from simtrial.report.statistical import REFERENCES, statistical_considerations
from simtrial.report.tables import (
    conduct_table,
    design_table,
    designs_compared_table,
    designs_simulated_table,
    differences_frame,
    oc_table,
)

__all__ = ["build_report", "search_for"]


def search_for(result: Any) -> Any:
    """``simon_search`` over the result's error constraints, or None when the config has none.

    An explicit design may come without ``p0, p1, alpha, beta``; then there
    is nothing to compare it with. A search that finds no feasible design is
    reported as absent, not as an error, because the simulated design is
    still valid on its own.
    """
    from simtrial.design import simon_search
    from simtrial.errors import DesignError

    if result.design.simon is None:
        return None
    block = dict((result.config or {}).get("design") or {})
    block.update(result.design.targets)
    args = [block.get(k) for k in ("p0", "p1", "alpha", "beta")]
    if any(a is None for a in args):
        return None
    kwargs = {} if block.get("nmax") is None else {"nmax": block["nmax"]}
    try:
        return simon_search(*args, **kwargs)
    except DesignError:
        return None


def _render(draw: Callable[[Any], Any], height: float = FIG_HEIGHT) -> tuple[bytes, bytes]:
    """Draw on a fresh off-screen figure and return (PNG, PDF) bytes."""
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    with matplotlib.rc_context(rc_params()):
        fig = MplFigure(figsize=(FIG_WIDTH, height), layout="constrained")
        draw(fig.add_subplot())
        png, pdf = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", dpi=200)
        # A fixed creation date keeps the PDF identical from run to run.
        fig.savefig(pdf, format="pdf", metadata={"CreationDate": None})
    return png.getvalue(), pdf.getvalue()


def _figure(name: str, caption: str, draw: Callable[[Any], Any], height: float = FIG_HEIGHT) -> Figure:
    png, pdf = _render(draw, height)
    return Figure(name=name, caption=caption, png=png, pdf=pdf)


def _long(design: Any) -> str:
    """``Simon two-stage design r1/n1 = 1/10, r/n = 5/29``, or the design's label."""
    s = design.simon
    if s is None:
        return design.label
    return f"Simon two-stage design r1/n1 = {s.r1}/{s.n1}, r/n = {s.r}/{s.n}"


def _has_survival(result: Any) -> bool:
    # Without a survival model every patient is censored: nothing to draw.
    return any(np.asarray(s.survival_sample[1]).sum() > 0 for s in result.scenarios)


def _has_rdi(result: Any) -> bool:
    return any(np.asarray(s.rdi_hist[1]).sum() > 0 for s in result.scenarios)


def build_report(result: Any, *, search: Any = None) -> Document:
    """Build the report of a simulation as a :class:`~simtrial.report.document.Document`.

    Parameters
    ----------
    result : SimulationResult
    search : SimonSearchResult, optional
        Designs to compare with; by default searched from the config's
        ``p0, p1, alpha, beta`` when it has them.

    Returns
    -------
    Document
        Title, "Statistical considerations", tables and figures (each with
        PNG and PDF renderings).
    """
    if search is None:
        search = search_for(result)
    cfg = result.config or {}
    d = result.design
    p0, p1 = design_hypotheses(cfg)
    fig_no = iter(range(1, 100))
    tab_no = iter(range(1, 100))
    title = f"{cfg.get('name', 'Trial')}: statistical design and operating characteristics"

    blocks: list[Any] = [
        Heading(title, 1),
        Paragraph(
            f"{'Designs ' + ', '.join(x.label for x in result.designs) if len(result.designs) > 1 else _long(d)}; "
            f"{result.n_sim:,} simulated trials per scenario, seed {result.seed}, simtrial {result.version}."
        ),
    ]
    if cfg.get("description"):
        blocks.append(Paragraph(str(cfg["description"])))
    blocks.append(Heading("Statistical considerations"))
    blocks += statistical_considerations(result, search)
    blocks.append(Heading("References", 3))
    blocks += [Paragraph(r) for r in REFERENCES]

    # --- the design --------------------------------------------------------------
    blocks.append(Heading("The design"))
    blocks.append(
        Table("design", f"Table {next(tab_no)}. Exact characteristics of the {_long(d)}.",
              design_table(d, p0, p1),
              "Exact binomial calculations; PET = probability of an early stop for futility; "
              "E(N) = expected number of evaluable patients.")
    )
    if search is not None:
        blocks.append(
            Table("designs", f"Table {next(tab_no)}. Two-stage designs meeting the error constraints compared.",
                  designs_compared_table(search),
                  "Admissible designs (Jung et al. 2004) minimise q\u00b7n + (1 \u2212 q)\u00b7E(N | p0) for q in the "
                  "range shown; q = 0 gives the optimal and q = 1 the minimax design.")
        )
    blocks.append(
        _figure("oc", f"Figure {next(fig_no)}. Probability of declaring the drug promising against the true response "
                "rate: exact (line) and simulated (points, \u00b12 Monte Carlo SE); diamonds mark the attained "
                "type I error at p0 and power at p1.", lambda ax: plot_oc(result, ax=ax))
    )
    blocks.append(
        _figure("pet_en", f"Figure {next(fig_no)}. Probability of early termination (left axis) and expected "
                "number of evaluable patients (right axis) against the true response rate.",
                lambda ax: plot_pet_en(result, ax=ax))
    )
    if search is not None:
        blocks.append(
            _figure("designs", f"Figure {next(fig_no)}. Expected sample size under H0 against maximum sample size "
                    "for the best feasible design at each n; the admissible designs lie on the lower convex hull.",
                    lambda ax: plot_designs(search, ax=ax), height=4.4)
        )

    # --- simulation --------------------------------------------------------------
    blocks.append(Heading("Simulated operating characteristics"))
    blocks.append(
        Table("oc", f"Table {next(tab_no)}. Decision probabilities by scenario from {result.n_sim:,} simulated "
              "trials each: estimate (Monte Carlo standard error).", oc_table(result),
              "PET = probability of an early stop for futility; 'of which determined early' = declared promising "
              "when the accrual cap ended a trial whose responses already exceeded the final bound; E(N evaluable) = "
              "expected number of evaluable patients; exact values where the model reduces to the binomial design, "
              "\u2013 otherwise.")
    )
    blocks.append(
        Table("conduct", f"Table {next(tab_no)}. Trial conduct by scenario: estimate (Monte Carlo standard error).",
              conduct_table(result),
              "Duration from the opening of accrual to the final decision; grade \u2265 3 tox. = mean number of patients "
              "with a grade \u2265 3 toxicity per trial; RDI = relative dose intensity (delivered / planned dose) of "
              "treated patients; SE of a percentile from its asymptotic variance.")
    )
    if len(result.designs) > 1:
        blocks.append(
            Table("designs_simulated", f"Table {next(tab_no)}. Every design simulated on the same patients: estimate "
                  "(Monte Carlo standard error).", designs_simulated_table(result),
                  "Common random numbers: patient k of each replicate is the same person under every design.")
        )
        blocks.append(
            Table("design_differences", f"Table {next(tab_no)}. Paired differences between designs.",
                  differences_frame(result, "designs"),
                  "Paired SE from the replicate-by-replicate differences; the independent SE is what two separate "
                  "runs of the same size would give.")
        )
    blocks.append(_figure("accrual", f"Figure {next(fig_no)}. Mean cumulative number of patients enrolled over "
                          "time; a plateau at an interim look is the pause for its analysis.",
                          lambda ax: plot_accrual(result, ax=ax)))
    blocks.append(_figure("duration", f"Figure {next(fig_no)}. Distribution of trial duration by scenario.",
                          lambda ax: plot_duration(result, ax=ax)))
    blocks.append(_figure("toxicity", f"Figure {next(fig_no)}. Number of patients with a grade \u2265 3 toxicity "
                          "per trial, by scenario.", lambda ax: plot_toxicity(result, ax=ax)))
    if _has_rdi(result):
        blocks.append(_figure("rdi", f"Figure {next(fig_no)}. Relative dose intensity of treated patients.",
                              lambda ax: plot_rdi(result, ax=ax)))
    if _has_survival(result):
        blocks.append(_figure("survival", f"Figure {next(fig_no)}. Kaplan\u2013Meier estimates of overall survival "
                              "of simulated patients, by scenario.", lambda ax: plot_survival(result, ax=ax)))
    return Document(title=title, blocks=tuple(blocks))
