"""The randomized follow-up simulator: double programming, reproducibility, statistical agreement.

Tiers: double-programming (a slow pure-Python replay of the same random
streams gives identical per-replicate output), reproducibility (thread
count, candidate grid), statistical (4 Monte Carlo SE against exact values
and an independent high-replicate reference).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from pysim import exponential_of, output, replicate_seed, uniform_of  # noqa: E402
from simtrial.engine._followup_kernels import logrank_z  # noqa: E402
from simtrial.engine._rng import scenario_key  # noqa: E402
from simtrial.engine.followup_sim import FOLLOWUP_STREAM, allocation_sequence, simulate_randomized
from simtrial.followup import closed as C
from simtrial.model.followup import RandomizedFollowup

REFERENCE = json.loads((Path(__file__).parent / "reference" / "logrank_power.json").read_text())


def _binary_spec(**kw) -> RandomizedFollowup:
    base = dict(
        endpoint="response", response=dict(control=0.15, experimental=0.35), n_grid=dict(min=40, max=120, step=20)
    )
    base.update(kw)
    return RandomizedFollowup.model_validate(base)


def _survival_spec(**kw) -> RandomizedFollowup:
    base = dict(
        endpoint="survival",
        survival=dict(distribution="weibull", shape=1.3, control_median="8 months", hazard_ratio=0.7),
        analysis=dict(calendar="30 months"),
        accrual_per_month=10.0,
        dropout_per_year=0.1,
        n_grid=dict(min=60, max=200, step=70),
    )
    base.update(kw)
    return RandomizedFollowup.model_validate(base)


# ---------------------------------------------------------------------------
# independent pure-Python replay (double programming)
# ---------------------------------------------------------------------------


def _py_logrank(time, event, arm) -> float:
    """Log-rank z by the textbook table of distinct death times (written independently of the kernel)."""
    time, event, arm = (np.asarray(x) for x in (time, event, arm))
    o_minus_e = var = 0.0
    for t in sorted(set(time[event == 1].tolist())):
        at_risk = time >= t
        n = at_risk.sum()
        n1 = (at_risk & (arm == 1)).sum()
        d = ((time == t) & (event == 1)).sum()
        d1 = ((time == t) & (event == 1) & (arm == 1)).sum()
        o_minus_e += d1 - d * n1 / n
        if n > 1:
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return -o_minus_e / math.sqrt(var) if var > 0 else 0.0


def _py_survival_replicate(spec, key, rep, sizes):
    sv, an = spec.survival, spec.analysis
    n_max = max(sizes)
    arm = allocation_sequence(n_max, spec.allocation_ratio)
    s = replicate_seed(int(key), rep)
    entry, surv, drop = [], [], []
    t = 0.0
    rate, mu = spec.accrual_rate_per_day, spec.dropout_rate_per_day
    # The trial engine's patients: arrival (variable 0), survival (2) and withdrawal (3) as exponentials.
    for i in range(n_max):
        if i > 0:
            t += exponential_of(output(s, i, 0)) / rate if spec.accrual == "poisson" else 1.0 / rate
        entry.append(t)
        e = exponential_of(output(s, i, 2))
        hr = sv.hazard_ratio if arm[i] == 1 else 1.0
        surv.append(sv.control_scale_days * (e / hr) ** (1.0 / sv.shape))
        drop.append(exponential_of(output(s, i, 3)) / mu if mu > 0 else math.inf)
    crit = stats.norm.isf(spec.alpha / spec.sided)
    out = []
    for n in sizes:
        if an.mode == "calendar":
            tau = an.calendar
        else:
            d = an.events if an.mode == "events" else math.ceil(an.event_fraction * n - 1e-9)
            deaths = sorted(entry[i] + surv[i] for i in range(n) if surv[i] <= drop[i])
            tau = deaths[min(d, len(deaths)) - 1]
        keep = [i for i in range(n) if entry[i] < tau]
        died = [surv[i] <= drop[i] and entry[i] + surv[i] <= tau for i in keep]
        time = [surv[i] if dd else min(drop[i], tau - entry[i]) for i, dd in zip(keep, died)]
        z = _py_logrank(time, np.array(died, dtype=int), arm[keep])
        direction = 1.0 if sv.hazard_ratio < 1 else -1.0
        rej = abs(z) > crit if spec.sided == 2 else direction * z > crit
        out.append((int(rej), sum(died), tau))
    return out


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"analysis": {"events": 50}, "accrual": "uniform", "dropout_per_year": 0.0,
         "survival": {"control_median": "6 months", "hazard_ratio": 0.6}, "allocation_ratio": 2.0, "sided": 2},
        {"analysis": {"event_fraction": 0.7}, "survival": {"control_median": "92 days", "hazard_ratio": 1.4}},
    ],
)  # fmt: skip
def test_survival_replicates_match_pure_python_replay(kw, seed):
    spec = _survival_spec(**kw)
    sizes = spec.n_grid.values()
    sim = simulate_randomized(spec, sizes, n_sim=6, seed=seed)
    key = scenario_key(seed, FOLLOWUP_STREAM)
    for rep in range(6):
        ref = _py_survival_replicate(spec, key, rep, sizes)
        for c, (rej, d, tau) in enumerate(ref):
            assert sim.reject[rep, c] == rej
            assert sim.events[rep, c] == d
            assert sim.analysis_days[rep, c] == pytest.approx(tau, abs=1e-10)


def test_binary_replicates_match_pure_python_replay(seed):
    spec = _binary_spec(allocation_ratio=1.5, sided=2)
    sizes = spec.n_grid.values()
    sim = simulate_randomized(spec, sizes, n_sim=20, seed=seed)
    key = scenario_key(seed, FOLLOWUP_STREAM)
    arm = allocation_sequence(max(sizes), 1.5)
    p = (spec.response.control, spec.response.experimental)
    crit = stats.norm.isf(spec.alpha / 2)
    for rep in range(20):
        s = replicate_seed(int(key), rep)
        resp = [uniform_of(output(s, i, 1)) < p[arm[i]] for i in range(max(sizes))]
        for c, n in enumerate(sizes):
            x = [sum(r for r, a in zip(resp[:n], arm[:n]) if a == g) for g in (0, 1)]
            m = [int(np.sum(arm[:n] == g)) for g in (0, 1)]
            pbar = (x[0] + x[1]) / n
            se = math.sqrt(pbar * (1 - pbar) * (1 / m[0] + 1 / m[1]))
            z = (x[1] / m[1] - x[0] / m[0]) / se if se > 0 else 0.0
            assert sim.reject[rep, c] == int(abs(z) > crit)


def test_logrank_z_with_ties_matches_textbook_table(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        n = int(rng.integers(5, 40))
        # Integer times force many ties between deaths and censorings.
        time = rng.integers(1, 8, size=n).astype(float)
        event = rng.integers(0, 2, size=n).astype(np.int8)
        arm = rng.integers(0, 2, size=n).astype(np.int8)
        assert logrank_z(time, event, arm, n) == pytest.approx(_py_logrank(time, event, arm), abs=1e-10)


def test_logrank_z_agrees_with_scipy(seed):
    # scipy.stats.logrank (>= 1.11) is another independent implementation; its
    # statistic for "less" compares the first sample's survival.
    rng = np.random.default_rng(seed + 1)
    t0, t1 = rng.exponential(10, 30), rng.exponential(14, 25)
    c0, c1 = rng.random(30) < 0.8, rng.random(25) < 0.8
    time = np.concatenate([t0, t1])
    event = np.concatenate([c0, c1]).astype(np.int8)
    arm = np.concatenate([np.zeros(30), np.ones(25)]).astype(np.int8)
    res = stats.logrank(stats.CensoredData(uncensored=t1[c1], right=t1[~c1]),
                        stats.CensoredData(uncensored=t0[c0], right=t0[~c0]))  # fmt: skip
    assert abs(logrank_z(time, event, arm, 55)) == pytest.approx(abs(res.statistic), abs=1e-10)


# ---------------------------------------------------------------------------
# reproducibility and common random numbers
# ---------------------------------------------------------------------------


def test_bit_identical_across_thread_counts(seed):
    spec = _survival_spec()
    a = simulate_randomized(spec, spec.n_grid.values(), n_sim=300, seed=seed, threads=1)
    b = simulate_randomized(spec, spec.n_grid.values(), n_sim=300, seed=seed, threads=2)
    assert np.array_equal(a.reject, b.reject)
    assert np.array_equal(a.events, b.events)
    assert np.array_equal(a.analysis_days, b.analysis_days)


def test_common_random_numbers_a_size_does_not_depend_on_the_grid(seed):
    spec = _binary_spec()
    full = simulate_randomized(spec, [40, 60, 80, 100, 120], n_sim=500, seed=seed)
    alone = simulate_randomized(spec, [80], n_sim=500, seed=seed)
    assert np.array_equal(full.reject[:, 2], alone.reject[:, 0])
    sspec = _survival_spec(analysis={"events": 40})
    full = simulate_randomized(sspec, [60, 130, 200], n_sim=200, seed=seed)
    alone = simulate_randomized(sspec, [130], n_sim=200, seed=seed)
    assert np.array_equal(full.analysis_days[:, 1], alone.analysis_days[:, 0])


def test_progress_counts_every_replicate(seed):
    seen = []
    simulate_randomized(_binary_spec(), [40], n_sim=5000, seed=seed, progress=seen.append)
    assert sum(seen) == 5000


def test_allocation_sequence_prefix_counts():
    for ratio in (1.0, 2.0, 1.5, 0.5):
        arm = allocation_sequence(300, ratio)
        n_c, n_e = C.allocation_counts(np.arange(301), ratio)
        assert np.array_equal(np.concatenate([[0], np.cumsum(arm)]), n_e)


# ---------------------------------------------------------------------------
# statistical agreement
# ---------------------------------------------------------------------------


def test_binary_power_matches_exact_enumeration_within_4_se(seed):
    spec = _binary_spec()
    sim = simulate_randomized(spec, spec.n_grid.values(), n_sim=20_000, seed=seed)
    power, se = sim.power()
    for i, n in enumerate(sim.sizes):
        exact = C.two_proportion_power_exact(0.15, 0.35, int(sim.n_control[i]), int(sim.n_experimental[i]), 0.025)
        assert abs(power[i] - exact) <= 4 * se[i], (n, power[i], exact)


@pytest.mark.parametrize("case", sorted(REFERENCE["cases"]))
def test_logrank_power_matches_high_replicate_reference(case, seed):
    ref = REFERENCE["cases"][case]
    c = ref["spec"]
    an = c["analysis"]
    spec = RandomizedFollowup.model_validate(
        dict(
            endpoint="survival",
            survival=dict(
                distribution="weibull" if c["shape"] != 1 else "exponential", shape=c["shape"],
                control_median=f"{c['control_median_months']} months", hazard_ratio=c["hazard_ratio"],
            ),
            analysis={"calendar": f"{an['calendar_months']} months"} if "calendar_months" in an else an,
            allocation_ratio=c["ratio_num"] / c["ratio_den"], alpha=c["alpha"], sided=c["sided"],
            accrual_per_month=c["accrual_per_month"], dropout_per_year=c["dropout_per_year"],
            n_grid=dict(min=c["n"], max=c["n"]),
        )
    )  # fmt: skip
    sim = simulate_randomized(spec, [c["n"]], n_sim=10_000, seed=seed)
    power, se = sim.power()
    # Two independent estimates: their difference has SE sqrt(se1^2 + se2^2).
    assert abs(power[0] - ref["power"]) <= 4 * math.hypot(se[0], ref["power_se"])
    ev = sim.events[:, 0].astype(float)
    ev_se = math.hypot(ev.std(ddof=1) / math.sqrt(ev.size), ref["events_se"])
    if ev_se > 0:
        assert abs(ev.mean() - ref["events_mean"]) <= 4 * ev_se
    else:
        assert ev.mean() == ref["events_mean"]


def test_logrank_power_agrees_with_schoenfeld_at_large_n(seed):
    # HR 0.8, 1:1, analysis at Schoenfeld's 631 deaths for 80% power (one-sided 0.025).
    # Schoenfeld's formula is a local (HR -> 1) approximation. With equal
    # allocation and HR between 0.6 and 0.8 the log-rank power at Schoenfeld's
    # events is within 0.005 of the nominal 0.80 (40,000 replicates each, SE
    # 0.002); the tolerance is one percentage point of approximation error
    # plus 4 Monte Carlo SE.
    d = math.ceil(C.schoenfeld_events(0.8, 0.025, 0.8))
    assert d == 631
    spec = RandomizedFollowup.model_validate(
        dict(endpoint="survival", survival=dict(control_median="12 months", hazard_ratio=0.8),
             analysis=dict(events=d), accrual_per_month=40, n_grid=dict(min=760, max=760), n_sim=3000)
    )  # fmt: skip
    sim = simulate_randomized(spec, [760], n_sim=3000, seed=seed)
    power, se = sim.power()
    assert np.all(sim.events == d)
    assert abs(power[0] - C.schoenfeld_power(d, 0.8, 0.025)) <= 0.01 + 4 * se[0]
