"""Bryant and Day's design: published design, brute-force optimality, round trips and the exact OC.

The brute force here is written from the paper's rule alone: the joint
distribution of (responses, patients without toxicity) among m patients from
the multinomial over the four cells of a patient (the cell probabilities from
the odds ratio by root finding), and every design's probabilities from 4-D
tail sums of the two stages' distributions.
"""

from __future__ import annotations

import re

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize
from typer.testing import CliRunner

from simtrial.cli import app
from simtrial.design.families import find_designs
from simtrial.design.joint import CONFIGURATIONS, BryantDayDesign, bryant_day_search
from simtrial.errors import DesignError, InfeasibleDesignError

REF = Path(__file__).parents[1] / "reference" / "bryant_day1995_designs.csv"


def _cells(p: float, q: float, psi: float) -> tuple[float, float, float, float]:
    """(response & no toxicity, response & toxicity, no response & no toxicity, no response & toxicity)."""
    if psi == 1.0:
        p11 = p * q
    else:
        lo, hi = max(0.0, p + q - 1.0), min(p, q)
        f = lambda a: a * (1 - p - q + a) - psi * (p - a) * (q - a)  # noqa: E731
        p11 = optimize.brentq(f, lo, hi, xtol=1e-16, rtol=1e-15)
    return p - p11, p11, 1 - p - q + p11, q - p11


def _pmf(m: int, cells: tuple[float, float, float, float]) -> np.ndarray:
    """``g[x, y]``: P(x responses, y patients without toxicity among m)."""
    a, b, c, d = cells
    g = np.zeros((m + 1, m + 1))
    for k in range(m + 1):  # responders without toxicity
        for x in range(k, m + 1):
            for y in range(k, m + 1 - (x - k)):
                rest = m - x - y + k
                coef = math.factorial(m) / (math.factorial(k) * math.factorial(x - k) * math.factorial(y - k)
                                            * math.factorial(rest))
                g[x, y] += coef * a**k * b ** (x - k) * c ** (y - k) * d**rest
    return g


def _all_designs(n1: int, n: int, cells) -> np.ndarray:
    """``T[r1 + 1, t1 + 1, r + 1, t + 1] = P(X1 > r1, Y1 > t1, X > r, Y > t)`` for every bound."""
    g1, g2 = _pmf(n1, cells), _pmf(n - n1, cells)
    k = np.zeros((n1 + 1, n1 + 1, n + 1, n + 1))
    for x1 in range(n1 + 1):
        for y1 in range(n1 + 1):
            k[x1, y1, x1 : x1 + n - n1 + 1, y1 : y1 + n - n1 + 1] = g1[x1, y1] * g2
    for axis in range(4):
        k = np.flip(np.cumsum(np.flip(k, axis), axis=axis), axis)
    return k


def _brute_force(p0, p1, q0, q1, alpha, alpha_tox, beta, psi, n_max):
    """Every design with n <= n_max: (criterion, n, n1, r1, t1, -power, r, t) of the feasible ones."""
    configs = {"ineffective_safe": (p0, q0), "effective_toxic": (p1, q1), "ineffective_toxic": (p0, q1),
               "effective_safe": (p1, q0)}
    cells = {c: _cells(p, q, psi) for c, (p, q) in configs.items()}
    found = []
    for n in range(2, n_max + 1):
        for n1 in range(1, n):
            t = {c: _all_designs(n1, n, cells[c]) for c in configs}
            for r1 in range(-1, n1):
                for t1 in range(-1, n1):
                    cont = {c: t[c][r1 + 1, t1 + 1, 0, 0] for c in configs}
                    crit = max(n1 + (n - n1) * cont["ineffective_safe"], n1 + (n - n1) * cont["effective_toxic"])
                    pw = t["effective_safe"][r1 + 1, t1 + 1, r1 + 1 :, t1 + 1 :]
                    ea = t["ineffective_safe"][r1 + 1, t1 + 1, r1 + 1 :, t1 + 1 :]
                    et = t["effective_toxic"][r1 + 1, t1 + 1, r1 + 1 :, t1 + 1 :]
                    ok = (pw >= 1 - beta) & (ea <= alpha) & (et <= alpha_tox)
                    for i, j in zip(*np.nonzero(ok)):
                        found.append((round(crit, 11), n, n1, r1, t1, -round(pw[i, j], 12), r1 + i, t1 + j))
    return found


def _key(d: BryantDayDesign) -> tuple[int, ...]:
    return d.n1, d.r1, d.t1, d.n, d.r, d.t


PROBLEMS = [
    # p0, p1, q0, q1, alpha, alpha_tox, beta, odds ratio
    (0.15, 0.5, 0.15, 0.45, 0.1, 0.1, 0.2, 1.0),
    (0.15, 0.5, 0.15, 0.45, 0.1, 0.1, 0.2, 0.4),
    (0.15, 0.5, 0.15, 0.45, 0.1, 0.1, 0.2, 3.0),
    (0.2, 0.5, 0.1, 0.4, 0.15, 0.1, 0.2, 1.0),
    (0.2, 0.5, 0.1, 0.4, 0.15, 0.2, 0.2, 3.0),
    (0.1, 0.6, 0.2, 0.6, 0.1, 0.1, 0.2, 0.4),
]


@pytest.mark.parametrize("problem", PROBLEMS, ids=[str(p) for p in PROBLEMS])
def test_search_is_optimal_by_brute_force(problem) -> None:
    p0, p1, q0, q1, alpha, alpha_tox, beta, psi = problem
    res = bryant_day_search(p0, p1, q0, q1, alpha, beta, alpha_tox=alpha_tox, odds_ratio=psi)
    assert res.proven
    n_max = res.optimal.design.n + 2
    brute = sorted(_brute_force(p0, p1, q0, q1, alpha, alpha_tox, beta, psi, n_max))
    # Optimal: smallest criterion, ties to smaller n, n1, r1, t1; then most power, smaller r, t.
    best = brute[0]
    assert _key(res.optimal.design) == (best[2], best[3], best[4], best[1], best[6], best[7])
    assert res.optimal.en_null == pytest.approx(best[0], abs=1e-10)
    # Minimax: smallest n, then the same order.
    mini = min(brute, key=lambda row: (row[1], *row))
    assert _key(res.minimax.design) == (mini[2], mini[3], mini[4], mini[1], mini[6], mini[7])
    # Within a bound on n, the search gives the brute force's best design with n <= bound.
    bound = res.minimax.design.n + 1
    within = bryant_day_search(p0, p1, q0, q1, alpha, beta, alpha_tox=alpha_tox, odds_ratio=psi, max_n=bound)
    best_within = min(row for row in brute if row[1] <= bound)
    assert _key(within.optimal.design) == (best_within[2], best_within[3], best_within[4], best_within[1],
                                           best_within[6], best_within[7])


@pytest.mark.parametrize("psi", [1.0, 0.4, 3.0])
def test_design_oc_matches_the_brute_force_probabilities(psi) -> None:
    d = BryantDayDesign(n1=7, r1=1, t1=4, n=15, r=4, t=10)
    cfg = [(0.15, 0.15), (0.5, 0.45), (0.15, 0.45), (0.5, 0.15)]
    oc = d.table().oc([c[0] for c in cfg], [c[1] for c in cfg], odds_ratio=psi)
    for s, (p, q) in enumerate(cfg):
        t = _all_designs(7, 15, _cells(p, q, psi))
        assert oc.p_reject[s] == pytest.approx(t[2, 5, 5, 11], abs=1e-12)
        assert oc.stop[s, 0] == pytest.approx(1 - t[2, 5, 0, 0], abs=1e-12)


def _published():
    with REF.open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _published(), ids=lambda r: r["source"])
def test_published_design(row) -> None:
    f = {k: float(row[k]) for k in ("p0", "p1", "q0", "q1", "alpha", "alpha_tox", "beta", "odds_ratio")}
    res = bryant_day_search(f["p0"], f["p1"], f["q0"], f["q1"], f["alpha"], f["beta"], alpha_tox=f["alpha_tox"],
                            odds_ratio=f["odds_ratio"])
    got = getattr(res, row["kind"]).design
    assert _key(got) == tuple(int(row[k]) for k in ("n1", "r1", "t1", "n", "r", "t"))


@pytest.mark.parametrize("problem", [(0.1, 0.3, 0.2, 0.4, 0.05, 0.05, 0.2, 1.0), (0.3, 0.5, 0.2, 0.4, 0.15, 0.1, 0.15, 0.5),
                                     (0.2, 0.4, 0.15, 0.3, 0.1, 0.1, 0.1, 1.0)])
def test_round_trip_and_coupling(problem) -> None:
    p0, p1, q0, q1, alpha, alpha_tox, beta, psi = problem
    res = bryant_day_search(p0, p1, q0, q1, alpha, beta, alpha_tox=alpha_tox, odds_ratio=psi)
    for d in res.designs():
        oc = d.design.table().oc([p0, p1, p0, p1], [q0, q1, q1, q0], odds_ratio=psi)
        rej = dict(zip(CONFIGURATIONS, oc.p_reject, strict=True))
        en = dict(zip(CONFIGURATIONS, oc.en, strict=True))
        assert rej == d.p_promising and en == d.en
        assert rej["ineffective_safe"] <= alpha and rej["effective_toxic"] <= alpha_tox
        assert rej["effective_safe"] >= 1 - beta
        # Fewer responses or more toxicity per patient never raise P(promising) or E(N).
        assert rej["ineffective_toxic"] <= min(rej["ineffective_safe"], rej["effective_toxic"])
        assert en["ineffective_toxic"] <= d.en_null
    assert res.minimax.design.n <= res.optimal.design.n
    assert res.optimal.en_null <= res.minimax.en_null


def test_table_mapping_and_no_stop_bounds() -> None:
    d = BryantDayDesign(n1=10, r1=-1, t1=-1, n=20, r=5, t=12)
    tab = d.table()
    assert tab.futility == (-1, 5) and tab.toxicity == (None, 8)
    d = BryantDayDesign(n1=19, r1=5, t1=11, n=33, r=12, t=22)
    assert d.table().toxicity == (8, 11) and d.to_dict() == {"n1": 19, "r1": 5, "t1": 11, "n": 33, "r": 12, "t": 22}


def test_bounds_on_n() -> None:
    res = bryant_day_search(0.3, 0.5, 0.2, 0.4, 0.15, 0.15, max_n=36)
    assert not res.proven and res.n_searched[1] == 36
    raised = bryant_day_search(0.3, 0.5, 0.2, 0.4, 0.15, 0.15, nmax=30)
    assert raised.nmax_raised and raised.proven and _key(raised.optimal.design) == (19, 5, 11, 33, 12, 22)
    with pytest.raises(InfeasibleDesignError, match="no Bryant-Day design with n <= 20"):
        bryant_day_search(0.3, 0.5, 0.2, 0.4, 0.15, 0.15, max_n=20)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0.5, 0.3, 0.2, 0.4, 0.1, 0.2), {}, "p0 must be smaller than p1"),
        ((0.3, 0.5, 0.4, 0.2, 0.1, 0.2), {}, "q0 must be smaller than q1"),
        ((0.3, 0.5, 0.2, 1.4, 0.1, 0.2), {}, "q1 must be in"),
        ((0.3, 0.5, 0.2, 0.4, 0.9, 0.2), {}, "alpha must be smaller than 1 - beta"),
        ((0.3, 0.5, 0.2, 0.4, 0.1, 0.2), {"alpha_tox": 0}, "alpha_tox must be in"),
        ((0.3, 0.5, 0.2, 0.4, 0.1, 0.2), {"odds_ratio": -1}, "odds_ratio must be a finite number > 0"),
        ((0.3, 0.5, 0.2, 0.4, 0.1, 0.2), {"max_n": 1000}, "max_n may be at most 400"),
    ],
)
def test_bad_input(args, kwargs, match) -> None:
    with pytest.raises(DesignError, match=match):
        bryant_day_search(*args, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n1": 5, "r1": 5, "t1": 1, "n": 9, "r": 6, "t": 6}, "r1 must be smaller than n1"),
        ({"n1": 9, "r1": 1, "t1": 1, "n": 9, "r": 6, "t": 6}, "n1 must be smaller than n"),
        ({"n1": 5, "r1": 2, "t1": 1, "n": 9, "r": 1, "t": 6}, "r must be >= r1"),
        ({"n1": 5, "r1": 2, "t1": 1, "n": 9, "r": 3, "t": 9}, "t must be smaller than n"),
    ],
)
def test_bad_design(kwargs, match) -> None:
    with pytest.raises(DesignError, match=match):
        BryantDayDesign(**kwargs)


def test_family_and_command_line() -> None:
    fam = find_designs("bryant-day", p0=0.3, p1=0.5, q0=0.2, q1=0.4, alpha=0.15, beta=0.15, alpha_tox=0.15)
    opt = fam.design("optimal")
    assert opt.table.looks == (19, 33) and opt.table.toxicity == (8, 11)
    with pytest.raises(DesignError, match="--q1: --family bryant-day needs the toxicity rates"):
        find_designs("bryant-day", p0=0.3, p1=0.5, q0=0.2)
    runner = CliRunner()
    res = runner.invoke(app, ["design", "--family", "bryant-day", "--p0", "0.3", "--p1", "0.5", "--q0", "0.2",
                              "--q1", "0.4", "--alpha", "0.15", "--beta", "0.15", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    d = out["designs"][-1]
    assert d["kind"] == "optimal" and (d["n1"], d["r1"], d["t1"], d["n"], d["r"], d["t"]) == (19, 5, 11, 33, 12, 22)
    for key in ("alpha_ineffective_safe", "alpha_effective_toxic", "alpha_ineffective_toxic", "en0", "en1", "pet0",
                "alpha", "power", "looks", "futility", "efficacy", "toxicity"):
        assert key in d
    assert d["en0"] == opt.en0 and d["alpha_effective_toxic"] == opt.extra["alpha_effective_toxic"]
    text = runner.invoke(app, ["design", "--family", "bryant-day", "--p0", "0.3", "--p1", "0.5", "--q0", "0.2",
                               "--q1", "0.4", "--alpha", "0.15", "--beta", "0.15"])
    assert text.exit_code == 0 and "tox>=" in text.stdout and re.search(r"tox>=\s+8 11", text.stdout)
    bad = runner.invoke(app, ["design", "--family", "bryant-day", "--p0", "0.3", "--p1", "0.5", "--q0", "0.2"])
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--q1" in bad.stderr
    none = runner.invoke(app, ["design", "--family", "bryant-day", "--p0", "0.3", "--p1", "0.5", "--q0", "0.2",
                               "--q1", "0.4", "--max-n", "20"])
    assert none.exit_code == 2 and len(none.stderr.strip().splitlines()) == 1
    assert "no Bryant-Day design with n <= 20" in none.stderr
    stray = runner.invoke(app, ["design", "--family", "bryant-day", "--p0", "0.3", "--p1", "0.5", "--q0", "0.2",
                                "--q1", "0.4", "--n1", "10"])
    assert stray.exit_code == 2 and "--n1: does not apply to --family bryant-day" in stray.stderr


@pytest.mark.parametrize("n", [5, 20, 47])
def test_neyman_pearson_bound_that_starts_the_search(n) -> None:
    from scipy import stats

    from simtrial.design.joint import _np_power, _np_power_binomial
    from simtrial.design.tables import joint_cell_probabilities

    # The randomised most powerful level-a test of p0 = 0.3 against p1 = 0.5 on Bin(n), by hand.
    a = 0.15
    c = next(k for k in range(n + 1) if stats.binom.sf(k, n, 0.3) <= a)
    gamma = (a - stats.binom.sf(c, n, 0.3)) / stats.binom.pmf(c, n, 0.3)
    want = stats.binom.sf(c, n, 0.5) + gamma * stats.binom.pmf(c, n, 0.5)
    assert _np_power_binomial(n, 0.3, 0.5, a) == pytest.approx(want, abs=1e-12)
    # Over the four cells of a patient, independence gives the same test: toxicity is ancillary.
    cells = joint_cell_probabilities(np.array([0.3, 0.5]), np.array([0.2, 0.2]), np.array([1.0, 1.0]))
    assert _np_power(n, cells[0], cells[1], a) == pytest.approx(want, abs=1e-12)
    # With an odds ratio toxicity carries information on response: never less power.
    dep = joint_cell_probabilities(np.array([0.3, 0.5]), np.array([0.2, 0.2]), np.array([3.0, 3.0]))
    assert _np_power(n, dep[0], dep[1], a) >= want - 1e-12
