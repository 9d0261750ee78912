"""Same seed => bit-identical results for any thread count; results survive save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simtrial.engine import simulate
from simtrial.engine.simulate import _BATCH_CHUNKS, CHUNK_SIZE
from simtrial.io import load_run, save_run
from simtrial.model import load_config


def _frames_equal(a, b) -> None:
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), check_exact=True)
    for sa, sb in zip(a.scenarios, b.scenarios):
        assert np.array_equal(sa.duration_hist[1], sb.duration_hist[1])
        assert np.array_equal(sa.enrolled_counts, sb.enrolled_counts)
        assert np.array_equal(sa.accrual_curve[1], sb.accrual_curve[1])
        assert np.array_equal(sa.rdi_hist[1], sb.rdi_hist[1])
        assert np.array_equal(sa.survival_sample[0], sb.survival_sample[0])


@pytest.mark.parametrize("path", ["configs/len_dex.yaml", "benchmarks/reference.yaml"])  # general, lean path
def test_threads_do_not_change_results(path, seed):
    cfg = load_config(path)
    # Several chunks and batches (simulate.CHUNK_SIZE, _BATCH_CHUNKS), so the
    # parallel split really differs.
    n = CHUNK_SIZE * _BATCH_CHUNKS + 3 * CHUNK_SIZE + 1
    one = simulate(cfg, n_sim=n, seed=seed, threads=1)
    two = simulate(cfg, n_sim=n, seed=seed, threads=2)
    assert one.threads == 1 and two.threads == 2
    _frames_equal(one, two)


def test_seed_changes_results(seed):
    cfg = load_config("configs/len_dex.yaml")
    a = simulate(cfg, n_sim=5000, seed=seed)
    b = simulate(cfg, n_sim=5000, seed=seed + 1)
    assert a.to_frame()["value"].tolist() != b.to_frame()["value"].tolist()


def test_replicates_agree_with_summary(seed):
    cfg = load_config("configs/cytotoxic_monitored.yaml")
    res = simulate(cfg, n_sim=3000, seed=seed, replicates=True)
    for s in res.scenarios:
        reps = res.replicates[res.replicates.scenario == s.name]
        assert s.metrics["p_promising"].value == reps["promising"].mean()
        assert s.metrics["en_enrolled"].value == reps["enrolled"].sum() / len(reps)
        assert np.array_equal(np.bincount(reps["enrolled"], minlength=len(s.enrolled_counts)), s.enrolled_counts)
        # Every replicate ends in exactly one category, and the categories' shares are the metrics.
        shares = reps["category"].astype(str).value_counts(normalize=True)
        assert s.metrics["p_stop_tox"].value == shares.get("stopped_toxicity", 0.0)
        assert s.metrics["pet"].value == shares.get("futile_interim", 0.0)
        assert reps["promising"].tolist() == reps["category"].astype(str).str.startswith("promising").tolist()


def test_save_and_load_round_trip(tmp_path, seed):
    cfg = load_config("configs/len_dex.yaml")
    res = simulate(cfg, n_sim=3000, seed=seed, replicates=True)
    save_run(res, tmp_path)
    for name in ("summary.csv", "config.yaml", "metadata.json", "result.json", "replicates.parquet"):
        assert (tmp_path / name).is_file()
    back = load_run(tmp_path)
    assert back.design == res.design and back.seed == seed and back.n_sim == 3000
    _frames_equal(res, back)
    pd.testing.assert_frame_equal(back.replicates, res.replicates)
    # The saved config is loadable and is the same model, with the replicates, seed and threads used.
    again = load_config(tmp_path / "config.yaml")
    assert again.model_copy(update={"simulation": cfg.simulation}) == cfg
    assert (again.simulation.n_sim, again.simulation.seed, again.simulation.threads) == (3000, seed, res.threads)


def test_a_folder_reused_by_another_run_never_mixes_the_two(tmp_path, seed):
    import json
    import shutil

    from simtrial.errors import ConfigError

    cfg = load_config("benchmarks/reference.yaml")
    first = simulate(cfg, n_sim=2000, seed=seed, replicates=True)
    second = simulate(cfg, n_sim=3000, seed=seed + 1)
    save_run(first, tmp_path / "a")
    # A kill after the new run's result.json but before the earlier replicates
    # are removed: load_run must not pass them off as the new run's.
    shutil.copytree(tmp_path / "a", tmp_path / "killed")
    (tmp_path / "a" / ".replicates.parquet.x1y2.tmp").write_bytes(b"half a file")  # an interrupted write
    save_run(second, tmp_path / "a")
    assert not (tmp_path / "a" / "replicates.parquet").exists()
    assert not list((tmp_path / "a").glob(".*.tmp"))
    shutil.copy(tmp_path / "a" / "result.json", tmp_path / "killed" / "result.json")
    for folder in ("a", "killed"):
        back = load_run(tmp_path / folder)
        assert back.seed == seed + 1 and back.n_sim == 3000 and back.replicates is None
        _frames_equal(second, back)
    # A kill after the new replicates but before the new result.json: the
    # earlier result.json names other replicates, and load_run says so.
    third = simulate(cfg, n_sim=1000, seed=seed + 2, replicates=True)
    save_run(first, tmp_path / "b")
    save_run(third, tmp_path / "c")
    shutil.copy(tmp_path / "c" / "replicates.parquet", tmp_path / "b" / "replicates.parquet")
    with pytest.raises(ConfigError, match="is not the file written with"):
        load_run(tmp_path / "b")
    # Folders written before result.json named its files still load.
    legacy = json.loads((tmp_path / "c" / "result.json").read_text())
    del legacy["files"]
    (tmp_path / "c" / "result.json").write_text(json.dumps(legacy))
    pd.testing.assert_frame_equal(load_run(tmp_path / "c").replicates, third.replicates)


def test_threads_do_not_change_several_designs(seed, monkeypatch):
    """Several designs on one cohort: bit-identical for 1 and 2 threads, across chunks and batches."""
    import importlib

    sim = importlib.import_module("simtrial.engine.simulate")
    monkeypatch.setattr(sim, "_BATCH_CHUNKS", 3)  # several batches at a modest n_sim
    cfg = load_config("configs/len_dex_designs.yaml")
    n = CHUNK_SIZE * 7 + 11
    one = simulate(cfg, n_sim=n, seed=seed, threads=1)
    two = simulate(cfg, n_sim=n, seed=seed, threads=2)
    _frames_equal(one, two)
    assert [d.to_dict() for d in one.differences] == [d.to_dict() for d in two.differences]
    for a, b in zip(one.units, two.units):
        assert np.array_equal(a.decisions, b.decisions)
