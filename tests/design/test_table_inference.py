"""Inference after any decision-table trial, checked against an enumeration of every response sequence.

The enumeration is written here from the rule alone (walk the looks, stop
where a bound is met) and orders outcomes with Jennison and Turnbull's
pairwise definition of the stage-wise ordering, not with the module's blocks.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from simtrial.design import DecisionTable, SimonDesign, StagewiseOutcomes, table_inference, two_stage_inference
from simtrial.errors import DesignError

TABLES = {
    "three looks, both bounds": DecisionTable(looks=(4, 9, 14), futility=(0, 2, 5), efficacy=(3, 6)),
    "two looks, efficacy": DecisionTable(looks=(5, 12), futility=(1, 4), efficacy=(4,)),
    "simon": DecisionTable.simon(1, 6, 3, 12),
    "no futility at look 1": DecisionTable(looks=(3, 7, 12), futility=(-1, 2, 4), efficacy=(3, None)),
}


def _stop(table: DecisionTable, seq: tuple[int, ...]) -> tuple[int, int]:
    """Where the trial following ``table`` ends for the response sequence ``seq`` (0/1 per patient)."""
    for k, n in enumerate(table.looks):
        x = sum(seq[:n])
        if k == table.n_looks - 1 or x <= table.futility[k]:
            return k, x
        if table.efficacy[k] is not None and x >= table.efficacy[k]:
            return k, x
    raise AssertionError


@functools.lru_cache(maxsize=None)
def _enumerate(name: str) -> dict[tuple[int, int], dict[tuple[int, int], int]]:
    """``{outcome: {(first patient responded, total responses of the full sequence): number of sequences}}``."""
    table = TABLES[name]
    out: dict[tuple[int, int], dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    for seq in itertools.product((0, 1), repeat=table.n_max):
        out[_stop(table, seq)][(seq[0], sum(seq))] += 1
    return {o: dict(c) for o, c in out.items()}


def _prob(name: str, outcome: tuple[int, int], p: float) -> float:
    n = TABLES[name].n_max
    return math.fsum(c * p**s * (1 - p) ** (n - s) for (_, s), c in _enumerate(name)[outcome].items())


def _jt_above(table: DecisionTable, o1: tuple[int, int], o2: tuple[int, int]) -> bool:
    """Jennison & Turnbull (2000, 8.4): is o1 above o2 in the stage-wise ordering?"""
    (k1, x1), (k2, x2) = o1, o2
    if k1 == k2:
        return x1 > x2
    if k1 < k2:  # o1 stopped first: above every later outcome iff it stopped for efficacy
        return x1 > table.futility[k1]
    return x2 <= table.futility[k2]  # o2 stopped first, below o1 iff for futility


def _jt_order(name: str) -> list[tuple[int, int]]:
    table = TABLES[name]
    cmp = lambda a, b: 1 if _jt_above(table, a, b) else (-1 if _jt_above(table, b, a) else 0)  # noqa: E731
    return sorted(_enumerate(name), key=functools.cmp_to_key(cmp))


@pytest.mark.parametrize("name", TABLES)
def test_outcomes_order_and_probabilities_match_enumeration(name) -> None:
    space = StagewiseOutcomes(TABLES[name])
    assert list(space.outcomes) == _jt_order(name)
    for p in (0.13, 0.5, 0.77):
        got = space.probabilities(p)
        want = np.array([_prob(name, o, p) for o in space.outcomes])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        assert math.fsum(got) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", TABLES)
def test_umvue_is_the_conditional_mean_of_the_first_response(name) -> None:
    # E[first patient responds | outcome] does not depend on p (sufficiency):
    # at p = 1/2 every full sequence is equally likely, so it is a ratio of counts.
    table = TABLES[name]
    for outcome, cells in _enumerate(name).items():
        first = sum(c for (y1, _), c in cells.items() if y1 == 1)
        total = sum(cells.values())
        res = table_inference(table, outcome[1], p0=0.3, n_stop=table.looks[outcome[0]])
        assert res.umvue == float(Fraction(first, total))


@pytest.mark.parametrize("name", TABLES)
def test_p_value_interval_and_median_solve_their_equations(name) -> None:
    table = TABLES[name]
    order = _jt_order(name)
    a = 0.1
    for i, (k, x) in enumerate(order):
        res = table_inference(table, x, p0=0.3, n_stop=table.looks[k], conf_level=1 - a)
        assert res.p_value == pytest.approx(math.fsum(_prob(name, o, 0.3) for o in order[i:]), abs=1e-12)
        if i == 0:
            assert res.ci_lower == 0.0 and res.median_unbiased == 0.0
        else:
            assert math.fsum(_prob(name, o, res.ci_lower) for o in order[i:]) == pytest.approx(a / 2, abs=1e-10)
            assert math.fsum(_prob(name, o, res.median_unbiased) for o in order[i:]) == pytest.approx(0.5, abs=1e-10)
        if i == len(order) - 1:
            assert res.ci_upper == 1.0
        else:
            assert math.fsum(_prob(name, o, res.ci_upper) for o in order[: i + 1]) == pytest.approx(a / 2, abs=1e-10)


LARGER = {
    "three looks": DecisionTable(looks=(10, 20, 30), futility=(1, 4, 8), efficacy=(5, 9)),
    "mander-thompson-like": DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,)),
    "simon 1/10, 5/29": DecisionTable.simon(1, 10, 5, 29),
    "four looks": DecisionTable(looks=(8, 16, 24, 32), futility=(0, 2, 5, 8), efficacy=(4, 7, 9)),
}


@pytest.mark.parametrize("name", LARGER)
@pytest.mark.parametrize("p", [0.02, 0.1, 0.27, 0.5, 0.83])
def test_umvue_is_unbiased_exactly(name, p) -> None:
    table = LARGER[name]
    space = StagewiseOutcomes(table)
    probs = space.probabilities(p)
    est = [table_inference(table, x, p0=0.2, n_stop=table.looks[k]).umvue for k, x in space.outcomes]
    assert math.fsum(e * q for e, q in zip(est, probs, strict=True)) == pytest.approx(p, abs=1e-10)


@pytest.mark.parametrize("name", LARGER)
def test_exact_interval_covers_at_least_nominal_and_is_monotone(name) -> None:
    table = LARGER[name]
    space = StagewiseOutcomes(table)
    res = [table_inference(table, x, p0=0.2, n_stop=table.looks[k], conf_level=0.9) for k, x in space.outcomes]
    lows = np.array([r.ci_lower for r in res])
    highs = np.array([r.ci_upper for r in res])
    meds = np.array([r.median_unbiased for r in res])
    # Non-decreasing along the order. Not strictly: neighbours whose tail
    # probabilities differ by an outcome of probability ~1e-15 (31 of 41
    # responses near p = 0.23) get limits equal to rounding.
    for limits in (lows, highs, meds):
        assert np.all(np.diff(limits) >= -1e-14)
    assert np.all(lows <= meds) and np.all(meds <= highs)
    for p in np.linspace(0.01, 0.99, 99):
        probs = space.probabilities(float(p))
        cover = math.fsum(q for q, lo, hi in zip(probs, lows, highs, strict=True) if lo <= p <= hi)
        assert cover >= 0.9 - 1e-10, p


def test_efficacy_stop_at_the_first_look_gives_clopper_pearson() -> None:
    # Efficacy stops at look 1 lie above every other outcome, so both tails
    # are binomial tails of the first look alone.
    table = LARGER["mander-thompson-like"]
    for x in range(7, 17):
        res = table_inference(table, x, p0=0.2, n_stop=16)
        assert res.decision == "efficacy" and res.stage == 1
        assert (res.ci_lower, res.ci_upper) == pytest.approx((res.cp_lower, res.cp_upper), abs=1e-12)
        assert res.p_value == pytest.approx(float(stats.binom.sf(x - 1, 16, 0.2)), abs=1e-14)
        assert res.umvue == x / 16


@pytest.mark.parametrize("x", range(0, 30))
def test_simon_table_gives_the_two_stage_results(x) -> None:
    two = two_stage_inference(SimonDesign(1, 10, 5, 29), x, p0=0.1)
    gen = table_inference(DecisionTable.simon(1, 10, 5, 29), x, p0=0.1)
    for key in ("umvue", "median_unbiased", "p_value", "ci_lower", "ci_upper", "mle", "cp_lower", "cp_upper",
                "stage", "n_evaluated"):
        assert getattr(two, key) == getattr(gen, key), key


def test_look_deduced_from_x_when_unambiguous() -> None:
    table = LARGER["mander-thompson-like"]
    assert table_inference(table, 2, p0=0.2).stage == 1
    assert table_inference(table, 20, p0=0.2).stage == 2
    assert table_inference(table, 17, p0=0.2).decision == "promising"
    assert table_inference(table, 10, p0=0.2, n_stop=41).decision == "not promising"


def test_n2_actual_zero_after_continuing_is_an_error() -> None:
    with pytest.raises(DesignError, match="n2_actual: x=6 > r1=1 means the trial continued to stage 2"):
        two_stage_inference(SimonDesign(1, 10, 5, 29), 6, p0=0.1, n2_actual=0)
    assert two_stage_inference(SimonDesign(1, 10, 5, 29), 1, p0=0.1, n2_actual=0).stage == 1


@pytest.mark.parametrize(
    ("x", "kwargs", "match"),
    [
        (8, {}, r"n_stop: 8 responses can end the trial at look 1 \(16 patients\) or look 2 \(41 patients\)"),
        (5, {"n_stop": 16}, r"cannot end at look 1 \(16 patients\) with 5 responses; it ends there with 0..3, 7..16"),
        (2, {"n_stop": 41}, r"it ends there with 4..31"),
        (40, {}, "no way for the trial to end with 40 responses"),
        (3, {"n_stop": 20}, "n_stop must be one of the looks 16, 41, got 20"),
        (-1, {}, "x must be an integer >= 0"),
        (3, {"p0": 1.0}, "p0 must be in"),
        (3, {"conf_level": 0.0}, "conf_level must be in"),
    ],
)
def test_bad_input(x, kwargs, match) -> None:
    args = {"p0": 0.2} | kwargs
    with pytest.raises(DesignError, match=match):
        table_inference(LARGER["mander-thompson-like"], x, **args)


def test_toxicity_tables_are_refused() -> None:
    table = DecisionTable(looks=(10, 20), futility=(1, 4), toxicity=(5, 8))
    with pytest.raises(DesignError, match="toxicity bounds"):
        table_inference(table, 3, p0=0.2)
