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
    assert {"r1": 1, "n1": 10, "r": 5, "n": 29}.items() <= out["design"].items()
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
    (["design", "--p0", "0.1", "--p1", "0.3", "--max-n", "100000"], "--max-n: the upper bound may be at most 2500"),
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


# -- oc of any decision table ---------------------------------------------------


def test_oc_table_json_contract() -> None:
    from simtrial.design.tables import DecisionTable

    res = run("oc", "--looks", "16,41", "--futility", "3,11", "--efficacy", "7", "--p", "0.2", "--p", "0.4", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["design"]["looks"] == [16, 41]
    assert out["design"]["futility"] == [3, 11]
    assert out["design"]["efficacy"] == [7, None]
    want = DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,)).oc([0.2, 0.4])
    assert [row["p"] for row in out["oc"]] == [0.2, 0.4]
    for s, row in enumerate(out["oc"]):
        assert {"p", "p_reject", "pet", "p_early_efficacy", "en", "pet_by_look"} <= set(row)
        assert row["p_reject"] == float(want.p_reject[s]) and row["en"] == float(want.en[s])
        assert row["pet"] == float(want.pet[s]) and row["p_early_efficacy"] == float(want.p_early_efficacy[s])
        assert row["pet_by_look"] == [float(v) for v in want.pet_by_look[s]]


def test_oc_legacy_json_keeps_its_keys_and_adds_the_table() -> None:
    res = run("oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "0.1", "--json")
    out = json.loads(res.stdout)
    assert {"r1": 1, "n1": 10, "r": 5, "n": 29}.items() <= out["design"].items()
    assert out["design"]["looks"] == [10, 29] and out["design"]["futility"] == [1, 5]
    row = out["oc"][0]
    assert row["p_continue_fail"] == SimonDesign(1, 10, 5, 29).oc(0.1).p_continue_fail[0]
    assert row["p_early_efficacy"] == 0.0 and row["pet_by_look"] == [row["pet"]]


def test_oc_toxicity_and_curtail() -> None:
    from simtrial.design.curtail import curtail
    from simtrial.design.tables import DecisionTable

    args = ["oc", "--looks", "10,20,30", "--futility", "1,3,6", "--toxicity", "4,-,9", "--p", "0.1", "--p", "0.3"]
    res = run(*args, "--q", "0.2", "--odds-ratio", "2", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    want = DecisionTable(looks=(10, 20, 30), futility=(1, 3, 6), toxicity=(4, None, 9)).oc([0.1, 0.3], [0.2, 0.2],
                                                                                              odds_ratio=2.0)
    assert out["design"]["toxicity"] == [4, None, 9]
    assert [r["p_stop_toxicity"] for r in out["oc"]] == [float(v) for v in want.toxicity.sum(axis=1)]
    assert "P(tox stop)" in run(*args, "--q", "0.2").stdout

    res = run("oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "0.1", "--curtail", "futility", "--json")
    out = json.loads(res.stdout)
    cur = curtail(DecisionTable.simon(1, 10, 5, 29), "futility").oc(0.1)
    row = out["oc"][0]
    assert out["design"]["curtail"] == "futility" and out["design"]["curtailed"]["looks"] == list(range(1, 30))
    assert row["en"] == float(cur.en[0]) and row["en"] < row["en_uncurtailed"]
    assert abs(row["p_reject"] - SimonDesign(1, 10, 5, 29).p_reject(0.1)) < 1e-12
    assert sum(v for _, v in row["sample_size_distribution"]) == pytest.approx(1.0, abs=1e-12)
    table = run("oc", "--looks", "16,41", "--futility", "3,11", "--efficacy", "7", "--p", "0.2", "--curtail", "both")
    assert table.exit_code == 0 and "E(N) curtailed" in table.stdout


def test_oc_and_design_tables_fit_80_columns() -> None:
    from rich.console import Console

    from simtrial._terminal import natural_width
    from simtrial.design._format import family_table, table_oc_table
    from simtrial.design.curtail import curtail
    from simtrial.design.families import find_designs
    from simtrial.design.tables import DecisionTable

    con = Console(width=200)
    t = DecisionTable(looks=(10, 20, 30), futility=(1, 3, 6), efficacy=(5, 8), toxicity=(4, 7, 9))
    assert natural_width(con, table_oc_table(t.oc([0.1, 0.3], [0.2, 0.2]))) <= 80
    s = DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,))
    assert natural_width(con, table_oc_table(s.oc([0.2, 0.4]), curtail(s, "both").oc([0.2, 0.4]), "both")) <= 80
    for family, opts in (("mander-thompson", {}), ("chen", {}), ("fleming", {"looks": [10, 20, 30, 40, 50]})):
        res = find_designs(family, p0=0.2, p1=0.4, alpha=0.1, **({"beta": 0.1} if family != "fleming" else {}), **opts)
        assert natural_width(con, family_table(res)) <= 80, family


def test_design_family_json_contract() -> None:
    res = run("design", "--family", "mander-thompson", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--beta", "0.1",
              "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    kinds = {d["kind"]: d for d in out["designs"]}
    assert set(kinds) == {"minimax", "optimal", "optimal-h1"}
    opt = kinds["optimal"]
    assert (opt["looks"], opt["futility"], opt["efficacy"], opt["toxicity"]) == ([16, 41], [3, 11], [7, None], None)
    for key in ("family", "kind", "en0", "en1", "pet0", "alpha", "power"):
        assert key in opt
    chen = json.loads(run("design", "--family", "chen", "--p0", "0.1", "--p1", "0.3", "--json").stdout)
    assert all(len(d["looks"]) == 3 for d in chen["designs"])
    fl = run("design", "--family", "fleming", "--p0", "0.2", "--p1", "0.4", "--looks", "15,25", "--json")
    assert json.loads(fl.stdout)["designs"][0]["futility"] == [3, 8]
    table = run("design", "--family", "mander-thompson", "--p0", "0.2", "--p1", "0.4", "--alpha", "0.1", "--beta", "0.1")
    assert table.exit_code == 0 and "optimal-h1" in table.stdout


BAD_TABLES = [
    (["oc", "--looks", "41,16", "--futility", "3,11", "--p", "0.2"], "--looks must be strictly increasing"),
    (["oc", "--looks", "16,41", "--futility", "11,3", "--p", "0.2"], "--futility bounds must not decrease"),
    (["oc", "--looks", "16,41", "--futility", "3,41", "--p", "0.2"], "--futility[1] = 41 stops every trial"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--efficacy", "3", "--p", "0.2"],
     "--efficacy[0] = 3 must be above --futility[0] = 3"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--efficacy", "17", "--p", "0.2"],
     "--efficacy[0] = 17 can never be reached with 16 patients"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--efficacy", "7,8,9", "--p", "0.2"], "--efficacy: give one bound"),
    (["oc", "--looks", "16,41", "--futility", "3", "--p", "0.2"], "--futility needs one bound per look"),
    (["oc", "--looks", "16,41", "--p", "0.2"], "--looks/--futility: give both"),
    (["oc", "--looks", "16,x", "--futility", "3,11", "--p", "0.2"], "--looks: must be whole numbers"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--toxicity", "4,8", "--p", "0.2"], "--q: a table with --toxicity"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--p", "0.2", "--q", "0.1"], "--q: applies only"),
    (["oc", "--looks", "16,41", "--futility", "3,11", "--p", "0.2", "--curtail", "always"], "--curtail: must be"),
    (["oc", "--r1", "1", "--n1", "10", "--p", "0.2"], "--r1/--n1/--r/--n: give all four"),
    (["oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--looks", "10,29", "--p", "0.2"], "not both"),
    (["design", "--family", "mander-thompson", "--p0", "0.1", "--p1", "0.3", "--max-n", "10"],
     "no Mander-Thompson design with n <= 10"),
    (["design", "--family", "chen", "--p0", "0.1", "--p1", "0.3", "--n1", "5"], "--n1: does not apply to --family chen"),
    (["design", "--family", "fleming", "--p0", "0.2", "--p1", "0.4"], "--looks: Fleming's design needs the looks"),
]


@pytest.mark.parametrize(("args", "message"), BAD_TABLES, ids=[m for _, m in BAD_TABLES])
def test_bad_tables_exit_2_with_one_line(args, message) -> None:
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], res.stderr
