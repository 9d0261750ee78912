"""Double programming: the engine and an independent pure-Python simulator written from the README's model
rules (tests/engine/pysim.py), fed the same counter-based draws, give identical per-replicate records, for
single designs and for several designs on one cohort."""

from __future__ import annotations

import numpy as np
import pytest

from pysim import CATEGORIES, PySim, exponential_of, output, replicate_seed, uniform_of
from simtrial.engine import simulate
from simtrial.engine._rng import draw, exponential_from, run_key
from simtrial.engine._rng import replicate_seed as engine_seed
from simtrial.engine.outcomes import OUTCOMES
from simtrial.model import load_config, parse_config

# Corners the shipped configs do not reach: more cycles than the linear
# first-event search handles (bisection), toxicity certain in cycle 1 at the
# starting dose and certain at every level (no draw at reduced levels), a cap
# on toxic events, holds in which patients die, non-integer doses, a closed
# accrual piece, an accrual cap, a Weibull shape below 1, no pause at the
# interim look and a toxicity rule.
EDGE = {
    "schema_version": 1,
    "name": "edge",
    "enrollment": {"rates": [{"per_month": 3.0, "duration": "1 month"}, {"per_month": 0.0, "duration": "1 month"},
                             {"per_month": 2.0}], "max_duration": "40 months"},
    "treatment": {"cycle_length": "14 days", "max_cycles": 24,
                  "drugs": [{"name": "a", "dose": 2.5, "days": [1, 2, 3, 9, 10], "reductions": [1.7, 0.9]}]},
    "toxicity": {"cycle1_factor": 2.0, "dose_exponent": 0.0, "on_event": "reduce", "hold": "5 days",
                 "max_events": 3},
    "response": {"assess_after_cycles": 3},
    "evaluability": {"withdrawal_per_cycle": 0.02, "replace_non_evaluable": True, "max_enrolled": 40},
    "survival": {"distribution": "weibull", "median": "100 days", "shape": 0.8, "hr_responders": 0.7},
    "design": {"r1": 1, "n1": 8, "r": 4, "n": 20, "pause_after_stage1": False,
               "toxicity_stop": {"threshold": 0.7, "posterior_bound": 0.95, "every": 4, "window_cycles": 2}},
    "scenarios": [{"name": "certain_cycle1", "p_response": 0.3, "p_tox": 0.6},
                  {"name": "always", "p_response": 0.5, "p_tox": 1.0},
                  {"name": "rare", "p_response": 0.2, "p_tox": 0.01},
                  {"name": "never_responds", "p_response": 0.0, "p_tox": 0.3},
                  {"name": "always_responds_no_tox", "p_response": 1.0, "p_tox": 0.0}],
}
# No replacement, toxicity that can make a patient non-evaluable, an accrual
# cap that ends some trials, withdrawal certain after cycle 3.
NO_REPLACEMENT = {
    "schema_version": 1, "name": "no_replacement",
    "enrollment": {"rates": [{"per_month": 3.0}], "max_duration": "11 months"},
    "treatment": {"cycle_length": "21 days", "max_cycles": 8, "drugs": [{"name": "a", "dose": 2.5, "days": [1, 8]}]},
    "toxicity": {"on_event": "discontinue", "cycle1_factor": 1.5},
    "response": {"assess_after_cycles": 2},
    "evaluability": {"replace_non_evaluable": False},
    "design": {"r1": 1, "n1": 10, "r": 5, "n": 29, "pause_after_stage1": False},
    "scenarios": [{"name": "low", "p_response": 0.1, "p_tox": 0.2}, {"name": "high", "p_response": 0.3, "p_tox": 0.05}],
}  # fmt: skip
# Several designs on one cohort: Simon optimal and minimax, a three-look table with an efficacy stop, and a
# joint response-toxicity table without a pause, with a toxicity rule and replacement.
SEVERAL = {
    "schema_version": 1, "name": "several",
    "enrollment": {"rates": [{"per_month": 1.0, "duration": "3 months"}, {"per_month": 2.5}],
                   "max_duration": "30 months"},
    "treatment": {"cycle_length": "28 days", "max_cycles": 4,
                  "drugs": [{"name": "a", "dose": 25, "days": "1-21", "reductions": [15, 10]}]},
    "toxicity": {"on_event": "reduce", "hold": "7 days"},
    "response": {"assess_after_cycles": 2},
    "evaluability": {"withdrawal_per_cycle": 0.05, "replace_non_evaluable": True},
    "survival": {"median": "8 months", "hr_responders": 0.6},
    "designs": [
        {"name": "optimal", "r1": 1, "n1": 10, "r": 5, "n": 29,
         "toxicity_stop": {"threshold": 0.5, "posterior_bound": 0.9, "every": 3}},
        {"name": "minimax", "r1": 1, "n1": 15, "r": 5, "n": 25, "pause_after_stage1": False,
         "toxicity_stop": {"threshold": 0.5, "posterior_bound": 0.9, "every": 3}},
        {"name": "three_looks", "looks": [8, 16, 24], "futility": [0, 2, 5], "efficacy": [4, 6]},
        {"name": "joint", "looks": [10, 25], "futility": [1, 5], "toxicity": [6, 12], "pause_after_stage1": False},
    ],
    "scenarios": [{"name": "null", "p_response": 0.1, "p_tox": 0.2}, {"name": "alt", "p_response": 0.3,
                                                                        "p_tox": 0.35}],
}  # fmt: skip
CONFIGS = ["configs/binomial.yaml", "configs/len_dex.yaml", "configs/cytotoxic_monitored.yaml",
           "benchmarks/reference.yaml", "edge", "no_replacement", "several"]
INLINE = {"edge": EDGE, "no_replacement": NO_REPLACEMENT, "several": SEVERAL}
N_REP = 400  # per scenario and design; every model feature exercised


def test_draws_match_engine(seed):
    """The counter-based draws and exponentials of the engine are the ones the rules define."""
    key = int(run_key(seed))
    for j in (0, 1, 12345):
        s_py = replicate_seed(key, j)
        assert int(engine_seed(np.uint64(key), j)) == s_py
        for k in (0, 1, 7, 1000):
            for v in range(16):
                x = int(draw(np.uint64(s_py), k, v))
                assert x == output(s_py, k, v)
                assert exponential_from(np.uint64(x)) == exponential_of(x)
                assert 0.0 <= uniform_of(x) < 1.0


def test_rejected_ziggurat_draws_match(seed):
    """Exponentials that need more than one number (about 0.6%) still agree."""
    s = replicate_seed(int(run_key(seed)), 3)
    seen = 0
    for k in range(20000):
        x = output(s, k, 0)
        layer, u = x >> 54, (x >> 1) & ((1 << 53) - 1)
        from simtrial.engine._rng import ZIG_KE

        if u >= int(ZIG_KE[layer]):
            seen += 1
            assert exponential_from(np.uint64(x)) == exponential_of(x)
    assert seen > 50


@pytest.mark.parametrize("path", CONFIGS)
def test_engine_equals_independent_simulator(path, seed):
    cfg = parse_config(INLINE[path]) if path in INLINE else load_config(path)
    res = simulate(cfg, n_sim=N_REP, seed=seed, threads=2, replicates=True)
    designs = cfg.resolved_designs()
    expected = PySim(cfg, designs).run(int(run_key(seed)), N_REP)
    reps = res.replicates
    for sc in cfg.scenarios:
        for dz in designs:
            want = [r for r in expected if r["scenario"] == sc.name and r["design"] == dz.name]
            got = reps[(reps.scenario == sc.name) & (reps.design == dz.name)].reset_index(drop=True)
            assert len(got) == len(want) == N_REP
            for o in OUTCOMES:
                if o.name == "category":
                    have = got["category"].astype(str).tolist()
                    assert have == [r["category"] for r in want], f"{path} {sc.name} {dz.name} category"
                    continue
                w = np.array([float(r[o.name]) for r in want])
                h = got[o.name].to_numpy(dtype=np.float64)
                # Bit-identical, not approximately equal.
                assert np.array_equal(w, h), f"{path} {sc.name} {dz.name} {o.name}"
            # The comparison is not vacuous: outcomes vary across replicates.
            assert got["enrolled"].nunique() > 1 or got["duration_days"].nunique() > 1


def test_several_designs_reach_every_category(seed):
    """The inline configs between them end trials in every terminal category."""
    seen = set()
    for name in INLINE:
        res = simulate(parse_config(INLINE[name]), n_sim=2000, seed=seed, threads=2, replicates=True)
        seen |= set(res.replicates["category"].astype(str))
    assert seen == set(CATEGORIES)
