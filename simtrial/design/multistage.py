"""Multistage single-arm designs beyond Simon: Mander & Thompson, Chen's three stages, Fleming.

Each design is a :class:`~simtrial.design.tables.DecisionTable`; its exact
properties come from the table's dynamic programming.

* **Mander & Thompson (2010)**: two stages; after ``n1`` patients stop for
  futility if responses ``X1 <= r1`` and stop declaring the drug promising if
  ``X1 >= e1``; otherwise treat ``n - n1`` more and declare it promising if the
  total ``X > r``. Designs optimal under H0 (smallest ``E(N | p0)``), optimal
  under H1 (smallest ``E(N | p1)``) and minimax (smallest ``n``).
* **Chen (1997)**: three stages with futility stops after stages 1 and 2
  (``X <= r1`` after ``n1``, ``X <= r2`` after ``n2``), promising if ``X > r3``
  after ``n3``. Optimal and minimax designs.
* **Fleming (1982)**: given looks, acceptance and rejection bounds at every
  look from Fleming's closed-form formulas.

The searches are exact and never truncate silently. The space searched
-------------------------------------------------------------------
* Mander & Thompson: ``1 <= n1 < n``, ``0 <= r1``, ``r1 + 2 <= e1 <= min(n1, r) + 1``
  (``e1 = n1 + 1`` is no efficacy stop). An efficacy bound above ``r + 1``
  is left out: ``e1 = r + 1`` makes the same decisions with fewer patients,
  so it is never optimal under any criterion.
* Chen: ``1 <= n1 < n2 < n3``, ``0 <= r1 < r2 <= r3``, ``r_k < n_k``: both
  interim looks can stop the trial (with ``r2 = r1`` the second never would).

How the search proves optimality (the same reasoning as Simon's search in
:mod:`simtrial.design.search`)
--------------------------------------------------------------------------
A *prefix* is everything decided before the last look: ``(n1, r1, e1)`` for
Mander & Thompson, ``(n1, r1, n2, r2)`` for Chen. For a prefix the expected
sample size at total ``n`` is ``E(N) = base + c (n - m)``, ``m`` its last
interim look and ``c`` the probability of reaching the last stage, so it
*increases* with ``n``: of all designs sharing a prefix only the one with the
smallest feasible ``n`` can be optimal or minimax. The search sweeps ``n``
upwards and evaluates every live prefix at every ``n``:

* for each prefix the smallest final bound meeting the type I error,
  ``r_alpha(n)``, is ``r_alpha(n - 1)`` or one more (one more patient adds at
  most one response), so usually a single error probability decides it, and
  the power is checked at that bound (power falls as the bound rises, so no
  other bound can do better);
* a prefix is retired when it becomes feasible (its best design is found) or
  when ``E(N)`` at the next ``n`` exceeds the best design found (under every
  criterion searched): ``E(N)`` only grows with ``n``;
* prefixes that can never be feasible are not created: the power is at most
  ``P_p1(X1 > r1)`` (so ``r1 <= r1max(n1)``), the type I error at least the
  early-rejection probability ``P_p0(X1 >= e1)``, and for Chen the power is at
  most ``P_p1(X1 > r1, X_2 > r2)``;
* the search ends when no prefix is live and every prefix not yet created
  (a later last interim look) has ``E(N)`` above the best: this is the proof.
  Before the first feasible design every prefix is live, which finds the
  minimax design. For Mander & Thompson, Simon's designs with their stage-1
  decisions curtailed lie in the space and give first bounds to beat.

Error probabilities are sums over windows of binomial tables; any value within
``1e-11`` of its threshold is recomputed by the decision table's exact
dynamic programming, so every decision is the one the reported numbers give.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design.families import FamilyDesign, FamilyResult, family_design_from_table, register_family
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError, InfeasibleDesignError

__all__ = [
    "MULTISTAGE_HARD_NMAX",
    "fleming_table",
    "mander_thompson_search",
    "chen_search",
]

#: Largest total sample size the Mander & Thompson and Chen searches consider.
#: Their spaces grow as n**3 and n**4: designs this large call for Simon's
#: search (or a wider difference between p0 and p1).
MULTISTAGE_HARD_NMAX = 400

#: Half-width of the band around a threshold inside which a batched error
#: probability is recomputed by the decision table's dynamic programming.
#: Batched sums differ from it by rounding only (well below 1e-13).
_TIE_BAND = 1e-11

#: Live prefixes evaluated per numpy batch (bounds the temporary arrays).
_CHUNK = 16384


# ---------------------------------------------------------------------------
# Binomial tables


class _Binom:
    """``pmf[m, k]`` and ``S(m, j) = P(Bin(m, p) > j)`` for ``m <= size`` (``S = 1`` for ``j < 0``).

    Rows come from the recurrence ``b(k; m) = (1-p) b(k; m-1) + p b(k-1; m-1)``
    (sums of non-negative terms) and upper tails from reversed cumulative
    sums, so small probabilities keep their relative precision.
    """

    def __init__(self, p: float, size: int) -> None:
        self.p = p
        self.size = -1
        self.ensure(size)

    def ensure(self, size: int) -> None:
        if size <= self.size:
            return
        size = max(size, 2 * self.size, 16)
        w = size + 1
        pmf = np.zeros((w, w))
        pmf[0, 0] = 1.0
        p, q = self.p, 1.0 - self.p
        for m in range(1, w):
            prev = pmf[m - 1, :m]
            np.multiply(prev, q, out=pmf[m, :m])
            pmf[m, 1 : m + 1] += p * prev
        sf = np.zeros((w, w))
        sf[:, :-1] = np.cumsum(pmf[:, :0:-1], axis=1)[:, ::-1]
        self.off = w  # S(m, j) = spad[m, off + j] for -off <= j <= size
        spad = np.ones((w, 2 * w))
        spad[:, w:] = np.minimum(sf, 1.0)
        self.pmf, self.spad, self.size = pmf, spad, size
        self.cdf = np.minimum(np.cumsum(pmf, axis=1), 1.0)
        self.sf = np.minimum(sf, 1.0)


@dataclass
class _Found:
    """A feasible design found by the sweep, before its exact recomputation."""

    key: tuple[int, ...]
    n: int
    r: int
    en0: float
    en1: float


# ---------------------------------------------------------------------------
# The sweep over n shared by the Mander & Thompson and Chen searches


class _Sweep:
    """Live prefixes and their evaluation at each total sample size ``n``.

    A prefix ``i`` carries: its group ``g`` (a row of continuation
    probabilities in a flat buffer: ``row_g[x]`` for ``x`` from ``xo[g]``),
    the support ``lo <= x <= hi`` of the responses at its last interim look
    ``m`` among trials that continue, early-rejection probabilities ``t0, t1``,
    continuation probabilities ``c0, c1``, expected patients ``base0, base1``
    up to ``m``, the smallest final bound allowed ``rmin``, the floor of the
    type I error search ``rlo`` and ``ra``, the smallest bound ``>= rlo``
    meeting the type I error at the last ``n`` evaluated (-1: not yet).
    """

    FIELDS_INT = ("g", "lo", "hi", "m", "rlo", "rmin", "ra")
    FIELDS_FLOAT = ("t0", "t1", "c0", "c1", "base0", "base1")

    def __init__(self, b0: _Binom, b1: _Binom, alpha: float, beta: float,
                 exact: Callable[[tuple[int, ...], int, int], tuple[float, float]], key_width: int) -> None:
        self.b0, self.b1 = b0, b1
        self.alpha = alpha
        self.target = 1.0 - beta
        self.exact = exact
        self.flat = [np.zeros(1024), np.zeros(1024)]
        self.cum = [np.zeros(1024), np.zeros(1024)]
        self.used = 0
        self.g_start: list[int] = []
        self.gs = np.zeros(0, dtype=np.int64)
        self.live = {f: np.zeros(0, dtype=np.int64) for f in self.FIELDS_INT}
        self.live.update({f: np.zeros(0) for f in self.FIELDS_FLOAT})
        self.keys = np.zeros((0, key_width), dtype=np.int64)

    # -- groups ------------------------------------------------------------

    def add_groups(self, rows0: np.ndarray, rows1: np.ndarray) -> np.ndarray:
        """Store rows of continuation probabilities (``row[x]``, ``x`` from 0, one length); return their indices.

        Each row is kept with a trailing zero, beside its upper cumulative
        sums ``cum[x] = sum_{x' >= x} row[x']`` (summed from the small end).
        """
        k, w = rows0.shape
        w1 = w + 1
        first = len(self.g_start)
        need = self.used + k * w1
        if need > self.flat[0].size:
            cap = max(2 * self.flat[0].size, need)
            for arr in (self.flat, self.cum):
                for j in (0, 1):
                    arr[j] = np.concatenate([arr[j], np.zeros(cap - arr[j].size)])
        for j, rows in enumerate((rows0, rows1)):
            padded = np.zeros((k, w1))
            padded[:, :w] = rows
            self.flat[j][self.used : need] = padded.ravel()
            self.cum[j][self.used : need] = np.cumsum(padded[:, ::-1], axis=1)[:, ::-1].ravel()
        self.g_start.extend(range(self.used, need, w1))
        self.used = need
        return np.arange(first, first + k)

    def add(self, keys: np.ndarray, **cols: np.ndarray) -> None:
        """Add live prefixes (``keys[i]`` identifies prefix ``i``; ``cols`` the fields)."""
        if keys.shape[0] == 0:
            return
        cols = dict(cols)
        cols.setdefault("ra", np.full(keys.shape[0], -1, dtype=np.int64))
        for f in self.FIELDS_INT + self.FIELDS_FLOAT:
            self.live[f] = np.concatenate([self.live[f], np.asarray(cols[f], dtype=self.live[f].dtype)])
        self.keys = np.concatenate([self.keys, keys])
        self.gs = np.asarray(self.g_start, dtype=np.int64)

    def keep(self, mask: np.ndarray) -> None:
        for f in self.live:
            self.live[f] = self.live[f][mask]
        self.keys = self.keys[mask]

    @property
    def n_live(self) -> int:
        return int(self.keys.shape[0])

    # -- evaluation ----------------------------------------------------------

    def _tail(self, which: int, idx: np.ndarray, n: int, r: np.ndarray) -> np.ndarray:
        """``t + sum_{lo <= x <= hi} row(x) P(Bin(n - m, p) > r - x)`` for prefixes ``idx`` at bounds ``r``.

        Terms with ``x > r`` have probability 1 (their sum is a difference of
        the row's upper cumulative sums) and terms with ``x <= r - (n - m)``
        are 0, so at most ``n - m`` products remain per prefix.
        """
        lv = self.live
        flat, cum = self.flat[which], self.cum[which]
        tab = self.b0 if which == 0 else self.b1
        t = lv["t0"] if which == 0 else lv["t1"]
        out = np.empty(idx.size)
        for s in range(0, idx.size, _CHUNK):
            sl = idx[s : s + _CHUNK]
            rr = r[s : s + _CHUNK]
            lo, hi = lv["lo"][sl], lv["hi"][sl]
            start = self.gs[lv["g"][sl]]
            k = n - lv["m"][sl]
            top = np.clip(rr + 1, lo, hi + 1)
            total = t[sl] + (cum[start + top] - cum[start + hi + 1])
            a_lo = np.maximum(lo, rr - k + 1)
            a_hi = np.minimum(hi, rr)
            width = a_hi - a_lo + 1
            w = int(width.max()) if width.size else 0
            if w > 0:
                x = a_lo[:, None] + np.arange(w)
                inside = x <= a_hi[:, None]
                x = np.where(inside, x, a_lo[:, None])
                a = np.where(inside, flat[start[:, None] + x], 0.0)
                b = tab.spad[k[:, None], tab.off + rr[:, None] - x]
                total = total + np.einsum("ij,ij->i", a, b)
            out[s : s + _CHUNK] = total
        return out

    def _decide(self, which: int, idx: np.ndarray, n: int, r: np.ndarray) -> np.ndarray:
        """``alpha(r) <= alpha`` (which 0) or ``power(r) >= 1 - beta`` (which 1), near ties recomputed exactly."""
        v = self._tail(which, idx, n, r)
        thr = self.alpha if which == 0 else self.target
        for j in np.flatnonzero(np.abs(v - thr) <= _TIE_BAND):
            v[j] = self.exact(tuple(int(u) for u in self.keys[idx[j]]), n, int(r[j]))[which]
        return v <= thr if which == 0 else v >= thr

    def evaluate(self, idx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate live prefixes ``idx`` at total ``n``: (feasible mask, final bound ``r`` of each).

        Every live prefix must be evaluated at every ``n`` from its creation
        on: its ``r_alpha`` then moves by at most one.
        """
        lv = self.live
        ra = lv["ra"]
        # Prefixes seen at n - 1: r_alpha(n) is r_alpha(n - 1) or one more.
        old = idx[ra[idx] >= 0]
        if old.size:
            ok = self._decide(0, old, n, ra[old])
            ra[old[~ok]] += 1
        # New prefixes: bisection on [rlo, n]; r = n (never promising at the
        # end) always meets the type I error, since t0 <= alpha.
        new = idx[ra[idx] < 0]
        if new.size:
            lo = lv["rlo"][new].copy()
            hi = np.full(new.size, n, dtype=np.int64)
            act = np.flatnonzero(lo < hi)
            while act.size:
                mid = (lo[act] + hi[act]) // 2
                ok = self._decide(0, new[act], n, mid)
                hi[act[ok]] = mid[ok]
                lo[act[~ok]] = mid[~ok] + 1
                act = act[lo[act] < hi[act]]
            ra[new] = lo
        r = np.maximum(ra[idx], lv["rmin"][idx])
        feasible = np.zeros(idx.size, dtype=bool)
        cand = np.flatnonzero(r <= n - 1)
        if cand.size:
            feasible[cand] = self._decide(1, idx[cand], n, r[cand])
        return feasible, r

    def expected(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``E(N | p0)`` and ``E(N | p1)`` of every live prefix at total ``n``."""
        lv = self.live
        extra = n - lv["m"]
        return lv["base0"] + lv["c0"] * extra, lv["base1"] + lv["c1"] * extra


@dataclass
class _Outcome:
    """What a sweep found: the designs per criterion and the range of n searched."""

    optimal0: _Found | None
    optimal1: _Found | None
    minimax: _Found | None
    n_first: int
    n_last: int
    proven: bool


def _better(a: _Found, b: _Found | None, crit: str) -> bool:
    if b is None:
        return True
    if crit == "h0":
        return (a.en0, a.n, a.en1, a.key) < (b.en0, b.n, b.en1, b.key)
    if crit == "h1":
        return (a.en1, a.n, a.en0, a.key) < (b.en1, b.n, b.en0, b.key)
    return (a.n, a.en0, a.en1, a.key) < (b.n, b.en0, b.en1, b.key)


class _NPBound:
    """``r1np[n1]``: the largest ``r1`` for which a design stopping for futility at ``X1 <= r1`` after ``n1`` patients can reach the power with ``n`` patients in all.

    Every design of both families rejects only when ``X1 > r1``. Among all
    level-alpha tests on ``n`` patients that reject only then, the most
    powerful (Neyman-Pearson, randomised) rejects for large totals ``X``;
    its power falls as ``r1`` rises and does not fall as ``n`` grows (a test on
    fewer patients is a test on more). So ``r1np`` only rises with ``n`` and
    a prefix with ``r1 > r1np[n1]`` cannot be feasible at this ``n``. The
    comparisons lean towards feasibility (tolerance 1e-12), so rounding can
    only let a prefix through, never keep a feasible one out.
    """

    def __init__(self, b0: _Binom, b1: _Binom, alpha: float, target: float) -> None:
        self.b0, self.b1, self.alpha, self.target = b0, b1, alpha, target
        self.cur = np.full(1, -1, dtype=np.int64)
        self.cap = np.full(1, -1, dtype=np.int64)

    def _reject(self, b: _Binom, n1: np.ndarray, r1: np.ndarray, n: int, r: np.ndarray) -> np.ndarray:
        """``P(X1 > r1, X > r)`` for totals ``n``."""
        w = int(n1.max()) + 1
        x = np.arange(w)[None, :]
        inside = (x > r1[:, None]) & (x <= n1[:, None])
        a = np.where(inside, b.pmf[n1[:, None], np.minimum(x, n1[:, None])], 0.0)
        s = b.spad[(n - n1)[:, None], b.off + np.clip(r[:, None] - x, -b.off, b.size)]
        return (a * s).sum(axis=1)

    def _ok(self, n1: np.ndarray, r1: np.ndarray, n: int) -> np.ndarray:
        b0, b1, tol = self.b0, self.b1, 1e-12
        whole0 = b0.sf[n1, r1]  # P_p0(X1 > r1)
        out = b1.sf[n1, r1] >= self.target - tol  # rejecting all of X1 > r1 if that meets alpha
        inner = np.flatnonzero(whole0 > self.alpha + tol)
        if inner.size:
            a1, rr = n1[inner], r1[inner]
            lo, hi = rr + 1, np.full(inner.size, n, dtype=np.int64)
            act = np.flatnonzero(lo < hi)
            while act.size:  # c: smallest r with P_p0(X1 > r1, X > r) <= alpha (+ tol)
                mid = (lo[act] + hi[act]) // 2
                good = self._reject(b0, a1[act], rr[act], n, mid) <= self.alpha + tol
                hi[act[good]] = mid[good]
                lo[act[~good]] = mid[~good] + 1
                act = act[lo[act] < hi[act]]
            c = lo
            at0 = self._reject(b0, a1, rr, n, c)
            below0 = self._reject(b0, a1, rr, n, c - 1)
            at1 = self._reject(b1, a1, rr, n, c)
            below1 = self._reject(b1, a1, rr, n, c - 1)
            gap = below0 - at0
            gamma = np.clip(np.where(gap > 0, (self.alpha - at0) / np.where(gap > 0, gap, 1.0), 0.0), 0.0, 1.0)
            out[inner] = at1 + gamma * (below1 - at1) >= self.target - tol
        return out

    def update(self, n: int) -> np.ndarray:
        """``r1np[n1]`` for ``n1 < n`` at total ``n`` (-1: no ``r1 >= 0`` can reach the power)."""
        if self.cur.size < n:
            # r1 < n1 always, and the power never exceeds P_p1(X1 > r1).
            extra = np.arange(self.cur.size, n)
            cap = np.array([int((self.b1.sf[a, :a] >= self.target - 1e-12).sum()) - 1 for a in extra], dtype=np.int64)
            self.cur = np.concatenate([self.cur, np.full(extra.size, -1, dtype=np.int64)])
            self.cap = np.concatenate([self.cap, cap])
        n1 = np.arange(1, n)
        cap = self.cap[n1]
        todo = np.flatnonzero(self.cur[n1] < cap)
        while todo.size:
            a = n1[todo]
            ok = self._ok(a, self.cur[a] + 1, n)
            self.cur[a[ok]] += 1
            todo = todo[ok]
            todo = todo[self.cur[n1[todo]] < cap[todo]]
        return self.cur


def _top(sweep: _Sweep, feas: np.ndarray, rs: np.ndarray, e0: np.ndarray, e1: np.ndarray, n: int, crit: str) -> _Found:
    """The best of the feasible prefixes ``feas`` at ``n``: by (E0, E1, key) or, for ``"h1"``, (E1, E0, key)."""
    keys = sweep.keys[feas]
    a, b = (e0[feas], e1[feas]) if crit == "h0" else (e1[feas], e0[feas])
    i = int(np.lexsort(tuple(keys[:, j] for j in range(keys.shape[1] - 1, -1, -1)) + (b, a))[0])
    return _Found(tuple(int(v) for v in keys[i]), n, int(rs[i]), float(e0[feas[i]]), float(e1[feas[i]]))


def _ump_start(b0: _Binom, b1: _Binom, alpha: float, beta: float, n_lo: int, limit: int) -> int:
    """Smallest ``n >= n_lo`` at which the most powerful randomised level-alpha test reaches the power.

    No design of any kind on ``n`` patients can do better (Neyman-Pearson), so
    smaller ``n`` need not be searched.
    """
    n = n_lo
    while n <= limit:
        b0.ensure(n)
        b1.ensure(n)
        sf0 = b0.sf[n, : n + 1]
        c = int(np.argmax(sf0 <= alpha))
        pm = b0.pmf[n, c]
        gamma = (alpha - sf0[c]) / pm if pm > 0 else 0.0
        if b1.sf[n, c] + gamma * b1.pmf[n, c] >= 1.0 - beta - 1e-12:
            return n
        n += 1
    return n


def _run_sweep(sweep: _Sweep, create: Callable[[int, float, float], None], future_lb: Callable[[int], tuple[float, float]],
               n_start: int, limit: int, use_h1: bool, seeds: Sequence[_Found]) -> _Outcome:
    """Sweep n from ``n_start`` to ``limit``; see the module docstring.

    ``create(n, u0, u1)`` adds the prefixes whose last interim look is
    ``n - 1`` (all looks below ``n_start`` at the first call), leaving out
    those with ``E(N)`` at ``n`` above both bounds. ``future_lb(n)`` bounds
    ``E(N | p0)`` and ``E(N | p1)`` from below for every prefix created at
    ``n`` or later. ``seeds`` are known feasible designs (bounds to beat;
    they are candidates like any other).
    """
    best0: _Found | None = None
    best1: _Found | None = None
    for s in seeds:
        if _better(s, best0, "h0"):
            best0 = s
        if _better(s, best1, "h1"):
            best1 = s
    minimax: _Found | None = None
    inf = math.inf
    npb = _NPBound(sweep.b0, sweep.b1, sweep.alpha, sweep.target)
    n = n_start
    proven = False
    first = True
    while n <= limit:
        # Until the minimax design is known every prefix matters, whatever its E(N).
        u0 = inf if minimax is None else (best0.en0 if best0 else inf)
        u1 = inf if minimax is None else (best1.en1 if (use_h1 and best1) else -inf)
        if first:
            for m in range(1, n):
                create(m + 1, u0, u1)
            first = False
        else:
            create(n, u0, u1)
        e0, e1 = sweep.expected(n)
        # Prefixes never evaluated wait until the restricted Neyman-Pearson
        # bound lets them reach the power at this n (it only rises with n).
        # (Only worth its cost while looking for the minimax design: afterwards
        # the bounds on E(N) leave few prefixes.)
        lv = sweep.live
        if minimax is None:
            r1np = npb.update(n)
            elig = np.flatnonzero((lv["ra"] >= 0) | (sweep.keys[:, 1] <= r1np[sweep.keys[:, 0]]))
        else:
            elig = np.arange(sweep.n_live)
        if minimax is None:
            # In order of E(N | p0): the first feasible prefix at the first
            # feasible n is the minimax design, and then only prefixes that can
            # still beat the best designs need evaluating at all.
            order = elig[np.lexsort((e1[elig], e0[elig]))]
            n_done = 0
            feas, rs = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            for s0 in range(0, order.size, _CHUNK):
                idx = order[s0 : s0 + _CHUNK]
                ok, r = sweep.evaluate(idx, n)
                n_done += idx.size
                feas, rs = idx[ok], r[ok]
                if feas.size:
                    break
            done = order[:n_done]
            if feas.size:
                f0 = _top(sweep, feas, rs, e0, e1, n, "h0")
                best0 = f0 if _better(f0, best0, "h0") else best0
                u0 = best0.en0
                u1 = best1.en1 if use_h1 else -inf
                rest = order[n_done:]
                rest = rest[(e0[rest] <= u0) | (e1[rest] <= u1)]
                if rest.size:
                    ok, r = sweep.evaluate(rest, n)
                    feas, rs = np.concatenate([feas, rest[ok]]), np.concatenate([rs, r[ok]])
                    done = np.concatenate([done, rest])
            evaluated = done
        else:
            ok, r = sweep.evaluate(elig, n)
            feas, rs = elig[ok], r[ok]
            evaluated = elig
        # Eligible prefixes left unevaluated cannot beat the best designs: retire them.
        keep = np.ones(sweep.n_live, dtype=bool)
        if minimax is None and feas.size:
            keep[elig] = False
            keep[evaluated] = True
        if feas.size:
            f0 = _top(sweep, feas, rs, e0, e1, n, "h0")
            if _better(f0, best0, "h0"):
                best0 = f0
            if use_h1:
                f1 = _top(sweep, feas, rs, e0, e1, n, "h1")
                if _better(f1, best1, "h1"):
                    best1 = f1
            if minimax is None:
                minimax = f0
                for s in seeds:  # a seed with the same n competes for minimax too
                    if s.n == n and _better(s, minimax, "minimax"):
                        minimax = s
            keep[feas] = False
        if not keep.all():
            sweep.keep(keep)
        if minimax is not None:
            u0 = best0.en0
            u1 = best1.en1 if use_h1 else -inf
            e0, e1 = sweep.expected(n + 1)
            alive = (e0 <= u0) | (e1 <= u1)
            if not alive.all():
                sweep.keep(alive)
            f0, f1 = future_lb(n + 1)
            if sweep.n_live == 0 and f0 > u0 and f1 > u1:
                proven = True
                break
        n += 1
    return _Outcome(best0 if minimax else None, best1 if (minimax and use_h1) else None, minimax,
                    n_start, min(n, limit), proven)


def _common_args(p0: float, p1: float, alpha: float, beta: float, max_n: int | None) -> tuple[float, float, float, float, int]:
    p0, p1 = check_p0_p1(p0, p1)
    alpha = check_open_prob("alpha", alpha)
    beta = check_open_prob("beta", beta)
    if max_n is None:
        limit = MULTISTAGE_HARD_NMAX
    else:
        limit = check_int("max_n", max_n, minimum=2)
        if limit > MULTISTAGE_HARD_NMAX:
            raise DesignError(f"max_n may be at most {MULTISTAGE_HARD_NMAX} for this search, got {limit}")
    return p0, p1, alpha, beta, limit


def _finish(family: str, out: _Outcome, kinds: Sequence[tuple[str, _Found | None]], table_of: Callable[[_Found], DecisionTable],
            p0: float, p1: float, alpha: float, beta: float, limit: int, max_n: int | None, what: str) -> FamilyResult:
    if out.minimax is None and max_n is not None:
        raise InfeasibleDesignError(f"no {what} with n <= {limit} has type I error <= {alpha:g} and power >= "
                                    f"{1 - beta:g} for p0={p0:g}, p1={p1:g}")
    if not out.proven and max_n is None:
        raise DesignError(f"the optimal {what} may need n > {limit} (p0={p0:g} and p1={p1:g} are close for this "
                          f"search); bound it with --max-n to get the best design within a limit, or use Simon's design")
    designs: list[FamilyDesign] = []
    for kind, f in kinds:
        assert f is not None
        designs.append(family_design_from_table(family, kind, table_of(f), p0, p1))
    notes = [f"searched n = {out.n_first}..{out.n_last}"]
    if not out.proven:
        notes.append(f"optimal within n <= {limit} only")
    params = {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta, "n_searched": [out.n_first, out.n_last],
              "proven": out.proven}
    return FamilyResult(family, params, tuple(designs), tuple(notes))


# ---------------------------------------------------------------------------
# Mander & Thompson


def _mt_table(n1: int, r1: int, e1: int, n: int, r: int) -> DecisionTable:
    eff = None if e1 > n1 else e1
    return DecisionTable(looks=(n1, n), futility=(r1, r), efficacy=(eff,),
                         label=f"Mander-Thompson {r1}/{n1}" + (f" (>= {e1} promising)" if eff is not None else "")
                         + f", {r}/{n}")


def _exact_errors(table: DecisionTable, p0: float, p1: float) -> tuple[float, float]:
    oc = table.oc([p0, p1])
    return float(oc.p_reject[0]), float(oc.p_reject[1])


def mander_thompson_search(p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2, *,
                           max_n: int | None = None) -> FamilyResult:
    """Mander & Thompson's two-stage designs with futility and efficacy stops after stage 1.

    After ``n1`` patients the trial stops for futility if responses
    ``X1 <= r1`` and stops declaring the drug promising if ``X1 >= e1``;
    otherwise ``n - n1`` more patients are treated and the drug is promising
    if the total ``X > r``. Feasible designs have ``P(promising | p0) <= alpha``
    and ``P(promising | p1) >= 1 - beta``. The search space and the proof of
    optimality are in the module docstring.

    Parameters
    ----------
    p0, p1 : float
        Response rates of no interest and of interest, ``0 < p0 < p1 < 1``.
    alpha, beta : float
        Largest type I and type II errors.
    max_n : int, optional
        Only designs with ``n <= max_n`` (a constraint; the result notes when
        it, not the proof, ended the search).

    Returns
    -------
    FamilyResult
        Family ``"mander-thompson"``, designs of kinds ``"minimax"`` (smallest
        ``n``, then smallest ``E(N | p0)``), ``"optimal"`` (smallest
        ``E(N | p0)``) and ``"optimal-h1"`` (smallest ``E(N | p1)``); each
        table's efficacy bound is ``e1`` (None when there is no efficacy stop).

    Raises
    ------
    DesignError
        Invalid arguments, or the proof would need ``n`` beyond
        :data:`MULTISTAGE_HARD_NMAX`.
    InfeasibleDesignError
        No design within the bound meets the error targets.

    References
    ----------
    Mander AP, Thompson SG. Two-stage designs optimal under the alternative
    hypothesis for phase II cancer clinical trials. Contemporary Clinical
    Trials 2010;31:572-578.

    Examples
    --------
    >>> res = mander_thompson_search(0.2, 0.4, 0.1, 0.1)
    >>> d = res.design("optimal")
    >>> d.table.looks, d.table.futility, d.table.efficacy
    ((16, 41), (3, 11), (7, None))
    >>> round(d.en0, 2), round(res.design("optimal-h1").en1, 2)
    (25.38, 24.16)
    """
    p0, p1, alpha, beta, limit = _common_args(p0, p1, alpha, beta, max_n)
    b0, b1 = _Binom(p0, 64), _Binom(p1, 64)

    def exact(key: tuple[int, ...], n: int, r: int) -> tuple[float, float]:
        n1, r1, e1 = key
        return _exact_errors(_mt_table(n1, r1, e1, n, r), p0, p1)

    sweep = _Sweep(b0, b1, alpha, beta, exact, 3)
    groups: dict[int, int] = {}

    def create(n: int, u0: float, u1: float) -> None:
        n1 = n - 1
        if n1 < 1:
            return
        b0.ensure(n)
        b1.ensure(n)
        r1max = int((b1.cdf[n1, :n1] <= beta + 1e-12).sum()) - 1  # P_p1(X1 <= r1) <= beta
        if r1max < 0:
            return
        # Early rejection alone must not exceed alpha: P_p0(X1 >= e1) = sf[e1 - 1] <= alpha.
        e1min = 1 + int(np.argmax(b0.sf[n1, : n1 + 1] <= alpha))
        r1 = np.arange(r1max + 1)
        e1 = np.arange(n1 + 2)
        r1g, e1g = np.meshgrid(r1, e1, indexing="ij")
        ok = (e1g >= r1g + 2) & (e1g >= e1min)
        r1v, e1v = r1g[ok], e1g[ok]
        if r1v.size == 0:
            return
        cdf0, cdf1 = b0.cdf[n1], b1.cdf[n1]
        c0 = cdf0[e1v - 1] - cdf0[r1v]
        c1 = cdf1[e1v - 1] - cdf1[r1v]
        t0 = np.where(e1v <= n1, b0.sf[n1, np.minimum(e1v - 1, n1)], 0.0)
        t1 = np.where(e1v <= n1, b1.sf[n1, np.minimum(e1v - 1, n1)], 0.0)
        keep = ((n1 + c0) <= u0) | ((n1 + c1) <= u1)
        if not keep.any():
            return
        r1v, e1v, c0, c1, t0, t1 = (a[keep] for a in (r1v, e1v, c0, c1, t0, t1))
        if n1 not in groups:
            groups[n1] = int(sweep.add_groups(b0.pmf[n1 : n1 + 1, : n1 + 1], b1.pmf[n1 : n1 + 1, : n1 + 1])[0])
        k = r1v.size
        sweep.add(
            np.stack([np.full(k, n1), r1v, e1v], axis=1).astype(np.int64),
            g=np.full(k, groups[n1]), lo=r1v + 1, hi=e1v - 1, m=np.full(k, n1), rlo=r1v, rmin=e1v - 1,
            t0=t0, t1=t1, c0=c0, c1=c1, base0=np.full(k, float(n1)), base1=np.full(k, float(n1)),
        )

    def future_lb(n: int) -> tuple[float, float]:
        # A prefix created at n or later has n1 >= n - 1 patients for sure.
        return float(n - 1), float(n - 1)

    seeds = _simon_seeds(p0, p1, alpha, beta, limit)
    n_start = _ump_start(b0, b1, alpha, beta, 2, limit)
    out = _run_sweep(sweep, create, future_lb, n_start, limit, True, seeds)

    def table_of(f: _Found) -> DecisionTable:
        n1, r1, e1 = f.key
        return _mt_table(n1, r1, e1, f.n, f.r)

    kinds = [("minimax", out.minimax), ("optimal", out.optimal0), ("optimal-h1", out.optimal1)]
    return _finish("mander-thompson", out, kinds, table_of, p0, p1, alpha, beta, limit, max_n,
                   "Mander-Thompson design")


def _simon_seeds(p0: float, p1: float, alpha: float, beta: float, limit: int) -> list[_Found]:
    """Simon's designs with their stage-1 decisions curtailed: known Mander & Thompson designs (bounds to beat).

    Each candidate of Simon's search (the best design for each ``n``), with
    the efficacy stop at ``min(n1, r) + 1``: the decisions it makes anyway,
    with fewer patients. Only designs within ``limit``.
    """
    from simtrial.design.search import simon_search

    try:
        res = simon_search(p0, p1, alpha, beta, n_bounds=(None, limit))
    except DesignError:
        return []
    out = []
    for d in res.candidates:
        s = d.design
        if s.r <= s.r1:
            continue
        e1 = min(s.n1, s.r) + 1
        cont0 = float(np.sum(_pmf_range(s.n1, p0, s.r1 + 1, e1 - 1)))
        cont1 = float(np.sum(_pmf_range(s.n1, p1, s.r1 + 1, e1 - 1)))
        out.append(_Found((s.n1, s.r1, e1), s.n, s.r, s.n1 + cont0 * s.n2, s.n1 + cont1 * s.n2))
    return out


def _pmf_range(n: int, p: float, lo: int, hi: int) -> np.ndarray:
    from simtrial.design._binom import binom_pmf_rows

    return binom_pmf_rows(n, np.array([p]))[0, lo : hi + 1]


# ---------------------------------------------------------------------------
# Chen's three-stage designs


def _chen_table(n1: int, r1: int, n2: int, r2: int, n: int, r: int) -> DecisionTable:
    return DecisionTable(looks=(n1, n2, n), futility=(r1, r2, r), label=f"Chen {r1}/{n1}, {r2}/{n2}, {r}/{n}")


def chen_search(p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2, *,
                max_n: int | None = None) -> FamilyResult:
    """Chen's three-stage designs: futility stops after stages 1 and 2.

    The trial stops for futility if responses ``X <= r1`` after ``n1``
    patients or ``X <= r2`` after ``n2``; after ``n3`` the drug is promising
    if ``X > r3``. Feasible designs have ``P(promising | p0) <= alpha`` and
    ``P(promising | p1) >= 1 - beta``. The search space and the proof of
    optimality are in the module docstring.

    Parameters
    ----------
    p0, p1 : float
        Response rates of no interest and of interest, ``0 < p0 < p1 < 1``.
    alpha, beta : float
        Largest type I and type II errors.
    max_n : int, optional
        Only designs with ``n3 <= max_n``.

    Returns
    -------
    FamilyResult
        Family ``"chen"``, designs of kinds ``"minimax"`` (smallest ``n3``,
        then smallest ``E(N | p0)``) and ``"optimal"`` (smallest ``E(N | p0)``).

    Raises
    ------
    DesignError
        Invalid arguments, or the proof would need ``n`` beyond
        :data:`MULTISTAGE_HARD_NMAX`.
    InfeasibleDesignError
        No design within the bound meets the error targets.

    References
    ----------
    Chen TT. Optimal three-stage designs for phase II cancer clinical trials.
    Statistics in Medicine 1997;16:2701-2711.

    Examples
    --------
    >>> res = chen_search(0.1, 0.3, 0.05, 0.2)
    >>> opt = res.design("optimal")
    >>> opt.table.n_looks, opt.alpha <= 0.05, opt.power >= 0.8
    (3, True, True)
    """
    p0, p1, alpha, beta, limit = _common_args(p0, p1, alpha, beta, max_n)
    b0, b1 = _Binom(p0, 64), _Binom(p1, 64)

    def exact(key: tuple[int, ...], n: int, r: int) -> tuple[float, float]:
        return _exact_errors(_chen_table(*key, n, r), p0, p1)

    sweep = _Sweep(b0, b1, alpha, beta, exact, 4)

    def stage1(n2: int) -> tuple[np.ndarray, np.ndarray]:
        """``n1 = 1..n2-1`` with ``r1max(n1)`` (largest r1 with ``P_p1(X1 <= r1) <= beta``, -1 if none)."""
        n1 = np.arange(1, n2)
        r1max = np.array([int((b1.cdf[a, :a] <= beta + 1e-12).sum()) - 1 for a in n1], dtype=np.int64)
        return n1, r1max

    def create(n: int, u0: float, u1: float) -> None:
        n2 = n - 1
        if n2 < 2:
            return
        b0.ensure(n)
        b1.ensure(n)
        keys: list[np.ndarray] = []
        cols: dict[str, list[np.ndarray]] = {f: [] for f in ("g", "lo", "hi", "c0", "c1", "base0", "base1")}
        n1s, r1maxs = stage1(n2)
        for n1, r1max in zip(n1s.tolist(), r1maxs.tolist()):
            if r1max < 0:
                continue
            d = n2 - n1
            r1 = np.arange(r1max + 1)
            base0 = n1 + d * (1.0 - b0.cdf[n1, r1])
            live = base0 <= u0  # E(N|p0) >= base0 whatever the rest
            if not live.any():
                continue
            r1 = r1[live]
            base0 = base0[live]
            base1 = n1 + d * (1.0 - b1.cdf[n1, r1])
            x1 = np.arange(n1 + 1)[:, None]
            cols_s = x1 + np.arange(d + 1)
            conts = []
            for b in (b0, b1):
                # joint[x1, x] = P(X1 = x1, X_2 = x); rows summed from the top give
                # P(X1 > r1, X_2 = x), and those summed from the top over x give
                # the continuation probabilities P(X1 > r1, X_2 > r2).
                joint = np.zeros((n1 + 1, n2 + 1))
                joint[x1, cols_s] = b.pmf[n1, : n1 + 1, None] * b.pmf[d, : d + 1][None, :]
                above = np.cumsum(joint[::-1], axis=0)[::-1]
                rows = above[r1 + 1]  # P(X1 > r1, X_2 = x)
                tail = np.zeros_like(rows)
                tail[:, :-1] = np.cumsum(rows[:, :0:-1], axis=1)[:, ::-1]  # P(X1 > r1, X_2 > r2)
                conts.append((rows, tail))
            (rows0, tail0), (rows1, tail1) = conts
            r2 = np.arange(n2)[None, :]
            ok = (r2 > r1[:, None]) & (tail1[:, :n2] >= 1.0 - beta - 1e-12) & (base0[:, None] + tail0[:, :n2] <= u0)
            if not ok.any():
                continue
            i, j = np.nonzero(ok)
            used = np.unique(i)
            g = np.full(r1.size, -1, dtype=np.int64)
            g[used] = sweep.add_groups(rows0[used], rows1[used])
            k = i.size
            keys.append(np.stack([np.full(k, n1), r1[i], np.full(k, n2), j], axis=1))
            for f, v in (("g", g[i]), ("lo", j + 1), ("hi", np.full(k, n2)), ("c0", tail0[i, j]), ("c1", tail1[i, j]),
                         ("base0", base0[i]), ("base1", base1[i])):
                cols[f].append(v)
        if keys:
            kk = np.concatenate(keys).astype(np.int64)
            k = kk.shape[0]
            c = {f: np.concatenate(v) for f, v in cols.items()}
            sweep.add(kk, m=np.full(k, n2), rlo=kk[:, 3], rmin=kk[:, 3], t0=np.zeros(k), t1=np.zeros(k), **c)

    def future_lb(n: int) -> tuple[float, float]:
        # Prefixes created at n or later have n2 >= n - 1: E(N|p0) >= n1 + (n2 - n1) P_p0(X1 > r1max(n1)).
        n2 = n - 1
        b0.ensure(n)
        b1.ensure(n)
        n1s, r1maxs = stage1(n2)
        ok = r1maxs >= 0
        if not ok.any():
            return math.inf, math.inf
        n1s, r1maxs = n1s[ok], r1maxs[ok]
        lb = n1s + (n2 - n1s) * (1.0 - b0.cdf[n1s, r1maxs])
        return float(lb.min()), math.inf

    n_start = _ump_start(b0, b1, alpha, beta, 3, limit)
    out = _run_sweep(sweep, create, future_lb, n_start, limit, False, ())

    def table_of(f: _Found) -> DecisionTable:
        return _chen_table(*f.key, f.n, f.r)

    kinds = [("minimax", out.minimax), ("optimal", out.optimal0)]
    return _finish("chen", out, kinds, table_of, p0, p1, alpha, beta, limit, max_n, "three-stage design")


# ---------------------------------------------------------------------------
# Fleming


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(1.0 - alpha)


def _nearest(x: float) -> int:
    # Fleming's [x]*: the integer nearest to x (halves round up).
    return int(math.floor(x + 0.5))


def fleming_table(p0: float, alpha: float, looks: Sequence[int]) -> DecisionTable:
    """Fleming's multistage design: acceptance and rejection bounds at every look.

    With looks ``n_1 < ... < n_K = N`` (cumulative patients) and
    ``z = z_{1-alpha}``, Fleming (1982) rejects H0 at look ``g`` when responses
    ``X >= r_g`` and accepts it (stops for futility) when ``X <= a_g``::

        r_g = [n_g p0 + z sqrt(N p0 (1 - p0))]* + 1
        a_g = [n_g pA - z sqrt(N pA (1 - pA))]*        (g < K),   a_K = r_K - 1
        pA  = (sqrt(N p0) + sqrt(1 - p0) z)^2 / (N + z^2)

    ``[x]*`` is the integer nearest to ``x``; ``pA`` is the rate at which the
    single-stage test on ``N`` patients has the acceptance and rejection
    bounds meet. As a decision table: futility bounds ``a_g`` (``-1`` when
    negative: no futility stop) and efficacy bounds ``r_g`` for ``g < K``
    (None when ``r_g > n_g``: no efficacy stop possible); at the last look the
    drug is promising if ``X > a_K = r_K - 1``.

    Parameters
    ----------
    p0 : float
        Response rate of no interest, in (0, 1).
    alpha : float
        Nominal one-sided type I error of the single-stage test on ``N``.
    looks : sequence of int
        Cumulative numbers of patients at the looks, strictly increasing.

    Returns
    -------
    DecisionTable

    References
    ----------
    Fleming TR. One-sample multiple testing procedure for phase II clinical
    trials. Biometrics 1982;38:143-151.

    Examples
    --------
    >>> t = fleming_table(0.2, 0.05, [15, 25])
    >>> t.futility, t.efficacy
    ((3, 8), (7, None))
    """
    p0 = check_open_prob("p0", p0)
    alpha = check_open_prob("alpha", alpha)
    try:
        lk = [check_int(f"looks[{i}]", v, minimum=1) for i, v in enumerate(looks)]
    except TypeError:
        raise DesignError(f"looks must be a list of integers, got {looks!r}") from None
    if not lk:
        raise DesignError("looks: Fleming's design needs at least one look")
    for i in range(1, len(lk)):
        if lk[i] <= lk[i - 1]:
            raise DesignError(f"looks must be strictly increasing, got {lk}")
    n_max = lk[-1]
    z = _z(alpha)
    pa = (math.sqrt(n_max * p0) + math.sqrt(1.0 - p0) * z) ** 2 / (n_max + z * z)
    sd0 = z * math.sqrt(n_max * p0 * (1.0 - p0))
    sda = z * math.sqrt(n_max * pa * (1.0 - pa))
    rej = [_nearest(n * p0 + sd0) + 1 for n in lk]
    acc = [_nearest(n * pa - sda) for n in lk[:-1]] + [rej[-1] - 1]
    if rej[-1] > n_max:
        raise DesignError(f"looks: with N = {n_max} patients Fleming's final bound r_K = {rej[-1]} can never be "
                          f"reached at p0={p0:g}, alpha={alpha:g}; give more patients")
    for g, (a, n) in enumerate(zip(acc, lk)):
        if a >= n:
            raise DesignError(f"looks: Fleming's acceptance bound at look {g + 1} is {a}, which stops every trial "
                              f"with {n} patients; give more patients at that look")
    # A negative acceptance bound means no futility stop there. Both bounds
    # grow with n_g in the formulas (and rounding keeps their order).
    fut = [max(-1, a) for a in acc]
    eff: list[int | None] = [r if r <= n else None for r, n in zip(rej[:-1], lk[:-1])] + [None]
    label = "Fleming " + ", ".join(f"{a}/{r}/{n}" for a, r, n in zip(acc, rej, lk))
    return DecisionTable(looks=tuple(lk), futility=tuple(fut), efficacy=tuple(eff), label=label)


# ---------------------------------------------------------------------------
# Families


@register_family("mander-thompson")
def mander_thompson_family(p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2,
                           max_n: int | None = None) -> FamilyResult:
    """Mander & Thompson designs (:func:`mander_thompson_search`)."""
    return mander_thompson_search(p0, p1, alpha, beta, max_n=max_n)


@register_family("chen")
def chen_family(p0: float, p1: float, alpha: float = 0.05, beta: float = 0.2, max_n: int | None = None) -> FamilyResult:
    """Chen's three-stage designs (:func:`chen_search`)."""
    return chen_search(p0, p1, alpha, beta, max_n=max_n)


@register_family("fleming")
def fleming_family(p0: float, p1: float, looks: Sequence[int] | None = None, alpha: float = 0.05) -> FamilyResult:
    """Fleming's design at the given looks (:func:`fleming_table`), with its exact properties at p0 and p1."""
    if looks is None:
        raise DesignError("--looks: Fleming's design needs the looks, e.g. --looks 15,25")
    p0, p1 = check_p0_p1(p0, p1)
    table = fleming_table(p0, alpha, looks)
    alpha = check_open_prob("alpha", alpha)
    d = family_design_from_table("fleming", "formula", table, p0, p1)
    notes = ("bounds from Fleming's (1982) formulas; alpha and power exact",)
    params: dict[str, Any] = {"p0": p0, "p1": p1, "alpha": alpha, "looks": list(table.looks)}
    return FamilyResult("fleming", params, (d,), notes)
