"""A simulation result built by hand from exact values, so plot tests know every number drawn."""

from __future__ import annotations

import numpy as np
import pytest

from simtrial.design import SimonDesign
from simtrial.engine.result import Estimate, ScenarioResult, SimulationResult
from simtrial.model.designs import ResolvedDesign

N_SIM = 1000
DESIGN = SimonDesign(1, 10, 5, 29)  # Simon (1989) optimal for p0 = 0.1, p1 = 0.3, alpha 0.05, beta 0.2


def _scenario(name: str, p: float, rng: np.random.Generator) -> ScenarioResult:
    d = DESIGN
    pr, pet, en = float(d.p_reject(p)), float(d.pet(p)), float(d.en(p))

    def prob(x: float, shift: float) -> Estimate:
        se = float(np.sqrt(x * (1 - x) / N_SIM))
        return Estimate(x + shift * se, se, x)

    metrics = {
        "p_promising": prob(pr, 0.5),
        "pet": prob(pet, -0.7),
        "en_evaluable": Estimate(en + 0.03, 0.1, en),
        "duration_median_months": Estimate(12.0 + 10 * p, 0.2),
        "n_tox_patients": Estimate(2.5, 0.05),
        "rdi_mean": Estimate(0.85, 0.01),
    }
    edges = np.linspace(0.0, 900.0, 31)
    counts = rng.integers(0, 50, size=30).astype(np.int64)
    t = np.linspace(0.0, 700.0, 71)
    enrolled = np.minimum(t / 20.0, d.n1) + np.clip((t - 300.0) / 20.0, 0, d.n2) * (1 - pet)
    time = rng.exponential(92.0, size=40)
    event = (rng.random(40) < 0.8).astype(np.int8)
    responder = (rng.random(40) < p).astype(np.int8)
    tox = rng.integers(0, 30, size=d.n + 1).astype(np.int64)
    tox[-5:] = 0
    rdi_edges = np.linspace(0.0, 1.0, 11)
    rdi_counts = rng.integers(0, 100, size=10).astype(np.int64)
    zeros = np.zeros(d.n + 1, dtype=np.int64)
    return ScenarioResult(name, {"p_response": p, "p_tox": 0.0}, metrics, (edges, counts), zeros, zeros,
                          (t, enrolled), (time, event, responder), tox, (rdi_edges, rdi_counts), design="optimal")


@pytest.fixture
def result(seed: int) -> SimulationResult:
    """Three scenarios at p = 0.1 (p0), 0.3 (p1) and 0.45 on the optimal 1/10, 5/29 design."""
    rng = np.random.default_rng(seed)
    scen = tuple(_scenario(n, p, rng) for n, p in (("null", 0.1), ("alternative", 0.3), ("optimistic", 0.45)))
    config = {"name": "handmade", "design": {"p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2}}
    design = ResolvedDesign(name="optimal", table=DESIGN.table(), pause=True, monitor=None, family="simon",
                            kind="optimal", simon=DESIGN)
    return SimulationResult(config, (design,), seed, N_SIM, 1, "test", 0.0, scen)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close pyplot figures after each test so memory does not grow."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
