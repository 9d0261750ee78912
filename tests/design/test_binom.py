"""The search's binomial tables against scipy."""

from __future__ import annotations

import numpy as np
from scipy import stats

from simtrial.design._binom import BinomTable


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
