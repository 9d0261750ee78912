"""Human-readable rich tables for the design, oc and infer commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from simtrial.design.inference import TwoStageInference
    from simtrial.design.search import SimonSearchResult
    from simtrial.design.simon import OperatingCharacteristics
    from simtrial.design.families import FamilyResult
    from simtrial.design.tables import DecisionTable, TableOC


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


def _bounds_cell(tab: DecisionTable, joint: bool) -> str:
    """The looks and bounds of a table as aligned lines: ``n``, ``<=`` (futility), ``>=`` (efficacy), ``tox>=``."""
    rows = [("n", [str(v) for v in tab.looks]), ("<=", ["-" if a < 0 else str(a) for a in tab.futility])]
    if tab.has_efficacy:
        rows.append((">=", ["" if b is None else str(b) for b in tab.efficacy[:-1]]))
    if joint:
        tox = tab.toxicity or (None,) * tab.n_looks
        rows.append(("tox>=", ["-" if t is None else str(t) for t in tox]))
    width = max(len(v) for _, vals in rows for v in vals)
    label = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{label}} " + " ".join(f"{v:>{width}}" for v in vals).rstrip() for name, vals in rows)


def family_table(res: FamilyResult) -> Table:
    """The designs of any family: kind, looks and bounds, E(N) under p0 and p1, PET(p0), alpha, power."""
    p = res.params
    keys = ("p0", "p1", "q0", "q1", "alpha", "alpha_tox", "beta", "odds_ratio")
    title = f"{res.family} designs: " + ", ".join(f"{k}={p[k]:g}" for k in keys if isinstance(p.get(k), (int, float)))
    joint = any(d.table.is_joint for d in res.designs)
    legend = ["n: looks; <=: stop for futility (last look: promising if >)"]
    extra = []
    if any(d.table.has_efficacy for d in res.designs):
        extra.append(">=: stop, promising")
    if joint:
        extra.append("tox>=: stop for toxicity")
    if extra:
        legend.append("; ".join(extra))
    t = _table(title=title, caption="\n".join([*legend, *res.notes]))
    for col in ("kind", "design", "EN(p0)", "EN(p1)", "PET(p0)", "alpha", "power"):
        t.add_column(col, justify="left" if col in ("kind", "design") else "right")
    for d in res.designs:
        t.add_row(d.kind, _bounds_cell(d.table, joint), f"{d.en0:.2f}", f"{d.en1:.2f}", f"{d.pet0:.3f}",
                  f"{d.alpha:.4f}", f"{d.power:.4f}", end_section=True)
    return t


def table_oc_table(oc: TableOC, curtailed: TableOC | None = None, mode: str | None = None) -> Table:
    """Exact operating characteristics of a decision table, one row per true rate (and its curtailed E(N))."""
    tab = oc.table
    t = _table(title=f"Operating characteristics of {tab.compact()}")
    cols = ["p"] + (["q"] if tab.is_joint else []) + ["P(promising)", "PET"]
    if tab.has_efficacy or curtailed is not None:
        cols.append("P(early eff)")
    if tab.is_joint:
        cols.append("P(tox stop)")
    cols.append("E(N)")
    if curtailed is not None:
        cols.append("E(N) curtailed")
    for col in cols:
        t.add_column(col, justify="right")
    for s in range(oc.p.size):
        row = [f"{oc.p[s]:g}"]
        if tab.is_joint:
            row.append(f"{oc.q[s]:g}")
        row += [f"{oc.p_reject[s]:.4f}", f"{oc.pet[s]:.4f}"]
        if tab.has_efficacy or curtailed is not None:
            src = curtailed if curtailed is not None else oc
            row.append(f"{src.p_early_efficacy[s]:.4f}")
        if tab.is_joint:
            row.append(f"{oc.toxicity[s].sum():.4f}")
        row.append(f"{oc.en[s]:.2f}")
        if curtailed is not None:
            row.append(f"{curtailed.en[s]:.2f}")
        t.add_row(*row)
    notes = ["PET: P(stop for futility before the last look)"]
    if curtailed is not None:
        what = "not promising" if mode == "futility" else "the decision"
        notes.append(f"curtailed: stop once {what} is certain")
    t.caption = "\n".join(notes)
    return t
