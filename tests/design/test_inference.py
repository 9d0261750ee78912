"""Inference after a two-stage trial: UMVUE, stage-wise p-value and exact CI."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from scipy import stats

from simtrial.design import SimonDesign, clopper_pearson, two_stage_inference, wilson
from simtrial.errors import DesignError

D = SimonDesign(1, 10, 5, 29)


def outcomes(d: SimonDesign, n2: int):
    """Every terminal outcome (stage, x) in stage-wise order, lowest first."""
    out = [(1, x) for x in range(d.r1 + 1)]
    out += [(2, x) for x in range(d.r1 + 1, d.n1 + n2 + 1)]
    return out


def prob(d: SimonDesign, n2: int, stage: int, x: int, p: float) -> float:
    if stage == 1:
        return float(stats.binom.pmf(x, d.n1, p))
    x1 = np.arange(d.r1 + 1, d.n1 + 1)
    return float(np.sum(stats.binom.pmf(x1, d.n1, p) * stats.binom.pmf(x - x1, n2, p)))


@pytest.mark.parametrize("n2", [None, 12, 19, 25])
@pytest.mark.parametrize("p", [0.05, 0.1, 0.27, 0.5, 0.9])
def test_umvue_is_unbiased(n2, p) -> None:
    m2 = D.n2 if n2 is None else n2
    total = 0.0
    for stage, x in outcomes(D, m2):
        est = two_stage_inference(D, x, p0=0.1, n2_actual=None if stage == 1 else n2).umvue
        total += est * prob(D, m2, stage, x, p)
    assert total == pytest.approx(p, abs=1e-10)


def test_umvue_closed_form_by_hand() -> None:
    # x = 4 after stage 2: x1 in {2, 3, 4};
    # sum C(9, x1-1) C(19, 4-x1) / sum C(10, x1) C(19, 4-x1).
    num = sum(comb(9, k - 1) * comb(19, 4 - k) for k in (2, 3, 4))
    den = sum(comb(10, k) * comb(19, 4 - k) for k in (2, 3, 4))
    assert two_stage_inference(D, 4, p0=0.1).umvue == float(Fraction(num, den))
    assert two_stage_inference(D, 1, p0=0.1).umvue == 1 / 10


@pytest.mark.parametrize("n2", [None, 14, 23])
def test_p_value_is_upper_tail_in_stagewise_order(n2) -> None:
    m2 = D.n2 if n2 is None else n2
    order = outcomes(D, m2)
    probs = np.array([prob(D, m2, s, x, 0.1) for s, x in order])
    for i, (stage, x) in enumerate(order):
        res = two_stage_inference(D, x, p0=0.1, n2_actual=None if stage == 1 else n2)
        assert res.stage == stage
        assert res.p_value == pytest.approx(min(1.0, probs[i:].sum()), abs=1e-10)


@pytest.mark.parametrize("x", [0, 1])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_stage1_stop_interval_is_clopper_pearson(x, level) -> None:
    d = SimonDesign(3, 17, 10, 37)
    res = two_stage_inference(d, x, p0=0.2, conf_level=level)
    a = 1 - level
    lo = 0.0 if x == 0 else stats.beta.ppf(a / 2, x, d.n1 - x + 1)
    hi = stats.beta.ppf(1 - a / 2, x + 1, d.n1 - x)
    assert res.ci_lower == pytest.approx(lo, abs=1e-10)
    assert res.ci_upper == pytest.approx(hi, abs=1e-10)
    assert (res.cp_lower, res.cp_upper) == pytest.approx((lo, hi), abs=1e-12)


@pytest.mark.parametrize("n2", [None, 15])
def test_interval_limits_solve_their_equations(n2) -> None:
    m2 = D.n2 if n2 is None else n2
    a = 0.05
    for stage, x in outcomes(D, m2):
        res = two_stage_inference(D, x, p0=0.1, n2_actual=None if stage == 1 else n2)
        order = outcomes(D, m2)
        i = order.index((stage, x))
        if res.ci_lower > 0:
            ge = sum(prob(D, m2, s, y, res.ci_lower) for s, y in order[i:])
            assert ge == pytest.approx(a / 2, abs=1e-10)
        else:
            assert i == 0
        if res.ci_upper < 1:
            le = sum(prob(D, m2, s, y, res.ci_upper) for s, y in order[: i + 1])
            assert le == pytest.approx(a / 2, abs=1e-10)
        else:
            assert i == len(order) - 1


def test_intervals_monotone_and_cover() -> None:
    order = outcomes(D, D.n2)
    res = [two_stage_inference(D, x, p0=0.1) for _, x in order]
    lows = np.array([r.ci_lower for r in res])
    highs = np.array([r.ci_upper for r in res])
    assert np.all(np.diff(lows) > 0) and np.all(np.diff(highs) > 0)
    assert np.all(lows < np.array([r.umvue for r in res]) + 1e-12)
    # Exact coverage over a grid of true rates is at least the nominal level.
    for p in np.linspace(0.01, 0.99, 50):
        cover = sum(prob(D, D.n2, s, x, p) for (s, x), lo, hi in zip(order, lows, highs, strict=True) if lo <= p <= hi)
        assert cover >= 0.95 - 1e-10


def test_edge_cases() -> None:
    assert two_stage_inference(D, 0, p0=0.1).ci_lower == 0.0
    top = two_stage_inference(D, D.n, p0=0.1)
    assert top.ci_upper == 1.0 and top.umvue == 1.0
    more = two_stage_inference(D, 33, p0=0.1, n2_actual=23)
    assert more.n_evaluated == 33 and more.ci_upper == 1.0


def test_naive_intervals() -> None:
    res = two_stage_inference(D, 4, p0=0.1)
    lo, hi = clopper_pearson(4, 29)
    assert (res.cp_lower, res.cp_upper) == (lo, hi)
    z = stats.norm.ppf(0.975)
    n, ph = 29, 4 / 29
    centre = (ph + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(ph * (1 - ph) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert (res.wilson_lower, res.wilson_upper) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert wilson(4, 29) == (res.wilson_lower, res.wilson_upper)


def test_seed_trial_interval() -> None:
    # 2 responses among 7 evaluable patients: the exact interval is 3.7%-71.0%,
    # the published 0-62.2% is close to a Wald interval truncated at 0.
    lo, hi = clopper_pearson(2, 7)
    assert round(lo, 3) == 0.037 and round(hi, 3) == 0.710
    ph = 2 / 7
    wald = ph - 1.959963984540054 * np.sqrt(ph * (1 - ph) / 7), ph + 1.959963984540054 * np.sqrt(ph * (1 - ph) / 7)
    assert round(wald[0], 3) == -0.049 and round(wald[1], 3) == 0.620


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": -1}, "x must be an integer >= 0"),
        ({"x": 30}, "x must be <= the 29 patients"),
        ({"x": 1, "n2_actual": 5}, "n2_actual"),
        ({"x": 3, "p0": 1.0}, "p0 must be in"),
        ({"x": 3, "conf_level": 1.0}, "conf_level must be in"),
        ({"x": 3, "n2_actual": -2}, "n2_actual must be an integer"),
    ],
)
def test_bad_input(kwargs, match) -> None:
    args = {"p0": 0.1} | kwargs
    x = args.pop("x")
    with pytest.raises(DesignError, match=match):
        two_stage_inference(D, x, **args)
