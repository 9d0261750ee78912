"""The random-number floor counts and draws exactly what it claims (exact tier)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

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


def test_engine_draw_count_is_the_models(seed):
    """Reference model: per patient one arrival (the ziggurat: one number, more on its
    rare paths) and one draw for response with toxicity -- the independent simulator's count."""
    from bench_engine import replicate_fn
    from pysim import PySim

    from simtrial.engine.pack import R_ENROLLED, pack_scenario

    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    design = cfg.resolved_design()
    for idx in range(len(cfg.scenarios)):
        packed = pack_scenario(cfg, design, idx)
        simulate_replicate, scratch = replicate_fn(packed)
        enrolled = []

        def run_one(state, _i, packed=packed, scratch=scratch):
            simulate_replicate(state, *packed, *scratch)
            enrolled.append(int(scratch[-1][R_ENROLLED]))

        dc = measure_draws(run_one, seed, 300)
        sim = PySim(cfg, design, idx)
        expected = []
        for i in range(300):
            sim.replicate(seed, i)
            expected.append(sim.draws)
        assert dc.counts.tolist() == expected
        extra = dc.counts - 2 * np.array(enrolled)
        assert extra.min() >= 0 and extra.max() > 0  # the rare paths occur and are counted
        assert set(enrolled) == {10, 29}


def test_variate_floor_draws_an_exponential_and_a_uniform_per_patient(seed):
    # 5/2 patients per replicate on average; the checksum must equal the sum,
    # chunk by chunk, of those variates drawn one at a time by the engine's
    # own samplers (exponential gap, then uniform).
    from floor import variate_floor_run

    from simtrial.engine._rng import next_exponential

    n, num, den, chunk = 700, 5, 2, 64
    state = np.empty(2, dtype=np.uint64)
    per_chunk = []
    for lo in range(0, n, chunk):
        acc = 0.0
        for i in range(lo, min(n, lo + chunk)):
            seed_stream(state, np.uint64(seed), i)
            for _ in range((i + 1) * num // den - i * num // den):
                acc += next_exponential(state, 1.0)
                acc += next_double(state)
        per_chunk.append(acc)
    assert variate_floor_run(seed, n, num, den, chunk=chunk) == float(np.array(per_chunk).sum())


def test_variate_floor_draws_the_engines_numbers(seed):
    """Reference model: drawing one arrival and one uniform per enrolled patient from the
    engine's seed ends where the engine's replicate ends; one patient fewer does not."""
    from bench_engine import engine_parts
    from floor import measure_patients

    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    for idx in range(len(cfg.scenarios)):
        _, _, run_one = engine_parts(cfg, idx)
        pc = measure_patients(run_one, seed, 200)
        assert set(pc.counts.tolist()) == {10, 29}
        with pytest.raises(RuntimeError, match="replicate 0"):
            measure_patients(lambda state, i: run_one(state, i) - 1, seed, 5)
