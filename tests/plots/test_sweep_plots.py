"""Sweep figures draw the values of the sweep table, cell by cell."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from simtrial.errors import ConfigError
from simtrial.plots import plot_sweep_heatmap, plot_sweep_lines

matplotlib.use("Agg")

X = "scenarios.truth.p_response"
Y = "enrollment.rates.0.per_month"


@pytest.fixture
def table(seed: int) -> pd.DataFrame:
    """A tidy sweep table (the layout of ``SweepOutcome.table``) with made-up values."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in (0.1, 0.2, 0.3):
        for rate in (1, 2):
            for scen in ("truth", "other"):
                for metric in ("p_promising", "duration_median_months"):
                    rows.append({"cell_id": f"{p}-{rate}", "cell_seed": 1, X: p, Y: rate, "scenario": scen,
                                 "metric": metric, "value": rng.random(), "se": rng.random() / 100, "exact": np.nan})
    return pd.DataFrame(rows)


def _pick(table, metric, scenario):
    return table[(table.metric == metric) & (table.scenario == scenario)]


def test_heatmap_cells_equal_the_table(table):
    ax = plot_sweep_heatmap(table, X, Y, "duration_median_months", scenario="truth", fmt="{:.3f}")
    data = ax.images[0].get_array()
    sub = _pick(table, "duration_median_months", "truth")
    xs, ys = sorted(sub[X].unique()), sorted(sub[Y].unique())
    assert data.shape == (len(ys), len(xs))
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    for _, row in sub.iterrows():
        r, c = ys.index(row[Y]), xs.index(row[X])
        assert data[r, c] == row["value"]
        assert texts[(r, c)] == f"{row['value']:.3f}"
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{v:g}" for v in xs]
    assert ax.get_xlabel() == "True response rate p"
    assert ax.get_ylabel() == "Accrual rate (patients per month)"


def test_lines_draw_each_hue_group_with_se_bars(table):
    ax = plot_sweep_lines(table, X, "p_promising", hue=Y, scenario="other", se_mult=2)
    sub = _pick(table, "p_promising", "other")
    assert len(ax.containers) == 2
    for cont, rate in zip(ax.containers, (1, 2)):
        g = sub[sub[Y] == rate].sort_values(X)
        line, _caps, (bars,) = cont.lines
        np.testing.assert_array_equal(line.get_xdata(), g[X].to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), g["value"].to_numpy())
        half = [abs(s[1][1] - s[0][1]) / 2 for s in bars.get_segments()]
        np.testing.assert_allclose(half, 2 * g["se"].to_numpy(), rtol=0, atol=1e-15)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1", "2"]
    assert "Monte Carlo SE" in ax.get_title()


def test_wide_table_and_sweep_outcome_like_inputs(table):
    wide = _pick(table, "p_promising", "truth").rename(columns={"value": "p_promising"})
    wide = wide.drop(columns=["metric", "se"])
    ax = plot_sweep_heatmap(wide, X, Y, "p_promising")
    assert np.isfinite(ax.images[0].get_array()).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "nope", "scenario": "truth"}, "unknown metric 'nope'"),
        ({"metric": "p_promising", "scenario": "nope"}, "unknown scenario 'nope'; known: truth, other"),
        ({"metric": "p_promising"}, "several rows share"),
    ],
)
def test_bad_selection_names_the_problem(table, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        plot_sweep_heatmap(table, X, Y, **kwargs)


def test_unknown_column(table):
    with pytest.raises(ConfigError, match="no column 'design.kind'"):
        plot_sweep_lines(table, "design.kind", "p_promising", scenario="truth")
