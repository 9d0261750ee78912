"""Figures of a patient-level simulation: duration, accrual, toxicity, survival.

Every function takes a :class:`simtrial.engine.result.SimulationResult` and
draws one Axes (``ax`` in, ``ax`` out), never showing or saving.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from simtrial.plots._style import (
    DAYS_PER_MONTH,
    LINESTYLES,
    PALETTE,
    get_ax,
    scenario_label,
    select_scenarios,
    styled,
)
from simtrial.plots.km import kaplan_meier

__all__ = ["plot_duration", "plot_accrual", "plot_toxicity", "plot_rdi", "plot_survival", "coarsen_histogram"]


def coarsen_histogram(edges: Any, counts: Any, max_bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Trim empty outer bins, then merge groups of ``k`` adjacent bins so at most ``max_bins`` remain.

    Counts are summed, never interpolated, so every trial is still counted
    once; the last group may hold fewer than ``k`` original bins.

    Parameters
    ----------
    edges : array_like, float[m+1]
    counts : array_like, int[m]
    max_bins : int

    Returns
    -------
    edges : ndarray of float64
    counts : ndarray of int64
    """
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    nz = np.flatnonzero(counts)
    if nz.size == 0:
        return edges, counts
    lo, hi = int(nz[0]), int(nz[-1]) + 1
    edges, counts = edges[lo:hi + 1], counts[lo:hi]
    k = -(-counts.size // max_bins)  # ceiling division
    if k > 1:
        starts = np.arange(0, counts.size, k)
        counts = np.add.reduceat(counts, starts)
        edges = np.append(edges[starts], edges[-1])
    return edges, counts


def _colour(i: int) -> str:
    # Black is kept for exact curves; scenarios start at blue.
    return PALETTE[1 + i % (len(PALETTE) - 1)]


@styled
def plot_duration(
    result: Any,
    *,
    ax: Any = None,
    scenarios: Sequence[str] | str | None = None,
    max_bins: int = 40,
    **kwargs: Any,
) -> Any:
    """Distribution of trial duration (from the opening of accrual to the final decision).

    Draws, per scenario, the proportion of simulated trials per month of
    duration as a step histogram (a density in 1/month), with the median as
    a dotted vertical line.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 6.5-inch-wide figure when None.
    scenarios : str or sequence of str, optional
        Scenario names to draw (all by default).
    max_bins : int
        Adjacent bins of the stored histogram are merged until at most this
        many cover the occupied range (see :func:`coarsen_histogram`).
    **kwargs
        Passed to ``Axes.stairs``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    right = 0.0
    for i, s in enumerate(select_scenarios(result, scenarios)):
        edges, counts = coarsen_histogram(*s.duration_hist, max_bins=max_bins)
        months = edges / DAYS_PER_MONTH
        total = counts.sum()
        # Per month, so scenarios binned differently stay comparable.
        density = counts / (total * np.diff(months)) if total > 0 else counts.astype(float)
        colour = _colour(i)
        ax.stairs(density, months, label=scenario_label(s), color=colour,
                  linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.6, **kwargs)
        right = max(right, months[-1])
        med = s.metrics.get("duration_median_months")
        if med is not None:
            ax.axvline(med.value, color=colour, linestyle=":", linewidth=1.0)
    ax.set_xlim(0, right)
    ax.set_xlabel("Trial duration (months)")
    ax.set_ylabel("Proportion of simulated trials per month")
    ax.set_title("Distribution of trial duration (dotted: medians)")
    ax.set_ylim(bottom=0)
    ax.legend(title="Scenario (true response rate)")
    return ax


@styled
def plot_accrual(
    result: Any,
    *,
    ax: Any = None,
    scenarios: Sequence[str] | str | None = None,
    **kwargs: Any,
) -> Any:
    """Mean cumulative enrolment over calendar time, showing the stage-1 pause.

    Horizontal reference lines mark the design's stage-1 size ``n1`` and
    maximum size ``n`` (evaluable patients); the flat stretch near ``n1`` is
    the pause while stage-1 patients are assessed for response. It is sharp
    when every patient is evaluable and blurred by the averaging when
    replacements of non-evaluable patients shift it from trial to trial;
    with replacements the mean enrolled can exceed ``n``. The time axis ends
    shortly after the last change of any curve.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    scenarios : str or sequence of str, optional
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    last_change = 0.0
    for i, s in enumerate(select_scenarios(result, scenarios)):
        t, enrolled = (np.asarray(a, dtype=float) for a in s.accrual_curve)
        ax.plot(t / DAYS_PER_MONTH, enrolled, color=_colour(i),
                linestyle=LINESTYLES[i % len(LINESTYLES)], label=scenario_label(s), **kwargs)
        moving = np.flatnonzero(np.abs(np.diff(enrolled)) > 1e-9)
        if moving.size:
            last_change = max(last_change, t[moving[-1] + 1] / DAYS_PER_MONTH)
    design = getattr(result, "design", None)
    if design is not None:
        looks = design.table.looks
        marks = [(n, f"look {k + 1}: {n} evaluable") for k, n in enumerate(looks[:-1])]
        if len(looks) == 2:
            marks = [(looks[0], f"stage 1: n1 = {looks[0]} evaluable")]
        for level, text in (*marks, (looks[-1], f"n = {looks[-1]} evaluable")):
            ax.axhline(level, color="0.4", linestyle=":", linewidth=1.0)
            ax.annotate(text, xy=(0.01, level), xycoords=("axes fraction", "data"),
                        xytext=(0, 2), textcoords="offset points", va="bottom", fontsize=9, color="0.3")
    ax.set_xlabel("Time since the opening of accrual (months)")
    ax.set_ylabel("Mean patients enrolled (patients)")
    ax.set_title("Cumulative accrual (mean over simulated trials)")
    ax.set_ylim(bottom=0)
    # Stop shortly after the last trial has finished enrolling: the flat tail says nothing.
    ax.set_xlim(0, 1.08 * last_change if last_change > 0 else None)
    ax.legend(title="Scenario (true response rate)", loc="lower right")
    return ax


@styled
def plot_toxicity(
    result: Any,
    *,
    ax: Any = None,
    scenarios: Sequence[str] | str | None = None,
    **kwargs: Any,
) -> Any:
    """Toxicity burden: distribution of patients with grade >= 3 toxicity per trial.

    Grouped bars give, per scenario, the proportion of simulated trials in
    which exactly ``i`` patients had a grade >= 3 toxicity.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    scenarios : str or sequence of str, optional
    **kwargs
        Passed to ``Axes.bar``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    chosen = select_scenarios(result, scenarios)
    width = 0.8 / max(len(chosen), 1)
    hatches = ("", "//", "..", "xx", "\\\\", "oo")
    top = 0
    for i, s in enumerate(chosen):
        counts = np.asarray(s.tox_counts)
        nz = np.nonzero(counts)[0]
        top = max(top, int(nz[-1]) if nz.size else 0)
        frac = counts / counts.sum() if counts.sum() > 0 else counts.astype(float)
        x = np.arange(counts.size) + (i - (len(chosen) - 1) / 2) * width
        mean = s.metrics.get("n_tox_patients")
        label = scenario_label(s) + (f", mean {mean.value:.1f}" if mean is not None else "")
        ax.bar(x, frac, width=width, color=_colour(i), hatch=hatches[i % len(hatches)],
               edgecolor="white", linewidth=0.3, label=label, **kwargs)
    ax.set_xlim(-0.6, top + 0.6)
    ax.set_xlabel("Patients with grade \u2265 3 toxicity per trial (patients)")
    ax.set_ylabel("Proportion of simulated trials")
    ax.set_title("Toxicity burden per trial")
    ax.legend(title="Scenario (true response rate)")
    return ax


@styled
def plot_rdi(
    result: Any,
    *,
    ax: Any = None,
    scenarios: Sequence[str] | str | None = None,
    **kwargs: Any,
) -> Any:
    """Relative dose intensity of treated patients (delivered / planned dose, %).

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    scenarios : str or sequence of str, optional
    **kwargs
        Passed to ``Axes.stairs``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    for i, s in enumerate(select_scenarios(result, scenarios)):
        edges, counts = s.rdi_hist
        total = counts.sum()
        frac = counts / total if total > 0 else counts.astype(float)
        mean = s.metrics.get("rdi_mean")
        label = scenario_label(s) + (f", mean {100 * mean.value:.0f}%" if mean is not None else "")
        ax.stairs(frac, 100 * np.asarray(edges), color=_colour(i), linestyle=LINESTYLES[i % len(LINESTYLES)],
                  linewidth=1.6, label=label, **kwargs)
    ax.set_xlabel("Relative dose intensity (% of planned dose)")
    ax.set_ylabel("Proportion of treated patients")
    ax.set_title("Relative dose intensity")
    ax.set_ylim(bottom=0)
    ax.legend(title="Scenario (true response rate)", loc="upper left")
    return ax


@styled
def plot_survival(
    result: Any,
    *,
    ax: Any = None,
    scenarios: Sequence[str] | str | None = None,
    by_response: bool = False,
    **kwargs: Any,
) -> Any:
    """Kaplan-Meier curves of simulated overall survival (months).

    Uses the patients kept in ``ScenarioResult.survival_sample`` (those of the
    first replicates), with their censoring.

    Parameters
    ----------
    result : SimulationResult
    ax : matplotlib.axes.Axes, optional
    scenarios : str or sequence of str, optional
    by_response : bool
        Draw responders (solid) and non-responders (dashed) separately.
    **kwargs
        Passed to ``Axes.step``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = get_ax(ax)
    for i, s in enumerate(select_scenarios(result, scenarios)):
        time, event, responder = (np.asarray(a) for a in s.survival_sample)
        groups = [(np.ones(time.size, dtype=bool), LINESTYLES[i % len(LINESTYLES)], "")]
        if by_response:
            groups = [(responder == 1, "-", ", responders"), (responder != 1, "--", ", non-responders")]
        for mask, ls, suffix in groups:
            if not mask.any():
                continue
            t, surv = kaplan_meier(time[mask], event[mask])
            # Extend the last step to the end of follow-up so censored tails show.
            t_end = time[mask].max()
            t_plot = np.append(t, max(t_end, t[-1])) / DAYS_PER_MONTH
            s_plot = np.append(surv, surv[-1])
            ax.step(t_plot, s_plot, where="post", color=_colour(i), linestyle=ls,
                    label=f"{scenario_label(s)}{suffix} (N = {int(mask.sum())})", **kwargs)
    ax.set_xlabel("Time since enrolment (months)")
    ax.set_ylabel("Overall survival probability")
    ax.set_title("Simulated overall survival (Kaplan-Meier)")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(title="Scenario (true response rate)")
    return ax
