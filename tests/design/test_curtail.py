"""Curtailment: against an independent exact recursion, a patient-by-patient simulation, and properties."""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pytest
from scipy import stats

from simtrial.design.curtail import conditional_power, curtail, stochastic_curtail
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError

TABLES = [
    DecisionTable.simon(0, 4, 2, 10),
    DecisionTable.simon(1, 6, 4, 12),
    DecisionTable(looks=(5, 12), futility=(1, 4), efficacy=(4, None)),  # Mander-Thompson shape
    DecisionTable(looks=(3, 7, 11), futility=(0, 2, 4), efficacy=(3, 5, None)),
    DecisionTable(looks=(4, 8, 12), futility=(-1, 1, 5)),
]


def decide(table: DecisionTable, seq) -> tuple[int, bool]:
    """Apply the table as planned to a full outcome sequence: (patients used, promising?)."""
    for k, (n, a, b) in enumerate(zip(table.looks, table.futility, table.efficacy)):
        x = sum(seq[:n])
        if x <= a:
            return n, False
        if k == table.n_looks - 1:
            return n, True
        if b is not None and x >= b:
            return n, True
    raise AssertionError("unreachable")


def decide_from(table: DecisionTable, m: int, x: int, rest) -> bool:
    """The table's decision for a trial still running with ``x`` responses among ``m`` patients, then ``rest``.

    Only the looks at ``m`` patients or later apply (the trial passed the earlier ones).
    """
    for k, (n, a, b) in enumerate(zip(table.looks, table.futility, table.efficacy)):
        if n < m:
            continue
        c = x + sum(rest[: n - m])
        if c <= a:
            return False
        if k == table.n_looks - 1 or (b is not None and c >= b):
            return True
    raise AssertionError("unreachable")


def stop_under(table: DecisionTable, rule, seq) -> tuple[int, bool]:
    """Where and how a trial with outcome sequence ``seq`` ends when ``rule`` is applied after each patient."""
    stop_at, promising = decide(table, seq)
    for m in range(1, stop_at):
        d = rule(m, seq[:m])
        if d is not None:
            return m, d
    return stop_at, promising


def reference(table: DecisionTable, p: float, rule) -> tuple[float, float, dict[int, float]]:
    """Exact (E(N), P(promising), {N: P}) of stopping patient by patient under ``rule``.

    ``rule(m, seq_so_far)`` returns None (go on) or the decision. Every
    sequence of N outcomes is enumerated with its probability; a trial stops
    at the first patient where the rule decides, or where the table itself
    stops. Written independently of simtrial's curtailment code.
    """
    n = table.n_max
    dist: dict[int, float] = {}
    en = rej = 0.0
    for seq in itertools.product((0, 1), repeat=n):
        w = p ** sum(seq) * (1 - p) ** (n - sum(seq))
        stop_at, promising = stop_under(table, rule, seq)
        dist[stop_at] = dist.get(stop_at, 0.0) + w
        en += w * stop_at
        rej += w * promising
    return en, rej, dist


def determined_rule(table: DecisionTable, mode: str):
    """Stop when every completion of the sequence gives the same decision (checked by enumerating them all)."""
    n = table.n_max

    @lru_cache(maxsize=None)
    def outcomes(m: int, x: int) -> frozenset:
        return frozenset(decide_from(table, m, x, rest) for rest in itertools.product((0, 1), repeat=n - m))

    def rule(m, prefix):
        # Trials still running at m have passed the table's looks before m.
        got = outcomes(m, sum(prefix))
        if got == {False}:
            return False
        if mode == "both" and got == {True}:
            return True
        return None

    return rule


def cp_rule(table: DecisionTable, p_cp: float, below: float, above: float | None):
    n = table.n_max

    @lru_cache(maxsize=None)
    def cp(m: int, x: int) -> float:
        return sum(p_cp ** sum(rest) * (1 - p_cp) ** (n - m - sum(rest)) * decide_from(table, m, x, rest)
                   for rest in itertools.product((0, 1), repeat=n - m))

    def rule(m, prefix):
        # At a look the table's own decision comes first (cp is then 0 or 1 anyway).
        c = cp(m, sum(prefix))
        if c < below:
            return False
        if above is not None and c > above:
            return True
        return None

    return rule


@pytest.mark.parametrize("table", TABLES, ids=str)
@pytest.mark.parametrize("mode", ["futility", "both"])
def test_curtailed_oc_equals_independent_recursion(table, mode) -> None:
    cur = curtail(table, mode)
    rule = determined_rule(table, mode)
    for p in (0.15, 0.4, 0.7):
        en, rej, dist = reference(table, p, rule)
        oc = cur.oc(p)
        assert float(oc.en[0]) == pytest.approx(en, abs=1e-10)
        assert float(oc.p_reject[0]) == pytest.approx(rej, abs=1e-10)
        got = {n: float(v[0]) for n, v in oc.sample_size_distribution().items() if v[0] > 0}
        assert set(got) == {n for n, v in dist.items() if v > 0}
        for n, v in dist.items():
            assert got.get(n, 0.0) == pytest.approx(v, abs=1e-10)
        # Non-stochastic curtailment changes no decision: alpha and power are the table's.
        assert float(oc.p_reject[0]) == pytest.approx(float(table.oc(p).p_reject[0]), abs=1e-12)
        assert float(oc.en[0]) <= float(table.oc(p).en[0]) + 1e-12


@pytest.mark.parametrize("table", TABLES[:4], ids=str)
@pytest.mark.parametrize(("p_cp", "below", "above"), [(0.4, 0.1, None), (0.5, 0.2, 0.95), (0.3, 0.05, 0.9)])
def test_stochastic_curtailment_equals_independent_recursion(table, p_cp, below, above) -> None:
    try:
        cur = stochastic_curtail(table, p_cp, below, above)
    except DesignError as exc:  # thresholds that stop every trial at once are refused
        assert "whatever they show" in str(exc)
        return
    rule = cp_rule(table, p_cp, below, above)
    for p in (0.2, 0.5):
        en, rej, _ = reference(table, p, rule)
        oc = cur.oc(p)
        assert float(oc.en[0]) == pytest.approx(en, abs=1e-10)
        assert float(oc.p_reject[0]) == pytest.approx(rej, abs=1e-10)


def test_stochastic_curtailment_changes_alpha_and_power() -> None:
    table = DecisionTable.simon(1, 10, 5, 29)
    s = stochastic_curtail(table, 0.3, 0.2)
    full, cur = table.oc([0.1, 0.3]), s.oc([0.1, 0.3])
    assert cur.p_reject[1] < full.p_reject[1] and cur.p_reject[0] < full.p_reject[0]
    assert np.all(cur.en < full.en)
    # Threshold 0: only the table's own stops (and CP = 0 is a determined futility stop,
    # which the strict '<' leaves alone): the table's decisions.
    z = stochastic_curtail(table, 0.3, 0.0)
    assert np.allclose(z.oc([0.1, 0.3]).p_reject, full.p_reject, atol=1e-12, rtol=0)


def test_conditional_power_matches_direct_sums() -> None:
    table = DecisionTable.simon(1, 10, 5, 29)
    cp = conditional_power(table, 0.3)
    # After stage 1 with x1 > 1 responses: P(Bin(19, 0.3) > 5 - x1).
    for x in range(2, 11):
        assert cp[10][x] == pytest.approx(stats.binom.sf(5 - x, 19, 0.3), abs=1e-12)
    # Before stage 1, m = 4 with x responses: sum over the rest of stage 1.
    x = 1
    want = sum(stats.binom.pmf(k, 6, 0.3) * stats.binom.sf(5 - x - k, 19, 0.3) for k in range(0, 7) if x + k > 1)
    assert cp[4][x] == pytest.approx(want, abs=1e-12)
    assert cp[0][0] == pytest.approx(float(table.oc(0.3).p_reject[0]), abs=1e-12)


def _simulate(table: DecisionTable, p: float, n_sim: int, rng: np.random.Generator):
    """Patient by patient: stop once the best (all respond) or worst (none respond) completion fixes the decision.

    Returns the number of patients per trial, the decision per trial and the
    table's decision on the full sequence (for the pathwise check).
    """
    n = table.n_max
    resp = rng.random((n_sim, n)) < p
    cum = np.cumsum(resp, axis=1)
    looks = np.array(table.looks)
    fut = np.array(table.futility)
    eff = np.array([b if b is not None else n + 1 for b in table.efficacy])
    eff[-1] = n + 1

    def outcome(counts_at_looks: np.ndarray) -> np.ndarray:
        # Decision of the table given the counts at every look (rows: trials).
        decided = np.zeros(counts_at_looks.shape[0], dtype=bool)
        prom = np.zeros(counts_at_looks.shape[0], dtype=bool)
        for k in range(len(looks)):
            c = counts_at_looks[:, k]
            last = k == len(looks) - 1
            f = ~decided & (c <= fut[k])
            e = ~decided & ~f & ((c >= eff[k]) | last)
            prom |= e
            decided |= f | e
        return prom

    full = outcome(cum[:, looks - 1])
    stop_n = np.full(n_sim, n)
    decision = full.copy()
    running = np.ones(n_sim, dtype=bool)
    for m in range(1, n + 1):
        idx = np.flatnonzero(running)
        x = cum[idx, m - 1]
        # counts at looks >= m along the two extreme completions; looks < m as observed
        past = looks < m
        best = np.where(past[None, :], cum[idx][:, np.maximum(looks - 1, 0)], x[:, None] + (looks - m)[None, :])
        worst = np.where(past[None, :], cum[idx][:, np.maximum(looks - 1, 0)], x[:, None])
        b, w = outcome(best), outcome(worst)
        # the table's own stop at look m
        at_look = np.flatnonzero(looks == m)
        own = np.zeros(idx.size, dtype=bool)
        if at_look.size:
            k = at_look[0]
            own = (x <= fut[k]) | (x >= eff[k]) | (k == len(looks) - 1)
        stop = own | ~b | w  # not promising certain, or promising certain ('both')
        stop_n[idx[stop]] = m
        decision[idx[stop]] = np.where(own[stop], full[idx[stop]], w[stop])
        running[idx[stop]] = False
        if not running.any():
            break
    return stop_n, decision, full


@pytest.mark.parametrize("p", [0.1, 0.3])
def test_curtailed_simon_against_patient_by_patient_simulation(p, seed) -> None:
    table = DecisionTable.simon(1, 10, 5, 29)
    cur = curtail(table, "both")
    rng = np.random.default_rng(seed)
    n_sim = 200_000
    stop_n, decision, full = _simulate(table, p, n_sim, rng)
    # Curtailment never changes a trial's decision.
    assert np.array_equal(decision, full)
    oc = cur.oc(p)
    se = stop_n.std(ddof=1) / np.sqrt(n_sim)
    # 4 Monte Carlo standard errors (a false alarm about once in 16,000 checks).
    assert abs(stop_n.mean() - float(oc.en[0])) <= 4 * se
    dist = oc.sample_size_distribution()
    for n_at in (10, 15, 29):
        q = float(dist[n_at][0])
        assert abs((stop_n == n_at).mean() - q) <= 4 * np.sqrt(q * (1 - q) / n_sim) + 1e-12


def test_curtail_bad_input() -> None:
    with pytest.raises(DesignError, match="mode must be one of futility, both"):
        curtail(DecisionTable.simon(1, 10, 5, 29), "efficacy")
    joint = DecisionTable(looks=(10, 20), futility=(1, 5), toxicity=(4, 8))
    with pytest.raises(DesignError, match="toxicity bounds is not supported"):
        curtail(joint)
    with pytest.raises(DesignError, match="futility_below must be in"):
        stochastic_curtail(DecisionTable.simon(1, 10, 5, 29), 0.3, 1.0)
    with pytest.raises(DesignError, match="efficacy_above must be in"):
        stochastic_curtail(DecisionTable.simon(1, 10, 5, 29), 0.3, 0.5, 0.4)
    # A table that declares every trial promising: the decision is known before the first patient.
    with pytest.raises(DesignError, match="whatever they show"):
        curtail(DecisionTable(looks=(5,), futility=(-1,)), "both")


@pytest.mark.parametrize("p", [0.2, 0.45])
def test_stochastic_curtailment_against_simulation(p, seed) -> None:
    # Conditional power from the independent enumeration above; the stop rule
    # applied patient by patient to simulated trials.
    table = DecisionTable.simon(1, 6, 4, 12)
    rule = cp_rule(table, 0.45, 0.15, 0.9)
    cur = stochastic_curtail(table, 0.45, 0.15, 0.9)
    rng = np.random.default_rng(seed + 1)
    n_sim = 200_000
    resp = rng.random((n_sim, table.n_max)) < p
    stop_n = np.empty(n_sim)
    promising = np.empty(n_sim, dtype=bool)
    # All 2**12 outcome sequences have a fixed stopping point and decision: look them up.
    memo: dict[tuple, tuple[int, bool]] = {}
    for i, row in enumerate(map(tuple, resp.astype(int))):
        if row not in memo:
            memo[row] = stop_under(table, rule, row)
        stop_n[i], promising[i] = memo[row]
    oc = cur.oc(p)
    se_n = stop_n.std(ddof=1) / np.sqrt(n_sim)
    q = float(oc.p_reject[0])
    assert abs(stop_n.mean() - float(oc.en[0])) <= 4 * se_n
    assert abs(promising.mean() - q) <= 4 * np.sqrt(q * (1 - q) / n_sim)
