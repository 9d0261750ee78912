"""`simtrial report RESULTS_DIR`: loads a saved run and writes the report; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simtrial.cli import app

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from simtrial.engine import simulate
    from simtrial.io import save_run
    from simtrial.model import load_config

    res = simulate(load_config(CONFIGS / "binomial.yaml"), n_sim=500, seed=20261123, threads=1)
    return save_run(res, tmp_path_factory.mktemp("run"))


def test_report_writes_into_results_dir(run_dir):
    out = runner.invoke(app, ["report", str(run_dir), "--json"])
    assert out.exit_code == 0, out.output
    paths = {k: Path(v) for k, v in json.loads(out.stdout).items()}
    assert paths["html"] == run_dir / "report" / "report.html"
    assert paths["markdown"].exists() and paths["oc.pdf"].exists() and paths["oc.png"].exists()
    assert paths["pdf"] == run_dir / "report" / "report.pdf" and paths["pdf"].read_bytes()[:5] == b"%PDF-"
    html = paths["html"].read_text(encoding="utf-8")
    assert "Statistical considerations" in html and "r1/n1 = 3/13, r/n = 12/43" in html


def test_report_out_option(run_dir, tmp_path):
    out = runner.invoke(app, ["report", str(run_dir), "--out", str(tmp_path / "rep")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "rep" / "report.html").exists()
    assert "report.html" in out.stdout and f"pdf: {tmp_path / 'rep' / 'report.pdf'}" in out.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "results_dir: "),
        (lambda d: (d / "broken").mkdir() or (d / "broken" / "result.json").write_text("{") and d / "broken",
         "is not valid JSON"),
        # Valid JSON that is not a run result used to end in a KeyError / TypeError traceback.
        (lambda d: (d / "empty_obj").mkdir() or (d / "empty_obj" / "result.json").write_text("{}") and d / "empty_obj",
         "result.json is not a result written by `simtrial run`"),
        (lambda d: (d / "a_list").mkdir() or (d / "a_list" / "result.json").write_text("[1, 2]") and d / "a_list",
         "result.json is not a result written by `simtrial run`"),
    ],
)
def test_bad_results_dir_is_one_line_and_exit_2(tmp_path, make, message):
    target = make(tmp_path)
    out = runner.invoke(app, ["report", str(target)])
    assert out.exit_code == 2
    assert message in out.stderr
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.output + out.stderr


# --- sweep folders -------------------------------------------------------------------

SWEEP_SPEC = {
    "base": "binomial.yaml",
    "sweep": {"seed": 11, "fixed": {"simulation.n_sim": 200}, "axes": {"enrollment.rates.0.per_month": [1, 4]}},
}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    import shutil

    import yaml

    root = tmp_path_factory.mktemp("sweep")
    shutil.copy(CONFIGS / "binomial.yaml", root / "binomial.yaml")
    spec = root / "sweep.yaml"
    spec.write_text(yaml.safe_dump(SWEEP_SPEC), encoding="utf-8")
    out = runner.invoke(app, ["sweep", str(spec), "--out", str(root / "out"), "--no-progress", "--json"])
    assert out.exit_code == 0, out.output
    return root / "out"


def test_report_of_a_sweep_folder(sweep_dir):
    out = runner.invoke(app, ["report", str(sweep_dir), "--json"])
    assert out.exit_code == 0, out.output
    paths = {k: Path(v) for k, v in json.loads(out.stdout).items()}
    assert paths["html"] == sweep_dir / "report" / "report.html"
    # One axis: P(promising) and mean duration against it, no heatmap.
    assert sorted(k for k in paths if k.endswith(".pdf")) == [
        "duration_mean_months_vs_enrollment_rates_0_per_month.pdf", "p_promising_vs_enrollment_rates_0_per_month.pdf"]
    html = paths["html"].read_text(encoding="utf-8")
    assert "parameter sweep" in html and '<table id="table-cells">' in html and "sweep seed 11" in html


def test_report_of_an_unfinished_sweep_is_one_line_and_exit_2(sweep_dir, tmp_path):
    import shutil

    partial = tmp_path / "partial"
    shutil.copytree(sweep_dir, partial, ignore=shutil.ignore_patterns("report"))
    (partial / "sweep.parquet").unlink()
    out = runner.invoke(app, ["report", str(partial)])
    assert out.exit_code == 2
    assert "unfinished sweep (2 of 2 cells done)" in out.stderr and "--resume" in out.stderr
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.output + out.stderr
    assert not (partial / "report").exists()


def test_report_of_a_broken_sweep_manifest_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "manifest.json").write_text("{", encoding="utf-8")
    out = runner.invoke(app, ["report", str(tmp_path)])
    assert out.exit_code == 2
    assert "manifest.json is not valid JSON" in out.stderr
    assert out.stderr.count("\n") == 1
    assert "Traceback" not in out.output + out.stderr


def test_report_spec_of_another_sweep_is_refused(sweep_dir, tmp_path):
    import shutil

    import yaml

    shutil.copy(CONFIGS / "binomial.yaml", tmp_path / "binomial.yaml")
    other = {**SWEEP_SPEC, "sweep": {**SWEEP_SPEC["sweep"], "seed": 12}}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    out = runner.invoke(app, ["report", str(sweep_dir), "--spec", str(tmp_path / "other.yaml"), "--out", str(tmp_path)])
    assert out.exit_code == 2
    assert "--spec: " in out.stderr and "describes a different sweep" in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.output + out.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "does not exist; give a folder written by `simtrial run`"),
        (lambda d: (d / "afile").write_text("x") and d / "afile", "is a file, not a folder; give a folder written by"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "holds neither result.json nor manifest.json"),
    ],
)
def test_not_a_results_folder_says_what_is_allowed(tmp_path, make, message):
    # Used to say "file not found: X/result.json" or "cannot read ...: NotADirectoryError".
    out = runner.invoke(app, ["report", str(make(tmp_path))])
    assert out.exit_code == 2
    assert out.stderr.startswith("simtrial: error: results_dir: ") and message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.output + out.stderr


def test_report_out_that_is_a_file_is_one_line(run_dir, tmp_path):
    # Used to end in a NotADirectoryError traceback.
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = runner.invoke(app, ["report", str(run_dir), "--out", str(afile)])
    assert out.exit_code == 2
    assert out.stderr == f"simtrial: error: --out: {afile} is a file, not a folder; give a folder (it is created if missing)\n"


def test_report_missing_spec_names_the_option(sweep_dir, tmp_path):
    out = runner.invoke(app, ["report", str(sweep_dir), "--spec", str(tmp_path / "nope.yaml")])
    assert out.exit_code == 2
    assert out.stderr.startswith("simtrial: error: --spec: file not found") and out.stderr.count("\n") == 1


def test_report_help_shows_the_out_default():
    # "[default: ...]" in the help string was swallowed as rich markup.
    out = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0
    assert "(default: RESULTS_DIR/report/)" in out.stdout
