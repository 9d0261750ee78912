"""Closed forms: exact values against independent calculations and published numbers."""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from scipy import integrate, stats

from simtrial.followup import closed as C

N = NormalDist()


def _binom_sf_exact(r: int, n: int, p: Fraction) -> Fraction:
    """P(X > r) for X ~ Bin(n, p) in rational arithmetic."""
    return sum((math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(r + 1, n + 1)), Fraction(0))


def test_single_stage_critical_matches_rational_binomial_sums():
    p0, alpha = Fraction(1, 10), Fraction(1, 20)
    for n in range(1, 61):
        r = C.single_stage_critical(n, 0.1, 0.05)
        assert _binom_sf_exact(r, n, p0) <= alpha
        if r >= 0:
            assert _binom_sf_exact(r - 1, n, p0) > alpha


def test_single_stage_search_power_is_the_binomial_sum_and_both_answers_are_right():
    s = C.single_stage_search(0.2, 0.4, 0.05, 0.2, nmax=80)
    exact_power = [float(_binom_sf_exact(int(r), int(n), Fraction(2, 5))) for n, r in zip(s.n, s.r)]
    np.testing.assert_allclose(s.power, exact_power, rtol=0, atol=1e-10)
    ok = np.array(exact_power) >= 0.8
    # Saw-tooth: the smallest adequate n is followed by an inadequate one.
    assert s.smallest.n == int(s.n[np.argmax(ok)])
    assert ok[s.n >= s.stable.n].all() and not ok[s.n == s.stable.n - 1].any()
    assert (s.smallest.n, s.smallest.r, s.stable.n, s.stable.r) == (35, 11, 38, 12)
    assert s.smallest.n < s.stable.n


def test_single_stage_published_ahern():
    # Khan, Sarker, Hackshaw (2012), "Smaller sample sizes for phase II trials based
    # on exact tests with actual error rates by trading-off their nominal levels of
    # significance and power", Br J Cancer 107:1801-1809 (PMC3504941): for
    # p0 = 10%, p1 = 20%, alpha = 5%, power 80% "the A'Hern approach yields n = 78
    # (exact alpha = 4.53%, power = 80.81%)".
    s = C.single_stage_search(0.10, 0.20, 0.05, 0.20, nmax=150)
    assert s.smallest.n == 78
    assert round(100 * s.smallest.alpha, 2) == 4.53
    # Exact power is 80.818%; the paper prints 80.81 (truncated, not rounded),
    # so agreement is to within one unit of the last printed digit.
    assert 0 <= 100 * s.smallest.power - 80.81 < 0.01


def test_single_stage_no_answer_below_nmax():
    s = C.single_stage_search(0.2, 0.3, 0.05, 0.1, nmax=30)
    assert s.smallest is None and s.stable is None


def test_schoenfeld_events_formula_and_published_value():
    # HR 0.7, one-sided 0.025, 80% power, 1:1: (1.95996 + 0.84162)^2 * 4 / log(0.7)^2
    # = 246.8, so 247 deaths in total.
    assert math.ceil(C.schoenfeld_events(0.7, 0.025, 0.8)) == 247
    for hr, a, pw, k, sided in [(0.65, 0.025, 0.8, 1.0, 1), (0.75, 0.05, 0.9, 2.0, 2), (1.3, 0.05, 0.85, 0.5, 1)]:
        za, zb = N.inv_cdf(1 - a / sided), N.inv_cdf(pw)
        expected = (za + zb) ** 2 * (1 + k) ** 2 / (k * math.log(hr) ** 2)
        assert C.schoenfeld_events(hr, a, pw, k, sided) == pytest.approx(expected, rel=1e-12)
        # Round trip: at the unrounded events the power is the target.
        assert C.schoenfeld_power(expected, hr, a, k, sided) == pytest.approx(pw, abs=1e-10)


def test_event_probability_exponential_and_weibull_with_dropout():
    scale, mu = 200.0, 0.001
    f = np.array([0.0, 30.0, 365.0, 2000.0])
    # Exponential: lam / (lam + mu) (1 - exp(-(lam + mu) f)).
    lam = 0.7 / scale
    np.testing.assert_allclose(
        C.event_probability(f, scale_days=scale, shape=1.0, hazard_ratio=0.7, dropout_rate=mu),
        lam / (lam + mu) * (1 - np.exp(-(lam + mu) * f)), rtol=0, atol=1e-12,
    )  # fmt: skip
    # Weibull with dropout, by a different identity: P(T <= min(D, f)) =
    # S_D(f) F_T(f) + int_0^f mu e^{-mu s} F_T(s) ds (condition on the dropout time).
    shape, hr = 1.4, 0.8

    def F(t):
        return 1 - math.exp(-hr * (t / scale) ** shape)

    for fi in (30.0, 365.0, 2000.0):
        other = math.exp(-mu * fi) * F(fi) + integrate.quad(lambda s: mu * math.exp(-mu * s) * F(s), 0, fi,
                                                               epsabs=1e-14, epsrel=1e-12)[0]  # fmt: skip
        got = C.event_probability(fi, scale_days=scale, shape=shape, hazard_ratio=hr, dropout_rate=mu)[0]
        assert got == pytest.approx(other, abs=1e-10)


def test_expected_events_exponential_closed_form():
    # No dropout, analysis after accrual ends (tau >= A): the mean over uniform
    # entry of 1 - exp(-lam (tau - e)) is 1 - exp(-lam tau) (exp(lam A) - 1) / (lam A).
    n, rate, tau, scale, hr = 120, 0.2, 900.0, 250.0, 0.6
    a = n / rate
    got = C.expected_events(n, tau, accrual_rate_per_day=rate, scale_days=scale, shape=1.0, hazard_ratio=hr)
    expect = 0.0
    for n_arm, h in ((60, 1.0), (60, hr)):
        lam = h / scale
        expect += n_arm * (1 - math.exp(-lam * tau) * (math.exp(lam * a) - 1) / (lam * a))
    assert got == pytest.approx(expect, abs=1e-8)


def test_schoenfeld_patients_is_the_smallest_adequate_n():
    kw = dict(accrual_rate_per_day=8 / (365.25 / 12), scale_days=6 * 365.25 / 12 / math.log(2), shape=1.0,
              hazard_ratio=0.65, dropout_rate=-math.log1p(-0.05) / 365.25)  # fmt: skip
    tau = 36 * 365.25 / 12
    d = math.ceil(C.schoenfeld_events(0.65, 0.025, 0.8))
    n = C.schoenfeld_patients(d, tau, **kw)
    assert C.expected_events(n, tau, **kw) >= d > C.expected_events(n - 1, tau, **kw)
    # An analysis date too early for that many deaths has no answer.
    assert C.schoenfeld_patients(d, 30.0, n_limit=2000, **kw) is None


def test_analysis_time_for_events_inverts_expected_events():
    kw = dict(accrual_rate_per_day=0.3, scale_days=180.0, shape=1.2, hazard_ratio=0.7, dropout_rate=0.0005)
    t = C.analysis_time_for_events(150, 100, **kw)
    assert C.expected_events(150, t, **kw) == pytest.approx(100, abs=1e-6)


def test_two_proportion_normal_power_hand_formula():
    pc, pe, n0, n1, a = 0.1, 0.3, 62, 62, 0.025
    pbar = 0.2
    s0 = math.sqrt(pbar * (1 - pbar) * 2 / 62)
    s1 = math.sqrt((0.09 + 0.21) / 62)
    expected = N.cdf((0.2 - N.inv_cdf(1 - a) * s0) / s1)
    assert C.two_proportion_power_normal(pc, pe, n0, n1, a) == pytest.approx(expected, abs=1e-12)
    two = C.two_proportion_power_normal(pc, pe, n0, n1, 0.05, sided=2)
    assert two == pytest.approx(expected + N.cdf((-0.2 - N.inv_cdf(1 - a) * s0) / s1), abs=1e-12)


def _z_power_brute(pc, pe, n0, n1, alpha, sided):
    crit = N.inv_cdf(1 - alpha / sided)
    total = 0.0
    for x0 in range(n0 + 1):
        for x1 in range(n1 + 1):
            pbar = (x0 + x1) / (n0 + n1)
            v = pbar * (1 - pbar) * (1 / n0 + 1 / n1)
            z = (x1 / n1 - x0 / n0) / math.sqrt(v) if v > 0 else 0.0
            rej = abs(z) > crit if sided == 2 else (z if pe > pc else -z) > crit
            if rej:
                total += (math.comb(n0, x0) * pc**x0 * (1 - pc) ** (n0 - x0)
                          * math.comb(n1, x1) * pe**x1 * (1 - pe) ** (n1 - x1))  # fmt: skip
    return total


@pytest.mark.parametrize("args", [(0.1, 0.3, 20, 25, 0.025, 1), (0.4, 0.2, 30, 15, 0.05, 1), (0.2, 0.5, 18, 18, 0.05, 2)])
def test_two_proportion_exact_power_brute_force(args):
    assert C.two_proportion_power_exact(*args) == pytest.approx(_z_power_brute(*args), abs=1e-10)


def test_fisher_exact_power_against_scipy_fisher_exact():
    pc, pe, n0, n1, a = 0.15, 0.5, 12, 10, 0.05
    total = 0.0
    for x0 in range(n0 + 1):
        for x1 in range(n1 + 1):
            table = [[x1, n1 - x1], [x0, n0 - x0]]
            p = stats.fisher_exact(table, alternative="greater").pvalue
            if p <= a:
                total += stats.binom.pmf(x0, n0, pc) * stats.binom.pmf(x1, n1, pe)
    assert C.fisher_power_exact(pc, pe, n0, n1, a) == pytest.approx(total, abs=1e-10)


def test_allocation_counts():
    n_c, n_e = C.allocation_counts(np.array([10, 11, 30]), 2.0)
    assert n_e.tolist() == [6, 7, 20] and n_c.tolist() == [4, 4, 10]
    n_c, n_e = C.allocation_counts(7, 1.0)
    assert (int(n_c), int(n_e)) == (4, 3)
