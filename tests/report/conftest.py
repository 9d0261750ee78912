"""Small real simulations shared by the report tests (module scope: simulated once)."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
REPORT_SEED = 20261123  # explicit seed: module-scoped fixtures cannot use the `seed` fixture
N_SIM = 2000  # enough for every figure to have data; the report's numbers are checked against the result


@pytest.fixture(scope="module")
def len_dex_result():
    """The seed trial's config (non-evaluable patients, toxicity rule, survival), simulated."""
    from simtrial.engine import simulate
    from simtrial.model import load_config

    return simulate(load_config(CONFIGS / "len_dex.yaml"), n_sim=N_SIM, seed=REPORT_SEED, threads=1)


@pytest.fixture(scope="module")
def binomial_result():
    """A config that reduces to the binomial design, so exact values exist."""
    from simtrial.engine import simulate
    from simtrial.model import load_config

    return simulate(load_config(CONFIGS / "binomial.yaml"), n_sim=N_SIM, seed=REPORT_SEED, threads=1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
