"""BOP2, predictive probability and Thall-Simon tables: independent recomputation and properties.

The independent code here uses only the standard library: binomial and
beta-binomial probabilities from ``math.comb`` / ``math.lgamma``, and Beta
tail probabilities with integer parameters from the identity
``Pr(Beta(a, b) > t) = P(Bin(a + b - 1, t) <= a - 1)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simtrial.design import bop2 as bop2_mod
from simtrial.design import predictive as pred_mod
from simtrial.design.bayesian import posterior_toxicity_monitor
from simtrial.design.bop2 import GAMMA_GRID, bop2_design, bop2_table
from simtrial.design.families import find_designs
from simtrial.design.predictive import predictive_design, predictive_probability, predictive_table
from simtrial.design.tables import DecisionTable, grid_oc, grid_oc_joint, joint_cell_probabilities
from simtrial.design.thall_simon import thall_simon_design, thall_simon_table
from simtrial.errors import DesignError

TOL = 1e-10  # exact quantities computed two ways agree to rounding


def _binom(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def _beta_sf_int(a: int, b: int, t: float) -> float:
    """Pr(Beta(a, b) > t) for integer a, b >= 1: P(Bin(a + b - 1, t) <= a - 1)."""
    return sum(_binom(k, a + b - 1, t) for k in range(a))


def _oc_by_enumeration(looks, fut, eff, p):
    """(P(promising), PET, E(N)) of a response table, carried look by look with plain dicts."""
    dist = {0: 1.0}
    reject = pet = en = 0.0
    prev = 0
    for k, n in enumerate(looks):
        m = n - prev
        prev = n
        new: dict[int, float] = {}
        for x, w in dist.items():
            for d in range(m + 1):
                new[x + d] = new.get(x + d, 0.0) + w * _binom(d, m, p)
        dist = {}
        last = k == len(looks) - 1
        for x, w in new.items():
            if x <= fut[k]:
                en += n * w
                if not last:
                    pet += w
            elif last or (eff[k] is not None and x >= eff[k]):
                en += n * w
                reject += w
            else:
                dist[x] = w
    return reject, pet, en


# -- BOP2 ------------------------------------------------------------------------


@pytest.mark.parametrize(("lam", "gam"), [(0.9, 1.0), (0.75, 0.5), (0.95, 2.0)])
def test_bop2_bounds_recomputed_with_integer_prior(lam, gam) -> None:
    looks = (8, 16, 24, 32)
    table = bop2_table(0.3, looks, lam, gam, prior=(1, 1))
    for k, n in enumerate(looks):
        cut = 1 - lam * (n / looks[-1]) ** gam
        # Pr(p <= p0 | x) = 1 - Pr(Beta(1 + x, 1 + n - x) > p0); stop while it exceeds the cut-off.
        below = [1 - _beta_sf_int(1 + x, 1 + n - x, 0.3) for x in range(n + 1)]
        assert table.futility[k] == max((x for x in range(n + 1) if below[x] > cut), default=-1)


def test_bop2_given_design_oc_recomputed() -> None:
    d = bop2_design(0.2, 0.4, 0.1, looks=(10, 20, 30, 40), lambda_=0.9, gamma=1.0).design("given")
    t = d.table
    rej0, pet0, en0 = _oc_by_enumeration(t.looks, t.futility, t.efficacy, 0.2)
    rej1, _, en1 = _oc_by_enumeration(t.looks, t.futility, t.efficacy, 0.4)
    assert abs(d.alpha - rej0) < TOL and abs(d.power - rej1) < TOL
    assert abs(d.pet0 - pet0) < TOL and abs(d.en0 - en0) < TOL and abs(d.en1 - en1) < TOL
    assert d.to_dict()["lambda"] == 0.9 and d.to_dict()["gamma"] == 1.0 and d.to_dict()["prior"] == [0.2, 0.8]


def test_bop2_efficacy_oc_recomputed() -> None:
    d = bop2_design(0.2, 0.4, 0.1, looks=(10, 15, 20, 25, 30, 35, 40), lambda_=0.909, gamma=1.0,
                    efficacy_form="obf").design("given")
    t = d.table
    assert t.has_efficacy
    rej0, pet0, en0 = _oc_by_enumeration(t.looks, t.futility, t.efficacy, 0.2)
    assert abs(d.alpha - rej0) < TOL and abs(d.pet0 - pet0) < TOL and abs(d.en0 - en0) < TOL
    assert d.to_dict()["efficacy_form"] == "obf"


def test_bop2_calibration_is_the_best_on_the_gamma_line() -> None:
    # With lambda fixed the search runs over GAMMA_GRID only: check it against a plain loop.
    res = bop2_design(0.2, 0.4, 0.1, looks=(10, 20, 30, 40), lambda_=0.88)
    d = res.design("calibrated")
    assert d.alpha <= 0.1
    best = -1.0
    for g in GAMMA_GRID:
        t = bop2_table(0.2, (10, 20, 30, 40), 0.88, float(g))
        a, pw = (float(v) for v in t.oc([0.2, 0.4]).p_reject)
        if a <= 0.1:
            best = max(best, pw)
    assert abs(d.power - best) < TOL


def test_bop2_calibrated_type_one_error_and_monotone_bounds() -> None:
    for p0, p1, alpha, looks in ((0.2, 0.4, 0.1, (10, 20, 30, 40)), (0.1, 0.3, 0.05, (5, 10, 15, 20, 25, 29)),
                                 (0.3, 0.5, 0.1, tuple(range(10, 101, 10)))):
        d = bop2_design(p0, p1, alpha, looks=looks).design("calibrated")
        assert d.alpha <= alpha
        rej, _, _ = _oc_by_enumeration(d.table.looks, d.table.futility, d.table.efficacy, p0)
        assert abs(rej - d.alpha) < TOL
        assert all(b >= a for a, b in zip(d.table.futility, d.table.futility[1:]))


def test_bop2_joint_three_nulls() -> None:
    res = bop2_design(0.2, 0.4, 0.1, looks=(10, 20, 30, 40), q0=0.15, q1=0.3)
    d = res.design("calibrated")
    by_null = d.extra["alpha_by_null"]
    assert set(by_null) == {"futile_safe", "effective_toxic", "futile_toxic"}
    assert d.alpha == max(by_null.values()) <= 0.1
    oc = d.table.oc([0.2, 0.4, 0.2, 0.4], [0.15, 0.3, 0.3, 0.15])
    assert abs(oc.p_reject[1] - by_null["effective_toxic"]) < TOL
    assert abs(oc.p_reject[3] - d.power) < TOL
    # Toxicity bounds recomputed: Pr(q > 0.3 | t of n) > 1 - lambda_t (n/N)^gamma_t under Beta(0.3, 0.7).
    from scipy.stats import beta

    lt, gt = d.extra["lambda_t"], d.extra["gamma_t"]
    for k, n in enumerate(d.table.looks):
        cut = 1 - lt * (n / 40) ** gt
        hit = [t for t in range(n + 1) if beta.sf(0.3, 0.3 + t, 0.7 + n - t) > cut]
        assert d.table.toxicity[k] == (hit[0] if hit else None)


def test_grid_oc_matches_decision_table() -> None:
    rng = np.random.default_rng(7)
    looks = (6, 13, 20, 31)
    fut, eff, tables = [], [], []
    for _ in range(25):
        a = np.sort(rng.integers(-1, 6, size=4)) + np.array([0, 1, 3, 6])
        b = [int(a[k] + rng.integers(1, 5)) if rng.random() < 0.6 and a[k] + 4 < looks[k] else None for k in range(3)]
        # Keep given efficacy bounds non-decreasing, as a table requires.
        run = -1
        for k in range(3):
            if b[k] is not None:
                b[k] = max(b[k], run)
                run = b[k]
                if b[k] > looks[k]:
                    b[k] = None
        t = DecisionTable(looks, tuple(int(v) for v in a), b)
        tables.append(t)
        fut.append(t.futility)
        eff.append([99 if v is None else v for v in t.efficacy])
    p = [0.05, 0.2, 0.5, 0.9]
    g = grid_oc(looks, fut, eff, p)
    for i, t in enumerate(tables):
        oc = t.oc(p)
        for got, want in ((g.p_reject[i], oc.p_reject), (g.pet[i], oc.pet), (g.en[i], oc.en),
                          (g.p_early_efficacy[i], oc.p_early_efficacy)):
            assert np.max(np.abs(got - want)) < 1e-12


def test_grid_oc_joint_matches_decision_table() -> None:
    looks = (5, 12, 20)
    fut = [(0, 2, 5), (1, 3, 6), (-1, 2, 4)]
    tox = [(3, 5, 7), (4, 99, 8), (2, 4, 6)]
    ps, qs, psi = np.array([0.2, 0.4, 0.3]), np.array([0.3, 0.1, 0.25]), np.array([1.0, 2.5, 0.4])
    g = grid_oc_joint(looks, fut, tox, joint_cell_probabilities(ps, qs, psi))
    for i in range(3):
        t = DecisionTable(looks, fut[i], toxicity=[None if v > 20 else v for v in tox[i]])
        oc = t.oc(ps, qs, odds_ratio=psi)
        assert np.max(np.abs(g.p_reject[i] - oc.p_reject)) < 1e-12
        assert np.max(np.abs(g.en[i] - oc.en)) < 1e-12
        assert np.max(np.abs(g.pet[i] - oc.pet)) < 1e-12


# -- predictive probability -------------------------------------------------------


def _pp_by_sum(x: int, n: int, nmax: int, p0: float, theta_t: float, a: int, b: int) -> float:
    """Lee & Liu's sum written out: beta-binomial weights times the final success indicator."""
    m = nmax - n
    al, be = a + x, b + n - x

    def lbeta(u: float, v: float) -> float:
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    total = 0.0
    for y in range(m + 1):
        w = math.comb(m, y) * math.exp(lbeta(al + y, be + m - y) - lbeta(al, be))
        if _beta_sf_int(a + x + y, b + nmax - x - y, p0) > theta_t:
            total += w
    return total


@pytest.mark.parametrize(("x", "n"), [(0, 5), (3, 10), (6, 17), (9, 25), (12, 33)])
def test_predictive_probability_written_out(x, n) -> None:
    got = predictive_probability(x, n, 40, 0.2, 0.9, (1, 1))
    assert abs(got - _pp_by_sum(x, n, 40, 0.2, 0.9, 1, 1)) < TOL


def test_predictive_continuous_table_recomputed_and_monotone() -> None:
    t = predictive_table(0.2, 30, 0.9, 0.05, prior=(1, 1))
    assert t.looks == tuple(range(1, 31))
    for k, n in enumerate(t.looks[:-1]):
        pps = [_pp_by_sum(x, n, 30, 0.2, 0.9, 1, 1) for x in range(n + 1)]
        assert t.futility[k] == max((x for x in range(n + 1) if pps[x] < 0.05), default=-1)
    assert all(b >= a for a, b in zip(t.futility, t.futility[1:]))


def test_predictive_search_equals_exhaustive_search(monkeypatch) -> None:
    # A small grid so that every (N, theta_T, theta_L) can be evaluated one by one.
    monkeypatch.setattr(pred_mod, "THETA_T_GRID", np.array([0.85, 0.9, 0.95]))
    monkeypatch.setattr(pred_mod, "THETA_L_GRID", np.array([0.01, 0.05, 0.1, 0.2]))
    res = predictive_design(0.2, 0.45, 0.1, 0.2, nmax=30, every=3)
    best: dict[int, tuple[float, float]] = {}
    for n_max in range(1, 31):
        looks = tuple(sorted(set(range(3, n_max, 3)) | {n_max}))
        for tt in (0.85, 0.9, 0.95):
            for tl in (0.01, 0.05, 0.1, 0.2):
                try:
                    t = predictive_table(0.2, n_max, tt, tl, looks=looks)
                except DesignError:
                    continue
                oc = t.oc([0.2, 0.45])
                if oc.p_reject[0] <= 0.1 and oc.p_reject[1] >= 0.8:
                    key = (float(oc.en[0]), -float(oc.pet[0]))
                    best[n_max] = min(best.get(n_max, key), key)
    minimax = min(best)
    d = res.design("minimax")
    assert d.table.n_max == minimax
    assert abs(d.en0 - best[minimax][0]) < TOL
    assert d.alpha <= 0.1 and d.power >= 0.8
    for alt in res.designs[1:]:
        assert alt.kind == "alternative" and abs(alt.en0 - best[alt.table.n_max][0]) < TOL


def test_predictive_given_json_keys_and_efficacy() -> None:
    res = find_designs("predictive", p0=0.2, p1=0.4, alpha=0.05, beta=0.2, nmax=40, looks=[10, 20, 30, 40],
                       theta_t=0.95, theta_l=0.05, theta_u=0.99)
    out = res.to_dict()["designs"][0]
    for key in ("looks", "futility", "efficacy", "toxicity", "en0", "en1", "pet0", "alpha", "power", "theta_t",
                "theta_l", "theta_u", "prior"):
        assert key in out
    assert out["kind"] == "given" and out["theta_u"] == 0.99


# -- Thall-Simon and the existing toxicity rule -------------------------------------


def test_thall_simon_bounds_recomputed() -> None:
    t = thall_simon_table(0.2, (10, 20, 30, 40), 0.05, 0.95, p1=0.4, prior=(1, 1))
    for k, n in enumerate(t.looks):
        good = [_beta_sf_int(1 + x, 1 + n - x, 0.4) for x in range(n + 1)]  # Pr(p > p_S + delta), p_S = 0.2
        better = [_beta_sf_int(1 + x, 1 + n - x, 0.2) for x in range(n + 1)]
        if k < 3:
            assert t.futility[k] == max((x for x in range(n + 1) if good[x] < 0.05), default=-1)
            eff = min((x for x in range(n + 1) if better[x] > 0.95), default=None)
            assert t.efficacy[k] == eff
        else:
            assert t.futility[k] == max(x for x in range(n + 1) if better[x] <= 0.95)


def test_thall_simon_random_standard_rate() -> None:
    from scipy import integrate, stats

    from simtrial.design.thall_simon import prob_exceeds

    want = integrate.quad(lambda s: stats.beta.pdf(s, 20, 80) * stats.beta.sf(s + 0.15, 0.4 + 7, 1.6 + 13),
                          0, 0.85, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    assert abs(float(prob_exceeds(7, 20, (0.4, 1.6), (20.0, 80.0), 0.15)[0]) - want) < TOL
    d = thall_simon_design(0.2, 0.4, looks=(10, 20, 30, 40), prior_s=(20, 80)).design("given")
    assert d.extra["prior_s"] == [20.0, 80.0]


@pytest.mark.parametrize(
    ("args", "looks", "bounds"),
    [
        ((0.3, 0.9, 3, (1.0, 1.0), 30), (3, 6, 9, 12, 15, 18, 21, 24, 27, 30), (2, 4, 5, 6, 7, 8, 9, 10, 12, 13)),
        ((0.4, 0.95, 5, (2.0, 3.0), 40), (5, 10, 15, 20, 25, 30, 35, 40), (5, 8, 10, 13, 15, 17, 20, 22)),
    ],
)
def test_existing_toxicity_rule_unchanged(args, looks, bounds) -> None:
    # Numbers of the rule as the engine uses it (computed before the Bayesian families were added).
    mon = posterior_toxicity_monitor(*args)
    assert mon.looks == looks and mon.bounds == bounds
    threshold, cut, _, (a, b), _ = args
    for m, t in zip(looks, bounds):
        assert _beta_sf_int(int(a) + t, int(b) + m - t, threshold) > cut
        assert _beta_sf_int(int(a) + t - 1, int(b) + m - t + 1, threshold) <= cut


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "options", "message"),
    [
        ("bop2", dict(looks=[10, 20, 30, 40], lambda_=1.2, gamma=1.0), "--lambda"),
        ("bop2", dict(looks=[10, 30, 20, 40]), "--looks must be strictly increasing"),
        ("bop2", dict(looks=[10, 20, 30, 40], prior=[0.0, 1.0]), "--prior"),
        ("bop2", dict(looks=[10, 20], alpha=0.001), "--alpha"),
        ("predictive", dict(nmax=40, theta_t=1.5, theta_l=0.05), "--theta-t"),
        ("predictive", dict(nmax=40, theta_t=0.9, theta_l=0.0), "--theta-l"),
        ("predictive", dict(nmax=40, prior=[1.0, -2.0]), "--prior"),
        ("predictive", dict(nmax=5), "--alpha/--beta"),
        ("thall-simon", dict(looks=[10, 20, 30, 40], theta_u=1.0), "--theta-u"),
    ],
)
def test_bad_input_names_the_option(family, options, message) -> None:
    with pytest.raises(DesignError, match=message.replace("-", r"\-")):
        find_designs(family, p0=0.2, p1=0.4, **options)


def test_module_grids_are_as_documented() -> None:
    assert bop2_mod.LAMBDA_GRID.size == 100 and bop2_mod.LAMBDA_GRID[0] == 0.5 and bop2_mod.LAMBDA_GRID[-1] == 0.995
    assert GAMMA_GRID.size == 100 and GAMMA_GRID[0] == 0.03 and GAMMA_GRID[-1] == 3.0
    assert pred_mod.THETA_L_GRID.size == 50 and pred_mod.THETA_T_GRID.size == 50
