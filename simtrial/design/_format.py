"""Human-readable rich tables for the design, oc and infer commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from simtrial.design.inference import TwoStageInference
    from simtrial.design.search import SimonSearchResult
    from simtrial.design.simon import OperatingCharacteristics


def _table(**kwargs: object) -> Table:
    # No vertical rules: the design table stays within an 80-column terminal.
    from rich import box
    from rich.table import Table

    return Table(box=box.SIMPLE_HEAD, pad_edge=False, **kwargs)


def search_table(res: SimonSearchResult) -> Table:
    """Minimax, admissible and optimal designs with their properties."""
    title = f"Simon two-stage designs: p0={res.p0:g}, p1={res.p1:g}, alpha={res.alpha:g}, beta={res.beta:g}"
    t = _table(title=title)
    for col in ("kind", "r1/n1", "r/n", "EN(p0)", "PET(p0)", "alpha", "power", "q range"):
        t.add_column(col, justify="left" if col == "kind" else "right")
    for d in res.designs():
        q = "" if d.q_low != d.q_low else f"{d.q_low:.3f}-{d.q_high:.3f}"
        t.add_row(
            d.kind,
            f"{d.design.r1}/{d.design.n1}",
            f"{d.design.r}/{d.design.n}",
            f"{d.en0:.2f}",
            f"{d.pet0:.3f}",
            f"{d.alpha:.4f}",
            f"{d.power:.4f}",
            q,
        )
    notes = [f"searched n = {res.n_searched[0]}..{res.n_searched[1]}"]
    if res.nmax_raised:
        notes.append(f"nmax raised from {res.nmax_requested} to prove optimality")
    if not res.proven:
        notes.append("optimal within the n bound only")
    t.caption = "; ".join(notes)
    return t


def oc_table(oc: OperatingCharacteristics) -> Table:
    """Exact operating characteristics, one row per response rate."""
    d = oc.design
    t = _table(title=f"Operating characteristics of {d.r1}/{d.n1}, {d.r}/{d.n}")
    for col in ("p", "P(promising)", "PET", "E(N)", "P(continue, not promising)"):
        t.add_column(col, justify="right")
    for row in oc.to_records():
        t.add_row(
            f"{row['p']:g}",
            f"{row['p_reject']:.4f}",
            f"{row['pet']:.4f}",
            f"{row['en']:.2f}",
            f"{row['p_continue_fail']:.4f}",
        )
    return t


def inference_table(res: TwoStageInference) -> Table:
    """Estimates, p-value and intervals after a two-stage trial."""
    from simtrial.design._format_trial import estimates_table

    d = res.design
    stop = "stopped after stage 1" if res.stage == 1 else f"completed stage 2 with {res.n2_actual} patients"
    return estimates_table(res, f"{res.x}/{res.n_evaluated} responses, design {d.r1}/{d.n1}, {d.r}/{d.n}", stop)


def family_table(res) -> Table:
    """The designs of any family: kind, looks and bounds, E(N) under p0 and p1, PET(p0), alpha, power."""
    p = res.params
    keys = ("p0", "p1", "q0", "q1", "alpha", "alpha_tox", "beta", "odds_ratio")
    title = f"{res.family} designs: " + ", ".join(f"{k}={p[k]:g}" for k in keys if isinstance(p.get(k), (int, float)))
    t = _table(title=title, caption="\n".join(res.notes) or None)
    joint = any(d.table.is_joint for d in res.designs)
    cols = ["kind", "looks", "stop if resp <=", "stop if resp >="] + (["stop if tox >="] if joint else [])
    for col in cols + ["EN(p0)", "EN(p1)", "PET(p0)", "alpha", "power"]:
        t.add_column(col, justify="left" if col in ("kind", "looks") else "right")
    for d in res.designs:
        tab = d.table
        eff = ",".join("-" if b is None else str(b) for b in tab.efficacy[:-1]) if tab.has_efficacy else "-"
        tox = [",".join("-" if v is None else str(v) for v in (tab.toxicity or (None,) * tab.n_looks))] if joint else []
        t.add_row(d.kind, ",".join(map(str, tab.looks)), ",".join(map(str, tab.futility)), eff, *tox,
                  f"{d.en0:.2f}", f"{d.en1:.2f}", f"{d.pet0:.3f}", f"{d.alpha:.4f}", f"{d.power:.4f}")
    return t
