"""Binomial probability tables for the design search, built once per search.

Rows are built by the recurrence ``b(k; m, p) = (1-p) b(k; m-1, p) + p b(k-1; m-1, p)``:
every entry is a sum of non-negative terms, so relative accuracy stays near
machine precision even far in the tails (no ``1 - cdf`` cancellation).
"""

from __future__ import annotations

import math

import numpy as np


class BinomTable:
    """``pmf[m, k] = P(Bin(m, p) = k)`` and ``sf[m, k] = P(Bin(m, p) > k)`` for 0 <= k, m <= size.

    Entries with ``k > m`` are 0. The table grows on demand (:meth:`ensure`).
    """

    def __init__(self, p: float, size: int) -> None:
        self.p = float(p)
        self.size = -1
        self.pmf = np.zeros((0, 0))
        self.sf = np.zeros((0, 0))
        self.cdf = np.zeros((0, 0))
        self.ensure(size)

    def ensure(self, size: int) -> None:
        """Make sure rows ``0..size`` exist (doubling, so growth is amortised)."""
        if size <= self.size:
            return
        size = max(size, 2 * self.size)
        p, q = self.p, 1.0 - self.p
        pmf = np.zeros((size + 1, size + 1))
        pmf[0, 0] = 1.0
        for m in range(1, size + 1):
            prev = pmf[m - 1, :m]
            pmf[m, :m] = q * prev
            pmf[m, 1 : m + 1] += p * prev
        cdf = np.cumsum(pmf, axis=1)
        # Upper tail as a reversed cumulative sum of the pmf (not 1 - cdf),
        # so small tail probabilities keep their relative precision.
        sf = np.zeros_like(pmf)
        sf[:, :-1] = np.cumsum(pmf[:, :0:-1], axis=1)[:, ::-1]
        self.pmf, self.cdf, self.sf, self.size = pmf, np.minimum(cdf, 1.0), sf, size


def binom_pmf_rows(n: int, p: np.ndarray) -> np.ndarray:
    """``P(Bin(n, p) = k)`` for k = 0..n, for every p: shape ``p.shape + (n + 1,)``.

    Computed as ``exp(log C(n, k) + k log p + (n - k) log(1 - p))`` with the
    log-binomial coefficients from ``math.lgamma``; relative error is a few
    ulps of the exponent (about 1e-13 for n in the thousands), and p = 0 or 1
    give the exact point masses. Used instead of ``scipy.stats.binom`` so that
    exact operating characteristics do not pay scipy.stats' import time.
    """
    p = np.asarray(p, dtype=float)
    k = np.arange(n + 1, dtype=float)
    lg = np.array([math.lgamma(i + 1.0) for i in range(n + 1)])
    log_comb = lg[n] - lg - lg[::-1]
    pp = p[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = log_comb + k * np.log(pp) + (n - k) * np.log1p(-pp)
    pmf = np.exp(log_pmf)
    # 0 * log(0) is nan above: fix the point masses at p = 0 and p = 1.
    pmf = np.where(pp == 0.0, (k == 0).astype(float), pmf)
    pmf = np.where(pp == 1.0, (k == n).astype(float), pmf)
    return pmf


def binom_cdf(x: int, n: int, p: np.ndarray) -> np.ndarray:
    """``P(Bin(n, p) <= x)`` (0 for x < 0, 1 for x >= n)."""
    p = np.asarray(p, dtype=float)
    if x < 0:
        return np.zeros_like(p)
    if x >= n:
        return np.ones_like(p)
    return np.minimum(binom_pmf_rows(n, p)[..., : x + 1].sum(axis=-1), 1.0)


def binom_sf_rows(n: int, p: np.ndarray) -> np.ndarray:
    """``P(Bin(n, p) > k)`` for k = 0..n, as a reversed cumulative sum (no ``1 - cdf`` cancellation)."""
    pmf = binom_pmf_rows(n, p)
    sf = np.zeros_like(pmf)
    sf[..., :-1] = np.cumsum(pmf[..., :0:-1], axis=-1)[..., ::-1]
    return np.minimum(sf, 1.0)
