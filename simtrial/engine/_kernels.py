"""numba kernels: the per-replicate trial and the chunked ``prange`` driver.

Pure functions of arrays (see :mod:`simtrial.engine.pack` for the slot
layout). Time is in days from the trial's opening.

Random draws, in order, per replicate: for each enrolment attempt one
arrival variate; then for the enrolled patient one draw for the response
together with the cycle of the first toxicity at the starting dose, one
survival variate (if a survival model), one withdrawal draw (if 0 <
withdrawal < 1), and one draw at each reduced level reached whose toxicity
is uncertain. Each variate starts from one draw:

* an event of probability q: ``u53 < ceil(q 2**53)`` (``u53`` the top 53 bits);
* the cycle of a first event: the least k with ``u53 < ceil(F(k) 2**53)``,
  ``F`` the precomputed distribution over the treatment's cycles ("never"
  when beyond the last cycle), so no logarithm is needed; found with a
  guide table (:func:`simtrial.engine.pack.first_event_table`);
* response and first toxicity together: the same, over their joint
  distribution (:func:`simtrial.engine.pack.response_tox_cdf`), whose
  categories start with the responders, so the response is ``u53 <
  ceil(p 2**53)`` as a draw of its own would be;
* a standard exponential (arrival gap, survival): the ziggurat of
  :func:`simtrial.engine._rng.exponential_of`, one draw and no logarithm in
  about 99.4% of variates, more draws in the rest.

Two per-patient paths draw the same numbers and compute the same values:
the general one and, for scenarios flagged lean by
:func:`simtrial.engine.pack.pack_scenario` (no deaths, withdrawal draws,
dose steps, toxicity rule or replacements), :func:`_stage_lean`, which
leaves out the branches that cannot fire there.

Treatment is simulated one dose level at a time, not one cycle at a time:
the first event at a level (toxicity, withdrawal, last cycle or death) ends
the level's run of cycles, and the end of a level's k-th cycle is
``start + k * cycle_length``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simtrial.engine._rng import exponential_of, seed_stream, step, u53_of, unlikely
from simtrial.engine.pack import (
    BIG_CYCLES,
    EV_GUIDE,
    EV_SPLIT,
    EV_THR,
    F_ACCRUAL_CAP,
    F_CYCLE_LEN,
    F_FULL_PER_DAY,
    F_HOLD,
    F_INV_BIN_WIDTH,
    F_OS_INV_SHAPE,
    F_OS_SCALE_NR,
    F_OS_SCALE_R,
    GUIDE_SHIFT64,
    I_ASSESS,
    I_DISCONTINUE,
    I_HAS_SURV,
    I_LEAN,
    I_MAX_CYCLES,
    I_MAX_ENROLLED,
    I_MAX_EVENTS,
    I_N1,
    I_N2,
    I_N_ADM,
    I_N_LEVELS,
    I_N_RDI_BINS,
    I_N_TIME_BINS,
    I_ONE_LEVEL,
    I_PAUSE,
    I_R,
    I_R1,
    I_REPLACE,
    I_TOX_EVERY,
    I_TOX_WINDOW,
    I_WD_MODE,
    LEAN_PACK_BITS,
    MODE_DRAW,
    NPAT,
    NREC,
    PAT_DEATH,
    PAT_ENROLL,
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

__all__ = ["simulate_replicate", "run_chunks", "collect_patients", "make_scratch", "add_rows"]

# Sizes of the reserved scratch arrays of simulate_replicate's signature.
_NACC = 9
_NST = 4
# Above this many cycles an ambiguous guide bucket is searched by bisection.
_LINEAR_MAX = 16
# Slots of a category's entry in the course table (see _fill_course), and the
# entry's stride: a power of two, so an entry's offset is one shift.
C_KNOWN, C_DOSE, C_CODE = range(3)
_COURSE_STRIDE = 4
# The same as uint64, for offsets computed in uint64 (numba makes uint64 + int64 a float).
_U_STRIDE = np.uint64(_COURSE_STRIDE)
_U_KNOWN = np.uint64(C_KNOWN)
_U_DOSE = np.uint64(C_DOSE)
_U_CODE = np.uint64(C_CODE)
# A lean patient's counts packed into one double (see _fill_course): evaluable,
# toxic and counted responder in fields of LEAN_PACK_BITS bits, lowest first.
_PACK_MASK = (1 << LEAN_PACK_BITS) - 1
_TOX_ONE = float(1 << LEAN_PACK_BITS)
_RESP_ONE = float(1 << (2 * LEAN_PACK_BITS))
# The guide's bucket is the output's top bits (see _first_index).
_U_GUIDE_SHIFT64 = np.uint64(GUIDE_SHIFT64)
# Rows of a chunk's integer histograms (see _run_block).
_H_FLAGS, _H_RESPONSES, _H_X1, _H_DEATHS = range(4)
_N_HIST = 4
# The 0/1 outcomes packed into a trial's flags, bit k for _FLAG_FIELDS[k]
# (see _replicate), and the number of distinct flag values.
_FLAG_FIELDS = (R_PROMISING, R_FUTILE, R_TOXSTOP, R_CAPSTOP)
_N_FLAGS = 1 << len(_FLAG_FIELDS)


def make_scratch(packed):
    """Scratch buffers for :func:`simulate_replicate`: ``(pend, pat, course, acc, st, rec)``.

    Call as ``simulate_replicate(state, *packed, *make_scratch(packed))``
    after ``seed_stream(state, key, replicate)``.
    """
    n = int(packed.ipar[I_MAX_ENROLLED]) + 1
    return (np.empty(n), np.empty((n, NPAT)), _course_scratch(packed.ipar), np.empty(_NACC, dtype=np.int64),
            np.empty(_NST, dtype=np.int64), np.empty(NREC))


@njit(cache=True, inline="always")
def _course_scratch(ipar):
    """An empty course table (see :func:`_fill_course`)."""
    return np.empty(_COURSE_STRIDE * (2 * ipar[I_MAX_CYCLES] + 3))


@njit(cache=True, inline="always")
def _first_index(x, thr, row, max_c):
    """``1 + #{j in 1..max_c : u53 >= t_j}``: the cycle of the first event, ``max_c + 1`` for none.

    ``x`` is the generator's output and ``u53`` its top 53 bits.
    ``thr[row]`` is a :func:`simtrial.engine.pack.first_event_table`: its
    guide gives the answer from the top bits of ``x`` with one more
    compare, made on ``x`` itself (the table holds the split shifted to
    match). Only for ``x`` in a bucket holding two or more thresholds
    (probabilities within 1/256 of each other) are the thresholds counted,
    by :func:`_count_thresholds`. Rows are indexed in place: a row view
    would cost reference counting.
    """
    b = np.int64(x >> _U_GUIDE_SHIFT64)
    g = thr[row, EV_GUIDE + b]
    if not unlikely(g < 0):
        # Compared unsigned, the count is one add-with-carry.
        return g + np.int64(np.uint64(thr[row, EV_SPLIT + b]) < x)
    return _count_thresholds(u53_of(x), thr, row, max_c)


@njit(cache=True, _nrt=False)
def _count_thresholds(u, thr, row, max_c):
    """``1 + #{j in 1..max_c : u >= t_j}`` by the thresholds themselves (see :func:`_first_index`).

    Not inlined: the loops that inline :func:`_first_index` keep their
    registers for the common case rather than for this rare one.
    """
    if max_c <= _LINEAR_MAX:
        # Count the thresholds at or below u: no data-dependent branch, so no
        # mispredictions on the random cycle.
        k = 1
        for j in range(1, max_c + 1):
            k += u >= thr[row, EV_THR + j]
        return k
    if u >= thr[row, EV_THR + max_c]:
        return max_c + 1
    lo = 0  # t_0 = 0 <= u
    hi = max_c  # u < t_hi
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if u < thr[row, EV_THR + mid]:
            hi = mid
        else:
            lo = mid
    return hi


@njit(cache=True, inline="always")
def _first_event(x, thr, row, max_c):
    """The cycle of the first event (:func:`_first_index`), ``BIG_CYCLES`` when not within the course."""
    k = _first_index(x, thr, row, max_c)
    return k if k <= max_c else BIG_CYCLES


@njit(cache=True, inline="always")
def _response_category(x, tox_thr, max_c):
    """The category (1 .. 2 max_c + 2) of response and first toxicity at the starting dose.

    One draw ``x`` gives both (``tox_thr[0]`` is the joint table, see
    :func:`simtrial.engine.pack.response_tox_cdf`): categories up to
    ``max_c + 1`` are responders.
    """
    return _first_index(x, tox_thr, 0, 2 * max_c + 1)


@njit(cache=True, inline="always")
def _category_outcome(c, max_c):
    """``(responder, cycle of the first toxicity at the starting dose or BIG_CYCLES)`` of category ``c``."""
    responder = c <= max_c + 1
    k = c if responder else c - (max_c + 1)
    return responder, (k if k <= max_c else BIG_CYCLES)


@njit(cache=True, inline="always")
def _response_tox(x, tox_thr, max_c):
    """:func:`_category_outcome` of the category drawn with ``x``."""
    return _category_outcome(_response_category(x, tox_thr, max_c), max_c)


@njit(cache=True, inline="always")
def _patient_consts(fpar, ipar, dose_lev):
    """The scalars :func:`_patient` reads, loaded once per replicate.

    Held in registers, they are not reloaded after every store into the
    scratch arrays (which the compiler cannot prove do not alias them).
    """
    return (fpar[F_CYCLE_LEN], ipar[I_MAX_CYCLES], ipar[I_HAS_SURV] == 1, fpar[F_OS_SCALE_R],
            fpar[F_OS_SCALE_NR], fpar[F_OS_INV_SHAPE], ipar[I_WD_MODE], ipar[I_ASSESS], ipar[I_TOX_WINDOW],
            ipar[I_N_ADM], ipar[I_DISCONTINUE] == 1, ipar[I_MAX_EVENTS], ipar[I_N_LEVELS] - 1, fpar[F_HOLD],
            fpar[F_FULL_PER_DAY], dose_lev[0], ipar[I_TOX_EVERY] > 0, ipar[I_ONE_LEVEL] == 1)


@njit(cache=True, inline="always")
def _next_arrival(s0, s1, t, rate_end, rate_val, rate_inv):
    """Next Poisson arrival after ``t`` with piecewise-constant rates (one exponential).

    A unit exponential is spent across the pieces (the inverse of the
    cumulative intensity); the last piece is open-ended with a positive rate.
    Returns ``(arrival, s0, s1)``.
    """
    x, s0, s1 = step(s0, s1)
    e, s0, s1 = exponential_of(x, s0, s1)
    j = 0
    while rate_end[j] <= t:
        j += 1
    while True:
        lam = rate_val[j]
        if lam > 0.0:
            a = t + e * rate_inv[j]
            if a < rate_end[j]:
                return a, s0, s1
            e -= (rate_end[j] - t) * lam
        t = rate_end[j]
        j += 1


@njit(cache=True, inline="always")
def _one_step_course(enroll, tox_at, withdraw, stop_c, cp):
    """A course that cannot die and is one step of treatment, in closed form.

    Without the level loop's branches: the course ends at the first
    toxicity or at cycle ``stop_c``, at full dose (the same arithmetic as
    one pass of the loop in :func:`_patient`).

    Returns
    -------
    tuple
        ``(evaluable, time the outcome is known, any toxicity, toxicity within
        the monitoring window, time the window outcome is known, dose delivered)``.
    """
    (clen, _, _, _, _, _, _, assess_c, window, n_adm, _, _, _, _, _, d0, monitor, _) = cp
    tox = tox_at <= stop_c
    c_end = tox_at if tox else stop_c
    end = enroll + c_end * clen
    evaluable = (assess_c <= c_end) & (assess_c != withdraw)
    known = enroll + assess_c * clen if evaluable else end
    wtox = 0
    wknown = end
    if monitor:
        first_wtox = tox & (tox_at <= window)
        wtox = 1 if first_wtox else 0
        wknown = end if (first_wtox or window > c_end) else enroll + window * clen
    days = c_end * n_adm
    delivered = d0 * days
    return evaluable, known, tox, wtox, wknown, delivered


@njit(cache=True, inline="always")
def _fill_course(course, cp):
    """Tabulate :func:`_one_step_course` by response category, for :func:`_stage_lean`.

    The entry of category ``c`` (1 .. 2 max_c + 2, see
    :func:`_response_category`), at ``course[_COURSE_STRIDE * c + slot]``,
    holds for a patient enrolled at time 0 who does not withdraw by a draw:
    the time the outcome is known (``C_KNOWN``, an offset from enrolment),
    the dose delivered (``C_DOSE``), and the patient's counts packed into
    one double (``C_CODE``): ``evaluable + toxicity * 2**b + counted response
    * 2**(2 b)``, ``b = LEAN_PACK_BITS``. A stage adds its patients' codes
    in one register; the sum is exact (below 2**53) and its fields do not
    overflow into each other, since a lean scenario enrols fewer than
    ``2**b`` patients (:func:`simtrial.engine.pack._is_lean`). Entries are
    contiguous, so a patient's three reads share one address. Adding the
    offset to the enrolment time is the same floating-point operation as
    the direct computation, so the table changes no result.
    """
    max_c = cp[1]
    withdraw = cp[6]
    stop_c = withdraw if withdraw < max_c else max_c
    for c in range(1, 2 * max_c + 3):
        responder, tox_at = _category_outcome(c, max_c)
        ev, known, tox, _, _, dose = _one_step_course(0.0, tox_at, withdraw, stop_c, cp)
        o = _COURSE_STRIDE * c
        course[o + C_KNOWN] = known
        course[o + C_DOSE] = dose
        course[o + C_CODE] = ev + _TOX_ONE * tox + _RESP_ONE * (ev and responder)


@njit(cache=True, inline="always")
def _patient(s0, s1, enroll, cp, dose_lev, admin_cum, tox_thr, tox_mode, wd_thr):
    """Simulate one patient's course from enrolment.

    Returns
    -------
    tuple
        ``(evaluable, responder counted, time the outcome is known, death
        time, any toxicity, toxicity within the monitoring window, time the
        window outcome is known, relative dose intensity, dose delivered,
        died on treatment, s0, s1)``.
    """
    (clen, max_c, has_surv, scale_r, scale_nr, inv_k, wd_mode, assess_c, window, n_adm, discontinue,
     max_events, last_level, hold, full_per_day, d0, monitor, one_level) = cp
    x, s0, s1 = step(s0, s1)
    responder, tox_at = _response_tox(x, tox_thr, max_c)
    death = np.inf
    if has_surv:
        x, s0, s1 = step(s0, s1)
        h, s0, s1 = exponential_of(x, s0, s1)
        scale = scale_r if responder else scale_nr
        # x ** 1.0 == x exactly: skip pow for the exponential.
        death = enroll + scale * (h if inv_k == 1.0 else h ** inv_k)
    withdraw = wd_mode
    if withdraw == MODE_DRAW:
        x, s0, s1 = step(s0, s1)
        withdraw = _first_event(x, wd_thr, 0, max_c)
    # Treatment ends at this (absolute) cycle unless toxicity or death comes first.
    stop_c = withdraw if withdraw < max_c else max_c

    if one_level and death == np.inf:
        evaluable, known, tox, wtox, wknown, delivered = _one_step_course(enroll, tox_at, withdraw, stop_c, cp)
        return evaluable, evaluable and responder, known, death, tox, wtox, wknown, 1.0, delivered, False, s0, s1

    level = 0
    c0 = 0  # cycles completed before the current level
    b = enroll  # start of the current level's first cycle
    n_events = 0
    assess = -1.0
    wtox = 0
    wknown = -1.0
    died = False
    total_days = 0
    delivered = 0.0
    held = 0.0
    end = enroll
    while True:
        ks = stop_c - c0
        kt = tox_at
        tox = kt <= ks
        k_end = kt if tox else ks
        cend = b + k_end * clen
        done = k_end
        if death < cend:
            # Dies during cycle kd of this level; cycles before it are complete.
            kd = 1
            while not (death < b + kd * clen):
                kd += 1
            done = kd - 1
            tox = False
        # Cycles c0+1 .. c0+done are complete: assessment and monitoring window.
        if c0 < assess_c <= c0 + done and assess_c != withdraw:
            assess = b + (assess_c - c0) * clen
        # Written as selects, not branches: whether a patient has toxicity is
        # random, and a mispredicted branch costs more than these few operations.
        n_events += tox
        if monitor:
            # Only the toxicity stopping rule reads the monitoring window.
            first_wtox = tox & (c0 + k_end <= window) & (wtox == 0)
            wtox = 1 if first_wtox else wtox
            wknown = cend if first_wtox else wknown
            if wknown < 0.0 and c0 < window <= c0 + done:
                wknown = b + (window - c0) * clen
        days = done * n_adm
        if done < k_end:
            # Doses of the days begun before death were given.
            start = b + done * clen
            days += admin_cum[min(np.int64(np.ceil(death - start)), np.int64(clen))]
            delivered += dose_lev[level] * days
            total_days += days
            end = death
            died = True
            break
        delivered += dose_lev[level] * days
        total_days += days
        end = cend
        if discontinue or not tox or kt == ks or n_events >= max_events or level == last_level:
            break
        # Hold, then resume one level lower (unless death comes during the hold).
        level += 1
        c0 += k_end
        nxt = cend + hold
        if death < nxt:
            held += death - cend
            end = death
            died = True
            break
        held += hold
        b = nxt
        tox_at = tox_mode[level]
        if tox_at == MODE_DRAW:
            x, s0, s1 = step(s0, s1)
            tox_at = _first_event(x, tox_thr, level, max_c)

    evaluable = assess >= 0.0
    if wknown < 0.0:
        wknown = end
    planned = d0 * total_days + full_per_day * held
    # Full dose throughout (the usual case) needs no division.
    rdi = 1.0 if (delivered == planned or planned <= 0.0) else delivered / planned
    known = assess if evaluable else end
    return evaluable, evaluable and responder, known, death, n_events > 0, wtox, wknown, rdi, delivered, died, s0, s1


@njit(cache=True, inline="always")
def _time_bin(t, inv_width, n_tb):
    """Bin of a time ``t >= 0`` in the fixed-width time histograms (``n_tb``: overflow).

    Clamped before the conversion, in floating point, which keeps the
    integer units free for the patient loop; unsigned, so indexing needs no
    wraparound check.
    """
    v = t * inv_width
    last = float(n_tb)
    return np.uint64(v if v < last else last)


@njit(cache=True, inline="always")
def _record_patient(po, pat, i, enroll, death, resp, rdi):
    """Where patient ``i``'s per-patient outputs go (``po``, see :func:`_replicate`).

    Looping over replicates, into the chunk's histograms: the enrolment time
    into its bin, and the relative dose intensity only when below 1 (every
    patient is first counted at full intensity, by the caller, per chunk:
    one addition instead of a serial chain of increments of one cell).
    Otherwise into row ``i`` of ``pat`` (for the survival sample).
    """
    to_hist, accr, rdih, inv_width, n_tb, n_rb = po
    if to_hist:
        accr[_time_bin(enroll, inv_width, n_tb)] += 1
        if rdi < 1.0:
            rb = np.int64(rdi * n_rb)
            rdih[min(max(rb, 0), n_rb - 1)] += 1
            rdih[n_rb - 1] -= 1
    else:
        pat[i, PAT_ENROLL] = enroll
        pat[i, PAT_DEATH] = death
        pat[i, PAT_RESP] = 1.0 if resp else 0.0
        pat[i, PAT_RDI] = rdi


@njit(cache=True, _nrt=False)
def _stage(s0, s1, stage_start, target, halt, clock, sp, cp, rate_end, rate_val, rate_inv, dose_lev,
           admin_cum, stop_x, tox_thr, tox_mode, wd_thr, pend, pat, po, tot):
    """Enrol one stage until ``target`` evaluable slots are filled (or enrolment stops).

    ``sp`` and ``cp`` are the stage and patient scalars; ``tot`` holds the
    running trial totals (see ``simulate_replicate``).

    Returns
    -------
    tuple
        ``(clock, analysis time, responses, incomplete, tot, s0, s1)``.
    """
    n_enr, tox_time, n_eval, n_toxpat, n_died, rdi_sum, dose_sum, n_wtox, wlatest = tot
    cap, max_enr, every, replace = sp
    # Open slots: ``n_init`` at the stage start, then replacements in pend[:n_rep]
    # (each opens when non-evaluability is known, never before the stage start).
    n_init = target
    n_rep = 0
    analysis = stage_start
    x = 0
    incomplete = False
    t = clock
    while n_init > 0 or n_rep > 0:
        if n_init > 0:
            s = stage_start
            n_init -= 1
        else:
            jm = 0
            for j in range(1, n_rep):
                if pend[j] < pend[jm]:
                    jm = j
            s = pend[jm]
            n_rep -= 1
            pend[jm] = pend[n_rep]
        if s > t:
            t = s
        if n_enr >= max_enr:
            incomplete = True
            break
        a, s0, s1 = _next_arrival(s0, s1, t, rate_end, rate_val, rate_inv)
        if a > cap:
            incomplete = True
            break
        if a > tox_time or a > halt:
            break
        t = a
        ev, resp, known, death, tox, wtox, wknown, rdi, dose, died, s0, s1 = _patient(
            s0, s1, a, cp, dose_lev, admin_cum, tox_thr, tox_mode, wd_thr)
        _record_patient(po, pat, n_enr, a, death, resp, rdi)
        n_enr += 1
        n_toxpat += tox
        n_died += died
        rdi_sum += rdi
        dose_sum += dose
        if known > analysis:
            analysis = known
        if ev:
            n_eval += 1
            x += resp
        elif replace:
            pend[n_rep] = known
            n_rep += 1
        if every > 0:
            n_wtox += wtox
            if wknown > wlatest:
                wlatest = wknown
            # stop_x is huge where the rule does not look, so no modulo is needed.
            if n_wtox >= stop_x[n_enr] and wlatest < tox_time:
                tox_time = wlatest
    tot = (n_enr, tox_time, n_eval, n_toxpat, n_died, rdi_sum, dose_sum, n_wtox, wlatest)
    return t, analysis, x, incomplete, tot, s0, s1


@njit(cache=True, inline="always")
def _stage_lean(s0, s1, stage_start, target, halt, clock, cap, max_c, rate_inv0, tox_thr, course, pat, po, tot):
    """:func:`_stage` for a lean scenario (``ipar[I_LEAN]``, see :func:`simtrial.engine.pack._is_lean`).

    The same draws and arithmetic without the branches that cannot fire
    there: one open-ended accrual rate (the arrival is ``t + e * (1 / rate)``), no
    death, withdrawal draw, dose reduction, toxicity rule or replacement
    slot, so ``target`` patients are enrolled unless the accrual cap or the
    overrun horizon ``halt`` comes first. A patient's course is read from
    ``course`` (see :func:`_fill_course`) by the category of the response
    draw. Same returns as :func:`_stage`.
    """
    n_enr, tox_time, n_eval, n_toxpat, n_died, rdi_sum, dose_sum, n_wtox, wlatest = tot
    analysis = stage_start
    incomplete = False
    t = clock if clock > stage_start else stage_start
    # One test per arrival: past the accrual cap (incomplete, as the general
    # path checks the cap first) or past the overrun horizon.
    lim = cap if cap < halt else halt
    codes = 0.0
    # One counter for the loop and the enrolment (a register less than two).
    n_end = n_enr + target
    while n_enr < n_end:
        x, s0, s1 = step(s0, s1)
        e, s0, s1 = exponential_of(x, s0, s1)
        a = t + e * rate_inv0
        if a > lim:
            incomplete = a > cap
            break
        t = a
        x, s0, s1 = step(s0, s1)
        # Unsigned, so the table reads need no wraparound check.
        o = _U_STRIDE * np.uint64(_response_category(x, tox_thr, max_c))
        known = a + course[o + _U_KNOWN]
        code = course[o + _U_CODE]
        _record_patient(po, pat, n_enr, a, np.inf, code >= _RESP_ONE, 1.0)
        n_enr += 1
        codes += code
        dose_sum += course[o + _U_DOSE]
        if known > analysis:
            analysis = known
    counts = np.int64(codes)
    n_eval += counts & _PACK_MASK
    n_toxpat += (counts >> LEAN_PACK_BITS) & _PACK_MASK
    xr = counts >> (2 * LEAN_PACK_BITS)
    # Every RDI is 1: adding their count is the same exact sum of ones.
    rdi_sum += n_enr - tot[0]
    tot = (n_enr, tox_time, n_eval, n_toxpat, n_died, rdi_sum, dose_sum, n_wtox, wlatest)
    return t, analysis, xr, incomplete, tot, s0, s1


@njit(cache=True, _nrt=False)
def simulate_replicate(state, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
                       tox_mode, wd_thr, pend, pat, course, acc, st, rec):
    """Simulate one whole two-stage trial over calendar time.

    Parameters
    ----------
    state : uint64[2]
        The replicate's seeded xoroshiro128+ state (advanced in place).
    fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr, tox_mode, wd_thr
        Packed scenario arrays (:class:`simtrial.engine.pack.Packed`).
    pend : float64[max_enrolled + 1]
        Scratch: open replacement slots.
    pat : float64[max_enrolled + 1, NPAT]
        Per-patient output (enrol time, death time, responder counted, RDI).
    course : float64[3, 2 max_cycles + 3]
        Scratch: the course table of a lean scenario (see :func:`_fill_course`).
    acc : int64[9], st : int64[4]
        Reserved scratch (not written; they have the type of the
        histograms, so the stage function is compiled once).
    rec : float64[NREC]
        Output record (slots ``REC_FIELDS`` of :mod:`simtrial.engine.pack`).

    Returns
    -------
    int
        Number of patients enrolled (rows of ``pat`` filled).
    """
    po = (False, acc, st, 0.0, 0, 0)  # patients into pat; no histograms
    lean = ipar[I_LEAN] == 1
    if lean:
        _fill_course(course, _patient_consts(fpar, ipar, dose_lev))
    out = _replicate(state, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
                     tox_mode, wd_thr, pend, pat, course, lean, po, (False, np.uint64(0), 0))
    _write_record(rec, out)
    return out[1]


@njit(cache=True, inline="always")
def _write_record(rec, out):
    """Write a replicate's outcome ``out`` (see :func:`_trial`) into the record ``rec`` (``REC_FIELDS``)."""
    flags, n_enr, n_eval, resp, end, n_toxpat, n_died, rdi_sum, dose_sum, x1, a1 = out
    for bit, j in enumerate(_FLAG_FIELDS):
        rec[j] = (flags >> bit) & 1
    rec[R_ENROLLED] = n_enr
    rec[R_EVALUABLE] = n_eval
    rec[R_RESPONSES] = resp
    rec[R_DURATION] = end
    rec[R_TOXPAT] = n_toxpat
    rec[R_DEATHS] = n_died
    rec[R_RDI_SUM] = rdi_sum
    rec[R_DOSE_SUM] = dose_sum
    rec[R_X1] = x1
    rec[R_STAGE1] = a1


@njit(cache=True, inline="always")
def _replicate(state, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr, tox_mode,
               wd_thr, pend, pat, course, lean, po, ahead):
    """The body of :func:`simulate_replicate`, inlined where replicates are looped over.

    Simulates the trial from the stream state in ``state`` and returns its
    outcome (see :func:`_trial`). ``lean`` selects :func:`_stage_lean`
    (only valid when ``ipar[I_LEAN]``, with ``course`` filled by
    :func:`_fill_course`); where it is a constant at the call site, the
    other path is compiled out. ``po`` is ``(to_hist, accrual histogram,
    RDI histogram, 1 / bin width, time bins, RDI bins)``: whether patients
    go into the histograms or into the rows of ``pat`` (see
    :func:`_record_patient`), a constant at each call site.

    ``ahead`` is ``(seed ahead, key, next replicate)``. Seeding ahead,
    ``state`` is reseeded for the next replicate as soon as this one's state
    is read, and the final state is not written back: the seeding's chain of
    multiplications then runs while this trial is simulated, rather than
    in front of the next trial's first draw. Otherwise ``state`` is left
    at the trial's final state.
    """
    # The stream state lives in two values (registers) until the trial ends.
    s0 = state[0]
    s1 = state[1]
    seed_next, key, nxt = ahead
    if seed_next:
        seed_stream(state, key, nxt)
    out, s0, s1 = _trial(s0, s1, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
                         tox_mode, wd_thr, pend, pat, course, lean, po)
    if not seed_next:
        state[0] = s0
        state[1] = s1
    return out


@njit(cache=True, inline="always")
def _run_stage(s0, s1, start, target, halt, clock, sp, cp, rate_end, rate_val, rate_inv, dose_lev, admin_cum,
               stop_x, tox_thr, tox_mode, wd_thr, pend, pat, course, lean, po, tot):
    """One stage by :func:`_stage_lean` (``lean``, a constant at each call site) or :func:`_stage`."""
    if lean:
        return _stage_lean(s0, s1, start, target, halt, clock, sp[0], cp[1], rate_inv[0], tox_thr, course, pat,
                           po, tot)
    return _stage(s0, s1, start, target, halt, clock, sp, cp, rate_end, rate_val, rate_inv, dose_lev, admin_cum,
                  stop_x, tox_thr, tox_mode, wd_thr, pend, pat, po, tot)


@njit(cache=True, inline="always")
def _trial(s0, s1, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr, tox_mode,
           wd_thr, pend, pat, course, lean, po):
    """One whole trial from the stream state ``(s0, s1)``.

    Returns ``(outcome, s0, s1)``: the trial's outcome as values, not
    through memory, ``(flags, enrolled, evaluable, responses, duration,
    toxic patients, deaths, RDI sum, dose sum, stage-1 responses, stage-1
    analysis time)``, ``flags`` having bit 0 for a promising trial, bit 1
    futile, bit 2 stopped for toxicity and bit 3 accrual closed
    (``_FLAG_FIELDS``); then the final stream state.

    The two stages are two calls written out (see :func:`_run_stage`): on
    the lean path each inlines its own copy of the patient loop, with its
    own registers, and the toxicity rule's tests, on a toxicity-stop time
    that stays infinite there, are compiled out.
    """
    # Running totals: enrolled, toxicity-stop time, evaluable, toxic patients,
    # deaths, RDI sum, dose sum, window-toxic patients, latest window time.
    tot = (0, np.inf, 0, 0, 0, 0.0, 0.0, 0, 0.0)
    sp = (fpar[F_ACCRUAL_CAP], ipar[I_MAX_ENROLLED], ipar[I_TOX_EVERY], ipar[I_REPLACE] == 1)
    cp = _patient_consts(fpar, ipar, dose_lev)
    promising = 0
    futile = 0
    toxstop = 0
    capstop = 0
    x2 = 0
    clock, a1, x1, incomplete, tot, s0, s1 = _run_stage(
        s0, s1, 0.0, ipar[I_N1], np.inf, 0.0, sp, cp, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x,
        tox_thr, tox_mode, wd_thr, pend, pat, course, lean, po, tot)
    end = a1
    if tot[1] <= a1:
        toxstop = 1
        end = tot[1]
    elif incomplete:
        capstop = 1
    else:
        fut = x1 <= ipar[I_R1]
        pause = ipar[I_PAUSE] == 1
        if pause and fut:
            futile = 1
        else:
            # Without a pause, stage 2 accrues from the last stage-1 enrolment;
            # after a futility stop only patients who arrived before the
            # stage-1 analysis are enrolled (the overrun).
            _, analysis, x, incomplete, tot, s0, s1 = _run_stage(
                s0, s1, a1 if pause else clock, ipar[I_N2], a1 if fut else np.inf, clock, sp, cp, rate_end,
                rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr, tox_mode, wd_thr, pend, pat, course, lean,
                po, tot)
            tox_time = tot[1]
            a2 = analysis if analysis > a1 else a1
            if fut:
                if tox_time <= a1:
                    toxstop = 1
                    end = tox_time
                else:
                    futile = 1
            elif tox_time <= a2:
                toxstop = 1
                end = tox_time
            else:
                x2 = x
                end = a2
                if incomplete:
                    capstop = 1
                if x1 + x2 > ipar[I_R]:
                    promising = 1
    n_enr, _, n_eval, n_toxpat, n_died, rdi_sum, dose_sum, _, _ = tot
    flags = promising | futile << 1 | toxstop << 2 | capstop << 3  # bits in _FLAG_FIELDS' order
    return (flags, n_enr, n_eval, x1 + x2, end, n_toxpat, n_died, rdi_sum, dose_sum, x1, a1), s0, s1


@njit(cache=True, inline="always")
def _block_loop(key, lo, hi, ci, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
                tox_mode, wd_thr, state, pend, pat, course, counts, po, store, recs, lean):
    """The loop of :func:`_run_block` over its replicates, for one value of the constant ``lean``.

    ``counts`` is ``(enr_counts, eval_counts, tox_counts, dur_hist, ih)``
    (row ``ci`` of the first four; ``ih`` the chunk's other integer
    histograms, see :func:`_run_block`) and ``po`` the per-patient
    histograms (see :func:`_record_patient`). Every integer outcome is
    counted by value; only the four float ones are summed here.

    Returns
    -------
    tuple
        ``(sums, sums of squares, cross0, cross1, patients)``: the first two
        for the float outcomes (duration, stage-1 time, RDI sum, dose sum),
        then the two cross-product sums and the number of patients (first
        counted in the full-intensity RDI bin, see :func:`_record_patient`).
        With ``lean``, the RDI sums and ``cross0`` are 0 (the caller forms
        them from the enrolment counts).
    """
    enr_counts, eval_counts, tox_counts, dur_hist, ih = counts
    n_tb = ipar[I_N_TIME_BINS]
    inv_width = fpar[F_INV_BIN_WIDTH]
    # Float totals in registers, added in replicate order (the order fixes their last digits).
    sd = sd2 = sa = sa2 = sr = sr2 = so = so2 = cr0 = cr1 = 0.0
    full = 0
    # Each replicate seeds the next one's stream (see _replicate).
    seed_stream(state, key, lo)
    for rep in range(lo, hi):
        out = _replicate(state, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
                         tox_mode, wd_thr, pend, pat, course, lean, po, (True, key, rep + 1))
        flags, n, n_eval, resp, end, n_toxpat, n_died, rdi_sum, dose_sum, x1, a1 = out
        sd += end
        sd2 += end * end
        sa += a1
        sa2 += a1 * a1
        if not lean:
            # A lean trial's RDI sum is its number of patients: these three
            # are formed from the enrolment counts instead (see _run_block).
            sr += rdi_sum
            sr2 += rdi_sum * rdi_sum
            cr0 += rdi_sum * n
        so += dose_sum
        so2 += dose_sum * dose_sum
        cr1 += dose_sum * n
        # Unsigned indices: no wraparound test for negative ones.
        enr_counts[ci, np.uint64(n)] += 1
        eval_counts[ci, np.uint64(n_eval)] += 1
        tox_counts[ci, np.uint64(n_toxpat)] += 1
        ih[_H_FLAGS, np.uint64(flags)] += 1
        ih[_H_RESPONSES, np.uint64(resp)] += 1
        ih[_H_X1, np.uint64(x1)] += 1
        ih[_H_DEATHS, np.uint64(n_died)] += 1
        dur_hist[ci, _time_bin(end, inv_width, n_tb)] += 1
        full += n
        if store:
            _write_record(recs[rep], out)
    return (sd, sa, sr, so), (sd2, sa2, sr2, so2), cr0, cr1, full


@njit(cache=True, inline="always")
def _count_moments(sums, sumsq, ci, j, h):
    """Sum and sum of squares of an integer outcome, from ``h``, its count by value, into column ``j``.

    Integer arithmetic, so exactly the float sums of the values (below 2**53).
    """
    a = 0
    b = 0
    for v in range(h.shape[0]):
        a += v * h[v]
        b += v * v * h[v]
    sums[ci, j] = a
    sumsq[ci, j] = b


@njit(cache=True, _nrt=False)
def _run_block(key, lo, hi, ci, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x, tox_thr,
               tox_mode, wd_thr, state, pend, pat, course, ih, sums, sumsq, cross, enr_counts, eval_counts,
               tox_counts, dur_hist, accr_hist, rdi_hist, store, recs):
    """Replicates ``lo .. hi - 1`` into row ``ci`` of the per-chunk outputs (see :func:`run_chunks`).

    ``state``, ``pend``, ``pat``, ``course`` and ``ih`` (int64[4, >= max(max_enrolled + 1, 16)])
    are the chunk's scratch. Integer outcomes are counted by value (enrolled,
    evaluable and toxic patients into the output histograms; the outcome
    flags, responses, stage-1 responses and deaths into the rows of ``ih``)
    and their sums and sums of squares formed from the counts at the end:
    no float reduction per replicate for them. Compiled without reference counting:
    it only reads and writes arrays its caller owns, and counting every
    array at every inlined call would cost more than the trial itself.
    """
    accr = accr_hist[ci]
    rdih = rdi_hist[ci]
    # This chunk's rows of counts start from zero (the caller reuses the arrays).
    enr_counts[ci, :] = 0
    eval_counts[ci, :] = 0
    tox_counts[ci, :] = 0
    dur_hist[ci, :] = 0
    accr[:] = 0
    rdih[:] = 0
    ih[:, :] = 0
    # Two copies of the loop, each compiled for its path (the lean one has
    # none of the general path's code).
    counts = (enr_counts, eval_counts, tox_counts, dur_hist, ih)
    po = (True, accr, rdih, fpar[F_INV_BIN_WIDTH], ipar[I_N_TIME_BINS], ipar[I_N_RDI_BINS])
    if ipar[I_LEAN] == 1:
        _fill_course(course, _patient_consts(fpar, ipar, dose_lev))
        fs, fs2, cr0, cr1, full = _block_loop(key, lo, hi, ci, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev,
                                              admin_cum, stop_x, tox_thr, tox_mode, wd_thr, state, pend, pat, course,
                                              counts, po, store, recs, True)
    else:
        fs, fs2, cr0, cr1, full = _block_loop(key, lo, hi, ci, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev,
                                              admin_cum, stop_x, tox_thr, tox_mode, wd_thr, state, pend, pat, course,
                                              counts, po, store, recs, False)
    rdih[ipar[I_N_RDI_BINS] - 1] += full
    for k, j in enumerate((R_DURATION, R_STAGE1, R_RDI_SUM, R_DOSE_SUM)):
        sums[ci, j] = fs[k]
        sumsq[ci, j] = fs2[k]
    _count_moments(sums, sumsq, ci, R_ENROLLED, enr_counts[ci])
    _count_moments(sums, sumsq, ci, R_EVALUABLE, eval_counts[ci])
    _count_moments(sums, sumsq, ci, R_TOXPAT, tox_counts[ci])
    _count_moments(sums, sumsq, ci, R_RESPONSES, ih[_H_RESPONSES])
    _count_moments(sums, sumsq, ci, R_X1, ih[_H_X1])
    _count_moments(sums, sumsq, ci, R_DEATHS, ih[_H_DEATHS])
    # A 0/1 outcome's sum of squares is its sum.
    for bit, j in enumerate(_FLAG_FIELDS):
        c = 0
        for f in range(_N_FLAGS):
            c += ih[_H_FLAGS, f] * ((f >> bit) & 1)
        sums[ci, j] = c
        sumsq[ci, j] = c
    cross[ci, 0] = cr0
    cross[ci, 1] = cr1
    if ipar[I_LEAN] == 1:
        # Every lean patient's RDI is 1, so a trial's RDI sum is its number
        # of patients n: the sums of n, n**2 and n * n, exact in integers and
        # so equal to the float sums the general path forms replicate by replicate.
        _count_moments(sums, sumsq, ci, R_RDI_SUM, enr_counts[ci])
        cross[ci, 0] = sumsq[ci, R_RDI_SUM]


@njit(cache=True, parallel=True)
def run_chunks(key, first_chunk, n_chunks, chunk_size, n_sim, fpar, ipar, rate_end, rate_val, rate_inv,
               dose_lev, admin_cum, stop_x, tox_thr, tox_mode, wd_thr, sums, sumsq, cross, enr_counts,
               eval_counts, tox_counts, dur_hist, accr_hist, rdi_hist, store, recs):
    """Simulate chunks ``first_chunk .. first_chunk + n_chunks - 1`` in parallel.

    Chunk ``c`` covers replicates ``c * chunk_size`` up to ``n_sim``. Every
    output array has one row per chunk of this call (row ``i`` for chunk
    ``first_chunk + i``, overwritten: count rows are zeroed here); the caller
    combines rows in order, so float sums do not depend on the number of
    threads.

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
    for ci in prange(n_chunks):
        # Scratch per chunk, not per replicate.
        state = np.empty(2, dtype=np.uint64)
        pend = np.empty(max_enr + 1, dtype=np.float64)
        pat = np.empty((max_enr + 1, NPAT), dtype=np.float64)
        course = _course_scratch(ipar)
        ih = np.empty((_N_HIST, max(max_enr + 1, _N_FLAGS)), dtype=np.int64)
        lo = (first_chunk + ci) * chunk_size
        hi = min(lo + chunk_size, n_sim)
        _run_block(key, lo, hi, ci, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x,
                   tox_thr, tox_mode, wd_thr, state, pend, pat, course, ih, sums, sumsq, cross, enr_counts,
                   eval_counts, tox_counts, dur_hist, accr_hist, rdi_hist, store, recs)


@njit(cache=True)
def add_rows(total, rows, n):
    """Add rows ``0 .. n - 1`` of ``rows`` into ``total``, one row after another.

    Float totals are summed in row (chunk) order, so they do not depend on
    the number of threads; done here rather than in numpy because a
    reduction over rows allocates and walks the rows once per call, a
    visible share of a fast model's time.
    """
    for i in range(n):
        for j in range(total.shape[0]):
            total[j] += rows[i, j]


@njit(cache=True)
def collect_patients(key, n_rep, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum, stop_x,
                     tox_thr, tox_mode, wd_thr, out_time, out_event, out_resp):
    """Per-patient survival data of replicates ``0 .. n_rep - 1`` (for Kaplan-Meier plots).

    Follow-up of each patient ends at the trial's final decision: time is
    ``min(death, end) - enrolment`` and event is 1 if death came first.
    Writes into ``out_*`` (length >= n_rep * max_enrolled); returns the count.
    """
    max_enr = ipar[I_MAX_ENROLLED]
    state = np.empty(2, dtype=np.uint64)
    pend = np.empty(max_enr + 1, dtype=np.float64)
    pat = np.empty((max_enr + 1, NPAT), dtype=np.float64)
    course = _course_scratch(ipar)
    acc = np.empty(_NACC, dtype=np.int64)
    st = np.empty(_NST, dtype=np.int64)
    rec = np.empty(NREC, dtype=np.float64)
    m = 0
    for rep in range(n_rep):
        seed_stream(state, key, rep)
        n = simulate_replicate(state, fpar, ipar, rate_end, rate_val, rate_inv, dose_lev, admin_cum,
                               stop_x, tox_thr, tox_mode, wd_thr, pend, pat, course, acc, st, rec)
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
