"""Binomial probability tables for the design search, built once per search.

Rows are built by the recurrence ``b(k; m, p) = (1-p) b(k; m-1, p) + p b(k-1; m-1, p)``:
every entry is a sum of non-negative terms, so relative accuracy stays near
machine precision even far in the tails (no ``1 - cdf`` cancellation).
"""

from __future__ import annotations

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
