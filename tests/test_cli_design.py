"""The design, oc and infer commands: JSON contracts, tables and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from simtrial.cli import app
from simtrial.design import SimonDesign, simon_search, two_stage_inference

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_design_json_contract() -> None:
    res = run("design", "--p0", "0.1", "--p1", "0.3", "--alpha", "0.05", "--beta", "0.2", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["p0"], out["p1"], out["alpha"], out["beta"]) == (0.1, 0.3, 0.05, 0.2)
    kinds = [d["kind"] for d in out["designs"]]
    assert kinds[0] == "minimax" and kinds[-1] == "optimal" and set(kinds[1:-1]) <= {"admissible"}
    opt = out["designs"][-1]
    assert (opt["r1"], opt["n1"], opt["r"], opt["n"]) == (1, 10, 5, 29)
    want = simon_search(0.1, 0.3, 0.05, 0.2).optimal
    for key in ("en0", "pet0", "alpha", "power", "q_low", "q_high"):
        assert opt[key] == getattr(want, key)


def test_design_table_and_raised_nmax() -> None:
    res = run("design", "--p0", "0.2", "--p1", "0.35", "--alpha", "0.05", "--beta", "0.05", "--nmax", "100")
    assert res.exit_code == 0, res.output
    assert "11/50" in res.stdout and "28/109" in res.stdout and "optimal" in res.stdout
    assert "nmax raised from 100" in res.stdout


def test_design_constraints() -> None:
    res = run("design", "--p0", "0.1", "--p1", "0.3", "--n1", "12", "--json")
    assert res.exit_code == 0, res.output
    assert {d["n1"] for d in json.loads(res.stdout)["designs"]} == {12}


def test_oc_json_contract() -> None:
    res = run("oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "0.1", "--p", "0.3", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["design"] == {"r1": 1, "n1": 10, "r": 5, "n": 29}
    d = SimonDesign(1, 10, 5, 29)
    assert [row["p"] for row in out["oc"]] == [0.1, 0.3]
    for row in out["oc"]:
        assert row["p_reject"] == d.p_reject(row["p"])
        assert row["pet"] == d.pet(row["p"])
        assert row["en"] == d.en(row["p"])


def test_oc_table() -> None:
    res = run("oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "0.3")
    assert res.exit_code == 0, res.output
    assert "0.8051" in res.stdout


def test_infer_json_contract() -> None:
    args = ["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "4", "--p0", "0.1"]
    res = run(*args, "--n2-actual", "21", "--conf-level", "0.9", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = two_stage_inference(SimonDesign(1, 10, 5, 29), 4, p0=0.1, n2_actual=21, conf_level=0.9)
    for key in ("umvue", "p_value", "ci_lower", "ci_upper", "conf_level"):
        assert out[key] == getattr(want, key)
    table = run(*args)
    assert table.exit_code == 0 and "UMVUE" in table.stdout and "95% interval" in table.stdout


_BAYES = ["design", "--p0", "0.2", "--p1", "0.4"]
BAD = [
    (["design", "--p0", "0.3", "--p1", "0.1"], "p0 must be smaller than p1"),
    (["design", "--p0", "1.2", "--p1", "0.3"], "p0 must be in (0, 1)"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--alpha", "0"], "alpha must be in (0, 1)"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--beta", "1"], "beta must be in (0, 1)"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--max-n", "20"], "no two-stage design with n <= 20"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--n1", "5", "--max-n1", "9"], "either --n1 or"),
    (["oc", "--r1", "3", "--n1", "3", "--r", "5", "--n", "10", "--p", "0.2"], "r1 must be smaller than n1"),
    (["oc", "--r1", "1", "--n1", "10", "--r", "29", "--n", "29", "--p", "0.2"], "r must be smaller than n"),
    (["oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29"], "--p: give at least one"),
    (["oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "1.5"], "p must be in [0, 1]"),
    (["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "30", "--p0", "0.1"], "x must be <="),
    (["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "1", "--p0", "0.1", "--n2-actual", "4"], "n2_actual"),
    (["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "3", "--p0", "0"], "p0 must be in (0, 1)"),
    (["infer", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--x", "3", "--p0", "0.1", "--conf-level", "95"], "conf_level must be in"),
    # The search's bounds are named as the options the user typed, not n_bounds / n1_bounds.
    (["design", "--p0", "0.1", "--p1", "0.3", "--min-n", "50", "--max-n", "20"], "--min-n/--max-n: --min-n (50) must be <= --max-n (20)"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--min-n1", "30", "--max-n1", "10"], "--min-n1/--max-n1: --min-n1 (30)"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--min-n", "-4"], "--min-n: must be an integer >= 1, got -4"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--max-n1", "0"], "--max-n1: must be an integer >= 1, got 0"),
    (["design", "--p0", "0.1", "--p1", "0.3", "--max-n", "100000"], "--max-n: the upper bound may be at most 2000"),
    # nan is refused with the value as typed, not a numpy repr.
    (["oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "nan"], "--p: each p must be in [0, 1], got nan"),
    # Bayesian families: thresholds in (0, 1), increasing looks, a proper prior, something meeting alpha.
    (_BAYES + ["--family", "predictive", "--nmax", "40", "--theta-t", "1.2", "--theta-l", "0.05"], "--theta-t"),
    (_BAYES + ["--family", "predictive", "--nmax", "40", "--theta-l", "0"], "--theta-l"),
    (_BAYES + ["--family", "bop2", "--looks", "10,30,20"], "--looks must be strictly increasing"),
    (_BAYES + ["--family", "bop2", "--looks", "10,20,30,40", "--prior", "0,1"], "--prior"),
    (_BAYES + ["--family", "bop2", "--looks", "10,20", "--alpha", "0.001"], "--alpha"),
    (_BAYES + ["--family", "predictive", "--nmax", "6"], "--alpha/--beta"),
    (_BAYES + ["--family", "bop2", "--looks", "10,20", "--theta-t", "0.9"], "--theta-t: does not apply"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:1] + [m]) for a, m in BAD])
def test_bad_input_exits_2_with_one_line(args, message) -> None:
    res = run(*args)
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], res.stderr


def test_bounds_errors_do_not_name_internal_arguments() -> None:
    res = run("design", "--p0", "0.1", "--p1", "0.3", "--min-n", "50", "--max-n", "20")
    assert res.exit_code == 2 and "n_bounds" not in res.stderr
    res = run("oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "nan")
    assert res.exit_code == 2 and "np.float64" not in res.stderr
