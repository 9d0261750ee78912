"""Terminal tables and JSON view of a :class:`SimulationResult` (used by ``simtrial run``).

Rows, labels, keys and formats come from the outcome schema
(:mod:`simtrial.engine.outcomes`).
"""

from __future__ import annotations

import math
from typing import Any

from simtrial.engine.outcomes import METRICS, PAIR_METRICS, itemise_looks, metric, pet_look_key

__all__ = ["run_tables", "run_table", "differences_table", "run_json", "metric_rows"]

_FORMATS = {"p": "{:.4f}", "q": "{:.0f}", "n": "{:.2f}"}


def _fmt(x: float | None, kind: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return _FORMATS[kind].format(x)


def metric_rows(result: Any, design: str | None = None) -> list[tuple[str, str, str]]:
    """``(key, label, format)`` of the rows shown for a design: the declared metrics, those that can be non-zero.

    The interim efficacy row appears when the design can stop for efficacy,
    and one futility row per interim look when it has three or more looks.
    """
    dz = next(d for d in result.designs if design is None or d.name == design)
    tab = dz.table
    dose_unit = _dose_unit(result)
    rows = []
    for m in METRICS:
        if m.key == "p_promising_interim" and not tab.has_efficacy:
            continue
        label = m.label + (dose_unit if m.key == "dose_delivered_mean" else "")
        rows.append((m.key, label, m.fmt))
        if m.key == "pet" and itemise_looks(tab.n_looks):
            for j in range(tab.n_looks - 1):
                rows.append((pet_look_key(j + 1), f"  at look {j + 1} ({tab.looks[j]} evaluable)", "p"))
    return rows


def _dose_unit(result: Any) -> str:
    drugs = result.config.get("treatment", {}).get("drugs", [])
    tox_drug = result.config.get("toxicity", {}).get("drug") or (drugs[0]["name"] if drugs else "")
    for drug in drugs:
        if drug["name"] == tox_drug:
            return f" [{drug['name']}, {drug.get('unit', '')}]"
    return ""


def _cell(e: Any, kind: str) -> str:
    from rich.markup import escape

    if e is None:
        return "-"
    txt = _fmt(e.value, kind)
    if kind != "q" and not math.isnan(e.se):
        txt += f" ± {_fmt(e.se, kind)}"
    if e.exact is not None:
        txt += escape(f" [{_fmt(e.exact, kind)}]")
    return txt


def run_table(result: Any, design: str | None = None):
    """A rich Table for one design: one row per metric, one column per scenario ("value ± SE [exact]")."""
    from rich.markup import escape
    from rich.table import Table

    dz = next(d for d in result.designs if design is None or d.name == design)
    named = f"{dz.name}: " if len(result.designs) > 1 else ""
    table = Table(
        title=(
            f"{result.config.get('name', '')}: {named}{dz.label}; "
            f"{result.n_sim:,} replicates per scenario, seed {result.seed}, "
            f"{result.threads} thread(s), {result.elapsed_seconds:.1f} s"
        ),
        caption=escape("value ± Monte Carlo SE; [exact value] where the model reduces to the binomial design"),
    )
    table.add_column("metric", no_wrap=True)
    units = result.for_design(dz.name)
    for s in units:
        truth = f"p_resp={s.truth['p_response']:.3g}, p_tox={s.truth['p_tox']:.3g}"
        table.add_column(f"{s.name}\n{truth}", justify="right", no_wrap=True)
    for key, label, kind in metric_rows(result, dz.name):
        table.add_row(label, *[_cell(s.metrics.get(key), kind) for s in units])
    return table


def differences_table(result: Any, between: str):
    """Paired differences ``between`` designs (one row per scenario and metric) or neighbouring scenarios.

    Each cell is "difference ± paired SE (SE of two independent runs)".
    """
    from rich.markup import escape
    from rich.table import Table

    rows = [d for d in result.differences if d.between == between]
    if not rows:
        return None
    what = "designs on the same patients" if between == "designs" else "neighbouring scenarios, same patients"
    table = Table(title=f"Paired differences between {what}",
                  caption=escape("difference ± paired Monte Carlo SE (SE if the runs were independent) [exact]"))
    pairs = []
    for d in rows:
        if (d.a, d.b, d.within) not in pairs:
            pairs.append((d.a, d.b, d.within))
    table.add_column("within" if between == "designs" else "design", no_wrap=True)
    table.add_column("metric", no_wrap=True)
    cols = []
    for a, b, within in pairs:
        if (a, b) not in cols:
            cols.append((a, b))
    for a, b in cols:
        table.add_column(f"{a} − {b}", justify="right", no_wrap=True)
    withins = []
    for _, _, w in pairs:
        if w not in withins:
            withins.append(w)
    for w in withins:
        for key in PAIR_METRICS:
            kind = "p" if key == "p_promising" else "n"
            cells = []
            for a, b in cols:
                d = next((x for x in rows if (x.a, x.b, x.within, x.metric) == (a, b, w, key)), None)
                if d is None:
                    cells.append("")
                    continue
                txt = f"{_fmt(d.value, kind)} ± {_fmt(d.se, kind)} ({_fmt(d.se_independent, kind)})"
                if d.exact is not None:
                    txt += escape(f" [{_fmt(d.exact, kind)}]")
                cells.append(txt)
            table.add_row(w, metric(key).label, *cells)
    return table


def run_tables(result: Any) -> list[Any]:
    """Every table ``simtrial run`` prints: one per design, then the paired differences."""
    out = [run_table(result, d.name) for d in result.designs]
    for between in ("designs", "scenarios"):
        t = differences_table(result, between)
        if t is not None:
            out.append(t)
    return out


def run_json(result: Any, config_path: str) -> dict[str, Any]:
    """The ``--json`` document of ``simtrial run``."""
    out: dict[str, Any] = {
        "config": config_path,
        "name": result.config.get("name"),
        "seed": result.seed,
        "n_sim": result.n_sim,
        "threads": result.threads,
        "version": result.version,
        "elapsed_seconds": result.elapsed_seconds,
        "design": result.design.to_dict(),
        "designs": [d.to_dict() for d in result.designs],
        "scenarios": [],
        "differences": [d.to_dict() for d in result.differences],
    }
    for s in result.units:
        row: dict[str, Any] = {"name": s.name, "design": s.design, **dict(s.truth)}
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
