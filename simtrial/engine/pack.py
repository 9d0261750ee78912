"""Model and designs -> a few structured arrays: the single bridge into the kernels.

:func:`pack_model` turns a validated config's patient model, every scenario
stacked on a leading axis, into a :data:`Model`; :func:`pack_designs` turns
the resolved designs (decision tables, accrual pause, toxicity rule) into a
:data:`simtrial.engine._driver.Designs`. The kernels read nothing else.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from simtrial.engine._driver import NEVER_BOUND, Designs
from simtrial.engine._patients import (
    BIG_CYCLES,
    EV_THR,
    MODE_DRAW,
    NRF,
    NRI,
    NSF,
    NSI,
    R_CAP,
    R_INV_BIN_WIDTH,
    R_JOINT,
    R_MONITOR,
    R_N_RDI_BINS,
    R_N_SURV_REPS,
    R_N_TIME_BINS,
    R_RDI_EACH,
    S_ASSESS,
    S_CYCLE_LEN,
    S_D0,
    S_DISCONTINUE,
    S_FULL_PER_DAY,
    S_HAS_SURV,
    S_HOLD,
    S_MAX_C,
    S_MAX_EVENTS,
    S_N_ADM,
    S_N_LEVELS,
    S_ONE_LEVEL,
    S_OS_INV_SHAPE,
    S_OS_SCALE_NR,
    S_OS_SCALE_R,
    S_REPLACE,
    S_RESP_THR,
    S_SHARES_PREV,
    S_WD_MODE,
    S_WINDOW,
    SHARE_NONE,
    SHARE_REFORM,
    SHARE_RESPONSE,
    first_event_cdf,
    first_event_table,
    threshold,
)
from simtrial.engine._rng import MAX_LEVELS
from simtrial.model.units import DAYS_PER_MONTH

__all__ = ["Model", "pack_model", "pack_designs", "N_TIME_BINS", "N_RDI_BINS", "SURVIVAL_SAMPLE_REPLICATES",
           "max_enrolled", "most_enrolled", "time_horizon"]

#: The patient model of every scenario, for the kernels. ``sf`` float64[S, NSF]
#: and ``si`` int64[S, NSI] (the ``S_*`` slots of :mod:`simtrial.engine._patients`);
#: ``tox_thr`` int64[S, L, EV_THR + max_cycles + 1], the :func:`first_event_table`
#: of each dose level's first-toxicity cycle; ``tox_mode`` int64[S, L], ``MODE_DRAW``
#: where that cycle is drawn, else the cycle itself (1 when certain, BIG_CYCLES when
#: impossible); ``wd_thr`` int64[S, 1, ...] the withdrawal cycle's table; ``dose_lev``
#: float64[L] dose per administration day at each level; ``admin_cum`` int64[cycle + 1]
#: administration days on days 1..d; ``rate_end``, ``rate_val``, ``rate_inv``
#: float64[pieces] the accrual intensity (patients per day after screen failures; the last
#: piece open-ended); ``rf`` float64[NRF] and ``ri`` int64[NRI] run-level constants.
Model = namedtuple("Model", ["sf", "si", "tox_thr", "tox_mode", "wd_thr", "dose_lev", "admin_cum", "rate_end",
                             "rate_val", "rate_inv", "rf", "ri"])

N_TIME_BINS = 4000
N_RDI_BINS = 50
#: Replicates whose patients' survival is kept for Kaplan-Meier plots.
SURVIVAL_SAMPLE_REPLICATES = 50


def max_enrolled(config: Any, n: int) -> int:
    """Most patients a design with ``n`` evaluable patients may enrol (``evaluability.max_enrolled``).

    Default ``2 n`` with replacement, ``n`` without; a given cap below ``n`` is raised to ``n``.
    """
    ev = config.evaluability
    if ev.max_enrolled is not None:
        return int(max(ev.max_enrolled, n))
    return int(2 * n if ev.replace_non_evaluable else n)


def most_enrolled(config: Any, designs: Sequence[Any]) -> int:
    """Most patients any of ``designs`` may enrol: the cohort's size, and the ``n_patients`` of :func:`pack_model`."""
    return max(max_enrolled(config, d.table.n_max) for d in designs)


def time_horizon(config: Any, n_patients: int) -> float:
    """A generous bound (days) on trial duration, for the fixed-width time histograms.

    Time to accrue ``n_patients`` at the expected rates, plus two full
    treatment courses with holds, times three. Longer trials fall into an
    overflow bin (reported, never silently dropped).
    """
    enr = config.enrollment
    need, t = float(n_patients), 0.0
    for piece in enr.rates:
        rate = piece.per_month * (1.0 - enr.screen_fail) / DAYS_PER_MONTH
        if piece.duration is None:
            t += need / rate
            break
        got = rate * piece.duration
        if got >= need:
            t += need / rate
            need = 0.0
            break
        need -= got
        t += piece.duration
    if enr.max_duration is not None:
        t = min(t, enr.max_duration)
    tr = config.treatment
    course = tr.max_cycles * (tr.cycle_length + config.toxicity.hold)
    return 3.0 * (t + 2.0 * course)


def _ladder(config: Any) -> np.ndarray:
    drug = config.treatment.drugs[config.tox_drug_index()]
    ladder = np.array([drug.dose, *drug.reductions], dtype=np.float64)
    if len(ladder) > MAX_LEVELS:
        raise ValueError(f"at most {MAX_LEVELS} dose levels are simulated, got {len(ladder)}")
    return ladder


def _sharing(s: int, sf, si, tox_thr, tox_mode, wd_thr) -> int:
    """How scenario ``s`` may reuse the patients formed for scenario ``s - 1`` (``SHARE_*``).

    Only when the two differ in the response rate alone: then every patient's
    draws and course are the same but for the response (:func:`respond`), and,
    when survival depends on the response, the course of the patients whose
    response changes.
    """
    a, b = s - 1, s
    ints = [j for j in range(NSI) if j not in (S_RESP_THR, S_SHARES_PREV)]
    same = (np.array_equal(sf[a], sf[b]) and np.array_equal(si[a, ints], si[b, ints])
            and np.array_equal(tox_thr[a], tox_thr[b]) and np.array_equal(tox_mode[a], tox_mode[b])
            and np.array_equal(wd_thr[a], wd_thr[b]))
    if not same:
        return SHARE_NONE
    by_response = si[b, S_HAS_SURV] == 1 and sf[b, S_OS_SCALE_R] != sf[b, S_OS_SCALE_NR]
    return SHARE_REFORM if by_response else SHARE_RESPONSE


def pack_model(config: Any, n_patients: int, designs: Sequence[Any]) -> Model:
    """Pack the patient model of every scenario of ``config``.

    Parameters
    ----------
    config : TrialConfig
    n_patients : int
        Most patients any design enrols (sizes the time histograms).
    designs : sequence of ResolvedDesign
        The designs the model runs with (``pack_designs`` of the same). A
        patient's monitoring-window outcome is formed only when one of them
        has a toxicity rule, and the toxicities by the response assessment
        only when one has toxicity bounds: nothing else reads them.

    Returns
    -------
    Model
    """
    tr = config.treatment
    tox = config.toxicity
    ev = config.evaluability
    max_c = int(tr.max_cycles)
    ladder = _ladder(config)
    n_lev = len(ladder)
    width = EV_THR + max_c + 1
    n_s = len(config.scenarios)
    sf = np.zeros((n_s, NSF))
    si = np.zeros((n_s, NSI), dtype=np.int64)
    tox_thr = np.zeros((n_s, n_lev, width), dtype=np.int64)
    tox_mode = np.zeros((n_s, n_lev), dtype=np.int64)
    wd_thr = np.zeros((n_s, 1, width), dtype=np.int64)

    drug = tr.drugs[config.tox_drug_index()]
    cyc = int(round(tr.cycle_length))
    on = np.zeros(cyc + 1, dtype=np.int64)
    on[np.array(drug.days, dtype=np.int64)] = 1
    admin_cum = np.cumsum(on).astype(np.int64)
    n_adm = int(admin_cum[cyc])
    discontinue = tox.on_event == "discontinue"
    max_events = tox.max_events if tox.max_events is not None else BIG_CYCLES
    one_level = discontinue or max_events <= 1 or n_lev == 1
    pw = float(ev.withdrawal_per_cycle)
    wd_mode = MODE_DRAW if 0.0 < pw < 1.0 else (1 if pw >= 1.0 else BIG_CYCLES)
    surv = config.survival
    window = config.monitoring_window()

    for s, sc in enumerate(config.scenarios):
        sf[s, S_CYCLE_LEN] = tr.cycle_length
        sf[s, S_HOLD] = tox.hold
        # Planned dose per day of a hold at full dose (planned dose keeps running).
        sf[s, S_FULL_PER_DAY] = ladder[0] * n_adm / tr.cycle_length
        sf[s, S_D0] = ladder[0]
        if surv is not None:
            median = sc.os_median if sc.os_median is not None else surv.median
            k = surv.shape
            # Weibull S(t) = exp(-(t/scale)^k): the median fixes the scale; a
            # hazard ratio h multiplies the cumulative hazard, so scale * h^(-1/k).
            scale = median / math.log(2.0) ** (1.0 / k)
            sf[s, S_OS_SCALE_NR] = scale
            sf[s, S_OS_SCALE_R] = scale * surv.hr_responders ** (-1.0 / k)
            sf[s, S_OS_INV_SHAPE] = 1.0 / k
            si[s, S_HAS_SURV] = 1
        si[s, S_MAX_C] = max_c
        si[s, S_ASSESS] = config.response.assess_after_cycles
        si[s, S_WINDOW] = window
        si[s, S_N_ADM] = n_adm
        si[s, S_DISCONTINUE] = 1 if discontinue else 0
        si[s, S_MAX_EVENTS] = max_events
        si[s, S_N_LEVELS] = n_lev
        si[s, S_WD_MODE] = wd_mode
        si[s, S_ONE_LEVEL] = 1 if one_level else 0
        si[s, S_RESP_THR] = threshold(sc.p_response)
        si[s, S_REPLACE] = 1 if ev.replace_non_evaluable else 0
        p_lev = np.minimum(1.0, sc.p_tox * (ladder / ladder[0]) ** tox.dose_exponent)
        p_c1 = min(1.0, sc.p_tox * tox.cycle1_factor)
        for lev, p in enumerate(p_lev):
            # Level 0 may have its own cycle-1 probability; later levels do not.
            pf = p_c1 if lev == 0 else float(p)
            tox_thr[s, lev] = first_event_table(first_event_cdf(pf, float(p), max_c))
            certain = pf >= 1.0
            never = pf <= 0.0 and p <= 0.0
            tox_mode[s, lev] = 1 if certain else (BIG_CYCLES if never else MODE_DRAW)
        wd_thr[s, 0] = first_event_table(first_event_cdf(pw, pw, max_c))

    for s in range(1, n_s):
        si[s, S_SHARES_PREV] = _sharing(s, sf, si, tox_thr, tox_mode, wd_thr)

    enr = config.enrollment
    ends, vals, t = [], [], 0.0
    for piece in enr.rates:
        t = t + piece.duration if piece.duration is not None else np.inf
        ends.append(t)
        vals.append(piece.per_month * (1.0 - enr.screen_fail) / DAYS_PER_MONTH)
    rate_val = np.array(vals, dtype=np.float64)
    # Multiplying by the reciprocal is cheaper than dividing, per arrival.
    rate_inv = np.array([1.0 / v if v > 0.0 else 0.0 for v in vals], dtype=np.float64)
    rf = np.zeros(NRF)
    rf[R_CAP] = enr.max_duration if enr.max_duration is not None else np.inf
    rf[R_INV_BIN_WIDTH] = N_TIME_BINS / time_horizon(config, n_patients)
    ri = np.zeros(NRI, dtype=np.int64)
    ri[R_N_TIME_BINS] = N_TIME_BINS
    ri[R_N_RDI_BINS] = N_RDI_BINS
    ri[R_N_SURV_REPS] = SURVIVAL_SAMPLE_REPLICATES
    # One step of treatment (no hold, no lower level) delivers the planned dose exactly: intensity 1.
    ri[R_RDI_EACH] = 0 if one_level else 1
    ri[R_MONITOR] = 1 if any(d.monitor is not None for d in designs) else 0
    ri[R_JOINT] = 1 if any(t is not None for d in designs for t in (d.table.toxicity or ())) else 0
    return Model(sf, si, tox_thr, tox_mode, wd_thr, ladder, admin_cum, np.array(ends, dtype=np.float64), rate_val,
                 rate_inv, rf, ri)


def pack_designs(config: Any, designs: Sequence[Any]) -> Designs:
    """Stack the decision tables of ``designs`` (resolved designs, see :mod:`simtrial.model.designs`).

    Each design carries ``table`` (a DecisionTable), ``pause`` (bool) and
    ``monitor`` (a ToxicityMonitor or None).
    """
    n_d = len(designs)
    k_max = max(d.table.n_looks for d in designs)
    caps = [max_enrolled(config, d.table.n_max) for d in designs]
    n_max = max(caps)
    looks = np.zeros((n_d, k_max), dtype=np.int64)
    fut = np.full((n_d, k_max), -1, dtype=np.int64)
    eff = np.full((n_d, k_max), NEVER_BOUND, dtype=np.int64)
    tox = np.full((n_d, k_max), NEVER_BOUND, dtype=np.int64)
    n_looks = np.zeros(n_d, dtype=np.int64)
    pause = np.zeros(n_d, dtype=np.int64)
    monitor = np.full((n_d, n_max + 1), NEVER_BOUND, dtype=np.int64)
    for i, d in enumerate(designs):
        tab = d.table
        k = tab.n_looks
        n_looks[i] = k
        looks[i, :k] = tab.looks
        fut[i, :k] = tab.futility
        for j, b in enumerate(tab.efficacy):
            if b is not None:
                eff[i, j] = b
        if tab.toxicity is not None:
            for j, t in enumerate(tab.toxicity):
                if t is not None:
                    tox[i, j] = t
        pause[i] = 1 if d.pause else 0
        if d.monitor is not None:
            monitor[i] = d.monitor.bound_at(n_max)
    monitored = np.array([1 if d.monitor is not None else 0 for d in designs], dtype=np.int64)
    return Designs(looks, fut, eff, tox, n_looks, pause, np.array(caps, dtype=np.int64), monitor, monitored)
