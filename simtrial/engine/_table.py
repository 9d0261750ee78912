"""Terminal table and JSON view of a :class:`SimulationResult` (used by ``simtrial run``)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["METRIC_LABELS", "run_table", "run_json"]

# (metric key, label, kind) in display order; kind picks the number format.
METRIC_LABELS: tuple[tuple[str, str, str], ...] = (
    ("p_promising", "P(declare promising)", "p"),
    ("pet", "P(stop for futility after stage 1)", "p"),
    ("p_stop_tox", "P(stop for toxicity)", "p"),
    ("p_stop_accrual", "P(accrual cap hit before a stage completed)", "p"),
    ("en_enrolled", "Patients enrolled: mean", "n"),
    ("enrolled_p10", "Patients enrolled: 10th percentile", "q"),
    ("enrolled_median", "Patients enrolled: median", "q"),
    ("enrolled_p90", "Patients enrolled: 90th percentile", "q"),
    ("en_evaluable", "Evaluable patients: mean", "n"),
    ("duration_mean_months", "Trial duration, months: mean", "n"),
    ("duration_p10_months", "Trial duration, months: 10th percentile", "n"),
    ("duration_median_months", "Trial duration, months: median", "n"),
    ("duration_p90_months", "Trial duration, months: 90th percentile", "n"),
    ("n_tox_patients", "Patients with grade >= 3 toxicity (mean)", "n"),
    ("rdi_mean", "Relative dose intensity (mean per patient)", "p"),
    ("dose_delivered_mean", "Dose delivered per patient (mean)", "n"),
    ("deaths_on_study", "Deaths on treatment (mean)", "n"),
)


def _fmt(x: float | None, kind: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if kind == "p":
        return f"{x:.4f}"
    if kind == "q":
        return f"{x:.0f}"
    return f"{x:.2f}"


def run_table(result: Any):
    """A rich Table: one row per metric, one column per scenario ("value ± SE [exact]")."""
    from rich.markup import escape
    from rich.table import Table

    d = result.design
    dose_unit = ""
    drugs = result.config.get("treatment", {}).get("drugs", [])
    tox_drug = result.config.get("toxicity", {}).get("drug") or (drugs[0]["name"] if drugs else "")
    for drug in drugs:
        if drug["name"] == tox_drug:
            dose_unit = f" [{drug['name']}, {drug.get('unit', '')}]"
    table = Table(
        title=(
            f"{result.config.get('name', '')}: Simon {d.r1}/{d.n1}, {d.r}/{d.n}; "
            f"{result.n_sim:,} replicates per scenario, seed {result.seed}, "
            f"{result.threads} thread(s), {result.elapsed_seconds:.1f} s"
        ),
        caption=escape("value ± Monte Carlo SE; [exact binomial value] where the model reduces to Simon's design"),
    )
    table.add_column("metric", no_wrap=True)
    for s in result.scenarios:
        truth = f"p_resp={s.truth['p_response']:.3g}, p_tox={s.truth['p_tox']:.3g}"
        table.add_column(f"{s.name}\n{truth}", justify="right", no_wrap=True)
    for key, label, kind in METRIC_LABELS:
        if key == "dose_delivered_mean":
            label += dose_unit
        cells = []
        for s in result.scenarios:
            e = s.metrics.get(key)
            if e is None:
                cells.append("-")
                continue
            txt = _fmt(e.value, kind)
            if kind != "q" and not math.isnan(e.se):
                txt += f" ± {_fmt(e.se, kind)}"
            if e.exact is not None:
                txt += escape(f" [{_fmt(e.exact, kind)}]")
            cells.append(txt)
        table.add_row(label, *cells)
    return table


def run_json(result: Any, config_path: str) -> dict[str, Any]:
    """The ``--json`` document of ``simtrial run``."""
    d = result.design
    out: dict[str, Any] = {
        "config": config_path,
        "name": result.config.get("name"),
        "seed": result.seed,
        "n_sim": result.n_sim,
        "threads": result.threads,
        "version": result.version,
        "elapsed_seconds": result.elapsed_seconds,
        "design": {"r1": d.r1, "n1": d.n1, "r": d.r, "n": d.n},
        "scenarios": [],
    }
    for s in result.scenarios:
        row: dict[str, Any] = {"name": s.name, **{k: v for k, v in s.truth.items()}}
        for key, e in s.metrics.items():
            row[key] = _num(e.value)
            row[f"{key}_se"] = _num(e.se)
            if e.exact is not None:
                row[f"{key}_exact"] = e.exact
        out["scenarios"].append(row)
    return out


def _num(x: float) -> float | None:
    # JSON has no NaN: a value that does not exist is null.
    return None if isinstance(x, float) and math.isnan(x) else x
