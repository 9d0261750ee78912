"""The "Statistical considerations" text of a protocol, written from a design and a simulation.

Every number in the text is computed here from the design's exact decision
table or from the simulation's estimates, never typed in, so the text stays
true to the run it describes. It states every assumption of the patient
model and flags, in words, every simulated type I error above its target
and every power below it, and says which causes move the simulated values
away from the exact binomial ones.
"""

from __future__ import annotations

import math
from typing import Any

from simtrial.engine.outcomes import agreement_se
from simtrial.plots._style import DAYS_PER_MONTH
from simtrial.plots.design import design_hypotheses
from simtrial.report.document import Paragraph

__all__ = ["statistical_considerations", "REFERENCES", "z_agreement", "target_flags"]

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


def _scenario_at(result: Any, p: float | None, names: tuple[str, ...], design: str | None = None) -> Any:
    """The scenario whose true response rate is ``p`` (preferring the conventional names)."""
    if p is None:
        return None
    units = result.scenarios if design is None else result.for_design(design)
    matches = [s for s in units if abs(float(s.truth.get("p_response", -1)) - p) < 1e-12]
    for s in matches:
        if s.name.lower() in names:
            return s
    return matches[0] if matches else None


def z_agreement(result: Any) -> tuple[int, list[str]]:
    """Number of simulated metrics with an exact value, and those more than 4 SE away from it."""
    n, off = 0, []
    many = len(result.designs) > 1
    for s in result.units:
        where = f"{s.design}/{s.name}" if many else s.name
        for k, e in s.metrics.items():
            if e.exact is None:
                continue
            n += 1
            se = agreement_se(k, e.se, e.exact, result.n_sim)
            if not se > 0:
                # Zero SE: the simulated value must equal the exact one (e.g. PET = 0 or 1).
                if e.value != e.exact:
                    off.append(f"{where}/{k}")
                continue
            z = (e.value - e.exact) / se
            if abs(z) > _AGREE_Z:
                off.append(f"{where}/{k} (z = {z:.1f})")
    return n, off


def _targets(result: Any) -> tuple[float | None, float | None]:
    """``(alpha, beta)`` the primary design was chosen for, when known."""
    d = result.design
    block = (result.config or {}).get("design") or {}
    alpha = d.targets.get("alpha", block.get("alpha"))
    beta = d.targets.get("beta", block.get("beta"))
    return alpha, beta


def target_flags(result: Any) -> list[str]:
    """Sentences flagging a simulated type I error above its target or a power below it.

    The target is the design's ``alpha`` / ``1 - beta`` when the config gives
    them, else the exact attained value of the binomial design.
    """
    p0, p1 = design_hypotheses(result.config or {})
    alpha, beta = _targets(result)
    out = []
    for dz in result.designs:
        tab = dz.table
        named = f" for design {dz.name}" if len(result.designs) > 1 else ""
        for label, p, names, is_null in (("H0", p0, _NULL, True), ("H1", p1, _ALT, False)):
            s = _scenario_at(result, p, names, dz.name)
            if s is None:
                continue
            est = s.metrics["p_promising"]
            exact = float(tab.oc(p).p_reject[0])
            if is_null:
                target, what = (alpha, f"target type I error of {alpha:g}") if alpha is not None else \
                    (exact, f"exact attained type I error of {exact:.4f}")
                bad = est.value > target
                verb = "exceeds"
            else:
                goal = None if beta is None else 1.0 - beta
                target, what = (goal, f"target power of {goal:g}") if goal is not None else \
                    (exact, f"exact attained power of {exact:.4f}")
                bad = est.value < target
                verb = "falls short of"
            if not bad:
                continue
            z = abs(est.value - target) / est.se if est.se > 0 else float("inf")
            sig = "beyond Monte Carlo error" if z > _AGREE_Z else "within Monte Carlo error"
            out.append(f"Under {label} (scenario {s.name}){named} the simulated probability of declaring the drug "
                       f"promising, {est.value:.3f} (SE {est.se:.4f}), {verb} the {what} "
                       f"({z:.1f} standard errors, {sig}).")
    return out


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


def _rule_of(result: Any) -> dict[str, Any] | None:
    """The primary design's toxicity rule block, if any."""
    cfg = result.config or {}
    blocks = [cfg["design"]] if cfg.get("design") else list(cfg.get("designs") or [])
    for b in blocks:
        if b.get("name", result.design.name) == result.design.name or len(blocks) == 1:
            return b.get("toxicity_stop")
    return None


def _tox_text(cfg: dict[str, Any], result: Any) -> str:
    tox = cfg.get("toxicity") or {}
    tr = cfg.get("treatment") or {}
    rule = _rule_of(result)
    out = []
    if rule:
        a, b = rule.get("prior", (1.0, 1.0))
        every = rule.get("every", 1)
        who = "each patient" if every == 1 else f"every {every} patients"
        out.append(
            f"Toxicity is monitored continuously: after {who}, once the outcome of "
            f"{_cycles(rule.get('window_cycles', 1))} of treatment is known for all patients enrolled so far, the "
            f"trial stops for excessive toxicity if the posterior probability that the rate of grade \u2265 3 toxicity "
            f"exceeds {_pct(rule['threshold'])} is greater than {rule['posterior_bound']:g}, under a Beta({a:g}, {b:g}) "
            "prior."
        )
        mon = result.design.monitor
        if mon is not None and mon.looks:
            pairs = ", ".join(f"{b_} of {m}" for m, b_ in list(zip(mon.looks, mon.bounds))[:6])
            out.append(f"Equivalently, the trial stops with at least {pairs} patients with toxicity"
                       + (" (and so on)." if len(mon.looks) > 6 else "."))
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


def _design_text(result: Any, search: Any) -> str:
    d = result.design
    tab = d.table
    kind = d.kind
    if search is not None and d.simon is not None:
        kind = ("optimal" if d.simon == search.optimal.design else "minimax" if d.simon == search.minimax.design
                else "admissible" if any(d.simon == a.design for a in search.admissible) else kind)
    if d.simon is not None:
        s = d.simon
        why = {
            "optimal": "Simon\u2019s optimal two-stage design (Simon 1989), which among designs meeting these error "
            "constraints has the smallest expected sample size under H0",
            "minimax": "Simon\u2019s minimax two-stage design (Simon 1989), which among designs meeting these error "
            "constraints has the smallest maximum sample size",
            "admissible": "an admissible two-stage design (Jung et al. 2004), a compromise between the optimal and the "
            "minimax design",
        }.get(kind or "", "a Simon two-stage design (Simon 1989)")
        text = (
            f"The trial uses {why}. In stage 1, {s.n1} evaluable patients are treated. If {s.r1} or fewer of them "
            f"respond, the trial stops for futility and the drug is declared not promising. Otherwise {s.n2} further "
            f"evaluable patients are treated, {s.n} in total, and the drug is declared promising if more than {s.r} "
            f"of the {s.n} patients respond (at least {s.r + 1} responses)."
        )
        if d.pause:
            text += " Accrual is suspended after stage 1 until every stage-1 patient has been assessed for response."
        else:
            text += (" Accrual continues while the stage-1 patients are assessed; patients enrolled before a stop "
                     "are treated and counted in the safety summaries but not in the decision.")
        return text
    family = {"table": "a multistage design"}.get(d.family, f"a {d.family} design")
    looks = ", ".join(str(n) for n in tab.looks)
    text = (f"The trial uses {family}{f' ({kind})' if kind else ''} with analyses after {looks} evaluable patients. "
            + " ".join(tab.describe()))
    if tab.n_looks > 1:
        text += (" Accrual is suspended at each interim analysis until its patients have been assessed."
                 if d.pause else " Accrual continues during the interim analyses.")
    return text


def _difference_text(result: Any, label: str, p: float, s: Any) -> str:
    """Which causes move the simulated P(promising) under scenario ``s`` away from the exact binomial value."""
    from simtrial.engine.patients import effective_response_rates
    from simtrial.model import parse_config

    d = result.design
    m = s.metrics
    exact = float(d.table.oc(p).p_reject[0])
    cfg = parse_config(result.config)
    rates = {r.scenario: r for r in effective_response_rates(cfg, seed=result.seed)}
    r = rates[s.name]
    bits = [f"Under {label} the exact binomial probability of declaring the drug promising is {exact:.4f}; "
            f"the simulated value is {m['p_promising'].value:.4f} (SE {m['p_promising'].se:.4f})."]
    replaced = cfg.evaluability.replace_non_evaluable
    seen = "evaluable patients respond" if replaced else "each counted patient is an evaluable responder"
    if abs(r.rate - p) > 4 * r.se:
        bits.append(f"In this patient model {_pct(1 - r.p_evaluable)} of patients are not evaluable and {seen} with "
                    f"probability {r.rate:.3f} (SE {r.se:.4f}), not {p:g}; at that rate the exact value would be "
                    f"{float(d.table.oc(r.rate).p_reject[0]):.4f} (the evaluable patients are "
                    f"{'enriched for' if r.rate > p else 'depleted of'} responders).")
    early = m["p_promising_early"].value
    if early > 0:
        bits.append(f"{early:.4f} of the simulated trials were declared promising when the accrual cap ended them "
                    "with the responses already above the final bound; they did not complete the design.")
    lost = [f"{m[k].value:.4f} {what}" for k, what in (("p_stop_tox", "stopped for toxicity"),
                                                         ("p_stop_accrual", "ended at the accrual cap undetermined"))
            if m[k].value > 0]
    if lost:
        bits.append("Trials that could otherwise have been declared promising are lost to the rest: "
                    + " and ".join(lost) + ".")
    return " ".join(bits)


def _assumptions_text(cfg: dict[str, Any], result: Any) -> str:
    out = []
    k = (cfg.get("response") or {}).get("assess_after_cycles", 1)
    out.append(f"Each patient responds with the scenario's response probability, assessed at the end of cycle {k}.")
    surv = cfg.get("survival")
    if surv:
        shape = surv.get("shape", 1.0)
        dist = "exponential" if surv.get("distribution", "exponential") == "exponential" else f"Weibull (shape {shape:g})"
        meds = [f"{s.name}: {_months(s.truth['os_median_days'])}" for s in result.scenarios if "os_median_days" in s.truth]
        text = (f"Overall survival from enrolment is {dist} with a median of {_months(surv['median'])} for "
                f"non-responders")
        hr = surv.get("hr_responders", 1.0)
        text += (f"; responders have a hazard ratio of {hr:g} relative to non-responders" if hr != 1.0
                 else " and responders alike")
        if meds:
            text += f" (scenario medians: {', '.join(meds)})"
        out.append(text + "; death ends treatment, and a patient who dies before the assessment is not evaluable.")
    else:
        out.append("Deaths are not modelled.")
    tox = cfg.get("toxicity") or {}
    p_tox = ", ".join(f"{s.name} {s.truth.get('p_tox', 0):g}" for s in result.scenarios)
    text = (f"A grade \u2265 3 toxicity occurs in each cycle with the scenario's probability at full dose ({p_tox})")
    if tox.get("cycle1_factor", 1.0) != 1.0:
        text += f", multiplied by {tox['cycle1_factor']:g} in cycle 1"
    if tox.get("on_event", "reduce") == "reduce" and tox.get("dose_exponent", 1.0) != 0.0:
        text += f", and at a reduced dose in proportion to (dose / starting dose)^{tox.get('dose_exponent', 1.0):g}"
    out.append(text + "; a toxicity is counted at the end of its cycle.")
    ev = cfg.get("evaluability") or {}
    text = (f"A patient is evaluable when still on treatment at the end of cycle {k}: alive, not withdrawn at the end "
            f"of cycle {k} or earlier, and treatment not ended by toxicity before then")
    if ev.get("withdrawal_per_cycle"):
        text += f"; withdrawal for other reasons has probability {ev['withdrawal_per_cycle']:g} at the end of each cycle"
    out.append(text + ".")
    if ev.get("replace_non_evaluable"):
        out.append("A non-evaluable patient is replaced: a new slot opens when the non-evaluability is known, and "
                   "the next arrival after it enrols" + (f", up to {ev['max_enrolled']} patients in all." if
                                                         ev.get("max_enrolled") else "."))
    else:
        out.append("Non-evaluable patients are not replaced; they count as non-responders at the look.")
    out.append("Arrivals follow a Poisson process at the stated rates; when the accrual cap ends accrual before the "
               "decision, the trial ends when the last enrolled patient's outcome is known (or at the cap, if later) "
               "and counts as promising determined early if its responses already exceed the final bound, otherwise "
               "as undetermined. Patients on treatment when a trial stops complete their treatment and are counted in "
               "the toxicity, death and dose summaries. A toxicity stop at the same time as an analysis takes "
               "precedence. The complete model rules are listed in the simtrial documentation (\u201cModel rules\u201d).")
    return " ".join(out)


def _comparison_text(result: Any) -> str | None:
    if len(result.designs) < 2:
        return None
    p0, p1 = design_hypotheses(result.config or {})
    names = ", ".join(f"{d.name} ({d.label})" for d in result.designs)
    text = [f"The designs {names} were simulated on the same patients (common random numbers), so their "
            "differences carry paired Monte Carlo standard errors."]
    for label, p, names_ in (("H0", p0, _NULL), ("H1", p1, _ALT)):
        s = _scenario_at(result, p, names_)
        if s is None:
            continue
        for diff in result.differences:
            if diff.between == "designs" and diff.within == s.name and diff.metric == "en_enrolled":
                text.append(f"Under {label} design {diff.a} enrols {diff.value:+.2f} patients on average relative to "
                            f"{diff.b} (paired SE {diff.se:.3f}; {diff.se_independent:.3f} for independent runs).")
    return " ".join(text)


def statistical_considerations(result: Any, search: Any = None) -> list[Paragraph]:
    """Protocol text for a simulated design.

    Parameters
    ----------
    result : SimulationResult
    search : SimonSearchResult, optional
        When given, the text names a Simon design's kind (optimal / minimax).

    Returns
    -------
    list of Paragraph
        Titled paragraphs: endpoint and hypotheses, design, operating
        characteristics, terminal outcomes, accrual and duration, patient
        model and assumptions, toxicity monitoring, designs compared,
        simulation, analysis.
    """
    cfg = result.config or {}
    d = result.design
    tab = d.table
    p0, p1 = design_hypotheses(cfg)
    alpha, beta = _targets(result)
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
    out.append(Paragraph(_design_text(result, search), "Design and decision rules"))

    # --- operating characteristics ----------------------------------------------
    if p0 is not None:
        oc0 = tab.oc(p0)
        text = (
            f"The exact probability of declaring the drug promising is {float(oc0.p_reject[0]):.4f} when the true "
            f"response rate is p0 = {p0:g} (attained type I error)"
        )
        if p1 is not None:
            text += f" and {float(tab.oc(p1).p_reject[0]):.4f} when it is p1 = {p1:g} (attained power)"
        text += (
            f". Under H0 the probability of early termination for futility is PET(p0) = {float(oc0.pet[0]):.4f} "
            f"and the expected number of evaluable patients is E(N | p0) = {float(oc0.en[0]):.2f}"
        )
        if p1 is not None:
            oc1 = tab.oc(p1)
            text += f"; under H1 they are {float(oc1.pet[0]):.4f} and {float(oc1.en[0]):.2f}"
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
        flags = target_flags(result)
        text += " " + (" ".join(flags) if flags else "No simulated type I error exceeds its target and no simulated "
                       "power falls short of its target.")
        out.append(Paragraph(text, "Operating characteristics"))
        why = []
        for label, p, names in (("H0", p0, _NULL), ("H1", p1, _ALT)):
            s = _scenario_at(result, p, names)
            if s is not None and s.metrics["p_promising"].exact is None:
                why.append(_difference_text(result, label, p, s))
        if why:
            out.append(Paragraph(" ".join(why), "Why the simulated values differ from the exact ones"))

    # --- terminal outcomes -------------------------------------------------------
    rows = []
    for s in result.scenarios:
        m = s.metrics
        rows.append(f"under scenario {s.name}, {m['p_promising_completed'].value:.3f} promising after the final "
                    f"analysis, {m['p_promising_early'].value:.3f} promising determined early at the accrual cap, "
                    f"{m['pet'].value:.3f} stopped for futility, {m['p_not_promising'].value:.3f} not promising at the "
                    f"final analysis, {m['p_stop_tox'].value:.3f} stopped for toxicity and "
                    f"{m['p_stop_accrual'].value:.3f} ended at the accrual cap undetermined"
                    + (f" ({m['p_promising_interim'].value:.3f} stopped early for efficacy)" if tab.has_efficacy else ""))
    out.append(Paragraph("Every simulated trial ends in exactly one of these outcomes: " + "; ".join(rows) + ".",
                         "Terminal outcomes"))

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
        text += " At this accrual, " + "; ".join(dur) + ", counting from the opening of accrual to the final decision."
    if text.strip():
        out.append(Paragraph(text.strip(), "Accrual and expected duration"))

    out.append(Paragraph(_assumptions_text(cfg, result), "Patient model and assumptions"))
    out.append(Paragraph(_tox_text(cfg, result), "Toxicity monitoring"))
    comparison = _comparison_text(result)
    if comparison:
        out.append(Paragraph(comparison, "Designs compared on the same patients"))

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
            "The response rate will be estimated by the uniformly minimum variance unbiased estimator for multistage "
            "designs (Jung and Kim 2004), with the p-value and the exact two-sided 95% confidence interval based on "
            "the stage-wise ordering of outcomes (Koyama and Chen 2008); the naive binomial estimate and "
            "Clopper\u2013Pearson interval, which ignore the interim analyses, are reported alongside.",
            "Analysis",
        )
    )
    return out
