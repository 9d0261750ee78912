"""Simulation figures draw exactly the histograms, curves and counts of the result."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.patches import StepPatch
from matplotlib.text import Text

from simtrial.errors import ConfigError
from simtrial.plots import (
    coarsen_histogram,
    kaplan_meier,
    plot_accrual,
    plot_duration,
    plot_rdi,
    plot_survival,
    plot_toxicity,
)

matplotlib.use("Agg")
DPM = 365.25 / 12


def _min_font(fig) -> float:
    return min(t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip())


def test_kaplan_meier_by_hand():
    # times 2, 3, 3(censored), 5, 5, 7(censored), 8; 7 at risk at the start.
    t, s = kaplan_meier([3, 2, 5, 3, 5, 7, 8], [1, 1, 1, 0, 1, 0, 1])
    # S(2) = 6/7; S(3) = 6/7 * 5/6 (the censored patient at 3 is at risk);
    # S(5) = 5/7 * (1 - 2/4); 7 is censored; S(8) = 0.
    assert t.tolist() == [0.0, 2.0, 3.0, 5.0, 8.0]
    np.testing.assert_allclose(s, [1.0, 6 / 7, 5 / 7, 5 / 14, 0.0], rtol=0, atol=1e-12)


def test_kaplan_meier_all_censored_and_empty():
    t, s = kaplan_meier([1.0, 2.0], [0, 0])
    assert t.tolist() == [0.0] and s.tolist() == [1.0]
    t, s = kaplan_meier([], [])
    assert t.tolist() == [0.0] and s.tolist() == [1.0]


def test_survival_steps_follow_kaplan_meier(result):
    ax = plot_survival(result)
    lines = ax.get_lines()
    assert len(lines) == len(result.scenarios)
    for line, s in zip(lines, result.scenarios):
        time, event, _ = s.survival_sample
        t, surv = kaplan_meier(time, event)
        x, y = line.get_xdata(), line.get_ydata()
        np.testing.assert_allclose(x[:-1], t / DPM, rtol=1e-12)
        np.testing.assert_array_equal(y[:-1], surv)
        assert x[-1] == pytest.approx(max(time.max(), t[-1]) / DPM)  # extended to the end of follow-up
        assert f"N = {time.size}" in line.get_label()
    assert "months" in ax.get_xlabel()
    assert _min_font(ax.figure) >= 9


def test_survival_by_response_splits_patients(result):
    ax = plot_survival(result, scenarios="alternative", by_response=True)
    s = result.scenario("alternative")
    time, event, resp = s.survival_sample
    lines = {ln.get_label().split(", ")[-1].split(" (")[0]: ln for ln in ax.get_lines()}
    for key, mask in (("responders", resp == 1), ("non-responders", resp != 1)):
        _, surv = kaplan_meier(time[mask], event[mask])
        np.testing.assert_array_equal(lines[key].get_ydata()[:-1], surv)


def test_duration_histogram_is_the_result_histogram(result):
    ax = plot_duration(result)  # 30 stored bins <= 40: drawn as stored
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == len(result.scenarios)
    for patch, s in zip(steps, result.scenarios):
        edges, counts = s.duration_hist
        nz = np.flatnonzero(counts)
        edges, counts = edges[nz[0]:nz[-1] + 2], counts[nz[0]:nz[-1] + 1]
        values, drawn_edges, _ = patch.get_data()
        width_months = np.diff(edges) / DPM
        np.testing.assert_allclose(values, counts / counts.sum() / width_months, rtol=1e-12)
        np.testing.assert_allclose(drawn_edges, edges / DPM, rtol=1e-15)
    # Median markers at the reported medians.
    medians = sorted(ln.get_xdata()[0] for ln in ax.get_lines())
    assert medians == sorted(s.metrics["duration_median_months"].value for s in result.scenarios)
    assert "(months)" in ax.get_xlabel() and "per month" in ax.get_ylabel()


def test_coarsen_histogram_keeps_every_count():
    edges = np.arange(0.0, 101.0)
    counts = np.zeros(100, dtype=np.int64)
    counts[3:90] = np.arange(1, 88)
    e, c = coarsen_histogram(edges, counts, max_bins=10)
    assert c.sum() == counts.sum() and c.size <= 10
    assert e[0] == 3.0 and e[-1] == 90.0  # empty outer bins trimmed
    assert c[0] == sum(range(1, 10))  # 87 bins in groups of 9
    assert np.all(np.isin(e, edges))


def test_accrual_curve_and_stage_lines(result):
    ax = plot_accrual(result)
    curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    for ln, s in zip(curves, result.scenarios):
        t, enrolled = s.accrual_curve
        np.testing.assert_allclose(ln.get_xdata(), t / DPM, rtol=1e-15)
        np.testing.assert_array_equal(ln.get_ydata(), enrolled)
    levels = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if len(ln.get_xdata()) == 2)
    assert levels == list(result.design.table.looks)
    assert "(months)" in ax.get_xlabel() and "(patients)" in ax.get_ylabel()


def test_toxicity_bars_are_proportions_of_trials(result):
    ax = plot_toxicity(result)
    k = len(result.scenarios)
    bars = ax.patches
    for i, s in enumerate(result.scenarios):
        counts = s.tox_counts
        heights = [b.get_height() for b in bars[i * counts.size:(i + 1) * counts.size]]
        np.testing.assert_allclose(heights, counts / counts.sum(), rtol=0, atol=1e-15)
    assert len(bars) == k * result.scenarios[0].tox_counts.size
    assert _min_font(ax.figure) >= 9


def test_rdi_histogram_in_percent(result):
    ax = plot_rdi(result, scenarios=["null"])
    (patch,) = [p for p in ax.patches if isinstance(p, StepPatch)]
    edges, counts = result.scenario("null").rdi_hist
    values, drawn_edges, _ = patch.get_data()
    np.testing.assert_allclose(values, counts / counts.sum(), atol=1e-15)
    np.testing.assert_allclose(drawn_edges, 100 * edges, rtol=1e-15)
    assert "%" in ax.get_xlabel()


def test_unknown_scenario_names_the_known_ones(result):
    with pytest.raises(ConfigError, match="unknown scenario 'nope'; known: null, alternative, optimistic"):
        plot_duration(result, scenarios=["nope"])


@pytest.mark.parametrize("plot", [plot_accrual, plot_duration, plot_toxicity, plot_rdi, plot_survival])
def test_print_size_fonts_and_units(result, plot):
    ax = plot(result)
    assert ax.figure.get_size_inches()[0] == pytest.approx(6.5)
    assert _min_font(ax.figure) >= 9
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
