"""Mander & Thompson, Chen and Fleming designs: brute-force enumeration, round trips and published designs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simtrial.design.families import find_designs
from simtrial.design.multistage import MULTISTAGE_HARD_NMAX, chen_search, fleming_table, mander_thompson_search
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError, InfeasibleDesignError


def mt_brute_force(p0, p1, alpha, beta, n_top):
    """Every Mander & Thompson design with n <= n_top, written from the definition with scipy.

    Space: 1 <= n1 < n, 0 <= r1, r1 + 2 <= e1 <= min(n1, r) + 1, r < n
    (e1 = n1 + 1: no efficacy stop). Returns feasible designs as tuples
    (n, n1, r1, e1, r, en0, en1).
    """
    out = []
    for n in range(2, n_top + 1):
        for n1 in range(1, n):
            n2 = n - n1
            b = [stats.binom.pmf(np.arange(n1 + 1), n1, p) for p in (p0, p1)]
            # sf[k][j + n] = P(X2 > j) for j = -n..n (1 below 0)
            j = np.arange(-n, n + 1)
            sf = [np.where(j < 0, 1.0, stats.binom.sf(j, n2, p)) for p in (p0, p1)]
            for r1 in range(0, n1):
                for e1 in range(r1 + 2, n1 + 2):
                    r_lo = max(r1 + 1, e1 - 1)
                    if r_lo > n - 1:
                        continue
                    rs = np.arange(r_lo, n)
                    xs = np.arange(r1 + 1, e1)
                    err = []
                    for k in (0, 1):
                        early = float(np.sum(b[k][e1:]))  # P(X1 >= e1)
                        err.append(early + (b[k][xs][:, None] * sf[k][rs[None, :] - xs[:, None] + n]).sum(axis=0))
                    ok = (err[0] <= alpha) & (err[1] >= 1 - beta)
                    if not ok.any():
                        continue
                    r = int(rs[np.argmax(ok)])  # only the smallest feasible r matters: E(N) does not depend on r
                    cont = [float(np.sum(b[k][r1 + 1 : e1])) for k in (0, 1)]
                    out.append((n, n1, r1, e1, r, n1 + cont[0] * n2, n1 + cont[1] * n2))
    return out


def chen_brute_force(p0, p1, alpha, beta, n_top):
    """Every Chen three-stage design with n3 <= n_top: (n3, n1, r1, n2, r2, r3, en0).

    Space: 1 <= n1 < n2 < n3, 0 <= r1 < r2 <= r3 < n3, r_k < n_k.
    """
    out = []
    for n3 in range(3, n_top + 1):
        for n2 in range(2, n3):
            for n1 in range(1, n2):
                d, m = n2 - n1, n3 - n2
                s = np.arange(n2 + 1)
                errs = []
                for p in (p0, p1):
                    x1 = np.arange(n1 + 1)[:, None]
                    joint = stats.binom.pmf(x1, n1, p) * stats.binom.pmf(s[None, :] - x1, d, p)  # P(X1 = x1, X_2 = s)
                    # above[r1, s] = P(X1 > r1, X_2 = s)
                    above = np.array([joint[r1 + 1 :].sum(axis=0) for r1 in range(n1)])
                    r3 = np.arange(n3)
                    s3 = np.where(r3[None, :] - s[:, None] < 0, 1.0, stats.binom.sf(r3[None, :] - s[:, None], m, p))
                    c = above[:, :, None] * s3[None, :, :]  # [r1, s, r3]
                    # e[r1, r2, r3] = sum over s > r2
                    e = np.flip(np.cumsum(np.flip(c, axis=1), axis=1), axis=1)
                    e = np.concatenate([e[:, 1:, :], np.zeros((n1, 1, n3))], axis=1)
                    errs.append(e)
                for r1 in range(n1):
                    pet1 = stats.binom.cdf(r1, n1, p0)
                    for r2 in range(r1 + 1, n2):
                        ok = (errs[0][r1, r2, r2:] <= alpha) & (errs[1][r1, r2, r2:] >= 1 - beta)
                        if not ok.any():
                            continue
                        r3 = r2 + int(np.argmax(ok))
                        x1 = np.arange(r1 + 1, n1 + 1)
                        cont2 = sum(stats.binom.pmf(x, n1, p0) * stats.binom.sf(r2 - x, d, p0) for x in x1)
                        en0 = n1 + (1 - pet1) * d + cont2 * m
                        out.append((n3, n1, r1, n2, r2, r3, en0))
    return out


MT_PROBLEMS = [(0.1, 0.4, 0.1, 0.2), (0.05, 0.3, 0.1, 0.2), (0.2, 0.5, 0.1, 0.2), (0.2, 0.6, 0.05, 0.2),
               (0.4, 0.7, 0.1, 0.2)]


@pytest.mark.parametrize("problem", MT_PROBLEMS)
def test_mander_thompson_equals_brute_force(problem) -> None:
    res = mander_thompson_search(*problem)
    n_last = res.params["n_searched"][1]
    brute = mt_brute_force(*problem, n_last + 2)
    want = {
        "minimax": min(brute, key=lambda d: (d[0], d[5], d[6])),
        "optimal": min(brute, key=lambda d: (d[5], d[0], d[6])),
        "optimal-h1": min(brute, key=lambda d: (d[6], d[0], d[5])),
    }
    for kind, (n, n1, r1, e1, r, en0, en1) in want.items():
        d = res.design(kind)
        assert d.table.looks == (n1, n), kind
        assert d.table.futility == (r1, r), kind
        assert d.table.efficacy == ((None if e1 == n1 + 1 else e1), None), kind
        assert d.en0 == pytest.approx(en0, abs=1e-10) and d.en1 == pytest.approx(en1, abs=1e-10)
    # Nothing found by brute force beyond the proof point beats the search's designs.
    assert all(b[5] >= res.design("optimal").en0 - 1e-12 for b in brute)
    assert all(b[6] >= res.design("optimal-h1").en1 - 1e-12 for b in brute)


CHEN_PROBLEMS = [(0.1, 0.4, 0.1, 0.2), (0.05, 0.3, 0.1, 0.2), (0.2, 0.5, 0.1, 0.2), (0.2, 0.6, 0.05, 0.2)]


@pytest.mark.parametrize("problem", CHEN_PROBLEMS)
def test_chen_equals_brute_force(problem) -> None:
    res = chen_search(*problem)
    n_last = res.params["n_searched"][1]
    brute = chen_brute_force(*problem, n_last + 1)
    mm = min(brute, key=lambda d: (d[0], d[6]))
    opt = min(brute, key=lambda d: (d[6], d[0]))
    for kind, (n3, n1, r1, n2, r2, r3, en0) in (("minimax", mm), ("optimal", opt)):
        d = res.design(kind)
        assert d.table.looks == (n1, n2, n3), kind
        assert d.table.futility == (r1, r2, r3), kind
        assert d.en0 == pytest.approx(en0, abs=1e-10)


def test_mander_thompson_max_n_bound_equals_brute_force() -> None:
    problem = (0.2, 0.5, 0.1, 0.2)
    res = mander_thompson_search(*problem, max_n=14)
    assert res.params["proven"] is False and res.notes[-1] == "optimal within n <= 14 only"
    brute = mt_brute_force(*problem, 14)
    best = min(brute, key=lambda d: (d[5], d[0], d[6]))
    d = res.design("optimal")
    assert (d.table.looks, d.table.futility) == ((best[1], best[0]), (best[2], best[4]))


@pytest.mark.parametrize("problem", [(0.1, 0.3, 0.05, 0.2), (0.2, 0.4, 0.1, 0.1), (0.3, 0.5, 0.05, 0.2),
                                     (0.6, 0.8, 0.05, 0.1), (0.05, 0.25, 0.05, 0.2)])
def test_round_trip_errors_within_targets(problem) -> None:
    p0, p1, alpha, beta = problem
    for res in (mander_thompson_search(*problem), chen_search(*problem)):
        for d in res.designs:
            # Recomputed from the table alone, by its dynamic programming.
            oc = DecisionTable(d.table.looks, d.table.futility, d.table.efficacy).oc([p0, p1])
            assert oc.p_reject[0] <= alpha and oc.p_reject[1] >= 1 - beta
            assert d.alpha == oc.p_reject[0] and d.power == oc.p_reject[1]
            assert d.en0 == oc.en[0] and d.en1 == oc.en[1]
        # Each criterion's design is at least as good as the others under it.
        kinds = {d.kind: d for d in res.designs}
        assert kinds["optimal"].en0 <= min(d.en0 for d in res.designs)
        assert kinds["minimax"].table.n_max <= min(d.table.n_max for d in res.designs)
        if "optimal-h1" in kinds:
            assert kinds["optimal-h1"].en1 <= min(d.en1 for d in res.designs)


def test_mander_thompson_never_worse_than_simon() -> None:
    # Simon's designs (their stage-1 decisions curtailed) lie in the Mander & Thompson space.
    from simtrial.design import simon_search

    for problem in [(0.1, 0.3, 0.05, 0.2), (0.2, 0.4, 0.1, 0.1), (0.3, 0.5, 0.05, 0.2)]:
        simon = simon_search(*problem)
        mt = mander_thompson_search(*problem)
        assert mt.design("optimal").en0 <= simon.optimal.en0
        assert mt.design("minimax").table.n_max <= simon.minimax.design.n


def test_find_designs_with_plain_values() -> None:
    # How a trial config names a family: plain values, a kind.
    d = find_designs("mander-thompson", p0=0.2, p1=0.4, alpha=0.1, beta=0.1).design("optimal")
    assert d.table.looks == (16, 41)
    c = find_designs("chen", p0=0.1, p1=0.3, alpha=0.05, beta=0.2).design("minimax")
    assert c.table.n_looks == 3
    f = find_designs("fleming", p0=0.2, p1=0.4, alpha=0.05, looks=[15, 25]).design("formula")
    assert f.table.futility == (3, 8) and f.table.efficacy == (7, None)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mander_thompson_search(0.3, 0.2), "p0 must be smaller than p1"),
        (lambda: mander_thompson_search(0.1, 0.3, alpha=0.0), "alpha must be in"),
        (lambda: chen_search(0.1, 0.3, beta=1.0), "beta must be in"),
        (lambda: chen_search(0.1, 0.3, max_n=MULTISTAGE_HARD_NMAX + 1), "max_n may be at most"),
        (lambda: find_designs("fleming", p0=0.2, p1=0.4), "needs the looks"),
        (lambda: find_designs("fleming", p0=0.2, p1=0.4, looks=[20, 15]), "strictly increasing"),
        (lambda: find_designs("chen", p0=0.2, p1=0.4, n1=5), "does not apply"),
    ],
)
def test_bad_arguments(call, match) -> None:
    with pytest.raises(DesignError, match=match):
        call()


def test_infeasible_within_bound_and_too_close() -> None:
    with pytest.raises(InfeasibleDesignError, match="n <= 10"):
        mander_thompson_search(0.1, 0.3, 0.05, 0.2, max_n=10)
    with pytest.raises(InfeasibleDesignError, match="n <= 12"):
        chen_search(0.1, 0.3, 0.05, 0.2, max_n=12)
    # p0 and p1 this close need designs far beyond the searches' limit: said, not truncated.
    with pytest.raises(DesignError, match=f"may need n > {MULTISTAGE_HARD_NMAX}"):
        chen_search(0.3, 0.35, 0.05, 0.2)


# -- Fleming -------------------------------------------------------------------


def fleming_by_hand(p0, alpha, looks):
    """Fleming's (1982) formulas written out: (acceptance a_g, rejection r_g) per look."""
    z = stats.norm.ppf(1 - alpha)
    big_n = looks[-1]
    pa = (math.sqrt(big_n * p0) + math.sqrt(1 - p0) * z) ** 2 / (big_n + z * z)
    rej = [math.floor(n * p0 + z * math.sqrt(big_n * p0 * (1 - p0)) + 0.5) + 1 for n in looks]
    acc = [math.floor(n * pa - z * math.sqrt(big_n * pa * (1 - pa)) + 0.5) for n in looks[:-1]] + [rej[-1] - 1]
    return acc, rej


@pytest.mark.parametrize("looks", [[15, 25], [10, 20, 30, 40], [20, 40, 60], [5, 10, 15, 20, 25, 30]])
@pytest.mark.parametrize(("p0", "alpha"), [(0.2, 0.05), (0.1, 0.05), (0.3, 0.1), (0.05, 0.025)])
def test_fleming_table_follows_the_formulas(p0, alpha, looks) -> None:
    acc, rej = fleming_by_hand(p0, alpha, looks)
    t = fleming_table(p0, alpha, looks)
    assert t.looks == tuple(looks)
    assert t.futility == tuple(max(a, -1) for a in acc)
    assert t.efficacy[:-1] == tuple(r if r <= n else None for r, n in zip(rej[:-1], looks[:-1]))
    # The last look: promising exactly when X >= r_K.
    assert t.futility[-1] == rej[-1] - 1


def test_fleming_pa_makes_the_final_bounds_meet() -> None:
    # pA is defined so that N pA - z sqrt(N pA (1 - pA)) = N p0 + z sqrt(N p0 (1 - p0)).
    p0, alpha, big_n = 0.2, 0.05, 25
    z = stats.norm.ppf(1 - alpha)
    pa = (math.sqrt(big_n * p0) + math.sqrt(1 - p0) * z) ** 2 / (big_n + z * z)
    assert big_n * pa - z * math.sqrt(big_n * pa * (1 - pa)) == pytest.approx(
        big_n * p0 + z * math.sqrt(big_n * p0 * (1 - p0)), abs=1e-12)


def test_fleming_bad_looks() -> None:
    with pytest.raises(DesignError, match="can never be reached"):
        fleming_table(0.5, 0.01, [2, 3])
