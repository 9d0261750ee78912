"""Every design family, simulated at patient level on the binomial model, agrees with its exact table.

On ``configs/three_stage.yaml`` (Chen's three-stage design, every patient evaluable) the simulated
P(promising), the futility stop at each look and E(N) lie within 4 Monte Carlo SE of the exact
decision-table values, and the run reports those exact values beside them. The same holds for a
design of each family run together on one cohort, and for Bryant & Day's joint design against the
exact bivariate-binomial values (response independent of a toxicity in cycle 1).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from simtrial.engine import simulate
from simtrial.engine.outcomes import agreement_se, itemise_looks, pet_look_key
from simtrial.model import load_config, parse_config

N_SIM = 40_000


def _within_4se(est, exact, key, n):
    assert est.exact == pytest.approx(exact, abs=1e-12), key
    se = agreement_se(key, est.se, exact, n)
    # 4 SE: a false alarm about once in 16,000 checks.
    assert abs(est.value - exact) <= 4 * se, (key, est.value, exact, se)


def test_three_stage_design_end_to_end(seed):
    cfg = load_config("configs/three_stage.yaml")
    res = simulate(cfg, n_sim=N_SIM, seed=seed, threads=2)
    tab = res.design.table
    assert tab.n_looks == 3 and res.design.family == "chen"
    for s in res.scenarios:
        oc = tab.oc(s.truth["p_response"])
        m = s.metrics
        _within_4se(m["p_promising"], float(oc.p_reject[0]), "p_promising", N_SIM)
        _within_4se(m["pet"], float(oc.pet[0]), "pet", N_SIM)
        for k in range(2):
            key = pet_look_key(k + 1)
            _within_4se(m[key], float(oc.futility[0, k]), key, N_SIM)
        _within_4se(m["en_evaluable"], float(oc.en[0]), "en_evaluable", N_SIM)
        _within_4se(m["en_enrolled"], float(oc.en[0]), "en_enrolled", N_SIM)
        # The outcomes partition the trials.
        cats = ("p_promising_completed", "p_promising_early", "pet", "p_not_promising", "p_stop_tox", "p_stop_accrual")
        assert sum(m[c].value for c in cats) == pytest.approx(1.0, abs=1e-12)


FAMILIES = [
    {"name": "simon", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2},
    {"name": "mander_thompson", "family": "mander-thompson", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2},
    {"name": "chen_minimax", "family": "chen", "kind": "minimax", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2},
    {"name": "fleming", "family": "fleming", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "looks": [15, 30]},
    {"name": "bop2", "family": "bop2", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "looks": [10, 20, 30]},
    {"name": "predictive", "family": "predictive", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2, "nmax": 30,
     "every": 5},
    {"name": "curtailed", "r1": 1, "n1": 10, "r": 5, "n": 29, "curtail": "futility"},
    {"name": "efficacy_table", "looks": [8, 16, 24], "futility": [0, 2, 4], "efficacy": [4, 6]},
]


def test_every_family_on_one_binomial_cohort(seed):
    raw = yaml.safe_load(open("configs/three_stage.yaml"))
    raw = copy.deepcopy(raw)
    del raw["design"]
    raw["designs"] = FAMILIES
    raw["scenarios"] = [{"name": "p0", "p_response": 0.1}, {"name": "p1", "p_response": 0.3}]
    res = simulate(parse_config(raw), n_sim=N_SIM, seed=seed, threads=2)
    seen_efficacy = False
    for dz in res.designs:
        for s in res.for_design(dz.name):
            oc = dz.table.oc(s.truth["p_response"])
            m = s.metrics
            _within_4se(m["p_promising"], float(oc.p_reject[0]), "p_promising", N_SIM)
            _within_4se(m["pet"], float(oc.pet[0]), "pet", N_SIM)
            if dz.table.has_efficacy:
                _within_4se(m["p_promising_interim"], float(oc.p_early_efficacy[0]), "p_promising_interim", N_SIM)
                seen_efficacy |= m["p_promising_interim"].value > 0
            if itemise_looks(dz.table.n_looks):
                for k in range(dz.table.n_looks - 1):
                    key = pet_look_key(k + 1)
                    _within_4se(m[key], float(oc.futility[0, k]), key, N_SIM)
            if dz.pause:
                _within_4se(m["en_evaluable"], float(oc.en[0]), "en_evaluable", N_SIM)
    assert seen_efficacy


def test_bryant_day_against_the_bivariate_binomial(seed):
    raw = yaml.safe_load(open("configs/three_stage.yaml"))
    raw = copy.deepcopy(raw)
    raw["design"] = {"family": "bryant-day", "p0": 0.1, "p1": 0.3, "q0": 0.3, "q1": 0.5, "alpha": 0.1, "beta": 0.2}
    raw["toxicity"] = {"on_event": "discontinue"}
    # A toxicity in cycle 1 (counted at its end, with the response assessment): q = p_tox, independent of response.
    raw["scenarios"] = [{"name": "ineffective_safe", "p_response": 0.1, "p_tox": 0.3},
                        {"name": "good", "p_response": 0.3, "p_tox": 0.3},
                        {"name": "effective_toxic", "p_response": 0.3, "p_tox": 0.5}]
    res = simulate(parse_config(raw), n_sim=N_SIM, seed=seed, threads=2)
    tab = res.design.table
    assert tab.is_joint
    for s in res.scenarios:
        oc = tab.oc(s.truth["p_response"], s.truth["p_tox"])
        m = s.metrics
        _within_4se(m["p_promising"], float(oc.p_reject[0]), "p_promising", N_SIM)
        _within_4se(m["p_stop_tox"], float(oc.toxicity[0].sum()), "p_stop_tox", N_SIM)
        _within_4se(m["pet"], float(oc.pet[0]), "pet", N_SIM)
        _within_4se(m["en_evaluable"], float(oc.en[0]), "en_evaluable", N_SIM)
    assert res.scenario("effective_toxic").metrics["p_stop_tox"].value > 0.3
