"""Binomial probability tables for the design search, built once per search.

Rows are built by the recurrence ``b(k; m, p) = (1-p) b(k; m-1, p) + p b(k-1; m-1, p)``:
every entry is a sum of non-negative terms, so relative accuracy stays near
machine precision even far in the tails (no ``1 - cdf`` cancellation).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

#: Total probability below which a tail of a binomial row is left out of the
#: batched sums of :meth:`BinomTable.reject_many`. Each sum drops at most two
#: such tails, so its error from truncation is below 2e-14, far inside the
#: band (1e-11) within which the search re-checks a batched value term by term.
TAIL_EPS = 1e-14


class BinomTable:
    """``pmf[m, k] = P(Bin(m, p) = k)`` and ``sf[m, k] = P(Bin(m, p) > k)`` for 0 <= k, m <= size.

    Entries with ``k > m`` are 0. The table grows on demand (:meth:`ensure`);
    rows already built never change when it grows.

    Besides the tables themselves it keeps, for every row ``m``, the range
    ``head[m] <= k <= tail[m]`` outside which the row's probabilities sum to at
    most :data:`TAIL_EPS` on each side, which lets :meth:`reject_many` skip
    the negligible terms of its sums.
    """

    def __init__(self, p: float, size: int) -> None:
        self.p = float(p)
        self.size = -1
        self.pmf = np.zeros((0, 0))
        self.sf = np.zeros((0, 0))
        self.cdf = np.zeros((0, 0))
        self.ensure(size)

    def ensure(self, size: int, *, cap: int | None = None) -> None:
        """Make sure rows ``0..size`` exist.

        The table grows to at least twice its size, so growth is amortised,
        but never beyond ``cap`` (when given) unless ``size`` itself is larger.
        Only the new rows are computed; rows already built keep their values.
        """
        if size <= self.size:
            return
        old = self.size
        size = max(size, 2 * old) if cap is None else max(size, min(2 * old, cap))
        w = size + 1
        p, q = self.p, 1.0 - self.p
        pmf = np.zeros((w, w))
        cdf = np.empty((w, w))
        sf = np.zeros((w, w))
        head = np.empty(w, dtype=np.int64)
        tail = np.empty(w, dtype=np.int64)
        if old >= 0:
            # Row m depends on row m - 1 only, and a row's cumulative sums do
            # not depend on the table's width (it only adds zeros): keep the
            # rows already built, extending cdf rows with their last value.
            k = old + 1
            pmf[:k, :k] = self.pmf
            cdf[:k, :k] = self.cdf
            cdf[:k, k:] = self.cdf[:, -1:]
            sf[:k, :k] = self.sf
            head[:k], tail[:k] = self.head, self.tail
        else:
            pmf[0, 0] = 1.0
        for m in range(max(old, 0) + 1, w):
            prev = pmf[m - 1, :m]
            row = pmf[m]
            np.multiply(prev, q, out=row[:m])
            row[1 : m + 1] += p * prev
        new = slice(old + 1, w)
        c = np.cumsum(pmf[new], axis=1)
        np.minimum(c, 1.0, out=c)
        cdf[new] = c
        # Upper tail as a reversed cumulative sum of the pmf (not 1 - cdf),
        # so small tail probabilities keep their relative precision.
        sf[new, :-1] = np.cumsum(pmf[new, :0:-1], axis=1)[:, ::-1]
        # Negligible tails of each row: below head[m] the lower tail mass is
        # at most TAIL_EPS (cdf is non-decreasing along a row), above tail[m]
        # the upper tail mass is (sf is non-increasing).
        head[new] = (cdf[new] <= TAIL_EPS).sum(axis=1)
        tail[new] = (sf[new] > TAIL_EPS).sum(axis=1)
        self._store(pmf, cdf, sf, head, tail)

    def _store(self, pmf: np.ndarray, cdf: np.ndarray, sf: np.ndarray, head: np.ndarray, tail: np.ndarray) -> None:
        """Keep the tables inside zero-padded buffers that reject_many reads windows from.

        Each pmf and sf row sits between ``pad`` zeros on either side, so a
        window that runs past either end of a row reads zeros: ``b(x1) = 0``
        for ``x1 < 0`` and ``P(X2 > k) = 0`` for ``k < 0`` (stage-1 counts
        above ``r``, which the sums must leave out). The sf buffer is stored
        back to front so that a window running *down* a sf row is contiguous.
        ``pad`` exceeds the widest non-negligible span of a row, the longest
        window reject_many ever reads.
        """
        size = pmf.shape[0] - 1
        w = size + 1
        pad = int((tail - head).max()) + 2
        stride = w + 2 * pad
        pmf_buf = np.zeros((w, stride))
        pmf_buf[:, pad : pad + w] = pmf
        sf_rev = np.zeros(w * stride)
        sf_buf = sf_rev[::-1].reshape(w, stride)  # a view: writes land in sf_rev
        sf_buf[:, pad : pad + w] = sf
        self.pmf, self.cdf, self.sf, self.size = pmf_buf[:, pad : pad + w], cdf, sf_buf[:, pad : pad + w], size
        self.head, self.tail = head, tail
        self._pad, self._stride = pad, stride
        self._pmf_flat, self._sf_rev = pmf_buf.ravel(), sf_rev
        self._window_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def reject(self, n1: int, r1: int, n2: int, r: int) -> float:
        """``P(X1 > r1 and X1 + X2 > r)`` for ``X1 ~ Bin(n1, p)``, ``X2 ~ Bin(n2, p)``, ``r >= r1``.

        Every term, summed left to right (increasing ``x1``): the reference
        that :meth:`reject_many` is checked against, and the numbers the
        search reports.
        """
        # Stage-1 counts above r are promising whatever stage 2 gives; counts in
        # (r1, r] need more than r - x1 stage-2 responses.
        if r >= n1:
            base = 0.0
            terms = self.pmf[n1, r1 + 1 : n1 + 1] * self.sf[n2, r - n1 : r - r1][::-1]
        else:
            base = float(self.sf[n1, r])
            terms = self.pmf[n1, r1 + 1 : r + 1] * self.sf[n2, 0 : r - r1][::-1]
        # A cumulative sum adds strictly in order, so the value does not
        # depend on how a BLAS library would split a dot product.
        return base + (float(np.cumsum(terms)[-1]) if terms.size else 0.0)

    def reject_many(self, n1: np.ndarray, r1: np.ndarray, n2: np.ndarray, r: np.ndarray) -> np.ndarray:
        """:meth:`reject` for many ``(n1, r1, n2, r)`` at once (1-D integer arrays of one length).

        Two exact forms of ``P(X1 > r1, X > r)``, with ``S(k) = P(X2 > k)``::

            P(X1 > r) + sum over r1 < x1 <= r of b(x1; n1) S(r - x1)     (direct)
            P(X > r)  - sum over x1 <= r1     of b(x1; n1) S(r - x1)     (complement)

        Each pair uses the one with the shorter sum after leaving out the
        ``x1`` where ``b(x1; n1)`` or ``S(r - x1)`` lies in a negligible tail
        (:data:`TAIL_EPS`). All sums of a batch read windows of one width:
        a direct window starts at its first term and may run past its last
        one, a complement window ends at ``x1 = r1`` and may start before its
        first one; the extra entries are zeros (the padding of the buffers)
        or further true terms of the same sum. The result therefore differs
        from :meth:`reject` by less than 2e-14 plus rounding (about 1e-16);
        callers that compare it with a threshold re-check near ties with
        :meth:`reject`. Needs ``n2 >= 1``, ``n1 + n2 <= size`` and
        ``r1 <= r <= n1 + n2``.
        """
        if n1.size == 0:
            return np.zeros(0)
        head_n1, tail_n2 = self.head[n1], self.tail[n2]
        low = np.maximum(head_n1, r - tail_n2)
        # Direct: r1 < x1 <= min(r, n1, tail[n1]); windows start at most at
        # r + 1, where S is already the zero padding.
        lo_d = np.minimum(np.maximum(low, r1 + 1), r + 1)
        len_d = np.minimum(np.minimum(r, n1), self.tail[n1]) - lo_d + 1
        # Complement: low <= x1 <= r1.
        len_c = r1 - low + 1
        comp = len_c < len_d
        width = int(np.where(comp, len_c, len_d).max())
        base = np.where(comp, self.sf[n1 + n2, r], self.sf[n1, r])
        if width <= 0:
            return base
        start = np.where(comp, r1 - width + 1, lo_d)
        # Window i: b(start_i + j; n1_i) and S(r_i - start_i - j), j < width.
        pmf_win, sf_win = self._windows(width)
        stride, pad = self._stride, self._pad
        a = pmf_win[n1 * stride + pad + start]
        b = sf_win[self._sf_rev.size - 1 - (n2 * stride + pad + r - start)]
        dot = np.einsum("ij,ij->i", a, b)
        return base + np.where(comp, -dot, dot)

    def _windows(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Views of the two buffers as every window of ``width`` consecutive entries (cached)."""
        views = self._window_cache.get(width)
        if views is None:
            views = tuple(
                as_strided(buf, shape=(buf.size - width + 1, width), strides=(buf.itemsize, buf.itemsize))
                for buf in (self._pmf_flat, self._sf_rev)
            )
            self._window_cache[width] = views
        return views


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
