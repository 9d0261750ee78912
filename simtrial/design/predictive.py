"""Predictive probability designs (Lee & Liu 2008), as exact decision tables.

With ``x`` responses among ``n`` patients and ``N`` the maximum sample
size, the predictive probability of success is

    PP = sum_y BetaBin(y; N - n, a + x, b + n - x) * 1[Pr(p > p0 | x + y of N) > theta_T],

the probability, under the posterior predictive distribution of the
``N - n`` outcomes still to come, that the final analysis declares the drug
promising. The trial stops for futility when ``PP < theta_L`` and,
optionally, for efficacy when ``PP > theta_U``; at ``N`` it is promising if
``Pr(p > p0 | x of N) > theta_T``.

Because ``Pr(p > p0 | x of N)`` increases with ``x``, the final rule is
"promising if ``x > r``", and ``PP`` is a beta-binomial tail,
``P(Y >= r + 1 - x)``, which increases with ``x``: every look's rule is a
bound on responses, computed before the trial, and the design is a
:class:`~simtrial.design.tables.DecisionTable` whose operating
characteristics are exact. ``PP`` depends on ``theta_T`` only through
``r``, so a grid of ``theta_T`` collapses to a few distinct final bounds, and
a grid of ``theta_L`` to a few distinct tables, all evaluated together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simtrial.design._binom import binom_pmf_rows
from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design._lazy import special
from simtrial.design.bayesian import check_looks, check_prior, describe_prior
from simtrial.design.families import FamilyDesign, FamilyResult, register_family
from simtrial.design.tables import DecisionTable, grid_oc
from simtrial.errors import DesignError

__all__ = [
    "THETA_L_GRID",
    "THETA_T_GRID",
    "predictive_probability",
    "predictive_table",
    "predictive_design",
]

#: Default search grid for theta_L: 0.002, 0.004, ..., 0.100 (50 values).
THETA_L_GRID = np.round(0.002 * np.arange(1, 51), 10)
#: Default search grid for theta_T: 0.800, 0.804, ..., 0.996 (50 values).
THETA_T_GRID = np.round(0.8 + 0.004 * np.arange(50), 10)


def _posterior_above(p0: float, a: float, b: float, x: np.ndarray, n: int) -> np.ndarray:
    """``Pr(p > p0 | x of n)`` under ``Beta(a, b)``, computed as the upper tail (no ``1 - cdf``)."""
    return special.betaincc(a + x, b + n - x, p0)


def _final_bound(p0: float, a: float, b: float, nmax: int, theta_t: np.ndarray) -> np.ndarray:
    """``r`` for each ``theta_T``: promising at ``N`` iff ``x > r`` (``r = -1``: always promising)."""
    post = _posterior_above(p0, a, b, np.arange(nmax + 1, dtype=float), nmax)
    return (post[None, :] <= np.asarray(theta_t, dtype=float)[:, None]).sum(axis=1) - 1


class _Predictive:
    """Beta-binomial tails for every look of one maximum sample size ``N``, in one flat array.

    ``sf[base[k] + x * (m_k + 2) + j] = P(Y >= j)`` for ``Y ~ BetaBin(m_k, a + x, b + n_k - x)``,
    ``m_k = N - n_k``, ``x = 0..n_k``, ``j = 0..m_k + 1`` (the last is 0). The log
    probabilities use tables of ``log Gamma(a + i)``, ``log Gamma(b + i)`` and
    ``log Gamma(a + b + i)``, so no special function is called per entry.
    """

    def __init__(self, looks: tuple[int, ...], a: float, b: float) -> None:
        nmax = looks[-1]
        i = np.arange(nmax + 2, dtype=float)
        ga, gb, gab = special.gammaln(a + i), special.gammaln(b + i), special.gammaln(a + b + i)
        lfact = special.gammaln(i + 1.0)
        gb_rev = gb[nmax::-1]  # gb_rev[j] = log Gamma(b + N - j)
        windows = np.lib.stride_tricks.sliding_window_view
        self.looks = looks
        self.nmax = nmax
        parts, bases, x_all, n_all = [], [], [], []
        base = 0
        for n in looks[:-1]:
            m = nmax - n
            # log C(m, y) + log B(a + x + y, b + N - x - y) - log B(a + x, b + n - x), where
            # x + y indexes sliding windows of the log-gamma tables (views, no copies).
            comb = lfact[m] - lfact[: m + 1] - lfact[m::-1]
            norm = gab[n] - gab[nmax] - ga[: n + 1] - gb[n::-1]
            log_pmf = (comb[None, :] + norm[:, None] + windows(ga[: nmax + 1], m + 1)[: n + 1]
                       + windows(gb_rev, m + 1)[: n + 1])
            sf = np.zeros((n + 1, m + 2))
            # Summed from the far tail inwards, so small tails keep their precision.
            sf[:, : m + 1] = np.cumsum(np.exp(log_pmf)[:, ::-1], axis=1)[:, ::-1]
            parts.append(np.minimum(sf, 1.0).ravel())
            bases.append(base)
            base += sf.size
            x_all.append(np.arange(n + 1))
            n_all.append(np.full(n + 1, n))
        self.sf = np.concatenate(parts) if parts else np.zeros(0)
        k_int = len(looks) - 1
        # Padded [look, x] index arrays; x beyond n_k points nowhere (masked).
        self.valid = np.zeros((k_int, nmax + 1), dtype=bool)
        self.offset = np.zeros((k_int, nmax + 1), dtype=np.int64)
        self.width = np.zeros((k_int, 1), dtype=np.int64)
        for k, n in enumerate(looks[:-1]):
            self.valid[k, : n + 1] = True
            self.offset[k, : n + 1] = bases[k] + np.arange(n + 1) * (nmax - n + 2)
            self.width[k, 0] = nmax - n + 1
        self.x = np.arange(nmax + 1)[None, :]

    def pp(self, r: int) -> np.ndarray:
        """``PP[k, x]`` at every interim look for final bound ``r`` (``nan`` where ``x > n_k``)."""
        need = np.clip(r + 1 - self.x, 0, self.width)
        out = np.full(self.valid.shape, np.nan)
        out[self.valid] = self.sf[(self.offset + need)[self.valid]]
        return out


def predictive_probability(
    x: int,
    n: int,
    nmax: int,
    p0: float,
    theta_t: float,
    prior: Any = None,
) -> float:
    """Lee & Liu's predictive probability of success after ``x`` responses in ``n`` patients.

    Parameters
    ----------
    x, n : int
        Responses and patients so far (``0 <= x <= n <= nmax``).
    nmax : int
        Maximum sample size ``N``.
    p0 : float
        Response rate of no interest.
    theta_t : float
        Final posterior threshold: at ``N`` the drug is promising if
        ``Pr(p > p0 | data) > theta_t``.
    prior : (float, float), optional
        ``(a, b)`` of the Beta prior; ``Beta(p0, 1 - p0)`` by default.

    Returns
    -------
    float

    References
    ----------
    Lee JJ, Liu DD. A predictive probability design for phase II cancer
    clinical trials. Clin Trials 2008;5:93-106.

    Examples
    --------
    Lee & Liu's example (p. 97): 16 responses in 23 patients, N = 40,
    p0 = 0.6, theta_T = 0.9, Beta(0.6, 0.4) prior.

    >>> round(predictive_probability(16, 23, 40, 0.6, 0.9, (0.6, 0.4)), 4)
    0.5656
    """
    nmax = check_int("nmax", nmax, minimum=1)
    n = check_int("n", n, minimum=0)
    x = check_int("x", x, minimum=0)
    if x > n or n > nmax:
        raise DesignError(f"x <= n <= nmax is needed, got x={x}, n={n}, nmax={nmax}")
    p0 = check_open_prob("p0", p0)
    theta_t = check_open_prob("--theta-t", theta_t)
    a, b = check_prior(prior, p0)
    r = int(_final_bound(p0, a, b, nmax, np.array([theta_t]))[0])
    if n == nmax:
        return float(x > r)
    return float(_Predictive((n, nmax), a, b).pp(r)[0, x])


def _looks_for(nmax: int, looks: Any, every: int) -> tuple[int, ...]:
    if looks is not None:
        out = check_looks(looks)
        if out[-1] != nmax:
            raise DesignError(f"--looks: the last look ({out[-1]}) must be the maximum sample size --nmax ({nmax})")
        return out
    return tuple(sorted(set(range(every, nmax, every)) | {nmax}))


@dataclass(frozen=True)
class _Group:
    """The distinct tables of one final bound ``r``, in increasing ``theta_L`` (pointwise increasing bounds).

    ``points[j] = (i_T, i_L)``: the first grid point (``theta_T`` slowest) giving table ``j``.
    """

    fut: np.ndarray
    eff: np.ndarray | None
    points: list[tuple[int, int]]


def _bounds(p0: float, prior: tuple[float, float], looks: tuple[int, ...], theta_t: np.ndarray,
            theta_l: np.ndarray, theta_u: float | None, r_keep: Any = None) -> list[_Group]:
    """The distinct tables of the ``(theta_T, theta_L)`` grid, one group per final bound ``r``.

    ``r_keep(r)`` may drop final bounds that cannot give a feasible design
    before any work is done for them. Tables that stop every trial at some
    look are left out.
    """
    a, b = prior
    nmax = looks[-1]
    r_all = _final_bound(p0, a, b, nmax, theta_t)
    pred = _Predictive(looks, a, b)
    k_looks = len(looks)
    looks_arr = np.asarray(looks)
    groups = []
    seen: set[int] = set()
    for i, r in enumerate(r_all.tolist()):
        if r in seen or (r_keep is not None and not r_keep(r)):
            continue
        seen.add(r)
        pp = pred.pp(r)  # [k, x]; nan beyond n_k never counts below or above a threshold
        f = np.empty((theta_l.size, k_looks), dtype=np.int64)
        f[:, :-1] = (pp[None, :, :] < theta_l[:, None, None]).sum(axis=2) - 1
        f[:, -1] = r
        # f grows with theta_L, so equal rows are adjacent: keep the first of each run.
        new = np.ones(theta_l.size, dtype=bool)
        new[1:] = np.any(f[1:] != f[:-1], axis=1)
        new &= np.all(f < looks_arr, axis=1)
        first = np.nonzero(new)[0]
        if first.size == 0:
            continue
        eff = None
        if theta_u is not None:
            e = np.full(k_looks, nmax + 1, dtype=np.int64)
            e[:-1] = looks_arr[:-1] + 1 - (pp > theta_u).sum(axis=1)
            eff = np.tile(e, (first.size, 1))
        groups.append(_Group(f[first], eff, [(i, int(j)) for j in first]))
    return groups


def predictive_table(
    p0: float,
    nmax: int,
    theta_t: float,
    theta_l: float,
    theta_u: float | None = None,
    prior: Any = None,
    looks: Any = None,
    every: int = 1,
) -> DecisionTable:
    """The decision table of a predictive probability rule.

    Parameters
    ----------
    p0 : float
        Response rate of no interest.
    nmax : int
        Maximum sample size ``N``.
    theta_t, theta_l : float
        Final posterior threshold and futility threshold on ``PP``, in (0, 1).
    theta_u : float, optional
        Efficacy threshold on ``PP`` (stop and declare promising if ``PP > theta_u``).
    prior : (float, float), optional
        ``(a, b)`` of the Beta prior; ``Beta(p0, 1 - p0)`` by default.
    looks : sequence of int, optional
        Look sizes ending at ``nmax``; by default a look after every
        ``every`` patients (continuous monitoring when ``every = 1``).
    every : int
        Spacing of the looks when ``looks`` is not given.

    Returns
    -------
    DecisionTable

    References
    ----------
    Lee JJ, Liu DD. A predictive probability design for phase II cancer
    clinical trials. Clin Trials 2008;5:93-106.

    Examples
    --------
    >>> t = predictive_table(0.2, 40, 0.8, 0.1, 0.9, prior=(1, 1), looks=(10, 20, 30, 40))
    >>> t.futility, t.efficacy
    ((0, 2, 5, 9), (4, 7, 9, None))
    """
    p0 = check_open_prob("--p0", p0)
    nmax = check_int("--nmax", nmax, minimum=1)
    tt = check_open_prob("--theta-t", theta_t)
    tl = check_open_prob("--theta-l", theta_l)
    tu = None if theta_u is None else check_open_prob("--theta-u", theta_u)
    pr = check_prior(prior, p0)
    lk = _looks_for(nmax, looks, check_int("--every", every, minimum=1))
    groups = _bounds(p0, pr, lk, np.array([tt]), np.array([tl]), tu)
    if not groups:
        _make_table(lk, np.full(len(lk), lk[-1]), None, tt, tl, tu)  # raises: every trial stops
    g = groups[0]
    return _make_table(lk, g.fut[0], None if g.eff is None else g.eff[0], tt, tl, tu)


def _make_table(looks: tuple[int, ...], fut: np.ndarray, eff: np.ndarray | None, tt: float, tl: float,
                tu: float | None) -> DecisionTable:
    for k, (a, n) in enumerate(zip(fut.tolist(), looks)):
        if a >= n:
            raise DesignError(f"--theta-l: PP < {tl:g} for every outcome at look {k + 1} ({n} patients), which "
                              "stops every trial; choose a smaller --theta-l")
    e = None if eff is None else [int(v) if v <= n else None for v, n in zip(eff.tolist()[:-1], looks)]
    label = f"predictive theta_T={tt:g}, theta_L={tl:g}" + ("" if tu is None else f", theta_U={tu:g}")
    return DecisionTable(looks=looks, futility=tuple(int(v) for v in fut), efficacy=e, label=label)


@register_family("predictive")
def predictive_design(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    beta: float = 0.2,
    nmax: int | None = None,
    min_n: int | None = None,
    looks: Any = None,
    every: int | None = None,
    theta_t: float | None = None,
    theta_l: float | None = None,
    theta_u: float | None = None,
    prior: Any = None,
) -> FamilyResult:
    """Predictive probability designs: Lee & Liu's search, or the design of given thresholds.

    For each maximum sample size ``N`` from ``min_n`` (default 1) to
    ``nmax``, every ``(theta_T, theta_L)`` on :data:`THETA_T_GRID` x
    :data:`THETA_L_GRID` (a given threshold replaces its grid) is turned into
    its table and its exact type I error and power are computed; a pair is
    feasible when type I error ``<= alpha`` and power ``>= 1 - beta``. The
    ``"minimax"`` design is the feasible design with the smallest ``N``
    (among its pairs, the smallest E(N | p0), then PET(p0) largest, then grid
    order); each larger ``N`` whose best E(N | p0) is below that of every
    smaller ``N`` adds an ``"alternative"``. With ``looks`` given, or with
    both thresholds given, only ``N = nmax`` is considered (kind ``"given"``
    when both thresholds are given).

    Parameters
    ----------
    p0, p1 : float
        Response rates of no interest and of interest.
    alpha, beta : float
        Largest type I error and type II error.
    nmax : int
        Largest maximum sample size searched (with ``looks``: their last entry).
    min_n : int, optional
        Smallest maximum sample size searched.
    looks : sequence of int, optional
        Looks at chosen numbers of patients (ending at ``nmax``).
    every : int, optional
        A look after every ``every`` patients (default 1: continuous monitoring).
    theta_t, theta_l, theta_u : float, optional
        Thresholds; ``theta_u`` adds efficacy stopping.
    prior : sequence of float, optional
        ``(a, b)`` of the Beta prior (default ``Beta(p0, 1 - p0)``).

    Returns
    -------
    FamilyResult
        Designs with the JSON keys ``theta_t, theta_l, theta_u, prior`` (``theta_u`` null without efficacy
        stopping).

    References
    ----------
    Lee JJ, Liu DD. A predictive probability design for phase II cancer
    clinical trials. Clin Trials 2008;5:93-106.

    Examples
    --------
    >>> res = predictive_design(0.2, 0.4, 0.05, 0.2, nmax=40, looks=(10, 20, 30, 40), theta_t=0.95, theta_l=0.05)
    >>> d = res.design("given")
    >>> d.table.futility
    (1, 4, 7, 12)
    """
    p0, p1 = check_p0_p1(p0, p1)
    alpha = check_open_prob("--alpha", alpha)
    beta = check_open_prob("--beta", beta)
    pr = check_prior(prior, p0)
    if looks is not None:
        lk = check_looks(looks)
        if nmax is not None and check_int("--nmax", nmax, minimum=1) != lk[-1]:
            raise DesignError(f"--looks: the last look ({lk[-1]}) must be the maximum sample size --nmax ({nmax})")
        if every is not None:
            raise DesignError("--every: give either --looks or --every, not both")
        nmax = lk[-1]
    if nmax is None:
        raise DesignError("--nmax: the predictive design needs the (largest) maximum sample size, e.g. --nmax 40")
    nmax = check_int("--nmax", nmax, minimum=1)
    step = 1 if every is None else check_int("--every", every, minimum=1)
    tt = THETA_T_GRID if theta_t is None else np.array([check_open_prob("--theta-t", theta_t)])
    tl = THETA_L_GRID if theta_l is None else np.array([check_open_prob("--theta-l", theta_l)])
    tu = None if theta_u is None else check_open_prob("--theta-u", theta_u)
    given = theta_t is not None and theta_l is not None
    if given or looks is not None:
        n_range = [nmax]
    else:
        low = 1 if min_n is None else check_int("--min-n", min_n, minimum=1)
        if low > nmax:
            raise DesignError(f"--min-n ({low}) must be <= --nmax ({nmax})")
        n_range = list(range(low, nmax + 1))
    found = []  # the best feasible design at each N
    for n_max in n_range:
        lk = _looks_for(n_max, looks, step)
        # Futility stops only lower the power, so a final bound r whose single-stage power
        # P(Bin(N, p1) > r) is already below 1 - beta cannot give a feasible design.
        sf1 = np.cumsum(binom_pmf_rows(n_max, np.array([p1]))[0][::-1])[::-1]
        keep = None if given else (lambda r, sf1=sf1: r < 0 or sf1[min(r + 1, sf1.size - 1)] >= 1.0 - beta)
        groups = _bounds(p0, pr, lk, tt, tl, tu, keep)
        best = _best_in_groups(lk, groups, p0, p1, alpha, beta, given)
        if best is None:
            continue
        g, j = best
        i_t, i_l = g.points[j]
        t_val, l_val = float(tt[i_t]), float(tl[i_l])
        table = _make_table(lk, g.fut[j], None if g.eff is None else g.eff[j], t_val, l_val, tu)
        # theta_u is null without efficacy stopping: every design carries the same keys.
        extra: dict[str, Any] = {"theta_t": t_val, "theta_l": l_val, "theta_u": tu, "prior": list(pr)}
        oc = table.oc([p0, p1])
        found.append(FamilyDesign("predictive", "", table, float(oc.en[0]), float(oc.en[1]), float(oc.pet[0]),
                                  float(oc.p_reject[0]), float(oc.p_reject[1]), extra))
    if not found:
        what = "the given thresholds" if given else "no (theta_T, theta_L) on the grid"
        raise DesignError(f"--alpha/--beta: {what} give type I error <= {alpha:g} and power >= {1 - beta:g} "
                          f"with N <= {nmax}; raise --nmax or relax --alpha/--beta")
    designs = _pick_designs(found, given)
    notes = [f"prior {describe_prior(pr)}; " + ("looks at " + ",".join(map(str, check_looks(looks)))
                                                 if looks is not None else f"a look after every {step} patient(s)")]
    if not given:
        notes.append(f"grid: theta_T in {tt[0]:g}..{tt[-1]:g} ({tt.size}), theta_L in {tl[0]:g}..{tl[-1]:g} "
                     f"({tl.size}); N searched {n_range[0]}..{n_range[-1]}; exact OC")
    params = {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta, "nmax": nmax}
    return FamilyResult("predictive", params, tuple(designs), tuple(notes))


def _best_in_groups(looks: tuple[int, ...], groups: list[_Group], p0: float, p1: float, alpha: float,
                    beta: float, given: bool) -> tuple[_Group, int] | None:
    """The feasible table with the smallest E(N | p0) (then the largest PET(p0), then grid order).

    Within a group (one final bound ``r``) the futility bounds grow with
    ``theta_L`` look by look, so every trial stops at the same look or
    earlier and declares the drug promising only if it did so with the
    smaller bounds: type I error, power and E(N) never increase along the
    group. The best feasible table of a group is therefore the last one with
    power ``>= 1 - beta``, provided its type I error is ``<= alpha``; it is
    found by a search on the power (8-ary, all groups at once), which gives
    the same design as evaluating every table of the grid.
    """
    if not groups:
        return None
    if given:
        return groups[0], 0
    size = np.array([g.fut.shape[0] for g in groups])
    lo = np.full(size.size, -1)  # power(lo) >= 1 - beta (virtual at -1)
    hi = size.copy()  # power(hi) < 1 - beta (virtual at size)

    def stack(js: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        fut = np.stack([groups[w].fut[j] for w, j in zip(which, js)])
        effs = [groups[w].eff for w in which]
        eff = None if effs[0] is None else np.stack([e[j] for e, j in zip(effs, js)])  # type: ignore[index]
        return fut, eff

    while True:
        active = np.nonzero(hi - lo > 1)[0]
        if active.size == 0:
            break
        # Up to 7 points inside each open interval per round (an 8-ary search): the cost of an
        # evaluation is mostly per look, not per table, so fewer rounds of more tables is faster.
        probes = [np.unique(np.linspace(lo[w], hi[w], 9)[1:-1].round().astype(np.int64)) for w in active]
        probes = [pr_[(pr_ > lo[w]) & (pr_ < hi[w])] for pr_, w in zip(probes, active)]
        which = np.concatenate([np.full(pr_.size, w) for pr_, w in zip(probes, active)])
        js = np.concatenate(probes)
        fut, eff = stack(js, which)
        ok = grid_oc(looks, fut, eff, [p1]).p_reject[:, 0] >= 1.0 - beta
        for w in active:
            sel = which == w
            good, bad = js[sel & ok], js[sel & ~ok]
            if good.size:
                lo[w] = good.max()
            if bad.size:
                hi[w] = bad.min()
    which = np.nonzero(lo >= 0)[0]
    if which.size == 0:
        return None
    fut, eff = stack(lo[which], which)
    g = grid_oc(looks, fut, eff, [p0])
    feas = np.nonzero(g.p_reject[:, 0] <= alpha)[0]
    if feas.size == 0:
        return None
    order_key = [groups[which[f]].points[lo[which[f]]] for f in feas]
    rank = np.argsort([i_t * 10**6 + i_l for i_t, i_l in order_key], kind="stable")
    feas = feas[rank]
    best = feas[np.lexsort((np.arange(feas.size), -g.pet[feas, 0], g.en[feas, 0]))[0]]
    return groups[which[best]], int(lo[which[best]])


def _pick_designs(found: list[FamilyDesign], given: bool) -> list[FamilyDesign]:
    """The minimax design and the alternatives whose E(N | p0) improves on every smaller N."""
    from dataclasses import replace

    if given:
        return [replace(found[0], kind="given")]
    out = [replace(found[0], kind="minimax")]
    best = found[0].en0
    for d in found[1:]:
        if d.en0 < best:
            out.append(replace(d, kind="alternative"))
            best = d.en0
    return out
