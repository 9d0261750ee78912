"""Explicit time units in configs: every duration is a number *with* a unit.

Inside simtrial time is in days; a config may say ``"28 days"``, ``"2 weeks"``,
``"3 months"`` (1 month = 365.25 / 12 days) or ``"1 year"``. Durations are
converted once, at load, and written back as ``"<days> days"`` so that a
resolved config can be loaded again unchanged.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["DAYS_PER_MONTH", "ALLOWED_UNITS", "Duration", "parse_duration", "months"]

DAYS_PER_MONTH = 365.25 / 12.0

_UNITS = {
    "d": 1.0, "day": 1.0, "days": 1.0,
    "w": 7.0, "wk": 7.0, "week": 7.0, "weeks": 7.0,
    "mo": DAYS_PER_MONTH, "month": DAYS_PER_MONTH, "months": DAYS_PER_MONTH,
    "y": 365.25, "yr": 365.25, "year": 365.25, "years": 365.25,
}  # fmt: skip
#: The accepted spellings, for messages.
ALLOWED_UNITS = ", ".join(_UNITS)
_PATTERN = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]+)\s*$")


def parse_duration(value: Any) -> float:
    """Convert ``"3 months"`` and the like to days.

    Parameters
    ----------
    value : str
        A non-negative number followed by a unit (case-insensitive): ``d``,
        ``day(s)``, ``w``, ``wk``, ``week(s)``, ``mo``, ``month(s)``, ``y``,
        ``yr``, ``year(s)``.

    Returns
    -------
    float
        The duration in days.

    Raises
    ------
    ValueError
        If the value has no unit, an unknown unit, or is negative.

    Examples
    --------
    >>> parse_duration("28 days")
    28.0
    >>> parse_duration("1 month") == 365.25 / 12
    True
    >>> parse_duration("2 wk"), parse_duration("1 yr")
    (14.0, 365.25)
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"must be a duration with a unit, e.g. '28 days' or '3 months', got {value!r}")
    m = _PATTERN.match(value)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"must be a duration with a unit ({ALLOWED_UNITS}), e.g. '28 days', got {value!r}")
    days = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if days < 0:
        raise ValueError(f"must be >= 0, got {value!r}")
    return days


def months(days: float) -> float:
    """Days to months (365.25 / 12 days per month)."""
    return days / DAYS_PER_MONTH


def _dump(days: float) -> str:
    # repr keeps every digit, so the dumped config reloads to the same float.
    return f"{days!r} days"


Duration = Annotated[float, BeforeValidator(parse_duration), PlainSerializer(_dump, return_type=str)]
"""A duration given with a unit in the config, held as float days."""
