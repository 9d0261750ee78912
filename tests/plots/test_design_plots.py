"""The design figures draw the exact values they claim, checked against independent sums."""

from __future__ import annotations

from math import comb

import matplotlib
import numpy as np
import pytest

from simtrial.design import SimonDesign, simon_search
from simtrial.plots import plot_designs, plot_oc, plot_pet_en

matplotlib.use("Agg")

DESIGN = SimonDesign(1, 10, 5, 29)


def _b(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


def _reject(d: SimonDesign, p: float) -> float:
    """P(X1 > r1 and X1 + X2 > r), summed term by term (independent of simtrial.design)."""
    n2 = d.n - d.n1
    return sum(
        _b(x1, d.n1, p) * sum(_b(x2, n2, p) for x2 in range(n2 + 1) if x1 + x2 > d.r)
        for x1 in range(d.r1 + 1, d.n1 + 1)
    )


def _pet(d: SimonDesign, p: float) -> float:
    return sum(_b(x1, d.n1, p) for x1 in range(d.r1 + 1))


def _line(ax, gid: str):
    found = [ln for ax_ in ax.figure.axes for ln in ax_.get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one line with gid {gid!r}, found {len(found)}"
    return found[0]


def _y_at(line, x: float) -> float:
    xs, ys = line.get_xdata(), line.get_ydata()
    idx = np.flatnonzero(np.asarray(xs) == x)
    assert idx.size == 1, f"x = {x} not on the curve"
    return float(ys[idx[0]])


def _errorbar(ax, gid: str):
    found = [c for ax_ in ax.figure.axes for c in ax_.containers if c.lines[0].get_gid() == gid]
    assert len(found) == 1
    data_line, _caps, (bars,) = found[0].lines
    xy = data_line.get_xydata()
    half = np.array([abs(seg[1][1] - seg[0][1]) / 2 for seg in bars.get_segments()])
    return xy[:, 0], xy[:, 1], half


def _all_text_at_least(fig, pt: float) -> None:
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert sizes and min(sizes) >= pt


def test_oc_line_passes_through_attained_alpha_and_power():
    ax = plot_oc(DESIGN, p0=0.1, p1=0.3)
    exact = _line(ax, "exact")
    alpha, power = _reject(DESIGN, 0.1), _reject(DESIGN, 0.3)
    assert abs(_y_at(exact, 0.1) - alpha) <= 1e-10
    assert abs(_y_at(exact, 0.3) - power) <= 1e-10
    # The markers at p0 and p1 sit on the same values, and the legend states them.
    assert abs(_line(ax, "attained_p0").get_ydata()[0] - alpha) <= 1e-10
    assert abs(_line(ax, "attained_p1").get_ydata()[0] - power) <= 1e-10
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"p0 = 0.1: \u03b1 = {alpha:.3f}" in legend
    assert f"p1 = 0.3: power = {power:.3f}" in legend
    fig = ax.figure
    assert fig.get_size_inches()[0] == pytest.approx(6.5)
    _all_text_at_least(fig, 9)


def test_oc_curve_matches_exact_sum_on_grid():
    grid = np.linspace(0.05, 0.95, 19)
    ax = plot_oc(DESIGN, p_grid=grid)
    exact = _line(ax, "exact")
    for p in grid:
        assert abs(_y_at(exact, p) - _reject(DESIGN, float(p))) <= 1e-10
    # Without p0 / p1 nothing is marked.
    assert not [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("attained")]


@pytest.mark.parametrize("se_mult", [2.0, 1.96])
def test_oc_simulated_points_and_error_bars(result, se_mult):
    ax = plot_oc(result, se_mult=se_mult)
    x, y, half = _errorbar(ax, "simulated")
    expect = [(s.truth["p_response"], s.metrics["p_promising"].value, s.metrics["p_promising"].se)
              for s in result.scenarios]
    np.testing.assert_array_equal(x, [e[0] for e in expect])
    np.testing.assert_array_equal(y, [e[1] for e in expect])
    np.testing.assert_allclose(half, [se_mult * e[2] for e in expect], rtol=0, atol=1e-12)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(f"\u00b1{se_mult:g} Monte Carlo SE" in t for t in legend)
    # p0 and p1 come from the result's config.
    assert abs(_line(ax, "attained_p0").get_ydata()[0] - _reject(DESIGN, 0.1)) <= 1e-10


def test_pet_and_en_curves(result):
    ax = plot_pet_en(result)
    pet, en = _line(ax, "exact_pet"), _line(ax, "exact_en")
    for p in (0.1, 0.3):
        assert abs(_y_at(pet, p) - _pet(DESIGN, p)) <= 1e-10
        assert abs(_y_at(en, p) - (DESIGN.n1 + (1 - _pet(DESIGN, p)) * (DESIGN.n - DESIGN.n1))) <= 1e-10
    x, y, half = _errorbar(ax, "simulated_en_evaluable")
    np.testing.assert_array_equal(y, [s.metrics["en_evaluable"].value for s in result.scenarios])
    np.testing.assert_allclose(half, [2 * s.metrics["en_evaluable"].se for s in result.scenarios], atol=1e-12)
    assert "patients" in en.axes.get_ylabel()
    _all_text_at_least(ax.figure, 9)


def test_designs_figure_shows_the_admissible_hull_and_q_ranges():
    search = simon_search(0.1, 0.3, 0.05, 0.2)
    ax = plot_designs(search)
    hull = _line(ax, "admissible")
    adm = sorted(search.admissible, key=lambda a: a.design.n)
    np.testing.assert_array_equal(hull.get_xdata(), [a.design.n for a in adm])
    np.testing.assert_allclose(hull.get_ydata(), [a.en0 for a in adm], rtol=0, atol=1e-12)
    # Simon (1989), Table 1: optimal 1/10, 5/29 and minimax 1/15, 5/25.
    assert (_line(ax, "optimal").get_xdata()[0], _line(ax, "minimax").get_xdata()[0]) == (29, 25)
    cand = [c for c in ax.collections if c.get_gid() == "candidates"][0]
    np.testing.assert_allclose(cand.get_offsets(), [[c.design.n, c.en0] for c in search.candidates], atol=1e-12)
    notes = [t.get_text() for t in ax.texts]
    for a in adm:
        assert any(f"q \u2208 [{a.q_low:.2f}, {a.q_high:.2f}]" in t and f"{a.design.r1}/{a.design.n1}" in t for t in notes)
    assert "(patients)" in ax.get_xlabel() and "(patients)" in ax.get_ylabel()
    _all_text_at_least(ax.figure, 9)


def test_plot_draws_on_given_axes_and_does_not_show(monkeypatch):
    import matplotlib.pyplot as plt

    def forbidden(*a, **k):
        raise AssertionError("plot functions must not show or save")

    monkeypatch.setattr(plt, "show", forbidden)
    monkeypatch.setattr(plt.Figure, "savefig", forbidden)
    fig, ax = plt.subplots()
    assert plot_oc(DESIGN, ax=ax) is ax


def test_boundaries_figure_draws_the_table():
    from simtrial.design.tables import DecisionTable
    from simtrial.plots import plot_boundaries

    table = DecisionTable((10, 20, 30, 40), (1, 3, 6, 11), (5, 8, 11), toxicity=(5, 7, 9, 9))
    ax = plot_boundaries(table)
    fut = _line(ax, "futility_points")
    assert list(fut.get_xdata()) == [10, 20, 30] and list(fut.get_ydata()) == [1, 3, 6]
    eff = _line(ax, "efficacy_points")
    assert list(eff.get_ydata()) == [5, 8, 11]
    tox = _line(ax, "toxicity")
    assert list(tox.get_xdata()) == [10, 20, 30, 40] and list(tox.get_ydata()) == [5, 7, 9, 9]
    final = _line(ax, "final")
    assert list(final.get_xdata()) == [40] and list(final.get_ydata()) == [12]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Promising at n = 40 if responses \u2265 12" in legend
    assert ax.figure.get_size_inches()[0] == pytest.approx(6.5)
    _all_text_at_least(ax.figure, 9)


def test_boundaries_figure_without_interim_bounds():
    from simtrial.design.tables import DecisionTable
    from simtrial.plots import plot_boundaries

    ax = plot_boundaries(DecisionTable((10, 20), (-1, 5)))
    assert [ln.get_gid() for ln in ax.get_lines()] == ["final"]
