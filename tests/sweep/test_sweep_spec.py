"""Reading sweep specs: both forms, and errors that name the axis."""

from __future__ import annotations

import pytest

from simtrial.errors import ConfigError
from simtrial.sweep import load_sweep, parse_sweep


def test_separate_file_and_embedded_block_agree(tmp_path, make_spec, base_config, write_yaml):
    block = {"axes": {"scenarios.alt.p_response": [0.2, 0.3], "enrollment.rates.0.per_month": {"start": 1, "stop": 2, "step": 1}}}
    separate = load_sweep(make_spec(block))
    embedded = load_sweep(write_yaml(tmp_path / "embedded.yaml", {**base_config, "sweep": block}))
    assert separate.fingerprint == embedded.fingerprint
    assert [c.identity for c in separate.cells] == [c.identity for c in embedded.cells]
    assert separate.seed == 5  # simulation.seed of the base config
    assert len(separate.cells) == 4
    cfg = separate.cell_config(separate.cells[3])
    assert cfg.scenarios[1].p_response == 0.3
    assert cfg.enrollment.rates[0].per_month == 2
    assert cfg.sweep is None


def test_fixed_and_seed(make_spec):
    spec = load_sweep(make_spec({"axes": {"design.r": [2, 3]}, "fixed": {"simulation.n_sim": 50}, "seed": 9}))
    assert spec.seed == 9
    assert spec.cell_config(spec.cells[1]).simulation.n_sim == 50
    other = load_sweep(make_spec({"axes": {"design.r": [2, 3]}, "fixed": {"simulation.n_sim": 60}, "seed": 9}, name="b.yaml"))
    # Same cells and seeds, but a different sweep: resuming one with the other is refused.
    assert [c.seed for c in spec.cells] == [c.seed for c in other.cells]
    assert spec.fingerprint != other.fingerprint


@pytest.mark.parametrize(
    ("block", "key", "needle"),
    [
        ({"axes": {"scenarios.alt.p_response": [0.2, 1.5]}}, "sweep.axes.scenarios.alt.p_response", "value 1.5 makes the config invalid"),
        ({"axes": {"enrollment.rate": [1, 2]}}, "sweep.axes.enrollment.rate", "unknown key"),
        ({"axes": {"scenarios.7.p_response": [0.2]}}, "sweep.axes.scenarios.7.p_response", "out of range"),
        # The base design is explicit (r1, n1, r, n): a kind would be ignored, so it is refused.
        ({"axes": {"design.kind": ["optimal", "fastest"]}}, "sweep.axes.design.kind",
         "value 'optimal' makes the config invalid: design.kind: give either an explicit design"),
        ({"axes": {"design.r1": [0, 9]}}, "sweep.axes.design.r1", "value 9 makes the config invalid"),
        ({"axes": {"simulation.seed": [1, 2]}}, "sweep.axes.simulation.seed", "use sweep.seed"),
        ({"axes": {"a": [1]}, "mode": "grid"}, "sweep.mode", "'product' or 'zip'"),
        ({"axes": {"a": [1]}, "colour": 1}, "sweep.colour", "unknown key"),
        ({"axez": {"design.r": [2, 3]}}, "sweep.axez", "unknown key"),
        ({"axes": {"design.r": [2, 3], "design.n": [17]}, "mode": "zip"}, "sweep.axes", "axis 'design.n' has 1 values"),
        ({"axes": {"design.r": [2]}, "fixed": {"simulation.n_sim": 0}}, "sweep.fixed.simulation.n_sim", "value 0 is invalid"),
    ],
)
def test_errors_name_the_axis(make_spec, block, key, needle):
    with pytest.raises(ConfigError) as info:
        load_sweep(make_spec(block))
    assert info.value.key == key
    assert needle in str(info.value)


def test_design_kind_axis_names_the_bad_value(tmp_path, base_config, write_yaml):
    base_config["design"] = {"p0": 0.05, "p1": 0.25, "alpha": 0.1, "beta": 0.1}
    write_yaml(tmp_path / "searched.yaml", base_config)
    spec = write_yaml(tmp_path / "s.yaml", {"base": "searched.yaml",
                                            "sweep": {"axes": {"design.kind": ["optimal", "fastest"]}}})
    with pytest.raises(ConfigError) as info:
        load_sweep(spec)
    assert info.value.key == "sweep.axes.design.kind"
    assert "'fastest'" in str(info.value)


def test_missing_sweep_block_and_bad_base(tmp_path, base_config, write_yaml):
    with pytest.raises(ConfigError, match="missing: a sweep spec is a config with a sweep: block"):
        parse_sweep(base_config)
    with pytest.raises(ConfigError) as info:
        load_sweep(write_yaml(tmp_path / "s.yaml", {"base": "nowhere.yaml", "sweep": {"axes": {"a": [1]}}}))
    assert info.value.key == "base" and "file not found" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_sweep(write_yaml(tmp_path / "t.yaml", {"base": "x.yaml", "axes": {}}))
    assert info.value.key == "axes"
