"""The README's sample outputs of the exact commands are what the program prints today.

Every ``console`` block of README.md whose command is exact and deterministic
(``design``, ``oc``, ``infer``, ``interim``: no simulation) is run through the
command line, and every line the sample shows (``...`` marks lines left out)
must be a line of the output, in the same order. Simulation samples are
checked by the tests of their own commands.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simtrial.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
EXACT = ("design", "oc", "infer", "interim")


def _samples() -> list[tuple[str, list[str]]]:
    """``(command, shown lines)`` of each console block with one exact ``simtrial`` command."""
    out = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.S):
        lines = block.rstrip("\n").split("\n")
        commands = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        if len(commands) != 1 or commands[0] != 0:
            continue
        words = shlex.split(lines[0][2:])
        if words[0] != "simtrial" or words[1] not in EXACT:
            continue
        out.append((lines[0][2:], lines[1:]))
    return out


SAMPLES = _samples()


def test_the_readme_has_exact_samples() -> None:
    # The parser found the samples (a change of the README's format would otherwise skip them all).
    assert {shlex.split(c)[1] for c, _ in SAMPLES} == set(EXACT)


@pytest.mark.parametrize(("command", "shown"), SAMPLES, ids=[c for c, _ in SAMPLES])
def test_readme_sample_is_current(command: str, shown: list[str]) -> None:
    res = CliRunner().invoke(app, shlex.split(command)[1:])
    assert res.exit_code == 0, res.output
    printed = [line.strip() for line in res.stdout.split("\n")]
    at = 0
    for line in shown:
        want = line.strip()
        if want in ("...", "") or want.startswith("..."):
            continue
        try:
            at = printed.index(want, at) + 1
        except ValueError:
            pytest.fail(f"README line not printed (in order) by `{command}`:\n  {want}\n\nprinted:\n{res.stdout}")
