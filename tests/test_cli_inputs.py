"""Command-line input that used to be silently misread or accepted (issue 16, section 4)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from simtrial.cli import app

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
runner = CliRunner()


def _one_line(res, needle: str) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("simtrial: error: "), res.stderr
    assert needle in res.stderr


def test_infer_with_no_stage_2_patients_but_more_than_r1_responses():
    # 4 responses > r1 = 1: the trial went on to stage 2, so "0 stage-2 patients" cannot be right;
    # it used to print an analysis of a trial that had stopped after stage 1.
    args = ["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "4", "--p0", "0.1"]
    _one_line(runner.invoke(app, [*args, "--n2-actual", "0"]), "--n2-actual: 0 means no stage-2 patient")
    assert runner.invoke(app, [*args, "--n2-actual", "15"]).exit_code == 0
    stopped = ["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "1", "--p0", "0.1", "--n2-actual", "0"]
    assert runner.invoke(app, stopped).exit_code == 0  # x <= r1: no stage 2, as it says


def test_threads_above_the_core_count_are_capped_and_said_so(tmp_path):
    import numba

    most = numba.config.NUMBA_NUM_THREADS
    res = runner.invoke(app, ["run", str(CONFIGS / "binomial.yaml"), "--n-sim", "200", "--threads", str(most + 7),
                              "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0, res.output
    assert res.stderr == f"simtrial: --threads {most + 7} capped at {most}, the number of cores numba can use here\n"
    import json

    assert json.loads((tmp_path / "o" / "metadata.json").read_text())["threads"] == most
    res = runner.invoke(app, ["run", str(CONFIGS / "binomial.yaml"), "--n-sim", "200", "--threads", str(most),
                              "--out", str(tmp_path / "o"), "--json"])
    assert res.exit_code == 0 and res.stderr == ""


def test_resume_of_a_folder_that_does_not_exist(tmp_path):
    spec = str(CONFIGS / "sweep_accrual_response.yaml")
    missing = tmp_path / "no_such_sweep"
    _one_line(runner.invoke(app, ["sweep", spec, "--out", str(missing), "--resume"]),
              f"--resume: {missing} does not exist, so there is nothing to resume")
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line(runner.invoke(app, ["sweep", spec, "--out", str(empty), "--resume"]),
              f"--resume: {empty} holds no sweep (no manifest.json)")


def test_worker_timeout_needs_the_dask_backend(tmp_path):
    spec = str(CONFIGS / "sweep_accrual_response.yaml")
    _one_line(runner.invoke(app, ["sweep", spec, "--out", str(tmp_path / "o"), "--worker-timeout", "5"]),
              "--worker-timeout: only with --backend dask")
    _one_line(runner.invoke(app, ["sweep", spec, "--out", str(tmp_path / "o"), "--backend", "dask",
                                  "--worker-timeout", "0"]), "--worker-timeout: must be a number of seconds > 0")
