"""Time the design searches (one core) and compare them with baselines measured in the same run.

Usage: python benchmarks/bench_search.py [--repeat 3] [--cli-runs 3] [--quick]

Prints

* for Simon's search with p0 = 0.1, p1 = 0.3, alpha = 0.05, beta = 0.2 and
  nmax = 100, 300, 500, 1000: the time of the full search (every total sample
  size up to nmax, plus any beyond it that the optimality proof needs);
* harder Simon problems (p0 and p1 close), each with its result or the error
  it raised: a search that raises is reported as FAILED, never as "under 1 s";
* the hardest corner of the realistic range (p1 - p0 = 0.05, alpha = 0.01,
  beta = 0.05) over a grid of p0, in process: with every total's best design
  (``candidates="all"``, the default) and with the designs only
  (``candidates="frontier"``, what ``simtrial design`` runs);
* every problem of that corner through the command line (a fresh ``python -m
  simtrial.cli design`` process each, start-up included), beside the command
  line's floor (a trivial problem);
* the Mander & Thompson and Chen searches and a curtailed table, with the
  published design each reproduces where there is one.

Times are best-of-``repeat`` CPU seconds in process, best-of-``cli-runs``
wall seconds for fresh processes, and ratios to

* ``unit``: a fixed numpy workload (binomial probabilities on a 1001 x 1001
  grid), so numbers from noisy or different machines can be compared;
* ``naive``: a straightforward vectorised Simon search (every n1, whole
  (r1, r) matrices of error probabilities, no bounds) on the same problem
  with nmax = 60, which grows as nmax**4 and is far too slow for nmax = 1000.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

# The command-line timings run in the caller's environment, as a user's shell would.
USER_ENV = dict(os.environ)
# One core for the in-process timings: the target is stated for a single core.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from simtrial.design import DecisionTable, simon_search  # noqa: E402
from simtrial.design.curtail import curtail  # noqa: E402
from simtrial.design.multistage import chen_search, mander_thompson_search  # noqa: E402
from simtrial.errors import DesignError  # noqa: E402

PROBLEM = (0.1, 0.3, 0.05, 0.2)
ROOT = Path(__file__).resolve().parents[1]


def best_cpu(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
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


def simon_outcome(problem, nmax=None, candidates="all") -> tuple[bool, str]:
    """(succeeded, what) for one Simon search: its designs, or the error it raised."""
    try:
        res = simon_search(*problem, nmax=nmax, candidates=candidates)
    except DesignError as exc:
        return False, f"DesignError: {exc}"
    return True, (f"optimal {res.optimal.design}, minimax {res.minimax.design}, "
                  f"n searched {res.n_searched[0]}..{res.n_searched[1]}")


def timed_simon(problem, repeat: int, unit: float, nmax=None) -> tuple[bool, float]:
    ok, what = simon_outcome(problem, nmax)
    t = best_cpu(lambda: simon_outcome(problem, nmax), repeat)
    verdict = ("< 1 s" if t < 1 else "NOT < 1 s") if ok else "FAILED (raised)"
    print(f"  {problem}, nmax={nmax}: {what}; {t:.3f} s ({t / unit:.1f} unit) {verdict}")
    return ok, t


def cli_time(args: list[str], runs: int) -> tuple[float, int]:
    """Best wall time of ``python -m simtrial.cli design ARGS`` in fresh processes, and its exit code."""
    cmd = [sys.executable, "-m", "simtrial.cli", "design", *args]
    best, code = np.inf, 0
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=str(ROOT), env=USER_ENV, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t0)
        code = proc.returncode
    return best, code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli-runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="Fewer problems (a smoke run).")
    args = ap.parse_args()

    unit = best_cpu(unit_workload, args.repeat)
    naive_n = 60
    naive = best_cpu(lambda: naive_search(*PROBLEM, naive_n), 1)
    fast_naive = best_cpu(lambda: simon_search(*PROBLEM, nmax=naive_n), args.repeat)
    print(f"unit workload (binom.sf on 1001 x 1001): {unit * 1e3:8.1f} ms")
    print(f"Simon, problem p0, p1, alpha, beta = {PROBLEM}")
    print(f"  naive vectorised search, nmax = {naive_n}: {naive:8.2f} s; simon_search: {fast_naive * 1e3:.1f} ms "
          f"(naive / simon_search = {naive / fast_naive:,.0f})")
    print(f"  {'nmax':>6} {'n searched':>12} {'time (s)':>10} {'/ unit':>8} {'< 1 s':>6}")
    for nmax in (100, 300, 500, 1000):
        res = simon_search(*PROBLEM, nmax=nmax)
        t = best_cpu(lambda nmax=nmax: simon_search(*PROBLEM, nmax=nmax), args.repeat)
        span = f"{res.n_searched[0]}..{res.n_searched[1]}"
        print(f"  {nmax:>6} {span:>12} {t:>10.3f} {t / unit:>8.1f} {'yes' if t < 1 else 'NO':>6}")

    print("Simon, harder problems (p0 and p1 close):")
    hard = [((0.2, 0.35, 0.05, 0.05), None), ((0.4, 0.5, 0.05, 0.1), None), ((0.3, 0.35, 0.05, 0.2), 1000),
            ((0.3, 0.35, 0.01, 0.05), 1000), ((0.45, 0.5, 0.01, 0.05), 1000), ((0.475, 0.525, 0.01, 0.05), None)]
    if args.quick:
        hard = hard[:2]
    for problem, nmax in hard:
        timed_simon(problem, args.repeat, unit, nmax)

    print("Simon, the realistic corner p1 = p0 + 0.05, alpha = 0.01, beta = 0.05 (in process; every total's "
          "best design, and the designs only as `simtrial design` asks):")
    grid = [0.05, 0.5] if args.quick else [round(v, 3) for v in np.arange(0.05, 0.951, 0.05)]
    for mode in ("all", "frontier"):
        worst: list[tuple[float, float, bool]] = []
        total = 0.0
        for p0 in grid:
            p1 = round(p0 + 0.05, 3)
            if p1 >= 1:
                continue
            ok, _ = simon_outcome((p0, p1, 0.01, 0.05), candidates=mode)
            t = best_cpu(lambda p0=p0, p1=p1: simon_outcome((p0, p1, 0.01, 0.05), candidates=mode), 1)
            worst.append((t, p0, ok))
            total += t
        worst.sort(reverse=True)
        failed = [p0 for _, p0, ok in worst if not ok]
        print(f"  candidates={mode!r}: {len(worst)} problems in {total:.2f} s, slowest: "
              + ", ".join(f"p0={p0:g} {t:.3f} s" for t, p0, _ in worst[:4]) + f"; failed: {failed or 'none'}")

    print("Simon through the command line (fresh process, start-up included; wall time, best of "
          f"{args.cli_runs}):")
    floor, code = cli_time(["--p0", "0.1", "--p1", "0.3"], args.cli_runs)
    print(f"  floor: design --p0 0.1 --p1 0.3: {floor:.3f} s (exit {code})")
    # Every problem of the corner's grid, and the midpoint between its two slowest neighbours.
    cli_problems = [(p0, round(p0 + 0.05, 3)) for p0 in grid if p0 + 0.05 < 1]
    if not args.quick:
        cli_problems.append((0.475, 0.525))
    missed = 0
    slowest: list[tuple[float, float]] = []
    for p0, p1 in cli_problems:
        t, code = cli_time(["--p0", str(p0), "--p1", str(p1), "--alpha", "0.01", "--beta", "0.05"], args.cli_runs)
        verdict = ("< 1 s" if t < 1 else "NOT < 1 s") if code == 0 else f"FAILED (exit {code})"
        missed += verdict != "< 1 s"
        slowest.append((t, p0))
        print(f"  design --p0 {p0} --p1 {p1} --alpha 0.01 --beta 0.05: {t:.3f} s ({(t - floor):.3f} s above the "
              f"floor) {verdict}")
    slowest.sort(reverse=True)
    print(f"  {len(cli_problems)} problems through the command line, slowest "
          + ", ".join(f"p0={p0:g} {t:.3f} s" for t, p0 in slowest[:3]) + f"; not under 1 s: {missed}")

    print("Mander & Thompson (2010) and Chen (1997) searches, in process:")
    multi = [
        (mander_thompson_search, (0.2, 0.4, 0.1, 0.1),
         "Mander & Thompson 2010 sec. 4 (via mtdesign's tests): optimal 3/16 (>= 7), 11/41"),
        (mander_thompson_search, (0.1, 0.3, 0.05, 0.2), ""),
        (mander_thompson_search, (0.2, 0.35, 0.05, 0.1), ""),
        (chen_search, (0.1, 0.3, 0.05, 0.2), "no published table found: brute force in the tests"),
        (chen_search, (0.2, 0.4, 0.1, 0.1), ""),
        (chen_search, (0.3, 0.5, 0.05, 0.2), ""),
    ]
    if args.quick:
        multi = multi[:1] + multi[3:4]
    for func, problem, ref in multi:
        res = func(*problem)
        t = best_cpu(lambda func=func, problem=problem: func(*problem), args.repeat)
        opt = res.design("optimal").table
        print(f"  {func.__name__}{problem}: optimal {opt.compact()}, searched n = "
              f"{res.params['n_searched'][0]}..{res.params['n_searched'][1]}; {t:.3f} s ({t / unit:.1f} unit)"
              + (f"  [{ref}]" if ref else ""))
    table = DecisionTable.simon(1, 10, 5, 29)
    t = best_cpu(lambda: curtail(table, "both").oc([0.1, 0.3]), args.repeat)
    print(f"  curtail(Simon 1/10, 5/29, 'both') and its exact OC at two rates: {t * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
