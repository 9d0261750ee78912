"""The specialised kernel of the reference model computes exactly the engine's totals (exact tier).

It is a yardstick for the engine's speed (benchmarks/bench_engine.py), so it
must simulate the same trials from the same draws and produce the same
outputs: every count, histogram and float sum equal to the engine's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import three_designs  # noqa: E402
from specialised import specialised_run  # noqa: E402

from simtrial.engine._rng import run_key  # noqa: E402
from simtrial.engine.outcomes import C_PROMISING_INTERIM  # noqa: E402
from simtrial.engine.pack import most_enrolled, pack_designs, pack_model  # noqa: E402
from simtrial.engine.simulate import _pairs, _run  # noqa: E402
from simtrial.model import load_config, parse_config  # noqa: E402


def _engine_totals(cfg, n, seed):
    designs = cfg.resolved_designs()
    model = pack_model(cfg, most_enrolled(cfg, designs), designs)
    tot, _ = _run(model, pack_designs(cfg, designs), run_key(seed), n, False, None, _pairs(cfg, designs), 1)
    return tot


@pytest.mark.parametrize("threads", [1, 2])
def test_totals_equal_the_engines(threads):
    cfg = load_config(ROOT / "benchmarks" / "reference.yaml")
    n = 20_000  # three chunks, the last one partial
    want = _engine_totals(cfg, n, 11)
    got = specialised_run(cfg, n, 11, threads=threads)
    assert set(got) == set(want)
    for k in want:
        assert got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]), k
    # Something was simulated: every replicate is a trial in both scenarios.
    assert want["cat"].sum() == 2 * n


def test_three_scenarios_and_another_simon_design():
    raw = load_config(ROOT / "benchmarks" / "reference.yaml").to_dict()
    raw["design"] = {"r1": 1, "n1": 15, "r": 5, "n": 25, "pause_after_stage1": True}
    raw["scenarios"].append({"name": "high", "p_response": 0.5, "p_tox": 0.3})
    cfg = parse_config(raw)
    want = _engine_totals(cfg, 9000, 3)
    got = specialised_run(cfg, 9000, 3)
    for k in want:
        assert np.array_equal(got[k], want[k]), k


def test_three_designs_on_one_cohort():
    """Simon's optimal and minimax designs and Mander & Thompson's (a stage-1 efficacy stop), paired."""
    cfg = three_designs(load_config(ROOT / "benchmarks" / "reference.yaml"))
    want = _engine_totals(cfg, 9000, 5)
    got = specialised_run(cfg, 9000, 5, threads=2)
    assert want["cat"].shape[0] == 6 and want["pair"].shape[0] == 9
    for k in want:
        assert np.array_equal(got[k], want[k]), k
    # The efficacy stop was taken: promising at look 1 in Mander & Thompson's design only.
    assert want["cat"][[1, 4], C_PROMISING_INTERIM, 1].sum() == 0 < want["cat"][[2, 5], C_PROMISING_INTERIM, 1].sum()


def test_other_models_are_refused():
    with pytest.raises(ValueError, match="no survival"):
        specialised_run(load_config(ROOT / "configs" / "len_dex.yaml"), 10, 1)
