"""The search's binomial tables against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simtrial.design._binom import TAIL_EPS, BinomTable


@pytest.mark.parametrize("p", [0.02, 0.3, 0.5, 0.97])
def test_tables_match_scipy_including_tails(p) -> None:
    t = BinomTable(p, 400)
    m = np.arange(t.size + 1)[:, None]
    k = np.arange(-2, t.size + 3)[None, :]
    pmf, cdf, sf = stats.binom.pmf(k, m, p), stats.binom.cdf(k, m, p), stats.binom.sf(k, m, p)
    band = (k >= t.k_lo[: t.size + 1, None]) & (k <= t.k_hi[: t.size + 1, None])
    # Within its band every entry keeps its relative precision (product chains of
    # a few hundred factors: ~1e-13); outside it the table holds 0.
    assert np.allclose(t.pmf_at(m, k)[band], pmf[band], rtol=1e-11, atol=0)
    assert np.all(t.pmf_at(m, k)[~band] == 0.0)
    # What the band leaves out is at most 1e-20 on either side (Chernoff).
    assert np.all(stats.binom.cdf(t.k_lo[: t.size + 1] - 1, m[:, 0], p) <= 1e-20)
    assert np.all(stats.binom.sf(t.k_hi[: t.size + 1], m[:, 0], p) <= 1e-20)
    # Upper tails summed from the top keep relative accuracy where 1 - cdf
    # would lose it, down to the 1e-20 the band leaves out.
    assert np.all(np.abs(t.sf_at(m, k) - sf) <= 1e-11 * sf + 2e-20)
    assert np.allclose(t.cdf_at(m, k), cdf, rtol=0, atol=1e-13)


def test_growth_equals_fresh_table() -> None:
    grown = BinomTable(0.25, 40)
    rows = grown.pmf_at(np.arange(41)[:, None], np.arange(41)[None, :]).copy()
    for size in (45, 100, 333, 700):  # in place, then past the allocated capacity
        grown.ensure(size)
    assert grown.size == 700
    m = np.arange(701)[:, None]
    k = np.arange(-3, 705)[None, :]
    assert np.array_equal(grown.pmf_at(m[:41], np.arange(41)[None, :]), rows)
    fresh = BinomTable(0.25, 700)
    for name in ("pmf_at", "cdf_at", "sf_at"):
        assert np.array_equal(getattr(grown, name)(m, k), getattr(fresh, name)(m, k)), name
    for name in ("head", "tail", "lo"):
        assert np.array_equal(getattr(grown, name)[:701], getattr(fresh, name)[:701]), name


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
    # Documented bound: left-out and rounded-to-one tails below 3e-14 plus rounding of the sums.
    assert np.max(np.abs(got - want)) < 5e-14
    assert t.reject_many(n1[:0], r1[:0], n2[:0], r[:0]).shape == (0,)


@pytest.mark.parametrize("p", [0.03, 0.5, 0.9])
def test_reject_each_sums_every_term_in_order(p, seed) -> None:
    # The definition, pair by pair: the band's terms b(x1; n1) P(X2 > r - x1) for r1 < x1 <= r,
    # added left to right onto P(X1 > r); reject_each must give it to the last bit.
    t = BinomTable(p, 500)
    rng = np.random.default_rng(seed)
    n1, r1, n2, r = _random_quadruples(rng, 500, 3000)
    want = []
    for a, b, c, d in zip(n1.tolist(), r1.tolist(), n2.tolist(), r.tolist(), strict=True):
        x1 = np.arange(max(b + 1, int(t.k_lo[a])), min(d, int(t.k_hi[a])) + 1)
        total = float(t.sf_at(a, d))
        if x1.size:
            total += float(np.cumsum(t.pmf_at(a, x1) * t.sf_at(c, d - x1))[-1])
        want.append(total)
    assert np.array_equal(t.reject_each(n1, r1, n2, r), np.array(want))
    assert t.reject_each(n1[:0], r1[:0], n2[:0], r[:0]).shape == (0,)
    assert t.reject(int(n1[0]), int(r1[0]), int(n2[0]), int(r[0])) == want[0]


def test_tail_ranges_bound_the_neglected_mass() -> None:
    t = BinomTable(0.3, 400)
    m = np.arange(t.size + 1)
    k = np.arange(t.size + 1)
    pmf = t.pmf_at(m[:, None], k[None, :])
    below = np.array([pmf[i, : t.head[i]].sum() for i in m])
    above = np.array([pmf[i, t.tail[i] + 1 :].sum() for i in m])
    assert below.max() <= TAIL_EPS and above.max() <= TAIL_EPS
    # The ranges are the tightest such: one step further in holds more than TAIL_EPS.
    assert np.all(t.cdf_at(m, t.head[m]) > TAIL_EPS)
    has_tail = t.tail[m] >= 1
    assert np.all(t.sf_at(m[has_tail], t.tail[m][has_tail] - 1) > TAIL_EPS)


def test_memory_grows_with_the_band_not_the_square() -> None:
    t = BinomTable(0.5, 2000)
    # Every row fits in the band of the widest one, about 20 standard deviations.
    assert t.width < 25 * np.sqrt(2000 * 0.25)
    assert t.pmf_b.shape[1] == t.width
