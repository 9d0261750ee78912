"""Kaplan-Meier estimate of a survival function, in plain numpy."""

from __future__ import annotations

import numpy as np

__all__ = ["kaplan_meier"]


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier product-limit estimate.

    Parameters
    ----------
    time : array_like of float
        Follow-up time of each patient (any unit).
    event : array_like of int or bool
        1 (True) if the patient died at ``time``, 0 if censored there.

    Returns
    -------
    t : ndarray of float64
        ``0`` followed by the distinct event times, increasing.
    surv : ndarray of float64
        ``S(t)``: the estimate just after each time in ``t`` (``surv[0] == 1``),
        a right-continuous step function.

    Notes
    -----
    At a time with both deaths and censorings the censored patients count as
    at risk for the deaths (the usual convention, as in R's ``survfit``).

    Examples
    --------
    >>> t, s = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 1])
    >>> t.tolist(), s.tolist()
    ([0.0, 1.0, 2.0, 3.0], [1.0, 0.75, 0.5, 0.0])
    """
    time = np.asarray(time, dtype=np.float64)
    event = np.asarray(event).astype(bool)
    if time.shape != event.shape or time.ndim != 1:
        raise ValueError("time and event must be 1-D arrays of the same length")
    if time.size == 0:
        return np.zeros(1), np.ones(1)
    uniq, inverse = np.unique(time, return_inverse=True)
    deaths = np.bincount(inverse, weights=event, minlength=uniq.size)
    leaving = np.bincount(inverse, minlength=uniq.size)
    # Number at risk just before each distinct time: all whose time is >= it.
    at_risk = time.size - np.concatenate(([0], np.cumsum(leaving)[:-1]))
    has_death = deaths > 0
    factors = 1.0 - deaths[has_death] / at_risk[has_death]
    surv = np.concatenate(([1.0], np.cumprod(factors)))
    t = np.concatenate(([0.0], uniq[has_death]))
    return t, surv
