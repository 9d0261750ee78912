"""The search's binomial tables against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simtrial.design._binom import TAIL_EPS, BinomTable


def test_tables_match_scipy_including_tails() -> None:
    t = BinomTable(0.3, 400)
    m = np.arange(t.size + 1)[:, None]
    k = np.arange(t.size + 1)[None, :]
    pmf = stats.binom.pmf(k, m, 0.3)
    sf = stats.binom.sf(k, m, 0.3)
    assert np.allclose(t.pmf, pmf, rtol=1e-11, atol=0)
    # Upper tails keep relative accuracy where 1 - cdf would lose it: compare
    # entries down to 1e-250 relatively (tolerance: recurrence rounding grows ~ m * eps).
    big = sf > 1e-250
    assert np.allclose(t.sf[big], sf[big], rtol=1e-11, atol=0)
    assert np.allclose(t.cdf, stats.binom.cdf(k, m, 0.3), rtol=0, atol=1e-13)


def test_growth_keeps_rows_identical() -> None:
    small = BinomTable(0.1, 50)
    rows = small.pmf[:51, :51].copy()
    small.ensure(300)
    assert small.size >= 300
    assert np.array_equal(small.pmf[:51, :51], rows)


def _reject_scipy(p: float, n1: int, r1: int, n2: int, r: int) -> float:
    """P(X1 > r1, X1 + X2 > r) summed term by term with scipy (independent of the tables)."""
    x1 = np.arange(r1 + 1, n1 + 1)
    return float(np.sum(stats.binom.pmf(x1, n1, p) * stats.binom.sf(r - x1, n2, p)))


def _random_quadruples(rng: np.random.Generator, size: int, count: int) -> tuple[np.ndarray, ...]:
    n1 = rng.integers(1, size, count)
    n2 = rng.integers(1, size - n1 + 1)
    r1 = rng.integers(0, n1)
    r = r1 + rng.integers(0, n1 + n2 - r1)
    return n1, r1, n2, r


def test_reject_matches_scipy_sum(seed) -> None:
    t = BinomTable(0.35, 300)
    rng = np.random.default_rng(seed)
    for n1, r1, n2, r in zip(*_random_quadruples(rng, 300, 300), strict=True):
        # Tolerance: both sides are sums of a few hundred rounded terms <= 1.
        assert t.reject(int(n1), int(r1), int(n2), int(r)) == pytest.approx(
            _reject_scipy(0.35, int(n1), int(r1), int(n2), int(r)), abs=1e-13
        )


@pytest.mark.parametrize("p", [0.03, 0.3, 0.5, 0.9])
def test_reject_many_matches_term_by_term(p, seed) -> None:
    t = BinomTable(p, 500)
    rng = np.random.default_rng(seed)
    n1, r1, n2, r = _random_quadruples(rng, 500, 4000)
    # Pairs near the centre of the distributions, where both the direct and
    # the complement form are chosen (uniform pairs are mostly far in a tail).
    m1 = rng.integers(10, 300, 2000)
    m2 = rng.integers(1, 200, 2000)
    c1 = np.clip(np.round(m1 * p + rng.normal(0, 3, 2000) * np.sqrt(m1 * p * (1 - p))), 0, m1 - 1).astype(np.int64)
    c = np.clip(np.round((m1 + m2) * p + rng.normal(0, 2, 2000) * np.sqrt((m1 + m2) * p * (1 - p))), 0, None)
    c = np.minimum(np.maximum(c.astype(np.int64), c1), m1 + m2 - 1)
    n1, r1, n2, r = (np.concatenate(z) for z in ((n1, m1), (r1, c1), (n2, m2), (r, c)))
    got = t.reject_many(n1, r1, n2, r)
    want = np.array([t.reject(*map(int, q)) for q in zip(n1, r1, n2, r, strict=True)])
    # Documented bound: truncated tails below 2e-14 plus rounding of the sums.
    assert np.max(np.abs(got - want)) < 5e-14
    assert t.reject_many(n1[:0], r1[:0], n2[:0], r[:0]).shape == (0,)


def test_tail_ranges_bound_the_neglected_mass() -> None:
    t = BinomTable(0.3, 400)
    m = np.arange(t.size + 1)
    below = np.array([t.pmf[i, : t.head[i]].sum() for i in m])
    above = np.array([t.pmf[i, t.tail[i] + 1 :].sum() for i in m])
    assert below.max() <= TAIL_EPS and above.max() <= TAIL_EPS
    # The ranges are the tightest such: one step further in holds more than TAIL_EPS.
    assert np.all(t.cdf[m, t.head] > TAIL_EPS)
    has_tail = t.tail >= 1
    assert np.all(t.sf[m[has_tail], t.tail[has_tail] - 1] > TAIL_EPS)


def test_growth_equals_fresh_table_and_respects_cap() -> None:
    grown = BinomTable(0.25, 40)
    grown.ensure(100, cap=90)  # the requested size wins over a smaller cap
    assert grown.size == 100
    grown.ensure(101, cap=150)  # doubling stops at the cap
    assert grown.size == 150
    fresh = BinomTable(0.25, 150)
    for name in ("pmf", "cdf", "sf", "head", "tail"):
        assert np.array_equal(getattr(grown, name), getattr(fresh, name)), name
