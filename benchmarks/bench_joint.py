"""Time the Bryant-Day design search (one core) and compare it with baselines measured in the same run.

Usage: python benchmarks/bench_joint.py [--repeat 3]

Prints the time of the full search (optimal and minimax, with the proof of
optimality) for Bryant and Day's p. 1379 example at three odds ratios and for
two larger problems, each also as a ratio to

* ``unit``: a fixed numpy workload (binomial probabilities on a 1001 x 1001
  grid), so numbers from noisy or different machines can be compared;
* ``naive``: every design with n <= 20 evaluated by whole 4-D arrays of
  probabilities (all r1, t1, r, t at once for each n1, n), no bounds, which
  grows as nmax**6.
"""

from __future__ import annotations

import argparse
import os
import time

# One core, as for the Simon search benchmark.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from bench_search import best_time, unit_workload  # noqa: E402
from simtrial.design import bryant_day_search  # noqa: E402

# p0, p1, q0, q1, alpha, beta, alpha_tox, odds ratio
PROBLEMS = [
    (0.3, 0.5, 0.2, 0.4, 0.15, 0.15, 0.15, 1.0),
    (0.3, 0.5, 0.2, 0.4, 0.15, 0.15, 0.15, 0.5),
    (0.3, 0.5, 0.2, 0.4, 0.15, 0.15, 0.15, 2.0),
    (0.1, 0.3, 0.2, 0.4, 0.05, 0.2, 0.05, 1.0),
    (0.2, 0.4, 0.15, 0.3, 0.1, 0.1, 0.1, 1.0),
]


def naive_search(p0, p1, q0, q1, alpha, beta, alpha_tox, nmax) -> float:
    """Smallest max(E(N | p0, q0), E(N | p1, q1)) over every feasible design with n <= nmax (independence)."""
    best = np.inf
    cfg = [(p1, q0), (p0, q0), (p1, q1)]
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            tails = []
            for p, q in cfg:
                g1 = np.outer(stats.binom.pmf(np.arange(n1 + 1), n1, p), stats.binom.pmf(np.arange(n1 + 1), n1, 1 - q))
                g2 = np.outer(stats.binom.pmf(np.arange(n - n1 + 1), n - n1, p),
                              stats.binom.pmf(np.arange(n - n1 + 1), n - n1, 1 - q))
                k = np.zeros((n1 + 1, n1 + 1, n + 1, n + 1))
                for x1 in range(n1 + 1):
                    for y1 in range(n1 + 1):
                        k[x1, y1, x1 : x1 + n - n1 + 1, y1 : y1 + n - n1 + 1] = g1[x1, y1] * g2
                for axis in range(4):
                    k = np.flip(np.cumsum(np.flip(k, axis), axis=axis), axis)
                tails.append(k)
            ok = (tails[0] >= 1 - beta) & (tails[1] <= alpha) & (tails[2] <= alpha_tox)
            feasible = ok.any(axis=(2, 3))
            if feasible.any():
                crit = n1 + (n - n1) * np.maximum(tails[1][:, :, 0, 0], tails[2][:, :, 0, 0])
                best = min(best, float(crit[feasible].min()))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    unit = best_time(unit_workload, args.repeat)
    print(f"unit workload (binom.sf on 1001 x 1001): {unit * 1e3:8.1f} ms")
    small = (0.2, 0.5, 0.1, 0.4, 0.15, 0.2, 0.15)
    t0 = time.perf_counter()
    naive_best = naive_search(*small, 20)
    naive = time.perf_counter() - t0
    bounded = bryant_day_search(*small[:4], small[4], small[5], alpha_tox=small[6], max_n=20)
    fast = best_time(lambda: bryant_day_search(*small[:4], small[4], small[5], alpha_tox=small[6], max_n=20),
                     args.repeat)
    same = "same" if abs(bounded.optimal.en_null - naive_best) < 1e-9 else "DIFFERENT"
    print(f"naive 4-D search over n <= 20 for {small}: {naive:.2f} s; bryant_day_search(max_n=20): "
          f"{fast * 1e3:.1f} ms (naive / search = {naive / fast:,.0f}); {same} optimal E(N) {naive_best:.4f}")
    for p0, p1, q0, q1, alpha, beta, alpha_tox, psi in PROBLEMS:

        def run(p0=p0, p1=p1, q0=q0, q1=q1, alpha=alpha, beta=beta, alpha_tox=alpha_tox, psi=psi):
            return bryant_day_search(p0, p1, q0, q1, alpha, beta, alpha_tox=alpha_tox, odds_ratio=psi)

        res = run()
        t = best_time(run, args.repeat)
        print(f"({p0}, {p1}, {q0}, {q1}, alpha {alpha}, beta {beta}, alpha_tox {alpha_tox}, OR {psi}): "
              f"optimal {res.optimal.design} (E(N) {res.optimal.en_null:.2f}), minimax n={res.minimax.design.n}, "
              f"n searched {res.n_searched[0]}..{res.n_searched[1]}, {t:.2f} s ({t / unit:.1f} unit)")


if __name__ == "__main__":
    main()
