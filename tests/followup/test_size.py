"""The follow-up sizing end to end: config block, single-arm integration, the shipped config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simtrial.errors import ConfigError
from simtrial.followup import size_followup, size_randomized, size_single_arm
from simtrial.model import load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = ROOT / "configs" / "len_dex_followup.yaml"


def _raw() -> dict:
    return yaml.safe_load(FOLLOWUP.read_text())


def test_shipped_config_loads_with_a_followup_block():
    cfg = load_config(FOLLOWUP)
    fu = cfg.followup
    assert fu is not None and fu.single_arm is not None and fu.randomized is not None and fu.assurance is not None
    assert fu.randomized.survival.control_median == pytest.approx(6 * 365.25 / 12, abs=1e-12)
    assert fu.randomized.analysis.calendar == pytest.approx(36 * 365.25 / 12, abs=1e-12)
    # The trial part is configs/len_dex.yaml unchanged.
    base = yaml.safe_load((ROOT / "configs" / "len_dex.yaml").read_text())
    raw = _raw()
    raw.pop("followup")
    raw["name"] = base["name"]
    assert raw == base
    # The resolved config reloads to the same model.
    assert parse_config(cfg.model_dump(mode="json")) == cfg


@pytest.mark.parametrize(
    "path, value, key",
    [
        (("followup", "randomized", "survival", "hazard_ratio"), 1.0, "followup.randomized.survival.hazard_ratio"),
        (("followup", "randomized", "analysis", "events"), 50, "followup.randomized.analysis"),
        (("followup", "randomized", "n_grid", "max"), 100, "followup.randomized.n_grid.max"),
        (("followup", "single_arm", "p1"), 0.1, "followup.single_arm.p1"),
        (("followup", "assurance", "prior", "discount"), 1.5, "followup.assurance.prior.discount"),
        (("followup", "assurance", "prior", "responses"), 9, "followup.assurance.prior.responses"),
        (("followup", "randomized", "survival", "control_median"), 6, "followup.randomized.survival.control_median"),
        (("followup", "randomized", "sided"), 3, "followup.randomized.sided"),
        (("followup", "randomized", "colour"), "red", "followup.randomized.colour"),
        (("followup", "single_arm", "accrual_per_month"), True, "followup.single_arm.accrual_per_month"),
    ],
)
def test_bad_followup_values_name_the_key(path, value, key):
    raw = _raw()
    node = raw
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    assert err.value.key == key, str(err.value)


def test_config_without_followup_is_a_config_error():
    raw = _raw()
    raw.pop("followup")
    with pytest.raises(ConfigError, match="no followup block"):
        size_followup(parse_config(raw))


def test_single_arm_simulation_reduces_to_the_exact_design(seed):
    # With the binomial patient model and no toxicity the simulated probability of
    # declaring the drug promising must agree with the exact Simon value (4 SE).
    cfg = load_config(ROOT / "configs" / "binomial.yaml")
    raw = cfg.model_dump(mode="json")
    raw["followup"] = {"single_arm": {"p0": 0.1, "p1": 0.3, "p_tox": 0.0, "n_sim": 4000, "accrual_per_month": 3}}
    cfg = parse_config(raw)
    sa = size_single_arm(cfg.followup.single_arm, config=cfg, seed=seed)
    d = sa.design
    assert (d.r1, d.n1, d.r, d.n) == (1, 10, 5, 29)  # Simon (1989), Table 1
    assert [s.name for s in sa.simulation.scenarios] == ["p0", "p1"]
    for sc, p in zip(sa.simulation.scenarios, (0.1, 0.3)):
        e = sc.metrics["p_promising"]
        assert e.exact == pytest.approx(float(d.p_reject(p)), abs=1e-10)
        assert abs(e.value - e.exact) <= 4 * e.se


def test_randomized_response_closed_forms_beside_simulation(seed):
    raw = _raw()
    raw["followup"] = {
        "randomized": {"endpoint": "response", "response": {"control": 0.15, "experimental": 0.35},
                       "n_grid": {"min": 100, "max": 180, "step": 20}, "n_sim": 4000}
    }  # fmt: skip
    rz = size_randomized(parse_config(raw).followup.randomized, seed=seed, n_boot=100)
    t = rz.table
    assert {"power_normal", "power_exact_z", "power_fisher"} <= set(t.columns)
    assert np.all(np.abs(t["power_sim"] - t["power_exact_z"]) <= 4 * t["se"])
    cf = rz.closed_form
    # The exact z test's first adequate N really is the first (scan is exhaustive).
    assert cf["exact_z_n_first"] <= cf["exact_z_n_stable"]
    assert cf["fisher_n_first"] >= cf["exact_z_n_first"]  # Fisher's test is conservative


def test_size_followup_on_the_shipped_config_is_reproducible(seed):
    cfg = load_config(FOLLOWUP)
    a = size_followup(cfg, n_sim=400, seed=seed).to_dict()
    b = size_followup(cfg, n_sim=400, seed=seed, threads=1).to_dict()
    a.pop("elapsed_seconds"), b.pop("elapsed_seconds")
    assert a == b
    assert a["single_arm"]["chosen"] == {"kind": "optimal", "r1": 3, "n1": 13, "r": 12, "n": 43}
    assert a["randomized"]["closed_form"]["schoenfeld_events_rounded"] == 170
    sim = a["assurance"]["simon"]
    assert abs(sim["simulated"]["value"] - sim["exact"]) <= 4 * sim["simulated"]["se"]


def test_n_sim_override_is_validated():
    with pytest.raises(ConfigError, match="n_sim"):
        size_followup(load_config(FOLLOWUP), n_sim=5)


def test_randomized_response_assurance_in_size_followup(seed):
    raw = _raw()
    raw["followup"]["randomized"] = {
        "endpoint": "response", "response": {"control": 0.1, "experimental": 0.3},
        "n_grid": {"min": 60, "max": 100, "step": 20}, "n_sim": 1000,
    }  # fmt: skip
    raw["followup"]["single_arm"]["simulate"] = False
    res = size_followup(parse_config(raw), n_sim=4000, seed=seed)
    rt = res.assurance.randomized
    assert rt["n"].tolist() == [60, 80, 100]
    assert np.all(np.abs(rt["assurance_sim"] - rt["assurance_exact"]) <= 4 * rt["se"])
    assert res.to_dict()["assurance"]["randomized"][0]["n"] == 60
