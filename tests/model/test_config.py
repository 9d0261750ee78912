"""The YAML trial model: example configs load, units convert, bad input is named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from simtrial.errors import ConfigError
from simtrial.model import DAYS_PER_MONTH, load_config, parse_config, parse_duration

# Sweep files (a `base:` config plus a grid) are loaded by the sweep tests.
CONFIGS = [p for p in sorted(Path("configs").glob("*.yaml")) if "base" not in (yaml.safe_load(p.read_text()) or {})]


def _raw(name: str = "len_dex") -> dict:
    with open(f"configs/{name}.yaml") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_example_config_loads(path):
    assert load_config(path).schema_version == 1


@pytest.mark.parametrize("name", ["len_dex", "binomial", "cytotoxic_monitored"])
def test_resolved_config_round_trips(name):
    cfg = load_config(f"configs/{name}.yaml")
    # The resolved config (durations written as days) reloads to the same model.
    assert parse_config(cfg.model_dump(mode="json")) == cfg


def test_len_dex_encodes_the_paper():
    cfg = load_config("configs/len_dex.yaml")
    tr = cfg.treatment
    assert tr.cycle_length == 28.0
    len_, dex = tr.drugs
    assert (len_.name, len_.dose, len_.days) == ("lenalidomide", 25.0, list(range(1, 22)))
    assert len_.reductions == [15.0, 10.0, 5.0]
    assert (dex.name, dex.dose, dex.days) == ("dexamethasone", 40.0, [1, 8, 15, 22])
    assert cfg.survival.median == 92.0
    assert cfg.scenario_is_binomial(0) is False
    d = cfg.resolved_designs()[0].simon
    # Simon (1989), Table 1, p0 = 0.10, p1 = 0.30, alpha 0.05, beta 0.20, optimal: 1/10, 5/29.
    assert (d.r1, d.n1, d.r, d.n) == (1, 10, 5, 29)


def test_binomial_config_reduces_to_simon():
    cfg = load_config("configs/binomial.yaml")
    assert all(cfg.scenario_is_binomial(i) for i in range(len(cfg.scenarios)))
    d = cfg.resolved_designs()[0].simon
    assert (d.r1, d.n1, d.r, d.n) == (3, 13, 12, 43)


def test_durations_are_converted_once():
    assert parse_duration("3 months") == 3 * DAYS_PER_MONTH
    assert parse_duration("2 weeks") == 14.0
    assert parse_duration("1 year") == 365.25
    raw = _raw()
    raw["survival"]["median"] = "3 months"
    assert parse_config(raw).survival.median == 3 * DAYS_PER_MONTH


def _set(raw: dict, dotted: str, value):
    node = raw
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "key", "fragment"),
    [
        ("enrollment.speed", 3, "enrollment.speed", "unknown key; allowed here: rates"),
        ("scenarios.1.p_response", 1.5, "scenarios[1].p_response", "probability in [0, 1]"),
        ("scenarios.0.p_tox", "high", "scenarios[0].p_tox", "valid number"),
        ("enrollment.rates.1.per_month", -1.0, "enrollment.rates[1].per_month", "must be a finite number >= 0"),
        ("enrollment.rates.1.per_month", float("inf"), "enrollment.rates[1].per_month", "finite number >= 0, got inf"),
        ("treatment.drugs.0.days", "21-1", "treatment.drugs[0].days", "from the first to the last, e.g. '1-21'"),
        ("design.toxicity_stop", {"threshold": 0.3, "posterior_bound": 0.9, "prior": [1]},
         "design.toxicity_stop.prior", "two parameters [a, b] of a Beta prior"),
        ("survival.median", 92, "survival.median", "with a unit"),
        ("survival.median", "92 fortnights", "survival.median", "with a unit"),
        ("treatment.max_cycles", 0, "treatment.max_cycles", "greater than or equal to 1"),
        ("toxicity.on_event", "ignore", "toxicity.on_event", "'reduce' or 'discontinue'"),
        ("treatment.drugs.0.reductions", [15, 20], "treatment.drugs[0].reductions", "strictly decreasing"),
        ("schema_version", 2, "schema_version", "1"),
    ],
)
def test_bad_values_name_the_key(path, value, key, fragment):
    raw = _raw()
    _set(raw, path, value)
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == key
    assert fragment in err.value.message


def test_a_misspelt_key_is_named_rather_than_the_key_it_leaves_missing():
    raw = _raw()
    raw["enrolment"] = raw.pop("enrollment")
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == "enrolment"
    assert err.value.message.startswith("unknown key; allowed here:")


@pytest.mark.parametrize(
    ("design", "key"),
    [
        ({"r1": 3, "n1": 3, "r": 5, "n": 29}, "design.r1"),
        ({"r1": 1, "n1": 29, "r": 5, "n": 29}, "design.n1"),
        ({"r1": 1, "n1": 10, "r": 29, "n": 29}, "design.r"),
        ({"r1": 4, "n1": 10, "r": 3, "n": 29}, "design.r"),
        ({"r1": 1, "n1": 10, "r": 5}, "design.n"),
        ({"p0": 0.3, "p1": 0.1, "alpha": 0.05, "beta": 0.2}, "design.p1"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 0.05}, "design.beta"),
    ],
)
def test_bad_designs(design, key):
    raw = _raw("binomial")
    raw["design"] = design
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == key


def test_cross_field_rules():
    raw = _raw()
    raw["response"]["assess_after_cycles"] = 7
    with pytest.raises(ConfigError, match="assess_after_cycles"):
        parse_config(raw)
    raw = _raw()
    raw["scenarios"][1]["name"] = "null"
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == "scenarios[1].name"
    raw = _raw()
    raw["enrollment"]["rates"] = [{"per_month": 1.0}, {"per_month": 2.0}]
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == "enrollment.rates[0].duration"


def test_files(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_config(empty)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="broken YAML at line"):
        load_config(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(scalar)


def test_models_are_frozen():
    cfg = load_config("configs/binomial.yaml")
    with pytest.raises(Exception):
        cfg.name = "other"  # type: ignore[misc]
    raw = copy.deepcopy(_raw("binomial"))
    assert parse_config(raw) == cfg
