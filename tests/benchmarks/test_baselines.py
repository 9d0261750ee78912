"""The benchmark baselines simulate the reference model correctly.

Statistical tier: each simulated quantity is compared with an exact value
computed here independently (binomial sums; linearity of expectation), with
tolerance 4 computed Monte Carlo SE. Every patient of the reference model is
evaluable and toxicity does not touch response, so P(promising), PET and
E(N) are Simon's exact operating characteristics; the mean number of toxic
patients is E(N) * P(first toxicity within max_cycles), and the mean
duration is E(n1 arrival gaps) + cycle + (1 - PET) (E(n2 gaps) + cycle).
No timings here: speed is measured by the scripts in benchmarks/.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from baselines import ReferenceModel, Totals, numpy_simulate, python_simulate  # noqa: E402

from simtrial.model import load_config  # noqa: E402

REFERENCE = ROOT / "benchmarks" / "reference.yaml"


def exact(m: ReferenceModel) -> dict[str, float]:
    """Exact expectations of the reference model, independent of any simulator."""
    n2 = m.n - m.n1
    pet = float(binom.cdf(m.r1, m.n1, m.p_response))
    x1 = np.arange(m.r1 + 1, m.n1 + 1)
    # P(X2 > r - x1) for each continuing x1.
    p_rej = float(np.sum(binom.pmf(x1, m.n1, m.p_response) * binom.sf(m.r - x1, n2, m.p_response)))
    en = m.n1 + (1 - pet) * n2
    q_tox = 1.0 - (1.0 - m.p_tox) ** m.max_cycles
    dur = m.n1 / m.rate + m.cycle_length + (1 - pet) * (n2 / m.rate + m.cycle_length)
    return {"p_promising": p_rej, "pet": pet, "en": en, "tox": en * q_tox, "duration": dur}


def check(t: Totals, m: ReferenceModel) -> None:
    ex = exact(m)
    n = t.n_sim
    for name, k in (("p_promising", t.promising), ("pet", t.stopped)):
        p = k / n
        se = math.sqrt(ex[name] * (1 - ex[name]) / n)
        assert abs(p - ex[name]) <= 4 * se, (name, p, ex[name], se)
    # E(N): N takes n1 or n, so SE = n2 * SE(PET).
    pet = ex["pet"]
    se_en = (m.n - m.n1) * math.sqrt(pet * (1 - pet) / n)
    assert abs(t.enrolled / n - ex["en"]) <= 4 * se_en
    for name, s, s2 in (("tox", t.tox_patients, t.tox_patients_sq), ("duration", t.duration, t.duration_sq)):
        mean = s / n
        se = math.sqrt((s2 / n - mean * mean) * n / (n - 1) / n)
        assert se > 0
        assert abs(mean - ex[name]) <= 4 * se, (name, mean, ex[name], se)


@pytest.fixture(scope="module")
def models() -> list[ReferenceModel]:
    cfg = load_config(REFERENCE)
    return [ReferenceModel.from_config(cfg, i) for i in range(len(cfg.scenarios))]


def test_reference_config_is_the_issue_design(models):
    m = models[0]
    assert (m.r1, m.n1, m.r, m.n) == (1, 10, 5, 29)
    assert m.max_cycles == 6
    assert m.rate == pytest.approx(2.0 / (365.25 / 12), abs=1e-12)
    assert all(0 < x.p_tox < 1 for x in models)


def test_python_baseline_matches_exact(models, seed):
    for i, m in enumerate(models):
        check(python_simulate(m, 20_000, seed + i), m)


def test_numpy_baseline_matches_exact(models, seed):
    for i, m in enumerate(models):
        t = numpy_simulate(m, 200_000, seed + i, chunk=30_000)
        assert t.n_sim == 200_000
        check(t, m)


def test_numpy_baseline_seeded_and_chunked(models, seed):
    m = models[1]
    a = numpy_simulate(m, 5_000, seed, chunk=1_000)
    b = numpy_simulate(m, 5_000, seed, chunk=1_000)
    assert a == b


def test_baselines_refuse_features_they_do_not_implement():
    cfg = load_config(ROOT / "configs" / "len_dex.yaml")
    with pytest.raises(ValueError, match="survival"):
        ReferenceModel.from_config(cfg, 0)
