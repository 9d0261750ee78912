"""Assurance: exact beta-binomial sums against quadrature, and simulation within 4 SE."""

from __future__ import annotations

import pytest
from scipy import integrate, stats

from simtrial.design import SimonDesign
from simtrial.engine._rng import scenario_key
from simtrial.followup.assurance import (
    assurance_simon,
    assurance_single_stage,
    assurance_two_proportions,
    prior_from_trial,
    simulate_assurance_simon,
    simulate_assurance_single_stage,
    simulate_assurance_two_proportions,
)

PRIORS = [
    prior_from_trial(2, 7),
    prior_from_trial(2, 7, discount=0.5, skeptical_weight=0.3, skeptical_a=2, skeptical_b=8),
    prior_from_trial(2, 7, a0=0.5, b0=0.5, discount=0.0),
]


def _quad(prior, f):
    """Integrate f(p) against the prior density, component by component (an independent route)."""
    total = 0.0
    for w, a, b in zip(prior.weights, prior.a, prior.b):
        total += w * integrate.quad(lambda p: f(p) * stats.beta.pdf(p, a, b), 0, 1, epsabs=1e-14, epsrel=1e-12,
                                    limit=200)[0]  # fmt: skip
    return total


def test_prior_from_two_of_seven():
    p = prior_from_trial(2, 7)
    assert (p.weights, p.a, p.b) == ((1.0,), (3.0,), (6.0,))
    p = prior_from_trial(2, 7, a0=0.5, b0=0.5, discount=0.5, skeptical_weight=0.25, skeptical_a=2, skeptical_b=8)
    assert p.weights == (0.75, 0.25) and p.a == (1.5, 2) and p.b == (3.0, 8)
    assert p.mean() == pytest.approx(0.75 * 1.5 / 4.5 + 0.25 * 0.2, abs=1e-15)
    with pytest.raises(ValueError):
        prior_from_trial(8, 7)


@pytest.mark.parametrize("prior", PRIORS, ids=["face-value", "discounted-mixture", "base-only"])
def test_single_stage_assurance_equals_quadrature(prior):
    for n, r in [(10, 3), (25, 5), (43, 12), (80, 22)]:
        expected = _quad(prior, lambda p: stats.binom.sf(r, n, p))
        assert assurance_single_stage(prior, n, r) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize("prior", PRIORS, ids=["face-value", "discounted-mixture", "base-only"])
def test_simon_assurance_equals_quadrature_of_the_design_power(prior):
    for r1, n1, r, n in [(3, 13, 12, 43), (1, 10, 5, 29), (4, 18, 10, 33)]:
        design = SimonDesign(r1, n1, r, n)
        expected = _quad(prior, lambda p: float(design.p_reject(p)))
        assert assurance_simon(prior, r1, n1, r, n) == pytest.approx(expected, abs=1e-10)


def test_simulated_assurance_within_4_se(seed):
    prior = PRIORS[1]
    designs = [(10, 4), (25, 8), (43, 12), (80, 22)]
    est = simulate_assurance_single_stage(prior, designs, 40_000, int(scenario_key(seed, 1)))
    for e, (n, r) in zip(est, designs):
        assert e.exact == assurance_single_stage(prior, n, r)
        assert abs(e.value - e.exact) <= 4 * e.se
    e = simulate_assurance_simon(prior, 3, 13, 12, 43, 40_000, int(scenario_key(seed, 2)))
    assert abs(e.value - e.exact) <= 4 * e.se


def test_simulated_assurance_is_reproducible(seed):
    prior = PRIORS[0]
    a = simulate_assurance_single_stage(prior, [(20, 5), (30, 8)], 70_000, int(scenario_key(seed, 3)))
    b = simulate_assurance_single_stage(prior, [(20, 5), (30, 8)], 70_000, int(scenario_key(seed, 3)))
    assert a == b


def _z_power_fixed_direction(p_c, p_e, n0, n1, alpha):
    """Exact power of the one-sided (experimental > control) pooled z test, by a plain double loop."""
    import math

    crit = stats.norm.isf(alpha)
    total = 0.0
    for x0 in range(n0 + 1):
        for x1 in range(n1 + 1):
            pbar = (x0 + x1) / (n0 + n1)
            v = pbar * (1 - pbar) * (1 / n0 + 1 / n1)
            if v > 0 and (x1 / n1 - x0 / n0) / math.sqrt(v) > crit:
                total += stats.binom.pmf(x0, n0, p_c) * stats.binom.pmf(x1, n1, p_e)
    return total


def test_randomized_assurance_equals_quadrature():
    prior = PRIORS[1]
    for n0, n1 in [(20, 20), (15, 30)]:
        expected = _quad(prior, lambda p: _z_power_fixed_direction(0.1, p, n0, n1, 0.025))
        assert assurance_two_proportions(prior, 0.1, n0, n1, 0.025) == pytest.approx(expected, abs=1e-10)


def test_randomized_assurance_simulated_within_4_se(seed):
    prior = PRIORS[0]
    arms = [(30, 30), (50, 50), (40, 80)]
    est = simulate_assurance_two_proportions(prior, 0.1, arms, 0.025, 40_000, int(scenario_key(seed, 4)))
    for e, (n0, n1) in zip(est, arms):
        assert e.exact == assurance_two_proportions(prior, 0.1, n0, n1, 0.025)
        assert abs(e.value - e.exact) <= 4 * e.se
