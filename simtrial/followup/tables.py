"""Human-readable tables of a :class:`~simtrial.followup.size.FollowupResult` (rich)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["print_followup", "total_replicates"]

_SIM_METRICS = (
    ("p_promising", "P(promising)"),
    ("pet", "PET"),
    ("en_enrolled", "E(enrolled)"),
    ("duration_median_months", "median duration (months)"),
    ("duration_p90_months", "90th pct duration (months)"),
    ("n_tox_patients", "patients with grade>=3 tox"),
    ("rdi_mean", "mean relative dose intensity"),
)


_HEAD = {
    "n_control": "n ctrl",
    "n_experimental": "n exp",
    "power_sim": "power sim",
    "se": "SE",
    "power_normal": "normal approx",
    "power_exact_z": "z exact",
    "power_fisher": "Fisher exact",
    "events_mean": "deaths sim",
    "events_expected": "deaths expected",
    "analysis_months_mean": "months sim",
    "analysis_months_expected": "months expected",
    "power_schoenfeld": "Schoenfeld",
    "power_design": "power at design rates",
    "assurance_exact": "assurance exact",
    "assurance_sim": "assurance sim",
}


def total_replicates(followup: Any, n_sim: int | None = None) -> int:
    """Replicates the follow-up simulations will report through ``progress`` (for a progress bar)."""
    total = 0
    if followup.single_arm is not None and followup.single_arm.simulate:
        total += 2 * (n_sim or followup.single_arm.n_sim)
    if followup.randomized is not None:
        total += n_sim or followup.randomized.n_sim
    return total


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isnan(x):
        return "-"
    if isinstance(x, int):
        return f"{x}"
    return f"{x:.{digits}f}"


def _est(e: Any) -> str:
    return "-" if e is None else f"{e.value:.3f} ± {e.se:.3f}"


def print_followup(result: Any, console: Any) -> None:
    """Print every part of the follow-up answer as rich tables."""
    from rich.table import Table

    from simtrial._terminal import print_table

    sa = result.single_arm
    if sa is not None:
        s = sa.spec
        t = Table(title=f"Single-arm follow-up: p0 = {s.p0:g}, p1 = {s.p1:g}, alpha = {s.alpha:g}, beta = {s.beta:g}")
        for col in ("design", "r1/n1", "r/n", "E(N|p0)", "PET(p0)", "alpha", "power"):
            t.add_column(col, justify="left" if col == "design" else "right")
        for row in sa.designs_frame().to_dict(orient="records"):
            r1n1 = "-" if row["r1"] is None or (isinstance(row["r1"], float) and math.isnan(row["r1"])) else (
                f"{int(row['r1'])}/{int(row['n1'])}"
            )
            t.add_row(row["design"], r1n1, f"{int(row['r'])}/{int(row['n'])}", f"{row['en0']:.2f}",
                      f"{row['pet0']:.3f}", f"{row['alpha']:.4f}", f"{row['power']:.4f}")  # fmt: skip
        print_table(console, t)
        console.print(
            "Single-stage: smallest n reaching the power, and smallest n from which every larger n "
            f"(up to {int(sa.single_stage.n[-1])}) also reaches it."
        )
        if sa.simulation is not None:
            d = sa.design
            t = Table(title=f"Patient-level simulation of the Simon {s.kind} design {d.r1}/{d.n1}, {d.r}/{d.n}"
                      f" ({sa.simulation.n_sim} replicates per scenario; ± Monte Carlo SE)")  # fmt: skip
            t.add_column("metric")
            scen = sa.simulation.scenarios
            # Exact columns only when the patient model reduces to the binomial design.
            with_exact = any(e.exact is not None for sc in scen for e in sc.metrics.values())
            for sc in scen:
                t.add_column(f"{sc.name} (p = {sc.truth.get('p_response', float('nan')):g})", justify="right")
                if with_exact:
                    t.add_column("exact", justify="right")
            for key, label in _SIM_METRICS:
                cells = []
                for sc in scen:
                    e = sc.metrics.get(key)
                    cells.append(_est(e))
                    if with_exact:
                        cells.append("-" if e is None or e.exact is None else f"{e.exact:.3f}")
                t.add_row(label, *cells)
            print_table(console, t)

    rz = result.randomized
    if rz is not None:
        sp = rz.spec
        if sp.endpoint == "response":
            what = f"response {sp.response.control:g} vs {sp.response.experimental:g}"
        else:
            what = f"overall survival, HR {sp.survival.hazard_ratio:g}, log-rank"
        t = Table(
            title=f"Randomized follow-up ({what}; {sp.sided}-sided alpha {sp.alpha:g}, "
            f"ratio {sp.allocation_ratio:g}:1): power against total N, {rz.simulation.n_sim} replicates"
        )
        cols = [c for c in rz.table.columns]
        if sp.endpoint == "survival" and sp.analysis.mode == "calendar":
            # The analysis date is fixed, so these columns would repeat it.
            cols = [c for c in cols if not c.startswith("analysis_months")]
        for c in cols:
            t.add_column(_HEAD.get(c, c.replace("_", " ")), justify="right")
        for row in rz.table.to_dict(orient="records"):
            t.add_row(*[_f(row[c], 1 if "months" in c or "events" in c else 3) for c in cols])
        print_table(console, t)
        console.print(f"[bold]By simulation:[/bold] {rz.answer.statement()}")
        cf = rz.closed_form
        if sp.endpoint == "response":
            console.print(
                f"[bold]Closed forms[/bold] ({cf['scope']}): normal approximation N = {_f(cf['normal_n'])}; "
                f"exact z test N = {_f(cf['exact_z_n_first'])} (stable from {_f(cf['exact_z_n_stable'])}); "
                f"Fisher's exact test N = {_f(cf['fisher_n_first'])} (stable from {_f(cf['fisher_n_stable'])}); "
                f"{cf['searched']} up to {cf['searched_up_to']} searched."
            )
        else:
            if sp.analysis.mode == "events":
                console.print(
                    "With the analysis at a fixed number of deaths, power depends on the deaths, not on N; "
                    "N sets how long the trial takes to reach them (months columns)."
                )
            console.print(
                f"[bold]Schoenfeld[/bold] ({cf['scope']}): {cf['schoenfeld_events']:.1f} -> "
                f"{cf['schoenfeld_events_rounded']} deaths; patients: {_f(cf['patients'])} ({cf['rule']})."
            )

    asr = result.assurance
    if asr is not None:
        ps = asr.prior_summary
        t = Table(
            title=f"Assurance of the single-arm follow-up under the prior {asr.prior.describe()} "
            f"(mean {ps['mean']:.3f}; P(p > p0) = {ps['p_above_p0']:.3f}, P(p > p1) = {ps['p_above_p1']:.3f})"
        )
        for c in asr.table.columns:
            t.add_column(c.replace("_", " "), justify="right")
        for row in asr.table.to_dict(orient="records"):
            t.add_row(*[_f(row[c], 4) for c in asr.table.columns])
        print_table(console, t)
        if asr.randomized is not None:
            rt = asr.randomized
            t = Table(title="Assurance of the randomized response trial (experimental rate from the prior, "
                      "control rate fixed) against total N")  # fmt: skip
            for c in rt.columns:
                t.add_column(_HEAD.get(c, c.replace("_", " ")), justify="right")
            for row in rt.to_dict(orient="records"):
                t.add_row(*[_f(row[c], 4) for c in rt.columns])
            print_table(console, t)
        d = asr.simon["design"]
        console.print(
            f"[bold]Simon design {d['r1']}/{d['n1']}, {d['r']}/{d['n']}:[/bold] assurance exact "
            f"{asr.simon['exact']:.4f}; simulated {_est(asr.simon['simulated'])}."
        )
