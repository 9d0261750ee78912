"""The ziggurat exponential: its tables (exact tier) and its distribution (Monte Carlo tier)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pysim import Stream
from simtrial.engine import _rng
from simtrial.engine._rng import exponential_of, next_exponential, seed_stream, step

M53 = 2.0**53


def _edges() -> np.ndarray:
    """Right edges x_0..x_{L-1} of the layers, from the tables' widths."""
    return _rng.ZIG_WE * M53


def test_layers_have_equal_area_and_match_the_density():
    x = _edges()
    f = _rng.ZIG_FE
    v, r, n = _rng.ZIG_V, _rng.ZIG_R, _rng.ZIG_LAYERS
    assert len(x) == len(f) == len(_rng.ZIG_KE) == n
    assert x[n - 1] == r
    for i in range(1, n):
        # fe is the density at the layer's right edge (fe[0] = f(0) = 1, the top).
        assert abs(f[i] - math.exp(-x[i])) <= 1e-15
    assert f[0] == 1.0
    # Every layer i >= 1 is a rectangle [0, x_i] x [f(x_i), f(x_{i-1})] of area V ...
    for i in range(2, n):
        assert abs(x[i] * (f[i - 1] - f[i]) - v) <= 1e-12 * v
    # The top layer (reaching f(0) = 1) is what the recursion's L - 2 steps from R
    # leaves; with R and V given to about 17 digits and 1 - f(x_1) losing 4
    # bits to cancellation, its area is V to about 1e-12 only.
    assert abs(x[1] * (1.0 - f[1]) - v) <= 1e-11 * v
    # ... and the base strip, [0, R] x [0, f(R)] plus the tail beyond R, has area V too.
    assert abs(r * math.exp(-r) + math.exp(-r) - v) <= 1e-12 * v
    assert abs(x[0] * math.exp(-r) - v) <= 1e-12 * v


def test_acceptance_thresholds_are_the_inner_corners():
    x = _edges()
    ke = _rng.ZIG_KE
    assert ke[1] == 0  # the top layer has no inner rectangle
    assert ke[0] == int(_rng.ZIG_R / x[0] * M53)
    for i in range(2, _rng.ZIG_LAYERS):
        assert ke[i] == int(x[i - 1] / x[i] * M53)
        assert 0 < ke[i] < 2**53
    # The share of variates accepted at once, as the module documents it.
    assert round(float(np.mean(ke / M53)), 4) == 0.9936


@njit(cache=True)
def _draw(key, n, values, draws):
    state = np.empty(2, dtype=np.uint64)
    seed_stream(state, key, 0)
    s0 = state[0]
    s1 = state[1]
    for i in range(n):
        x, t0, t1 = step(s0, s1)
        e, t0, t1 = exponential_of(x, t0, t1)
        # draws of this variate: steps from (s0, s1) to (t0, t1)
        k = 1
        a0, a1 = step(s0, s1)[1:]
        while a0 != t0 or a1 != t1:
            a0, a1 = step(a0, a1)[1:]
            k += 1
        values[i] = e
        draws[i] = k
        s0 = t0
        s1 = t1


def test_distribution_and_draw_count(seed):
    n = 4_000_000
    values = np.empty(n)
    draws = np.empty(n, dtype=np.int64)
    _draw(np.uint64(seed), n, values, draws)
    # Mean 1 and variance 1.
    assert abs(values.mean() - 1.0) <= 4.0 / math.sqrt(n)
    assert abs(values.var() - 1.0) <= 4.0 * math.sqrt(8.0 / n)  # var of (X - 1)^2 is 8
    # Probabilities of 20 equiprobable bins, the tail beyond R and the layers' wedges.
    cuts = -np.log1p(-np.arange(1, 20) / 20.0)
    counts = np.bincount(np.searchsorted(cuts, values), minlength=20)
    se = math.sqrt(0.05 * 0.95 / n)
    assert np.all(np.abs(counts / n - 0.05) <= 4.0 * se)
    p_tail = math.exp(-_rng.ZIG_R)
    assert abs((values > _rng.ZIG_R).mean() - p_tail) <= 4.0 * math.sqrt(p_tail / n)
    # Draws: each attempt uses one number and one more on a rare path; attempts
    # are geometric with success 1 / (L V), the ziggurat's area being L V.
    p_slow = 1.0 - float(np.mean(_rng.ZIG_KE / M53))
    expected = _rng.ZIG_LAYERS * _rng.ZIG_V * (1.0 + p_slow)
    assert abs(draws.mean() - expected) <= 4.0 * draws.std() / math.sqrt(n)
    assert draws.min() == 1


def test_matches_the_pure_python_ziggurat(seed):
    state = np.empty(2, dtype=np.uint64)
    seed_stream(state, np.uint64(seed), 3)
    py = Stream(seed, 3)
    got = [next_exponential(state, 1.0) for _ in range(20_000)]
    want = [py.exponential() for _ in range(20_000)]
    assert got == want
    assert py.draws > 20_000  # the rare paths were taken
    assert (int(state[0]), int(state[1])) == (py.s0, py.s1)
