"""Time the Simon design search (one core) and compare it with baselines measured in the same run.

Usage: python benchmarks/bench_search.py [--repeat 3]

Prints, for nmax = 100, 300, 500, 1000, the time of the full search (every total
sample size up to nmax, plus any beyond that the optimality proof needs), and
the same time as a ratio to

* ``unit``: a fixed numpy workload (binomial probabilities on a 1001 x 1001
  grid), so numbers from noisy or different machines can be compared;
* ``naive``: a straightforward vectorised search (every n1, whole (r1, r)
  matrices of error probabilities, no bounds) on the same problem with
  nmax = 60, which grows as nmax**4 and is far too slow for nmax = 1000.
"""

from __future__ import annotations

import argparse
import os
import time

# One core: the target is stated for a single core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from simtrial.design import simon_search  # noqa: E402
from simtrial.errors import DesignError  # noqa: E402

PROBLEM = (0.1, 0.3, 0.05, 0.2)


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def unit_workload() -> None:
    k = np.arange(1001)[None, :]
    m = np.arange(1001)[:, None]
    stats.binom.sf(k, m, 0.3)


def naive_search(p0: float, p1: float, alpha: float, beta: float, nmax: int) -> tuple[float, int]:
    best = (np.inf, 0)
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            n2 = n - n1
            x1 = np.arange(n1 + 1)[:, None]
            r = np.arange(n)[None, :]
            a = np.cumsum((stats.binom.pmf(x1, n1, p0) * stats.binom.sf(r - x1, n2, p0))[::-1], axis=0)[::-1]
            b = np.cumsum((stats.binom.pmf(x1, n1, p1) * stats.binom.sf(r - x1, n2, p1))[::-1], axis=0)[::-1]
            ok = (a[1:] <= alpha) & (b[1:] >= 1 - beta) & (r >= np.arange(n1)[:, None])
            rows = np.flatnonzero(ok.any(axis=1))
            if rows.size:
                r1 = rows.max()
                en0 = n1 + (1 - stats.binom.cdf(r1, n1, p0)) * n2
                best = min(best, (en0, n))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    unit = best_time(unit_workload, args.repeat)
    naive_n = 60
    naive = best_time(lambda: naive_search(*PROBLEM, naive_n), 1)
    fast_naive = best_time(lambda: simon_search(*PROBLEM, nmax=naive_n), args.repeat)
    print(f"problem p0, p1, alpha, beta = {PROBLEM}")
    print(f"unit workload (binom.sf on 1001 x 1001): {unit * 1e3:8.1f} ms")
    print(
        f"naive vectorised search, nmax = {naive_n}: {naive:8.2f} s; simon_search: {fast_naive * 1e3:.1f} ms "
        f"(naive / simon_search = {naive / fast_naive:,.0f})"
    )
    print(f"{'nmax':>6} {'n searched':>12} {'time (s)':>10} {'/ unit':>8} {'< 1 s':>6}")
    for nmax in (100, 300, 500, 1000):
        res = simon_search(*PROBLEM, nmax=nmax)
        t = best_time(lambda nmax=nmax: simon_search(*PROBLEM, nmax=nmax), args.repeat)
        span = f"{res.n_searched[0]}..{res.n_searched[1]}"
        print(f"{nmax:>6} {span:>12} {t:>10.3f} {t / unit:>8.1f} {'yes' if t < 1 else 'NO':>6}")
    # Harder problems: p0 and p1 close, so designs need hundreds of patients
    # and every n up to 1000 holds feasible designs that must be compared. The
    # last two are the hardest corner of the realistic range (p1 - p0 = 0.05,
    # alpha = 0.01, beta = 0.05): the search runs past nmax to prove the
    # optimum, and for p0 = 0.45 it reaches HARD_NMAX and reports that.
    hard = [
        ((0.2, 0.35, 0.05, 0.05), None),
        ((0.4, 0.5, 0.05, 0.1), None),
        ((0.3, 0.35, 0.05, 0.2), 1000),
        ((0.3, 0.35, 0.01, 0.05), 1000),
        ((0.45, 0.5, 0.01, 0.05), 1000),
    ]
    for problem, nmax in hard:

        def run(problem=problem, nmax=nmax) -> str:
            try:
                res = simon_search(*problem, nmax=nmax)
            except DesignError as exc:
                return f"DesignError ({str(exc)[:40]}...)"
            return (
                f"optimal {res.optimal.design}, minimax {res.minimax.design}, "
                f"n searched {res.n_searched[0]}..{res.n_searched[1]}"
            )

        what = run()
        t = best_time(run, args.repeat)
        print(f"{problem}, nmax={nmax}: {what}, {t:.3f} s ({t / unit:.1f} unit) {'< 1 s' if t < 1 else 'NOT < 1 s'}")

if __name__ == "__main__":
    main()
