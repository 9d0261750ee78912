"""Closed-form sample sizes and power for the follow-up trial.

Exact single-stage binomial designs, the normal-approximation and exact
power of a two-proportion comparison, and Schoenfeld's events formula for
the log-rank test with the patients it implies under accrual, survival and
dropout. Everything here is deterministic; the simulations of
:mod:`simtrial.engine.followup_sim` are checked against these values.

References
----------
Schoenfeld, D. (1983). Sample-size formula for the proportional-hazards
regression model. Biometrics 39, 499-503.
Fleiss, J. L., Levin, B. and Paik, M. C. (2003). Statistical Methods for
Rates and Proportions, 3rd ed., section 4.2 (pooled z test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, stats

__all__ = [
    "SingleStageDesign",
    "SingleStageSearch",
    "single_stage_critical",
    "single_stage_search",
    "schoenfeld_events",
    "schoenfeld_power",
    "event_probability",
    "expected_events",
    "schoenfeld_patients",
    "analysis_time_for_events",
    "two_proportion_power_normal",
    "two_proportion_power_exact",
    "fisher_power_exact",
    "allocation_counts",
]


def _z(alpha: float, sided: int) -> float:
    """Critical value of a one- or two-sided level-alpha normal test."""
    return float(stats.norm.isf(alpha / sided))


# ---------------------------------------------------------------------------
# single-stage exact binomial design
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SingleStageDesign:
    """Treat ``n`` patients; declare the drug promising if responses exceed ``r``.

    Attributes
    ----------
    n, r : int
    alpha : float
        Exact ``P(X > r | p0)``.
    power : float
        Exact ``P(X > r | p1)``.
    """

    n: int
    r: int
    alpha: float
    power: float


def single_stage_critical(n: int, p0: float, alpha: float) -> int:
    """Smallest ``r`` with ``P(X > r | n, p0) <= alpha``.

    Examples
    --------
    >>> single_stage_critical(25, 0.1, 0.05)
    5
    """
    # binom.isf returns the smallest r with sf(r) <= alpha, up to rounding;
    # step to the exact boundary so the result never depends on that rounding.
    r = int(stats.binom.isf(alpha, n, p0))
    r = min(max(r, -1), n)
    while r > -1 and stats.binom.sf(r - 1, n, p0) <= alpha:
        r -= 1
    while stats.binom.sf(r, n, p0) > alpha:
        r += 1
    return r


@dataclass(frozen=True)
class SingleStageSearch:
    """Exact single-stage designs for every n up to ``nmax``.

    Power is saw-toothed in n, so two answers are reported.

    Attributes
    ----------
    p0, p1, alpha, beta : float
    n, r : ndarray of int
        Each ``n`` from 1 to ``nmax`` and its critical value.
    alpha_exact, power : ndarray of float
        Exact type I error and power of each design.
    smallest : SingleStageDesign or None
        The smallest n whose power reaches ``1 - beta``.
    stable : SingleStageDesign or None
        The smallest n from which every larger n up to ``nmax`` also reaches it.
    """

    p0: float
    p1: float
    alpha: float
    beta: float
    n: np.ndarray
    r: np.ndarray
    alpha_exact: np.ndarray
    power: np.ndarray
    smallest: SingleStageDesign | None
    stable: SingleStageDesign | None

    def to_frame(self):
        """One row per n: ``n, r, alpha, power``."""
        import pandas as pd

        return pd.DataFrame({"n": self.n, "r": self.r, "alpha": self.alpha_exact, "power": self.power})


def single_stage_search(p0: float, p1: float, alpha: float, beta: float, *, nmax: int = 200) -> SingleStageSearch:
    """Exact single-stage binomial designs and the two smallest adequate n.

    Parameters
    ----------
    p0, p1 : float
        Response rates under the null and the alternative, ``p0 < p1``.
    alpha, beta : float
        Type I error bound and type II error target.
    nmax : int
        Largest n examined; "stable" means stable up to ``nmax``.

    Returns
    -------
    SingleStageSearch

    Examples
    --------
    >>> s = single_stage_search(0.1, 0.3, 0.05, 0.2, nmax=60)
    >>> (s.smallest.n, s.smallest.r, s.stable.n)
    (25, 5, 29)
    """
    ns = np.arange(1, nmax + 1)
    rs = np.array([single_stage_critical(int(n), p0, alpha) for n in ns])
    a = stats.binom.sf(rs, ns, p0)
    pw = stats.binom.sf(rs, ns, p1)
    ok = pw >= 1.0 - beta

    def design(i: int) -> SingleStageDesign:
        return SingleStageDesign(int(ns[i]), int(rs[i]), float(a[i]), float(pw[i]))

    smallest = design(int(np.argmax(ok))) if ok.any() else None
    stable = None
    if ok[-1]:
        bad = np.flatnonzero(~ok)
        stable = design(int(bad[-1]) + 1 if bad.size else 0)
    return SingleStageSearch(p0, p1, alpha, beta, ns, rs, a, pw, smallest, stable)


# ---------------------------------------------------------------------------
# allocation
# ---------------------------------------------------------------------------


def allocation_counts(n_total: int | np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Control and experimental arm sizes of ``n_total`` patients at ratio ``k = n_exp / n_ctrl``.

    The experimental arm gets ``floor(n_total * k / (1 + k))`` patients
    (computed with the ratio as a fraction, so 1:1 and 2:1 are exact); the
    simulator's allocation sequence gives exactly these counts for every
    prefix of patients.
    """
    from fractions import Fraction

    f = Fraction(ratio).limit_denominator(1000)
    frac = f / (1 + f)
    n = np.asarray(n_total, dtype=np.int64)
    n_exp = (n * frac.numerator) // frac.denominator
    return n - n_exp, n_exp


# ---------------------------------------------------------------------------
# two proportions
# ---------------------------------------------------------------------------


def two_proportion_power_normal(
    p_control: float, p_experimental: float, n_control: int, n_experimental: int, alpha: float, sided: int = 1
) -> float:
    """Normal-approximation power of the pooled two-proportion z test.

    The one-sided test is in the direction of ``p_experimental - p_control``;
    the two-sided test rejects in either direction (both tails are counted).

    Examples
    --------
    >>> round(two_proportion_power_normal(0.1, 0.3, 62, 62, 0.025), 4)
    0.8026
    """
    n0, n1 = float(n_control), float(n_experimental)
    delta = abs(p_experimental - p_control)
    pbar = (n0 * p_control + n1 * p_experimental) / (n0 + n1)
    s0 = math.sqrt(pbar * (1 - pbar) * (1 / n0 + 1 / n1))
    s1 = math.sqrt(p_control * (1 - p_control) / n0 + p_experimental * (1 - p_experimental) / n1)
    z = _z(alpha, sided)
    power = float(stats.norm.cdf((delta - z * s0) / s1))
    if sided == 2:
        power += float(stats.norm.cdf((-delta - z * s0) / s1))
    return power


def _pooled_z_grid(n0: int, n1: int) -> np.ndarray:
    """Pooled z statistic (experimental minus control) for every (x0, x1); 0 where undefined."""
    x0 = np.arange(n0 + 1)[:, None]
    x1 = np.arange(n1 + 1)[None, :]
    pbar = (x0 + x1) / (n0 + n1)
    var = pbar * (1 - pbar) * (1 / n0 + 1 / n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x1 / n1 - x0 / n0) / np.sqrt(var)
    return np.where(var > 0, z, 0.0)


def two_proportion_power_exact(
    p_control: float, p_experimental: float, n_control: int, n_experimental: int, alpha: float, sided: int = 1
) -> float:
    """Exact power of the pooled z test by enumeration over both binomials.

    The test is the one the simulator applies (normal critical value, no
    continuity correction); the probability that it rejects is summed over
    all ``(x_control, x_experimental)``, so this is the exact expectation of
    the simulated rejection rate.
    """
    z = _pooled_z_grid(n_control, n_experimental)
    crit = _z(alpha, sided)
    if sided == 2:
        reject = np.abs(z) > crit
    else:
        sign = 1.0 if p_experimental > p_control else -1.0
        reject = sign * z > crit
    f0 = stats.binom.pmf(np.arange(n_control + 1), n_control, p_control)
    f1 = stats.binom.pmf(np.arange(n_experimental + 1), n_experimental, p_experimental)
    return float(f0 @ reject.astype(float) @ f1)


def fisher_power_exact(
    p_control: float, p_experimental: float, n_control: int, n_experimental: int, alpha: float, sided: int = 1
) -> float:
    """Exact power of Fisher's exact test by enumeration over both binomials.

    One-sided in the direction of ``p_experimental - p_control``; with
    ``sided = 2`` each tail is tested at ``alpha / 2``.
    """
    n0, n1 = n_control, n_experimental
    x0 = np.arange(n0 + 1)[:, None]
    x1 = np.arange(n1 + 1)[None, :]
    m = x0 + x1  # total responders; conditional on m, x1 is hypergeometric
    a = alpha / sided
    # P(X1 >= x1 | m) and P(X1 <= x1 | m) under H0 (population n0+n1, n1 drawn).
    upper = stats.hypergeom.sf(x1 - 1, n0 + n1, m, n1)
    lower = stats.hypergeom.cdf(x1, n0 + n1, m, n1)
    if sided == 2:
        reject = (upper <= a) | (lower <= a)
    elif p_experimental > p_control:
        reject = upper <= a
    else:
        reject = lower <= a
    f0 = stats.binom.pmf(np.arange(n0 + 1), n0, p_control)
    f1 = stats.binom.pmf(np.arange(n1 + 1), n1, p_experimental)
    return float(f0 @ reject.astype(float) @ f1)


# ---------------------------------------------------------------------------
# log-rank (Schoenfeld)
# ---------------------------------------------------------------------------


def schoenfeld_events(hazard_ratio: float, alpha: float, power: float, ratio: float = 1.0, sided: int = 1) -> float:
    """Schoenfeld's required number of events (both arms together), unrounded.

    ``d = (z_{1-a} + z_{1-b})^2 (1 + k)^2 / (k (log HR)^2)`` with ``k`` the
    allocation ratio and ``a = alpha / sided``. Round up at the end.

    Examples
    --------
    >>> math.ceil(schoenfeld_events(0.7, 0.025, 0.8))
    247
    """
    za = _z(alpha, sided)
    zb = float(stats.norm.isf(1.0 - power))
    return (za + zb) ** 2 * (1 + ratio) ** 2 / (ratio * math.log(hazard_ratio) ** 2)


def schoenfeld_power(events: float, hazard_ratio: float, alpha: float, ratio: float = 1.0, sided: int = 1) -> float:
    """Power of the log-rank test at ``events`` deaths by Schoenfeld's approximation (inverse of the formula)."""
    za = _z(alpha, sided)
    drift = math.sqrt(events * ratio) / (1 + ratio) * abs(math.log(hazard_ratio))
    return float(stats.norm.cdf(drift - za))


def event_probability(
    follow_up_days: float | np.ndarray,
    *,
    scale_days: float,
    shape: float,
    hazard_ratio: float,
    dropout_rate: float,
) -> np.ndarray:
    """P(death observed within ``follow_up_days``) for one patient.

    Survival is Weibull ``S(t) = exp(-hr (t / scale)^shape)``; dropout is
    exponential with rate ``dropout_rate`` per day, independent of death.
    The probability is ``int_0^f h(t) S(t) exp(-mu t) dt``; with shape 1 it
    is ``lam / (lam + mu) (1 - exp(-(lam + mu) f))``.
    """
    f = np.atleast_1d(np.asarray(follow_up_days, dtype=float))
    out = np.zeros_like(f)
    if shape == 1.0:
        lam = hazard_ratio / scale_days
        tot = lam + dropout_rate
        out = np.where(f > 0, lam / tot * -np.expm1(-tot * np.maximum(f, 0.0)), 0.0)
        return out
    if dropout_rate == 0.0:
        return np.where(f > 0, -np.expm1(-hazard_ratio * (np.maximum(f, 0.0) / scale_days) ** shape), 0.0)

    def dens(t: float) -> float:
        h = hazard_ratio * shape / scale_days * (t / scale_days) ** (shape - 1)
        return h * math.exp(-hazard_ratio * (t / scale_days) ** shape - dropout_rate * t)

    for i, fi in enumerate(f):
        if fi > 0:
            out[i] = integrate.quad(dens, 0.0, fi, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
    return out


def expected_events(
    n_total: int,
    analysis_days: float,
    *,
    accrual_rate_per_day: float,
    scale_days: float,
    shape: float,
    hazard_ratio: float,
    ratio: float = 1.0,
    dropout_rate: float = 0.0,
) -> float:
    """Expected deaths by calendar time ``analysis_days`` with uniform accrual.

    Patients enter evenly at ``accrual_rate_per_day`` from time 0 (the first
    patient), are split ``1 : ratio`` between control and experimental, and
    only those who entered before the analysis count. The entry time is
    integrated over continuously (the usual closed form); the simulator's
    discrete arrivals differ from it by well under one event.
    """
    n_c, n_e = allocation_counts(n_total, ratio)
    accrual_end = n_total / accrual_rate_per_day
    upper = min(accrual_end, analysis_days)
    if upper <= 0:
        return 0.0
    # E(deaths) per patient = (1/A) int_0^U P(death within tau - e) de. Swapping
    # the order of integration turns this double integral into one:
    # (1/A) int_0^tau g(t) min(U, tau - t) dt, g the density of an observed death
    # at follow-up t (h(t) S(t) exp(-mu t)).
    total = 0.0
    for n_arm, hr in ((int(n_c), 1.0), (int(n_e), hazard_ratio)):

        def g(t: float, hr: float = hr) -> float:
            if t <= 0.0 and shape < 1.0:
                return 0.0
            h = hr * shape / scale_days * (t / scale_days) ** (shape - 1.0)
            return h * math.exp(-hr * (t / scale_days) ** shape - dropout_rate * t)

        kink = analysis_days - upper
        pts = [kink] if 0.0 < kink < analysis_days else None
        val = integrate.quad(
            lambda t: g(t) * min(upper, analysis_days - t), 0.0, analysis_days,
            points=pts, limit=200, epsabs=1e-12, epsrel=1e-11,
        )[0]  # fmt: skip
        total += n_arm * val / accrual_end
    return total


def schoenfeld_patients(
    events: float,
    analysis_days: float,
    *,
    accrual_rate_per_day: float,
    scale_days: float,
    shape: float,
    hazard_ratio: float,
    ratio: float = 1.0,
    dropout_rate: float = 0.0,
    n_limit: int = 100_000,
) -> int | None:
    """Smallest total N whose expected deaths by ``analysis_days`` reach ``events``.

    This is "patients = events / P(event by the analysis)" solved exactly:
    with a fixed accrual rate, a larger N accrues longer, so P(event) itself
    depends on N. Returns None when no N up to ``n_limit`` suffices (the
    analysis date comes too early for that many deaths).
    """

    def ev(n: int) -> float:
        return expected_events(
            n,
            analysis_days,
            accrual_rate_per_day=accrual_rate_per_day,
            scale_days=scale_days,
            shape=shape,
            hazard_ratio=hazard_ratio,
            ratio=ratio,
            dropout_rate=dropout_rate,
        )

    # Expected events increase with N (more patients, none removed), so
    # bisection on integers finds the smallest adequate N.
    lo, hi = 1, max(2, math.ceil(events))
    while ev(hi) < events:
        if hi >= n_limit:
            return None
        lo, hi = hi, min(2 * hi, n_limit)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ev(mid) >= events:
            hi = mid
        else:
            lo = mid
    return hi if ev(lo) < events else lo


def analysis_time_for_events(
    n_total: int,
    events: float,
    *,
    accrual_rate_per_day: float,
    scale_days: float,
    shape: float,
    hazard_ratio: float,
    ratio: float = 1.0,
    dropout_rate: float = 0.0,
) -> float | None:
    """Calendar day at which the expected number of deaths reaches ``events`` (None if never)."""

    def gap(t: float) -> float:
        return (
            expected_events(
                n_total,
                t,
                accrual_rate_per_day=accrual_rate_per_day,
                scale_days=scale_days,
                shape=shape,
                hazard_ratio=hazard_ratio,
                ratio=ratio,
                dropout_rate=dropout_rate,
            )
            - events
        )

    hi = n_total / accrual_rate_per_day + scale_days
    for _ in range(60):
        if gap(hi) >= 0:
            return float(optimize.brentq(gap, 0.0, hi, xtol=1e-9))
        hi *= 2.0
    return None
