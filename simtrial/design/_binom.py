"""Binomial probability tables for the design search, built once per search.

Each row ``m`` of a table keeps only the band of counts ``k`` where
``Bin(m, p)`` has any mass worth keeping: outside ``[k_lo[m], k_hi[m]]`` the
mass is at most ``1e-20`` on either side, by Chernoff's bound
``P(X >= k) <= exp(-m D(k/m || p))`` (and its mirror image). Within the
band the probabilities are built from the ratios
``b(k+1) / b(k) = (m - k) p / ((k + 1) (1 - p))``, multiplied up and
normalised to total 1, so every entry keeps its relative precision (about
1e-13) however small; upper tails are summed from the top (no ``1 - cdf``
cancellation). Memory and time grow as ``m`` times the band width (about
``20 sqrt(m p (1 - p))``), not ``m**2``.
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

#: Entries of the windows :meth:`BinomTable.reject_many` gathers at once (two float64 arrays of this
#: size, 256 KiB each: well inside a core's L2 cache).
_GATHER_BLOCK = 32768

#: Bytes of each temporary array while rows are computed (:meth:`BinomTable.ensure`): under glibc's
#: threshold for serving an allocation by a fresh mapping (128 KiB), so each chunk of rows reuses the
#: memory of the last instead of faulting in new pages. For (0.45, 0.5, 0.01, 0.05) in a fresh
#: process: 6,300-6,800 page faults instead of 21,300-21,800 with chunks of 128 rows, and the search
#: 0.540 s instead of 0.583 s (medians of 10 alternating runs).
_FILL_BYTES = 1 << 16

#: ``-log`` of the mass a table's band may leave out on each side of a row.
_BAND_LOG = math.log(1e20)


def _kl(a: np.ndarray, p: float) -> np.ndarray:
    """``D(a || p) = a log(a/p) + (1-a) log((1-a)/(1-p))`` for ``a`` in [0, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(a > 0, a * np.log(a / p), 0.0)
        right = np.where(a < 1, (1 - a) * np.log((1 - a) / (1 - p)), 0.0)
    return left + right


def _band(p: float, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``k_lo``, ``k_hi`` per row: the mass below ``k_lo`` and above ``k_hi`` is at most ``exp(-_BAND_LOG)`` each.

    ``k_hi`` is the smallest ``k >= m p`` with ``m D(k/m || p) >= _BAND_LOG``
    (``m`` if none), ``k_lo`` the largest ``k <= m p`` with it (0 if none):
    ``m D(k/m || p)`` grows as ``k`` moves away from ``m p``, so bisection finds them.
    """
    m = m.astype(np.int64)
    mf = np.maximum(m, 1).astype(float)

    def far(k: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return m[idx] * _kl(k / mf[idx], p) >= _BAND_LOG

    mean = m * p
    lo, hi = np.minimum(np.ceil(mean).astype(np.int64), m), m.copy()
    top_ok = far(hi)
    hi = np.where(top_ok, hi, m)
    act = np.flatnonzero(top_ok & (lo < hi))
    while act.size:
        mid = (lo[act] + hi[act]) // 2
        f = far(mid, act)
        hi[act[f]] = mid[f]
        lo[act[~f]] = mid[~f] + 1
        act = act[lo[act] < hi[act]]
    k_hi = np.where(top_ok, hi, m)
    lo, hi = np.zeros_like(m), np.maximum(np.floor(mean).astype(np.int64), 0)
    bottom_ok = far(lo)
    act = np.flatnonzero(bottom_ok & (lo < hi))
    while act.size:  # largest k in [0, floor(m p)] that is far: far(k) holds for k <= answer
        mid = (lo[act] + hi[act] + 1) // 2
        f = far(mid, act)
        lo[act[f]] = mid[f]
        hi[act[~f]] = mid[~f] - 1
        act = act[lo[act] < hi[act]]
    k_lo = np.where(bottom_ok, lo, 0)
    return k_lo, k_hi


class BinomTable:
    """Banded ``pmf``, ``cdf`` and ``sf = P(X > k)`` of ``Bin(m, p)`` for ``0 <= m <= size``.

    Row ``m`` stores the counts ``k = lo[m], ..., lo[m] + W - 1`` with
    ``lo[m] = k_lo[m] - 1``: one column below the band and at least one
    above it, which hold the values outside (``pmf`` 0, ``cdf`` 0 below and 1
    above, ``sf`` 1 below and 0 above; exact to 1e-20). Lookups
    (:meth:`pmf_at`, :meth:`cdf_at`, :meth:`sf_at`) clip to those columns,
    so any ``k``, negative or beyond ``m``, reads the right value.

    ``head[m] <= k <= tail[m]`` is the range outside which the row's mass
    is at most :data:`TAIL_EPS` on each side; :meth:`reject_many` skips the
    terms beyond it.

    Storage is allocated for more rows than asked for (doubling) and rows are
    filled in place as the table grows, so growing by a few rows costs those
    rows only. The pmf rows and the sf rows (reversed) live in flat buffers
    with ``2 W`` zeros at both ends, which :meth:`reject_many` reads windows
    from.
    """

    def __init__(self, p: float, size: int) -> None:
        self.p = float(p)
        self.size = -1
        self.capacity = -1
        self.width = 0
        self.ensure(size)

    def _allocate(self, capacity: int) -> None:
        """Room for rows ``0..capacity``, keeping the rows already built."""
        k_lo, k_hi = _band(self.p, np.arange(capacity + 1))
        width = max(int((k_hi - k_lo).max()) + 3, self.width)
        rows = capacity + 1
        # Each row: ``width`` zeros, then its band (the sf rows reversed), so
        # a window running up to ``width`` past either end of a band reads zeros.
        pad, stride = 2 * width, 2 * width
        pmf_flat = np.zeros(2 * pad + rows * stride)
        sf_rev_flat = np.zeros(2 * pad + rows * stride)
        pmf_b = pmf_flat[pad : pad + rows * stride].reshape(rows, stride)[:, width:]
        sf_rev = sf_rev_flat[pad : pad + rows * stride].reshape(rows, stride)[:, width:]
        cdf_b = np.ones((rows, width))
        lo, head, tail = (np.zeros(rows, dtype=np.int64) for _ in range(3))
        if self.size >= 0:
            k, w = self.size + 1, self.width
            pmf_b[:k, :w] = self.pmf_b[:k]
            cdf_b[:k, :w] = self.cdf_b[:k]
            cdf_b[:k, w:] = self.cdf_b[:k, -1:]
            sf_rev[:k, width - w :] = self.sf_b[:k, ::-1]
            lo[:k], head[:k], tail[:k] = self.lo[:k], self.head[:k], self.tail[:k]
        self._pmf_flat, self._sf_rev_flat = pmf_flat, sf_rev_flat
        self.pmf_b, self.sf_b, self.cdf_b = pmf_b, sf_rev[:, ::-1], cdf_b
        self._cdf_flat = cdf_b.reshape(-1)
        self.lo, self.head, self.tail = lo, head, tail
        self.k_lo, self.k_hi = k_lo, k_hi
        self.width, self.capacity = width, capacity
        self._window_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def reserve(self, capacity: int) -> None:
        """Allocate room for rows up to ``capacity`` now (rows are still computed only when asked for)."""
        if capacity > self.capacity:
            self._allocate(capacity)

    def ensure(self, size: int) -> None:
        """Make sure rows ``0..size`` exist.

        Every row depends on ``m`` and ``p`` only: only the new rows are
        computed, and rows already built keep their values.
        """
        if size <= self.size:
            return
        if size > self.capacity:
            self._allocate(max(size, 2 * self.capacity, 64))
        # In chunks of rows of similar band width (bands widen with m), each
        # computed with its own width: the columns beyond it keep the values
        # allocated for them (pmf 0, cdf 1, sf 0). Chunks are sized by _FILL_BYTES.
        step = max(8, _FILL_BYTES // (8 * self.width))
        for start in range(self.size + 1, size + 1, step):
            self._fill(np.arange(start, min(start + step, size + 1)))
        self.size = size

    def _fill(self, m: np.ndarray) -> None:
        """Compute rows ``m`` (consecutive) into the table."""
        k_lo, k_hi = self.k_lo[m], self.k_hi[m]
        width = int((k_hi - k_lo).max()) + 3
        lo = k_lo - 1
        j = np.arange(width)
        inside = (j >= 1) & (j[None, :] <= (k_hi - lo)[:, None])
        # b(k+1) / b(k) for k_lo <= k < k_hi, multiplied up from b(k_lo) = 1
        # (at most ~1e20 at the mode: no overflow), then normalised. Each
        # entry carries the rounding of one product chain: about (k - k_lo) ulps.
        k = lo[:, None] + j
        kk = np.maximum(k, 0)  # (k = -1 in the column below a band starting at 0)
        ratio = (m[:, None] - kk) * self.p / ((kk + 1.0) * (1.0 - self.p))
        ratio = np.where(inside & (k < k_hi[:, None]), ratio, 1.0)
        pmf = np.empty_like(ratio)
        pmf[:, 0] = 1.0
        np.cumprod(ratio[:, :-1], axis=1, out=pmf[:, 1:])
        pmf *= inside
        # Sequential sums (not pairwise): a row's values do not depend on how
        # many columns of zeros its batch carries, so growth equals a fresh table.
        cum = np.cumsum(pmf, axis=1)
        total = cum[:, -1:]
        pmf /= total
        # Beyond the band the cdf is 1 to within 1e-20: exactly 1, as the
        # allocated columns beyond a row's width hold.
        cdf = np.where(k > k_hi[:, None], 1.0, np.minimum(cum / total, 1.0))
        sf = np.zeros_like(pmf)
        sf[:, :-1] = np.minimum(np.cumsum(pmf[:, :0:-1], axis=1)[:, ::-1], 1.0)
        rows = slice(int(m[0]), int(m[-1]) + 1)
        self.pmf_b[rows, :width] = pmf
        self.cdf_b[rows, :width] = cdf
        # Negligible tails (mass <= TAIL_EPS) of each row: counts below head
        # have cdf <= TAIL_EPS, counts from tail on have sf <= TAIL_EPS.
        self.head[m] = lo + (cdf <= TAIL_EPS).sum(axis=1)
        self.tail[m] = lo + (sf > TAIL_EPS).sum(axis=1)
        # The sf column below a band (k = lo, where sf is 1 to within 1e-20)
        # is stored as 0: windows that run past a band's low end then read
        # zeros. Lookups (sf_at) return 1 there.
        sf[:, 0] = 0.0
        self.sf_b[rows, :width] = sf
        self.lo[m] = lo

    # -- lookups -------------------------------------------------------------

    def _col(self, m: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
        # (np.minimum/np.maximum: np.clip costs more per call on small arrays.)
        return np.minimum(np.maximum(np.asarray(k) - self.lo[m], 0), self.width - 1)

    def pmf_at(self, m, k):
        """``P(Bin(m, p) = k)`` (0 outside ``0..m``)."""
        return self.pmf_b[m, self._col(m, k)]

    def cdf_at(self, m, k):
        """``P(Bin(m, p) <= k)``."""
        return self.cdf_b[m, self._col(m, k)]

    def sf_at(self, m, k):
        """``P(Bin(m, p) > k)`` (1 for ``k < 0``)."""
        return np.where(np.asarray(k) <= self.lo[m], 1.0, self.sf_b[m, self._col(m, k)])

    def sf_first_at_most(self, m: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
        """Smallest ``k`` with ``P(Bin(m, p) > k) <= threshold`` (``threshold < 1``), for rows ``m``.

        ``threshold`` is one number, or one per row as a column (shape ``(len(m), 1)``).
        """
        # Above the band sf <= 1e-20; in it, sf falls with k.
        return self.lo[m] + 1 + (self.sf_b[m, 1:] > threshold).sum(axis=1)

    def sf_row(self, m: int) -> np.ndarray:
        """``P(Bin(m, p) > k)`` for ``k = 0..m``."""
        return self.sf_at(m, np.arange(m + 1))

    # -- error probabilities of a two-stage rule ------------------------------

    def reject(self, n1: int, r1: int, n2: int, r: int) -> float:
        """``P(X1 > r1 and X1 + X2 > r)`` for ``X1 ~ Bin(n1, p)``, ``X2 ~ Bin(n2, p)``, ``r >= r1``.

        One pair of :meth:`reject_each`: every term of the band, summed left
        to right; the reference that :meth:`reject_many` is checked against.
        """
        return float(self.reject_each(*(np.array([v], dtype=np.int64) for v in (n1, r1, n2, r)))[0])

    def reject_each(self, n1: np.ndarray, r1: np.ndarray, n2: np.ndarray, r: np.ndarray) -> np.ndarray:
        """:meth:`reject` for many ``(n1, r1, n2, r)`` (1-D integer arrays), every term summed in order.

        Every term of the band, summed left to right (increasing ``x1``): the
        numbers the search reports, and its exact decisions near ties.
        Stage-1 counts above ``r`` are promising whatever stage 2 gives;
        counts in ``(r1, r]`` need more than ``r - x1`` stage-2 responses. A
        cumulative sum adds strictly in order, so a value does not depend on
        how a BLAS library would split a dot product, nor on the other pairs:
        each row's sum is read at its own last term (the zeros padding
        shorter rows come after it).
        """
        base = self.sf_at(n1, r)
        first = np.maximum(r1 + 1, self.k_lo[n1])
        count = np.maximum(np.minimum(r, self.k_hi[n1]) - first + 1, 0)
        width = int(count.max()) if count.size else 0
        if width == 0:
            return base
        j = np.arange(width)
        x1 = first[:, None] + j
        m1, m2 = n1[:, None], n2[:, None]
        terms = np.where(j < count[:, None], self.pmf_at(m1, x1) * self.sf_at(m2, r[:, None] - x1), 0.0)
        total = np.cumsum(terms, axis=1)[np.arange(n1.size), np.maximum(count - 1, 0)]
        return np.where(count > 0, base + total, base)

    def _mass(self, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``P(a <= Bin(m, p) <= b)`` (0 when ``a > b``)."""
        return np.where(a <= b, self.cdf_at(m, b) - self.cdf_at(m, a - 1), 0.0)

    def _windows(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Views of the two flat buffers as every window of ``width`` consecutive entries (cached)."""
        views = self._window_cache.get(width)
        if views is None:
            views = tuple(
                as_strided(buf, shape=(buf.size - width + 1, width), strides=(buf.itemsize, buf.itemsize))
                for buf in (self._pmf_flat, self._sf_rev_flat)
            )
            self._window_cache[width] = views
        return views

    def reject_many(self, n1: np.ndarray, r1: np.ndarray, n2: np.ndarray, r: np.ndarray) -> np.ndarray:
        """:meth:`reject` for many ``(n1, r1, n2, r)`` at once (1-D integer arrays of one length).

        Two exact forms of ``P(X1 > r1, X > r)``, with ``S(k) = P(X2 > k)``::

            P(X1 > r) + sum over r1 < x1 <= r of b(x1; n1) S(r - x1)     (direct)
            P(X > r)  - sum over x1 <= r1     of b(x1; n1) S(r - x1)     (complement)

        Terms where ``b(x1; n1)`` or ``S(r - x1)`` lies in a negligible tail
        (:data:`TAIL_EPS`) are left out, and those where ``S(r - x1)`` is within
        :data:`TAIL_EPS` of 1 are summed as ``b(x1; n1)`` alone (a difference of
        the cdf); each pair uses the form with fewer remaining products. The
        products of a batch are summed over windows of one width, read from
        the flat buffers, with entries beyond a pair's last term masked out.
        The result differs from :meth:`reject` by less than 3e-14 plus
        rounding; callers that compare it with a threshold re-check near ties.
        Needs ``n2 >= 1``, ``n1 + n2 <= size`` and ``r1 <= r <= n1 + n2``.
        """
        if n1.size == 0:
            return np.zeros(0)
        w = self.width
        pad = 2 * w
        lo1, lo2 = self.lo[n1], self.lo[n2]
        low = np.maximum(self.head[n1], r - self.tail[n2])  # below: b ~ 0 or S ~ 0
        cut = r - self.head[n2]  # above: S ~ 1
        # Direct: r1 < x1 <= min(r, n1, tail[n1]).
        d_lo = np.maximum(low, r1 + 1)
        d_hi = np.minimum(np.minimum(r, n1), self.tail[n1])
        d_last = np.minimum(d_hi, cut)
        # Complement: low <= x1 <= r1.
        c_last = np.minimum(r1, cut)
        comp = (c_last - low) < (d_last - d_lo)
        first = np.where(comp, low, d_lo)
        last = np.where(comp, c_last, d_last)
        # The terms with S ~ 1, cut < x1 <= top: a difference of the cdf of X1
        # (read from the flat cdf: column k - lo of row m, kept inside the row).
        top = np.where(comp, r1, d_hi)
        start = np.maximum(first, cut + 1)
        row1 = n1 * w
        cdf = self._cdf_flat
        hi_i = row1 + np.minimum(np.maximum(top - lo1, 0), w - 1)
        lo_i = row1 + np.minimum(np.maximum(start - 1 - lo1, 0), w - 1)
        ones = np.where(start <= top, cdf[hi_i] - cdf[lo_i], 0.0)
        # P(X > r) (complement, row n1 + n2) or P(X1 > r) (direct, row n1).
        rowb = np.where(comp, n1 + n2, n1)
        col = r - self.lo[rowb]
        sfv = np.where(col <= 0, 1.0,
                       self._sf_rev_flat[pad + w + 2 * w * rowb + (w - 1 - np.minimum(np.maximum(col, 0), w - 1))])
        base = np.where(comp, sfv - ones, sfv + ones)
        width = int((last - first).max()) + 1
        if width <= 0:
            return base
        pmf_win, sf_win = self._windows(width)
        # Direct windows start at their first term; complement windows end at
        # their last, so the entries they read beyond a pair's terms are zeros
        # (a band's padding) or negligible terms of the same sum; the one
        # exception, direct sums cut where S ~ 1 starts, is masked.
        x0 = np.where(comp, last - width + 1, first)
        band = w + 2 * w * n1  # start of row n1's band (after the buffer's padding)
        pos1 = pad + band + np.minimum(np.maximum(x0 - lo1, -w), w)
        pos2 = pad + w + 2 * w * n2 + np.minimum(np.maximum(w - 1 - (r - x0 - lo2), -w), w)
        masked = ~comp & (cut < d_hi)
        span = last - first
        cols = np.arange(width)
        dot = np.empty(n1.size)
        # Windows are gathered a block of pairs at a time, small enough to stay in cache: gathering a
        # large batch at once writes and reads back arrays larger than the cache.
        step = max(1, _GATHER_BLOCK // width)
        for b0 in range(0, n1.size, step):
            blk = slice(b0, b0 + step)
            a = pmf_win[pos1[blk]]
            cutd = np.flatnonzero(masked[blk])
            if cutd.size:
                a[cutd] = np.where(cols[None, :] <= span[blk][cutd, None], a[cutd], 0.0)
            dot[blk] = np.einsum("ij,ij->i", a, sf_win[pos2[blk]])
        return base + np.where(comp, -dot, dot)


def binom_pmf_rows(n: int, p: np.ndarray) -> np.ndarray:
    """``P(Bin(n, p) = k)`` for k = 0..n, for every p: shape ``p.shape + (n + 1,)``.

    Built outwards from the mode by the ratios ``b(k+1) / b(k) =
    (n - k) p / ((k + 1) (1 - p))`` (each entry one product chain, so its
    relative error is about ``|k - mode|`` ulps, 1e-15 to 1e-13) and
    normalised to total 1; entries below the smallest double underflow to 0.
    p = 0 or 1 give the exact point masses. Used instead of
    ``scipy.stats.binom`` so that exact operating characteristics do not pay
    scipy.stats' import time.
    """
    p = np.asarray(p, dtype=float)
    shape = p.shape
    flat = p.reshape(-1)
    out = np.zeros((flat.size, n + 1))
    out[flat == 0.0, 0] = 1.0
    out[flat == 1.0, n] = 1.0
    inner = np.flatnonzero((flat > 0.0) & (flat < 1.0))
    if inner.size and n == 0:
        out[inner, 0] = 1.0
    elif inner.size:
        q = flat[inner, None]
        k = np.arange(n)[None, :].astype(float)
        mode = np.minimum(np.floor((n + 1) * flat[inner]), n).astype(np.int64)[:, None]
        kk = np.arange(n)[None, :]
        # Up from the mode: factor b(k+1)/b(k) for k >= mode, 1 before it.
        up = np.where(kk >= mode, (n - k) * q / ((k + 1.0) * (1.0 - q)), 1.0)
        # Down from the mode: factor b(k)/b(k+1) for k < mode, 1 from it on.
        down = np.where(kk < mode, (k + 1.0) * (1.0 - q) / ((n - k) * q), 1.0)
        rows = np.ones((inner.size, n + 1))
        np.cumprod(up, axis=1, out=rows[:, 1:])
        below = np.ones((inner.size, n + 1))
        below[:, :-1] = np.cumprod(down[:, ::-1], axis=1)[:, ::-1]
        kfull = np.arange(n + 1)[None, :]
        rows = np.where(kfull < mode, below, rows)
        out[inner] = rows / rows.sum(axis=1, keepdims=True)
    return out.reshape(shape + (n + 1,))


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
