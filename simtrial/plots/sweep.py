"""Figures of a parameter sweep: a metric against the swept axes.

Both functions take a table with one row per sweep cell (a
:class:`pandas.DataFrame`, or any object with ``.to_frame()`` returning one)
and the names of the columns to draw, so they work for any swept parameter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simtrial.errors import ConfigError
from simtrial.plots._style import LINESTYLES, MARKERS, PALETTE, get_ax, styled

__all__ = ["plot_sweep_lines", "plot_sweep_heatmap", "metric_label"]

_LABELS = {
    "p_promising": "P(declare drug promising)",
    "pet": "Probability of early termination",
    "p_stop_tox": "P(stop for toxicity)",
    "p_stop_accrual": "P(stop: accrual closed)",
    "en_enrolled": "Expected patients enrolled (patients)",
    "en_evaluable": "Expected evaluable patients (patients)",
    "duration_mean_months": "Mean trial duration (months)",
    "duration_median_months": "Median trial duration (months)",
    "duration_p90_months": "90th percentile of trial duration (months)",
    "n_tox_patients": "Patients with grade \u2265 3 toxicity per trial (patients)",
    "rdi_mean": "Mean relative dose intensity",
    "deaths_on_study": "Deaths on study per trial (patients)",
    "p_response": "True response rate p",
    "p_tox": "Per-cycle toxicity probability",
    "per_month": "Accrual rate (patients per month)",
    "screen_fail": "Screening failure fraction",
    "withdrawal_per_cycle": "Withdrawal probability per cycle",
    "os_median": "Median overall survival (days)",
    "median": "Median overall survival (days)",
    "max_cycles": "Maximum cycles",
    "kind": "Design",
}


def metric_label(name: str) -> str:
    """Human axis label (with units) for a metric or a swept config path.

    A dotted path such as ``scenarios.0.p_response`` is labelled by its last
    part; unknown names are shown as written.
    """
    last = str(name).rsplit(".", 1)[-1]
    return _LABELS.get(name, _LABELS.get(last, str(name)))


def _frame(table: Any) -> Any:
    """A DataFrame from a DataFrame, a ``SweepOutcome`` (``.table``) or anything with ``to_frame()``."""
    if hasattr(table, "columns"):
        return table
    if hasattr(table, "table") and hasattr(table.table, "columns"):
        return table.table
    return table.to_frame()


def _need(frame: Any, *cols: str | None) -> None:
    for c in cols:
        if c is not None and c not in frame.columns:
            raise ConfigError(c, f"no column {c!r} in the sweep table; columns: {', '.join(map(str, frame.columns))}")


def _values(frame: Any, metric: str, scenario: str | None) -> tuple[Any, str, str | None]:
    """(frame, value column, se column) for ``metric``, from a tidy or a wide table.

    A tidy sweep table (columns ``scenario, metric, value, se``) is filtered to
    ``metric`` and, when given, ``scenario``; a wide table must have a column
    named ``metric`` (and may have ``<metric>_se``).
    """
    if "metric" in frame.columns and "value" in frame.columns:
        known = list(dict.fromkeys(frame["metric"].astype(str)))
        if metric not in known:
            raise ConfigError("metric", f"unknown metric {metric!r}; known: {', '.join(known)}")
        sub = frame[frame["metric"] == metric]
        if scenario is not None:
            names = list(dict.fromkeys(sub["scenario"].astype(str)))
            if scenario not in names:
                raise ConfigError("scenario", f"unknown scenario {scenario!r}; known: {', '.join(names)}")
            sub = sub[sub["scenario"] == scenario]
        return sub, "value", ("se" if "se" in sub.columns else None)
    _need(frame, metric)
    se = f"{metric}_se" if f"{metric}_se" in frame.columns else None
    return frame, metric, se


def _tick(v: Any) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else str(v)


@styled
def plot_sweep_lines(
    table: Any,
    x: str,
    metric: str = "p_promising",
    *,
    hue: str | None = None,
    scenario: str | None = None,
    se_mult: float = 2.0,
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """A metric against one swept parameter, one line per value of another.

    Parameters
    ----------
    table : pandas.DataFrame, SweepOutcome or object with ``to_frame()``
        The tidy sweep table (``cell_id``, axis columns, ``scenario``,
        ``metric``, ``value``, ``se``) or a wide one with a column per metric.
    x : str
        Column (swept axis, e.g. ``"scenarios.0.p_response"``) on the horizontal axis.
    metric : str
        Metric drawn (``"p_promising"`` by default).
    hue : str, optional
        Column whose values give separate lines (another axis, or ``"scenario"``).
    scenario : str, optional
        Keep only this scenario of a tidy table.
    se_mult : float
        Error bars of ``se_mult`` Monte Carlo SE where SEs are known.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to ``Axes.errorbar``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    df, value, se = _values(_frame(table), metric, scenario)
    _need(df, x, hue)
    keys = [x] + ([hue] if hue else [])
    if df.duplicated(keys).any():
        raise ConfigError(
            "hue", f"several rows share the same {' and '.join(keys)}; choose a scenario or another hue"
        )
    ax = get_ax(ax)
    groups = [(None, df)] if hue is None else list(df.groupby(hue, sort=True))
    for i, (key, g) in enumerate(groups):
        g = g.sort_values(x)
        yerr = None if se is None else se_mult * g[se].to_numpy(dtype=float)
        label = None if hue is None else _tick(key)
        ax.errorbar(g[x].to_numpy(dtype=float), g[value].to_numpy(dtype=float), yerr=yerr,
                    color=PALETTE[1 + i % (len(PALETTE) - 1)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                    marker=MARKERS[i % len(MARKERS)], capsize=3 if se else 0, label=label, **kwargs)
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(metric))
    note = f" (bars: \u00b1{se_mult:g} Monte Carlo SE)" if se else ""
    where = f", scenario {scenario}" if scenario else ""
    ax.set_title(f"{metric_label(metric)} across the sweep{where}{note}", fontsize=10)
    if hue is not None:
        ax.legend(title=metric_label(hue))
    return ax


@styled
def plot_sweep_heatmap(
    table: Any,
    x: str,
    y: str,
    metric: str = "p_promising",
    *,
    scenario: str | None = None,
    fmt: str = "{:.2f}",
    cmap: str = "viridis",
    ax: Any = None,
    **kwargs: Any,
) -> Any:
    """Heatmap of a metric over two swept parameters, each cell annotated with its value.

    Parameters
    ----------
    table : pandas.DataFrame, SweepOutcome or object with ``to_frame()``
        Tidy or wide sweep table (see :func:`plot_sweep_lines`); the
        ``(x, y)`` pairs must be unique after selecting ``scenario``.
    x, y : str
        Columns for the horizontal and vertical axes.
    metric : str
        Metric coloured and written in each cell.
    scenario : str, optional
        Keep only this scenario of a tidy table.
    fmt : str
        Format of the cell annotations.
    cmap : str
        Perceptually uniform and colour-blind-safe by default.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to ``Axes.imshow``.

    Returns
    -------
    matplotlib.axes.Axes
        The image is ``ax.images[0]``; its rows follow the sorted ``y``
        values (lowest at the bottom), its columns the sorted ``x`` values.
    """
    df, value, _ = _values(_frame(table), metric, scenario)
    _need(df, x, y)
    if df.duplicated([x, y]).any():
        raise ConfigError("scenario", f"several rows share the same ({x}, {y}); choose a scenario or fix the other axes")
    grid = df.pivot(index=y, columns=x, values=value).sort_index().sort_index(axis=1)
    data = grid.to_numpy(dtype=float)
    ax = get_ax(ax, height=4.2)
    im = ax.imshow(np.ma.masked_invalid(data), origin="lower", aspect="auto", cmap=cmap, **kwargs)
    ax.grid(False)
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index])
    finite = data[np.isfinite(data)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (r, c), v in np.ndenumerate(data):
        if np.isfinite(v):
            # Dark text on the light (high) end of viridis, light text on the dark end.
            ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=9,
                    color="black" if v >= mid else "white")
    ax.figure.colorbar(im, ax=ax, label=metric_label(metric))
    ax.set_xlabel(metric_label(x))
    ax.set_ylabel(metric_label(y))
    where = f" (scenario {scenario})" if scenario else ""
    ax.set_title(f"{metric_label(metric)} across the sweep{where}")
    return ax
