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
  full sums give. A pair without a narrow bracket gallops from a guess (the
  last such r found for its stage-1 size, shifted by p0 per added patient),
  which costs two or three sums instead of a bisection's six or seven.
* A sharper bound on ``r1`` comes from Neyman and Pearson: every design
  with ``(n1, r1)`` rejects H0 only when ``X1 > r1``, so its power is at most
  that of the most powerful (randomised) level-alpha test on ``n`` patients
  restricted to that event. That power falls as ``r1`` rises and does not
  fall as ``n`` grows, so ``r1np(n1, n)``, the largest ``r1`` it allows, is
  computed once per block of 32 totals (at the block's end, a bound for the
  whole block) and prunes both the stage-1 sizes examined and the ``r1``
  they start from.
* The proof that ends the search: once no design with ``n' > n`` can have a
  smaller ``E(N | p0)`` than the incumbent. Every design with ``(n1, r1, n')``
  has ``E(N | p0) >= n1 + (1 - PET0) (n' - n1)`` with ``r1 <= r1max(n1)``,
  and, sharper, ``r1 <= r1np(n1, n')``; the totals beyond ``n`` are cut into
  segments where ``r1np`` at the segment's end bounds ``r1`` (see
  ``_Searcher.proven_beyond``). Until the proof holds the search goes on,
  raising a too-small ``nmax`` rather than truncating silently.
* Only the minimax, admissible and optimal designs asked for
  (``candidates="frontier"``, as ``simtrial design`` asks): a total whose
  designs all have ``E(N | p0)`` above the best of the smaller totals can be
  none of them (it is beaten by a design with fewer patients and no larger
  ``E(N | p0)``, so it is not on the convex hull), and its threshold is
  never raised past that incumbent: the total is settled by the proof that
  nothing below it is feasible, without finding its own best design.
* No design with total ``n`` can beat the most powerful (randomised)
  level-``alpha`` test on ``n`` observations (Neyman-Pearson), which gives
  the smallest ``n`` worth searching (found by bisection: that power does not
  fall as ``n`` grows).
* The binomial tables keep each row's band of non-negligible counts only
  (:class:`~simtrial.design._binom.BinomTable`), so memory and time grow as
  ``n`` times the band, about ``20 sqrt(n p (1 - p))``, rather than ``n**2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simtrial.design._binom import BinomTable, binom_pmf_rows
from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design.simon import SimonDesign
from simtrial.errors import DesignError, InfeasibleDesignError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SearchedDesign", "SimonSearchResult", "simon_search", "HARD_NMAX"]

#: Largest total sample size the search will ever consider: enough for every
#: realistic problem (p1 - p0 >= 0.05, alpha >= 0.01, beta >= 0.05 need at most
#: about 1900); p0 and p1 closer than that call for a different kind of trial.
HARD_NMAX = 2500


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

    #: Most stage-1 cut-offs examined per stage-1 size and round: one in its
    #: first round (about 60% of stage-1 sizes are settled by their top r1),
    #: then 2, then DEPTH, so few sums are spent beyond the one that settles it.
    DEPTH = 4
    #: Half-width of the band around a threshold inside which a batched error
    #: probability is recomputed term by term before it decides anything.
    #: Batched and term-by-term sums differ by rounding (at most about 1e-13
    #: for the longest sums, typically 1e-16) and the truncated tails (below
    #: 2e-14), so outside this band both give the same decision.
    TIE_BAND = 1e-11
    #: Totals per block sharing one Neyman-Pearson bound on r1 (:meth:`np_update`).
    NP_BLOCK = 32
    #: Totals searched together by :meth:`best_for_many`.
    BATCH = 8
    #: Stage-1 cut-offs per stage-1 size whose r_alpha is remembered (those
    #: the search visits: within this many of r1max).
    MEM_DEPTH = 64

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
        # r_alpha[n1, c]: smallest r meeting the type I error for (r1, n1) at
        # total size r_alpha_n[n1, c] (0: not computed yet), for the r1 within
        # MEM_DEPTH below r1max(n1) (c = r1 - r1max(n1) + MEM_DEPTH). Kept
        # across n because it bounds the answer for every larger n (see
        # _r_alpha_bracket); deeper r1 are simply not remembered.
        self.r_alpha = np.zeros((0, self.MEM_DEPTH + 2), dtype=np.int64)
        self.r_alpha_n = np.zeros((0, self.MEM_DEPTH + 2), dtype=np.int64)
        # Gap between the best E(N|p0) and its lower bound at recent n, to
        # choose the first E(N|p0) threshold of the next n.
        self.recent_gaps: list[float] = []
        # r1np[n1]: the restricted Neyman-Pearson bound on r1 at total np_at[n1]
        # (an upper bound on every feasible r1 for n <= np_at[n1]; 0: none).
        self.r1np = np.zeros(0, dtype=np.int64)
        self.np_at = np.zeros(0, dtype=np.int64)
        self.np_cache: dict[int, np.ndarray] = {}
        # np_c[n1]: the critical value c of the last restricted Neyman-Pearson
        # test with stage-1 size n1, at total np_c_n[n1] (0: none); a guess only.
        self.np_c = np.zeros(0, dtype=np.int64)
        self.np_c_n = np.zeros(0, dtype=np.int64)
        self._refresh()

    def ensure(self, size: int) -> None:
        if size > self.t0.size:
            # Rows are filled in place: grow by at least 64 at a time (never
            # past the largest n the search may visit), then extend the
            # per-row quantities by the new rows only.
            new = max(size, self.t0.size + 64)
            if self.size_cap is not None:
                new = min(new, max(size, self.size_cap))
            old = self.t0.size
            self.t0.ensure(new)
            self.t1.ensure(new)
            self._refresh(old)

    def _refresh(self, old: int = -1) -> None:
        """Extend the per-row quantities to the rows ``old + 1 .. size`` of the tables."""
        size = self.t0.size
        t0, t1 = self.t0, self.t1
        rows = np.arange(old + 1, size + 1)
        # r1max[n1]: largest r1 with P_p1(X1 <= r1) <= beta (-1 if none); cdf
        # is non-decreasing along a row and ~0 below its stored band. The tiny
        # allowance only loosens the bound, never excludes a design.
        below = t1.lo[rows] + (t1.cdf_b[rows] <= self.beta + 1e-12).sum(axis=1) - 1
        r1max = np.minimum(below, rows - 1)
        ok = r1max >= 0
        petmax = np.zeros(rows.size)
        petmax[ok] = t0.cdf_at(rows[ok], r1max[ok])
        # Single-stage critical values: c[n] = smallest r with P_p0(X > r) <= alpha
        # (n when even r = n - 1 is too likely).
        r_single = np.minimum(t0.sf_first_at_most(rows, self.alpha), rows)
        if old < 0:
            self.r1max, self.petmax, self.r_single = r1max, petmax, r_single
        else:
            self.r1max = np.concatenate([self.r1max, r1max])
            self.petmax = np.concatenate([self.petmax, petmax])
            self.r_single = np.concatenate([self.r_single, r_single])
        n1_all = np.arange(size + 1)
        allowed = (self.r1max >= 0) & (n1_all >= self.n1_lo)
        if self.n1_hi is not None:
            allowed &= n1_all <= self.n1_hi
        self.n1_allowed = n1_all[allowed]
        self.r1np = np.concatenate([self.r1np, np.full(rows.size, -1, dtype=np.int64)])
        self.np_at = np.concatenate([self.np_at, np.zeros(rows.size, dtype=np.int64)])
        self.np_c = np.concatenate([self.np_c, np.zeros(rows.size, dtype=np.int64)])
        self.np_c_n = np.concatenate([self.np_c_n, np.zeros(rows.size, dtype=np.int64)])
        # Keep the r_alpha memory of the smaller tables (rows depend on n1 only).
        extra = np.zeros((rows.size, self.MEM_DEPTH + 2), dtype=np.int64)
        self.r_alpha = np.concatenate([self.r_alpha, extra])
        self.r_alpha_n = np.concatenate([self.r_alpha_n, extra.copy()])

    def _mem_col(self, n1: np.ndarray, r1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column of (n1, r1) in the r_alpha memory, and whether it has one."""
        c = r1 - self.r1max[n1] + self.MEM_DEPTH
        inside = (c >= 0) & (c <= self.MEM_DEPTH + 1)
        return np.where(inside, c, 0), inside

    # -- exact error probabilities from the tables ---------------------------

    def _reject_near(self, t: BinomTable, n1, r1, n2, r, threshold: float) -> np.ndarray:
        """P(X1 > r1 and X > r) for every pair, exact wherever it could decide a comparison with ``threshold``.

        Batched sums (:meth:`BinomTable.reject_many`), with every value
        within :attr:`TIE_BAND` of ``threshold`` summed again term by term.
        """
        v = t.reject_many(n1, r1, n2, r)
        near = np.flatnonzero(np.abs(v - threshold) <= self.TIE_BAND)
        if near.size:
            v[near] = t.reject_each(n1[near], r1[near], n2[near], r[near])
        return v

    def _power_ok(self, n1, r1, n2, r) -> np.ndarray:
        """``P(promising | p1) >= 1 - beta`` for every pair (batched, near ties term by term)."""
        return self._reject_near(self.t1, n1, r1, n2, r, self.power_target) >= self.power_target

    def _r_alpha_bracket(self, n: int, n1: np.ndarray, r1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bounds ``lo <= r_alpha <= hi`` on the smallest r in [r1, n-1] with type I error <= alpha.

        Found without computing any probability (``n`` may be an array, one
        total per pair):

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
        c, has = self._mem_col(n1, r1)
        c1, has1 = self._mem_col(n1, r1 + 1)
        # Only answers found at a total no larger than n bound the answer at n
        # (several totals may be searched in one batch).
        has &= mem_n[n1, c] <= n
        has1 &= mem_n[n1, c1] <= n
        got, got_n = np.where(has, mem[n1, c], 0), np.where(has, mem_n[n1, c], 0)
        seen = got_n > 0
        lo = np.maximum(np.maximum(r1, got), np.where(has1, mem[n1, c1], 0))
        hi = np.maximum(lo, self.r_single[n])
        hi = np.where(seen, np.minimum(hi, got + (n - got_n)), hi)
        return lo, hi

    def _r_alpha_solve(self, n: int, n1: np.ndarray, r1: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Smallest r in [lo, hi] with type I error <= alpha (-1 if none).

        The error decreases in r and ``hi`` is known to meet alpha (or is the
        "none" marker n, never tried: the search only looks below its upper
        end). Narrow brackets (the usual case) are bisected; wide ones start
        from a guess (:meth:`_c_guess`). Results are remembered for
        :meth:`_r_alpha_bracket`.
        """
        guess = (lo + hi) // 2
        wide = np.flatnonzero(hi - lo >= 4)
        if wide.size:
            guess[wide] = self._c_guess(np.broadcast_to(n, lo.shape)[wide], n1[wide], r1[wide])
        lo = self._first_meeting(self.t0, n1, r1, n - n1, lo, hi, guess, self.alpha, exact_ties=True)[0]
        c, has = self._mem_col(n1, r1)
        keep = (lo < n) & has
        self.r_alpha[n1[keep], c[keep]] = lo[keep]
        self.r_alpha_n[n1[keep], c[keep]] = np.broadcast_to(n, lo.shape)[keep]
        found = lo < n
        self.np_c[n1[found]] = lo[found]
        self.np_c_n[n1[found]] = np.broadcast_to(n, lo.shape)[found]
        return np.where(found, lo, -1)

    # -- the restricted Neyman-Pearson bound on r1 ----------------------------

    def _np_ok(self, n: int, n1: np.ndarray, r1: np.ndarray) -> np.ndarray:
        """Could a design that stops when ``X1 <= r1`` after ``n1`` patients reach the power with ``n`` in all?

        Every such design rejects H0 only when ``X1 > r1``. Among all
        level-alpha tests on ``n`` patients that reject only then, the most
        powerful (Neyman-Pearson, randomised) rejects for large totals ``X``:
        with ``c`` the smallest ``r`` with ``P_p0(X1 > r1, X > r) <= alpha``, it
        rejects when ``X > c`` and with probability ``gamma`` when ``X = c``.
        If its power falls short, no design with this ``(n1, r1, n)`` is
        feasible. Its power falls as ``r1`` rises and does not fall as ``n``
        grows (a test on fewer patients is a test on more). Comparisons lean
        towards feasibility by 1e-12, far more than the batched sums' error,
        so rounding can only let a pair through.
        """
        tol = 1e-12
        t0, t1 = self.t0, self.t1
        ok = t1.sf_at(n1, r1) >= self.power_target - tol  # the whole of X1 > r1 rejected
        inner = np.flatnonzero(ok & (t0.sf_at(n1, r1) > self.alpha + tol))
        if inner.size:
            a1, rr = n1[inner], r1[inner]
            a2 = n - a1
            # c is the smallest r meeting alpha exactly (bracketed from what the
            # search learnt at smaller n, see _r_alpha_bracket); with the
            # tolerance the search for it may stop below it, never above. The
            # errors at c and c - 1 come from the sums that found it.
            lo, hi = self._r_alpha_bracket(n, a1, rr)
            lo = np.maximum(lo, rr + 1)
            hi = np.maximum(lo, np.minimum(hi, n))
            c, a0c, a0m = self._first_meeting(t0, a1, rr, a2, lo, hi, self._c_guess(n, a1, rr), self.alpha + tol,
                                              values=True)
            self.np_c[a1], self.np_c_n[a1] = c, n
            both = t1.reject_many(np.tile(a1, 2), np.tile(rr, 2), np.tile(a2, 2), np.concatenate([c, c - 1]))
            p1c, p1m = both[: c.size], both[c.size :]
            gap = a0m - a0c
            gamma = np.clip(np.where(gap > 0, (self.alpha - a0c) / np.where(gap > 0, gap, 1.0), 1.0), 0.0, 1.0)
            ok[inner] = p1c + gamma * (p1m - p1c) >= self.power_target - tol
        return ok

    def _c_guess(self, n, n1: np.ndarray, r1: np.ndarray) -> np.ndarray:
        """A guess at the smallest r with ``P_p0(X1 > r1, X > r) <= alpha`` at total ``n`` (scalar or per pair).

        That r moves little with r1 and by about p0 per patient, so the last
        one found for the stage-1 size is the guess; without one, the
        smallest r with ``P_p0(X > r) <= alpha + P_p0(X1 <= r1)``, a lower bound.
        """
        n = np.broadcast_to(n, n1.shape)
        guess = self.np_c[n1] + np.round((n - self.np_c_n[n1]) * self.p0).astype(np.int64)
        new = np.flatnonzero(self.np_c_n[n1] == 0)
        if new.size:
            cdf1 = self.t0.cdf_at(n1[new], r1[new])
            guess[new] = self.t0.sf_first_at_most(n[new], (self.alpha + cdf1)[:, None])
        return guess

    def _first_meeting(self, t: BinomTable, n1, r1, n2, lo, hi, guess, threshold: float, *,
                       exact_ties: bool = False, values: bool = False):
        """Smallest r in ``[lo, hi]`` with ``P(X1 > r1, X > r) <= threshold`` (``hi`` known to meet it, never summed).

        Gallops from ``guess`` (down while meeting, up while not, doubling
        the step), then bisects: a guess within a few of the answer costs two
        or three batched sums, a guess in the middle of the bracket as much
        as bisection. ``exact_ties``: sums near the threshold are redone
        term by term (:meth:`_reject_near`), so each decision is exact.
        ``values``: also return the errors at the answer and one below, kept
        from the sums that decided it (those never summed are summed at the
        end); otherwise they are NaN where not summed.
        """
        lo, hi = lo.copy(), hi.copy()
        at_hi = np.full(lo.size, np.nan)
        below = np.full(lo.size, np.nan)

        def probe(idx: np.ndarray, m: np.ndarray) -> np.ndarray:
            if exact_ties:
                v = self._reject_near(t, n1[idx], r1[idx], n2[idx], m, threshold)
            else:
                v = t.reject_many(n1[idx], r1[idx], n2[idx], m)
            ok = v <= threshold
            hi[idx[ok]], at_hi[idx[ok]] = m[ok], v[ok]
            lo[idx[~ok]], below[idx[~ok]] = m[~ok] + 1, v[~ok]
            return ok

        act = np.flatnonzero(lo < hi)
        going_down = np.zeros(lo.size, dtype=bool)  # per pair: its last probe met the threshold
        going_down[act] = probe(act, np.clip(guess[act], lo[act], hi[act] - 1))
        act = act[lo[act] < hi[act]]
        step = 1
        while act.size:
            d = going_down[act]
            m = np.where(d, np.maximum(hi[act] - step, lo[act]), np.minimum(lo[act] + step - 1, hi[act] - 1))
            ok = probe(act, m)
            act = act[(ok == d) & (lo[act] < hi[act])]  # a turn ends the gallop
            step *= 2
        act = np.flatnonzero(lo < hi)
        while act.size:
            probe(act, (lo[act] + hi[act]) // 2)
            act = act[lo[act] < hi[act]]
        c = lo
        for vals, r in ((at_hi, c), (below, c - 1)) if values else ():
            miss = np.flatnonzero(np.isnan(vals))
            if miss.size:
                vals[miss] = t.reject_many(n1[miss], r1[miss], n2[miss], r[miss])
        return c, at_hi, below

    def _np_find(self, n: int, n1: np.ndarray, lo: np.ndarray, guess: np.ndarray) -> np.ndarray:
        """Largest r1 in ``[lo, r1max(n1)]`` passing :meth:`_np_ok` at ``n``, given ``lo`` passes (or is -1).

        Tests ``guess`` and the r1 after it, then gallops (up while passing,
        down while failing, doubling the step) and bisects: a good guess
        settles it in one call.
        Passing is monotone in r1 (a larger r1 only restricts the tests).
        """
        lo = lo.astype(np.int64).copy()
        hi = self.r1max[n1] + 1  # never passes: the power is at most P_p1(X1 > r1)
        act = np.flatnonzero(lo + 1 < hi)
        if act.size:
            # The guess and the next r1 in one call: the answer is usually one of them.
            g = np.minimum(np.maximum(guess[act], lo[act] + 1), hi[act] - 1)
            both = self._np_ok(n, np.tile(n1[act], 2), np.concatenate([g, g + 1]))
            ok, ok_next = both[: g.size], both[g.size :] & (g + 1 < hi[act])
            lo[act[ok]] = np.where(ok_next, g + 1, g)[ok]
            hi[act[~ok]] = g[~ok]
            hi[act[ok & ~ok_next]] = g[ok & ~ok_next] + 1
            up = np.zeros(lo.size, dtype=bool)
            up[act[ok]] = True
            step = np.ones(lo.size, dtype=np.int64)
            act = act[lo[act] + 1 < hi[act]]
            while act.size:
                u = up[act]
                m = np.where(u, np.minimum(lo[act] + step[act], hi[act] - 1),
                             np.maximum(hi[act] - step[act], lo[act] + 1))
                ok = self._np_ok(n, n1[act], m)
                lo[act[ok]] = m[ok]
                hi[act[~ok]] = m[~ok]
                # Keep galloping while the direction holds; a turn ends it.
                go = (u & ok) | (~u & ~ok)
                step[act[go]] *= 2
                act = act[go & (lo[act] + 1 < hi[act])]
        act = np.flatnonzero(lo + 1 < hi)
        while act.size:
            mid = (lo[act] + hi[act]) // 2
            ok = self._np_ok(n, n1[act], mid)
            lo[act[ok]] = mid[ok]
            hi[act[~ok]] = mid[~ok]
            act = act[lo[act] + 1 < hi[act]]
        return lo

    def _np_raise(self, n: int, n1: np.ndarray, known: np.ndarray) -> np.ndarray:
        """``r1np(n1, n)``: the largest ``r1 <= r1max(n1)`` passing :meth:`_np_ok` at ``n`` (-1: none).

        ``known`` is an r1 known to pass (or -1). From a known value the
        answer is usually it or one more. Stage-1 sizes with nothing known
        are first solved on a coarse grid of sizes; the bound changes
        smoothly with n1, so the others start from the grid's interpolation.
        """
        out = known.astype(np.int64).copy()
        fresh = np.flatnonzero(known < 0)
        if fresh.size > 32:
            grid = fresh[np.unique(np.linspace(0, fresh.size - 1, fresh.size // 16 + 2).astype(np.int64))]
            out[grid] = self._np_find(n, n1[grid], out[grid], self.r1max[n1[grid]] // 2)
            rest = np.setdiff1d(fresh, grid)
            guess = np.round(np.interp(n1[rest], n1[grid], out[grid])).astype(np.int64)
            out[rest] = self._np_find(n, n1[rest], out[rest], guess)
            fresh = np.zeros(0, dtype=np.int64)
        if fresh.size:
            out[fresh] = self._np_find(n, n1[fresh], out[fresh], self.r1max[n1[fresh]] // 2)
        old = np.flatnonzero(known >= 0)
        if old.size:
            out[old] = self._np_find(n, n1[old], out[old], out[old] + 1)
        return out

    def np_update(self, n_lo: int, n_hi: int, u_est: float) -> None:
        """Bound r1 for the block of totals ``n_lo..n_hi``: ``r1np`` at ``n_hi`` for the stage-1 sizes that matter.

        Only stage-1 sizes whose lower bound on E(N|p0) at ``n_lo`` is likely
        to be at most ``u_est`` are bounded, judged with the previous block's
        bound plus 2 (it rarely grows faster): the others are examined, if
        ever, from ``r1max``, so this choice only decides how much work is
        spared, never what is found.
        """
        self.ensure(n_hi)
        n1s = self.n1_allowed[self.n1_allowed <= n_hi - 1]
        guess = np.where(self.np_at[n1s] > 0, np.minimum(self.r1np[n1s] + 2, self.r1max[n1s]), self.r1max[n1s])
        guess = np.maximum(guess, 0)
        n1s = n1s[n1s + (1.0 - self.t0.cdf_at(n1s, guess)) * (n_lo - n1s) <= u_est]
        if n1s.size == 0:
            return
        # Values at a smaller n pass at n_hi too (the bound only rises with n).
        known = np.where((self.np_at[n1s] > 0) & (self.np_at[n1s] <= n_hi), self.r1np[n1s], -1)
        self.r1np[n1s] = self._np_raise(n_hi, n1s, known)
        self.np_at[n1s] = n_hi

    def r1top(self, n1: np.ndarray, n: int) -> np.ndarray:
        """Largest r1 any feasible design with stage-1 size ``n1`` and total ``n`` can have (-1: none)."""
        return np.where(self.np_at[n1] >= n, self.r1np[n1], self.r1max[n1])

    def _np_at(self, b: int, n1: np.ndarray, known: np.ndarray) -> np.ndarray:
        """``r1np(n1, b)``, remembered per ``b`` (later proof attempts ask for the same totals); ``known`` passes at b."""
        cache = self.np_cache.get(b)
        if cache is None:
            cache = self.np_cache[b] = np.full(b + 1, -2, dtype=np.int64)
        out = cache[n1]
        todo = np.flatnonzero(out == -2)
        if todo.size:
            out[todo] = self._np_raise(b, n1[todo], known[todo])
            cache[n1[todo]] = out[todo]
        return out

    def proven_beyond(self, n: int, en0: float, limit: int) -> bool:
        """True when no design with total ``n' > n`` has E(N|p0) below ``en0``.

        Every design with ``(n1, r1, n')`` has ``E(N|p0) >= n1 + (1 - P_p0(X1 <= r1)) (n' - n1)``
        and ``r1 <= r1np(n1, n')``. The totals from ``n + 1`` to ``limit`` are
        cut into segments ``(a, b]`` ending on multiples of 8 (later attempts
        reuse the bounds); within one, ``r1np(n1, b)`` bounds r1 and ``a + 1``
        bounds ``n'``. The bound is computed only for stage-1 sizes whose
        loose bound (``r1max``) does not settle them, and those thin out as
        ``n'`` grows. Beyond ``limit`` only the loose bound is used.
        """
        a = n
        known = np.where(self.np_at > 0, self.r1np, -1)  # values at smaller n pass at larger n
        while a < limit:
            b = min((a // 8 + 1) * 8, limit)
            n1s = self.n1_allowed[self.n1_allowed <= b - 1]
            n1s = n1s[n1s + (1.0 - self.petmax[n1s]) * (a + 1 - n1s) < en0]
            if n1s.size == 0:
                return True  # the loose bound only grows with n'
            self.ensure(b)
            k = np.where(self.np_at[n1s] <= b, known[n1s], -1)
            top = self._np_at(b, n1s, k)
            known[n1s] = np.maximum(known[n1s], top)
            ok = top >= 0
            lb = n1s[ok] + (1.0 - self.t0.cdf_at(n1s[ok], top[ok])) * (a + 1 - n1s[ok])
            if lb.size and float(lb.min()) < en0:
                return False
            a = b
        return self.en0_lower_bound(limit + 1) >= en0

    def _first_threshold(self, min_lb: float) -> float:
        """First E(N|p0) threshold for a new n: the lower bound plus the largest recent gap."""
        if not self.recent_gaps:
            return math.inf
        return min_lb + max(self.recent_gaps[-3:]) + 5.0

    def best_for_n(self, n: int) -> tuple[int, int, int, float] | None:
        """Design (r1, n1, r, en0) with the smallest E(N|p0) for total n (ties: smaller n1), or None."""
        return self.best_for_many(np.array([n]))[0]

    def best_for_many(self, ns: np.ndarray, cap: float = math.inf) -> list[tuple[int, int, int, float] | None]:
        """:meth:`best_for_n` for several totals at once: the same result for each, in one set of batches.

        For each n, every pair (n1, r1) with E(N|p0) at most a threshold
        ``U(n)`` is examined in one batch, from the largest allowed r1 down.
        Per (n, n1) the first pair that is feasible (the best design with
        this n1: E(N|p0) decreases in r1), or that proves no smaller r1 can be
        (no r meets alpha, or even the single-stage power at that r is too
        low), closes n1. If some design is feasible, every design with a
        smaller E(N|p0) was in the batch, so the best of the batch is the best
        for n; otherwise ``U(n)`` is raised and the open n1 continue. ``U(n)``
        starts from the lower bound ``n1 + (1 - PET0max(n1)) n2`` plus the
        recent gaps between it and the best design, so one batch usually
        settles n. The totals share the numpy calls, which is what batching
        them buys; each total's pairs, thresholds and decisions are its own.

        With a finite ``cap``, a total whose designs all have ``E(N|p0) >
        cap`` gives None: thresholds are never raised past ``cap``.
        """
        ns = np.asarray(ns, dtype=np.int64)
        count = ns.size
        allowed = self.n1_allowed
        parts = [allowed[allowed <= n - 1] for n in ns]
        bi = np.repeat(np.arange(count), [a.size for a in parts])
        n1s = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        nn = ns[bi]
        top = np.where(self.np_at[n1s] >= nn, self.r1np[n1s], self.r1max[n1s])
        keep = top >= 0
        bi, n1s, nn, cursor = bi[keep], n1s[keep], nn[keep], top[keep]
        if n1s.size == 0:
            return [None] * count
        n2s = nn - n1s
        cdf0 = self.t0.cdf_at
        target = self.power_target
        cur_en = n1s + (1.0 - cdf0(n1s, cursor)) * n2s
        is_open = np.ones(n1s.size, dtype=bool)
        tried = np.ones(n1s.size, dtype=np.int64)
        min_lb = np.full(count, math.inf)
        np.minimum.at(min_lb, bi, cur_en)
        gap = max(self.recent_gaps[-3:]) + 5.0 if self.recent_gaps else math.inf
        limit = np.minimum(min_lb + gap, cap)
        step = np.maximum(limit - min_lb, 1.0)
        depth = np.arange(self.DEPTH)
        best_en = np.full(count, math.inf)
        best_n1 = np.full(count, -1, dtype=np.int64)
        best_r1 = np.full(count, -1, dtype=np.int64)
        best_r = np.full(count, -1, dtype=np.int64)
        while True:
            act = np.flatnonzero(is_open & (cur_en <= limit[bi]))
            busy = np.zeros(count, dtype=bool)
            busy[bi[act]] = True
            still = np.zeros(count, dtype=bool)
            still[bi[is_open]] = True
            # Totals with nothing below their threshold and nothing feasible yet: raise it.
            raise_ = ~busy & still & (best_n1 < 0)
            # Totals already at the cap: nothing of theirs is worth more.
            capped = raise_ & (limit >= cap)
            if capped.any():
                is_open &= ~capped[bi]
                raise_ &= ~capped
            if raise_.any():
                low = np.full(count, math.inf)
                open_idx = np.flatnonzero(is_open)
                np.minimum.at(low, bi[open_idx], cur_en[open_idx])
                limit[raise_] = np.minimum(np.maximum(limit[raise_], low[raise_]) + step[raise_], cap)
                step[raise_] *= 2.0
            if act.size == 0:
                if not (raise_.any() or capped.any()):
                    break
                continue
            a_b, a_n1, a_n2 = bi[act], n1s[act], n2s[act]
            a_n = ns[a_b]
            # A stage-1 size's first round tries its top r1 only (most close
            # there), each later round twice as many, up to DEPTH.
            r1g = cursor[act][:, None] - depth
            valid = (r1g >= 0) & (depth < tried[act][:, None])
            tried[act] = np.minimum(2 * tried[act], self.DEPTH)
            r1c = np.where(valid, r1g, 0)
            eng = a_n1[:, None] + (1.0 - cdf0(a_n1[:, None], r1c)) * a_n2[:, None]
            valid &= eng <= limit[a_b][:, None]
            rows, cols = np.nonzero(valid)
            p_n, p_n1, p_r1 = a_n[rows], a_n1[rows], r1g[rows, cols]
            p_n2 = p_n - p_n1
            lo, hi = self._r_alpha_bracket(p_n, p_n1, p_r1)
            r = self._r_alpha_solve(p_n, p_n1, p_r1, lo, hi)
            # Code per pair: 0 infeasible (go on to a smaller r1), 1 feasible,
            # 2 no smaller r1 can be feasible: no r meets alpha, or power is
            # at most P_p1(X > r) and a smaller r1 needs an r at least as large.
            code = np.zeros(rows.size, dtype=np.int8)
            stop = (r < 0) | (self.t1.sf_at(p_n, np.maximum(r, 0)) < target)
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
                f_b = a_b[feas_rows]
                order = np.lexsort((f_n1, f_en, f_b))
                lead = order[np.r_[True, f_b[order][1:] != f_b[order][:-1]]]  # the best per total
                for k in lead:
                    b = int(f_b[k])
                    cand = (float(f_en[k]), int(f_n1[k]))
                    if best_n1[b] < 0 or cand < (best_en[b], best_n1[b]):
                        best_en[b], best_n1[b] = cand
                        best_r1[b] = int(r1g[feas_rows[k], fc[k]])
                        best_r[b] = int(rg[feas_rows[k], fc[k]])
                limit = np.minimum(limit, best_en)
            is_open[act[has]] = False
            # Rows without an event move below the pairs just examined.
            go = ~has
            g_act = act[go]
            cursor[g_act] -= valid[go].sum(axis=1)
            alive = cursor[g_act] >= 0
            is_open[g_act[~alive]] = False
            g_act = g_act[alive]
            cur_en[g_act] = n1s[g_act] + (1.0 - cdf0(n1s[g_act], cursor[g_act])) * n2s[g_act]
        out: list[tuple[int, int, int, float] | None] = []
        for b in range(count):
            if best_n1[b] < 0:
                out.append(None)
                continue
            self.recent_gaps.append(float(best_en[b] - min_lb[b]))
            out.append((int(best_r1[b]), int(best_n1[b]), int(best_r[b]), float(best_en[b])))
        return out

    def describe(self, found: list[tuple[int, int, int, int]]) -> list[SearchedDesign]:
        """The candidates ``(r1, n1, r, n)`` with their properties from the tables (agree with scipy to ~1e-14).

        The error probabilities are :meth:`BinomTable.reject`'s, computed for
        all candidates at once (:meth:`BinomTable.reject_each`).
        """
        r1, n1, r, n = (np.array(col, dtype=np.int64) for col in zip(*found))
        n2 = n - n1
        pet0 = self.t0.cdf_at(n1, r1)
        en0 = n1 + (1.0 - pet0) * n2
        alpha = self.t0.reject_each(n1, r1, n2, r)
        power = self.t1.reject_each(n1, r1, n2, r)
        return [
            SearchedDesign(design=SimonDesign(*f), kind="candidate", en0=float(e), pet0=float(q), alpha=float(a),
                           power=float(b))
            for f, e, q, a, b in zip(found, en0, pet0, alpha, power)
        ]

    def block_lower_bound(self, n: int) -> float:
        """Lower bound on E(N|p0) at total ``n`` from the current bounds on r1 (no new error probability)."""
        n1s = self.n1_allowed[self.n1_allowed <= n - 1]
        top = self.r1top(n1s, n)
        n1s, top = n1s[top >= 0], top[top >= 0]
        if n1s.size == 0:
            return math.inf
        return float(np.min(n1s + (1.0 - self.t0.cdf_at(n1s, top)) * (n - n1s)))

    def en0_lower_bound(self, n: int) -> float:
        """Lower bound on E(N|p0) of every design with total sample size n (or more).

        Stage-1 sizes beyond the tables' rows are left out: their designs
        have E(N|p0) >= n1 > size, and the search only asks when size
        exceeds the E(N|p0) to beat.
        """
        n1s = self.n1_allowed[self.n1_allowed <= n - 1]
        if n1s.size == 0:
            return math.inf
        return float(np.min(n1s + (1.0 - self.petmax[n1s]) * (n - n1s)))

    def ump_feasible(self, n: int) -> bool:
        """Can the most powerful randomised level-alpha test on n observations reach the power?

        Computed from the two binomial rows of ``n`` directly (no table), so
        the start of the search can be found before the tables are sized.
        """
        pmf = binom_pmf_rows(n, np.array([self.p0, self.p1]))
        sf = np.zeros_like(pmf)
        sf[:, :-1] = np.cumsum(pmf[:, :0:-1], axis=1)[:, ::-1]
        c = int(np.argmax(sf[0] <= self.alpha))
        gamma = (self.alpha - sf[0, c]) / pmf[0, c] if pmf[0, c] > 0 else 0.0
        ump_power = sf[1, c] + gamma * pmf[1, c]
        # Allowance for rounding: erring low only starts the search earlier.
        return ump_power >= self.power_target - 1e-12

    def reserve(self, size: int) -> None:
        """Allocate the tables for rows up to ``size`` (filled only as the search reaches them)."""
        if self.size_cap is not None:
            size = min(size, self.size_cap)
        self.t0.reserve(size)
        self.t1.reserve(size)


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
    idx = np.arange(len(pool))
    for i, c in enumerate(pool):
        other = idx != i
        ds = slope[i] - slope[other]
        de = e[other] - e[i]
        steeper, flatter = ds > 0, ds < 0
        # i's line is steeper than j's: i can win only for q below their crossing; flatter: above it.
        hi = min(1.0, float(np.min(de[steeper] / ds[steeper], initial=np.inf)))
        lo = max(0.0, float(np.max(de[flatter] / ds[flatter], initial=-np.inf)))
        # A parallel line below i's (or equal and listed first) beats i everywhere.
        par = ~(steeper | flatter)
        if np.any((de[par] < 0) | ((de[par] == 0) & (idx[other][par] < i))):
            lo, hi = 1.0, 0.0
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
    candidates: str = "all",
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
    candidates : {"all", "frontier"}, optional
        Which totals' best designs the result's ``candidates`` holds:
        ``"all"`` (default) every feasible ``n`` searched; ``"frontier"``
        only those whose best ``E(N | p0)`` is below that of every smaller
        ``n``. The optimal, minimax and admissible designs are the same
        either way (a design beaten by one with a smaller ``n`` is never on
        the convex hull), and ``"frontier"`` is faster: a total that cannot
        beat the best smaller one is settled as soon as that is proved,
        without finding its own best design.

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
    if candidates not in ("all", "frontier"):
        raise DesignError(f"candidates must be 'all' or 'frontier', got {candidates!r}")
    frontier = candidates == "frontier"
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

    # Smallest n any design could use (Neyman-Pearson bound). The most
    # powerful test's power does not fall as n grows (it may ignore patients),
    # so bisection finds the first n where it reaches the target.
    lo_n, hi_n = max(n_lo, 2, n1_lo + 1), limit + 1
    if lo_n <= limit and s.ump_feasible(limit):
        hi_n = limit
        while lo_n < hi_n:
            mid = (lo_n + hi_n) // 2
            if s.ump_feasible(mid):
                hi_n = mid
            else:
                lo_n = mid + 1
    n = n_first = hi_n
    # The proof usually ends within 1.3 times the smallest n: room for that
    # much (or nmax) at once; the tables grow further if needed.
    s.reserve(max(int(1.4 * n) + 64, nmax_req or 0))

    found: list[tuple[int, int, int, int]] = []  # the best (r1, n1, r, n) of each feasible n
    found_en: list[float] = []
    opt: tuple[int, int, int, int, float] | None = None
    proven = False
    np_upto = 0  # the Neyman-Pearson bounds on r1 hold up to this total
    next_proof = n
    pending: list[tuple[int, tuple[int, int, int, float] | None]] = []
    while n <= limit:
        if not pending:
            # Several totals per batch (fewer numpy calls), never across a
            # block of Neyman-Pearson bounds; results past the proof are dropped.
            if found and n > np_upto:
                # Once designs exist, bound r1 block by block; the last best
                # E(N|p0) with room to grow says which stage-1 sizes are worth bounding.
                np_upto = min(n + s.NP_BLOCK - 1, limit)
                recent = found_en[-s.NP_BLOCK :]
                s.np_update(n, np_upto, max(recent) + (max(recent) - min(recent)) + 5.0)
            width = 1 if not found else s.BATCH
            last = min(n + width - 1, limit, np_upto if found else n)
            s.ensure(last)
            ns = np.arange(n, last + 1)
            cap = opt[4] if (opt is not None and frontier) else math.inf
            pending = list(zip(ns.tolist(), s.best_for_many(ns, cap)))
        _, best = pending.pop(0)
        if best is not None:
            r1, b_n1, r, en0 = best
            found.append((r1, b_n1, r, n))
            found_en.append(en0)
            if opt is None or en0 < opt[4]:
                opt = (r1, b_n1, r, n, en0)
        if opt is not None and (nmax_req is None or n >= nmax_req):
            if s.en0_lower_bound(n + 1) >= opt[4]:
                proven = True
                break
            if n >= next_proof and s.block_lower_bound(n + 1) >= opt[4]:
                # The tighter proof costs bounds on r1 beyond n: tried only when
                # the bounds at hand already clear the next n, and now and then.
                if s.proven_beyond(n, opt[4], limit):
                    proven = True
                    break
                next_proof = n + 8
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

    if frontier:
        # Totals computed in the same batch as a better, smaller one are not on the frontier either.
        kept, best_en = [], math.inf
        for f, e in zip(found, found_en):
            if e < best_en:
                kept.append(f)
                best_en = e
        found = kept
    cands = s.describe(found)
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
