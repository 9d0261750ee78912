"""Double programming: the engine and an independent pure-Python simulator
(tests/engine/pysim.py), fed the same random streams, give identical
per-replicate records."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from pysim import PySim, Stream
from test_paths import LEAN_EDGES
from simtrial.engine import simulate
from simtrial.engine._rng import double_of, next_double, next_u53, next_u64, scenario_key, seed_stream, step, u53_of
from simtrial.engine.pack import TWO53, threshold
from simtrial.model import load_config, parse_config

# Corners the shipped configs do not reach: more cycles than the linear
# first-event search handles (bisection), toxicity certain in cycle 1 at the
# starting dose and certain at every level (no draw at reduced levels), a cap
# on toxic events, holds in which patients die, non-integer doses, a closed
# accrual piece, an accrual cap and a Weibull shape below 1.
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
                  # The joint response-toxicity draw at its ends.
                  {"name": "never_responds", "p_response": 0.0, "p_tox": 0.3},
                  {"name": "always_responds_no_tox", "p_response": 1.0, "p_tox": 0.0}],
}
CONFIGS = ["configs/binomial.yaml", "configs/len_dex.yaml", "configs/cytotoxic_monitored.yaml",
           "benchmarks/reference.yaml", "edge", "lean_edges"]
N_REP = 1000  # per scenario; 18 scenarios in all, every model feature and both kernel paths exercised


def test_stream_matches_engine_rng(seed):
    state = np.empty(2, dtype=np.uint64)
    key = scenario_key(seed, 3)
    seed_stream(state, key, 12345)
    py = Stream(int(key), 12345)
    assert [next_double(state) for _ in range(1000)] == [py.uniform() for _ in range(1000)]


@njit
def _register_draws(state, n):
    """n outputs (and their u53 / double) of the two-value stream, as the kernels draw them."""
    out = np.empty(n, dtype=np.uint64)
    u53 = np.empty(n, dtype=np.int64)
    dbl = np.empty(n, dtype=np.float64)
    s0 = state[0]
    s1 = state[1]
    for i in range(n):
        x, s0, s1 = step(s0, s1)
        out[i] = x
        u53[i] = u53_of(x)
        dbl[i] = double_of(x)
    state[0] = s0
    state[1] = s1
    return out, u53, dbl


def test_register_stream_matches_array_stream(seed):
    """The kernels' two-value stream steps through the same sequence as next_u64."""
    start = np.empty(2, dtype=np.uint64)
    seed_stream(start, scenario_key(seed, 1), 77)
    reg = start.copy()
    out, u53, dbl = _register_draws(reg, 500)
    a, b, c = start.copy(), start.copy(), start.copy()
    assert out.tolist() == [int(next_u64(a)) for _ in range(500)]
    assert u53.tolist() == [int(next_u53(b)) for _ in range(500)]
    assert dbl.tolist() == [next_double(c) for _ in range(500)]
    assert np.array_equal(reg, a)


@pytest.mark.parametrize("q", [0.0, 2.0**-53, 0.1, 1.0 / 3.0, 0.5, 0.7, 1.0 - 2.0**-53, 1.0])
def test_integer_threshold_is_the_float_comparison(q):
    """u53 < ceil(q 2**53) exactly when u53 * 2**-53 < q, checked at the boundary."""
    t = threshold(q)
    assert 0 <= t <= TWO53
    for u in {max(t - 2, 0), max(t - 1, 0), t, min(t + 1, TWO53 - 1), 0, TWO53 - 1}:
        assert (u < t) == (u * 2.0**-53 < q)


@pytest.mark.parametrize("path", CONFIGS)
def test_engine_equals_independent_simulator(path, seed):
    cfg = {"edge": lambda: parse_config(EDGE), "lean_edges": lambda: parse_config(LEAN_EDGES)}.get(
        path, lambda: load_config(path))()
    res = simulate(cfg, n_sim=N_REP, seed=seed, threads=2, replicates=True)
    reps = res.replicates
    for i, sc in enumerate(cfg.scenarios):
        expected = PySim(cfg, res.design, i).run(scenario_key(seed, i), N_REP)
        got = reps[reps.scenario == sc.name].reset_index(drop=True)
        assert len(got) == N_REP
        for field in expected[0]:
            want = np.array([float(r[field]) for r in expected])
            have = got[field].to_numpy(dtype=np.float64)
            # Bit-identical, not approximately equal.
            assert np.array_equal(want, have), f"{path} {sc.name} {field}"
        # The comparison is not vacuous: outcomes vary across replicates.
        assert got["enrolled"].nunique() > 1
