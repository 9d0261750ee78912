"""A small base config and sweep specs written to a temporary directory."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

# Simon (1989) optimal design for p0 = 0.05, p1 = 0.25, alpha = 0.10, beta = 0.10:
# r1/n1 = 0/9, r/n = 2/17. No survival model and p_tox = 0 in the "alt" scenario,
# so that scenario reduces to the binomial design and carries exact values.
BASE = {
    "schema_version": 1,
    "name": "sweep test trial",
    "enrollment": {"rates": [{"per_month": 2.0}]},
    "treatment": {
        "cycle_length": "28 days",
        "max_cycles": 3,
        "drugs": [{"name": "lenalidomide", "dose": 25, "days": "1-21", "reductions": [15, 10]}],
    },
    "design": {"r1": 0, "n1": 9, "r": 2, "n": 17},
    "scenarios": [
        {"name": "null", "p_response": 0.05, "p_tox": 0.1},
        {"name": "alt", "p_response": 0.25},
    ],
    "simulation": {"n_sim": 400, "seed": 5},
}


def _write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def base_config() -> dict:
    """A fresh copy of the base config mapping."""
    return copy.deepcopy(BASE)


@pytest.fixture
def write_yaml():
    """``write_yaml(path, mapping)`` writes YAML and returns the path."""
    return _write_yaml


@pytest.fixture
def base_path(tmp_path: Path, base_config: dict) -> Path:
    return _write_yaml(tmp_path / "base.yaml", base_config)


@pytest.fixture
def make_spec(tmp_path: Path, base_path: Path):
    """``make_spec(sweep_block, name=...)`` writes a sweep file pointing at the base config."""

    def make(sweep: dict, name: str = "sweep.yaml") -> Path:
        return _write_yaml(tmp_path / name, {"base": base_path.name, "sweep": sweep})

    return make
