"""The ziggurat exponential: its tables (exact tier) and its distribution (Monte Carlo tier)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pysim import exponential_of, output, replicate_seed
from simtrial.engine import _rng
from simtrial.engine._rng import V_ARRIVAL, draw, exponential_from
from simtrial.engine._rng import replicate_seed as engine_seed

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
def _draw(key, n, values, slow):
    """Exponentials of patients 0 .. n-1 (arrival variable) of replicate 0, and whether each took a rare path."""
    seed = engine_seed(key, 0)
    for k in range(n):
        x = draw(seed, k, V_ARRIVAL)
        values[k] = exponential_from(x)
        idx = np.int64(x >> np.uint64(64 - 10))
        u = np.int64((x << np.uint64(10)) >> np.uint64(11))
        slow[k] = u >= _rng.ZIG_KE[idx]


def test_distribution_and_rare_paths(seed):
    n = 4_000_000
    values = np.empty(n)
    slow = np.empty(n, dtype=np.bool_)
    _draw(np.uint64(seed), n, values, slow)
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
    # The first number is accepted at once with the probability the tables give.
    p_slow = 1.0 - float(np.mean(_rng.ZIG_KE / M53))
    assert abs(slow.mean() - p_slow) <= 4.0 * math.sqrt(p_slow * (1 - p_slow) / n)


def test_matches_the_pure_python_ziggurat(seed):
    s = replicate_seed(int(seed), 3)
    xs = [output(s, k, V_ARRIVAL) for k in range(50_000)]
    got = [exponential_from(np.uint64(x)) for x in xs]
    want = [exponential_of(x) for x in xs]
    assert got == want
