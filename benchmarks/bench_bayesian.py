"""Time the exact calibration of the Bayesian designs (one core) against baselines measured in the same run.

Usage: python benchmarks/bench_bayesian.py [--repeat 3]

Two targets:

* BOP2: calibrating (lambda, gamma) over the default 100 x 100 grid for N = 100
  with 10 looks (p0 = 0.2, p1 = 0.4, alpha = 0.1), under 1 s;
* predictive probability (Lee & Liu): the search over every Nmax = 1..100 with
  continuous monitoring and the default 50 x 50 (theta_T, theta_L) grid
  (p0 = 0.2, p1 = 0.4, alpha = 0.05, beta = 0.2), under 5 s.

Baselines, as ratios:

* ``unit``: a fixed numpy workload (binomial probabilities on a 1001 x 1001
  grid), as in bench_search.py;
* BOP2 ``per point``: the same calibration done one grid point at a time (the
  rule's table, then ``DecisionTable.oc``), timed on 400 grid points and
  scaled to the 10,000 of the grid;
* predictive ``every table``: the same search evaluating every distinct table of
  the grid at every Nmax in one batch, without the search on power and
  without dropping final bounds whose single-stage power is too low (same designs).
"""

from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from _common import best_time  # noqa: E402
from bench_search import unit_workload  # noqa: E402

from simtrial.design import predictive as pred  # noqa: E402
from simtrial.design.bop2 import GAMMA_GRID, LAMBDA_GRID, bop2_design, bop2_table  # noqa: E402
from simtrial.design.tables import grid_oc  # noqa: E402

BOP2_LOOKS = tuple(range(10, 101, 10))


def bop2_per_point(points: int) -> None:
    rng = np.random.default_rng(1)
    for i in rng.choice(LAMBDA_GRID.size * GAMMA_GRID.size, size=points, replace=False):
        lam, gam = LAMBDA_GRID[i // GAMMA_GRID.size], GAMMA_GRID[i % GAMMA_GRID.size]
        try:
            bop2_table(0.2, BOP2_LOOKS, float(lam), float(gam)).oc([0.2, 0.4])
        except Exception:  # a rule that stops every trial at some look is skipped, as in the search
            pass


def predictive_every_table(nmax: int) -> dict[int, float]:
    """Best E(N | p0) of the feasible tables at every N, evaluating every distinct table of the grid."""
    p0, p1, alpha, beta = 0.2, 0.4, 0.05, 0.2
    out = {}
    for n_max in range(1, nmax + 1):
        looks = tuple(range(1, n_max + 1))
        groups = pred._bounds(p0, (p0, 1 - p0), looks, pred.THETA_T_GRID, pred.THETA_L_GRID, None)
        if not groups:
            continue
        oc = grid_oc(looks, np.concatenate([g.fut for g in groups]), None, [p0, p1])
        ok = (oc.p_reject[:, 0] <= alpha) & (oc.p_reject[:, 1] >= 1 - beta)
        if ok.any():
            out[n_max] = float(oc.en[ok, 0].min())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    unit = best_time(unit_workload, repeats=args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f}; unit workload (binom.sf on 1001 x 1001): {unit * 1e3:8.1f} ms")

    res = bop2_design(0.2, 0.4, 0.1, looks=BOP2_LOOKS)
    t_bop2 = best_time(lambda: bop2_design(0.2, 0.4, 0.1, looks=BOP2_LOOKS), repeats=args.repeat)
    points = 400
    t_point = best_time(lambda: bop2_per_point(points), repeats=1) * (LAMBDA_GRID.size * GAMMA_GRID.size / points)
    d = res.designs[0]
    print(f"\nBOP2 calibration, N = 100, 10 looks, {LAMBDA_GRID.size} x {GAMMA_GRID.size} (lambda, gamma) grid: "
          f"lambda = {d.extra['lambda']:g}, gamma = {d.extra['gamma']:g}, alpha = {d.alpha:.4f}, "
          f"power = {d.power:.4f}; {res.notes[-1].split('; ', 1)[1]}")
    print(f"  time {t_bop2:.3f} s ({t_bop2 / unit:.1f} unit)   < 1 s: {'yes' if t_bop2 < 1 else 'NO'}")
    print(f"  one grid point at a time (scaled from {points} points): {t_point:.1f} s, "
          f"{t_point / t_bop2:.0f}x the calibration")

    res = pred.predictive_design(0.2, 0.4, 0.05, 0.2, nmax=100)
    t_pred = best_time(lambda: pred.predictive_design(0.2, 0.4, 0.05, 0.2, nmax=100), repeats=args.repeat)
    t_every = best_time(lambda: predictive_every_table(100), repeats=1)
    m = res.design("minimax")
    print(f"\nPredictive probability search, Nmax = 1..100, continuous monitoring, "
          f"{pred.THETA_T_GRID.size} x {pred.THETA_L_GRID.size} (theta_T, theta_L) grid: minimax N = "
          f"{m.table.n_max} (theta_T = {m.extra['theta_t']:g}, theta_L = {m.extra['theta_l']:g}, "
          f"EN(p0) = {m.en0:.2f}, alpha = {m.alpha:.4f}, power = {m.power:.4f}), {len(res.designs) - 1} alternative(s)")
    print(f"  time {t_pred:.3f} s ({t_pred / unit:.1f} unit)   < 5 s: {'yes' if t_pred < 5 else 'NO'}")
    print(f"  every distinct table of the grid evaluated at every N (no search on power): {t_every:.2f} s, "
          f"{t_every / t_pred:.1f}x the search")


if __name__ == "__main__":
    main()
