"""Exact operating characteristics of SimonDesign against direct summation."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest

from simtrial.design import SimonDesign
from simtrial.errors import DesignError

DESIGNS = [SimonDesign(1, 10, 5, 29), SimonDesign(3, 17, 10, 37), SimonDesign(0, 9, 2, 24), SimonDesign(11, 50, 28, 109)]
RATES = [Fraction(1, 20), Fraction(1, 10), Fraction(1, 5), Fraction(3, 10), Fraction(1, 2), Fraction(4, 5)]


def _pmf(k: int, m: int, p: Fraction) -> Fraction:
    return comb(m, k) * p**k * (1 - p) ** (m - k)


def _exact_oc(d: SimonDesign, p: Fraction) -> tuple[Fraction, Fraction, Fraction]:
    """PET, E(N) and P(promising) by summing every (x1, x2) in exact rational arithmetic."""
    pet = sum(_pmf(x1, d.n1, p) for x1 in range(d.r1 + 1))
    rej = sum(
        _pmf(x1, d.n1, p) * _pmf(x2, d.n2, p)
        for x1 in range(d.r1 + 1, d.n1 + 1)
        for x2 in range(d.n2 + 1)
        if x1 + x2 > d.r
    )
    return pet, d.n1 + (1 - pet) * d.n2, rej


@pytest.mark.parametrize("d", DESIGNS, ids=str)
def test_oc_equals_direct_summation(d: SimonDesign) -> None:
    ps = np.array([float(p) for p in RATES])
    oc = d.oc(ps)
    for i, p in enumerate(RATES):
        pet, en, rej = _exact_oc(d, p)
        # 1e-10: the exact tier; scipy's binomial functions are accurate to ~1e-15 here.
        assert oc.pet[i] == pytest.approx(float(pet), abs=1e-10)
        assert oc.en[i] == pytest.approx(float(en), abs=1e-10)
        assert oc.p_reject[i] == pytest.approx(float(rej), abs=1e-10)
        assert oc.pet[i] + oc.p_continue_fail[i] + oc.p_reject[i] == pytest.approx(1.0, abs=1e-12)
        # Scalar methods agree with the vectorised result.
        assert d.pet(float(p)) == oc.pet[i]
        assert d.en(float(p)) == oc.en[i]
        assert d.p_reject(float(p)) == pytest.approx(oc.p_reject[i], abs=1e-15)


def test_scalar_in_scalar_out_and_array_shape() -> None:
    d = DESIGNS[0]
    assert isinstance(d.pet(0.2), float)
    assert isinstance(d.p_reject(0.2), float)
    grid = np.linspace(0, 1, 12).reshape(3, 4)
    assert d.p_reject(grid).shape == (3, 4)
    assert d.en(grid).shape == (3, 4)


def test_extreme_rates() -> None:
    d = DESIGNS[0]
    assert d.pet(0.0) == 1.0 and d.p_reject(0.0) == 0.0 and d.en(0.0) == d.n1
    assert d.pet(1.0) == 0.0 and d.p_reject(1.0) == 1.0 and d.en(1.0) == d.n


@pytest.mark.parametrize("d", DESIGNS, ids=str)
def test_monotone_in_p(d: SimonDesign) -> None:
    p = np.linspace(0.0, 1.0, 201)
    oc = d.oc(p)
    # Rounding allowance: P(promising) is a sum of up to n1 rounded terms, so
    # values near 1 carry a few 1e-15 of noise; real decreases would be far larger.
    assert np.all(np.diff(oc.pet) <= 1e-13)  # PET decreasing
    assert np.all(np.diff(oc.p_reject) >= -1e-13)  # P(promising) increasing
    assert np.all(np.diff(oc.en) >= -1e-12)  # E(N) increasing (fewer early stops)


def test_outcome_probabilities_match_direct_enumeration() -> None:
    d = SimonDesign(1, 10, 5, 29)
    p = Fraction(1, 4)
    table = d.outcome_probabilities(float(p))
    assert table["prob"].sum() == pytest.approx(1.0, abs=1e-12)
    for row in table.itertuples():
        if row.stage == 1:
            exact = _pmf(row.responses, d.n1, p)
        else:
            exact = sum(
                _pmf(x1, d.n1, p) * _pmf(row.responses - x1, d.n2, p)
                for x1 in range(d.r1 + 1, d.n1 + 1)
                if 0 <= row.responses - x1 <= d.n2
            )
        assert row.prob == pytest.approx(float(exact), abs=1e-12)
        assert row.promising == (row.stage == 2 and row.responses > d.r)
    promising = table.loc[table["promising"], "prob"].sum()
    assert promising == pytest.approx(d.p_reject(float(p)), abs=1e-12)


def test_to_frame_and_records() -> None:
    oc = DESIGNS[0].oc([0.1, 0.3])
    df = oc.to_frame()
    assert list(df["p"]) == [0.1, 0.3]
    assert set(df.columns) >= {"r1", "n1", "r", "n", "pet", "en", "p_reject"}
    recs = oc.to_records()
    assert recs[1]["p_reject"] == oc.p_reject[1]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((3, 3, 5, 10), "r1 must be smaller than n1"),
        ((1, 10, 10, 10), "n1 must be smaller than n"),
        ((1, 10, 12, 12), "r must be smaller than n"),
        ((4, 10, 3, 20), "r must be >= r1"),
        ((-1, 10, 3, 20), "r1 must be an integer >= 0"),
        ((0, 0, 3, 20), "n1 must be >= 1"),
        ((1.5, 10, 3, 20), "r1 must be an integer"),
    ],
)
def test_invalid_designs(args: tuple, match: str) -> None:
    with pytest.raises(DesignError, match=match):
        SimonDesign(*args)


@pytest.mark.parametrize("bad", [-0.1, 1.2, float("nan")])
def test_invalid_rates(bad: float) -> None:
    with pytest.raises(DesignError, match="p must be in"):
        DESIGNS[0].oc([0.1, bad])
