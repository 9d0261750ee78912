"""Every simulated trial ends in exactly one terminal category; the categories partition the trials.

Checked on every example config, and against the records: a trial counted as promising after the
final analysis completed the last look with responses above its bound, one determined promising
early ended at the accrual cap with the responses already above it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simtrial.engine import simulate
from simtrial.engine.outcomes import CATEGORY_METRICS, PROMISING
from simtrial.model import load_config

CONFIGS = sorted(p for p in Path("configs").glob("*.yaml") if "base:" not in p.read_text())


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_categories_sum_to_one(path, seed):
    res = simulate(load_config(path), n_sim=3000, seed=seed, threads=2)
    for s in res.units:
        m = s.metrics
        assert sum(m[k].value for k in CATEGORY_METRICS) == pytest.approx(1.0, abs=1e-12), (s.design, s.name)
        assert m["p_promising"].value == pytest.approx(
            m["p_promising_completed"].value + m["p_promising_interim"].value + m["p_promising_early"].value,
            abs=1e-12)
        assert int(s.decisions.sum()) == 3000


def test_completed_and_early_promising_mean_what_they_say(seed):
    cfg = load_config("configs/len_dex.yaml")
    res = simulate(cfg, n_sim=20000, seed=seed, threads=2, replicates=True)
    reps = res.replicates
    tab = res.design.table
    final = reps[reps.category == "promising_final"]
    # Completed the last look (n evaluable patients counted) with responses > r.
    assert (final["look"] == tab.n_looks).all() and (final["responses"] > tab.futility[-1]).all()
    early = reps[reps.category == "promising_early"]
    assert len(early) > 0  # the 60-month cap ends some trials with the decision already made
    assert (early["look"] == 0).all() and (early["responses"] > tab.futility[-1]).all()
    # Such a trial never completed the design: fewer evaluable patients than n.
    assert (early["evaluable"] < tab.n_max).all()
    assert reps["promising"].tolist() == reps["category"].astype(str).isin(
        ["promising_final", "promising_interim", "promising_early"]).tolist()
    assert sorted(PROMISING) == [0, 1, 2]


def test_a_capped_trial_ends_no_earlier_than_the_cap(seed):
    """Accrual closed by the cap: the trial ends at the later of the cap and the last patient's outcome."""
    cfg = load_config("configs/len_dex.yaml")
    res = simulate(cfg, n_sim=20000, seed=seed, threads=2, replicates=True)
    reps = res.replicates
    capped = reps[reps.category.isin(["accrual_cap", "promising_early"])]
    assert len(capped) > 100
    cap = cfg.enrollment.max_duration
    assert (capped["duration_days"] >= cap).all()
    # Some end after the cap, when the last enrolled patients' outcomes come in.
    assert (capped["duration_days"] > cap).any()
