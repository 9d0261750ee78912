"""The ``simtrial sweep`` command: runs, resumes, and rejects bad input with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from simtrial.cli import app
from simtrial.sweep import parse_sweep, run_sweep

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
EXAMPLE = CONFIGS / "sweep_accrual_response.yaml"
runner = CliRunner()


def _spec(tmp_path: Path, sweep: dict, name: str = "sweep.yaml") -> Path:
    """A sweep file over the example config (one scenario, "truth"), with few replicates."""
    sweep = {**sweep, "fixed": {"simulation.n_sim": 300, **sweep.get("fixed", {})}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"base": str(EXAMPLE), "sweep": sweep}), encoding="utf-8")
    return path


def _ok(args: list[str]):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res


def test_sweep_runs_and_resumes(tmp_path):
    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2, 0.3], "design.kind": ["optimal"]}})
    out = tmp_path / "out"
    res = _ok(["sweep", str(spec), "--out", str(out), "--no-progress"])
    assert "2 cells computed, 0 already finished" in res.output
    assert "P(promising)" in res.output and (out / "sweep.parquet").exists() and (out / "sweep.csv").exists()
    res = _ok(["sweep", str(spec), "--out", str(out), "--resume", "--json"])
    summary = json.loads(res.stdout)
    assert summary["n_cells"] == 2 and summary["computed"] == 0 and summary["skipped"] == 2


@pytest.mark.parametrize(
    ("sweep", "needle"),
    [
        ({"axes": {"scenarios.truth.p_respons": [0.2, 0.3]}}, "sweep.axes.scenarios.truth.p_respons: value 0.2"),
        ({"axes": {"scenarios.truth.p_response": [0.2, 2.0]}}, "sweep.axes.scenarios.truth.p_response: value 2.0"),
        ({"axes": {"scenarios.truth.p_response": {"start": 0.1, "stop": 0.5}}}, "axis 'scenarios.truth.p_response': give exactly one of step or num"),
        ({"axes": {"scenarios.later.p_response": [0.2]}}, "sweep.axes.scenarios.later.p_response: unknown config path"),
        ({"axes": {"design.p0": [0.1, 0.15], "design.p1": [0.3, 0.35, 0.4]}, "mode": "zip"}, "axis 'design.p1' has 3 values"),
    ],
)
def test_malformed_spec_exits_2_naming_the_axis(tmp_path, sweep, needle):
    spec = _spec(tmp_path, sweep)
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert needle in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()  # nothing ran


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--backend", "spark"], "--backend: must be one of local, dask"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler: needs --backend dask"),
        (["--n-jobs", "0"], "--n-jobs: must be a positive integer or -1"),
    ],
)
def test_bad_options_exit_2(tmp_path, args, needle):
    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2]}})
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 2 and needle in res.stderr and "Traceback" not in res.output
    # One line: the progress bar is not started (and leaves no blank line) before the options are checked.
    assert res.stderr == res.stderr.strip() + "\n" and res.stderr.count("\n") == 1, repr(res.stderr)


def test_existing_out_without_resume_and_missing_file(tmp_path):
    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2]}})
    out = tmp_path / "o"
    _ok(["sweep", str(spec), "--out", str(out), "--no-progress"])
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(out)])
    assert res.exit_code == 2 and "already holds a sweep; pass --resume" in res.stderr
    assert res.stderr.count("\n") == 1, repr(res.stderr)
    res = runner.invoke(app, ["sweep", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "file not found" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("sweep_*.yaml")), ids=lambda p: p.name)
def test_example_sweeps_load_and_run_small(path, tmp_path):
    # Every cell of the example is validated; then the same grid runs with few replicates.
    data = yaml.safe_load(path.read_text())
    full = parse_sweep(data, source=str(path), base_dir=path.parent)
    assert len(full.cells) >= 4
    data["sweep"].setdefault("fixed", {})["simulation.n_sim"] = 100
    small = parse_sweep(data, source=str(path), base_dir=path.parent)
    assert [c.identity for c in small.cells] == [c.identity for c in full.cells]
    outcome = run_sweep(small, tmp_path / "out", n_jobs=2)
    assert len(outcome.computed) == len(full.cells)
    assert outcome.table["value"].notna().all()


def _sweep_until_a_cell(spec: Path, out: Path, *extra: str):
    """Start ``simtrial sweep`` in a process of its own; return it once its first cell is on disk."""
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-c", "from simtrial.cli import main; main()", "sweep", str(spec), "--out", str(out),
         "--no-progress", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not list((out / "cells").glob("*.parquet")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        time.sleep(0.01)
    return proc


def test_driver_killed_mid_sweep_then_resumed(tmp_path):
    # A real kill: SIGKILL the `simtrial sweep` process once its first cell is on
    # disk, then --resume. Cells take ~0.3 s each, so the kill lands mid-sweep.
    import os
    import signal

    from simtrial.sweep import load_sweep

    spec = _spec(
        tmp_path,
        {"axes": {"scenarios.truth.p_response": [0.1, 0.2, 0.3], "enrollment.rates.0.per_month": [1, 3]},
         "fixed": {"simulation.n_sim": 100_000}},
    )
    out = tmp_path / "killed"
    proc = _sweep_until_a_cell(spec, out)
    try:
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done = {p.stem: p.stat().st_mtime_ns for p in (out / "cells").glob("*.parquet")}
    assert 1 <= len(done) < 6
    assert not (out / "sweep.parquet").exists()

    res = _ok(["sweep", str(spec), "--out", str(out), "--resume", "--json"])
    summary = json.loads(res.stdout)
    assert summary["skipped"] == len(done) and summary["computed"] == 6 - len(done)
    assert {k: (out / "cells" / f"{k}.parquet").stat().st_mtime_ns for k in done} == done
    assert not list((out / "cells").glob(".*.tmp"))

    full = run_sweep(load_sweep(spec), tmp_path / "full")
    assert_frame_equal(pd.read_parquet(out / "sweep.parquet"), full.table, check_exact=True)
    assert (out / "sweep.csv").read_bytes() == (tmp_path / "full" / "sweep.csv").read_bytes()


def test_worker_killed_mid_sweep_exits_1_then_resumed(tmp_path):
    # A real worker death: SIGKILL one of the sweep's loky worker processes once
    # the first cell is on disk. The input was valid, so the exit code is 1 (not
    # 2), with one line saying how many cells are saved; --resume finishes the rest.
    import os
    import signal

    import psutil

    spec = _spec(
        tmp_path,
        {"axes": {"scenarios.truth.p_response": [0.1, 0.2, 0.3, 0.4], "enrollment.rates.0.per_month": [1, 2, 3]},
         "fixed": {"simulation.n_sim": 200_000}},
    )
    out = tmp_path / "out"
    proc = _sweep_until_a_cell(spec, out, "--n-jobs", "2")
    try:
        workers = [c for c in psutil.Process(proc.pid).children(recursive=True)
                   if "LokyProcess" in " ".join(c.cmdline())]
        assert workers
        os.kill(workers[0].pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err.decode()
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert lines[0].startswith("simtrial: error: a worker process died") and "--resume" in lines[0]
    assert "Traceback" not in err
    # joblib's resource tracker, a process of its own, may add a warning that a
    # temporary folder it was told of never existed; nothing else may follow.
    assert all("resource_tracker" in line for line in lines[1:]), err
    done = len(list((out / "cells").glob("*.parquet")))
    assert 1 <= done < 12 and f"{done} of 12 cells are saved in {out}" in lines[0]

    res = _ok(["sweep", str(spec), "--out", str(out), "--resume", "--json"])
    summary = json.loads(res.stdout)
    assert summary["n_cells"] == 12 and summary["skipped"] == done and summary["computed"] == 12 - done


def test_dask_scheduler_option_equals_serial(tmp_path):
    # A running cluster reached through --scheduler, as on several workstations.
    distributed = pytest.importorskip("distributed")
    import logging

    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2, 0.3, 0.4]}})
    serial = tmp_path / "serial"
    _ok(["sweep", str(spec), "--out", str(serial), "--no-progress"])
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        out = tmp_path / "cluster"
        _ok(["sweep", str(spec), "--out", str(out), "--backend", "dask", "--scheduler", cluster.scheduler_address, "--no-progress"])
    assert (out / "sweep.csv").read_bytes() == (serial / "sweep.csv").read_bytes()
    assert (out / "sweep.parquet").read_bytes() == (serial / "sweep.parquet").read_bytes()


def test_out_that_is_a_file_exits_2_before_running(tmp_path):
    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2]}})
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = runner.invoke(app, ["sweep", str(spec), "--out", str(afile)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr == f"simtrial: error: --out: {afile} is a file, not a folder; give a folder (it is created if missing)\n"


def test_sweep_table_fits_an_80_column_terminal():
    # Long dotted axis names used to force a 136-column table even in an 80-column terminal.
    from rich.console import Console

    from simtrial.cli import print_table, sweep_table

    cols = ["scenarios.truth.p_response", "enrollment.rates.0.per_month", "scenario", "p_promising", "pet",
            "en_enrolled", "duration_mean_months"]
    cells = [["0.05", "1", "truth", "0.00094", "0.9284", "11.36", "12.28"]]
    con = Console(width=80, force_terminal=True, record=True, highlight=False)
    table = sweep_table("Sweep s.yaml: 40 cells", cols, cells, split_paths=True)
    print_table(con, table)
    lines = con.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for value in cells[0]:
        assert value in text  # no value cut


def test_sweep_table_piped_is_not_cut(tmp_path):
    spec = _spec(tmp_path, {"axes": {"scenarios.truth.p_response": [0.2], "enrollment.rates.0.per_month": [2]}})
    res = _ok(["sweep", str(spec), "--out", str(tmp_path / "o"), "--no-progress"])
    assert "scenarios.truth.p_response" in res.stdout and "enrollment.rates.0.per_month" in res.stdout
    last = res.stdout.strip().splitlines()[-1]
    assert last.startswith("1 cells computed") and last.endswith("sweep.csv")  # the footer is never hard-wrapped
