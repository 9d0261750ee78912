"""Replacing non-evaluable patients keeps Simon's exact operating characteristics.

When response is independent of evaluability (no survival benefit for
responders), replaced patients leave the evaluable patients a random sample,
so the Simon rules act on Bernoulli(p) outcomes whatever the deaths,
withdrawals and dose holds: P(promising) and PET are exactly Simon's. With
``hr_responders < 1`` responders are over-represented among evaluable
patients and the probabilities rise above the exact values; that direction is
checked too, so the test would notice if the survival link were lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simtrial.engine import simulate
from simtrial.model import parse_config

N_SIM = 60_000
CONFIG = Path(__file__).resolve().parents[2] / "configs" / "len_dex.yaml"


def _config(hr: float):
    raw = yaml.safe_load(CONFIG.read_text())
    raw["survival"]["hr_responders"] = hr
    # The toxicity rule and the accrual cap end trials early by design; without
    # them only evaluability remains between the model and Simon's design.
    del raw["design"]["toxicity_stop"]
    del raw["enrollment"]["max_duration"]
    raw["evaluability"]["max_enrolled"] = 1000
    return parse_config(raw)


@pytest.fixture(scope="module")
def independent(seed):
    return simulate(_config(1.0), n_sim=N_SIM, seed=seed, threads=2)


@pytest.mark.parametrize("metric", ["p_promising", "pet"])
@pytest.mark.parametrize("scenario", ["null", "alternative"])
def test_replacement_keeps_exact_simon_probabilities(independent, scenario, metric):
    s = independent.scenario(scenario)
    p = s.truth["p_response"]
    d = independent.design
    exact = float(d.p_reject(p) if metric == "p_promising" else d.pet(p))
    est = s.metrics[metric]
    # 4 Monte Carlo SE: a false alarm about once in 16,000 checks.
    assert abs(est.value - exact) <= 4 * est.se, (scenario, metric, est.value, exact, est.se)


def test_responders_living_longer_inflate_the_type_i_error(seed):
    res = simulate(_config(0.5), n_sim=N_SIM, seed=seed, threads=2)
    est = res.scenario("null").metrics["p_promising"]
    exact = float(res.design.p_reject(0.10))
    assert est.value - exact > 4 * est.se
