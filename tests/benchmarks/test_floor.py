"""The random-number floor draws exactly what it claims (exact tier)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from floor import REFERENCE_VARIABLES, floor_run, patients_per_replicate  # noqa: E402
from pysim import output, replicate_seed  # noqa: E402

from simtrial.engine._patients import MODE_DRAW, S_HAS_SURV, S_ONE_LEVEL, S_WD_MODE  # noqa: E402
from simtrial.engine.pack import pack_model  # noqa: E402
from simtrial.model import load_config  # noqa: E402


def test_floor_xors_the_documented_draws(seed):
    # 7/3 patients per replicate on average: replicate i draws for
    # floor(7 (i+1) / 3) - floor(7 i / 3) patients, variables 0, 1 and 4 of each.
    n, num, den = 300, 7, 3
    want = 0
    for i in range(n):
        s = replicate_seed(seed, i)
        for k in range((i + 1) * num // den - i * num // den):
            for v in REFERENCE_VARIABLES:
                want ^= output(s, k, v)
    assert floor_run(seed, n, num, den, chunk=64) == want
    assert floor_run(seed, n, num, den, chunk=64, threads=2) == want


def test_reference_patients_take_three_draws():
    """Reference model: per patient the arrival, the response and the first toxicity at the starting dose."""
    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    m = pack_model(cfg, 60, cfg.resolved_designs())
    assert (m.tox_mode[:, 0] == MODE_DRAW).all()  # toxicity drawn at the starting dose
    assert (m.si[:, S_HAS_SURV] == 0).all()  # no survival draw
    assert (m.si[:, S_WD_MODE] != MODE_DRAW).all()  # no withdrawal draw
    assert (m.si[:, S_ONE_LEVEL] == 1).all()  # no reduced levels, so no further toxicity draws
    assert REFERENCE_VARIABLES == (0, 1, 4)


def test_patients_per_replicate_is_the_largest_scenario(seed):
    from simtrial.engine import simulate

    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    count = patients_per_replicate(cfg, 500, seed)
    res = simulate(cfg, n_sim=500, seed=seed, threads=1, replicates=True)
    per = res.replicates.pivot_table(index="replicate", columns="scenario", values="enrolled", aggfunc="first")
    assert count.num == int(per.max(axis=1).sum()) and count.den == 500
    # Each replicate needs the alternative's patients at least as often as the null's (more continue).
    assert (per["alternative"] >= 10).all() and np.isclose(count.mean, per.max(axis=1).mean())
