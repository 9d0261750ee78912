"""A run folder reproduces its run and is never silently overwritten (issue 16, section 3)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simtrial.cli import app

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["run", *args])


def _one_error_line(res, *needles: str) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simtrial: error: "), res.stderr
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_saved_config_reproduces_the_run_with_its_overrides(tmp_path, seed):
    # --seed, --n-sim and --threads differ from the config's; the saved config must carry them.
    first = tmp_path / "first"
    res = _run(str(CONFIGS / "len_dex.yaml"), "--seed", str(seed), "--n-sim", "3001", "--threads", "1",
               "--out", str(first), "--json")
    assert res.exit_code == 0, res.output
    again = tmp_path / "again"
    res = _run(str(first / "config.yaml"), "--out", str(again), "--json")
    assert res.exit_code == 0, res.output
    assert (again / "summary.csv").read_bytes() == (first / "summary.csv").read_bytes()
    a, b = (json.loads((d / "result.json").read_text()) for d in (first, again))
    assert b["seed"] == seed and b["n_sim"] == 3001 and b["threads"] == 1
    assert a["units"] == b["units"]  # every metric, histogram and curve, exactly
    assert a["config"] == b["config"]


def test_a_folder_holding_another_run_is_refused_unless_overwrite(tmp_path, seed):
    out = tmp_path / "run"
    cfg = str(CONFIGS / "binomial.yaml")
    assert _run(cfg, "--n-sim", "500", "--seed", str(seed), "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    res = _run(cfg, "--n-sim", "500", "--seed", str(seed + 1), "--out", str(out))
    _one_error_line(res, f"--out: {out} already holds a run of binomial (seed {seed}, 500 replicates", "--overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing touched
    # The same run again (same config, seed and replicates) writes the same numbers: allowed.
    res = _run(cfg, "--n-sim", "500", "--seed", str(seed), "--threads", "1", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert (out / "summary.csv").read_bytes() == before["summary.csv"]
    res = _run(cfg, "--n-sim", "500", "--seed", str(seed + 1), "--out", str(out), "--overwrite")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "metadata.json").read_text())["seed"] == seed + 1


def test_overwriting_never_leaves_the_earlier_report_beside_new_results(tmp_path, seed):
    out = tmp_path / "run"
    cfg = str(CONFIGS / "binomial.yaml")
    assert _run(cfg, "--n-sim", "300", "--seed", str(seed), "--out", str(out), "--report").exit_code == 0
    assert f"seed {seed}," in (out / "report" / "report.md").read_text()
    assert _run(cfg, "--n-sim", "300", "--seed", str(seed + 1), "--out", str(out), "--overwrite").exit_code == 0
    assert not (out / "report").exists()
    assert _run(cfg, "--n-sim", "300", "--seed", str(seed + 2), "--out", str(out), "--overwrite",
                "--report").exit_code == 0
    assert f"seed {seed + 2}," in (out / "report" / "report.md").read_text()
    assert not [p for p in out.rglob("*.tmp")]


def test_metadata_records_versions_platform_and_commit(tmp_path, seed):
    import platform

    out = tmp_path / "run"
    assert _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "200", "--seed", str(seed), "--out", str(out)).exit_code == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["python"] == platform.python_version()
    for package in ("numpy", "numba", "scipy"):
        assert meta[package] == version(package)
    assert meta["platform"] == platform.platform()
    from simtrial._provenance import code_version, git_commit

    assert meta["code_version"] == code_version()
    git = git_commit()
    if git is None:  # an installed copy without .git: said so, not invented
        assert meta["git_commit"] is None
    else:
        assert meta["git_commit"] == git[0] and len(git[0]) == 40 and meta["git_dirty"] == git[1]


def test_version_option_prints_the_version(capsys):
    from simtrial import __version__
    from simtrial.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert out.startswith(f"simtrial {__version__} (source ") and out.count("\n") == 1


def test_replicates_that_cannot_fit_in_memory_are_refused_before_running(tmp_path):
    # Used to end, after the run had started, in numpy's "Unable to allocate" traceback.
    out = tmp_path / "big"
    res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", str(10**12), "--replicates", "--out", str(out))
    _one_error_line(res, "--replicates: 3 scenario(s) x 1,000,000,000,000 replicates", "of memory")
    assert not out.exists()


def test_replicates_that_cannot_fit_on_disk_are_refused(tmp_path, monkeypatch):
    import simtrial._budget as budget

    size = budget.replicates_size(3, 1000)
    assert size.rows == 3000
    assert size.disk_bytes == 3000 * (len(budget.record_columns()) + len(budget._EXTRA_COLUMNS)) * 8
    monkeypatch.setattr(budget, "free_disk", lambda folder: size.disk_bytes - 1)
    res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "1000", "--replicates", "--out", str(tmp_path / "o"))
    _one_error_line(res, "--replicates:", "on disk", "is free for")
    monkeypatch.setattr(budget, "free_disk", lambda folder: size.disk_bytes)
    res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "1000", "--replicates", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output


def test_a_long_run_says_so_before_starting(tmp_path, monkeypatch):
    import simtrial._budget as budget

    # Every run counts as long here; the pilot's estimate is printed on stderr, before the table.
    monkeypatch.setattr(budget, "PILOT_MIN_TRIALS", 0)
    monkeypatch.setattr(budget, "LONG_RUN_SECONDS", 0.0)
    res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "40000", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith("simtrial: this run is expected to take about ")
    assert "3 scenario(s) x 40,000 replicates at about " in res.stderr and " per second" in res.stderr
    # A short run, with the real thresholds, says nothing.
    monkeypatch.undo()
    res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "400", "--out", str(tmp_path / "p"))
    assert res.exit_code == 0 and res.stderr == ""


def test_the_progress_bar_shows_replicates_per_second_and_time_left():
    from rich.console import Console

    from simtrial.cli import run_progress

    err = Console(force_terminal=True, record=True, width=160)
    with run_progress(1_000_000, err) as advance:
        for _ in range(3):
            advance(100_000)
            time.sleep(0.05)
        # The bar is transient (cleared at the end); its frames are in the recording.
        text = err.export_text(clear=False)
    assert re.search(r"\d00000/1000000 [\d,]+ replicates/s", text), text
    assert re.search(r"left \d+:\d\d:\d\d", text), text  # an estimate, not -:--:--


# --- two processes, one folder -----------------------------------------------------


def _start_long_run(out: Path) -> subprocess.Popen:
    """``simtrial run`` in a process of its own, long enough to be caught mid-simulation."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from simtrial.cli import main; main()", "run", str(CONFIGS / "len_dex.yaml"),
         "--n-sim", "4000000", "--threads", "1", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A test runner started in the background may ignore SIGINT; the child must not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    from simtrial.errors import ConfigError
    from simtrial.io import FolderLock

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode())
        if out.exists():
            try:
                FolderLock(out, key="", busy="").acquire().release()
            except ConfigError:
                return proc  # the run holds its folder: it is past its checks
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the run never took its folder")


def test_two_runs_into_one_folder_cannot_both_proceed(tmp_path, seed):
    out = tmp_path / "shared"
    proc = _start_long_run(out)
    try:
        res = _run(str(CONFIGS / "binomial.yaml"), "--n-sim", "100", "--seed", str(seed), "--out", str(out))
        _one_error_line(res, f"--out: another simtrial command is writing in {out}")
    finally:
        proc.kill()
        proc.wait()


def test_ctrl_c_during_a_run_writes_nothing_and_says_so(tmp_path):
    out = tmp_path / "interrupted"
    proc = _start_long_run(out)
    time.sleep(1.0)  # into the simulation (the whole run takes about 20 s on one thread)
    os.kill(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = err.decode()
    assert proc.returncode == 130, err
    assert err == f"simtrial: interrupted; nothing was written to {out}\n"
    assert not out.exists()  # the folder it had made is gone, with its lock file
