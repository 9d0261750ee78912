"""The guided first-event lookup gives exactly the threshold count, for every u: the least k with u < F(k)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from simtrial.engine._patients import (
    BIG_CYCLES,
    EV_GUIDE,
    EV_THR,
    GUIDE_N,
    GUIDE_SHIFT,
    TWO53,
    _first_event,
    first_event_cdf,
    first_event_table,
)

# (p in cycle 1, p in later cycles, cycles): the usual case; thresholds
# crowded into one guide bucket (few and many cycles, so both fallbacks run);
# equal thresholds; certain and impossible events; thresholds at 2**53.
CASES = [
    (0.3, 0.3, 6),
    (0.1, 0.05, 40),
    (1e-6, 1e-6, 6),
    (1e-9, 1e-9, 40),
    (0.5, 0.0, 6),
    (1.0, 0.2, 6),
    (0.0, 0.0, 6),
    (0.9, 0.999999, 12),
    (0.02, 0.02, 1),
]


@njit(cache=True)
def _lookup_x(x, table, max_c):
    out = np.empty(x.size, dtype=np.int64)
    for i in range(x.size):
        out[i] = _first_event(x[i], table, 0, 0, max_c)
    return out


def _lookup_all(u, table, max_c):
    """Look up generator outputs whose top 53 bits are ``u``: the lowest 11 bits must not matter.

    Each ``u`` is looked up three times, with its low bits all clear, all
    set and random; the three answers must agree.
    """
    rng = np.random.default_rng(3)
    hi = u.astype(np.uint64) << np.uint64(11)
    lows = (np.zeros(u.size, np.uint64), np.full(u.size, 2047, np.uint64),
            rng.integers(0, 2048, u.size).astype(np.uint64))
    got = [_lookup_x(hi | low, table, max_c) for low in lows]
    np.testing.assert_array_equal(got[1], got[0])
    np.testing.assert_array_equal(got[2], got[0])
    return got[0]


def _probe_points(thr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random u53 values, every threshold and its neighbours, and every bucket edge."""
    edges = np.arange(GUIDE_N, dtype=np.int64) << GUIDE_SHIFT
    near = np.concatenate([thr - 1, thr, thr + 1, edges - 1, edges, edges + 1])
    u = np.concatenate([rng.integers(0, TWO53, 200_000, dtype=np.int64), near])
    return u[(u >= 0) & (u < TWO53)]


@pytest.mark.parametrize("p_first, p_later, max_c", CASES)
def test_guided_lookup_equals_count(p_first, p_later, max_c):
    table = first_event_table(first_event_cdf(p_first, p_later, max_c))
    thr = table[EV_THR:]
    u = _probe_points(thr[1:], np.random.default_rng(7))
    expect = 1 + (u[:, None] >= thr[None, 1:]).sum(axis=1)
    got = _lookup_all(u, table[None, None, :], max_c)
    np.testing.assert_array_equal(got, np.where(expect <= max_c, expect, BIG_CYCLES))


def test_guide_marks_crowded_buckets_only():
    # Thresholds 1e-6 apart all fall in bucket 0: it alone is marked.
    table = first_event_table(first_event_cdf(1e-6, 1e-6, 6))
    guide = table[EV_GUIDE:EV_GUIDE + GUIDE_N]
    assert guide[0] == -1
    assert np.all(guide[1:] == 7)
    # Evenly spread thresholds: no bucket is marked, and the guide is the
    # cycle at the bucket's start.
    table = first_event_table(first_event_cdf(0.3, 0.3, 6))
    guide = table[EV_GUIDE:EV_GUIDE + GUIDE_N]
    assert guide.min() >= 1
    assert guide[0] == 1 and guide[-1] == 7
