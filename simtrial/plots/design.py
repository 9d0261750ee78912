"""Figures of an exact Simon two-stage design: OC curve, PET and E(N), design choice.

The exact curves come from :mod:`simtrial.design`; when a
:class:`~simtrial.engine.result.SimulationResult` is given, its simulated
scenarios are drawn as points with Monte Carlo error bars on top.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simtrial.plots._style import PALETTE, get_ax, styled

__all__ = ["plot_oc", "plot_pet_en", "plot_designs", "plot_boundaries", "design_hypotheses", "as_table"]

_EXACT = PALETTE[0]
_SIM = PALETTE[2]


def _is_result(obj: Any) -> bool:
    return hasattr(obj, "scenarios") and hasattr(obj, "design")


_NULL_NAMES = ("null", "h0")
_ALT_NAMES = ("alternative", "alt", "h1")


def design_hypotheses(config: Any) -> tuple[float | None, float | None]:
    """``(p0, p1)`` of a resolved config, None where unknown.

    Taken from the ``design`` block (``p0``, ``p1``; the first of a
    ``designs:`` list); for an explicit design without them, from the
    response rate of the scenario named ``null`` / ``h0`` and ``alternative``
    / ``alt`` / ``h1``.
    """
    config = config or {}
    block = config.get("design") or (config.get("designs") or [{}])[0] or {}
    p0, p1 = block.get("p0"), block.get("p1")
    by_name = {str(s.get("name", "")).lower(): s.get("p_response") for s in config.get("scenarios") or []}
    if p0 is None:
        p0 = next((by_name[k] for k in _NULL_NAMES if by_name.get(k) is not None), None)
    if p1 is None:
        p1 = next((by_name[k] for k in _ALT_NAMES if by_name.get(k) is not None), None)
    return (None if p0 is None else float(p0), None if p1 is None else float(p1))


def as_table(design: Any) -> Any:
    """The :class:`~simtrial.design.DecisionTable` of a Simon design, a resolved design or a table."""
    if hasattr(design, "table") and not callable(design.table):
        return design.table  # a resolved design
    if hasattr(design, "table") and callable(design.table):
        return design.table()  # a SimonDesign
    return design


def _unpack(obj: Any, p0: float | None, p1: float | None) -> tuple[Any, Any, float | None, float | None]:
    """(decision table, result or None, p0, p1) from a design or a simulation result."""
    if _is_result(obj):
        c0, c1 = design_hypotheses(obj.config)
        return as_table(obj.design), obj, (c0 if p0 is None else p0), (c1 if p1 is None else p1)
    return as_table(obj), None, p0, p1


def _grid(p_grid: Any, *extra: float | None) -> np.ndarray:
    base = np.linspace(0.0, 1.0, 401) if p_grid is None else np.asarray(p_grid, dtype=float)
    pts = [float(e) for e in extra if e is not None]
    return np.unique(np.concatenate([base, pts]))


def _sim_points(result: Any, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true p, value, se) of ``metric`` for scenarios that carry ``p_response``."""
    rows = [
        (float(s.truth["p_response"]), s.metrics[metric].value, s.metrics[metric].se)
        for s in result.scenarios
        if "p_response" in s.truth and metric in s.metrics
    ]
    if not rows:
        return np.empty(0), np.empty(0), np.empty(0)
    p, v, se = (np.array(c, dtype=float) for c in zip(*rows))
    return p, v, se


def _se_label(se_mult: float) -> str:
    return f"\u00b1{se_mult:g} Monte Carlo SE"


@styled
def plot_oc(
    design_or_result: Any,
    *,
    ax: Any = None,
    p0: float | None = None,
    p1: float | None = None,
    p_grid: Any = None,
    se_mult: float = 2.0,
    **kwargs: Any,
) -> Any:
    """Operating-characteristic curve: P(declare promising) against the true response rate.

    The exact curve ``design.p_reject(p)`` is drawn as a line; ``p0`` and
    ``p1`` are marked with the attained type I error ``alpha`` and power.
    For a simulation result, each scenario's simulated ``p_promising`` is a
    point with an error bar of ``se_mult`` Monte Carlo standard errors.

    Parameters
    ----------
    design_or_result : SimonDesign or SimulationResult
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 6.5-inch-wide figure when None.
    p0, p1 : float, optional
        Uninteresting and target response rates; taken from the result's
        config when omitted. Not marked when unknown.
    p_grid : array_like, optional
        Response rates for the exact curve (401 points on [0, 1] by default;
        ``p0`` and ``p1`` are always included).
    se_mult : float
        Half-width of the error bars in Monte Carlo SE (2 by default).
    **kwargs
        Passed to ``Axes.plot`` for the exact curve.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Simon R. Optimal two-stage designs for phase II clinical trials.
    Controlled Clinical Trials 1989;10:1-10.
    """
    design, result, p0, p1 = _unpack(design_or_result, p0, p1)
    ax = get_ax(ax)
    p = _grid(p_grid, p0, p1)
    kw = {"color": _EXACT, "linewidth": 1.8, "label": f"Exact: {_design_text(design)}"}
    kw.update(kwargs)
    oc = design.oc(p)
    ax.plot(p, oc.p_reject, gid="exact", **kw)
    if result is not None:
        sp, sv, sse = _sim_points(result, "p_promising")
        if sp.size:
            ax.errorbar(sp, sv, yerr=se_mult * sse, fmt="o", color=_SIM, ecolor=_SIM, capsize=3,
                        markersize=5, gid="simulated",
                        label=f"Simulated ({result.n_sim:,} trials), {_se_label(se_mult)}")
    for pv, name, colour in ((p0, "p0", PALETTE[1]), (p1, "p1", PALETTE[3])):
        if pv is None:
            continue
        val = float(design.oc(pv).p_reject[0])
        what = f"\u03b1 = {val:.3f}" if name == "p0" else f"power = {val:.3f}"
        ax.axvline(pv, color=colour, linestyle="--", linewidth=1.0)
        ax.plot([pv], [val], marker="D", color=colour, linestyle="none", markersize=6,
                gid=f"attained_{name}", label=f"{name} = {pv:g}: {what}")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("True response rate p")
    ax.set_ylabel("P(declare drug promising)")
    ax.set_title("Operating characteristics")
    ax.legend(loc="lower right")
    return ax


@styled
def plot_pet_en(
    design_or_result: Any,
    *,
    ax: Any = None,
    p0: float | None = None,
    p1: float | None = None,
    p_grid: Any = None,
    se_mult: float = 2.0,
    **kwargs: Any,
) -> Any:
    """Probability of early termination (left axis) and expected sample size (right axis).

    Both exact curves are drawn against the true response rate; for a
    simulation result, simulated ``pet`` and ``en_evaluable`` per scenario
    are points with ``se_mult`` Monte Carlo SE error bars. The right-hand
    axis is a twin of the returned one (``ax.figure.axes``).

    Parameters
    ----------
    design_or_result : SimonDesign or SimulationResult
    ax : matplotlib.axes.Axes, optional
    p0, p1 : float, optional
        Marked as vertical lines when known.
    p_grid : array_like, optional
    se_mult : float
    **kwargs
        Passed to ``Axes.plot`` for both exact curves.

    Returns
    -------
    matplotlib.axes.Axes
        The left (PET) axes.
    """
    design, result, p0, p1 = _unpack(design_or_result, p0, p1)
    ax = get_ax(ax)
    right = ax.twinx()
    right.grid(False)
    right.spines["right"].set_visible(True)
    p = _grid(p_grid, p0, p1)
    oc = design.oc(p)
    h1 = ax.plot(p, oc.pet, color=PALETTE[1], gid="exact_pet",
                 label="PET (exact)", **kwargs)
    h2 = right.plot(p, oc.en, color=PALETTE[2], linestyle="--",
                    gid="exact_en", label="E(N) (exact)", **kwargs)
    handles = h1 + h2
    if result is not None:
        for metric, axis, colour, marker, text in (
            ("pet", ax, PALETTE[1], "o", "PET"),
            ("en_evaluable", right, PALETTE[2], "s", "E(N)"),
        ):
            sp, sv, sse = _sim_points(result, metric)
            if sp.size:
                handles.append(axis.errorbar(sp, sv, yerr=se_mult * sse, fmt=marker, color=colour,
                                             capsize=3, gid=f"simulated_{metric}",
                                             label=f"{text} simulated, {_se_label(se_mult)}"))
    for pv, name in ((p0, "p0"), (p1, "p1")):
        if pv is not None:
            ax.axvline(pv, color="0.5", linestyle=":", linewidth=1.0)
            ax.annotate(f"{name} = {pv:g}", xy=(pv, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3), textcoords="offset points", va="top", fontsize=9, color="0.3")
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    span = design.n_max - design.looks[0]
    right.set_ylim(design.looks[0] - 0.02 * span, design.n_max + 0.02 * span)
    ax.set_xlabel("True response rate p")
    ax.set_ylabel("Probability of early termination")
    right.set_ylabel("Expected sample size (patients)")
    ax.set_title(f"Early stopping and expected size: {_design_text(design)}")
    ax.legend(handles=handles, loc="center right")
    return ax


def _design_text(table: Any) -> str:
    """Simon's ``r1/n1 = 1/10, r/n = 5/29`` for a Simon-shaped table, else the table's bounds."""
    if table.n_looks == 2 and not table.has_efficacy and not table.is_joint:
        (n1, n), (r1, r) = table.looks, table.futility
        return f"r1/n1 = {r1}/{n1}, r/n = {r}/{n}"
    return table.compact()


@styled
def plot_designs(search: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Optimal, minimax and admissible designs: E(N | p0) against maximum N.

    Grey points are the best feasible design at each maximum size ``n``; the
    admissible designs (Jung et al. 2004) are joined along the lower convex
    hull and labelled with their stopping rules and the range of the weight
    ``q`` on ``n`` for which each minimises ``q n + (1 - q) E(N | p0)``.

    Parameters
    ----------
    search : SimonSearchResult
        From :func:`simtrial.design.simon_search`.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to ``Axes.scatter`` for the candidates.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II
    cancer clinical trials. Statistics in Medicine 2004;23:561-569.
    """
    ax = get_ax(ax, height=4.2)
    cand = list(search.candidates)
    kw = {"color": "0.65", "s": 18, "zorder": 2, "label": "Best feasible design at each n"}
    kw.update(kwargs)
    ax.scatter([c.design.n for c in cand], [c.en0 for c in cand], gid="candidates", **kw)
    adm = sorted(search.admissible, key=lambda a: a.design.n)
    ax.plot([a.design.n for a in adm], [a.en0 for a in adm], color=PALETTE[1], marker="o",
            linestyle="-", zorder=3, gid="admissible", label="Admissible designs (convex hull)")
    for a in adm:
        kind = "minimax = optimal" if search.minimax.design == search.optimal.design else a.kind
        ax.annotate(
            f"{kind}: {a.design.r1}/{a.design.n1}, {a.design.r}/{a.design.n}\nq \u2208 [{a.q_low:.2f}, {a.q_high:.2f}]",
            # Below-left of each point: the feasible designs all lie above the hull.
            xy=(a.design.n, a.en0), xytext=(-5, -5), textcoords="offset points", fontsize=9,
            ha="right", va="top",
        )
    for item, marker, colour, name in ((search.optimal, "*", PALETTE[2], "Optimal"),
                                       (search.minimax, "s", PALETTE[3], "Minimax")):
        ax.plot([item.design.n], [item.en0], marker=marker, color=colour, markersize=11 if marker == "*" else 8,
                linestyle="none", zorder=4, gid=name.lower(),
                label=f"{name}: {item.design.r1}/{item.design.n1}, {item.design.r}/{item.design.n}")
    ax.set_xlabel("Maximum sample size n (patients)")
    ax.set_ylabel("Expected sample size under H0, E(N | p0) (patients)")
    ax.set_title("Two-stage designs meeting the error constraints")
    lo_n = min(c.design.n for c in cand)
    hi_n = max(c.design.n for c in cand)
    lo_e = min(c.en0 for c in cand)
    hi_e = max(c.en0 for c in cand)
    # Room on the left and below for the labels.
    ax.set_xlim(lo_n - max(3.5, 0.35 * (hi_n - lo_n)), hi_n + 1)
    ax.set_ylim(lo_e - 0.45 * (hi_e - lo_e) - 0.5, hi_e + 0.1 * (hi_e - lo_e) + 0.2)
    ax.legend(loc="upper right")
    return ax


@styled
def plot_boundaries(table: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """The stopping boundaries of a decision table against the number of evaluable patients.

    Futility bounds ("stop if responses <= a") are drawn as a step line
    with the region below shaded, efficacy bounds ("stop if responses >=
    b") as a dashed step line, toxicity bounds
    ("stop if toxicities >= t") as open triangles, and the last look's
    threshold for declaring the drug promising as a diamond. Colours are
    the Okabe-Ito palette, and every series also differs in marker and line
    style, so the figure reads in greyscale.

    Parameters
    ----------
    table : DecisionTable or FamilyDesign
        The design (a family design's ``table`` is used).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 6.5-inch-wide figure when None.
    **kwargs
        Passed to ``Axes.step`` for the futility line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = getattr(table, "table", table)
    ax = get_ax(ax)
    n = np.asarray(table.looks, dtype=float)
    fut = np.asarray(table.futility, dtype=float)
    interim = slice(0, table.n_looks - 1)
    fut_i = np.where(fut[interim] >= 0, fut[interim], np.nan)
    kw = {"color": PALETTE[1], "where": "post", "linewidth": 1.6, "label": "Stop for futility if responses \u2264"}
    kw.update(kwargs)
    if table.n_looks > 1 and np.isfinite(fut_i).any():
        ax.step(n[interim], fut_i, gid="futility", **kw)
        ax.plot(n[interim], fut_i, marker="o", linestyle="none", color=kw["color"], gid="futility_points")
        ax.fill_between(n[interim], -0.5, np.nan_to_num(fut_i, nan=-0.5), step="post", color=kw["color"],
                        alpha=0.12, linewidth=0)
    ax.plot([n[-1]], [fut[-1] + 1], marker="D", markersize=7, linestyle="none", color=PALETTE[0], gid="final",
            label=f"Promising at n = {int(n[-1])} if responses \u2265 {int(fut[-1]) + 1}")
    eff = np.array([np.nan if b is None else b for b in table.efficacy[:-1]], dtype=float)
    if np.isfinite(eff).any():
        ax.step(n[interim], eff, where="post", color=PALETTE[3], linestyle="--", linewidth=1.6, gid="efficacy",
                label="Stop for efficacy if responses \u2265")
        ax.plot(n[interim], eff, marker="s", linestyle="none", color=PALETTE[3], gid="efficacy_points")
    if table.toxicity is not None:
        tox = np.array([np.nan if t is None else t for t in table.toxicity], dtype=float)
        ax.plot(n, tox, marker="^", markerfacecolor="none", markersize=7, linestyle=":", color=PALETTE[2],
                gid="toxicity", label="Stop for toxicity if toxicities \u2265")
    ax.set_xlim(0, n[-1] * 1.04)
    ax.set_ylim(bottom=-0.5)
    ax.set_xlabel("Evaluable patients n")
    ax.set_ylabel("Number of patients")
    ax.set_title(f"Stopping boundaries: {table}")
    ax.legend(loc="upper left")
    return ax
