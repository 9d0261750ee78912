"""The "Statistical considerations" text states the design's numbers, computed independently here."""

from __future__ import annotations

from math import comb

from simtrial.report import statistical_considerations
from simtrial.report.statistical import z_agreement


def _b(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


def _reject(r1: int, n1: int, r: int, n: int, p: float) -> float:
    n2 = n - n1
    return sum(_b(x1, n1, p) * sum(_b(x2, n2, p) for x2 in range(n2 + 1) if x1 + x2 > r) for x1 in range(r1 + 1, n1 + 1))


def _pet(r1: int, n1: int, p: float) -> float:
    return sum(_b(x, n1, p) for x in range(r1 + 1))


def _text(result) -> dict[str, str]:
    return {p.title: p.text for p in statistical_considerations(result)}


def test_len_dex_text_states_design_rules_and_exact_characteristics(len_dex_result):
    res = len_dex_result
    d = res.design.simon
    # Simon (1989), Table 1: optimal design for p0 = 0.10, p1 = 0.30, alpha 0.05, beta 0.20.
    assert (d.r1, d.n1, d.r, d.n) == (1, 10, 5, 29)
    t = _text(res)
    assert "H0: p \u2264 0.1" in t["Endpoint and hypotheses"]
    assert "H1: p \u2265 0.3" in t["Endpoint and hypotheses"]
    assert "type I error of at most 0.05 and power of at least 0.8" in t["Endpoint and hypotheses"]
    rules = t["Design and decision rules"]
    assert "Simon\u2019s optimal two-stage design" in rules
    for phrase in ("In stage 1, 10 evaluable patients", "If 1 or fewer of them respond", "Otherwise 19 further",
                   "more than 5 of the 29", "at least 6 responses", "Accrual is suspended after stage 1"):
        assert phrase in rules
    oc = t["Operating characteristics"]
    alpha, power = _reject(1, 10, 5, 29, 0.1), _reject(1, 10, 5, 29, 0.3)
    pet0 = _pet(1, 10, 0.1)
    assert f"is {alpha:.4f} when the true response rate is p0 = 0.1" in oc
    assert f"and {power:.4f} when it is p1 = 0.3" in oc
    assert f"PET(p0) = {pet0:.4f}" in oc
    # The simulated type I error is above the target alpha: flagged in words, with its SE.
    assert "exceeds the target type I error of 0.05" in oc
    assert f"E(N | p0) = {10 + (1 - pet0) * 19:.2f}" in oc
    null = res.scenario("null").metrics["p_promising"]
    assert f"{null.value:.3f} (SE {null.se:.4f}) under H0" in oc
    dur = t["Accrual and expected duration"]
    med = res.scenario("null").metrics["duration_median_months"].value
    assert f"median duration of the trial is {med:.1f} months" in dur
    assert "0.5 patients per month for the first 3 months, then 1 patient per month thereafter" in dur
    assert "lenalidomide 25 mg on days 1\u201321" in dur
    tox = t["Toxicity monitoring"]
    assert "exceeds 40% is greater than 0.9, under a Beta(1, 1) prior" in tox
    assert "lenalidomide 25 \u2192 15 \u2192 10 \u2192 5 mg" in tox
    assert "delayed by 7 days" in tox
    why = t["Why the simulated values differ from the exact ones"]
    assert "are not evaluable" in why and "enriched for responders" in why
    assert "did not complete the design" in why
    model = t["Patient model and assumptions"]
    for phrase in ("exponential with a median of 3.0 months", "hazard ratio of 0.5", "multiplied by 1.2 in cycle 1",
                   "probability 0.12 at the end of each cycle", "A non-evaluable patient is replaced", "Poisson",
                   "later of" if False else "or at the cap, if later", "Model rules"):
        assert phrase in model, phrase
    outcomes = t["Terminal outcomes"]
    m = res.scenario("alternative").metrics
    assert f"{m['p_promising_early'].value:.3f} promising determined early" in outcomes
    sim = t["Simulation"]
    assert f"simulating {res.n_sim:,} trials per scenario" in sim and f"seed {res.seed}" in sim
    assert "Koyama and Chen 2008" in t["Analysis"]


def test_binomial_text_reports_agreement_with_exact_values(binomial_result):
    n, off = z_agreement(binomial_result)
    assert n > 0
    sim = _text(binomial_result)["Simulation"]
    if off:
        assert f"{len(off)} lie more than 4 standard errors" in sim
    else:
        assert f"All {n} simulated quantities that have an exact binomial counterpart lie within 4" in sim
    # Hypotheses come from the null / alternative scenarios when the design block has no p0, p1.
    t = _text(binomial_result)
    assert "H0: p \u2264 0.2" in t["Endpoint and hypotheses"]
    assert f"is {_reject(3, 13, 12, 43, 0.2):.4f} when the true response rate is p0 = 0.2" in t["Operating characteristics"]
    assert "No formal stopping rule for toxicity" in t["Toxicity monitoring"]


def test_z_agreement_flags_a_value_far_from_exact(binomial_result):
    from dataclasses import replace

    from simtrial.engine.result import Estimate

    s0 = binomial_result.scenarios[0]
    est = s0.metrics["p_promising"]
    moved = dict(s0.metrics)
    from simtrial.engine.outcomes import agreement_se

    moved["p_promising"] = Estimate(est.exact + 5 * agreement_se("p_promising", est.se, est.exact,
                                                                 binomial_result.n_sim), est.se, est.exact)
    bad = replace(binomial_result, units=(replace(s0, metrics=moved), *binomial_result.units[1:]))
    n, off = z_agreement(bad)
    assert off == [f"{s0.name}/p_promising (z = 5.0)"]
