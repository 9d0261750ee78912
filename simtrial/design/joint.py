"""Bryant and Day's two-stage design: response and toxicity monitored jointly.

Each patient has a response (probability ``p``) and a toxicity (probability
``q``); the two are independent or associated with a given odds ratio. In
Bryant and Day's notation, with ``Y`` the number of patients *without*
toxicity:

* after ``n1`` patients the trial stops if responses ``X1 <= r1`` or
  non-toxicities ``Y1 <= t1``;
* otherwise ``n2 = n - n1`` more are treated, and the drug is declared
  promising only if responses ``X > r`` and non-toxicities ``Y > t``.

As a :class:`~simtrial.design.tables.DecisionTable` this is looks ``(n1, n)``,
futility ``(r1, r)`` and toxicity bounds ``(n1 - t1, n - t)``: stop when
patients with toxicity reach ``n_k - t_k``.

Four configurations of ``(p, q)`` matter (``p0 < p1`` response rates, ``q0 <
q1`` toxicity rates):

* ineffective but safe ``(p0, q0)``: ``P(promising) <= alpha`` (Bryant and
  Day's alpha_R);
* effective but toxic ``(p1, q1)``: ``P(promising) <= alpha_tox`` (alpha_T);
* ineffective and toxic ``(p0, q1)``: its error is reported; it never exceeds
  either of the two above (at a fixed odds ratio, more responses or fewer
  toxicities per patient only raise ``P(promising)``, by coupling);
* effective and safe ``(p1, q0)``: ``P(promising) >= 1 - beta``.

The *optimal* design minimises the larger of the expected sample sizes under
the two null configurations ``(p0, q0)`` and ``(p1, q1)`` (Bryant and Day's
criterion; the third null configuration never has a larger one, by the same
coupling). The *minimax* design has the smallest ``n``, ties broken by that
criterion. Among designs with the same ``(n1, r1, t1, n)`` (the same expected
sample sizes) the one with the largest power is reported, then the smallest
``r`` and ``t``.

How the search proves optimality (no ``n`` is skipped on a guess):

* ``E(N)`` depends on ``(n1, r1, t1, n)`` only, through the probability of
  continuing after stage 1. Power is at most the probability of continuing
  under ``(p1, q0)``, so only ``(r1, t1)`` with that probability at least
  ``1 - beta`` can be feasible. For every ``n`` all such ``(n1, r1, t1)`` are
  examined in increasing order of the criterion; the first for which some
  ``(r, t)`` meets the three error constraints is the best design for ``n``.
* For each ``n1`` the smallest criterion over those ``(r1, t1)`` gives a lower
  bound ``n1 + (n - n1) c(n1)`` for every larger ``n``; once it reaches the
  best design found for every ``n1`` below it, no larger ``n`` can do better.
* No design with ``n`` patients beats the most powerful (randomised) test of
  ``(p0, q0)`` against ``(p1, q0)`` on ``n`` patients, nor that of ``(p1, q1)``
  against ``(p1, q0)`` (Neyman-Pearson; exact over the four outcome cells of a
  patient): this gives the smallest ``n`` worth searching.
* Under independence the error probabilities factor into a response part and a
  toxicity part; a response part with ``P_p0 / P_p1 > alpha / (1 - beta)``,
  or a toxicity part with the analogous ratio above ``alpha_tox / (1 - beta)``,
  cannot be feasible whatever the other part (divide the two constraints), so
  such ``r1`` and ``t1`` are set aside before the pairs are examined.
* Every error probability within ``1e-11`` of its bound is recomputed by the
  :class:`~simtrial.design.tables.DecisionTable`'s exact dynamic programming
  before it decides anything, and the designs reported are recomputed that way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simtrial.design._binom import binom_pmf_rows
from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design.families import FamilyDesign, FamilyResult, register_family
from simtrial.design.tables import DecisionTable, _joint_increment, joint_cell_probabilities
from simtrial.errors import DesignError, InfeasibleDesignError

__all__ = [
    "BryantDayDesign",
    "BryantDaySearchResult",
    "JointDesignProperties",
    "bryant_day_search",
    "bryant_day_family",
    "CONFIGURATIONS",
    "HARD_NMAX_JOINT",
]

#: Largest total sample size the Bryant-Day search will consider.
HARD_NMAX_JOINT = 400

#: The four configurations, in the order the search and the results use.
CONFIGURATIONS = ("ineffective_safe", "effective_toxic", "ineffective_toxic", "effective_safe")

@dataclass(frozen=True)
class BryantDayDesign:
    """A Bryant-Day design in the paper's notation (``t1``, ``t`` count patients *without* toxicity).

    Parameters
    ----------
    n1 : int
        Stage-1 sample size, ``1 <= n1 < n``.
    r1 : int
        Stop after stage 1 if responses ``<= r1`` (``-1``: never for response).
    t1 : int
        Stop after stage 1 if non-toxicities ``<= t1`` (``-1``: never for toxicity).
    n : int
        Total sample size.
    r : int
        Promising only if responses ``> r`` (``r1 <= r < n``).
    t : int
        Promising only if non-toxicities ``> t`` (``t1 <= t < n``).

    References
    ----------
    Bryant J, Day R. Incorporating toxicity considerations into the design of
    two-stage phase II clinical trials. Biometrics 1995;51:1372-1383.

    Examples
    --------
    >>> d = BryantDayDesign(n1=19, r1=5, t1=11, n=33, r=12, t=22)
    >>> d.table().toxicity
    (8, 11)
    """

    n1: int
    r1: int
    t1: int
    n: int
    r: int
    t: int

    def __post_init__(self) -> None:
        n1 = check_int("n1", self.n1, minimum=1)
        n = check_int("n", self.n, minimum=2)
        if n1 >= n:
            raise DesignError(f"n1 must be smaller than n, got n1={n1} >= n={n}")
        r1 = check_int("r1", self.r1, minimum=-1)
        t1 = check_int("t1", self.t1, minimum=-1)
        r = check_int("r", self.r, minimum=-1)
        t = check_int("t", self.t, minimum=-1)
        for name, v in (("r1", r1), ("t1", t1)):
            if v >= n1:
                raise DesignError(f"{name} must be smaller than n1, got {name}={v} >= n1={n1}")
        for name, v, v1 in (("r", r, r1), ("t", t, t1)):
            if v >= n:
                raise DesignError(f"{name} must be smaller than n, got {name}={v} >= n={n}")
            if v < v1:
                raise DesignError(f"{name} must be >= {name}1, got {name}={v} < {name}1={v1}")
        for name, v in (("n1", n1), ("r1", r1), ("t1", t1), ("n", n), ("r", r), ("t", t)):
            object.__setattr__(self, name, v)

    def __str__(self) -> str:
        return f"n1={self.n1}, r1={self.r1}, t1={self.t1}; n={self.n}, r={self.r}, t={self.t}"

    def to_dict(self) -> dict[str, int]:
        """``{"n1", "r1", "t1", "n", "r", "t"}`` (Bryant and Day's notation)."""
        return {"n1": self.n1, "r1": self.r1, "t1": self.t1, "n": self.n, "r": self.r, "t": self.t}

    def table(self) -> DecisionTable:
        """Looks ``(n1, n)``, futility ``(r1, r)``, toxicity ``(n1 - t1, n - t)`` (None where ``t = -1``)."""
        tox = tuple(None if u < 0 else m - u for m, u in ((self.n1, self.t1), (self.n, self.t)))
        return DecisionTable(looks=(self.n1, self.n), futility=(self.r1, self.r), toxicity=tox,
                             label=f"Bryant-Day {self.r1}/{self.t1}/{self.n1}, {self.r}/{self.t}/{self.n}")


@dataclass(frozen=True)
class JointDesignProperties:
    """A Bryant-Day design with its exact properties under the four configurations.

    Attributes
    ----------
    design : BryantDayDesign
    kind : str
        ``"optimal"`` or ``"minimax"``.
    p_promising, en, pet : dict
        ``{configuration: value}`` for each of :data:`CONFIGURATIONS`:
        probability of declaring the drug promising, expected sample size,
        probability of stopping after stage 1.
    """

    design: BryantDayDesign
    kind: str
    p_promising: dict[str, float]
    en: dict[str, float]
    pet: dict[str, float]

    @property
    def en_null(self) -> float:
        """The criterion: ``max(E(N | p0, q0), E(N | p1, q1))``."""
        return max(self.en["ineffective_safe"], self.en["effective_toxic"])

    @property
    def power(self) -> float:
        """``P(promising | p1, q0)``."""
        return self.p_promising["effective_safe"]

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", n1, r1, t1, n, r, t, "en_null", "power", "p_promising": {...}, "en": {...}, "pet": {...}}``."""
        return {"kind": self.kind, **self.design.to_dict(), "en_null": self.en_null, "power": self.power,
                "p_promising": dict(self.p_promising), "en": dict(self.en), "pet": dict(self.pet)}


def _properties(design: BryantDayDesign, kind: str, cfg: np.ndarray, psi: float) -> JointDesignProperties:
    """Exact properties from the design's DecisionTable (``cfg[c] = (p, q)`` per configuration)."""
    oc = design.table().oc(cfg[:, 0], cfg[:, 1], odds_ratio=psi)
    return JointDesignProperties(
        design=design, kind=kind,
        p_promising={c: float(v) for c, v in zip(CONFIGURATIONS, oc.p_reject, strict=True)},
        en={c: float(v) for c, v in zip(CONFIGURATIONS, oc.en, strict=True)},
        pet={c: float(v) for c, v in zip(CONFIGURATIONS, oc.stop[:, 0], strict=True)},
    )


@dataclass(frozen=True)
class BryantDaySearchResult:
    """Result of :func:`bryant_day_search`.

    Attributes
    ----------
    p0, p1, q0, q1, alpha, alpha_tox, beta, odds_ratio : float
        The targets.
    optimal : JointDesignProperties
        Smallest ``max(E(N | p0, q0), E(N | p1, q1))`` (ties: smaller ``n``).
    minimax : JointDesignProperties
        Smallest ``n``, then the smallest criterion.
    n_searched : (int, int)
        First and last total sample size searched.
    nmax_requested : int or None
    nmax_raised : bool
        True when proving the optimal design needed ``n`` beyond ``nmax``.
    proven : bool
        False only when ``max_n`` stopped the search before the proof (the
        optimal design is then optimal within that bound).
    """

    p0: float
    p1: float
    q0: float
    q1: float
    alpha: float
    alpha_tox: float
    beta: float
    odds_ratio: float
    optimal: JointDesignProperties
    minimax: JointDesignProperties
    n_searched: tuple[int, int]
    nmax_requested: int | None
    nmax_raised: bool
    proven: bool

    def designs(self) -> list[JointDesignProperties]:
        """Minimax, then optimal (both present even when they coincide)."""
        return [self.minimax, self.optimal]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the targets, ``"designs"`` and the search's extent."""
        return {
            "p0": self.p0, "p1": self.p1, "q0": self.q0, "q1": self.q1, "alpha": self.alpha,
            "alpha_tox": self.alpha_tox, "beta": self.beta, "odds_ratio": self.odds_ratio,
            "designs": [d.to_dict() for d in self.designs()],
            "n_searched": list(self.n_searched), "nmax_requested": self.nmax_requested,
            "nmax_raised": self.nmax_raised, "proven": self.proven,
        }


# ---------------------------------------------------------------------------
# the search


def _np_power(n: int, cells0: np.ndarray, cells1: np.ndarray, level: float) -> float:
    """Power of the most powerful randomised level-``level`` test of cells0 against cells1 on ``n`` patients.

    Exact over the multinomial counts of the four (response, toxicity)
    cells: outcomes are taken in decreasing likelihood ratio until the null
    probability reaches ``level``; outcomes with equal ratios trade size for
    power at the same rate, so their order does not matter.
    """
    i, j, k = np.meshgrid(np.arange(n + 1), np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = i + j + k <= n
    counts = np.stack([i[ok], j[ok], k[ok], n - i[ok] - j[ok] - k[ok]], axis=1).astype(float)
    lg = np.array([math.lgamma(v + 1.0) for v in range(n + 1)])
    log_coef = lg[n] - lg[counts.astype(int)].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        l0 = np.where(counts > 0, counts * np.log(cells0), 0.0).sum(axis=1) + log_coef
        l1 = np.where(counts > 0, counts * np.log(cells1), 0.0).sum(axis=1) + log_coef
    ratio = np.where(np.isfinite(l0), l1 - l0, np.inf)
    order = np.argsort(-ratio, kind="stable")
    f0, f1 = np.exp(l0[order]), np.exp(l1[order])
    c0 = np.cumsum(f0)
    m = int(np.searchsorted(c0, level, side="right"))  # outcomes fully in the rejection region
    power = float(f1[:m].sum())
    if m < f0.size and f0[m] > 0:
        power += f1[m] * (level - (c0[m - 1] if m else 0.0)) / f0[m]
    return power


def _np_power_binomial(n: int, null: float, alt: float, level: float) -> float:
    """Power at ``alt`` of the most powerful randomised level-``level`` test of ``null < alt`` on Bin(n)."""
    f0 = binom_pmf_rows(n, np.array(null))[::-1]  # the largest counts first: decreasing likelihood ratio
    f1 = binom_pmf_rows(n, np.array(alt))[::-1]
    c0 = np.cumsum(f0)
    m = int(np.searchsorted(c0, level, side="right"))
    power = float(f1[:m].sum())
    if m < f0.size and f0[m] > 0:
        power += f1[m] * (level - (c0[m - 1] if m else 0.0)) / f0[m]
    return power


class _Searcher:
    """State of one Bryant-Day search; see the module docstring for the method."""

    #: Half-width of the band around a bound inside which an error probability
    #: from the search's arrays is recomputed by the DecisionTable's dynamic
    #: programming. The arrays differ from it by rounding (below 1e-13; the
    #: FFT of the dependent case stays below 1e-14 for these sizes).
    TIE_BAND = 1e-11

    def __init__(self, p0: float, p1: float, q0: float, q1: float, alpha: float, alpha_tox: float, beta: float,
                 psi: float) -> None:
        self.alpha, self.alpha_tox, self.beta, self.psi = alpha, alpha_tox, beta, psi
        self.target = 1.0 - beta
        # Configurations used by the search: effective-safe (power),
        # ineffective-safe (alpha), effective-toxic (alpha_tox).
        self.cfg = np.array([[p1, q0], [p0, q0], [p1, q1]])
        self.all_cfg = np.array([[p0, q0], [p1, q1], [p0, q1], [p1, q0]])
        self.cells = joint_cell_probabilities(self.cfg[:, 0], self.cfg[:, 1], np.full(3, psi))
        self.independent = psi == 1.0
        self._stage1: dict[int, np.ndarray] = {}
        self._joint: dict[int, np.ndarray] = {}
        self._survival: dict[tuple[int, int], tuple[np.ndarray, int]] = {}
        self._ok: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._parts: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._lb: dict[int, float] = {}

    # -- probabilities -------------------------------------------------------

    def _joint_pmf(self, m: int) -> np.ndarray:
        """``[3, x, y]``: P(x responses, y patients without toxicity among m) per search configuration."""
        g = self._joint.get(m)
        if g is None:
            g = _joint_increment(m, self.cells)[:, :, ::-1]  # toxicities -> patients without toxicity
            self._joint[m] = g
        return g

    def stage1(self, n1: int) -> np.ndarray:
        """``C[c, r1 + 1, t1 + 1] = P(X1 > r1, Y1 > t1)`` under search configuration c."""
        c = self._stage1.get(n1)
        if c is None:
            if self.independent:
                pr = _tail_from_rows(binom_pmf_rows(n1, self.cfg[:, 0]))
                pt = _tail_from_rows(binom_pmf_rows(n1, 1.0 - self.cfg[:, 1]))
                c = pr[:, :, None] * pt[:, None, :]
            else:
                g = self._joint_pmf(n1)
                c = np.cumsum(np.cumsum(g[:, ::-1, ::-1], axis=1), axis=2)[:, ::-1, ::-1]
            self._stage1[n1] = c
        return c

    def _marginal_parts(self, n1: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Independence: ``A[c, r1 + 1, r] = P(X1 > r1, X > r)`` and the same for non-toxicities, r in 0..n-1."""
        key = (n1, n)
        if key not in self._parts:
            self._parts[key] = tuple(_two_stage_pass(n1, n - n1, rates)
                                     for rates in (self.cfg[:, 0], 1.0 - self.cfg[:, 1]))
            if len(self._parts) > 4096:
                self._parts.pop(next(iter(self._parts)))
        return self._parts[key]

    def final(self, n1: int, n: int, r1: int, t1: int) -> tuple[np.ndarray, int, int]:
        """``F[c, i, j] = P(X1 > r1, Y1 > t1, X > r, Y > t)`` for ``r = r_lo + i``, ``t = t_lo + j``.

        Over the box of final bounds that :meth:`_component_ok` allows
        (an empty array when there is none).
        """
        ok_r, ok_t = self._component_ok(n1, n)
        rs, ts = np.flatnonzero(ok_r[r1 + 1]), np.flatnonzero(ok_t[t1 + 1])
        rs, ts = rs[rs >= max(r1, 0)], ts[ts >= max(t1, 0)]
        if rs.size == 0 or ts.size == 0:
            return np.zeros((3, 0, 0)), 0, 0
        r_lo, r_hi, t_lo, t_hi = int(rs[0]), int(rs[-1]), int(ts[0]), int(ts[-1])
        if self.independent:
            ar, at = self._marginal_parts(n1, n)
            return ar[:, r1 + 1, r_lo : r_hi + 1, None] * at[:, t1 + 1, None, t_lo : t_hi + 1], r_lo, t_lo
        # F[r, t] = sum over x1 > r1, y1 > t1 of g1[x1, y1] S(r - x1, t - y1),
        # S(a, b) = P(X2 > a, Y2 > b), summed directly over the box.
        g1 = self._joint_pmf(n1)[:, r1 + 1 :, t1 + 1 :]
        sx, pad = self._stage2_survival(n1, n)
        top = sx.shape[1] - 1  # a zero row: counts above n2 cannot be exceeded
        ia = np.minimum(np.arange(r_lo, r_hi + 1)[:, None] - np.arange(r1 + 1, n1 + 1)[None, :] + pad, top)
        ib = np.minimum(np.arange(t_lo, t_hi + 1)[:, None] - np.arange(t1 + 1, n1 + 1)[None, :] + pad, top)
        out = np.stack([np.einsum("rxuy,xy->ru", sx[c][ia[:, :, None, None], ib[None, None, :, :]], g1[c])
                        for c in range(3)])
        return np.clip(out, 0.0, 1.0), r_lo, t_lo

    def _stage2_survival(self, n1: int, n: int) -> tuple[np.ndarray, int]:
        """``sx[c, a + pad, b + pad] = P(X2 > a, Y2 > b)`` for a, b in ``-pad..n2 + 1`` (``pad = n1 + 1``).

        Counts below -1 repeat a = -1 (``X2 > a`` is certain); the last row
        and column (a = n2 + 1, never exceeded) are zero.
        """
        key = (n1, n)
        if key not in self._survival:
            n2 = n - n1
            g2 = self._joint_pmf(n2)
            s = np.zeros((3, n2 + 2, n2 + 2))  # s[c, a + 1, b + 1] for a, b in -1..n2
            s[:, :-1, :-1] = np.cumsum(np.cumsum(g2[:, ::-1, ::-1], axis=1), axis=2)[:, ::-1, ::-1]
            pad = n1 + 1
            idx = np.minimum(np.maximum(np.arange(n2 + 2 + pad) - pad, -1) + 1, n2 + 1)
            self._survival = {key: (s[:, idx][:, :, idx], pad)}
        return self._survival[key]

    # -- the search ----------------------------------------------------------

    def lower_bound(self, n1: int) -> float:
        """``min max(C_ineffective_safe, C_effective_toxic)`` over the ``(r1, t1)`` with ``C_effective_safe >= 1 - beta``."""
        if n1 not in self._lb:
            c = self.stage1(n1)
            allowed = c[0] >= self.target - 1e-12
            crit = np.maximum(c[1], c[2])
            self._lb[n1] = float(crit[allowed].min()) if allowed.any() else math.inf
        return self._lb[n1]

    def np_feasible(self, n: int) -> bool:
        """Can the most powerful tests on n patients reach the power at both error levels?"""
        if self.independent:
            # The likelihood ratio depends on the responses only (or on the
            # non-toxicities only): the binomial Neyman-Pearson test.
            (p1, q0), (p0, _), (_, q1) = self.cfg
            ok_r = _np_power_binomial(n, p0, p1, self.alpha) >= self.target - 1e-12
            return ok_r and _np_power_binomial(n, 1 - q1, 1 - q0, self.alpha_tox) >= self.target - 1e-12
        cells = self.cells  # effective-safe, ineffective-safe, effective-toxic
        ok_r = _np_power(n, cells[1], cells[0], self.alpha) >= self.target - 1e-12
        return ok_r and _np_power(n, cells[2], cells[0], self.alpha_tox) >= self.target - 1e-12

    def _component_ok(self, n1: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``ok_r[r1 + 1, r]``, ``ok_t[t1 + 1, t]``: the final bounds that the marginal counts allow.

        With ``A`` the event that the responses pass (``X1 > r1``, ``X > r``)
        and ``B`` that the non-toxicities pass, ``P(promising) = P(A and B)``;
        ``A`` is increasing in the patients' responses, ``B`` in their
        non-toxicities. Power is at most ``P(A)`` and ``P(B)`` under
        ``(p1, q0)``, so both must reach ``1 - beta``. For the errors:

        * independence (odds ratio 1): ``P(A and B) = P(A) P(B)``; dividing
          each error constraint by the power constraint bounds
          ``P_(p0,q0)(A) / P_(p1,q0)(A)`` by ``alpha / (1 - beta)`` and
          ``P_(p1,q1)(B) / P_(p1,q0)(B)`` by ``alpha_tox / (1 - beta)``;
        * odds ratio below 1: response and non-toxicity are positively
          associated in each patient, hence across patients (Esary, Proschan
          and Walkup 1967), so ``P(A and B) >= P(A) P(B)`` and the error
          constraints bound ``P_(p0,q0)(A)`` by ``alpha / (1 - beta)`` and
          ``P_(p1,q1)(B)`` by ``alpha_tox / (1 - beta)``;
        * odds ratio above 1: only ``P(A and B) >= P(A) + P(B) - 1`` holds,
          which bounds them by ``alpha + beta`` and ``alpha_tox + beta``.
        """
        if (n1, n) in self._ok:
            return self._ok[(n1, n)]
        ar, at = self._marginal_parts(n1, n)
        slack = 1e-9  # only ever keeps more candidates
        ok_r = ar[0] >= self.target - slack
        ok_t = at[0] >= self.target - slack
        if self.independent:
            ok_r &= ar[1] * self.target <= self.alpha * ar[0] + slack
            ok_t &= at[2] * self.target <= self.alpha_tox * at[0] + slack
        elif self.psi < 1.0:
            ok_r &= ar[1] * self.target <= self.alpha + slack
            ok_t &= at[2] * self.target <= self.alpha_tox + slack
        else:
            ok_r &= ar[1] <= self.alpha + self.beta + slack
            ok_t &= at[2] <= self.alpha_tox + self.beta + slack
        if len(self._ok) > 4096:
            self._ok.pop(next(iter(self._ok)))
        self._ok[(n1, n)] = (ok_r, ok_t)
        return ok_r, ok_t

    def _exact(self, n1: int, n: int, r1: int, t1: int, r: int, t: int) -> np.ndarray:
        """P(promising) under the three search configurations, by the DecisionTable."""
        d = BryantDayDesign(n1, r1, t1, n, r, t)
        return d.table().oc(self.cfg[:, 0], self.cfg[:, 1], odds_ratio=self.psi).p_reject

    def feasible(self, n1: int, n: int, r1: int, t1: int) -> tuple[int, int, float] | None:
        """The best ``(r, t, power)`` meeting the three constraints for this stage 1, or None."""
        f, r_lo, t_lo = self.final(n1, n, r1, t1)
        if f.size == 0:
            return None
        band = self.TIE_BAND
        good, e_r, e_t = f[0], f[1], f[2]
        ok = (good >= self.target) & (e_r <= self.alpha) & (e_t <= self.alpha_tox)
        near = ((np.abs(good - self.target) <= band) | (np.abs(e_r - self.alpha) <= band)
                | (np.abs(e_t - self.alpha_tox) <= band))
        near &= (good >= self.target - band) & (e_r <= self.alpha + band) & (e_t <= self.alpha_tox + band)
        power = np.where(ok, good, -1.0)
        for i, j in zip(*np.nonzero(near)):
            v = self._exact(n1, n, r1, t1, r_lo + int(i), t_lo + int(j))
            fits = v[0] >= self.target and v[1] <= self.alpha and v[2] <= self.alpha_tox
            power[i, j] = v[0] if fits else -1.0
        if power.max() < 0:
            return None
        best = np.flatnonzero(power == power.max())[0]  # row-major: smallest r, then t
        i, j = divmod(int(best), power.shape[1])
        return r_lo + i, t_lo + j, float(power[i, j])

    def best_for_n(self, n: int, limit: float, n1_range: tuple[int, int | None]) -> tuple[float, tuple] | None:
        """The design with the smallest criterion below ``limit`` for total ``n`` (ties: smaller n1, r1, t1)."""
        lo, hi = n1_range
        hi = n - 1 if hi is None else min(hi, n - 1)
        crit_all, keys = [], []
        for n1 in range(lo, hi + 1):
            c = self.stage1(n1)
            allowed = c[0] >= self.target - 1e-12
            crit = n1 + (n - n1) * np.maximum(c[1], c[2])
            allowed &= crit < limit
            if allowed.any():
                ok_r, ok_t = self._component_ok(n1, n)
                allowed &= ok_r.any(axis=1)[:, None] & ok_t.any(axis=1)[None, :]
            ri, ti = np.nonzero(allowed)
            crit_all.append(crit[ri, ti])
            keys.append(np.stack([np.full(ri.size, n1), ri - 1, ti - 1], axis=1))
        if not crit_all:
            return None
        crit = np.concatenate(crit_all)
        key = np.concatenate(keys)
        order = np.lexsort((key[:, 2], key[:, 1], key[:, 0], crit))
        for idx in order:
            n1, r1, t1 = (int(v) for v in key[idx])
            found = self.feasible(n1, n, r1, t1)
            if found is not None:
                r, t, _ = found
                return float(crit[idx]), (n1, r1, t1, n, r, t)
        return None

    def proven_beyond(self, n: int, incumbent: float, n1_range: tuple[int, int | None]) -> bool:
        """No design with total size > n can have a criterion below ``incumbent``."""
        lo, hi = n1_range
        top = math.ceil(incumbent) if hi is None else min(hi, math.ceil(incumbent))
        for n1 in range(lo, top + 1):
            if n1 >= incumbent:
                break
            if n1 + (n + 1 - n1) * self.lower_bound(n1) < incumbent:
                return False
        return True


def _tail_from_rows(pmf: np.ndarray) -> np.ndarray:
    """Row-wise :func:`_tail_from`: ``out[s, j] = P(V > j - 1)``."""
    return np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]


def _two_stage_pass(n1: int, n2: int, rates: np.ndarray) -> np.ndarray:
    """``A[s, r1 + 1, r] = P(V1 > r1, V1 + V2 > r)`` for r1 in -1..n1-1, r in 0..n-1, binomial counts at ``rates[s]``."""
    n = n1 + n2
    b1 = binom_pmf_rows(n1, rates)  # [s, x1]
    b2 = binom_pmf_rows(n2, rates)
    sf2 = np.concatenate([_tail_from_rows(b2)[:, 1:], np.zeros((rates.size, 1))], axis=1)  # P(V2 > k), k = 0..n2
    x1 = np.arange(n1 + 1)[:, None]
    k = np.arange(n)[None, :] - x1  # r - x1
    tail = np.where(k < 0, 1.0, sf2[:, np.clip(k, 0, n2)])  # [s, x1, r]
    terms = b1[:, :, None] * tail
    # Sum over x1 > r1, from the top down: reverse cumulative sums of non-negative terms.
    return np.cumsum(terms[:, ::-1, :], axis=1)[:, ::-1, :]


def bryant_day_search(
    p0: float,
    p1: float,
    q0: float,
    q1: float,
    alpha: float,
    beta: float,
    *,
    alpha_tox: float | None = None,
    odds_ratio: float = 1.0,
    nmax: int | None = None,
    max_n: int | None = None,
) -> BryantDaySearchResult:
    """Find the optimal and minimax Bryant-Day designs.

    Parameters
    ----------
    p0, p1 : float
        Response rates of no interest and of interest, ``0 < p0 < p1 < 1``.
    q0, q1 : float
        Toxicity rates acceptable and too high, ``0 < q0 < q1 < 1``.
    alpha : float
        Largest ``P(promising)`` when ineffective but safe ``(p0, q0)``.
    beta : float
        Largest ``P(not promising)`` when effective and safe ``(p1, q0)``.
    alpha_tox : float, optional
        Largest ``P(promising)`` when effective but toxic ``(p1, q1)``
        (default: ``alpha``).
    odds_ratio : float
        Odds ratio between response and toxicity in a patient (1: independent).
    nmax : int, optional
        Search every ``n`` up to this at least; raised (``nmax_raised``) when
        the proof of optimality needs more.
    max_n : int, optional
        Only designs with ``n <= max_n`` (a constraint; ``proven`` is False
        when it stopped the search before the proof).

    Returns
    -------
    BryantDaySearchResult

    Raises
    ------
    DesignError
        Invalid arguments.
    InfeasibleDesignError
        No design with ``n <= max_n`` (or :data:`HARD_NMAX_JOINT`) meets the
        constraints.

    References
    ----------
    Bryant J, Day R. Incorporating toxicity considerations into the design of
    two-stage phase II clinical trials. Biometrics 1995;51:1372-1383.

    Examples
    --------
    >>> res = bryant_day_search(0.3, 0.5, 0.2, 0.4, 0.15, 0.15)
    >>> print(res.optimal.design)
    n1=19, r1=5, t1=11; n=33, r=12, t=22
    >>> round(res.optimal.en_null, 2)
    26.19
    """
    p0, p1 = check_p0_p1(p0, p1)
    try:
        q0, q1 = check_p0_p1(q0, q1)
    except DesignError as exc:
        raise DesignError(str(exc).replace("p0", "q0").replace("p1", "q1")) from None
    alpha = check_open_prob("alpha", alpha)
    beta = check_open_prob("beta", beta)
    alpha_tox = alpha if alpha_tox is None else check_open_prob("alpha_tox", alpha_tox)
    # An error bound of 1 - beta or more would allow designs whose final
    # analysis ignores response (or toxicity); the search leaves those out.
    for name, value in (("alpha", alpha), ("alpha_tox", alpha_tox)):
        if value >= 1.0 - beta:
            raise DesignError(f"{name} must be smaller than 1 - beta = {1 - beta:g}, got {value:g}")
    try:
        psi = float(odds_ratio)
    except (TypeError, ValueError):
        raise DesignError(f"odds_ratio must be a number > 0, got {odds_ratio!r}") from None
    if not (psi > 0 and math.isfinite(psi)):
        raise DesignError(f"odds_ratio must be a finite number > 0, got {odds_ratio!r}")
    nmax_req = None if nmax is None else check_int("nmax", nmax, minimum=2)
    if nmax_req is not None and nmax_req > HARD_NMAX_JOINT:
        raise DesignError(f"nmax may be at most {HARD_NMAX_JOINT}, got {nmax_req}")
    limit_n = HARD_NMAX_JOINT if max_n is None else check_int("max_n", max_n, minimum=2)
    if limit_n > HARD_NMAX_JOINT:
        raise DesignError(f"max_n may be at most {HARD_NMAX_JOINT}, got {limit_n}")

    s = _Searcher(p0, p1, q0, q1, alpha, alpha_tox, beta, psi)
    n1_range = (1, None)
    n = 2
    while n <= limit_n and not s.np_feasible(n):
        n += 1
    n_first = n
    minimax: tuple[float, tuple] | None = None
    best: tuple[float, tuple] | None = None
    proven = False
    while n <= limit_n:
        found = s.best_for_n(n, math.inf if best is None else best[0], n1_range)
        if found is not None:
            if minimax is None:
                minimax = found
            if best is None or found[0] < best[0]:
                best = found
        if best is not None and (nmax_req is None or n >= nmax_req) and s.proven_beyond(n, best[0], n1_range):
            proven = True
            break
        n += 1
    n_last = min(n, limit_n)
    if best is None or minimax is None:
        raise InfeasibleDesignError(
            f"no Bryant-Day design with n <= {limit_n} has P(promising) <= {alpha:g} at (p0, q0) = ({p0:g}, {q0:g}), "
            f"<= {alpha_tox:g} at (p1, q1) = ({p1:g}, {q1:g}) and >= {1 - beta:g} at (p1, q0) = ({p1:g}, {q0:g})")
    if not proven and max_n is None:
        raise DesignError(f"the optimal Bryant-Day design may need n > {HARD_NMAX_JOINT}; bound the search with "
                          "max_n to get the best design within a limit")
    cfg = s.all_cfg
    return BryantDaySearchResult(
        p0=p0, p1=p1, q0=q0, q1=q1, alpha=alpha, alpha_tox=alpha_tox, beta=beta, odds_ratio=psi,
        optimal=_properties(BryantDayDesign(*best[1]), "optimal", cfg, psi),
        minimax=_properties(BryantDayDesign(*minimax[1]), "minimax", cfg, psi),
        n_searched=(n_first, n_last), nmax_requested=nmax_req,
        nmax_raised=nmax_req is not None and n_last > nmax_req, proven=proven,
    )


@register_family("bryant-day")
def bryant_day_family(
    p0: float,
    p1: float,
    q0: float | None = None,
    q1: float | None = None,
    alpha: float = 0.05,
    beta: float = 0.2,
    alpha_tox: float | None = None,
    odds_ratio: float | None = None,
    nmax: int | None = None,
    max_n: int | None = None,
) -> FamilyResult:
    """Minimax and optimal Bryant-Day designs (:func:`bryant_day_search`) as a family result.

    Each design's JSON adds Bryant and Day's ``n1, r1, t1, n, r, t``, the
    error under each null configuration (``alpha_ineffective_safe``,
    ``alpha_effective_toxic``, ``alpha_ineffective_toxic``) and
    ``p_promising``, ``en`` and ``pet`` under all four. ``en0`` is the
    criterion ``max(E(N | p0, q0), E(N | p1, q1))``, ``en1`` is
    ``E(N | p1, q0)``, ``pet0`` the smaller probability of stopping after
    stage 1 of the two null configurations, ``alpha`` the largest error under
    the null configurations and ``power`` that at ``(p1, q0)``.
    """
    if q0 is None or q1 is None:
        raise DesignError(f"{'--q0' if q0 is None else '--q1'}: --family bryant-day needs the toxicity rates "
                          "--q0 (acceptable) and --q1 (too high)")
    res = bryant_day_search(p0, p1, q0, q1, alpha, beta, alpha_tox=alpha_tox,
                            odds_ratio=1.0 if odds_ratio is None else odds_ratio, nmax=nmax, max_n=max_n)
    designs = []
    notes = [f"searched n = {res.n_searched[0]}..{res.n_searched[1]}"]
    if res.nmax_raised:
        notes.append(f"nmax raised from {res.nmax_requested} to prove optimality")
    if not res.proven:
        notes.append("optimal within the n bound only")
    for d in res.designs():
        pp, en, pet = d.p_promising, d.en, d.pet
        extra = {**d.design.to_dict(),
                 "alpha_ineffective_safe": pp["ineffective_safe"],
                 "alpha_effective_toxic": pp["effective_toxic"],
                 "alpha_ineffective_toxic": pp["ineffective_toxic"],
                 "p_promising": dict(pp), "en": dict(en), "pet": dict(pet)}
        designs.append(FamilyDesign(
            family="bryant-day", kind=d.kind, table=d.design.table(), en0=d.en_null, en1=en["effective_safe"],
            pet0=min(pet["ineffective_safe"], pet["effective_toxic"]),
            alpha=max(pp["ineffective_safe"], pp["effective_toxic"], pp["ineffective_toxic"]), power=d.power,
            extra=extra))
        notes.append(f"{d.kind}: P(promising) {pp['ineffective_safe']:.4f} ineffective-safe, "
                     f"{pp['effective_toxic']:.4f} effective-toxic, {pp['ineffective_toxic']:.4f} both bad; "
                     f"E(N) {en['ineffective_safe']:.2f}, {en['effective_toxic']:.2f}, {en['ineffective_toxic']:.2f}")
    params = {k: v for k, v in res.to_dict().items() if k not in ("designs",)}
    return FamilyResult("bryant-day", params, tuple(designs), tuple(notes), source=res)
