"""Design search against an independent brute-force enumeration, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simtrial.design import HARD_NMAX, SimonDesign, simon_search
from simtrial.errors import DesignError, InfeasibleDesignError


def brute_force_best_per_n(p0, p1, alpha, beta, n_max, n1_allowed=None):
    """Every (r1, n1, r) for each n <= n_max, by whole matrices of error probabilities.

    Written independently of the search: no pruning, no bounds, scipy's
    binomial functions. Returns {n: (en0, n1, r1, r)} with the smallest
    E(N|p0) (ties: smaller n1), the smallest r for that (r1, n1).
    """
    best = {}
    for n in range(2, n_max + 1):
        for n1 in range(1, n):
            if n1_allowed is not None and n1 not in n1_allowed:
                continue
            n2 = n - n1
            x1 = np.arange(n1 + 1)[:, None]
            r = np.arange(n)[None, :]
            # M[x1, r] = b(x1; n1, p) * P(X2 > r - x1); a reversed cumulative
            # sum over x1 then gives P(X1 > r1, X > r) for every (r1, r).
            rej = {}
            for name, p in (("a", p0), ("b", p1)):
                m = stats.binom.pmf(x1, n1, p) * stats.binom.sf(r - x1, n2, p)
                rej[name] = np.cumsum(m[::-1], axis=0)[::-1]  # rows: x1 >= k
            for r1 in range(n1):
                a = rej["a"][r1 + 1]
                b = rej["b"][r1 + 1]
                ok = (a <= alpha) & (b >= 1 - beta) & (np.arange(n) >= r1)
                if not ok.any():
                    continue
                rr = int(np.argmax(ok))
                en0 = n1 + (1 - stats.binom.cdf(r1, n1, p0)) * n2
                key = (en0, n1)
                if n not in best or key < best[n][:2]:
                    best[n] = (en0, n1, r1, rr)
    return best


PROBLEMS = [
    (0.1, 0.3, 0.05, 0.2),
    (0.05, 0.25, 0.1, 0.1),
    (0.2, 0.4, 0.1, 0.1),
    (0.3, 0.5, 0.05, 0.2),
    (0.05, 0.2, 0.1, 0.1),
]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_candidates_equal_brute_force(problem) -> None:
    res = simon_search(*problem)
    n_top = res.candidates[-1].design.n
    brute = brute_force_best_per_n(*problem, n_top)
    got = {c.design.n: c for c in res.candidates}
    # Same set of feasible n (so nothing below the Neyman-Pearson start was missed) ...
    assert sorted(got) == sorted(brute)
    # ... and the same best design for each n, E(N|p0) exact to 1e-10.
    for n, (en0, n1, r1, r) in brute.items():
        c = got[n]
        assert (c.design.r1, c.design.n1, c.design.r) == (r1, n1, r), n
        assert c.en0 == pytest.approx(en0, abs=1e-10)
    opt_n = min(brute, key=lambda n: (brute[n][0], n))
    assert res.optimal.design.n == opt_n
    assert res.minimax.design.n == min(brute)


FRONTIER_CASES = [
    (p, {}) for p in PROBLEMS + [(0.2, 0.35, 0.05, 0.05), (0.4, 0.5, 0.05, 0.1), (0.3, 0.35, 0.05, 0.2)]
] + [
    ((0.1, 0.3, 0.05, 0.2), {"nmax": 60}),
    ((0.1, 0.3, 0.05, 0.2), {"n1": 12, "nmax": 40}),
    ((0.1, 0.3, 0.05, 0.2), {"n1_bounds": (13, 16), "n_bounds": (None, 27)}),
    ((0.2, 0.4, 0.1, 0.1), {"n_bounds": (40, None)}),
]


@pytest.mark.parametrize(("problem", "kwargs"), FRONTIER_CASES)
def test_frontier_search_gives_the_same_designs(problem, kwargs) -> None:
    full = simon_search(*problem, **kwargs)
    front = simon_search(*problem, candidates="frontier", **kwargs)
    assert front.designs() == full.designs()
    assert front.admissible == full.admissible
    assert (front.n_searched, front.nmax_raised, front.proven) == (full.n_searched, full.nmax_raised, full.proven)
    # The frontier: the totals whose best E(N|p0) is below that of every smaller total, from the full list.
    expected, best = [], np.inf
    for c in full.candidates:
        if c.en0 < best:
            expected.append(c)
            best = c.en0
    assert front.candidates == tuple(expected)


def test_frontier_search_settles_dominated_totals_early(monkeypatch) -> None:
    # A total that cannot beat a smaller one is given up once its threshold reaches the incumbent,
    # so the frontier search sums fewer error probabilities (counted, not timed).
    from simtrial.design._binom import BinomTable

    pairs = []
    reject_many = BinomTable.reject_many

    def counted(self, n1, r1, n2, r):
        pairs[-1] += n1.size
        return reject_many(self, n1, r1, n2, r)

    monkeypatch.setattr(BinomTable, "reject_many", counted)
    for mode in ("all", "frontier"):
        pairs.append(0)
        simon_search(0.3, 0.35, 0.05, 0.2, candidates=mode)
    assert pairs[1] < 0.85 * pairs[0]


def test_fixed_n1_equals_brute_force() -> None:
    res = simon_search(0.1, 0.3, 0.05, 0.2, n1=12, nmax=40)
    brute = brute_force_best_per_n(0.1, 0.3, 0.05, 0.2, 40, n1_allowed={12})
    assert {c.design.n: (c.design.r1, c.design.n1, c.design.r) for c in res.candidates} == {
        n: (v[2], v[1], v[3]) for n, v in brute.items()
    }
    assert all(c.design.n1 == 12 for c in res.candidates)


def test_bounded_n1_and_n() -> None:
    res = simon_search(0.1, 0.3, 0.05, 0.2, n1_bounds=(13, 16), n_bounds=(None, 27))
    assert all(13 <= c.design.n1 <= 16 and c.design.n <= 27 for c in res.candidates)
    brute = brute_force_best_per_n(0.1, 0.3, 0.05, 0.2, 27, n1_allowed=set(range(13, 17)))
    best = min(brute.items(), key=lambda kv: (kv[1][0], kv[0]))
    assert (res.optimal.design.n, res.optimal.design.n1) == (best[0], best[1][1])
    assert res.proven is False  # the n bound, not the proof, ended the search


@pytest.mark.parametrize("problem", PROBLEMS + [(0.2, 0.35, 0.05, 0.05), (0.6, 0.8, 0.05, 0.2)])
def test_round_trip_errors_within_targets(problem) -> None:
    p0, p1, alpha, beta = problem
    res = simon_search(*problem)
    for d in [res.optimal, res.minimax, *res.admissible, *res.candidates]:
        # Recompute from the design alone.
        assert d.design.p_reject(p0) <= alpha
        assert d.design.p_reject(p1) >= 1 - beta
        # Candidates carry table values: equal to scipy's up to accumulated rounding.
        assert d.alpha == pytest.approx(d.design.p_reject(p0), abs=1e-12)
        assert d.power == pytest.approx(d.design.p_reject(p1), abs=1e-12)
        assert d.en0 == pytest.approx(d.design.en(p0), abs=1e-10)
        assert d.pet0 == pytest.approx(d.design.pet(p0), abs=1e-12)
    for d in [res.optimal, res.minimax, *res.admissible]:
        # Reported designs are recomputed exactly as SimonDesign does.
        assert d.alpha == d.design.p_reject(p0) and d.power == d.design.p_reject(p1)
        assert d.en0 == d.design.en(p0) and d.pet0 == d.design.pet(p0)
    assert res.optimal.en0 == pytest.approx(min(c.en0 for c in res.candidates), abs=1e-10)
    assert res.minimax.design.n == min(c.design.n for c in res.candidates)


@pytest.mark.parametrize("problem", PROBLEMS + [(0.2, 0.35, 0.05, 0.05)])
def test_admissible_intervals_tile_unit_interval(problem) -> None:
    res = simon_search(*problem)
    adm = res.admissible
    assert adm[0].q_high == 1.0 and adm[-1].q_low == 0.0
    assert adm[0].design == res.minimax.design and adm[-1].design == res.optimal.design
    for hi, lo in zip(adm[1:], adm[:-1], strict=True):
        assert hi.q_high == pytest.approx(lo.q_low, abs=1e-12)
    # Each admissible design minimises q*n + (1-q)*EN0 at the middle of its interval.
    for d in adm:
        q = (d.q_low + d.q_high) / 2
        loss = [q * c.design.n + (1 - q) * c.en0 for c in res.candidates]
        assert q * d.design.n + (1 - q) * d.en0 == pytest.approx(min(loss), abs=1e-12)
    # The interval end points are where two neighbouring losses are equal (unrounded E(N)).
    for a, b in zip(adm[:-1], adm[1:], strict=True):
        q = a.q_low
        assert q * a.design.n + (1 - q) * a.en0 == pytest.approx(q * b.design.n + (1 - q) * b.en0, abs=1e-10)


def test_larger_nmax_gives_same_designs() -> None:
    auto = simon_search(0.1, 0.3, 0.05, 0.2)
    wide = simon_search(0.1, 0.3, 0.05, 0.2, nmax=150)
    assert wide.optimal == auto.optimal and wide.minimax == auto.minimax
    assert wide.admissible == auto.admissible
    assert wide.n_searched[1] == 150 and not wide.nmax_raised
    assert wide.candidates[: len(auto.candidates)] == auto.candidates
    # Every n beyond the proof point really has a larger E(N|p0).
    assert all(c.en0 > auto.optimal.en0 for c in wide.candidates if c.design.n > auto.optimal.design.n)


def test_optimal_only_meets_targets_above_too_small_nmax() -> None:
    res = simon_search(0.1, 0.3, 0.05, 0.2, nmax=26)
    assert res.nmax_raised and res.proven
    assert str(res.optimal.design) == "1/10, 5/29"


def test_infeasible_within_bound() -> None:
    with pytest.raises(InfeasibleDesignError, match="n <= 20"):
        simon_search(0.1, 0.3, 0.05, 0.2, n_bounds=(None, 20))
    with pytest.raises(InfeasibleDesignError):
        simon_search(0.1, 0.3, 0.05, 0.2, n1=2, n_bounds=(None, 60))


def test_too_close_rates_fail_with_message() -> None:
    with pytest.raises(DesignError, match=f"n <= {HARD_NMAX}"):
        simon_search(0.5, 0.52, 0.05, 0.2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"p0": 0.3, "p1": 0.3}, "p0 must be smaller than p1"),
        ({"p0": 0.0}, "p0 must be in"),
        ({"p1": 1.0}, "p1 must be in"),
        ({"alpha": 0.0}, "alpha must be in"),
        ({"beta": 1.5}, "beta must be in"),
        ({"nmax": 1}, "nmax must be an integer >= 2"),
        ({"nmax": HARD_NMAX + 1}, "nmax may be at most"),
        ({"n_bounds": (30, 20)}, "low must be <= high"),
        ({"n1": 5, "n1_bounds": (1, 9)}, "either n1 or n1_bounds"),
        ({"candidates": "some"}, "candidates must be 'all' or 'frontier'"),
    ],
)
def test_bad_arguments(kwargs, match) -> None:
    args = {"p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2} | kwargs
    with pytest.raises(DesignError, match=match):
        simon_search(**args)


def test_result_frames_and_dict() -> None:
    res = simon_search(0.1, 0.3, 0.05, 0.2)
    df = res.to_frame()
    assert list(df["kind"]) == ["minimax", "admissible", "admissible", "optimal"]
    assert len(res.to_frame("candidates")) == len(res.candidates)
    d = res.to_dict()
    assert {"p0", "p1", "alpha", "beta", "designs"} <= set(d)
    assert set(d["designs"][0]) >= {"kind", "r1", "n1", "r", "n", "en0", "pet0", "alpha", "power", "q_low", "q_high"}


def test_minimax_equal_optimal_listed_under_both_kinds() -> None:
    # With n1 fixed and n bounded to a single feasible n, one design is both.
    res = simon_search(0.1, 0.3, 0.05, 0.2, n_bounds=(25, 25))
    assert res.optimal.design == res.minimax.design
    kinds = [d["kind"] for d in res.to_dict()["designs"]]
    assert kinds == ["minimax", "optimal"]
    assert isinstance(res.optimal.design, SimonDesign)


def test_proof_beyond_limit_fails_with_message(monkeypatch) -> None:
    # With the limit lowered to 30, a design exists (n = 25) but optimality can
    # only be proved at n = 35: the search must say so, not return the best so far.
    import simtrial.design.search as search

    monkeypatch.setattr(search, "HARD_NMAX", 30)
    with pytest.raises(DesignError, match="may need n > 30"):
        search.simon_search(0.1, 0.3, 0.05, 0.2)


def test_batched_decisions_at_exact_ties_follow_the_full_sums() -> None:
    # A threshold equal to a design's error probability (to the last bit) must
    # be decided as the term-by-term sum decides it, whatever the rounding of
    # the batched sum.
    from simtrial.design.search import _Searcher

    s = _Searcher(0.3, 0.5, 0.05, 0.2, 1, None)
    s.ensure(120)
    n1, r1, n2, r = (np.array([v]) for v in (40, 13, 60, 36))
    for t in (s.t0, s.t1):
        exact = t.reject(40, 13, 60, 36)
        below = np.nextafter(exact, -np.inf)
        assert s._reject_near(t, n1, r1, n2, r, exact)[0] <= exact
        assert not s._reject_near(t, n1, r1, n2, r, below)[0] <= below
    exact1 = s.t1.reject(40, 13, 60, 36)
    s.power_target = exact1
    assert s._power_ok(n1, r1, n2, r)[0]
    s.power_target = np.nextafter(exact1, np.inf)
    assert not s._power_ok(n1, r1, n2, r)[0]


def test_r_alpha_is_the_smallest_r_meeting_alpha_at_every_n() -> None:
    # The bracket carried from smaller n must never exclude the answer: check
    # it against a direct scan of r for every (n1, r1) at consecutive n.
    from simtrial.design.search import _Searcher

    s = _Searcher(0.2, 0.35, 0.05, 0.1, 1, None)
    s.ensure(90)
    for n in range(20, 90, 3):
        n1 = np.repeat(np.arange(5, n - 5, 4), 3)
        r1 = np.minimum(np.tile(np.arange(3), n1.size // 3) + n1 // 6, n1 - 1)
        lo, hi = s._r_alpha_bracket(n, n1, r1)
        got = s._r_alpha_solve(n, n1, r1, lo, hi)
        for a, b, g in zip(n1, r1, got, strict=True):
            want = next((rr for rr in range(b, n) if s.t0.reject(a, b, n - a, rr) <= s.alpha), -1)
            assert g == want, (n, a, b)
