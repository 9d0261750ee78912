"""``--help`` of every command: flags shown as flags, alpha labelled one-sided, an example each."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from simtrial.cli import app

COMMANDS = ["design", "oc", "infer", "interim", "run", "compare", "warmup", "sweep", "report", "size"]
runner = CliRunner()


def _help(*args: str) -> str:
    res = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert res.exit_code == 0, res.output
    return res.output


def test_every_command_is_checked():
    registered = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert registered == {*COMMANDS, "sweep"}


@pytest.mark.parametrize("command", COMMANDS)
def test_flags_are_flags_and_an_example_is_given(command):
    text = _help(command)
    assert "<bool>" not in text  # a flag takes no value
    assert not re.search(r"--(\w[\w-]*)\s+--no-\1", text)  # no --x/--no-x pairs
    assert re.search(rf"Example: simtrial {command}\b", text)


def test_top_level_help_and_version_flag():
    text = _help()
    assert "--version" in text and "<bool>" not in text


@pytest.mark.parametrize("command", ["design", "oc"])
def test_alpha_is_labelled_one_sided(command):
    assert "one-sided" in _help(command)


def test_run_help_lists_overwrite():
    text = _help("run")
    assert "--overwrite" in text and "--replicates" in text
