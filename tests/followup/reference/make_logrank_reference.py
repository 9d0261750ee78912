"""Regenerate logrank_power.json: log-rank power of two trials by an independent simulator.

This simulator shares no code with simtrial: numpy's PCG64 generator,
whole-array draws, and a vectorised log-rank statistic (no ties occur with
continuous times). Only the trial definition is shared: the deterministic
balanced allocation (patient i experimental when floor((i+1) f) > floor(i f),
f = k / (1 + k)), Poisson accrual with the first patient at time 0, Weibull
proportional-hazards survival, exponential dropout, and the analysis rule.

Run from the repository root:

    .venv/bin/python tests/followup/reference/make_logrank_reference.py

Produced with numpy 2.4 (seed and replicate count recorded in the file).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

DAYS_PER_MONTH = 365.25 / 12

CASES = {
    "weibull_calendar": {
        "n": 200, "ratio_num": 1, "ratio_den": 1, "shape": 1.3, "control_median_months": 8.0,
        "hazard_ratio": 0.7, "accrual_per_month": 10.0, "dropout_per_year": 0.10,
        "alpha": 0.025, "sided": 1, "analysis": {"calendar_months": 30.0},
    },
    "exponential_events_2to1": {
        "n": 160, "ratio_num": 2, "ratio_den": 1, "shape": 1.0, "control_median_months": 6.0,
        "hazard_ratio": 0.6, "accrual_per_month": 6.0, "dropout_per_year": 0.0,
        "alpha": 0.05, "sided": 2, "analysis": {"events": 110},
    },
}  # fmt: skip


def simulate(case: dict, n_sim: int, seed: int, chunk: int = 20_000) -> dict:
    rng = np.random.Generator(np.random.PCG64(seed))
    n = case["n"]
    k_num, k_den = case["ratio_num"], case["ratio_den"]
    i = np.arange(n)
    # f = k / (1 + k) = k_num / (k_num + k_den), in integers.
    arm = ((i + 1) * k_num // (k_num + k_den) - i * k_num // (k_num + k_den)).astype(float)
    shape = case["shape"]
    scale = case["control_median_months"] * DAYS_PER_MONTH / math.log(2) ** (1 / shape)
    hr = np.where(arm == 1, case["hazard_ratio"], 1.0)
    rate = case["accrual_per_month"] / DAYS_PER_MONTH
    mu = -math.log1p(-case["dropout_per_year"]) / 365.25
    crit = stats.norm.isf(case["alpha"] / case["sided"])
    rejects = 0
    ev_sum = ev_sq = t_sum = t_sq = 0.0
    done = 0
    while done < n_sim:
        m = min(chunk, n_sim - done)
        gaps = rng.exponential(1 / rate, size=(m, n))
        gaps[:, 0] = 0.0
        entry = np.cumsum(gaps, axis=1)
        death = scale * (rng.exponential(size=(m, n)) / hr) ** (1 / shape)
        drop = rng.exponential(1 / mu, size=(m, n)) if mu > 0 else np.full((m, n), np.inf)
        if "calendar_months" in case["analysis"]:
            tau = np.full(m, case["analysis"]["calendar_months"] * DAYS_PER_MONTH)
        else:
            d = case["analysis"]["events"]
            cal = np.where(death <= drop, entry + death, np.inf)
            tau = np.partition(cal, d - 1, axis=1)[:, d - 1]
        tau_ = tau[:, None]
        included = entry < tau_
        event = (death <= drop) & (entry + death <= tau_) & included
        time = np.where(event, death, np.minimum(drop, tau_ - entry))
        time = np.where(included, time, np.inf)
        order = np.argsort(time, axis=1)
        t_s = np.take_along_axis(time, order, axis=1)
        e_s = np.take_along_axis(event, order, axis=1).astype(float)
        a_s = arm[order]
        inc_s = np.take_along_axis(included, order, axis=1).astype(float)
        at_risk = np.cumsum(inc_s[:, ::-1], axis=1)[:, ::-1]
        at_risk1 = np.cumsum((a_s * inc_s)[:, ::-1], axis=1)[:, ::-1]
        finite = np.isfinite(t_s)
        assert not np.any((np.diff(t_s, axis=1) == 0) & finite[:, 1:]), "ties would need the tie formula"
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(at_risk > 0, at_risk1 / at_risk, 0.0)
        o_e = np.sum(e_s * (a_s - frac), axis=1)
        var = np.sum(e_s * frac * (1 - frac), axis=1)
        z = np.where(var > 0, -o_e / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
        direction = 1.0 if case["hazard_ratio"] < 1 else -1.0
        rej = np.abs(z) > crit if case["sided"] == 2 else direction * z > crit
        rejects += int(rej.sum())
        d_obs = event.sum(axis=1).astype(float)
        ev_sum += d_obs.sum()
        ev_sq += (d_obs**2).sum()
        t_sum += tau.sum()
        t_sq += (tau**2).sum()
        done += m
    p = rejects / n_sim

    def mean_se(s: float, sq: float) -> tuple[float, float]:
        mean = s / n_sim
        var = (sq - n_sim * mean**2) / (n_sim - 1)
        return mean, math.sqrt(max(var, 0.0) / n_sim)

    ev_mean, ev_se = mean_se(ev_sum, ev_sq)
    t_mean, t_se = mean_se(t_sum, t_sq)
    return {
        "power": p, "power_se": math.sqrt(p * (1 - p) / n_sim),
        "events_mean": ev_mean, "events_se": ev_se,
        "analysis_days_mean": t_mean, "analysis_days_se": t_se,
    }  # fmt: skip


def main() -> None:
    n_sim, seed = 200_000, 20261123
    out = {
        "provenance": "tests/followup/reference/make_logrank_reference.py (independent numpy simulator), "
        f"numpy {np.__version__}, PCG64 seed {seed}, {n_sim} replicates per case",
        "n_sim": n_sim,
        "cases": {},
    }
    for name, case in CASES.items():
        out["cases"][name] = {"spec": case, **simulate(case, n_sim, seed)}
    path = Path(__file__).with_name("logrank_power.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
