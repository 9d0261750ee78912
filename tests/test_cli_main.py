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
    assert json.loads(out)["design"] == {"r1": 1, "n1": 10, "r": 5, "n": 29}


def test_no_arguments_shows_help_once(capsys):
    code, out, err = run_main([], capsys)
    assert code == 2
    assert (out + err).count("Usage: simtrial") == 1
