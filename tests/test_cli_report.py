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
