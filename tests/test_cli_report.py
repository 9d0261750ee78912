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
    html = paths["html"].read_text(encoding="utf-8")
    assert "Statistical considerations" in html and "r1/n1 = 3/13, r/n = 12/43" in html


def test_report_out_option(run_dir, tmp_path):
    out = runner.invoke(app, ["report", str(run_dir), "--out", str(tmp_path / "rep")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "rep" / "report.html").exists()
    assert "report.html" in out.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing", "file not found"),
        (lambda d: (d / "broken").mkdir() or (d / "broken" / "result.json").write_text("{") and d / "broken",
         "is not valid JSON"),
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
