"""Decision tables: exact OC by dynamic programming, checked against Simon's closed forms and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simtrial.design import SimonDesign
from simtrial.design.tables import DecisionTable, ToxicityMonitor, joint_cell_probabilities
from simtrial.errors import DesignError

P_GRID = np.linspace(0.0, 1.0, 21)


@pytest.mark.parametrize("r1,n1,r,n", [(1, 10, 5, 29), (1, 15, 5, 25), (3, 13, 12, 43), (0, 5, 2, 9), (4, 19, 15, 54)])
def test_simon_table_matches_simon_closed_forms(r1, n1, r, n):
    oc = DecisionTable.simon(r1, n1, r, n).oc(P_GRID)
    ref = SimonDesign(r1, n1, r, n).oc(P_GRID)
    np.testing.assert_allclose(oc.p_reject, ref.p_reject, rtol=0, atol=1e-12)
    np.testing.assert_allclose(oc.pet, ref.pet, rtol=0, atol=1e-12)
    np.testing.assert_allclose(oc.en, ref.en, rtol=0, atol=1e-11)
    np.testing.assert_allclose(oc.futility[:, 1], ref.p_continue_fail, rtol=0, atol=1e-12)
    assert np.all(oc.p_early_efficacy == 0.0)


def _brute_force(table: DecisionTable, p: float, q: float | None = None, psi: float = 1.0):
    """Every sequence of patient outcomes, the rule applied patient by patient at the looks.

    Returns ``{(look, decision): probability}`` and E(N). Each patient is one
    of the four (response, toxicity) cells, independent across patients.
    """
    n = table.n_max
    if q is None:
        cells = [((1, 0), p), ((0, 0), 1.0 - p)]
    else:
        c = joint_cell_probabilities(np.array([p]), np.array([q]), np.array([psi]))[0]
        cells = [((1, 1), c[0]), ((1, 0), c[1]), ((0, 1), c[2]), ((0, 0), c[3])]
    out: dict[tuple[int, str], float] = {}
    en = 0.0
    for seq in itertools.product(cells, repeat=n):
        prob = 1.0
        for _, w in seq:
            prob *= w
        if prob == 0.0:
            continue
        for k, look in enumerate(table.looks):
            x = sum(o[0] for o, _ in seq[:look])
            t = sum(o[1] for o, _ in seq[:look])
            tb = None if table.toxicity is None else table.toxicity[k]
            last = k == table.n_looks - 1
            if tb is not None and t >= tb:
                decision = "toxicity"
            elif x <= table.futility[k]:
                decision = "futility"
            elif last or (table.efficacy[k] is not None and x >= table.efficacy[k]):
                decision = "efficacy"
            else:
                continue
            out[(k, decision)] = out.get((k, decision), 0.0) + prob
            en += prob * look
            break
    return out, en


BRUTE_TABLES = [
    DecisionTable(looks=(3, 6, 9), futility=(0, 1, 3)),
    DecisionTable(looks=(3, 6, 9), futility=(-1, 1, 3), efficacy=(3, 4)),
    DecisionTable(looks=(2, 5, 7, 10), futility=(0, 0, 2, 4), efficacy=(None, 4, 5)),
    DecisionTable(looks=(4, 10), futility=(0, 3), efficacy=(3,)),
]


@pytest.mark.parametrize("table", BRUTE_TABLES, ids=lambda t: t.compact())
@pytest.mark.parametrize("p", [0.0, 0.15, 0.4, 0.77, 1.0])
def test_response_table_matches_brute_force(table, p):
    want, en = _brute_force(table, p)
    oc = table.oc(p)
    for k in range(table.n_looks):
        assert oc.futility[0, k] == pytest.approx(want.get((k, "futility"), 0.0), abs=1e-12)
        assert oc.efficacy[0, k] == pytest.approx(want.get((k, "efficacy"), 0.0), abs=1e-12)
    assert oc.en[0] == pytest.approx(en, abs=1e-11)
    assert oc.stop.sum() == pytest.approx(1.0, abs=1e-12)


JOINT_TABLES = [
    DecisionTable(looks=(3, 6), futility=(0, 2), toxicity=(2, 3)),
    DecisionTable(looks=(2, 4, 6), futility=(-1, 1, 2), efficacy=(2, 3), toxicity=(None, 3, 4)),
]


@pytest.mark.parametrize("table", JOINT_TABLES, ids=lambda t: t.compact())
@pytest.mark.parametrize("p,q,psi", [(0.3, 0.2, 1.0), (0.5, 0.4, 3.0), (0.2, 0.6, 0.25), (0.0, 0.3, 2.0)])
def test_joint_table_matches_brute_force(table, p, q, psi):
    want, en = _brute_force(table, p, q, psi)
    oc = table.oc(p, q, odds_ratio=psi)
    for k in range(table.n_looks):
        for name, arr in (("futility", oc.futility), ("efficacy", oc.efficacy), ("toxicity", oc.toxicity)):
            assert arr[0, k] == pytest.approx(want.get((k, name), 0.0), abs=1e-12), (k, name)
    assert oc.en[0] == pytest.approx(en, abs=1e-11)


def test_joint_cells_have_the_margins_and_odds_ratio():
    p = np.array([0.1, 0.3, 0.5, 0.8])
    q = np.array([0.4, 0.2, 0.5, 0.9])
    psi = np.array([0.3, 1.0, 4.0, 2.5])
    c = joint_cell_probabilities(p, q, psi)
    np.testing.assert_allclose(c[:, 0] + c[:, 1], p, atol=1e-15)
    np.testing.assert_allclose(c[:, 0] + c[:, 2], q, atol=1e-15)
    np.testing.assert_allclose(c.sum(axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(c[:, 0] * c[:, 3] / (c[:, 1] * c[:, 2]), psi, rtol=1e-12)


def test_joint_table_without_association_equals_independent_response_table():
    """With toxicity bounds that can never bind, a joint table is the response table."""
    base = DecisionTable(looks=(5, 12, 20), futility=(0, 2, 5), efficacy=(4, 7))
    joint = DecisionTable(looks=base.looks, futility=base.futility, efficacy=base.efficacy, toxicity=(6, 13, 21))
    a = base.oc([0.1, 0.3])
    b = joint.oc([0.1, 0.3], [0.5, 0.5], odds_ratio=2.0)
    np.testing.assert_allclose(a.futility, b.futility, atol=1e-13)
    np.testing.assert_allclose(a.efficacy, b.efficacy, atol=1e-13)
    assert np.all(b.toxicity == 0.0)


def test_responses_at_stop_sum_to_the_decisions():
    t = DecisionTable(looks=(4, 9, 15), futility=(0, 2, 5), efficacy=(3, 6))
    oc = t.oc([0.2, 0.5])
    for k in range(3):
        np.testing.assert_allclose(oc.responses[k].sum(axis=1), oc.stop[:, k], atol=1e-15)


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"looks": (10, 5), "futility": (1, 2)}, "strictly increasing"),
        ({"looks": (10, 20), "futility": (3, 2)}, "must not decrease"),
        ({"looks": (10, 20), "futility": (10, 12)}, "stops every trial"),
        ({"looks": (10, 20), "futility": (2, 6), "efficacy": (2,)}, "must be above futility"),
        ({"looks": (10, 20), "futility": (2, 6), "efficacy": (11,)}, "never be reached"),
        ({"looks": (10, 20), "futility": (2, 6), "efficacy": (5, 8)}, "last look has no efficacy"),
        ({"looks": (5, 10, 20), "futility": (0, 2, 6), "efficacy": (5, 4)}, "must not decrease"),
        ({"looks": (10, 20), "futility": (2,)}, "one bound per look"),
        ({"looks": (), "futility": ()}, "at least one look"),
    ],
)
def test_bad_tables_are_refused_with_one_line(kwargs, fragment):
    with pytest.raises(DesignError, match=fragment) as err:
        DecisionTable(**kwargs)
    assert "\n" not in str(err.value)


def test_toxicity_table_needs_q():
    with pytest.raises(DesignError, match="q"):
        DecisionTable(looks=(5, 10), futility=(0, 2), toxicity=(3, 5)).oc(0.3)


def test_toxicity_monitor_stop_probability_by_enumeration():
    mon = ToxicityMonitor(looks=(3, 6), bounds=(2, 3))
    q = 0.35
    want = 0.0
    for seq in itertools.product((0, 1), repeat=6):
        prob = float(np.prod([q if s else 1.0 - q for s in seq]))
        if sum(seq[:3]) >= 2 or sum(seq) >= 3:
            want += prob
    assert mon.stop_probability(q, 6)[0] == pytest.approx(want, abs=1e-14)
    # Before the first look the rule cannot have stopped the trial.
    assert mon.stop_probability(q, 2)[0] == 0.0
