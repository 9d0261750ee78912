"""Search for Simon two-stage designs: optimal, minimax and admissible.

For every total sample size ``n`` the search finds the design with the
smallest ``E(N | p0)`` that meets ``P(promising | p0) <= alpha`` and
``P(promising | p1) >= 1 - beta``; from that list (the *candidates*) it picks
the optimal, minimax and admissible designs.

Why this is fast and exact (no sample size is skipped on a guess):

* ``E(N | p0) = n1 + (1 - PET0) n2`` depends on ``(r1, n1, n)`` only, and
  decreases in ``r1``; so for fixed ``(n1, n)`` only the largest feasible
  ``r1`` matters, and for it the smallest ``r`` meeting the type I error
  (power decreases in ``r``).
* Power is at most ``P_p1(X1 > r1)``, so ``r1 <= r1max(n1)``, the largest
  ``r1`` with ``P_p1(X1 <= r1) <= beta``. This gives a lower bound
  ``n1 + (1 - P_p0(X1 <= r1max(n1))) (n - n1)`` on ``E(N | p0)`` for every
  design with that ``(n1, n)``.
* For each ``n`` every pair ``(n1, r1)`` with ``E(N | p0)`` below a
  threshold is examined at once, as numpy arrays (branch and bound in
  batches, see ``_Searcher.best_for_n``): a stage-1 size is settled by its
  largest feasible ``r1`` or by a proof that no smaller ``r1`` can be
  feasible. When something feasible lies below the threshold, every better
  design was in the batch; otherwise the threshold is raised.
* The smallest ``r`` meeting the type I error is bracketed from the answers
  at smaller ``n`` (it never decreases with ``n`` and grows by at most one
  per patient), so usually a single error probability decides it. Error
  probabilities are sums over windows of precomputed binomial tables that
  skip negligible tails (below 1e-14); a value within 1e-11 of its
  threshold is recomputed term by term, so every decision is the one the
  full sums give.
* The same bound grows with ``n``; once it exceeds the incumbent optimal
  ``E(N | p0)`` for every ``n1``, no larger ``n`` can hold a better design.
  This is the proof that ends the search, and the reason a too-small
  ``nmax`` is raised instead of silently truncating the search.
* No design with total ``n`` can beat the most powerful (randomised)
  level-``alpha`` test on ``n`` observations (Neyman-Pearson), which gives
  the smallest ``n`` worth searching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simtrial.design._binom import BinomTable
from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design.simon import SimonDesign
from simtrial.errors import DesignError, InfeasibleDesignError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SearchedDesign", "SimonSearchResult", "simon_search", "HARD_NMAX"]

#: Largest total sample size the search will ever consider. Beyond it the
#: binomial tables would take hundreds of megabytes; p0 and p1 that close
#: call for a different kind of trial.
HARD_NMAX = 2000


@dataclass(frozen=True)
class SearchedDesign:
    """One design found by :func:`simon_search`, with its properties.

    Attributes
    ----------
    design : SimonDesign
        The design ``r1/n1, r/n``.
    kind : str
        ``"optimal"``, ``"minimax"``, ``"admissible"`` or ``"candidate"``.
    en0 : float
        Expected sample size under ``p0`` (unrounded).
    pet0 : float
        Probability of early termination under ``p0``.
    alpha : float
        Attained type I error ``P(promising | p0)``.
    power : float
        Attained power ``P(promising | p1)``.
    q_low, q_high : float
        The design minimises ``q * n + (1 - q) * en0`` among the candidates
        for ``q`` in ``[q_low, q_high]`` (Jung et al. 2004); NaN for a design
        that is not admissible.
    """

    design: SimonDesign
    kind: str
    en0: float
    pet0: float
    alpha: float
    power: float
    q_low: float = math.nan
    q_high: float = math.nan

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict: kind, r1, n1, r, n, en0, pet0, alpha, power, q_low, q_high."""
        return {
            "kind": self.kind,
            **self.design.to_dict(),
            "en0": self.en0,
            "pet0": self.pet0,
            "alpha": self.alpha,
            "power": self.power,
            "q_low": None if math.isnan(self.q_low) else self.q_low,
            "q_high": None if math.isnan(self.q_high) else self.q_high,
        }


@dataclass(frozen=True)
class SimonSearchResult:
    """Result of :func:`simon_search`.

    Attributes
    ----------
    p0, p1, alpha, beta : float
        The search targets.
    optimal : SearchedDesign
        Minimum ``E(N | p0)`` (ties: smaller ``n``).
    minimax : SearchedDesign
        Minimum ``n`` (ties: smaller ``E(N | p0)``).
    admissible : tuple of SearchedDesign
        Designs on the lower convex hull of ``(n, E(N | p0))`` between the
        minimax and the optimal design, ordered from minimax (``q = 1``) to
        optimal (``q = 0``), each with its ``q`` interval. The first item's
        kind is ``"minimax"``, the last ``"optimal"`` (``"optimal"`` when
        the two coincide).
    candidates : tuple of SearchedDesign
        Best design (minimum ``E(N | p0)``) for every feasible total ``n``
        searched. Their numbers come from the search's binomial tables
        (equal to a fresh computation to about 1e-14); the optimal, minimax
        and admissible designs are recomputed with :class:`SimonDesign`.
    n_searched : tuple of int
        First and last total sample size searched.
    nmax_requested : int or None
        The ``nmax`` asked for.
    nmax_raised : bool
        True when the search had to go beyond ``nmax_requested`` to prove the
        optimal design.
    proven : bool
        True when the search proved that no ``n`` beyond the last searched
        could give a smaller ``E(N | p0)``; False only when a user bound on
        ``n`` stopped it first (the optimal is then optimal *within* the
        bound).
    """

    p0: float
    p1: float
    alpha: float
    beta: float
    optimal: SearchedDesign
    minimax: SearchedDesign
    admissible: tuple[SearchedDesign, ...]
    candidates: tuple[SearchedDesign, ...]
    n_searched: tuple[int, int]
    nmax_requested: int | None
    nmax_raised: bool
    proven: bool
    constraints: dict[str, object] = field(default_factory=dict)

    def designs(self) -> list[SearchedDesign]:
        """Minimax, the admissible designs in between, and optimal (each kind present once).

        When the minimax and optimal designs coincide both entries appear, so
        consumers can always find either kind.
        """
        middle = [d for d in self.admissible if d.kind == "admissible"]
        return [self.minimax, *middle, self.optimal]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict with the search targets and the designs."""
        return {
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "designs": [d.to_dict() for d in self.designs()],
            "n_searched": list(self.n_searched),
            "nmax_requested": self.nmax_requested,
            "nmax_raised": self.nmax_raised,
            "proven": self.proven,
            "constraints": self.constraints,
        }

    def to_frame(self, which: str = "designs") -> pd.DataFrame:
        """Table of ``designs()`` (default) or of all ``"candidates"``, one row per design."""
        import pandas as pd

        if which not in ("designs", "candidates"):
            raise DesignError(f"which must be 'designs' or 'candidates', got {which!r}")
        rows = self.designs() if which == "designs" else self.candidates
        return pd.DataFrame([d.to_dict() for d in rows])


# ---------------------------------------------------------------------------


def _bounds(name: str, value: tuple[int | None, int | None] | None, lo_default: int) -> tuple[int, int | None]:
    if value is None:
        return lo_default, None
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise DesignError(f"{name} must be a pair (low, high), got {value!r}") from None
    lo = lo_default if lo is None else max(lo_default, check_int(f"{name}[0]", lo, minimum=1))
    hi = None if hi is None else check_int(f"{name}[1]", hi, minimum=1)
    if hi is not None and hi < lo:
        raise DesignError(f"{name}: low must be <= high, got ({lo}, {hi})")
    return lo, hi


class _Searcher:
    """State of one search; see the module docstring for the method."""

    #: Stage-1 cut-offs examined per stage-1 size and round (a batch is at
    #: most this many times the number of open stage-1 sizes).
    DEPTH = 4
    #: Half-width of the band around a threshold inside which a batched error
    #: probability is recomputed term by term before it decides anything.
    #: Batched and term-by-term sums differ by rounding (at most about 1e-13
    #: for the longest sums, typically 1e-16) and the truncated tails (below
    #: 2e-14), so outside this band both give the same decision.
    TIE_BAND = 1e-11

    def __init__(
        self,
        p0: float,
        p1: float,
        alpha: float,
        beta: float,
        n1_lo: int,
        n1_hi: int | None,
        size_cap: int | None = None,
    ) -> None:
        self.p0, self.p1, self.alpha, self.beta = p0, p1, alpha, beta
        # Tables never grow beyond the largest n the search may visit.
        self.size_cap = size_cap
        self.power_target = 1.0 - beta
        self.n1_lo, self.n1_hi = n1_lo, n1_hi
        start = 64 if size_cap is None else min(64, size_cap)
        self.t0 = BinomTable(p0, start)
        self.t1 = BinomTable(p1, start)
        # r_alpha[n1, r1]: smallest r meeting the type I error for (r1, n1) at
        # total size r_alpha_n[n1, r1] (0: not computed yet). Kept across n
        # because it bounds the answer for every larger n (see _r_alpha_many).
        self.r_alpha = np.zeros((0, 0), dtype=np.int64)
        self.r_alpha_n = np.zeros((0, 0), dtype=np.int64)
        # Gap between the best E(N|p0) and its lower bound at recent n, to
        # choose the first E(N|p0) threshold of the next n.
        self.recent_gaps: list[float] = []
        self._refresh()

    def ensure(self, size: int) -> None:
        if size > self.t0.size:
            self.t0.ensure(size, cap=self.size_cap)
            self.t1.ensure(size, cap=self.size_cap)
            self._refresh()

    def _refresh(self) -> None:
        size = self.t0.size
        # r1max[n1]: largest r1 with P_p1(X1 <= r1) <= beta (-1 if none). The
        # tiny allowance only loosens the bound, never excludes a design.
        self.r1max = (self.t1.cdf <= self.beta + 1e-12).sum(axis=1) - 1
        self.r1max = np.minimum(self.r1max, np.arange(size + 1) - 1)
        ok = self.r1max >= 0
        petmax = np.zeros(size + 1)
        petmax[ok] = self.t0.cdf[np.arange(size + 1)[ok], self.r1max[ok]]
        self.petmax = petmax
        n1_all = np.arange(size + 1)
        allowed = ok & (n1_all >= self.n1_lo)
        if self.n1_hi is not None:
            allowed &= n1_all <= self.n1_hi
        self.n1_allowed = n1_all[allowed]
        # Single-stage critical values: c[n] = smallest r with P_p0(X > r) <= alpha
        # (n when even r = n - 1 is too likely).
        self.r_single = np.argmax(self.t0.sf <= self.alpha, axis=1)
        # Keep the r_alpha memory of the smaller tables.
        old = self.r_alpha.shape[0]
        r_alpha = np.zeros((size + 1, size + 1), dtype=np.int64)
        r_alpha_n = np.zeros((size + 1, size + 1), dtype=np.int64)
        r_alpha[:old, :old] = self.r_alpha
        r_alpha_n[:old, :old] = self.r_alpha_n
        self.r_alpha, self.r_alpha_n = r_alpha, r_alpha_n

    # -- exact error probabilities from the tables ---------------------------

    def _reject_near(self, t: BinomTable, n1, r1, n2, r, threshold: float) -> np.ndarray:
        """P(X1 > r1 and X > r) for every pair, exact wherever it could decide a comparison with ``threshold``.

        Batched sums (:meth:`BinomTable.reject_many`), with every value
        within :attr:`TIE_BAND` of ``threshold`` summed again term by term.
        """
        v = t.reject_many(n1, r1, n2, r)
        near = np.flatnonzero(np.abs(v - threshold) <= self.TIE_BAND)
        for i in near:
            v[i] = t.reject(int(n1[i]), int(r1[i]), int(n2[i]), int(r[i]))
        return v

    def _decide(self, t: BinomTable, n1, r1, n2, r, threshold: float) -> np.ndarray:
        """``reject <= threshold`` for every pair (batched, near ties summed term by term)."""
        return self._reject_near(t, n1, r1, n2, r, threshold) <= threshold

    def _power_ok(self, n1, r1, n2, r) -> np.ndarray:
        """``P(promising | p1) >= 1 - beta`` for every pair (batched, near ties term by term)."""
        return self._reject_near(self.t1, n1, r1, n2, r, self.power_target) >= self.power_target

    def _r_alpha_bracket(self, n: int, n1: np.ndarray, r1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds ``lo <= r_alpha <= hi`` on the smallest r in [r1, n-1] with type I error <= alpha.

        Found without computing any probability:

        * the answer is at least the answer for the same (n1, r1) at any
          smaller n (more stage-2 patients only raise the type I error), and
          at least the answer for (n1, r1 + 1) at any n' <= n (a larger r1
          only lowers it);
        * it is at most the answer at a smaller n' plus n - n' (one more
          patient raises the total by at most one: X' > r + 1 implies X > r),
          and at most the single-stage critical value (the two-stage test
          rejects less often than the single-stage one).

        ``hi == n`` stands for "possibly none": no r <= n - 1 meets alpha in
        one stage.
        """
        mem, mem_n = self.r_alpha, self.r_alpha_n
        seen = mem_n[n1, r1] > 0
        lo = np.maximum(np.maximum(r1, mem[n1, r1]), mem[n1, r1 + 1])
        hi = np.maximum(lo, self.r_single[n])
        hi = np.where(seen, np.minimum(hi, mem[n1, r1] + (n - mem_n[n1, r1])), hi)
        return lo, hi

    def _r_alpha_solve(self, n: int, n1: np.ndarray, r1: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Smallest r in [lo, hi] with type I error <= alpha (-1 if none), by bisection.

        The error decreases in r and ``hi`` is known to meet alpha (or is the
        "none" marker n, never evaluated: bisection only looks below its
        upper end). Results are remembered for :meth:`_r_alpha_bracket`.
        """
        lo, hi = lo.copy(), hi.copy()
        n2 = n - n1
        active = np.flatnonzero(lo < hi)
        while active.size:
            mid = (lo[active] + hi[active]) // 2
            ok = self._decide(self.t0, n1[active], r1[active], n2[active], mid, self.alpha)
            hi[active[ok]] = mid[ok]
            lo[active[~ok]] = mid[~ok] + 1
            active = active[lo[active] < hi[active]]
        found = lo < n
        self.r_alpha[n1[found], r1[found]] = lo[found]
        self.r_alpha_n[n1[found], r1[found]] = n
        return np.where(found, lo, -1)

    def _first_threshold(self, min_lb: float) -> float:
        """First E(N|p0) threshold for a new n: the lower bound plus the largest recent gap."""
        if not self.recent_gaps:
            return math.inf
        return min_lb + max(self.recent_gaps[-3:]) + 5.0

    def best_for_n(self, n: int) -> tuple[int, int, int, float] | None:
        """Design (r1, n1, r, en0) with the smallest E(N|p0) for total n (ties: smaller n1), or None.

        Every pair (n1, r1) with E(N|p0) at most a threshold ``U`` is examined
        in one batch, from the largest allowed r1 down. Per n1 the first pair
        that is feasible (the best design with this n1: E(N|p0) decreases in
        r1), or that proves no smaller r1 can be (no r meets alpha, or even
        the single-stage power at that r is too low), closes n1. If some
        design is feasible, every design with a smaller E(N|p0) was in the
        batch, so the best of the batch is the best for n; otherwise ``U`` is
        raised and the open n1 continue. ``U`` starts from the lower bound
        ``n1 + (1 - PET0max(n1)) n2`` plus the recent gaps between it and
        the best design, so one batch usually settles n.
        """
        n1s = self.n1_allowed[self.n1_allowed <= n - 1]
        if n1s.size == 0:
            return None
        n2s = n - n1s
        cdf0 = self.t0.cdf
        sf1n = self.t1.sf[n]
        target = self.power_target
        cursor = self.r1max[n1s].copy()
        cur_en = n1s + (1.0 - cdf0[n1s, cursor]) * n2s
        is_open = np.ones(n1s.size, dtype=bool)
        min_lb = float(cur_en.min())
        limit = self._first_threshold(min_lb)
        step = max(limit - min_lb, 1.0)
        depth = np.arange(self.DEPTH)
        best: tuple[float, int, int, int] | None = None  # (en0, n1, r1, r)
        while True:
            act = np.flatnonzero(is_open & (cur_en <= limit))
            if act.size == 0:
                if best is not None or not is_open.any():
                    break
                # Nothing feasible below the threshold yet: raise it.
                limit = max(limit, float(cur_en[is_open].min())) + step
                step *= 2.0
                continue
            a_n1, a_n2 = n1s[act], n2s[act]
            r1g = cursor[act][:, None] - depth
            valid = r1g >= 0
            r1c = np.where(valid, r1g, 0)
            eng = a_n1[:, None] + (1.0 - cdf0[a_n1[:, None], r1c]) * a_n2[:, None]
            valid &= eng <= limit
            rows, cols = np.nonzero(valid)
            p_n1, p_r1 = a_n1[rows], r1g[rows, cols]
            p_n2 = n - p_n1
            lo, hi = self._r_alpha_bracket(n, p_n1, p_r1)
            r = self._r_alpha_solve(n, p_n1, p_r1, lo, hi)
            # Code per pair: 0 infeasible (go on to a smaller r1), 1 feasible,
            # 2 no smaller r1 can be feasible: no r meets alpha, or power is
            # at most P_p1(X > r) and a smaller r1 needs an r at least as large.
            code = np.zeros(rows.size, dtype=np.int8)
            stop = (r < 0) | (sf1n[np.maximum(r, 0)] < target)
            code[stop] = 2
            chk = np.flatnonzero(~stop)
            ok = self._power_ok(p_n1[chk], p_r1[chk], p_n2[chk], r[chk])
            code[chk[ok]] = 1
            grid = np.zeros(valid.shape, dtype=np.int8)
            grid[rows, cols] = code
            event = grid != 0
            has = event.any(axis=1)
            first = np.argmax(event, axis=1)
            ev_rows = np.flatnonzero(has)
            feas_rows = ev_rows[grid[ev_rows, first[ev_rows]] == 1]
            if feas_rows.size:
                rg = np.zeros(valid.shape, dtype=np.int64)
                rg[rows, cols] = r
                fc = first[feas_rows]
                f_en = eng[feas_rows, fc]
                f_n1 = a_n1[feas_rows]
                k = np.lexsort((f_n1, f_en))[0]
                cand = (float(f_en[k]), int(f_n1[k]), int(r1g[feas_rows[k], fc[k]]), int(rg[feas_rows[k], fc[k]]))
                if best is None or cand[:2] < best[:2]:
                    best = cand
                limit = min(limit, best[0])
            is_open[act[has]] = False
            # Rows without an event move below the pairs just examined.
            go = ~has
            g_act = act[go]
            cursor[g_act] -= valid[go].sum(axis=1)
            alive = cursor[g_act] >= 0
            is_open[g_act[~alive]] = False
            g_act = g_act[alive]
            cur_en[g_act] = n1s[g_act] + (1.0 - cdf0[n1s[g_act], cursor[g_act]]) * n2s[g_act]
        if best is None:
            return None
        self.recent_gaps.append(best[0] - min_lb)
        en0, b_n1, r1, r = best
        return r1, b_n1, r, en0

    def describe(self, r1: int, n1: int, r: int, n: int) -> SearchedDesign:
        """A candidate with its properties from the tables (agree with scipy to ~1e-14)."""
        n2 = n - n1
        pet0 = float(self.t0.cdf[n1, r1])
        return SearchedDesign(
            design=SimonDesign(r1, n1, r, n),
            kind="candidate",
            en0=n1 + (1.0 - pet0) * n2,
            pet0=pet0,
            alpha=self.t0.reject(n1, r1, n2, r),
            power=self.t1.reject(n1, r1, n2, r),
        )

    def en0_lower_bound(self, n: int) -> float:
        """Lower bound on E(N|p0) of every design with total sample size n."""
        n1s = self.n1_allowed[self.n1_allowed <= n - 1]
        if n1s.size == 0:
            return math.inf
        return float(np.min(n1s + (1.0 - self.petmax[n1s]) * (n - n1s)))

    def ump_feasible(self, n: int) -> bool:
        """Can the most powerful randomised level-alpha test on n observations reach the power?"""
        t0, t1 = self.t0, self.t1
        c = int(np.argmax(t0.sf[n, : n + 1] <= self.alpha))
        gamma = (self.alpha - t0.sf[n, c]) / t0.pmf[n, c] if t0.pmf[n, c] > 0 else 0.0
        ump_power = t1.sf[n, c] + gamma * t1.pmf[n, c]
        # Allowance for rounding: erring low only starts the search earlier.
        return ump_power >= self.power_target - 1e-12


def _describe(design: SimonDesign, kind: str, p0: float, p1: float) -> SearchedDesign:
    return SearchedDesign(
        design=design,
        kind=kind,
        en0=float(design.en(p0)),
        pet0=float(design.pet(p0)),
        alpha=float(design.p_reject(p0)),
        power=float(design.p_reject(p1)),
    )


def _admissible(cands: list[SearchedDesign], minimax: SearchedDesign, optimal: SearchedDesign) -> tuple[SearchedDesign, ...]:
    """Designs minimising q*n + (1-q)*en0 for some q in [0, 1], with their q intervals."""
    pool = [c for c in cands if minimax.design.n <= c.design.n <= optimal.design.n]
    n = np.array([c.design.n for c in pool], dtype=float)
    e = np.array([c.en0 for c in pool])
    slope = n - e  # f_i(q) = e_i + q * slope_i
    found: list[tuple[SearchedDesign, float, float]] = []
    for i, c in enumerate(pool):
        lo, hi = 0.0, 1.0
        for j in range(len(pool)):
            if j == i:
                continue
            ds = slope[i] - slope[j]
            de = e[j] - e[i]
            if ds > 0:  # i's line is steeper: i can win only for small q
                hi = min(hi, de / ds)
            elif ds < 0:
                lo = max(lo, de / ds)
            elif e[i] > e[j] or (e[i] == e[j] and j < i):
                lo, hi = 1.0, 0.0
            if lo > hi:
                break
        # A design that wins at a single q only (three collinear points) is
        # not listed; a lone candidate wins on all of [0, 1].
        if hi > lo:
            found.append((c, float(lo), float(hi)))
    found.sort(key=lambda t: -t[2])
    labelled = []
    for d, lo, hi in found:
        kind = "optimal" if d.design == optimal.design else "minimax" if d.design == minimax.design else "admissible"
        labelled.append(SearchedDesign(d.design, kind, d.en0, d.pet0, d.alpha, d.power, lo, hi))
    return tuple(labelled)


def simon_search(
    p0: float,
    p1: float,
    alpha: float,
    beta: float,
    *,
    nmax: int | None = None,
    n_bounds: tuple[int | None, int | None] | None = None,
    n1: int | None = None,
    n1_bounds: tuple[int | None, int | None] | None = None,
) -> SimonSearchResult:
    """Find the optimal, minimax and admissible Simon two-stage designs.

    Feasible designs have ``P(promising | p0) <= alpha`` and
    ``P(promising | p1) >= 1 - beta`` (Simon 1989).

    Parameters
    ----------
    p0 : float
        Response rate of no interest, in (0, 1).
    p1 : float
        Response rate of interest, in (p0, 1).
    alpha : float
        Largest allowed type I error, in (0, 1).
    beta : float
        Largest allowed type II error, in (0, 1).
    nmax : int, optional
        Search every total sample size up to ``nmax`` (so ``candidates``
        covers them). The search never stops before it has *proved* that no
        larger ``n`` gives a smaller ``E(N | p0)``: if that needs a larger
        ``n``, ``nmax`` is raised and ``nmax_raised`` is set. Default: as far
        as the proof needs.
    n_bounds : (int or None, int or None), optional
        Only designs with ``low <= n <= high``: a constraint, unlike ``nmax``.
        The result's ``proven`` is False when the upper bound stopped the
        search before the proof.
    n1 : int, optional
        Fix the stage-1 sample size.
    n1_bounds : (int or None, int or None), optional
        Only designs with ``low <= n1 <= high``.

    Returns
    -------
    SimonSearchResult

    Raises
    ------
    DesignError
        Invalid arguments.
    InfeasibleDesignError
        No design within the constraints (or below :data:`HARD_NMAX`) meets
        the error targets.

    References
    ----------
    Simon R. Optimal two-stage designs for phase II clinical trials.
    Controlled Clinical Trials 1989;10:1-10.

    Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II
    cancer clinical trials. Statistics in Medicine 2004;23:561-569.

    Examples
    --------
    >>> res = simon_search(0.1, 0.3, 0.05, 0.2)
    >>> str(res.optimal.design), round(res.optimal.en0, 2)
    ('1/10, 5/29', 15.01)
    >>> str(res.minimax.design), round(res.minimax.en0, 2)
    ('1/15, 5/25', 19.51)
    """
    p0, p1 = check_p0_p1(p0, p1)
    alpha = check_open_prob("alpha", alpha)
    beta = check_open_prob("beta", beta)
    nmax_req = None if nmax is None else check_int("nmax", nmax, minimum=2)
    if n1 is not None:
        n1 = check_int("n1", n1, minimum=1)
        if n1_bounds is not None:
            raise DesignError("give either n1 or n1_bounds, not both")
        n1_bounds = (n1, n1)
    n_lo, n_hi = _bounds("n_bounds", n_bounds, 2)
    n1_lo, n1_hi = _bounds("n1_bounds", n1_bounds, 1)
    if n_hi is not None and n_hi > HARD_NMAX:
        raise DesignError(f"n_bounds: the upper bound may be at most {HARD_NMAX}, got {n_hi}")
    if nmax_req is not None and nmax_req > HARD_NMAX:
        raise DesignError(f"nmax may be at most {HARD_NMAX}, got {nmax_req}")
    limit = HARD_NMAX if n_hi is None else n_hi

    s = _Searcher(p0, p1, alpha, beta, n1_lo, n1_hi, size_cap=limit)
    if nmax_req is not None:
        s.ensure(min(nmax_req, limit))

    # Smallest n any design could use (Neyman-Pearson bound).
    n = max(n_lo, 2, n1_lo + 1)
    while n <= limit:
        s.ensure(n)
        if s.ump_feasible(n):
            break
        n += 1
    n_first = n

    cands: list[SearchedDesign] = []
    opt: tuple[int, int, int, int, float] | None = None
    proven = False
    while n <= limit:
        s.ensure(n)
        best = s.best_for_n(n)
        if best is not None:
            r1, b_n1, r, en0 = best
            cands.append(s.describe(r1, b_n1, r, n))
            if opt is None or en0 < opt[4]:
                opt = (r1, b_n1, r, n, en0)
        if opt is not None and (nmax_req is None or n >= nmax_req):
            if s.en0_lower_bound(n + 1) >= opt[4]:
                proven = True
                break
        n += 1
    n_last = min(n, limit)

    if opt is None:
        where = f"n <= {n_hi}" if n_hi is not None else f"n <= {HARD_NMAX}"
        raise InfeasibleDesignError(
            f"no two-stage design with {where}"
            + (f" and n1 in [{n1_lo}, {n1_hi if n1_hi is not None else 'any'}]" if n1_bounds else "")
            + f" has type I error <= {alpha:g} and power >= {1 - beta:g} for p0={p0:g}, p1={p1:g}"
        )
    if not proven and n_hi is None:
        raise DesignError(
            f"the optimal design may need n > {HARD_NMAX} (p0={p0:g} and p1={p1:g} are very close); "
            "bound the search with n_bounds to get the best design within a limit"
        )

    optimal = next(d for d in cands if d.design.n == opt[3])
    minimax = cands[0]
    hull = _admissible(cands, minimax, optimal)

    def tagged(d: SearchedDesign, kind: str) -> SearchedDesign:
        # The designs reported are recomputed from scratch with scipy,
        # independently of the tables that drove the search.
        q = next(((h.q_low, h.q_high) for h in hull if h.design == d.design), (math.nan, math.nan))
        fresh = _describe(d.design, kind, p0, p1)
        return SearchedDesign(fresh.design, kind, fresh.en0, fresh.pet0, fresh.alpha, fresh.power, q[0], q[1])

    admissible = tuple(tagged(h, h.kind) for h in hull)

    constraints: dict[str, object] = {}
    if n_bounds is not None:
        constraints["n_bounds"] = [n_lo, n_hi]
    if n1_bounds is not None:
        constraints["n1_bounds"] = [n1_lo, n1_hi]
    return SimonSearchResult(
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        optimal=tagged(optimal, "optimal"),
        minimax=tagged(minimax, "minimax"),
        admissible=admissible,
        candidates=tuple(cands),
        n_searched=(n_first, n_last),
        nmax_requested=nmax_req,
        nmax_raised=nmax_req is not None and n_last > nmax_req,
        proven=proven,
        constraints=constraints,
    )
