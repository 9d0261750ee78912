"""The console entry point: every user error is one line on stderr and exit code 2."""

from __future__ import annotations

import pytest

from simtrial.cli import main


def run_main(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["design", "--p0", "0.1"], "Missing option '--p1'"),
        (["design", "--p0", "abc", "--p1", "0.3"], "Invalid value for '--p0'"),
        (["run"], "Missing argument"),
        (["no-such-command"], "No such command"),
        (["design", "--p0", "0.3", "--p1", "0.2"], "p0 must be smaller than p1"),
        (["oc", "--r1", "5", "--n1", "3", "--r", "5", "--n", "29", "--p", "0.1"], "r1 must be smaller than n1"),
        (["run", "no/such/file.yaml"], "file not found"),
        (["report", "no/such/folder"], "results_dir: no/such/folder does not exist"),
        (["report", "configs"], "holds neither result.json nor manifest.json"),
        (["design", "--p0", "0.1", "--p1", "0.3", "--min-n", "50", "--max-n", "20"], "--min-n/--max-n:"),
        (["warmup", "--bogus"], "No such option: --bogus"),
    ],
)
def test_user_errors_are_one_line_exit_2(argv, needle, capsys):
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("simtrial: error: ")
    assert needle in lines[0]
    assert "Traceback" not in err


def test_success_exits_0_with_json(capsys):
    import json

    code, out, err = run_main(["oc", "--r1", "1", "--n1", "10", "--r", "5", "--n", "29", "--p", "0.1", "--json"], capsys)
    assert code == 0
    design = json.loads(out)["design"]
    # The Simon form keeps its keys; the decision table's keys come with them.
    assert {k: design[k] for k in ("r1", "n1", "r", "n")} == {"r1": 1, "n1": 10, "r": 5, "n": 29}
    assert design["looks"] == [10, 29] and design["futility"] == [1, 5]


def test_no_arguments_shows_help_once(capsys):
    code, out, err = run_main([], capsys)
    assert code == 2
    assert (out + err).count("Usage: simtrial") == 1


@pytest.mark.parametrize("command", [["run", "configs/binomial.yaml", "--n-sim", "10"], ["sweep", "configs/sweep_accrual_response.yaml"]])
def test_out_that_is_a_file_is_one_line_exit_2(command, tmp_path, capsys):
    # Used to end in a FileExistsError traceback (after the whole simulation, for run).
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out, needle in ((afile, "is a file, not a folder"), (afile / "sub", "cannot create")):
        code, stdout, err = run_main([*command, "--out", str(out)], capsys)
        assert code == 2 and stdout == "", err
        assert err.count("\n") == 1 and err.startswith("simtrial: error: --out: ") and needle in err
        assert "Traceback" not in err


def test_unwritable_output_is_one_line_naming_the_option(tmp_path, capsys, monkeypatch):
    # An OSError while writing (a full disk, a vanished folder) is one line naming --out.
    import simtrial.io

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "o" / "summary.csv"))

    monkeypatch.setattr(simtrial.io, "save_run", refuse)
    code, out, err = run_main(["run", "configs/binomial.yaml", "--n-sim", "10", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and out == ""
    assert err.strip() == f"simtrial: error: --out: cannot read or write {tmp_path / 'o' / 'summary.csv'}: Permission denied"
