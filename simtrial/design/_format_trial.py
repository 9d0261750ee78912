"""Human-readable rich tables for inference after a decision-table trial and for interim looks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simtrial.design._format import _table

if TYPE_CHECKING:
    from rich.table import Table

    from simtrial.design.inference import TableInference, TwoStageInference
    from simtrial.design.interim import InterimResult, InterimTable
    from simtrial.design.tables import DecisionTable

_DECISION_WORDS = {
    "futility": "stop for futility",
    "efficacy": "stop: promising",
    "continue": "continue",
    "promising": "promising",
    "not promising": "not promising",
}


def _design_text(table: DecisionTable) -> str:
    return table.label or table.compact()


def estimates_table(res: TableInference | TwoStageInference, title: str, caption: str) -> Table:
    """Estimates, p-value and intervals (either inference result), with the given title and caption."""
    t = _table(title=title, caption=caption)
    t.add_column("quantity")
    t.add_column("estimate", justify="right")
    t.add_column(f"{res.conf_level:.0%} interval", justify="right")
    t.add_row("UMVUE (Jung-Kim)", f"{res.umvue:.4f}", "")
    t.add_row("median-unbiased", f"{res.median_unbiased:.4f}", "")
    t.add_row("exact, stage-wise ordering", "", f"{res.ci_lower:.4f} - {res.ci_upper:.4f}")
    t.add_row(f"p-value for H0: p <= {res.p0:g}", f"{res.p_value:.4g}", "")
    t.add_row("naive x/N", f"{res.mle:.4f}", "")
    t.add_row("naive Clopper-Pearson", "", f"{res.cp_lower:.4f} - {res.cp_upper:.4f}")
    t.add_row("naive Wilson", "", f"{res.wilson_lower:.4f} - {res.wilson_upper:.4f}")
    return t


def table_inference_table(res: TableInference) -> Table:
    """Estimates, p-value and intervals after a decision-table trial."""
    caption = (f"ended at look {res.stage} of {res.table.n_looks} ({res.n_evaluated} patients): "
               f"{_DECISION_WORDS[res.decision]}")
    return estimates_table(res, f"{res.x}/{res.n_evaluated} responses, design {_design_text(res.table)}", caption)


def interim_result_table(res: InterimResult) -> Table:
    """The decision and the power of continuing after x responses at one look."""
    a, b = res.prior
    t = _table(title=f"{res.x}/{res.n_look} responses at look {res.stage}, design {_design_text(res.table)}",
               caption=f"decision: {_DECISION_WORDS[res.decision]}")
    t.add_column("P(declared promising in the end)")
    t.add_column("value", justify="right")
    t.add_row(f"conditional power at p1 = {res.p1:g}", f"{res.conditional_power_p1:.4f}")
    t.add_row(f"conditional power at the observed rate {res.observed_rate:.3f}", f"{res.conditional_power_observed:.4f}")
    t.add_row(f"predictive power, Beta({a:g}, {b:g}) prior", f"{res.predictive_power:.4f}")
    return t


def interim_decision_tables(it: InterimTable) -> list[Table]:
    """One table per look: each reachable response count, its decision and conditional power.

    Consecutive counts that stop the trial for the same reason share a row.
    """
    a, b = it.prior
    out = []
    for n, rows in it.looks.items():
        k = it.table.looks.index(n)
        t = _table(title=f"Look {k + 1} of {it.table.n_looks}: {n} evaluable patients, design {_design_text(it.table)}")
        for col in ("responses", "decision", f"CP(p1={it.p1:g})", "CP(observed)", f"PP(Beta({a:g},{b:g}))"):
            t.add_column(col, justify="left" if col == "decision" else "right")
        groups: list[list] = []
        for r in rows:
            if groups and r.decision != "continue" and groups[-1][0].decision == r.decision \
                    and groups[-1][-1].x == r.x - 1:
                groups[-1].append(r)
            else:
                groups.append([r])
        for g in groups:
            first, last = g[0], g[-1]
            xs = f"{first.x}" if first is last else f"{first.x}-{last.x}"
            if first.decision == "continue":
                t.add_row(xs, "continue", f"{first.conditional_power_p1:.4f}", f"{first.conditional_power_observed:.4f}",
                          f"{first.predictive_power:.4f}")
            else:
                t.add_row(xs, _DECISION_WORDS[first.decision], "", "", "")
        out.append(t)
    return out
