"""simtrial design --family bop2 / predictive / thall-simon: JSON contract, boundary table, bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from simtrial.cli import app
from simtrial.design.bop2 import bop2_design
from simtrial.design.predictive import predictive_design

runner = CliRunner()

CONTRACT = ("looks", "futility", "efficacy", "toxicity", "en0", "en1", "pet0", "alpha", "power")


def run(*args: str):
    return runner.invoke(app, list(args))


def test_bop2_search_json() -> None:
    res = run("design", "--family", "bop2", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--looks", "10,20,30,40",
              "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    d = out["designs"][0]
    for key in CONTRACT + ("lambda", "gamma", "prior"):
        assert key in d
    want = bop2_design(0.2, 0.4, 0.1, looks=(10, 20, 30, 40)).design("calibrated")
    assert d["kind"] == "calibrated" and d["futility"] == list(want.table.futility)
    assert (d["lambda"], d["gamma"], d["alpha"], d["power"]) == (want.extra["lambda"], want.extra["gamma"],
                                                                   want.alpha, want.power)
    assert d["alpha"] <= 0.1


def test_bop2_evaluate_with_prior_json() -> None:
    res = run("design", "--family", "bop2", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--looks", "10,20,30,40",
              "--lambda", "0.9", "--gamma", "1", "--prior", "1,1", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)["designs"][0]
    assert d["kind"] == "given" and d["lambda"] == 0.9 and d["gamma"] == 1.0 and d["prior"] == [1.0, 1.0]


def test_predictive_json_and_table() -> None:
    args = ["design", "--family", "predictive", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.05", "--beta", "0.2",
            "--nmax", "40"]
    res = run(*args, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = predictive_design(0.2, 0.4, 0.05, 0.2, nmax=40)
    assert [d["kind"] for d in out["designs"]] == [d.kind for d in want.designs]
    d = out["designs"][0]
    for key in CONTRACT + ("theta_t", "theta_l", "theta_u", "prior"):
        assert key in d
    assert d["theta_u"] is None  # no efficacy stopping asked for: the key is there, null
    assert d["kind"] == "minimax" and d["alpha"] <= 0.05 and d["power"] >= 0.8
    res = run(*args)
    assert res.exit_code == 0, res.output
    assert "stop if responses <=" in res.stdout and "stop if toxicities >=" in res.stdout
    assert "the drug is declared promising if" in res.stdout


def test_bop2_joint_boundary_table_shows_toxicity() -> None:
    res = run("design", "--family", "bop2", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--looks", "10,20,30,40",
              "--q0", "0.15", "--q1", "0.3")
    assert res.exit_code == 0, res.output
    assert "stops for toxicity if" in res.stdout


def test_thall_simon_json() -> None:
    res = run("design", "--family", "thall-simon", "--p0", "0.2", "--p1", "0.4", "--looks", "10,20,30,40", "--json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)["designs"][0]
    assert d["kind"] == "given" and d["theta_l"] == 0.05 and d["theta_u"] == 0.95
