"""Statistical tests: on the pure-binomial model the simulated P(promising),
PET and E(N) agree with Simon's exact values within 4 Monte Carlo SE."""

from __future__ import annotations

import copy

import pytest
import yaml

from simtrial.engine import simulate
from simtrial.model import parse_config

N_SIM = 40_000
P_VALUES = [0.10, 0.20, 0.30, 0.40, 0.60]


@pytest.fixture(scope="module")
def result():
    with open("configs/binomial.yaml") as fh:
        raw = yaml.safe_load(fh)
    raw = copy.deepcopy(raw)
    raw["scenarios"] = [{"name": f"p{p}", "p_response": p} for p in P_VALUES]
    cfg = parse_config(raw)
    return simulate(cfg, n_sim=N_SIM, seed=20261123, threads=2)


@pytest.mark.parametrize("metric", ["p_promising", "pet", "en_enrolled", "en_evaluable"])
@pytest.mark.parametrize("p", P_VALUES)
def test_within_4_se_of_exact(result, metric, p):
    est = result.scenario(f"p{p}").metrics[metric]
    d = result.design.simon
    exact = {"p_promising": d.p_reject(p), "pet": d.pet(p), "en_enrolled": d.en(p), "en_evaluable": d.en(p)}[metric]
    assert est.exact == pytest.approx(float(exact), abs=1e-12)
    # The SE is computed from the simulated replicates; 4 SE is a false alarm
    # about once in 16,000 checks.
    assert est.se > 0
    assert abs(est.value - exact) <= 4 * est.se


def test_binomial_has_no_toxicity_or_deaths(result):
    for s in result.scenarios:
        assert s.metrics["p_stop_tox"].value == 0.0
        assert s.metrics["deaths_on_study"].value == 0.0
        assert s.metrics["rdi_mean"].value == 1.0
        # Everyone is evaluable: enrolled counts are exactly n1 or n.
        d = result.design.simon
        nz = set(int(i) for i in s.enrolled_counts.nonzero()[0])
        assert nz <= {d.n1, d.n}
        assert int(s.enrolled_counts.sum()) == N_SIM


def test_enrolled_quantiles_exact(result):
    d = result.design.simon
    for p in P_VALUES:
        s = result.scenario(f"p{p}")
        pet = float(d.pet(p))
        for name, q in (("enrolled_p10", 0.1), ("enrolled_median", 0.5), ("enrolled_p90", 0.9)):
            e = s.metrics[name]
            assert e.exact == (d.n1 if pet >= q else d.n)
            # Only where PET is not within 4 SE of q can the simulated quantile be pinned down.
            if abs(pet - q) > 4 * (q * (1 - q) / N_SIM) ** 0.5:
                assert e.value == e.exact
