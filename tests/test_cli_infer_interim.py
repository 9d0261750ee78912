"""The infer command on decision tables and the interim command: JSON contracts, tables and bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from simtrial.cli import app
from simtrial.design import DecisionTable, SimonDesign, interim_analysis, interim_table, table_inference
from simtrial.design import two_stage_inference

runner = CliRunner()
MT = ["--looks", "16,41", "--futility", "3,11", "--efficacy", "7"]
SIMON = ["--r1", "1", "--n1", "10", "--r", "5", "--n", "29"]


def run(*args: str):
    return runner.invoke(app, list(args))


def test_infer_table_form_json_contract() -> None:
    res = run("infer", *MT, "--x", "9", "--n-stop", "16", "--p0", "0.2", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = table_inference(DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,)), 9, p0=0.2, n_stop=16)
    assert out["design"] == {"looks": [16, 41], "futility": [3, 11], "efficacy": [7, None], "toxicity": None}
    for key in ("x", "stage", "n_evaluated", "decision", "umvue", "median_unbiased", "p_value", "ci_lower",
                "ci_upper", "conf_level", "mle"):
        assert out[key] == getattr(want, key), key
    assert out["decision"] == "efficacy"


def test_infer_table_form_three_looks_and_readable_table() -> None:
    args = ["infer", "--looks", "10,20,30", "--futility", "1,4,8", "--efficacy", "5,-", "--x", "7", "--n-stop", "30",
            "--p0", "0.2"]
    res = run(*args, "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["design"]["efficacy"] == [5, None, None] and out["stage"] == 3
    table = run(*args)
    assert table.exit_code == 0 and "median-unbiased" in table.stdout and "ended at look 3 of 3" in table.stdout


def test_infer_simon_form_keeps_its_keys() -> None:
    res = run("infer", *SIMON, "--x", "4", "--p0", "0.1", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = two_stage_inference(SimonDesign(1, 10, 5, 29), 4, p0=0.1)
    assert out["design"] == {"r1": 1, "n1": 10, "r": 5, "n": 29}
    for key in ("umvue", "p_value", "ci_lower", "ci_upper", "conf_level", "stage", "n2_actual", "median_unbiased"):
        assert out[key] == getattr(want, key)
    assert run("infer", *SIMON, "--x", "4", "--p0", "0.1", "--n-stop", "29").exit_code == 0


def test_interim_single_result_json() -> None:
    res = run("interim", *SIMON, "--p1", "0.3", "--x", "2", "--prior", "0.5,1.5", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = interim_analysis(DecisionTable.simon(1, 10, 5, 29), 10, 2, p1=0.3, prior=(0.5, 1.5))
    assert out == json.loads(json.dumps(want.to_dict()))
    assert set(out) >= {"design", "stage", "n_look", "x", "decision", "p1", "prior", "observed_rate",
                        "conditional_power_p1", "conditional_power_observed", "predictive_power"}


def test_interim_decision_tables() -> None:
    res = run("interim", *MT, "--p1", "0.4", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = interim_table(DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,)), p1=0.4)
    assert out == json.loads(json.dumps(want.to_dict()))
    assert [lk["n_look"] for lk in out["looks"]] == [16, 41]
    text = run("interim", *MT, "--p1", "0.4", "--n-look", "16")
    assert text.exit_code == 0
    assert "0-3" in text.stdout and "stop for futility" in text.stdout and "7-16" in text.stdout
    assert "Look 2" not in text.stdout


BAD = [
    (["infer", *MT, "--x", "8", "--p0", "0.2"], "--n-stop: 8 responses can end the trial at look 1"),
    (["infer", *MT, "--x", "5", "--n-stop", "16", "--p0", "0.2"], "cannot end at look 1 (16 patients) with 5"),
    (["infer", *MT, "--x", "5", "--n-stop", "20", "--p0", "0.2"], "--n-stop must be one of the looks 16, 41"),
    (["infer", *MT, *SIMON, "--x", "5", "--p0", "0.2"], "not both"),
    (["infer", "--looks", "16,41", "--x", "5", "--p0", "0.2"], "--futility: a table needs --looks and --futility"),
    (["infer", "--r1", "1", "--x", "5", "--p0", "0.2"], "--n1, --r, --n: give the design"),
    (["infer", *SIMON, "--x", "6", "--p0", "0.1", "--n2-actual", "0"], "--n2-actual: 0 means no stage-2 patient "
                                                                      "was evaluated, but x = 6 > r1 = 1"),
    (["infer", *SIMON, "--x", "6", "--p0", "0.1", "--n-stop", "10"], "--n-stop: x=6 means the trial ended with 29"),
    (["infer", *MT, "--x", "9", "--n-stop", "16", "--p0", "0.2", "--n2-actual", "3"], "--n2-actual: only with"),
    (["infer", "--looks", "16,10", "--futility", "3,11", "--x", "5", "--p0", "0.2"], "looks must be strictly"),
    (["infer", "--looks", "16,41", "--futility", "3,11", "--efficacy", "3", "--x", "5", "--p0", "0.2"],
     "efficacy[0] = 3 must be above futility[0] = 3"),
    (["infer", "--looks", "16,x", "--futility", "3,11", "--x", "5", "--p0", "0.2"], "--looks: must be whole numbers"),
    (["infer", "--looks", "16,41", "--futility", "3,11", "--efficacy", "a", "--x", "5", "--p0", "0.2"],
     "--efficacy: must be whole numbers or -"),
    (["interim", *SIMON, "--p1", "0.3", "--x", "1", "--n-look", "29"], "x: 1 responses at look 2 (29 patients) "
                                                                     "cannot happen"),
    (["interim", *SIMON, "--p1", "0.3", "--x", "12"], "x must be <= the 10 patients"),
    (["interim", *SIMON, "--p1", "0.3", "--n-look", "12"], "--n-look must be one of the looks 10, 29"),
    (["interim", "--looks", "10,20,30", "--futility", "1,4,8", "--p1", "0.3", "--x", "3"], "--n-look: with --x"),
    (["interim", *SIMON, "--p1", "1.3"], "p1 must be in (0, 1)"),
    (["interim", *SIMON, "--p1", "0.3", "--prior", "1,-2"], "prior must be two numbers a, b > 0"),
    (["interim", *SIMON, "--p1", "0.3", "--prior", "x"], "--prior: must be numbers"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_exits_2_with_one_line(args, message) -> None:
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], res.stderr
