"""`simtrial run` and `simtrial warmup` through typer's CliRunner, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from simtrial.cli import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_json_output_is_only_json(tmp_path, seed):
    out = tmp_path / "run"
    res = _run("run", "configs/binomial.yaml", "--n-sim", "4000", "--seed", str(seed), "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["config"] == "configs/binomial.yaml"
    assert doc["seed"] == seed and doc["n_sim"] == 4000
    names = [s["name"] for s in doc["scenarios"]]
    assert names == ["null", "midpoint", "alternative"]
    s0 = doc["scenarios"][0]
    for key in ("p_promising", "p_promising_se", "p_promising_exact", "pet", "en_enrolled", "en_evaluable",
                "duration_median_months"):
        assert key in s0
    for name in ("summary.csv", "config.yaml", "metadata.json", "result.json"):
        assert (out / name).is_file()
    assert not (out / "replicates.parquet").exists()
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["seed"] == seed and meta["n_sim"] == 4000 and meta["threads"] >= 1
    assert meta["elapsed_seconds"] > 0 and meta["simtrial_version"]


def test_threads_1_and_2_identical_output(tmp_path, seed):
    docs = []
    for t in ("1", "2"):
        res = _run("run", "configs/len_dex.yaml", "--n-sim", "20000", "--seed", str(seed), "--threads", t,
                   "--out", str(tmp_path / t), "--json")
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        docs.append(doc["scenarios"])
    assert docs[0] == docs[1]
    assert (tmp_path / "1" / "summary.csv").read_bytes() == (tmp_path / "2" / "summary.csv").read_bytes()


def test_table_and_replicates(tmp_path, seed):
    out = tmp_path / "r"
    res = _run("run", "configs/binomial.yaml", "--n-sim", "3000", "--seed", str(seed), "--out", str(out),
               "--replicates")
    assert res.exit_code == 0, res.output
    assert "P(declare promising)" in res.stdout
    assert "[0.0496]" in res.stdout  # the exact binomial value beside the simulated one
    import pandas as pd

    reps = pd.read_parquet(out / "replicates.parquet")
    assert len(reps) == 3 * 3000


def test_default_out_folder(tmp_path, monkeypatch):
    cfg = tmp_path / "mytrial.yaml"
    cfg.write_text(Path("configs/binomial.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    res = _run("run", str(cfg), "--n-sim", "100")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "results" / "mytrial" / "summary.csv").is_file()


def test_warmup():
    res = _run("warmup")
    assert res.exit_code == 0, res.output
    assert "compiled" in res.stdout


def test_warmup_json():
    # README: every command takes --json; warmup refused it.
    res = _run("warmup", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["compiled"] is True and doc["elapsed_seconds"] >= 0


def _bad(tmp_path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


def _mutated(tmp_path, change) -> Path:
    raw = yaml.safe_load(Path("configs/binomial.yaml").read_text())
    change(raw)
    return _bad(tmp_path, yaml.safe_dump(raw))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r.update(colour="blue"), "colour: unknown key; allowed here: schema_version"),
        (lambda r: r["treatment"].update(max_cycles="many"), "treatment.max_cycles:"),
        (lambda r: r["scenarios"][0].update(p_response=1.5), "scenarios[0].p_response: must be a probability in [0, 1]"),
        (lambda r: r["enrollment"]["rates"][0].update(per_month=-2), "enrollment.rates[0].per_month: must be a finite number >= 0"),
        (lambda r: r["design"].update(r1=13), "design.r1: must be smaller than n1 (13)"),
    ],
)
def test_bad_configs_exit_2(tmp_path, change, fragment):
    res = _run("run", str(_mutated(tmp_path, change)), "--n-sim", "10", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert fragment in res.output
    assert "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "empty"), ("a: [1, 2\n", "broken YAML"), ("- 1\n- 2\n", "mapping")],
)
def test_bad_files_exit_2(tmp_path, text, fragment):
    res = _run("run", str(_bad(tmp_path, text)))
    assert res.exit_code == 2 and fragment in res.output and "Traceback" not in res.output


def test_missing_and_unreadable(tmp_path):
    res = _run("run", str(tmp_path / "nope.yaml"))
    assert res.exit_code == 2 and "file not found" in res.output
    res = _run("run", str(tmp_path))
    assert res.exit_code == 2 and "directory" in res.output
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    res = _run("run", str(binary))
    assert res.exit_code == 2 and "cannot read" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(("opt", "value"), [("--n-sim", "0"), ("--seed", "-1"), ("--threads", "0")])
def test_bad_options_exit_2(opt, value):
    res = _run("run", "configs/binomial.yaml", opt, value)
    assert res.exit_code == 2 and opt in res.output


def test_out_that_is_a_file_exits_2_before_simulating(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    res = _run("run", "configs/binomial.yaml", "--n-sim", "10", "--out", str(afile))
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr == f"simtrial: error: --out: {afile} is a file, not a folder; give a folder (it is created if missing)\n"
    res = _run("run", "configs/binomial.yaml", "--n-sim", "10", "--out", str(afile / "sub"))
    assert res.exit_code == 2 and f"--out: cannot create {afile / 'sub'}: {afile} is a file" in res.stderr


def test_run_table_in_an_80_column_terminal(tmp_path, seed):
    # The table used to be forced to 124+ columns, which an 80-column terminal wraps across
    # the box drawing; now its cells wrap inside their columns and no value is cut.
    from rich.console import Console

    from simtrial.cli import print_table
    from simtrial.engine import simulate
    from simtrial.engine._table import run_table
    from simtrial.model import load_config

    result = simulate(load_config("configs/binomial.yaml"), n_sim=200, seed=seed, threads=1)
    con = Console(width=80, force_terminal=True, record=True, highlight=False)
    print_table(con, run_table(result))
    text = con.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text and "[0.0496]" in text
    piped = Console(width=80, force_terminal=False, record=True, highlight=False)
    print_table(piped, run_table(result))
    assert max(len(line) for line in piped.export_text().splitlines()) > 80  # files and pipes: one line per metric
