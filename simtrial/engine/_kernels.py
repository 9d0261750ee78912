"""numba kernels: the per-replicate trial and the chunked ``prange`` driver.

Pure functions of arrays (see :mod:`simtrial.engine.pack` for the slot
layout). Time is in days from the trial's opening.

Random draws, in order, per replicate: for each enrolment attempt one
arrival draw; then for the enrolled patient one response draw, one survival
draw (if a survival model), one withdrawal draw (if withdrawal > 0), one draw
for the cycle of the first toxicity at the starting dose (if toxicity is
possible) and one more at each reduced level reached. Nothing is drawn per
cycle: the cycle of the first event at a level is geometric.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simtrial.engine._rng import next_double, seed_stream
from simtrial.engine.pack import (
    BIG_CYCLES,
    F_ACCRUAL_CAP,
    F_BIN_WIDTH,
    F_CYCLE_LEN,
    F_HOLD,
    F_LQ_WITHDRAW,
    F_OS_INV_SHAPE,
    F_OS_SCALE_NR,
    F_OS_SCALE_R,
    F_P_RESP,
    F_P_TOX_C1,
    F_P_WITHDRAW,
    I_ASSESS,
    I_DISCONTINUE,
    I_HAS_SURV,
    I_MAX_CYCLES,
    I_MAX_ENROLLED,
    I_MAX_EVENTS,
    I_N1,
    I_N2,
    I_N_LEVELS,
    I_N_RDI_BINS,
    I_N_TIME_BINS,
    I_PAUSE,
    I_R,
    I_R1,
    I_REPLACE,
    I_TOX_EVERY,
    I_TOX_WINDOW,
    NPAT,
    NREC,
    PAT_DEATH,
    PAT_ENROLL,
    PAT_EVAL,
    PAT_RDI,
    PAT_RESP,
    R_CAPSTOP,
    R_DEATHS,
    R_DOSE_SUM,
    R_DURATION,
    R_ENROLLED,
    R_EVALUABLE,
    R_FUTILE,
    R_PROMISING,
    R_RDI_SUM,
    R_RESPONSES,
    R_STAGE1,
    R_TOXPAT,
    R_TOXSTOP,
    R_X1,
)

__all__ = ["simulate_replicate", "run_chunks", "collect_patients", "make_scratch"]

# Patient outcome slots written by _patient.
_P_EVAL, _P_RESP, _P_KNOWN, _P_DEATH, _P_TOX, _P_WTOX, _P_WKNOWN, _P_RDI, _P_DOSE, _P_DIED = range(10)
NPOUT = 10
_BIGF = 1e12


def make_scratch(packed):
    """Scratch buffers for :func:`simulate_replicate`: ``(pend, pat, pout, acc, st, rec)``.

    Call as ``simulate_replicate(state, *packed, *make_scratch(packed))``
    after ``seed_stream(state, key, replicate)``.
    """
    n = int(packed.ipar[I_MAX_ENROLLED]) + 1
    return (np.empty(n), np.empty((n, NPAT)), np.empty(NPOUT), np.empty(9), np.empty(4), np.empty(NREC))


@njit(cache=True, inline="always")
def _cycles_to_event(u, lq):
    """Geometric number of cycles (>= 1) to the first event, from uniform ``u``.

    ``lq = log1p(-p)`` with 0 < p < 1. Inverse transform:
    ``1 + floor(log1p(-u) / log1p(-p))``; capped so it fits an int64.
    """
    x = np.log1p(-u) / lq
    if x >= _BIGF:
        return BIG_CYCLES
    return 1 + np.int64(np.floor(x))


@njit(cache=True, inline="always")
def _next_arrival(state, t, rate_end, rate_val):
    """Next Poisson arrival after ``t`` with piecewise-constant rates (one draw).

    A unit exponential is spent across the pieces (the inverse of the
    cumulative intensity); the last piece is open-ended with a positive rate.
    """
    e = -np.log1p(-next_double(state))
    j = 0
    while rate_end[j] <= t:
        j += 1
    while True:
        lam = rate_val[j]
        if lam > 0.0:
            dt = e / lam
            if t + dt < rate_end[j]:
                return t + dt
            e -= (rate_end[j] - t) * lam
        t = rate_end[j]
        j += 1


@njit(cache=True, inline="always")
def _patient(state, enroll, fpar, ipar, p_lev, lq_lev, dose_lev, admin_cum, pout):
    """Simulate one patient's course from enrolment; write outcomes into ``pout``."""
    clen = fpar[F_CYCLE_LEN]
    iclen = np.int64(clen)
    responder = next_double(state) < fpar[F_P_RESP]
    death = np.inf
    if ipar[I_HAS_SURV] == 1:
        u = next_double(state)
        scale = fpar[F_OS_SCALE_R] if responder else fpar[F_OS_SCALE_NR]
        h = -np.log1p(-u)
        inv_k = fpar[F_OS_INV_SHAPE]
        # x ** 1.0 == x exactly: skip pow for the exponential.
        death = enroll + scale * (h if inv_k == 1.0 else h ** inv_k)
    pw = fpar[F_P_WITHDRAW]
    withdraw_cycle = BIG_CYCLES
    if pw >= 1.0:
        withdraw_cycle = 1
    elif pw > 0.0:
        withdraw_cycle = _cycles_to_event(next_double(state), fpar[F_LQ_WITHDRAW])

    # Cycle (counted at the current level) of the first toxicity; cycle 1 may
    # have its own probability, so level 0 splits one uniform at pc1.
    pc1 = fpar[F_P_TOX_C1]
    p0 = p_lev[0]
    tox_at = BIG_CYCLES
    if pc1 > 0.0 or p0 > 0.0:
        u = next_double(state)
        if u < pc1:
            tox_at = 1
        elif p0 >= 1.0:
            tox_at = 2
        elif p0 > 0.0:
            tox_at = 1 + _cycles_to_event((u - pc1) / (1.0 - pc1), lq_lev[0])

    n_levels = ipar[I_N_LEVELS]
    assess_c = ipar[I_ASSESS]
    window = ipar[I_TOX_WINDOW]
    max_c = ipar[I_MAX_CYCLES]
    hold = fpar[F_HOLD]
    n_adm = admin_cum[iclen]
    d0 = dose_lev[0]
    full_per_day = d0 * n_adm / clen

    level = 0
    k = 0
    c = 0
    start = enroll
    n_events = 0
    delivered = 0.0
    planned = 0.0
    assess = -1.0
    wtox = 0
    wknown = -1.0
    died = 0
    end = enroll
    while True:
        c += 1
        k += 1
        cend = start + clen
        if death < cend:
            # Dies during the cycle: doses of the days begun before death were given.
            nd = admin_cum[min(np.int64(np.ceil(death - start)), iclen)]
            delivered += dose_lev[level] * nd
            planned += d0 * nd
            end = death
            died = 1
            break
        delivered += dose_lev[level] * n_adm
        planned += d0 * n_adm
        tox = k == tox_at
        stop = False
        if tox:
            n_events += 1
            if c <= window and wtox == 0:
                wtox = 1
                wknown = cend
            if ipar[I_DISCONTINUE] == 1 or n_events >= ipar[I_MAX_EVENTS] or level == n_levels - 1:
                stop = True
        # Withdrawal happens during its cycle, so that cycle's assessment is missed.
        if c == assess_c and c != withdraw_cycle:
            assess = cend
        if c == window and wknown < 0.0:
            wknown = cend
        if c == withdraw_cycle or c == max_c:
            stop = True
        if stop:
            end = cend
            break
        if tox:
            level += 1
            k = 0
            nxt = cend + hold
            if death < nxt:
                planned += full_per_day * (death - cend)
                end = death
                died = 1
                break
            planned += full_per_day * hold
            start = nxt
            p = p_lev[level]
            if p >= 1.0:
                tox_at = 1
            elif p > 0.0:
                tox_at = _cycles_to_event(next_double(state), lq_lev[level])
            else:
                tox_at = BIG_CYCLES
        else:
            start = cend

    evaluable = assess >= 0.0
    if wknown < 0.0:
        wknown = end
    pout[_P_EVAL] = 1.0 if evaluable else 0.0
    pout[_P_RESP] = 1.0 if (evaluable and responder) else 0.0
    pout[_P_KNOWN] = assess if evaluable else end
    pout[_P_DEATH] = death
    pout[_P_TOX] = 1.0 if n_events > 0 else 0.0
    pout[_P_WTOX] = wtox
    pout[_P_WKNOWN] = wknown
    pout[_P_RDI] = delivered / planned if planned > 0.0 else 1.0
    pout[_P_DOSE] = delivered
    pout[_P_DIED] = died


@njit(cache=True, inline="always")
def _stage(state, stage_start, target, halt, clock, fpar, ipar, rate_end, rate_val, p_lev, lq_lev,
           dose_lev, admin_cum, stop_x, pend, pat, pout, acc, st):
    """Enrol one stage until ``target`` evaluable slots are filled (or enrolment stops).

    ``acc`` holds running trial totals (see ``simulate_replicate``); ``st``
    receives (clock, analysis time, responses, incomplete flag).
    """
    cap = fpar[F_ACCRUAL_CAP]
    max_enr = ipar[I_MAX_ENROLLED]
    every = ipar[I_TOX_EVERY]
    replace = ipar[I_REPLACE] == 1
    for j in range(target):
        pend[j] = stage_start
    n_pend = target
    analysis = stage_start
    x = 0
    incomplete = 0
    t = clock
    while n_pend > 0:
        # The earliest open slot (a replacement opens when non-evaluability is known).
        jm = 0
        for j in range(1, n_pend):
            if pend[j] < pend[jm]:
                jm = j
        s = pend[jm]
        pend[jm] = pend[n_pend - 1]
        n_pend -= 1
        if s > t:
            t = s
        n_enr = np.int64(acc[0])
        if n_enr >= max_enr:
            incomplete = 1
            break
        a = _next_arrival(state, t, rate_end, rate_val)
        if a > cap:
            incomplete = 1
            break
        if a > acc[1] or a > halt:
            break
        t = a
        _patient(state, a, fpar, ipar, p_lev, lq_lev, dose_lev, admin_cum, pout)
        pat[n_enr, PAT_ENROLL] = a
        pat[n_enr, PAT_DEATH] = pout[_P_DEATH]
        pat[n_enr, PAT_RESP] = pout[_P_RESP]
        pat[n_enr, PAT_EVAL] = pout[_P_EVAL]
        pat[n_enr, PAT_RDI] = pout[_P_RDI]
        n_enr += 1
        acc[0] = n_enr
        acc[2] += pout[_P_EVAL]
        acc[3] += pout[_P_TOX]
        acc[4] += pout[_P_DIED]
        acc[5] += pout[_P_RDI]
        acc[6] += pout[_P_DOSE]
        known = pout[_P_KNOWN]
        if known > analysis:
            analysis = known
        if pout[_P_EVAL] == 1.0:
            x += np.int64(pout[_P_RESP])
        elif replace:
            pend[n_pend] = known
            n_pend += 1
        if every > 0:
            acc[7] += pout[_P_WTOX]
            if pout[_P_WKNOWN] > acc[8]:
                acc[8] = pout[_P_WKNOWN]
            if n_enr % every == 0 and acc[7] >= stop_x[n_enr] and acc[8] < acc[1]:
                acc[1] = acc[8]
    st[0] = t
    st[1] = analysis
    st[2] = x
    st[3] = incomplete


@njit(cache=True)
def simulate_replicate(state, fpar, ipar, rate_end, rate_val, p_lev, lq_lev, dose_lev, admin_cum,
                       stop_x, pend, pat, pout, acc, st, rec):
    """Simulate one whole two-stage trial over calendar time.

    Parameters
    ----------
    state : uint64[2]
        The replicate's seeded xoroshiro128+ state (advanced in place).
    fpar, ipar, rate_end, rate_val, p_lev, lq_lev, dose_lev, admin_cum, stop_x
        Packed scenario arrays (:class:`simtrial.engine.pack.Packed`).
    pend : float64[max_enrolled]
        Scratch: open enrolment slots.
    pat : float64[max_enrolled, NPAT]
        Scratch: per-patient (enrol time, death time, responder, evaluable, RDI).
    pout : float64[10], acc : float64[9], st : float64[4]
        Scratch.
    rec : float64[NREC]
        Output record (slots ``REC_FIELDS`` of :mod:`simtrial.engine.pack`).

    Returns
    -------
    int
        Number of patients enrolled (rows of ``pat`` filled).
    """
    # acc: 0 enrolled, 1 toxicity-stop time, 2 evaluable, 3 toxic patients,
    # 4 deaths, 5 RDI sum, 6 dose sum, 7 window-toxic patients, 8 latest window time
    for j in range(9):
        acc[j] = 0.0
    acc[1] = np.inf
    n1 = ipar[I_N1]
    r1 = ipar[I_R1]
    n2 = ipar[I_N2]
    r = ipar[I_R]
    pause = ipar[I_PAUSE] == 1
    promising = 0.0
    futile = 0.0
    toxstop = 0.0
    capstop = 0.0
    x2 = 0

    # Two passes through one call site, so the stage loop is inlined once.
    start = 0.0
    target = n1
    halt = np.inf
    clock = 0.0
    a1 = 0.0
    x1 = 0
    fut = False
    end = 0.0
    for stage in range(2):
        _stage(state, start, target, halt, clock, fpar, ipar, rate_end, rate_val, p_lev, lq_lev,
               dose_lev, admin_cum, stop_x, pend, pat, pout, acc, st)
        if stage == 0:
            clock = st[0]
            a1 = st[1]
            x1 = np.int64(st[2])
            end = a1
            if acc[1] <= a1:
                toxstop = 1.0
                end = acc[1]
                break
            if st[3] == 1.0:
                capstop = 1.0
                break
            fut = x1 <= r1
            if pause and fut:
                futile = 1.0
                break
            # Without a pause, stage 2 accrues from the last stage-1 enrolment;
            # after a futility stop only patients who arrived before the
            # stage-1 analysis are enrolled (the overrun).
            start = a1 if pause else clock
            target = n2
            halt = a1 if fut else np.inf
        else:
            a2 = st[1] if st[1] > a1 else a1
            if fut:
                if acc[1] <= a1:
                    toxstop = 1.0
                    end = acc[1]
                else:
                    futile = 1.0
            elif acc[1] <= a2:
                toxstop = 1.0
                end = acc[1]
            else:
                x2 = np.int64(st[2])
                end = a2
                if st[3] == 1.0:
                    capstop = 1.0
                if x1 + x2 > r:
                    promising = 1.0
    rec[R_PROMISING] = promising
    rec[R_FUTILE] = futile
    rec[R_TOXSTOP] = toxstop
    rec[R_CAPSTOP] = capstop
    rec[R_ENROLLED] = acc[0]
    rec[R_EVALUABLE] = acc[2]
    rec[R_RESPONSES] = x1 + x2
    rec[R_DURATION] = end
    rec[R_TOXPAT] = acc[3]
    rec[R_DEATHS] = acc[4]
    rec[R_RDI_SUM] = acc[5]
    rec[R_DOSE_SUM] = acc[6]
    rec[R_X1] = x1
    rec[R_STAGE1] = a1
    return np.int64(acc[0])


@njit(cache=True, parallel=True)
def run_chunks(key, first_chunk, n_chunks, chunk_size, n_sim, fpar, ipar, rate_end, rate_val, p_lev,
               lq_lev, dose_lev, admin_cum, stop_x, sums, sumsq, cross, enr_counts, eval_counts,
               tox_counts, dur_hist, accr_hist, rdi_hist, store, recs):
    """Simulate chunks ``first_chunk .. first_chunk + n_chunks - 1`` in parallel.

    Chunk ``c`` covers replicates ``c * chunk_size`` up to ``n_sim``. Every
    output array has one row per chunk of this call (row ``i`` for chunk
    ``first_chunk + i``); the caller combines rows in order, so float sums do
    not depend on the number of threads.

    Parameters
    ----------
    key : uint64
        Scenario stream key.
    sums, sumsq : float64[n_chunks, NREC]
        Per-chunk sums and sums of squares of the replicate records.
    cross : float64[n_chunks, 2]
        Per-chunk sums of ``rdi_sum * enrolled`` and ``dose_sum * enrolled``.
    enr_counts, eval_counts, tox_counts : int64[n_chunks, max_enrolled + 1]
        Trials by number enrolled / evaluable / with toxicity.
    dur_hist, accr_hist : int64[n_chunks, n_time_bins + 1]
        Trials by duration; patients by enrolment time (last bin: overflow).
    rdi_hist : int64[n_chunks, n_rdi_bins]
        Patients by relative dose intensity in [0, 1].
    store : bool
        Write each replicate's record into ``recs[replicate]`` (float64[n_sim, NREC]).
    """
    max_enr = ipar[I_MAX_ENROLLED]
    n_tb = ipar[I_N_TIME_BINS]
    n_rb = ipar[I_N_RDI_BINS]
    width = fpar[F_BIN_WIDTH]
    for ci in prange(n_chunks):
        state = np.empty(2, dtype=np.uint64)
        pend = np.empty(max_enr + 1, dtype=np.float64)
        pat = np.empty((max_enr + 1, NPAT), dtype=np.float64)
        pout = np.empty(NPOUT, dtype=np.float64)
        acc = np.empty(9, dtype=np.float64)
        st = np.empty(4, dtype=np.float64)
        rec = np.empty(NREC, dtype=np.float64)
        s = np.zeros(NREC, dtype=np.float64)
        s2 = np.zeros(NREC, dtype=np.float64)
        cr0 = 0.0
        cr1 = 0.0
        lo = (first_chunk + ci) * chunk_size
        hi = min(lo + chunk_size, n_sim)
        for rep in range(lo, hi):
            seed_stream(state, key, rep)
            n = simulate_replicate(state, fpar, ipar, rate_end, rate_val, p_lev, lq_lev, dose_lev,
                                   admin_cum, stop_x, pend, pat, pout, acc, st, rec)
            for j in range(NREC):
                s[j] += rec[j]
                s2[j] += rec[j] * rec[j]
            cr0 += rec[R_RDI_SUM] * rec[R_ENROLLED]
            cr1 += rec[R_DOSE_SUM] * rec[R_ENROLLED]
            enr_counts[ci, n] += 1
            eval_counts[ci, np.int64(rec[R_EVALUABLE])] += 1
            tox_counts[ci, np.int64(rec[R_TOXPAT])] += 1
            b = np.int64(rec[R_DURATION] / width)
            dur_hist[ci, min(b, n_tb)] += 1
            for i in range(n):
                b = np.int64(pat[i, PAT_ENROLL] / width)
                accr_hist[ci, min(b, n_tb)] += 1
                rb = np.int64(pat[i, PAT_RDI] * n_rb)
                rdi_hist[ci, min(max(rb, 0), n_rb - 1)] += 1
            if store:
                for j in range(NREC):
                    recs[rep, j] = rec[j]
        for j in range(NREC):
            sums[ci, j] = s[j]
            sumsq[ci, j] = s2[j]
        cross[ci, 0] = cr0
        cross[ci, 1] = cr1


@njit(cache=True)
def collect_patients(key, n_rep, fpar, ipar, rate_end, rate_val, p_lev, lq_lev, dose_lev, admin_cum,
                     stop_x, out_time, out_event, out_resp):
    """Per-patient survival data of replicates ``0 .. n_rep - 1`` (for Kaplan-Meier plots).

    Follow-up of each patient ends at the trial's final decision: time is
    ``min(death, end) - enrolment`` and event is 1 if death came first.
    Writes into ``out_*`` (length >= n_rep * max_enrolled); returns the count.
    """
    max_enr = ipar[I_MAX_ENROLLED]
    state = np.empty(2, dtype=np.uint64)
    pend = np.empty(max_enr + 1, dtype=np.float64)
    pat = np.empty((max_enr + 1, NPAT), dtype=np.float64)
    pout = np.empty(NPOUT, dtype=np.float64)
    acc = np.empty(9, dtype=np.float64)
    st = np.empty(4, dtype=np.float64)
    rec = np.empty(NREC, dtype=np.float64)
    m = 0
    for rep in range(n_rep):
        seed_stream(state, key, rep)
        n = simulate_replicate(state, fpar, ipar, rate_end, rate_val, p_lev, lq_lev, dose_lev,
                               admin_cum, stop_x, pend, pat, pout, acc, st, rec)
        end = rec[R_DURATION]
        for i in range(n):
            e = pat[i, PAT_ENROLL]
            d = pat[i, PAT_DEATH]
            stop = d if d < end else end
            out_time[m] = max(stop - e, 0.0)
            out_event[m] = 1 if d <= end else 0
            out_resp[m] = np.int8(pat[i, PAT_RESP])
            m += 1
    return m
