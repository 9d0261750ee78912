"""`simtrial size`: tables, JSON, plots and bad input through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from simtrial.cli import app

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "len_dex_followup.yaml"
runner = CliRunner()


def _bad(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text
    for n in needles:
        assert n in text, text


def test_size_json(seed):
    res = runner.invoke(app, ["size", str(CONFIG), "--json", "--n-sim", "300", "--seed", str(seed)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["seed"] == seed
    assert out["single_arm"]["chosen"] == {"kind": "optimal", "r1": 3, "n1": 13, "r": 12, "n": 43}
    rz = out["randomized"]
    assert rz["n_sim"] == 300 and rz["endpoint"] == "survival"
    assert len(rz["table"]) == len(range(170, 291, 8))
    assert rz["statement"].startswith(("N* =", "No candidate"))
    assert out["assurance"]["prior"] == "Beta(3, 6)"


def test_size_tables_and_plots(tmp_path, seed):
    res = runner.invoke(app, ["size", str(CONFIG), "--n-sim", "200", "--plot", str(tmp_path), "--no-progress"])
    assert res.exit_code == 0, res.output
    for text in ("Single-arm follow-up", "Simon optimal", "Randomized follow-up", "Schoenfeld", "Assurance"):
        assert text in res.stdout
    for name in ("followup_power.png", "followup_assurance.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_size_missing_file():
    _bad(runner.invoke(app, ["size", "no/such/file.yaml"]), "file not found")


def test_size_without_followup_block(tmp_path):
    raw = yaml.safe_load(CONFIG.read_text())
    raw.pop("followup")
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw))
    _bad(runner.invoke(app, ["size", str(p)]), "followup", "no followup block")


def test_size_bad_followup_value(tmp_path):
    raw = yaml.safe_load(CONFIG.read_text())
    raw["followup"]["randomized"]["target_power"] = 1.5
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(raw))
    _bad(runner.invoke(app, ["size", str(p)]), "followup.randomized.target_power")


def test_size_bad_n_sim():
    _bad(runner.invoke(app, ["size", str(CONFIG), "--n-sim", "5"]), "--n-sim", ">= 100")


def test_size_plot_into_a_file_exits_2_before_simulating(tmp_path):
    # Used to end in a FileExistsError traceback after the whole simulation.
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = runner.invoke(app, ["size", str(CONFIG), "--n-sim", "100", "--plot", str(afile)])
    _bad(res, f"--plot: {afile} is a file, not a folder")
    assert res.stderr.count("\n") == 1 and res.stdout == ""
