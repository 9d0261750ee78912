"""Input checks shared by the exact two-stage functions.

Every check raises :class:`simtrial.errors.DesignError` with one line that names
the offending argument and says what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from simtrial.errors import DesignError


def check_int(name: str, value: object, *, minimum: int = 0) -> int:
    """Return ``value`` as an ``int`` >= ``minimum`` or raise :class:`DesignError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise DesignError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise DesignError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_open_prob(name: str, value: object) -> float:
    """Return ``value`` as a float strictly inside (0, 1) or raise :class:`DesignError`."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DesignError(f"{name} must be a number in (0, 1), got {value!r}") from None
    if not (0.0 < v < 1.0) or math.isnan(v):
        raise DesignError(f"{name} must be in (0, 1), got {value!r}")
    return v


def check_closed_probs(name: str, value: object) -> np.ndarray:
    """Return ``value`` as a float array with every entry in [0, 1] or raise."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DesignError(f"{name} must be a number or array of numbers in [0, 1]") from None
    if arr.size and (np.isnan(arr).any() or (arr < 0.0).any() or (arr > 1.0).any()):
        bad = arr[np.isnan(arr) | (arr < 0.0) | (arr > 1.0)].ravel()[0]
        raise DesignError(f"{name} must be in [0, 1], got {bad!r}")
    return arr


def check_p0_p1(p0: object, p1: object) -> tuple[float, float]:
    """Check the null and alternative response rates: 0 < p0 < p1 < 1."""
    a = check_open_prob("p0", p0)
    b = check_open_prob("p1", p1)
    if a >= b:
        raise DesignError(f"p0 must be smaller than p1, got p0={a:g} >= p1={b:g}")
    return a, b
