"""Common random numbers: every design and scenario of a run sees the same patients.

* Scenarios are coupled: a response is ``u < p`` with the same ``u``, so on the binomial model a
  design's decision is monotone in ``p`` replicate by replicate.
* Designs on one cohort: the paired difference in E(N) between Simon's optimal and minimax designs
  agrees with the exact difference within 4 paired SE, and its paired SE is smaller than the SE of
  the difference of two independent runs.
* The paired SE the run reports is the one computed from the paired replicates.
* A scenario's records do not depend on which other scenarios run beside it, or in what order,
  also where consecutive scenarios share their patients' courses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from simtrial.design import SimonDesign
from simtrial.engine import simulate
from simtrial.engine._patients import S_SHARES_PREV, SHARE_NONE, SHARE_REFORM, SHARE_RESPONSE
from simtrial.engine.pack import pack_model
from simtrial.model import parse_config

P_GRID = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]


def _raw(path, **changes):
    with open(path) as fh:
        raw = yaml.safe_load(fh)
    raw.update(changes)
    return raw


def _binomial(**changes):
    return _raw("configs/binomial.yaml", **changes)


def test_decisions_are_monotone_in_p_replicate_by_replicate(seed):
    raw = _binomial(scenarios=[{"name": f"p{p}", "p_response": p} for p in P_GRID])
    res = simulate(parse_config(raw), n_sim=4000, seed=seed, threads=2, replicates=True)
    reps = res.replicates
    promising = np.stack([reps[reps.scenario == f"p{p}"]["promising"].to_numpy() for p in P_GRID])
    responses = np.stack([reps[reps.scenario == f"p{p}"]["evaluable"].to_numpy() for p in P_GRID])
    # Every replicate: once promising at some p, promising at every larger p.
    assert (np.diff(promising.astype(int), axis=0) >= 0).all()
    # Not vacuous: the decision changes along the grid in many replicates.
    assert promising[0].mean() < 0.05 and promising[-1].mean() > 0.95
    # Enrolment grows with p replicate by replicate too (fewer futility stops).
    assert (np.diff(responses, axis=0) >= 0).all()


@pytest.fixture(scope="module")
def two_designs():
    raw = _binomial(
        design=None,
        designs=[{"name": "optimal", "r1": 1, "n1": 10, "r": 5, "n": 29},
                 {"name": "minimax", "r1": 1, "n1": 15, "r": 5, "n": 25}],
        scenarios=[{"name": "p0", "p_response": 0.1}, {"name": "p1", "p_response": 0.3}],
    )
    del raw["design"]
    return parse_config(raw)


def test_paired_difference_between_designs_agrees_with_exact(two_designs, seed):
    n = 40_000
    res = simulate(two_designs, n_sim=n, seed=seed, threads=2, replicates=True)
    # Simon (1989), Table 1, p0 = 0.1, p1 = 0.3, alpha 0.05, beta 0.2: optimal 1/10, 5/29, minimax 1/15, 5/25.
    exact = SimonDesign(1, 10, 5, 29).en(0.1) - SimonDesign(1, 15, 5, 25).en(0.1)
    d = res.difference("en_enrolled", "optimal", "minimax", "p0")
    assert d.exact == pytest.approx(exact, abs=1e-10)
    assert abs(d.value - exact) <= 4 * d.se
    # Pairing helps: the paired SE is well below the SE of two independent runs.
    assert d.se < 0.8 * d.se_independent
    # The paired SE is the one the paired replicates give.
    reps = res.replicates[res.replicates.scenario == "p0"]
    diff = (reps[reps.design == "optimal"]["enrolled"].to_numpy()
            - reps[reps.design == "minimax"]["enrolled"].to_numpy())
    assert d.value == pytest.approx(diff.mean(), abs=1e-12)
    assert d.se == pytest.approx(diff.std(ddof=1) / math.sqrt(n), rel=1e-9)


def test_independent_runs_give_the_larger_se(two_designs, seed):
    """Two separate runs with different seeds: their difference's error is the independent SE, not the paired."""
    n = 40_000
    a = simulate(two_designs, n_sim=n, seed=seed, threads=2)
    b = simulate(two_designs, n_sim=n, seed=seed + 1, threads=2)
    ea, eb = a.scenario("p0", "optimal").metrics["en_enrolled"], b.scenario("p0", "minimax").metrics["en_enrolled"]
    independent = math.sqrt(ea.se**2 + eb.se**2)
    paired = a.difference("en_enrolled", "optimal", "minimax", "p0")
    assert paired.se_independent == pytest.approx(independent, rel=0.05)
    assert paired.se < independent


def test_neighbouring_scenarios_are_paired(seed):
    raw = _binomial(scenarios=[{"name": "a", "p_response": 0.30}, {"name": "b", "p_response": 0.32}])
    res = simulate(parse_config(raw), n_sim=20_000, seed=seed, threads=2, replicates=True)
    d = res.difference("p_promising", "a", "b", res.design.name)
    reps = res.replicates
    ya = reps[reps.scenario == "a"]["promising"].to_numpy(dtype=float)
    yb = reps[reps.scenario == "b"]["promising"].to_numpy(dtype=float)
    assert d.value == pytest.approx((ya - yb).mean(), abs=1e-12)
    assert d.se == pytest.approx((ya - yb).std(ddof=1) / math.sqrt(len(ya)), rel=1e-9)
    # Close scenarios share most decisions: the paired SE is a fraction of the independent one.
    assert d.se < 0.5 * d.se_independent
    exact = SimonDesign(3, 13, 12, 43).p_reject(0.30) - SimonDesign(3, 13, 12, 43).p_reject(0.32)
    assert abs(d.value - exact) <= 4 * d.se


# Scenarios that differ in the response rate alone keep the patients formed for the one before them
# and decide their response again; in len_dex survival depends on the response, so the courses of
# the patients whose response changes are formed again (SHARE_REFORM); in the reference model (with
# a third scenario between its two) nothing else changes (SHARE_RESPONSE).
SCENARIO_SETS = {
    "len_dex": ("configs/len_dex.yaml", None),
    "reference": ("benchmarks/reference.yaml", [{"name": "null", "p_response": 0.10, "p_tox": 0.15},
                                                {"name": "mid", "p_response": 0.20, "p_tox": 0.15},
                                                {"name": "alternative", "p_response": 0.30, "p_tox": 0.15}]),
}


@pytest.mark.parametrize("which", sorted(SCENARIO_SETS))
def test_scenario_records_do_not_depend_on_the_other_scenarios(seed, which):
    """A scenario's records are the same whichever scenarios run beside it, in whatever order."""
    path, scenarios = SCENARIO_SETS[which]
    scenarios = scenarios or _raw(path)["scenarios"]

    def records(order):
        cfg = parse_config(_raw(path, scenarios=[scenarios[i] for i in order]))
        reps = simulate(cfg, n_sim=3000, seed=seed, threads=1, replicates=True).replicates
        return {name: g.drop(columns="scenario").reset_index(drop=True) for name, g in reps.groupby("scenario")}

    together = records([0, 1, 2])
    cfg = parse_config(_raw(path, scenarios=scenarios))
    sharing = pack_model(cfg, 60, cfg.resolved_designs()).si[:, S_SHARES_PREV].tolist()
    mode = SHARE_RESPONSE if which == "reference" else SHARE_REFORM
    assert sharing == [SHARE_NONE, mode, mode]
    for order in ([1], [2, 1], [0, 2, 1]):
        for name, alone in records(order).items():
            assert alone.equals(together[name]), (order, name)
