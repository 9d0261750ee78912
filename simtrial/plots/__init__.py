"""Design-justification figures.

Every function draws on one matplotlib Axes (``ax`` in, ``ax`` out; a new
6.5-inch-wide figure when ``ax`` is None) and never shows or saves it.
"""

from simtrial.plots.design import plot_boundaries, plot_designs, plot_oc, plot_pet_en
from simtrial.plots.km import kaplan_meier
from simtrial.plots.simulation import (
    coarsen_histogram,
    plot_accrual,
    plot_duration,
    plot_rdi,
    plot_survival,
    plot_toxicity,
)
from simtrial.plots.sweep import plot_sweep_heatmap, plot_sweep_lines

__all__ = [
    "plot_oc",
    "plot_pet_en",
    "plot_designs",
    "plot_boundaries",
    "plot_duration",
    "plot_accrual",
    "plot_toxicity",
    "plot_rdi",
    "plot_survival",
    "plot_sweep_lines",
    "plot_sweep_heatmap",
    "kaplan_meier",
    "coarsen_histogram",
]
