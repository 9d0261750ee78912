"""Input that used to be silently misread is an error naming the key (issue 16, section 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simtrial.errors import ConfigError
from simtrial.model import load_config, parse_config, parse_duration
from simtrial.model.units import DAYS_PER_MONTH

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
BINOMIAL = (CONFIGS / "binomial.yaml").read_text()


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _line_of(text: str, start: str, nth: int = 1) -> int:
    """1-based number of the ``nth`` line of ``text`` that starts with ``start``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith(start)]
    return hits[nth - 1]


def test_a_second_seed_is_an_error_naming_both_lines(tmp_path):
    # "the last one wins" used to run the trial with the second seed, silently.
    text = BINOMIAL.replace("simulation:\n", "simulation:\n  seed: 7\n")
    assert text.count("  seed:") == 2
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    first, second = _line_of(text, "  seed:"), _line_of(text, "  seed:", 2)
    assert info.value.key == "simulation.seed"
    assert str(info.value) == f"simulation.seed: given twice, at lines {first} and {second} of {path}; give each key once"


def test_a_second_block_is_an_error(tmp_path):
    text = BINOMIAL + "\nsimulation:\n  n_sim: 10\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^simulation: given twice, at lines {_line_of(text, 'simulation:')} "
                       rf"and {_line_of(text, 'simulation:', 2)} of "):
        load_config(path)


def test_duplicates_inside_lists_and_flow_mappings(tmp_path):
    text = BINOMIAL.replace('{name: "null", p_response: 0.20}', '{name: "null", p_response: 0.20, p_response: 0.9}')
    with pytest.raises(ConfigError, match=r"^scenarios\[0\]\.p_response: given twice"):
        load_config(_write(tmp_path, text))


def test_duplicate_keys_in_a_sweep_file(tmp_path):
    from simtrial.sweep import load_sweep

    (tmp_path / "base.yaml").write_text(BINOMIAL)
    text = "base: base.yaml\nsweep:\n  seed: 3\n  axes:\n    design.r: [12, 13]\n  seed: 4\n"
    with pytest.raises(ConfigError, match=r"^sweep\.seed: given twice, at lines 3 and 6 of "):
        load_sweep(_write(tmp_path, text, "s.yaml"))
    # ... and in the base config it names.
    (tmp_path / "base.yaml").write_text(BINOMIAL + "name: again\n")
    with pytest.raises(ConfigError, match=r"^name: given twice"):
        load_sweep(_write(tmp_path, "base: base.yaml\nsweep:\n  axes:\n    design.r: [12, 13]\n", "t.yaml"))


def test_the_command_line_gives_one_line_and_exit_2(tmp_path):
    from typer.testing import CliRunner

    from simtrial.cli import app

    path = _write(tmp_path, BINOMIAL.replace("simulation:\n", "simulation:\n  seed: 7\n"))
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert res.stderr.startswith("simtrial: error: simulation.seed: given twice") and res.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "key"),
    [({"p0": 0.2}, "p0"), ({"alpha": 0.05, "beta": 0.2}, "alpha"), ({"nmax": 60}, "nmax"),
     ({"kind": "optimal"}, "kind"), ({"kind": "minimax"}, "kind")],
)
def test_a_design_block_cannot_be_both_explicit_and_searched(extra, key):
    raw = yaml.safe_load(BINOMIAL)
    raw["design"].update(extra)  # binomial.yaml gives r1, n1, r, n
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert info.value.key == f"design.{key}"  # `kind` counts even at its default value: the user wrote it
    assert "give either an explicit design (r1, n1, r, n) or search parameters (p0, p1, alpha, beta, kind, nmax), " \
           "not both" in str(info.value)


def test_an_explicit_design_still_dumps_and_reloads():
    cfg = load_config(CONFIGS / "binomial.yaml")
    dumped = cfg.model_dump(mode="json")
    assert "kind" not in dumped["design"] and dumped["design"]["r1"] == 3
    assert parse_config(dumped) == cfg


@pytest.mark.parametrize(
    ("text", "days"),
    [("3 d", 3.0), ("1 day", 1.0), ("4 days", 4.0), ("2 wk", 14.0), ("2 w", 14.0), ("1 week", 7.0), ("3 weeks", 21.0),
     ("2 mo", 2 * DAYS_PER_MONTH), ("1 month", DAYS_PER_MONTH), ("6 months", 6 * DAYS_PER_MONTH), ("1 yr", 365.25),
     ("2 y", 730.5), ("1 year", 365.25), ("1.5 years", 547.875), ("2 WK", 14.0)],
)
def test_usual_time_unit_spellings(text, days):
    assert parse_duration(text) == days


def test_an_unknown_unit_lists_the_allowed_ones():
    with pytest.raises(ValueError) as info:
        parse_duration("3 fortnights")
    for unit in ("d", "day", "days", "wk", "week", "weeks", "mo", "month", "months", "y", "yr", "year", "years"):
        assert f" {unit}," in str(info.value) or f"({unit}," in str(info.value) or f" {unit})" in str(info.value)
