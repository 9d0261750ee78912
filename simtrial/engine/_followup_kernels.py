"""Numba kernels of the randomized follow-up trial simulator.

One replicate simulates the ``n_max`` patients of the largest candidate trial
in enrollment order; a trial of N patients is the first N of them. Patient i
of replicate j therefore receives the same draws whatever N is (common random
numbers), and every candidate size is analysed on the same replicate.

Patients are drawn as the trial engine draws them: variable ``v`` of patient
``i`` of replicate ``j`` is the counter-based draw of (key, j, i, v)
(:mod:`simtrial.engine._rng`), turned into an arrival gap, a survival time or
a response by the same transforms (the ziggurat exponential, ``u < p``). Each
replicate writes only its own output row and nothing is summed across
replicates here, so the output is bit-identical for any number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simtrial.engine._rng import (
    V_ARRIVAL,
    V_RESPONSE,
    V_SURVIVAL,
    V_WITHDRAW,
    double_of,
    draw,
    exponential_from,
    replicate_seed,
)

__all__ = ["binary_replicates", "survival_replicates", "logrank_z"]

# Replicates per parallel work item (scratch arrays are reused within one).
_CHUNK = 32


@njit(cache=True)
def _pooled_z(x0, n0, x1, n1):
    """Pooled two-proportion z statistic, experimental minus control (0 when undefined)."""
    pbar = (x0 + x1) / (n0 + n1)
    var = pbar * (1.0 - pbar) * (1.0 / n0 + 1.0 / n1)
    if var <= 0.0:
        return 0.0
    return (x1 / n1 - x0 / n0) / np.sqrt(var)


@njit(cache=True)
def _rejects(z, crit, direction, sided):
    if sided == 2:
        return abs(z) > crit
    return direction * z > crit


@njit(cache=True, parallel=True)
def binary_replicates(key, first, n_rep, arm, p_arm, sizes, crit, direction, sided, out_reject):
    """Simulate two-arm binary-endpoint trials and apply the pooled z test.

    Parameters
    ----------
    key : uint64
        Stream key.
    first, n_rep : int64
        Replicates ``first .. first + n_rep - 1`` are simulated.
    arm : int8[n_max]
        Arm of patient i in enrollment order (0 control, 1 experimental).
    p_arm : float64[2]
        Response probability of each arm.
    sizes : int64[c]
        Candidate total sizes, increasing, ``sizes[-1] <= n_max``.
    crit : float64
        Normal critical value.
    direction : float64
        +1 when the one-sided alternative is experimental > control, else -1.
    sided : int64
        1 or 2.
    out_reject : uint8[n_rep, c]
        Written: 1 where the test rejects.
    """
    n_max = arm.shape[0]
    n_c = sizes.shape[0]
    for jj in prange(n_rep):
        seed = replicate_seed(key, first + jj)
        x = np.zeros(2, dtype=np.int64)
        m = np.zeros(2, dtype=np.int64)
        c = 0
        for i in range(n_max):
            a = arm[i]
            m[a] += 1
            if double_of(draw(seed, i, V_RESPONSE)) < p_arm[a]:
                x[a] += 1
            while c < n_c and sizes[c] == i + 1:
                z = _pooled_z(float(x[0]), float(m[0]), float(x[1]), float(m[1]))
                out_reject[jj, c] = 1 if _rejects(z, crit, direction, sided) else 0
                c += 1


@njit(cache=True)
def logrank_z(time, event, arm, n):
    """Log-rank statistic of the first ``n`` patients, positive when arm 1 has fewer deaths than expected.

    Ties are handled exactly: at each distinct time, all deaths at that time
    enter with the hypergeometric variance, and patients censored at that
    time are still at risk (deaths precede censorings).

    Parameters
    ----------
    time : float64[>= n]
        Observed time (death or censoring), days from entry.
    event : int8[>= n]
        1 death, 0 censored.
    arm : int8[>= n]
        0 control, 1 experimental.
    n : int64

    Returns
    -------
    float64
        ``-(O1 - E1) / sqrt(V)``; 0 when there is no death.
    """
    order = np.argsort(time[:n], kind="mergesort")
    at_risk = float(n)
    at_risk1 = 0.0
    for i in range(n):
        at_risk1 += arm[i]
    o_minus_e = 0.0
    var = 0.0
    k = 0
    while k < n:
        t = time[order[k]]
        d = 0.0
        d1 = 0.0
        leave = 0.0
        leave1 = 0.0
        while k < n and time[order[k]] == t:
            idx = order[k]
            leave += 1.0
            leave1 += arm[idx]
            if event[idx] == 1:
                d += 1.0
                d1 += arm[idx]
            k += 1
        if d > 0.0:
            frac = at_risk1 / at_risk
            o_minus_e += d1 - d * frac
            if at_risk > 1.0:
                var += d * frac * (1.0 - frac) * (at_risk - d) / (at_risk - 1.0)
        at_risk -= leave
        at_risk1 -= leave1
    if var <= 0.0:
        return 0.0
    return -o_minus_e / np.sqrt(var)


@njit(cache=True)
def _draw_patients(seed, arm, hr_arm, scale, shape, rate, poisson, mu, entry, surv, drop):
    """Entry, death and dropout times of every patient: the arrival, survival and withdrawal draws of each."""
    t = 0.0
    inv_shape = 1.0 / shape
    for i in range(arm.shape[0]):
        if i > 0:
            t += exponential_from(draw(seed, i, V_ARRIVAL)) / rate if poisson else 1.0 / rate
        entry[i] = t
        e = exponential_from(draw(seed, i, V_SURVIVAL))
        surv[i] = scale * (e / hr_arm[arm[i]]) ** inv_shape
        drop[i] = exponential_from(draw(seed, i, V_WITHDRAW)) / mu if mu > 0.0 else np.inf


@njit(cache=True)
def _death_order(entry, surv, drop, cal, order):
    """Calendar death times (inf when dropout comes first) and their ascending order, for all patients."""
    for i in range(entry.shape[0]):
        cal[i] = entry[i] + surv[i] if surv[i] <= drop[i] else np.inf
    order[:] = np.argsort(cal, kind="mergesort")


@njit(cache=True)
def _kth_event_time(cal, order, n, k):
    """Calendar time of the k-th death among the first n patients (the last death if fewer; inf if none).

    Walks the deaths of all patients in calendar order and counts those
    enrolled among the first n, so no sort is needed per candidate size.
    """
    seen = 0
    last = np.inf
    for j in range(order.shape[0]):
        i = order[j]
        if cal[i] == np.inf:
            break
        if i < n:
            seen += 1
            last = cal[i]
            if seen == k:
                return last
    return last


@njit(cache=True, parallel=True)
def survival_replicates(
    key,
    first,
    n_rep,
    arm,
    hr_arm,
    scale,
    shape,
    rate,
    poisson,
    mu,
    sizes,
    mode,
    target,
    crit,
    direction,
    sided,
    out_reject,
    out_events,
    out_time,
):
    """Simulate two-arm survival trials and apply the log-rank test at the analysis.

    Parameters
    ----------
    key : uint64
    first, n_rep : int64
        Replicates ``first .. first + n_rep - 1``.
    arm : int8[n_max]
        Arm of patient i in enrollment order.
    hr_arm : float64[2]
        Hazard ratio of each arm relative to the control (``[1, HR]``).
    scale, shape : float64
        Control Weibull scale (days) and shape; death time is
        ``scale * (E / hr) ** (1 / shape)`` with E standard exponential.
    rate : float64
        Accrual rate, patients per day; ``poisson`` (bool) picks Poisson
        arrivals over evenly spaced ones. The first patient enters at 0.
    mu : float64
        Exponential dropout rate per day (0: none).
    sizes : int64[c]
        Candidate total sizes, increasing.
    mode : int64
        0: analysis at ``target[c]`` deaths; 1: at calendar day ``target[c]``.
    target : float64[c]
        Event count or calendar day of each candidate size.
    crit, direction, sided
        As in :func:`binary_replicates`.
    out_reject : uint8[n_rep, c]
    out_events : int32[n_rep, c]
        Deaths counted at the analysis.
    out_time : float64[n_rep, c]
        Calendar day of the analysis.
    """
    n_max = arm.shape[0]
    n_c = sizes.shape[0]
    n_chunks = (n_rep + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        # Scratch arrays are allocated once per chunk of replicates, not per
        # replicate; each replicate's draws depend on the replicate alone.
        entry = np.empty(n_max, dtype=np.float64)
        surv = np.empty(n_max, dtype=np.float64)
        drop = np.empty(n_max, dtype=np.float64)
        cal = np.empty(n_max, dtype=np.float64)
        order = np.empty(n_max, dtype=np.int64)
        obs = np.empty(n_max, dtype=np.float64)
        ev = np.empty(n_max, dtype=np.int8)
        for jj in range(ch * _CHUNK, min(n_rep, (ch + 1) * _CHUNK)):
            _survival_one(replicate_seed(key, first + jj), arm, hr_arm, scale, shape, rate, poisson, mu, sizes, mode, target, crit,
                          direction, sided, entry, surv, drop, cal, order, obs, ev,
                          out_reject[jj], out_events[jj], out_time[jj])  # fmt: skip


@njit(cache=True)
def _survival_one(seed, arm, hr_arm, scale, shape, rate, poisson, mu, sizes, mode, target, crit, direction, sided,
                  entry, surv, drop, cal, order, obs, ev, rej_row, ev_row, time_row):  # fmt: skip
    """One replicate of :func:`survival_replicates` (its draws from the replicate's ``seed``)."""
    n_c = sizes.shape[0]
    _draw_patients(seed, arm, hr_arm, scale, shape, rate, poisson, mu, entry, surv, drop)
    if mode == 0:
        _death_order(entry, surv, drop, cal, order)
    for c in range(n_c):
        n = sizes[c]
        if mode == 0:
            tau = _kth_event_time(cal, order, n, np.int64(target[c]))
        else:
            tau = target[c]
        # Patients not yet enrolled at the analysis are left out; the rest
        # are censored at the analysis date or at dropout.
        m = 0
        d = 0
        while m < n and entry[m] < tau:
            # The death test uses the same sum entry + surv as the
            # event-time order statistic, so the d-th death is counted
            # exactly (tau - entry could round below surv).
            if surv[m] <= drop[m] and entry[m] + surv[m] <= tau:
                obs[m] = surv[m]
                ev[m] = 1
                d += 1
            else:
                obs[m] = min(drop[m], tau - entry[m])
                ev[m] = 0
            m += 1
        z = logrank_z(obs, ev, arm, m) if m > 1 else 0.0
        rej_row[c] = 1 if _rejects(z, crit, direction, sided) else 0
        ev_row[c] = d
        time_row[c] = tau
