"""Running sweeps: backends agree bit for bit, resume recomputes nothing, results are right."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from simtrial.design import SimonDesign
from simtrial.errors import ConfigError
from simtrial.sweep import load_sweep, run_sweep
from simtrial.sweep.store import TABLE_COLUMNS

AXES = {"scenarios.alt.p_response": [0.15, 0.25, 0.35], "enrollment.rates.0.per_month": [1, 3]}


@pytest.fixture
def spec(make_spec):
    return load_sweep(make_spec({"axes": AXES}))


@pytest.fixture
def serial(spec, tmp_path):
    return run_sweep(spec, tmp_path / "serial")


def _cell_files(out_dir):
    return {p.stem: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (out_dir / "cells").glob("*.parquet")}


def test_table_shape_and_files(spec, serial, tmp_path):
    t = serial.table
    assert list(t.columns) == [*TABLE_COLUMNS[:2], *AXES, *TABLE_COLUMNS[2:]]
    n_metrics = t["metric"].nunique()
    assert len(t) == len(spec.cells) * 2 * n_metrics
    assert set(serial.computed) == {c.id for c in spec.cells} and serial.skipped == ()
    # Grid order: the first axis varies slowest.
    firsts = t.drop_duplicates("cell_id")
    assert list(firsts["scenarios.alt.p_response"]) == [0.15, 0.15, 0.25, 0.25, 0.35, 0.35]
    assert list(firsts["enrollment.rates.0.per_month"]) == [1, 3, 1, 3, 1, 3]
    assert list(firsts["cell_seed"]) == [c.seed for c in spec.cells]
    assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "sweep.parquet"), t, check_exact=True)
    # keep_default_na=False: a scenario called "null" is a name, not a missing value.
    csv = pd.read_csv(tmp_path / "serial" / "sweep.csv", keep_default_na=False, na_values=[""])
    assert_frame_equal(csv, t, check_exact=True, check_dtype=False)
    wide = serial.wide()
    assert len(wide) == len(spec.cells) * 2 and "p_promising" in wide.columns


def test_exact_values_and_monte_carlo_agreement(spec, serial):
    # The "alt" scenario has no toxicity and no survival model: it is the binomial
    # Simon design 0/9, 2/17, whose exact P(promising) and PET are closed-form.
    design = SimonDesign(0, 9, 2, 17)
    t = serial.table[serial.table["scenario"] == "alt"]
    for p in AXES["scenarios.alt.p_response"]:
        rows = t[t["scenarios.alt.p_response"] == p].set_index(["cell_id", "metric"])
        for metric, exact in (("p_promising", design.p_reject(p)), ("pet", design.pet(p))):
            sub = rows.xs(metric, level="metric")
            assert (sub["exact"] - exact).abs().max() < 1e-10
            # 4 Monte Carlo SE, the SE computed from the simulated proportion.
            se = (sub["value"] * (1 - sub["value"]) / 400).map(math.sqrt)
            assert ((sub["value"] - exact).abs() <= 4 * se).all()
            assert ((sub["se"] - se).abs() < 1e-12).all()


def test_joblib_processes_equal_serial_bit_for_bit(spec, serial, tmp_path):
    par = run_sweep(spec, tmp_path / "par", n_jobs=2)
    assert_frame_equal(par.table, serial.table, check_exact=True)
    assert (tmp_path / "par" / "sweep.csv").read_bytes() == (tmp_path / "serial" / "sweep.csv").read_bytes()


def test_dask_local_cluster_equals_serial_bit_for_bit(spec, serial, tmp_path):
    pytest.importorskip("distributed")
    dsk = run_sweep(spec, tmp_path / "dask", n_jobs=2, backend="dask")
    assert_frame_equal(dsk.table, serial.table, check_exact=True)
    assert (tmp_path / "dask" / "sweep.csv").read_bytes() == (tmp_path / "serial" / "sweep.csv").read_bytes()


class _Killed(Exception):
    pass


def test_killed_then_resumed_equals_uninterrupted(spec, serial, tmp_path):
    out = tmp_path / "resumed"

    def kill_after_three(finished: int, total: int) -> None:
        if finished == 3:
            raise _Killed

    with pytest.raises(_Killed):
        run_sweep(spec, out, progress=kill_after_three)
    before = _cell_files(out)
    assert len(before) == 3
    assert not (out / "sweep.parquet").exists()

    with pytest.raises(ConfigError, match="already holds a sweep; pass --resume"):
        run_sweep(spec, out)
    calls = []
    resumed = run_sweep(spec, out, resume=True, progress=lambda f, t: calls.append(f))
    assert calls[0] == 3 and calls[-1] == len(spec.cells)
    assert set(resumed.skipped) == set(before)
    assert set(resumed.computed) == {c.id for c in spec.cells} - set(before)
    after = _cell_files(out)
    assert {k: after[k] for k in before} == before  # finished cells were not rewritten
    assert_frame_equal(resumed.table, serial.table, check_exact=True)
    assert (out / "sweep.csv").read_bytes() == (tmp_path / "serial" / "sweep.csv").read_bytes()

    # Resuming a finished sweep computes nothing.
    again = run_sweep(spec, out, resume=True)
    assert again.computed == () and _cell_files(out) == after


def test_resume_refuses_a_different_sweep(spec, make_spec, tmp_path):
    out = tmp_path / "o"
    run_sweep(load_sweep(make_spec({"axes": {"scenarios.alt.p_response": [0.2]}}, name="one.yaml")), out)
    with pytest.raises(ConfigError, match="holds a different sweep") as info:
        run_sweep(spec, out, resume=True)
    assert info.value.key == "--resume"


def test_resume_refuses_a_sweep_begun_by_other_code(spec, tmp_path):
    import json

    out = tmp_path / "o"
    with pytest.raises(_Killed):
        run_sweep(spec, out, progress=lambda f, t: (_ for _ in ()).throw(_Killed) if f == 2 else None)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["code_version"] = "0.0.1 (source 000000000000)"
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match=r"begun by simtrial 0\.0\.1 \(source 000000000000\) and this is") as info:
        run_sweep(spec, out, resume=True)
    assert info.value.key == "--resume"


def test_cells_of_another_sweep_are_recomputed_not_mixed_in(spec, make_spec, serial, tmp_path):
    # Cells left in a folder whose manifest was lost: the same cells (ids,
    # seeds) of a sweep with another replicate count must not be reused.
    import shutil

    other = load_sweep(make_spec({"axes": AXES, "fixed": {"simulation.n_sim": 500}}, name="other.yaml"))
    assert [c.id for c in other.cells] == [c.id for c in spec.cells] and other.fingerprint != spec.fingerprint
    out = tmp_path / "lost"
    shutil.copytree(tmp_path / "serial", out)
    (out / "manifest.json").unlink()
    resumed = run_sweep(other, out, resume=True)
    assert resumed.skipped == () and set(resumed.computed) == {c.id for c in other.cells}
    assert_frame_equal(resumed.table, run_sweep(other, tmp_path / "fresh").table, check_exact=True)


def test_a_cell_does_not_depend_on_the_rest_of_the_grid(make_spec, tmp_path):
    a = run_sweep(load_sweep(make_spec({"axes": {"scenarios.alt.p_response": [0.15, 0.25]}}, name="a.yaml")), tmp_path / "a")
    b = run_sweep(load_sweep(make_spec({"axes": {"scenarios.alt.p_response": [0.25, 0.35, 0.45]}}, name="b.yaml")), tmp_path / "b")
    shared_a = a.table[a.table["scenarios.alt.p_response"] == 0.25].reset_index(drop=True)
    shared_b = b.table[b.table["scenarios.alt.p_response"] == 0.25].reset_index(drop=True)
    assert_frame_equal(shared_a, shared_b, check_exact=True)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"backend": "spark"}, "--backend"),
        ({"scheduler": "tcp://127.0.0.1:1"}, "--scheduler"),
        ({"n_jobs": 0}, "--n-jobs"),
    ],
)
def test_bad_run_options(spec, tmp_path, kwargs, key):
    with pytest.raises(ConfigError) as info:
        run_sweep(spec, tmp_path / "x", **kwargs)
    assert info.value.key == key


def test_second_driver_on_a_running_sweep_is_refused(spec, tmp_path):
    from simtrial.sweep.store import SweepStore

    holder = SweepStore(tmp_path / "busy", spec)
    holder.open(resume=False)
    try:
        with pytest.raises(ConfigError, match="another sweep is running in") as info:
            run_sweep(spec, tmp_path / "busy", resume=True)
        assert info.value.key == "--out"
    finally:
        holder.close()
    assert len(run_sweep(spec, tmp_path / "busy", resume=True).computed) == len(spec.cells)


def test_cell_rows_equal_a_direct_simulation(spec, serial):
    # A cell is exactly simulate(cell config, seed=cell seed), whatever the thread count.
    from simtrial.engine import simulate

    cell = spec.cells[4]
    cfg = spec.cell_config(cell)
    assert cfg.scenarios[1].p_response == 0.35 and cfg.enrollment.rates[0].per_month == 1
    direct = simulate(cfg, seed=cell.seed, threads=2).to_frame()
    rows = serial.table[serial.table["cell_id"] == cell.id].reset_index(drop=True)
    assert rows["scenario"].tolist() == direct["scenario"].tolist()
    assert rows["metric"].tolist() == direct["metric"].tolist()
    for col in ("value", "se", "exact"):
        expected = pd.to_numeric(direct[col]).astype("float64").reset_index(drop=True)
        assert_frame_equal(rows[[col]], expected.to_frame(col), check_exact=True)
