"""Sample size by simulation: the crossing rules and a fresh-seed check of the stated uncertainty."""

from __future__ import annotations

import math

import numpy as np

from simtrial.engine.followup_sim import simulate_randomized
from simtrial.followup.search import sample_size_from_replicates, stable_crossing
from simtrial.model.followup import RandomizedFollowup


def test_stable_crossing_saw_tooth():
    p = np.array([0.70, 0.81, 0.79, 0.80, 0.83, 0.85])
    assert stable_crossing(p, 0.8) == 3
    assert stable_crossing(p, 0.9) == -1
    assert stable_crossing(np.array([0.9, 0.95]), 0.8) == 0


def test_answer_fields_from_known_rejections():
    # 4 candidates, 10 replicates: counts 5, 8, 7, 9 -> power 0.5, 0.8, 0.7, 0.9.
    reject = np.zeros((10, 4), dtype=np.uint8)
    for c, k in enumerate([5, 8, 7, 9]):
        reject[:k, c] = 1
    ans = sample_size_from_replicates(np.array([10, 20, 30, 40]), reject, 0.8, n_boot=200, key=1)
    assert ans.power.tolist() == [0.5, 0.8, 0.7, 0.9]
    assert ans.n_first == 20 and ans.n_star == 40
    assert abs(ans.se[1] - math.sqrt(0.8 * 0.2 / 10)) <= 1e-12
    assert "N* = 40" in ans.statement()


def test_search_answer_reaches_target_when_resimulated_with_fresh_seeds(seed):
    spec = RandomizedFollowup.model_validate(
        dict(endpoint="response", response=dict(control=0.2, experimental=0.4), n_grid=dict(min=120, max=260, step=4),
             target_power=0.8, n_sim=4000)
    )  # fmt: skip
    sizes = spec.n_grid.values()
    sim = simulate_randomized(spec, sizes, n_sim=4000, seed=seed)
    ans = sample_size_from_replicates(sim.sizes, sim.reject, 0.8, n_boot=400, key=seed)
    assert ans.n_star is not None and ans.boot_low is not None and ans.boot_high is not None
    assert ans.boot_low <= ans.n_star <= ans.boot_high
    # Fresh seeds, more replicates: at the upper end of the stated interval the
    # power reaches the target, and just below its lower end it does not exceed
    # it, each up to 4 Monte Carlo SE of the fresh estimate.
    below = ans.boot_low - spec.n_grid.step
    check = [n for n in (below, ans.n_star, ans.boot_high) if n >= 2]
    fresh = simulate_randomized(spec, check, n_sim=20_000, seed=seed + 1)
    p, se = fresh.power()
    got = dict(zip(fresh.sizes.tolist(), zip(p, se)))
    pw, s = got[ans.boot_high]
    assert pw >= 0.8 - 4 * s
    pw, s = got[ans.n_star]
    n_star_idx = int(np.flatnonzero(sim.sizes == ans.n_star)[0])
    assert abs(pw - ans.power[n_star_idx]) <= 4 * math.hypot(s, ans.se[n_star_idx])
    if below in got:
        pw, s = got[below]
        assert pw <= 0.8 + 4 * s
