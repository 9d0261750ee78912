"""Report tables: the chosen design, designs compared, operating characteristics by scenario.

Each returns a :class:`pandas.DataFrame` of display strings; the numbers
come from the design's exact functions and the simulation's estimates,
with Monte Carlo standard errors beside every simulated value.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["design_table", "designs_compared_table", "oc_table", "conduct_table", "fmt_estimate",
           "designs_simulated_table", "differences_frame"]


def _num(x: float | None, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "\u2013"
    return f"{x:.{digits}f}"


def fmt_estimate(est: Any, digits: int = 3) -> str:
    """``"value (SE)"``; the SE gets one more digit so that it is never shown as 0."""
    if est is None:
        return "\u2013"
    if est.se is None or not math.isfinite(est.se):
        return _num(est.value, digits)
    return f"{est.value:.{digits}f} ({est.se:.{digits + 1}f})"


def design_table(design: Any, p0: float | None, p1: float | None) -> Any:
    """Exact characteristics of the chosen design (a resolved design or a decision table) at ``p0`` and ``p1``."""
    import pandas as pd

    tab = getattr(design, "table", design)
    simon = getattr(design, "simon", None)
    if simon is not None:
        rows = [
            ("Stage 1: stop for futility if responses \u2264 r1 out of n1", f"{simon.r1} / {simon.n1}"),
            ("Stage 2: promising if total responses > r out of n", f"{simon.r} / {simon.n}"),
            ("Patients added in stage 2, n2", f"{simon.n2}"),
        ]
    else:
        rows = []
        last = tab.n_looks - 1
        for k, (n, a, b) in enumerate(zip(tab.looks, tab.futility, tab.efficacy)):
            if k < last:
                rules = [f"stop if responses \u2264 {a}" if a >= 0 else "", f"promising if \u2265 {b}" if b else ""]
                rows.append((f"Look {k + 1}, {n} evaluable", "; ".join(r for r in rules if r) or "continue"))
            else:
                rows.append((f"Final look, {n} evaluable", f"promising if responses > {a}"))
            if tab.toxicity is not None and tab.toxicity[k] is not None:
                rows.append((f"Look {k + 1}: stop for toxicity if toxicities \u2265", f"{tab.toxicity[k]}"))
    for label, p in (("p0", p0), ("p1", p1)):
        if p is None or tab.is_joint:
            continue
        oc = tab.oc(p)
        rows += [
            (f"P(declare promising | {label} = {p:g})", _num(float(oc.p_reject[0]), 4)),
            (f"PET({label}): P(early stop for futility)", _num(float(oc.pet[0]), 4)),
            (f"E(N | {label}) (patients)", _num(float(oc.en[0]), 2)),
        ]
        if tab.has_efficacy:
            rows.append((f"P(early stop for efficacy | {label})", _num(float(oc.p_early_efficacy[0]), 4)))
    return pd.DataFrame(rows, columns=["Quantity", "Exact value"])


def designs_compared_table(search: Any) -> Any:
    """Minimax, admissible and optimal designs of a ``simon_search`` result, one row each."""
    import pandas as pd

    rows = []
    seen: dict[Any, dict[str, str]] = {}
    for it in search.designs():
        if it.design in seen:
            # Minimax and optimal coincide: one row naming both.
            seen[it.design]["Design"] = "minimax and optimal"
            continue
        row = {
            "Design": it.kind,
            "r1/n1": f"{it.design.r1}/{it.design.n1}",
            "r/n": f"{it.design.r}/{it.design.n}",
            "E(N | p0)": _num(it.en0, 2),
            "PET(p0)": _num(it.pet0, 3),
            "Attained \u03b1": _num(it.alpha, 4),
            "Attained power": _num(it.power, 4),
            "q range": "\u2013" if math.isnan(it.q_low) else f"[{it.q_low:.3f}, {it.q_high:.3f}]",
        }
        seen[it.design] = row
        rows.append(row)
    return pd.DataFrame(rows)


_OC_COLUMNS = (
    ("p_promising", "P(promising)", 3),
    ("p_promising_early", "of which determined early", 3),
    ("pet", "PET", 3),
    ("p_stop_tox", "P(stop: toxicity)", 3),
    ("p_stop_accrual", "P(accrual capped, undetermined)", 3),
    ("en_evaluable", "E(N evaluable)", 2),
)
_CONDUCT_COLUMNS = (
    ("en_enrolled", "E(N enrolled)", 2),
    ("duration_median_months", "Median duration (months)", 1),
    ("duration_p90_months", "90th pct duration (months)", 1),
    ("n_tox_patients", "Grade \u2265 3 tox. (patients)", 2),
    ("rdi_mean", "Mean RDI", 3),
    ("deaths_on_study", "Deaths on study", 2),
)


def _scenario_cells(s: Any) -> dict[str, str]:
    row = {"Scenario": s.name, "True p": _num(s.truth.get("p_response"), 2)}
    if "p_tox" in s.truth:
        row["p tox./cycle"] = _num(s.truth.get("p_tox"), 2)
    return row


def oc_table(result: Any, design: str | None = None) -> Any:
    """Simulated decision probabilities by scenario, each as ``value (Monte Carlo SE)``.

    Where the model reduces to the binomial design the exact value of
    ``P(promising)`` and ``PET`` is given in its own column (\u2013 for the
    other scenarios; the column is left out when no scenario has one).
    """
    import pandas as pd

    rows = []
    units = result.scenarios if design is None else result.for_design(design)
    for s in units:
        row = _scenario_cells(s)
        for key, label, digits in _OC_COLUMNS:
            if not any(key in t.metrics for t in result.scenarios):
                continue
            est = s.metrics.get(key)
            row[label] = fmt_estimate(est, digits)
            if key in ("p_promising", "pet"):
                row[f"{label} exact"] = _num(None if est is None else est.exact, digits + 1)
        rows.append(row)
    df = pd.DataFrame(rows)
    # An exact column with no exact value in any scenario only takes room.
    empty = [c for c in df.columns if c.endswith(" exact") and (df[c] == "\u2013").all()]
    return df.drop(columns=empty)


def conduct_table(result: Any, design: str | None = None) -> Any:
    """Simulated trial conduct by scenario: size, duration, toxicity, dose intensity, deaths."""
    import pandas as pd

    rows = []
    units = result.scenarios if design is None else result.for_design(design)
    for s in units:
        row = {"Scenario": s.name}
        for key, label, digits in _CONDUCT_COLUMNS:
            if not any(key in t.metrics for t in result.scenarios):
                continue
            row[label] = fmt_estimate(s.metrics.get(key), digits)
        rows.append(row)
    return pd.DataFrame(rows)


def designs_simulated_table(result: Any) -> Any:
    """Every design of the run under each scenario, simulated on the same patients: size, decisions, duration."""
    import pandas as pd

    rows = []
    for s in result.units:
        m = s.metrics
        rows.append({
            "Scenario": s.name,
            "Design": s.design,
            "P(promising)": fmt_estimate(m["p_promising"], 3),
            "PET": fmt_estimate(m["pet"], 3),
            "E(N enrolled)": fmt_estimate(m["en_enrolled"], 2),
            "Median duration (months)": fmt_estimate(m["duration_median_months"], 1),
            "Grade \u2265 3 tox. (patients)": fmt_estimate(m["n_tox_patients"], 2),
        })
    return pd.DataFrame(rows)


def differences_frame(result: Any, between: str) -> Any:
    """Paired differences between designs or neighbouring scenarios: ``difference (paired SE; independent SE)``."""
    import pandas as pd

    from simtrial.engine.outcomes import metric

    rows = []
    for d in result.differences:
        if d.between != between:
            continue
        digits = 3 if d.metric == "p_promising" else 2
        rows.append({
            "Within": d.within,
            "Difference": f"{d.a} \u2212 {d.b}",
            "Metric": metric(d.metric).label,
            "Estimate (paired SE; independent SE)":
                f"{d.value:.{digits}f} ({d.se:.{digits + 1}f}; {d.se_independent:.{digits + 1}f})",
        })
    return pd.DataFrame(rows)
