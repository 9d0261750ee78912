"""Interim tools: conditional and predictive power, against closed forms, enumeration and integration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from simtrial.design import DecisionTable, conditional_power, interim_analysis, interim_table, predictive_power
from simtrial.errors import DesignError

SIMON = DecisionTable.simon(1, 10, 5, 29)
THREE = DecisionTable(looks=(4, 9, 14), futility=(0, 2, 5), efficacy=(3, 6))


@pytest.mark.parametrize("x", range(2, 11))
@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.55, 1.0])
def test_simon_conditional_power_is_a_binomial_tail(x, p) -> None:
    # Promising iff the 19 stage-2 patients bring more than r - x responses.
    assert conditional_power(SIMON, 10, x, p) == pytest.approx(float(stats.binom.sf(5 - x, 19, p)), abs=1e-13)


@pytest.mark.parametrize("x", range(2, 11))
@pytest.mark.parametrize("prior", [(1, 1), (0.3, 0.7), (2.5, 4)])
def test_simon_predictive_power_is_a_beta_binomial_tail(x, prior) -> None:
    a, b = prior
    want = float(stats.betabinom.sf(5 - x, 19, a + x, b + 10 - x))
    assert predictive_power(SIMON, 10, x, prior) == pytest.approx(want, abs=1e-12)


def _enumerated_power(table: DecisionTable, k: int, x: int, p: float) -> float:
    """P(promising) from look k with x responses, over every future response sequence."""
    n_k, total = table.looks[k], 0.0
    for fut in itertools.product((0, 1), repeat=table.n_max - n_k):
        count, done = x, False
        for j in range(k + 1, table.n_looks):
            count = x + sum(fut[: table.looks[j] - n_k])
            last = j == table.n_looks - 1
            if count <= table.futility[j]:
                done = True
                break
            if last or (table.efficacy[j] is not None and count >= table.efficacy[j]):
                total += p ** sum(fut) * (1 - p) ** (len(fut) - sum(fut))
                done = True
                break
        assert done
    return total


@pytest.mark.parametrize(("n_look", "x"), [(4, 1), (4, 2), (9, 3), (9, 4), (9, 5)])
@pytest.mark.parametrize("p", [0.15, 0.4, 0.8])
def test_multilook_conditional_power_against_enumeration(n_look, x, p) -> None:
    k = THREE.looks.index(n_look)
    assert conditional_power(THREE, n_look, x, p) == pytest.approx(_enumerated_power(THREE, k, x, p), abs=1e-13)


@pytest.mark.parametrize(("n_look", "x"), [(4, 1), (4, 2), (9, 3), (9, 5)])
@pytest.mark.parametrize("prior", [(1, 1), (0.5, 2)])
def test_predictive_power_is_conditional_power_averaged_over_the_posterior(n_look, x, prior) -> None:
    a, b = prior
    post = stats.beta(a + x, b + n_look - x)
    # CP(p) is a polynomial in p: adaptive quadrature reaches ~1e-14.
    want, err = integrate.quad(lambda p: conditional_power(THREE, n_look, x, p) * post.pdf(p), 0, 1,
                               epsabs=1e-14, epsrel=1e-13, limit=200)
    assert err < 1e-12
    assert predictive_power(THREE, n_look, x, prior) == pytest.approx(want, abs=1e-11)


def test_interim_analysis_fields() -> None:
    res = interim_analysis(THREE, 9, 4, p1=0.4, prior=(0.5, 2))
    assert res.decision == "continue" and res.stage == 2 and res.observed_rate == 4 / 9
    assert res.conditional_power_p1 == conditional_power(THREE, 9, 4, 0.4)
    assert res.conditional_power_observed == conditional_power(THREE, 9, 4, 4 / 9)
    assert res.predictive_power == predictive_power(THREE, 9, 4, (0.5, 2))
    d = res.to_dict()
    assert d["design"] == THREE.to_dict() and d["prior"] == [0.5, 2.0] and d["x"] == 4


def test_decision_table_rows() -> None:
    it = interim_table(THREE, p1=0.4)
    assert list(it.looks) == [4, 9, 14]
    # Reachable counts, from the rule: look 2 needs 1..2 at look 1, so 1..7 at look 2.
    assert [r.x for r in it.looks[4]] == list(range(5))
    assert [r.x for r in it.looks[9]] == list(range(1, 8))
    assert [r.x for r in it.looks[14]] == list(range(3, 11))
    decisions = {r.x: r.decision for r in it.looks[9]}
    assert decisions == {1: "futility", 2: "futility", 3: "continue", 4: "continue", 5: "continue", 6: "efficacy",
                         7: "efficacy"}
    for n, rows in it.looks.items():
        for r in rows:
            if r.decision in ("futility", "not promising"):
                assert (r.conditional_power_p1, r.conditional_power_observed, r.predictive_power) == (0.0, 0.0, 0.0)
            elif r.decision in ("efficacy", "promising"):
                assert (r.conditional_power_p1, r.conditional_power_observed, r.predictive_power) == (1.0, 1.0, 1.0)
            else:
                assert r.conditional_power_p1 == conditional_power(THREE, n, r.x, 0.4)
                assert r.predictive_power == pytest.approx(predictive_power(THREE, n, r.x, (1, 1)), abs=1e-15)
    one = interim_table(THREE, p1=0.4, n_looks=[9])
    assert list(one.looks) == [9] and one.to_dict()["looks"][0]["stage"] == 2


def test_conditional_power_increases_with_x_and_p() -> None:
    cps = [conditional_power(SIMON, 10, x, 0.25) for x in range(2, 11)]
    assert all(b >= a for a, b in zip(cps, cps[1:]))
    grid = [conditional_power(THREE, 4, 1, p) for p in np.linspace(0, 1, 21)]
    assert all(b >= a - 1e-15 for a, b in zip(grid, grid[1:]))
    assert math.isclose(grid[0], 0.0, abs_tol=0) and math.isclose(grid[-1], 1.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conditional_power(SIMON, 12, 2, 0.3), "n_look must be one of the looks 10, 29, got 12"),
        (lambda: conditional_power(SIMON, 29, 1, 0.3), r"x: 1 responses at look 2 \(29 patients\) cannot happen"),
        (lambda: conditional_power(SIMON, 10, 11, 0.3), "x must be <= the 10 patients"),
        (lambda: conditional_power(SIMON, 10, 2, 1.5), r"p must be in \[0, 1\]"),
        (lambda: predictive_power(SIMON, 10, 2, (0, 1)), "prior must be two numbers a, b > 0"),
        (lambda: predictive_power(SIMON, 10, 2, (1,)), "prior must be two numbers"),
        (lambda: interim_analysis(SIMON, 10, 2, p1=0.0), "p1 must be in"),
        (lambda: interim_table(DecisionTable(looks=(5, 9), futility=(0, 2), toxicity=(3, 4)), p1=0.3),
         "toxicity bounds"),
    ],
)
def test_bad_input(call, match) -> None:
    with pytest.raises(DesignError, match=match):
        call()
