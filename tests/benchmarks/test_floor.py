"""The random-number floor counts and draws exactly what it claims (exact tier)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from floor import count_steps, floor_run, measure_draws  # noqa: E402

from simtrial.engine._rng import next_double, next_u64, seed_stream  # noqa: E402
from simtrial.model import load_config  # noqa: E402


def test_count_steps_recovers_the_number_of_draws(seed):
    start = np.empty(2, dtype=np.uint64)
    seed_stream(start, np.uint64(seed), 7)
    for k in (0, 1, 2, 45, 300):
        state = start.copy()
        for _ in range(k):
            next_u64(state)
        assert count_steps(start, state, 1000) == k
    assert count_steps(start, state, 10) == -1


def test_floor_draws_the_mean_count_per_replicate(seed):
    # 7/3 draws per replicate on average: replicate i draws
    # floor(7 (i+1) / 3) - floor(7 i / 3); the checksum must equal the sum of
    # exactly those doubles, drawn here one replicate at a time.
    n, num, den = 1000, 7, 3
    state = np.empty(2, dtype=np.uint64)
    per_chunk = []
    chunk = 64
    for lo in range(0, n, chunk):
        acc = 0.0
        for i in range(lo, min(n, lo + chunk)):
            seed_stream(state, np.uint64(seed), i)
            for _ in range((i + 1) * num // den - i * num // den):
                acc += next_double(state)
        per_chunk.append(acc)
    expected = float(np.array(per_chunk).sum())
    assert floor_run(seed, n, num, den, chunk=chunk) == expected


def test_engine_draw_count_is_three_per_patient(seed):
    """Reference model: one arrival, one response and one toxicity draw per patient."""
    from bench_engine import replicate_fn

    from simtrial.engine.pack import R_ENROLLED, pack_scenario

    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    for idx in range(len(cfg.scenarios)):
        packed = pack_scenario(cfg, cfg.resolved_design(), idx)
        simulate_replicate, scratch = replicate_fn(packed)
        enrolled = []

        def run_one(state, _i, packed=packed, scratch=scratch):
            simulate_replicate(state, *packed, *scratch)
            enrolled.append(int(scratch[-1][R_ENROLLED]))

        dc = measure_draws(run_one, seed, 300)
        assert dc.counts.tolist() == [3 * e for e in enrolled]
        assert set(enrolled) == {10, 29}
