"""The "Statistical considerations" text of a protocol, written from a design and a simulation.

Every number in the text is computed here from the design's exact functions
or from the simulation's estimates, never typed in, so the text stays true
to the run it describes.
"""

from __future__ import annotations

import math
from typing import Any

from simtrial.plots._style import DAYS_PER_MONTH
from simtrial.plots.design import design_hypotheses
from simtrial.report.document import Paragraph

__all__ = ["statistical_considerations", "REFERENCES", "z_agreement"]

REFERENCES = (
    "Simon R. Optimal two-stage designs for phase II clinical trials. Controlled Clinical Trials 1989;10:1\u201310.",
    "Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II cancer clinical trials. "
    "Statistics in Medicine 2004;23:561\u2013569.",
    "Jung SH, Kim KM. On the estimation of the binomial probability in multistage clinical trials. "
    "Statistics in Medicine 2004;23:881\u2013896.",
    "Koyama T, Chen H. Proper inference from Simon\u2019s two-stage designs. Statistics in Medicine 2008;27:3145\u20133154.",
)

_ARROW = " \u2192 "
_NULL = ("null", "h0")
_ALT = ("alternative", "alt", "h1")
_AGREE_Z = 4.0  # METHODS.md: a simulated value agrees with an exact one within 4 Monte Carlo SE


def _pct(p: float) -> str:
    v = 100 * p
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:.1f}%"


def _days(value: Any) -> float:
    """Days from a resolved config value (``"28.0 days"`` or a number of days)."""
    if isinstance(value, str):
        from simtrial.model.units import parse_duration

        return parse_duration(value)
    return float(value)


def _months(days: Any) -> str:
    m = _days(days) / DAYS_PER_MONTH
    return f"{m:.0f} months" if abs(m - round(m)) < 1e-9 else f"{m:.1f} months"


def _scenario_at(result: Any, p: float | None, names: tuple[str, ...]) -> Any:
    """The scenario whose true response rate is ``p`` (preferring the conventional names)."""
    if p is None:
        return None
    matches = [s for s in result.scenarios if abs(float(s.truth.get("p_response", -1)) - p) < 1e-12]
    for s in matches:
        if s.name.lower() in names:
            return s
    return matches[0] if matches else None


def z_agreement(result: Any) -> tuple[int, list[str]]:
    """Number of simulated metrics with an exact value, and those more than 4 SE away from it."""
    n, off = 0, []
    for s in result.scenarios:
        for k, e in s.metrics.items():
            if e.exact is None:
                continue
            z = e.z()
            if math.isnan(z):
                # Zero SE: the simulated value must equal the exact one (e.g. PET = 0 or 1).
                if e.value != e.exact:
                    off.append(f"{s.name}/{k}")
                n += 1
                continue
            n += 1
            if abs(z) > _AGREE_Z:
                off.append(f"{s.name}/{k} (z = {z:.1f})")
    return n, off


def _accrual_text(cfg: dict[str, Any]) -> str:
    enr = cfg.get("enrollment") or {}
    rates = enr.get("rates") or []
    pieces = []
    for i, piece in enumerate(rates):
        rate = f"{piece['per_month']:g} {'patient' if piece['per_month'] == 1 else 'patients'} per month"
        if piece.get("duration") is not None:
            pieces.append(f"{rate} for the first {_months(piece['duration'])}" if i == 0 else f"{rate} for the next {_months(piece['duration'])}")
        else:
            pieces.append(f"{rate} thereafter" if i else rate)
    text = "Patients are expected to enrol at " + ", then ".join(pieces) if pieces else ""
    sf = enr.get("screen_fail") or 0.0
    if text and sf:
        text += f", after {_pct(sf)} screening failures"
    if text and enr.get("max_duration") is not None:
        text += f"; accrual closes after {_months(enr['max_duration'])} at the latest"
    return text + "." if text else ""


def _treatment_text(cfg: dict[str, Any]) -> str:
    tr = cfg.get("treatment") or {}
    drugs = tr.get("drugs") or []
    if not drugs:
        return ""
    parts = []
    for d in drugs:
        days = d.get("days") or []
        parts.append(f"{d['name']} {d['dose']:g} {d.get('unit', 'mg')} on days {_days_text(days)}")
    return (
        f"Treatment is given in {_days(tr.get('cycle_length', 0)):g}-day cycles ({' and '.join(parts)}) "
        f"for at most {tr.get('max_cycles')} cycles."
    )


def _days_text(days: list[int]) -> str:
    days = sorted(days)
    runs, start = [], None
    for i, d in enumerate(days):
        if start is None:
            start = d
        if i + 1 == len(days) or days[i + 1] != d + 1:
            runs.append(f"{start}" if start == d else f"{start}\u2013{d}")
            start = None
    return ", ".join(runs)


def _cycles(k: int) -> str:
    return "the first cycle" if k == 1 else f"the first {k} cycles"


def _tox_text(cfg: dict[str, Any], result: Any) -> str:
    design_cfg = cfg.get("design") or {}
    tox = cfg.get("toxicity") or {}
    tr = cfg.get("treatment") or {}
    rule = design_cfg.get("toxicity_stop")
    out = []
    if rule:
        a, b = rule.get("prior", (1.0, 1.0))
        every = rule.get("every", 1)
        who = "each patient" if every == 1 else f"every {every} patients"
        out.append(
            f"Toxicity is monitored continuously: after {who}, once the outcome of "
            f"{_cycles(rule.get('window_cycles', 1))} of treatment is known, the trial stops for excessive toxicity if the posterior "
            f"probability that the rate of grade \u2265 3 toxicity exceeds {_pct(rule['threshold'])} is greater than "
            f"{rule['posterior_bound']:g}, under a Beta({a:g}, {b:g}) prior."
        )
    else:
        out.append("No formal stopping rule for toxicity is part of the design; toxicity is reported descriptively.")
    drugs = tr.get("drugs") or []
    if tox.get("on_event") == "discontinue":
        out.append("A patient with a grade \u2265 3 toxicity discontinues treatment.")
    elif drugs:
        ladders = [
            f"{d['name']} {_ARROW.join(f'{x:g}' for x in [d['dose'], *d.get('reductions', [])])} {d.get('unit', 'mg')}"
            for d in drugs
            if d.get("reductions")
        ]
        hold = _days(tox.get("hold") or 0.0)
        held = f"the next cycle is delayed by {hold:g} days and " if hold else ""
        if ladders:
            out.append(
                f"After a grade \u2265 3 toxicity {held}treatment resumes one dose level lower "
                f"({'; '.join(ladders)}); a further event at the lowest level ends treatment."
            )
    sims = []
    for s in result.scenarios:
        tox_pat = s.metrics.get("n_tox_patients")
        stop = s.metrics.get("p_stop_tox")
        rdi = s.metrics.get("rdi_mean")
        bits = []
        if tox_pat is not None:
            bits.append(f"{tox_pat.value:.1f} patients with a grade \u2265 3 toxicity per trial")
        if rule and stop is not None:
            bits.append(f"a probability of {stop.value:.3f} of stopping for toxicity")
        if rdi is not None and math.isfinite(rdi.value):
            bits.append(f"a mean relative dose intensity of {_pct(rdi.value)}")
        if bits:
            p_tox = s.truth.get("p_tox")
            cond = f" (per-cycle toxicity probability {p_tox:g})" if p_tox is not None else ""
            sims.append(f"under scenario {s.name}{cond}, {', '.join(bits)}")
    if sims:
        out.append("In simulation the design gave, on average, " + "; ".join(sims) + ".")
    return " ".join(out)


def statistical_considerations(result: Any, search: Any = None) -> list[Paragraph]:
    """Protocol text for a simulated two-stage design.

    Parameters
    ----------
    result : SimulationResult
    search : SimonSearchResult, optional
        When given, the text names the design's kind (optimal / minimax).

    Returns
    -------
    list of Paragraph
        Titled paragraphs: endpoint and hypotheses, design, operating
        characteristics, accrual and duration, evaluability, toxicity
        monitoring, simulation, analysis.
    """
    cfg = result.config or {}
    d = result.design
    design_cfg = cfg.get("design") or {}
    p0, p1 = design_hypotheses(cfg)
    alpha, beta = design_cfg.get("alpha"), design_cfg.get("beta")
    k = (cfg.get("response") or {}).get("assess_after_cycles", 1)
    out: list[Paragraph] = []

    # --- endpoint and hypotheses -------------------------------------------------
    text = (
        f"The primary endpoint is objective response, assessed at the end of treatment cycle {k}; "
        "a patient who stops treatment earlier is not evaluable for response. "
    )
    if p0 is not None and p1 is not None:
        text += (
            f"The trial tests the null hypothesis H0: p \u2264 {p0:g}, a true response rate of {_pct(p0)} or less that "
            f"would not justify further study, against the alternative H1: p \u2265 {p1:g} ({_pct(p1)})"
        )
        if alpha is not None and beta is not None:
            text += f", with a one-sided type I error of at most {alpha:g} and power of at least {1 - beta:g}"
        text += "."
    out.append(Paragraph(text, "Endpoint and hypotheses"))

    # --- design ------------------------------------------------------------------
    kind = None
    if search is not None:
        kind = "optimal" if d == search.optimal.design else "minimax" if d == search.minimax.design else None
        if kind is None and any(d == a.design for a in search.admissible):
            kind = "admissible"
    elif d.n is not None and design_cfg.get("n") is None:
        kind = design_cfg.get("kind")
    why = {
        "optimal": "Simon\u2019s optimal two-stage design (Simon 1989), which among designs meeting these error "
        "constraints has the smallest expected sample size under H0",
        "minimax": "Simon\u2019s minimax two-stage design (Simon 1989), which among designs meeting these error "
        "constraints has the smallest maximum sample size",
        "admissible": "an admissible two-stage design (Jung et al. 2004), a compromise between the optimal and the "
        "minimax design",
    }.get(kind or "", "a Simon two-stage design (Simon 1989)")
    text = (
        f"The trial uses {why}. In stage 1, {d.n1} evaluable patients are treated. If {d.r1} or fewer of them respond, "
        f"the trial stops for futility and the drug is declared not promising. Otherwise {d.n2} further evaluable "
        f"patients are treated, {d.n} in total, and the drug is declared promising if more than {d.r} of the {d.n} "
        f"patients respond (at least {d.r + 1} responses)."
    )
    if design_cfg.get("pause_after_stage1", True):
        text += " Accrual is suspended after stage 1 until every stage-1 patient has been assessed for response."
    out.append(Paragraph(text, "Design and decision rules"))

    # --- operating characteristics ----------------------------------------------
    if p0 is not None:
        text = (
            f"The exact probability of declaring the drug promising is {float(d.p_reject(p0)):.4f} when the true "
            f"response rate is p0 = {p0:g} (attained type I error)"
        )
        if p1 is not None:
            text += f" and {float(d.p_reject(p1)):.4f} when it is p1 = {p1:g} (attained power)"
        text += (
            f". Under H0 the probability of early termination after stage 1 is PET(p0) = {float(d.pet(p0)):.4f} "
            f"and the expected number of evaluable patients is E(N | p0) = {float(d.en(p0)):.2f}"
        )
        if p1 is not None:
            text += f"; under H1 they are {float(d.pet(p1)):.4f} and {float(d.en(p1)):.2f}"
        text += "."
        sims = []
        for label, p, names in (("H0", p0, _NULL), ("H1", p1, _ALT)):
            s = _scenario_at(result, p, names)
            est = None if s is None else s.metrics.get("p_promising")
            if est is not None:
                sims.append(f"{est.value:.3f} (SE {est.se:.4f}) under {label}")
        if sims:
            text += (
                " In the patient-level simulation, which includes non-evaluable patients, toxicity and accrual as "
                "specified below, the probability of declaring the drug promising was " + " and ".join(sims) + "."
            )
        out.append(Paragraph(text, "Operating characteristics"))

    # --- accrual and duration ----------------------------------------------------
    text = " ".join(t for t in (_treatment_text(cfg), _accrual_text(cfg)) if t)
    dur = []
    for label, p, names in (("H0", p0, _NULL), ("H1", p1, _ALT)):
        s = _scenario_at(result, p, names)
        if s is None:
            continue
        m = s.metrics
        med, lo, hi = m.get("duration_median_months"), m.get("duration_p10_months"), m.get("duration_p90_months")
        enrolled = m.get("en_enrolled")
        if med is None:
            continue
        what = "the median duration of the trial is " if not dur else "it is "
        bit = f"under {label} (scenario {s.name}) {what}{med.value:.1f} months"
        if lo is not None and hi is not None:
            bit += f" (10th\u201390th percentile {lo.value:.1f}\u2013{hi.value:.1f} months)"
        if enrolled is not None:
            bit += f" and {enrolled.value:.1f} patients are enrolled on average"
        dur.append(bit)
    if dur:
        text += " At this accrual, " + "; ".join(dur) + ", counting from the first enrolment to the final analysis."
    if text.strip():
        out.append(Paragraph(text.strip(), "Accrual and expected duration"))

    # --- evaluability ------------------------------------------------------------
    ev = cfg.get("evaluability") or {}
    bits = []
    if ev.get("withdrawal_per_cycle"):
        bits.append(f"A probability of {ev['withdrawal_per_cycle']:g} per cycle of leaving the study for other reasons is assumed.")
    if ev.get("replace_non_evaluable"):
        cap = ev.get("max_enrolled")
        bits.append(
            "Patients who are not evaluable for response are replaced"
            + (f", up to {cap} patients enrolled in total." if cap else ".")
        )
    elif cfg:
        bits.append("Patients who are not evaluable for response are not replaced.")
    if bits:
        out.append(Paragraph(" ".join(bits), "Evaluability"))

    # --- toxicity ----------------------------------------------------------------
    out.append(Paragraph(_tox_text(cfg, result), "Toxicity monitoring"))

    # --- simulation --------------------------------------------------------------
    n_exact, off = z_agreement(result)
    text = (
        f"The operating characteristics were checked by simulating {result.n_sim:,} trials per scenario at "
        f"patient level ({len(result.scenarios)} scenarios; simtrial {result.version}, seed {result.seed}), "
        "with accrual, response assessment, toxicity, dose modification and survival as specified above. "
        "Simulated probabilities are reported with their Monte Carlo standard errors."
    )
    if n_exact:
        if off:
            text += (
                f" Of {n_exact} simulated quantities with an exact binomial counterpart, {len(off)} lie more than "
                f"{_AGREE_Z:g} standard errors from it: {', '.join(off)}."
            )
        else:
            text += (
                f" All {n_exact} simulated quantities that have an exact binomial counterpart lie within "
                f"{_AGREE_Z:g} Monte Carlo standard errors of it."
            )
    out.append(Paragraph(text, "Simulation"))

    # --- analysis ----------------------------------------------------------------
    out.append(
        Paragraph(
            "The response rate will be estimated by the uniformly minimum variance unbiased estimator for two-stage "
            "designs (Jung and Kim 2004), with the p-value and the exact two-sided 95% confidence interval based on "
            "the stage-wise ordering of outcomes (Koyama and Chen 2008); the naive binomial estimate and "
            "Clopper\u2013Pearson interval, which ignore the two-stage design, are reported alongside.",
            "Analysis",
        )
    )
    return out
