"""The report of a parameter sweep: what was swept, how power and duration move, figures and tables.

A finished sweep directory (``manifest.json`` + ``sweep.parquet``, written by
``simtrial sweep``) is read back as a :class:`FinishedSweep`;
:func:`build_sweep_report` turns it into the same
:class:`~simtrial.report.document.Document` blocks as the report of a single
run, so both render through the same HTML and Markdown code.

Every number in the text is computed from the sweep table; a change along an
axis is called an increase or a decrease only when it exceeds 4 Monte Carlo
standard errors of the difference, the same margin METHODS.md uses for
agreement with exact values.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simtrial.report.document import Document, Heading, Paragraph, Table
from simtrial.report.statistical import REFERENCES

__all__ = [
    "FinishedSweep",
    "SweepFigure",
    "is_sweep_dir",
    "load_finished_sweep",
    "build_sweep_report",
    "sweep_figures",
    "sweep_metrics_table",
    "sweep_axes_table",
    "reference_scenarios",
]

_Z = 4.0  # METHODS.md: differences within 4 Monte Carlo SE are not distinguished from noise
_ALT = ("alternative", "alt", "h1")
_NULL = ("null", "h0")
#: Metrics of the per-cell table: (key, column label, digits).
_TABLE_METRICS = (
    ("p_promising", "P(promising)", 3),
    ("pet", "PET", 3),
    ("p_stop_tox", "P(stop: toxicity)", 3),
    ("en_enrolled", "E(N enrolled)", 2),
    ("duration_mean_months", "Mean duration (months)", 1),
)
POWER = "p_promising"
DURATION = "duration_mean_months"


@dataclass(frozen=True)
class FinishedSweep:
    """A finished sweep read back from its directory.

    Attributes
    ----------
    outcome : simtrial.sweep.SweepOutcome
        ``outcome.table`` is the tidy sweep table.
    manifest : dict
        The sweep's ``manifest.json`` (axes, mode, seed, cells, source).
    n_sim : tuple of int
        Distinct numbers of simulated trials per scenario among the cells
        (one value unless a cell's ``simulation.n_sim`` was swept).
    spec : simtrial.sweep.SweepSpec or None
        The sweep spec, when the file named in the manifest still exists and
        describes exactly this sweep (same fingerprint); None otherwise.
    spec_note : str
        Why ``spec`` is None (empty when it was found).
    """

    outcome: Any
    manifest: dict[str, Any]
    n_sim: tuple[int, ...]
    spec: Any = None
    spec_note: str = ""
    cell_n_sim: dict[str, int] = field(default_factory=dict)

    @property
    def table(self) -> Any:
        """The tidy sweep table (cell x scenario x metric)."""
        return self.outcome.table

    @property
    def axes(self) -> tuple[str, ...]:
        """Axis names (dotted config paths), in sweep order."""
        return tuple(self.manifest["axes"])

    @property
    def mode(self) -> str:
        """``"product"`` or ``"zip"``."""
        return str(self.manifest.get("mode", "product"))

    @property
    def scenarios(self) -> tuple[str, ...]:
        """Scenario names in table order."""
        return tuple(dict.fromkeys(self.table["scenario"].astype(str)))

    def axis_values(self, axis: str) -> list[Any]:
        """The axis's values as stored in the table's column, in sweep order (numbers sorted ascending).

        Numbers, strings and booleans are kept; an axis of lists, mappings or
        mixed types is stored as JSON text, as the sweep table stores it.
        """
        vals = list(self.manifest["axes"][axis])
        if _numeric(vals):
            return sorted(vals)
        if all(isinstance(v, str) for v in vals) or all(isinstance(v, bool) for v in vals):
            return vals
        return [json.dumps(v, sort_keys=True) for v in vals]


def is_sweep_dir(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a sweep directory (holds ``manifest.json``), finished or not."""
    from simtrial.sweep.store import MANIFEST

    return (Path(path) / MANIFEST).is_file()


def load_finished_sweep(sweep_dir: str | os.PathLike[str], *, spec: Any = None) -> FinishedSweep:
    """Read a finished sweep directory.

    Parameters
    ----------
    sweep_dir : path-like
        Written by ``simtrial sweep`` / :func:`simtrial.sweep.run_sweep`.
    spec : SweepSpec, optional
        The sweep spec; by default the file named in the manifest is read
        (relative to the current directory) and used when its fingerprint
        matches the manifest's.

    Returns
    -------
    FinishedSweep

    Raises
    ------
    ConfigError
        If the directory is not a sweep, or the sweep is unfinished (the
        message says to finish it with ``simtrial sweep ... --resume``).
    """
    from simtrial.sweep.store import cell_file_info, load_sweep_outcome, read_manifest

    out = Path(sweep_dir)
    manifest = read_manifest(out)
    outcome = load_sweep_outcome(out)
    infos = [cell_file_info(out / "cells" / f"{c['id']}.parquet") for c in manifest["cells"]]
    n_sim = sorted({int(i.get("n_sim", 0)) for i in infos})
    note = ""
    if spec is None:
        spec, note = _find_spec(manifest)
    elif spec.fingerprint != manifest.get("fingerprint"):
        raise _spec_mismatch(spec, out)
    per_cell = {c["id"]: int(i.get("n_sim", 0)) for c, i in zip(manifest["cells"], infos)}
    return FinishedSweep(outcome=outcome, manifest=manifest, n_sim=tuple(n for n in n_sim if n > 0), spec=spec,
                         spec_note=note, cell_n_sim=per_cell)


def _spec_mismatch(spec: Any, out: Path) -> Exception:
    from simtrial.errors import ConfigError

    return ConfigError("--spec", f"{spec.source} describes a different sweep than {out} (config, axes or seed differ)")


def _find_spec(manifest: dict[str, Any]) -> tuple[Any, str]:
    """The sweep spec named in the manifest, if it still describes this sweep."""
    from simtrial.errors import SimtrialError
    from simtrial.sweep import load_sweep

    source = manifest.get("source") or ""
    if not source or not Path(source).is_file():
        return None, f"the sweep's config {source or '(unnamed)'} was not found, so design details are omitted"
    try:
        spec = load_sweep(source)
    except SimtrialError:
        return None, f"the sweep's config {source} no longer loads, so design details are omitted"
    if spec.fingerprint != manifest.get("fingerprint"):
        return None, f"{source} has changed since the sweep ran, so design details are omitted"
    return spec, ""


# --- helpers -----------------------------------------------------------------------


def _numeric(vals: Any) -> bool:
    return all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in vals)


def _tick(v: Any) -> str:
    return f"{v:g}" if _numeric([v]) else str(v)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()


def _short(axis: str) -> str:
    """A readable name of a dotted path for running text: its label without units."""
    from simtrial.plots.sweep import metric_label

    label = metric_label(axis)
    if label == axis:
        return axis
    text = re.sub(r"\s+p$", "", re.sub(r"\s*\([^)]*\)$", "", label)).lower()
    parts = axis.split(".")
    # A scenario parameter belongs to one scenario: say which.
    return f"the {text} of scenario {parts[1]}" if parts[0] == "scenarios" and len(parts) > 2 else f"the {text}"


def _metric_rows(sw: FinishedSweep, metric: str, scenario: str | None = None) -> Any:
    t = sw.table
    sub = t[t["metric"] == metric]
    if scenario is not None:
        sub = sub[sub["scenario"] == scenario]
    return sub


def _fmt(value: float, se: float, digits: int) -> str:
    """``"value (SE)"``, as in the run report; the SE gets one more digit."""
    if not math.isfinite(value):
        return "\u2013"
    if not math.isfinite(se):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({se:.{digits + 1}f})"


def _where(row: Any, axes: tuple[str, ...]) -> str:
    return ", ".join(f"{a} = {_tick(row[a])}" for a in axes)


def reference_scenarios(sw: FinishedSweep) -> tuple[str, str | None]:
    """(scenario for power, scenario for type I error or None).

    The power scenario is the one named ``alternative``/``alt``/``h1``, else
    the one whose response rate is the design's ``p1``, else the only
    scenario, else the one with the highest mean P(promising). The null
    scenario is named ``null``/``h0`` or has response rate ``p0``.
    """
    names = sw.scenarios
    lower = {n.lower(): n for n in names}
    p0 = p1 = None
    rates: dict[str, float] = {}
    if sw.spec is not None:
        design = sw.spec.base.get("design") or {}
        p0, p1 = design.get("p0"), design.get("p1")
        for s in sw.spec.base.get("scenarios") or []:
            if isinstance(s, dict) and "p_response" in s:
                rates[str(s.get("name"))] = float(s["p_response"])

    def pick(wanted: tuple[str, ...], p: float | None) -> str | None:
        for w in wanted:
            if w in lower:
                return lower[w]
        for n in names:
            if p is not None and n in rates and abs(rates[n] - float(p)) < 1e-12:
                return n
        return None

    alt = pick(_ALT, p1)
    null = pick(_NULL, p0)
    if alt is None:
        if len(names) == 1:
            alt = names[0]
        else:
            means = _metric_rows(sw, POWER).groupby("scenario", sort=False)["value"].mean()
            alt = str(means.idxmax())
    return alt, (null if null != alt else None)


# --- tables ------------------------------------------------------------------------


def sweep_axes_table(sw: FinishedSweep) -> Any:
    """One row per swept axis: its dotted path, what it is, and its values."""
    import pandas as pd
    from simtrial.plots.sweep import metric_label

    rows = []
    for a in sw.axes:
        vals = list(sw.manifest["axes"][a])
        rows.append({"Axis (config path)": a, "Meaning": metric_label(a), "Values": ", ".join(_tick(v) for v in vals),
                     "Number": str(len(vals))})
    return pd.DataFrame(rows)


def _designs(sw: FinishedSweep) -> dict[str, str] | None:
    """Cell id -> the primary design in Simon's notation when the spec is known (resolved once per distinct block)."""
    if sw.spec is None:
        return None
    cache: dict[str, str] = {}
    out: dict[str, str] = {}
    for cell in sw.spec.cells:
        cfg = sw.spec.cell_config(cell)
        dumped = cfg.model_dump(mode="json")
        key = json.dumps([dumped.get("design"), dumped.get("designs")], sort_keys=True, default=str)
        if key not in cache:
            d = cfg.resolved_designs()[0]
            cache[key] = str(d.simon) if d.simon is not None else d.table.compact()
        out[cell.id] = cache[key]
    return out


def sweep_metrics_table(sw: FinishedSweep, designs: dict[str, str] | None = None) -> Any:
    """Key metrics per cell x scenario, each as ``value (Monte Carlo SE)``.

    Columns: the axis values, the design when it differs between cells,
    the scenario, P(promising) (and its exact value where the model reduces
    to the binomial design), PET, P(stop: toxicity), E(N enrolled) and the
    mean duration in months.
    """
    import pandas as pd

    t = sw.table
    metrics = [m for m in _TABLE_METRICS if (t["metric"] == m[0]).any()]
    keys = ["cell_id", "scenario"]
    value = t.pivot_table(index=keys, columns="metric", values="value", aggfunc="first", sort=False)
    se = t.pivot_table(index=keys, columns="metric", values="se", aggfunc="first", sort=False)
    exact = t.pivot_table(index=keys, columns="metric", values="exact", aggfunc="first", sort=False, dropna=False)
    cells = t.drop_duplicates(keys)
    show_design = designs is not None and len(set(designs.values())) > 1
    has_exact = POWER in exact.columns and bool(np.isfinite(exact[POWER].to_numpy(dtype=float)).any())
    rows = []
    for _, c in cells.iterrows():
        k = (c["cell_id"], c["scenario"])
        row = {a: _tick(c[a]) for a in sw.axes}
        if show_design:
            row["Design r1/n1, r/n"] = designs[c["cell_id"]]
        row["Scenario"] = str(c["scenario"])
        for key, label, digits in metrics:
            row[label] = _fmt(float(value.loc[k, key]), float(se.loc[k, key]), digits)
            if key == POWER and has_exact:
                ex = float(exact.loc[k, key])
                row[f"{label} exact"] = f"{ex:.{digits + 1}f}" if math.isfinite(ex) else "\u2013"
        rows.append(row)
    return pd.DataFrame(rows)


# --- text --------------------------------------------------------------------------


def _trend(sw: FinishedSweep, metric: str, scenario: str, axis: str, digits: int, what: str) -> str:
    """One sentence: how ``metric`` moves from the lowest to the highest value of ``axis``."""
    df = _metric_rows(sw, metric, scenario)
    vals = sw.axis_values(axis)
    lo, hi = vals[0], vals[-1]
    others = [a for a in sw.axes if a != axis] if sw.mode == "product" else []
    groups = [df] if not others else [g for _, g in df.groupby(others, sort=False)]
    los, his, zs = [], [], []
    for g in groups:
        a, b = g[g[axis] == lo], g[g[axis] == hi]
        if a.empty or b.empty:
            continue
        va, vb = float(a["value"].iloc[0]), float(b["value"].iloc[0])
        sa, sb = float(a["se"].iloc[0]), float(b["se"].iloc[0])
        los.append(va)
        his.append(vb)
        s = math.hypot(sa, sb)
        zs.append((vb - va) / s if s > 0 else (0.0 if vb == va else math.copysign(math.inf, vb - va)))
    if not zs:
        return ""

    def span(xs: list[float]) -> str:
        a, b = min(xs), max(xs)
        return f"{a:.{digits}f}" if f"{a:.{digits}f}" == f"{b:.{digits}f}" else f"{a:.{digits}f}\u2013{b:.{digits}f}"

    ups, downs = sum(z > _Z for z in zs), sum(z < -_Z for z in zs)
    if ups and downs:
        verb = "changes in a direction that depends on the other axes"
    elif ups or downs:
        verb = "increases" if ups else "decreases"
        if max(ups, downs) < len(zs):
            verb += f" (beyond Monte Carlo error in {max(ups, downs)} of {len(zs)} slices of the other axes)"
    else:
        verb = "does not change by more than Monte Carlo error"
    over = " (ranges over the other axes)" if len(zs) > 1 else ""
    return (
        f"As {_short(axis)} goes from {_tick(lo)} to {_tick(hi)}, {what} {verb}: from {span(los)} to {span(his)}{over}."
    )


def _zip_trend(sw: FinishedSweep, metric: str, scenario: str, digits: int, what: str) -> str:
    """Zipped axes move together, so the change is described along the cells, not per axis."""
    df = _metric_rows(sw, metric, scenario)
    if len(df) < 2:
        return ""
    a, b = df.iloc[0], df.iloc[-1]
    s = math.hypot(float(a["se"]), float(b["se"]))
    z = (b["value"] - a["value"]) / s if s > 0 else (0.0 if b["value"] == a["value"] else math.inf)
    verb = ("increases" if z > _Z else "decreases" if z < -_Z
            else "does not change by more than Monte Carlo error")
    return (f"As the zipped axes move together from {_where(a, sw.axes)} to {_where(b, sw.axes)}, {what} {verb}: "
            f"from {a['value']:.{digits}f} to {b['value']:.{digits}f}.")


def _trends(sw: FinishedSweep, metric: str, scenario: str, digits: int, what: str) -> list[str]:
    if sw.mode == "zip" and len(sw.axes) > 1:
        return [_zip_trend(sw, metric, scenario, digits, what)]
    return [_trend(sw, metric, scenario, a, digits, what) for a in sw.axes]


def _rate_axis(sw: FinishedSweep, scenario: str) -> str | None:
    """The axis that sweeps the true response rate of ``scenario`` (by name or index), if any."""
    names = [str(s.get("name")) for s in (sw.spec.base.get("scenarios") or [])] if sw.spec is not None else []
    keys = {scenario} | ({str(names.index(scenario))} if scenario in names else set())
    for a in sw.axes:
        parts = a.split(".")
        if len(parts) == 3 and parts[0] == "scenarios" and parts[1] in keys and parts[2] == "p_response":
            return a
    return None


def _at_hypotheses(sw: FinishedSweep, scenario: str) -> str:
    """Type I error and power read off the cells whose swept response rate is the design's p0 or p1."""
    axis = _rate_axis(sw, scenario)
    design = (sw.spec.base.get("design") or {}) if sw.spec is not None else {}
    if axis is None:
        return ""
    bits = []
    df = _metric_rows(sw, POWER, scenario)
    for key, what in (("p0", "the type I error"), ("p1", "the power")):
        p = design.get(key)
        if p is None:
            continue
        rows = df[np.isclose(df[axis].astype(float), float(p), rtol=0, atol=1e-12)]
        if rows.empty:
            continue
        lo, hi = rows.loc[rows["value"].idxmin()], rows.loc[rows["value"].idxmax()]
        # One more digit when the ends of the range would otherwise print alike.
        digits = 3 if f"{lo['value']:.3f}" != f"{hi['value']:.3f}" else 4
        val = _fmt(lo["value"], lo["se"], digits).replace(" (", " (SE ")
        if len(rows) > 1:
            val = (f"between {val} and {_fmt(hi['value'], hi['se'], digits).replace(' (', ' (SE ')} across the "
                   "other axes")
        bit = f"at {key} = {float(p):g} {what} is {val}"
        # Flag a target missed by more than Monte Carlo error (non-evaluable patients, toxicity, ...).
        if key == "p1" and design.get("beta") is not None and hi["value"] + _Z * hi["se"] < 1 - design["beta"]:
            bit += f", below the design's target power of {1 - design['beta']:g}"
        if key == "p0" and design.get("alpha") is not None and lo["value"] - _Z * lo["se"] > design["alpha"]:
            bit += f", above the design's one-sided α of {design['alpha']:g}"
        bits.append(bit)
    if not bits:
        return ""
    text = "; ".join(bits)
    return text[0].upper() + text[1:] + "."


def _extremes(sw: FinishedSweep, metric: str, scenario: str, digits: int, what: str) -> str:
    df = _metric_rows(sw, metric, scenario)
    if df.empty:
        return ""
    lo, hi = df.loc[df["value"].idxmin()], df.loc[df["value"].idxmax()]
    return (
        f"Across the {len(df)} cells {what} is lowest, {_fmt(lo['value'], lo['se'], digits).replace(' (', ' (SE ')}, "
        f"at {_where(lo, sw.axes)} and highest, {_fmt(hi['value'], hi['se'], digits).replace(' (', ' (SE ')}, "
        f"at {_where(hi, sw.axes)}."
    )


def _n_sims(sw: FinishedSweep, rows: Any) -> list[int]:
    """Replicates behind each row (its cell's ``simulation.n_sim``)."""
    return [max(int(sw.cell_n_sim.get(cid, 0)), 1) for cid in rows["cell_id"]]


def _exact_agreement(sw: FinishedSweep) -> str:
    t = sw.table
    ex = t[np.isfinite(t["exact"].to_numpy(dtype=float))]
    if ex.empty:
        return ""
    from simtrial.engine.outcomes import agreement_se

    se = np.array([agreement_se(m, s, e, n) for m, s, e, n in
                   zip(ex["metric"], ex["se"].to_numpy(dtype=float), ex["exact"].to_numpy(dtype=float),
                       _n_sims(sw, ex))])
    diff = (ex["value"] - ex["exact"]).to_numpy(dtype=float)
    # A zero SE (e.g. a probability of exactly 0) agrees only when the values are equal.
    off = np.where(se > 0, np.abs(diff) > _Z * np.where(se > 0, se, 1.0), diff != 0)
    if off.any():
        return (
            f" Of {len(ex)} simulated quantities with an exact binomial counterpart, {int(off.sum())} lie more than "
            f"{_Z:g} Monte Carlo standard errors from it."
        )
    return (
        f" All {len(ex)} simulated quantities that have an exact binomial counterpart lie within {_Z:g} Monte Carlo "
        "standard errors of it."
    )


def _n_sim_text(sw: FinishedSweep) -> str:
    if not sw.n_sim:
        return "simulated trials"
    if len(sw.n_sim) == 1:
        return f"{sw.n_sim[0]:,} simulated trials per scenario in each cell"
    return f"{sw.n_sim[0]:,} to {sw.n_sim[-1]:,} simulated trials per scenario in each cell"


def _design_text(sw: FinishedSweep, designs: dict[str, str] | None) -> str:
    if sw.spec is None or designs is None:
        return ""
    d = sw.spec.base.get("design") or {}
    hyp = ""
    if d.get("p0") is not None and d.get("p1") is not None:
        hyp = f" for H0: p \u2264 {d['p0']:g} against H1: p \u2265 {d['p1']:g}"
        if d.get("alpha") is not None and d.get("beta") is not None:
            hyp += f" (one-sided \u03b1 = {d['alpha']:g}, power {1 - d['beta']:g})"
    distinct = list(dict.fromkeys(designs.values()))
    if len(distinct) == 1:
        return (f"Every cell uses the Simon two-stage design r1/n1, r/n = {distinct[0]}{hyp}: stop for futility after "
                "stage 1 if responses \u2264 r1, declare the drug promising if total responses > r (Simon 1989).")
    return (f"The two-stage design differs between cells ({', '.join(distinct)} as r1/n1, r/n){hyp}; the design of "
            "each cell is shown in the table of results (Simon 1989).")


def sweep_considerations(sw: FinishedSweep, designs: dict[str, str] | None = None) -> list[Paragraph]:
    """Protocol text summarising a sweep: design, power, type I error, duration, Monte Carlo error."""
    alt, null = reference_scenarios(sw)
    out: list[Paragraph] = []
    n_cells = sw.outcome.n_cells
    how = (f"every combination of the {len(sw.axes)} axes' values" if sw.mode == "product" and len(sw.axes) > 1
           else "the i-th values of all axes together" if sw.mode == "zip" and len(sw.axes) > 1
           else "each value of the axis")
    text = (
        f"The operating characteristics were simulated at patient level on a grid of {n_cells} cells ({how}), "
        f"with {_n_sim_text(sw)}. Each cell's seed is derived from the sweep seed {sw.manifest.get('seed')} and the "
        "cell's parameter values, so every cell can be reproduced on its own and the results do not depend on how "
        "the sweep was run."
    )
    design = _design_text(sw, designs)
    if design:
        text += " " + design
    out.append(Paragraph(text, "Sweep"))

    text = " ".join(
        s for s in _trends(sw, POWER, alt, 3, "P(promising)")
        + [_at_hypotheses(sw, alt), _extremes(sw, POWER, alt, 3, "P(promising)")] if s
    )
    out.append(Paragraph(
        f"Under scenario {alt} the probability of declaring the drug promising (the power when the true response "
        f"rate is the alternative) was estimated in every cell. {text}", "Power"))
    if null is not None:
        df = _metric_rows(sw, POWER, null)
        worst = df.loc[df["value"].idxmax()]
        out.append(Paragraph(
            f"Under scenario {null} the probability of declaring the drug promising (the type I error) ranges from "
            f"{df['value'].min():.3f} to {df['value'].max():.3f}; the largest, "
            f"{_fmt(worst['value'], worst['se'], 3).replace(' (', ' (SE ')}, is at {_where(worst, sw.axes)}.",
            "Type I error"))
    if (sw.table["metric"] == DURATION).any():
        text = " ".join(
            s for s in _trends(sw, DURATION, alt, 1, "the mean duration (months)")
            + [_extremes(sw, DURATION, alt, 1, "the mean duration (months)")] if s
        )
        out.append(Paragraph(
            f"Trial duration is counted from the opening of accrual to the final decision; figures are for scenario "
            f"{alt}. {text}",
            "Expected duration"))
    out.append(Paragraph(
        "Every simulated probability and mean is reported with its Monte Carlo standard error; a change along an "
        f"axis is called an increase or a decrease only when it exceeds {_Z:g} standard errors of the difference "
        "(where that holds in only some slices of the other axes, the text says in how many)."
        + _exact_agreement(sw), "Monte Carlo error"))
    return out


# --- figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepFigure:
    """A figure of the sweep report before rendering: ``draw(ax)`` draws it on one Axes."""

    name: str
    caption: str
    draw: Callable[[Any], Any]
    height: float


def _fixed_rest(sw: FinishedSweep, keep: list[str]) -> tuple[Any, str]:
    """The table restricted to the first value of every axis not in ``keep`` (product mode)."""
    t = sw.table
    fixed = []
    for a in sw.axes:
        if a not in keep:
            v = sw.axis_values(a)[0]
            t = t[t[a] == v]
            fixed.append(f"{a} = {_tick(v)}")
    return t, ("; other axes at " + ", ".join(fixed)) if fixed else ""


def _lines(data: Any, x: str, metric: str, hue: str | None, scenario: str | None, ax: Any) -> Any:
    from simtrial.plots.sweep import metric_label, plot_sweep_lines

    plot_sweep_lines(data, x, metric, hue=hue, scenario=scenario, ax=ax)
    # The caption carries the full description; a long title would be clipped at the page width.
    ax.set_title(f"Scenario {scenario}" if scenario else "", fontsize=10)
    if hue is not None and data[hue].nunique() > 4:
        # Many lines: the legend goes beside the plot, where it hides no data.
        ax.legend(title=metric_label(hue), loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def _heatmap(data: Any, x: str, y: str, metric: str, scenario: str, fmt: str, ax: Any) -> Any:
    from simtrial.plots.sweep import plot_sweep_heatmap

    plot_sweep_heatmap(data, x, y, metric, scenario=scenario, fmt=fmt, ax=ax)
    ax.set_title(f"Scenario {scenario}", fontsize=10)
    return ax


def sweep_figures(sw: FinishedSweep) -> list[SweepFigure]:
    """Line plots of P(promising) and mean duration against each numeric axis, and heatmaps for two axes.

    With one axis (or zipped axes) the lines are the scenarios; with two or
    more axes in product mode the lines are the values of the next axis,
    for the power scenario (see :func:`reference_scenarios`), with any
    further axes held at their first value. Heatmaps (product mode, two or
    more axes) show the first two axes.
    """
    from simtrial.plots._style import FIG_HEIGHT
    from simtrial.plots.sweep import metric_label

    alt, _ = reference_scenarios(sw)
    has_duration = bool((sw.table["metric"] == DURATION).any())
    metrics = [(POWER, "P(promising)")] + ([(DURATION, "mean duration")] if has_duration else [])
    figs: list[SweepFigure] = []
    for x in sw.axes:
        if not _numeric(sw.manifest["axes"][x]):
            continue
        others = [a for a in sw.axes if a != x]
        if sw.mode == "zip" or not others:
            data, rest = sw.table, ""
            hue = "scenario" if len(sw.scenarios) > 1 else None
            scenario = None if hue else sw.scenarios[0]
            lines = "one line per scenario" if hue else f"scenario {scenario}"
        else:
            hue = others[0]
            data, rest = _fixed_rest(sw, [x, hue])
            scenario = alt
            lines = f"scenario {alt}; one line per value of {hue}"
        for metric, short in metrics:
            figs.append(SweepFigure(
                name=f"{_slug(metric)}_vs_{_slug(x)}",
                caption=f"{metric_label(metric)} against {x} ({lines}{rest}); bars: \u00b12 Monte Carlo SE.",
                draw=lambda ax, d=data, x=x, m=metric, h=hue, s=scenario: _lines(d, x, m, h, s, ax),
                height=FIG_HEIGHT,
            ))
    if sw.mode == "product" and len(sw.axes) >= 2:
        x, y = sw.axes[0], sw.axes[1]
        data, rest = _fixed_rest(sw, [x, y])
        for metric, fmt in ((POWER, "{:.3f}"), (DURATION, "{:.1f}")):
            if metric == DURATION and not has_duration:
                continue
            figs.append(SweepFigure(
                name=f"heatmap_{_slug(metric)}",
                caption=f"{metric_label(metric)} over {x} and {y}, scenario {alt}{rest}; each cell shows its estimate.",
                draw=lambda ax, d=data, m=metric, f=fmt, x=x, y=y: _heatmap(d, x, y, m, alt, f, ax),
                height=4.4,
            ))
    return figs


# --- document ----------------------------------------------------------------------


def build_sweep_report(sw: FinishedSweep) -> Document:
    """Build the report of a finished sweep as a :class:`~simtrial.report.document.Document`.

    Parameters
    ----------
    sw : FinishedSweep
        From :func:`load_finished_sweep`.

    Returns
    -------
    Document
        Title, what was swept, "Statistical considerations", figures (PNG
        and PDF) and the table of key metrics per cell and scenario.
    """
    from simtrial.report.build import _figure

    m = sw.manifest
    name = (sw.spec.base.get("name") if sw.spec is not None else None) or Path(str(m.get("source") or "sweep")).stem
    title = f"{name}: parameter sweep of the operating characteristics"
    tab_no = iter(range(1, 100))
    fig_no = iter(range(1, 100))
    designs = _designs(sw)

    meta = (
        f"{sw.outcome.n_cells} cells ({m.get('mode', 'product')} of {len(sw.axes)} "
        f"{'axis' if len(sw.axes) == 1 else 'axes'}), {_n_sim_text(sw)}, sweep seed {m.get('seed')}, "
        f"simtrial {m.get('simtrial_version', '?')}; config {m.get('source') or '(unnamed)'}."
    )
    blocks: list[Any] = [Heading(title, 1), Paragraph(meta)]
    if sw.spec is not None and sw.spec.base.get("description"):
        blocks.append(Paragraph(str(sw.spec.base["description"])))
    if sw.spec_note:
        blocks.append(Paragraph(sw.spec_note[0].upper() + sw.spec_note[1:] + "."))

    blocks.append(Heading("What was swept"))
    mode = ("every combination of the axis values (product)" if m.get("mode", "product") == "product"
            else "the i-th values of all axes together (zip)")
    text = f"The sweep varies {len(sw.axes)} config {'field' if len(sw.axes) == 1 else 'fields'} and runs {mode}."
    fixed = m.get("fixed") or {}
    if fixed:
        text += " Every cell also sets " + ", ".join(f"{k} = {_tick(v)}" for k, v in fixed.items()) + "."
    blocks.append(Paragraph(text))
    blocks.append(Table("axes", f"Table {next(tab_no)}. Swept axes and their values.", sweep_axes_table(sw),
                        "Axes are dotted paths into the trial config; a scenario is named by its name or index."))

    blocks.append(Heading("Statistical considerations"))
    blocks += sweep_considerations(sw, designs)
    blocks.append(Heading("References", 3))
    blocks += [Paragraph(REFERENCES[0])]

    blocks.append(Heading("Figures"))
    for f in sweep_figures(sw):
        blocks.append(_figure(f.name, f"Figure {next(fig_no)}. {f.caption}", f.draw, f.height))

    blocks.append(Heading("Results by cell"))
    blocks.append(Table(
        "cells", f"Table {next(tab_no)}. Key operating characteristics per cell and scenario: estimate "
        "(Monte Carlo standard error).", sweep_metrics_table(sw, designs),
        "PET = probability of stopping after stage 1; E(N enrolled) = expected number of patients enrolled; "
        "duration from the opening of accrual to the final decision (1 month = 365.25/12 days); exact values where "
        "the model reduces to the binomial design, \u2013 otherwise. All metrics of every cell are in sweep.csv."))
    return Document(title=title, blocks=tuple(blocks))
