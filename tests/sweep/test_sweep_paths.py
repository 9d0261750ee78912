"""Setting config values by dotted path."""

from __future__ import annotations

import pytest

from simtrial.errors import ConfigError
from simtrial.sweep.paths import apply_overrides, set_path


def _raw():
    return {
        "enrollment": {"rates": [{"per_month": 1.0, "duration": "2 months"}, {"per_month": 2.0}]},
        "scenarios": [{"name": "null", "p_response": 0.05}, {"name": "alt", "p_response": 0.25}],
        "design": {"kind": "optimal"},
    }


def test_dicts_lists_and_names():
    raw = _raw()
    assert set_path(raw, "enrollment.rates.1.per_month", 4) == "enrollment.rates.1.per_month"
    assert set_path(raw, "scenarios.alt.p_response", 0.3) == "scenarios.1.p_response"
    assert set_path(raw, "design.kind", "minimax") == "design.kind"
    assert set_path(raw, "toxicity.hold", "7 days") == "toxicity.hold"  # missing section is created
    assert raw["enrollment"]["rates"][1]["per_month"] == 4
    assert raw["scenarios"][1]["p_response"] == 0.3
    assert raw["design"]["kind"] == "minimax"
    assert raw["toxicity"] == {"hold": "7 days"}


def test_apply_overrides_copies():
    raw = _raw()
    new, resolved = apply_overrides(raw, {"scenarios.0.p_response": 0.1, "scenarios.null.name": "h0"})
    assert raw == _raw()
    assert new["scenarios"][0] == {"name": "h0", "p_response": 0.1}
    assert resolved == {"scenarios.0.p_response": "scenarios.0.p_response", "scenarios.null.name": "scenarios.0.name"}


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("scenarios.2.p_response", "'scenarios.2' is out of range (the list has 2 items)"),
        ("scenarios.nope.p_response", "no list item named 'nope' at 'scenarios.nope' (index or name; names: 'null', 'alt')"),
        ("design.kind.x", "'design.kind' is a value, not a section or list"),
    ],
)
def test_bad_paths_name_the_axis(path, needle):
    with pytest.raises(ConfigError) as info:
        set_path(_raw(), path, 1)
    assert info.value.key == f"sweep.axes.{path}"
    assert needle in info.value.message
