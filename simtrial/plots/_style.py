"""Shared look of every simtrial figure: print-ready sizes, fonts and colours.

A protocol page leaves about 6.5 inches of text width, so figures are drawn
at that width with fonts of at least 9 pt; colours come from the Okabe-Ito
palette, which stays distinguishable with the common colour-vision
deficiencies and in greyscale when combined with the marker/line styles.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = [
    "PALETTE",
    "LINESTYLES",
    "MARKERS",
    "FIG_WIDTH",
    "FIG_HEIGHT",
    "DAYS_PER_MONTH",
    "rc_params",
    "style_context",
    "styled",
    "get_ax",
    "scenario_label",
    "select_scenarios",
]

# Okabe & Ito (2008), "Color Universal Design"; black first for the exact curve.
PALETTE: tuple[str, ...] = (
    "#000000",
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
)
LINESTYLES: tuple[str, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)))
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

FIG_WIDTH = 6.5  # inches: text width of a portrait A4/letter protocol page
FIG_HEIGHT = 3.8
DAYS_PER_MONTH = 365.25 / 12

F = TypeVar("F", bound=Callable[..., Any])


def rc_params() -> dict[str, Any]:
    """Matplotlib settings for print: >= 9 pt text, light grid, no top/right spines."""
    from cycler import cycler

    return {
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "legend.title_fontsize": 9,
        "figure.titlesize": 11,
        "axes.prop_cycle": cycler(color=PALETTE[1:] + PALETTE[:1]),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 1.6,
        "lines.markersize": 5,
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "pdf.fonttype": 42,  # embed TrueType so text stays selectable in the PDF
        "image.cmap": "viridis",
    }


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Apply :func:`rc_params` while the block runs, then restore those settings, and only those.

    Unlike ``matplotlib.rc_context``, which restores *every* setting, this
    leaves alone what changes meanwhile for other reasons. That matters in
    Jupyter: pyplot picks its backend when the first figure is made, and the
    inline backend then switches interactive mode on; had the whole rc been
    restored, interactive mode would be off again and later figures would
    never be shown.
    """
    import matplotlib

    params = rc_params()
    saved = {key: matplotlib.rcParams[key] for key in params}
    matplotlib.rcParams.update(params)
    try:
        yield
    finally:
        matplotlib.rcParams.update(saved)


def styled(func: F) -> F:
    """Run a plot function under :func:`rc_params` (see :func:`style_context`).

    Font sizes and colours are fixed when an artist is created, so the
    settings only have to be in force while the function draws.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style_context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def get_ax(ax: Any = None, *, height: float = FIG_HEIGHT) -> Any:
    """Return ``ax`` or a new Axes on a figure of protocol text width."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(FIG_WIDTH, height), layout="constrained")
    return ax


def scenario_label(scenario: Any) -> str:
    """Legend text for a scenario: its name and, when known, the true response rate."""
    p = scenario.truth.get("p_response") if hasattr(scenario.truth, "get") else None
    return f"{scenario.name} (p = {p:.2f})" if p is not None else str(scenario.name)


def select_scenarios(result: Any, scenarios: Any = None) -> list[Any]:
    """The scenarios of ``result`` named in ``scenarios`` (all when None), in result order."""
    from simtrial.errors import ConfigError

    if scenarios is None:
        return list(result.scenarios)
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    known = [s.name for s in result.scenarios]
    missing = [n for n in scenarios if n not in known]
    if missing:
        raise ConfigError("scenarios", f"unknown scenario {missing[0]!r}; known: {', '.join(known)}")
    return [s for s in result.scenarios if s.name in set(scenarios)]
