"""Patients: latent draws -> one patient's course, relative to their enrolment.

A patient's course does not depend on the design or on calendar time: every
time here is an offset in days from the patient's own enrolment, and every
draw is a counter-based function of (replicate seed, patient, variable)
(:mod:`simtrial.engine._rng`). The calendar-time driver adds the enrolment
time it chooses.

Patients are generated in enrolment order into a *cohort* buffer shared by
every design simulated on the replicate (:func:`ensure`): a design that
enrols ``N`` patients enrols patients ``0 .. N - 1``. A scenario that differs
from the one before it in the response rate alone keeps that scenario's
patients and decides their response again (:func:`start_scenario`).

The course (:func:`course`): the patient responds if ``u_resp <
p_response``; at each dose level the cycle of the first grade >= 3
toxicity is drawn by inversion of its distribution over the course's
cycles; overall survival (if modelled) ends treatment at death; withdrawal
ends it at the end of a cycle. Treatment is walked one dose level at a
time: the first event at a level (toxicity, withdrawal, the last cycle,
death) ends that level's run of cycles, the level's ``j``-th cycle ending at
``b + j * cycle_length`` (``b`` the level's start). After a toxicity the
patient is held for ``hold`` days and resumes one level lower, unless
treatment stops (``discontinue``, the ``max_events``-th event, or an event at
the last level). Every offset is computed from the patient's enrolment
(time 0) in this order of operations.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from simtrial.engine._rng import (
    V_ARRIVAL,
    V_RESPONSE,
    V_SURVIVAL,
    V_TOX0,
    V_WITHDRAW,
    draw,
    exponential_from,
    unlikely,
    u53_of,
)

__all__ = [
    "Cohort",
    "make_cohort",
    "ensure",
    "respond",
    "start_scenario",
    "course",
    "first_event_cdf",
    "first_event_table",
    "threshold",
]

# A "never" cycle count: larger than any max_cycles a config allows in practice.
BIG_CYCLES = 1 << 40
# Integer thresholds compare with the top 53 bits ``u53`` of a draw: ``u53 <
# ceil(q * 2**53)`` holds exactly when the double ``u53 * 2**-53 < q``.
TWO53 = 1 << 53
# Mode of a draw-free first-event cycle: 0 means "draw from the table".
MODE_DRAW = 0

# First-event tables (see first_event_table): a guide over the top GUIDE_BITS
# bits of u53, then the splits, then the thresholds themselves from column EV_THR.
GUIDE_BITS = 8
GUIDE_N = 1 << GUIDE_BITS
GUIDE_SHIFT = 53 - GUIDE_BITS
GUIDE_SHIFT64 = 64 - GUIDE_BITS
EV_GUIDE, EV_SPLIT, EV_THR = 0, GUIDE_N, 2 * GUIDE_N
_U_GUIDE_SHIFT64 = np.uint64(GUIDE_SHIFT64)
# Above this many cycles an ambiguous guide bucket is searched by bisection.
_LINEAR_MAX = 16

# Scenario float parameters: Model.sf[s, ...]
S_CYCLE_LEN, S_HOLD, S_FULL_PER_DAY, S_OS_SCALE_NR, S_OS_SCALE_R, S_OS_INV_SHAPE, S_D0 = range(7)
NSF = 7
# Scenario integer parameters: Model.si[s, ...]
(S_MAX_C, S_ASSESS, S_WINDOW, S_N_ADM, S_DISCONTINUE, S_MAX_EVENTS, S_N_LEVELS, S_HAS_SURV, S_WD_MODE,
 S_ONE_LEVEL, S_RESP_THR, S_REPLACE, S_SHARES_PREV) = range(13)
NSI = 13

# Run-level floats (Model.rf) and integers (Model.ri).
R_CAP, R_INV_BIN_WIDTH = range(2)
NRF = 2
# R_RDI_EACH: 1 when dose intensity can fall below 1 (dose reductions), so each patient is binned by
# it; 0 when every patient is at full intensity, counted per trial (see run_block). R_MONITOR: 1 when a
# design of the run has a toxicity rule, which reads each patient's monitoring window; R_JOINT: 1 when
# one has toxicity bounds, which count the toxicities by the response assessment (see pack_model).
R_N_TIME_BINS, R_N_RDI_BINS, R_N_SURV_REPS, R_RDI_EACH, R_MONITOR, R_JOINT = range(6)
NRI = 6

# Per-patient values (Cohort.pf columns): offsets in days from enrolment, and amounts; P_URESP is the
# response draw's top 53 bits (exact as a double), kept so that a scenario sharing the patients
# decides their response again without drawing it again.
P_GAP, P_KNOWN, P_WKNOWN, P_DEATH, P_RDI, P_DOSE, P_URESP = range(7)
NPF = 7
# Per-patient flags (Cohort.flags bits).
F_EVAL = 1  # evaluable: on treatment at the end of the assessment cycle
F_RESP = 2  # an evaluable responder (counts in the design)
F_TOX = 4  # at least one grade >= 3 toxicity
F_WTOX = 8  # a toxicity within the monitoring window (the toxicity rule)
F_JTOX = 16  # evaluable, with a toxicity by the response assessment (joint designs)
F_DIED = 32  # died on treatment
F_RESPONDER = 64  # latent responder (survival by response)

#: The cohort of one replicate and scenario: ``pf`` float64[N, NPF] and ``flags`` int64[N], row k for patient k.
Cohort = namedtuple("Cohort", ["pf", "flags"])


def make_cohort(n: int) -> Cohort:
    """An empty cohort buffer for up to ``n`` patients."""
    return Cohort(np.zeros((n, NPF)), np.zeros(n, dtype=np.int64))


def threshold(q: float) -> int:
    """``ceil(q * 2**53)``: the integer threshold of a probability ``q`` in [0, 1].

    Multiplying by a power of two is exact, so ``u53 < threshold(q)`` if and
    only if ``u53 * 2**-53 < q`` for every 53-bit integer ``u53``.
    """
    import math

    return int(math.ceil(q * float(TWO53)))


def first_event_cdf(p_first: float, p_later: float, max_cycles: int) -> np.ndarray:
    """``F(k)``, k = 0..max_cycles: P(first event within k cycles).

    The event has probability ``p_first`` in cycle 1 and ``p_later`` in each
    later cycle, independently: ``F(k) = 1 - (1 - p_first)(1 - p_later)**(k-1)``.
    """
    out = np.zeros(max_cycles + 1, dtype=np.float64)
    for k in range(1, max_cycles + 1):
        out[k] = 1.0 - (1.0 - p_first) * (1.0 - p_later) ** (k - 1)
    return out


def first_event_table(cdf: np.ndarray) -> np.ndarray:
    """The kernels' lookup table for the cycle of a first event.

    The cycle is ``k = 1 + #{j >= 1 : u53 >= t_j}`` with ``t_j = ceil(F(j)
    2**53)`` (``F = cdf``, non-decreasing; ``k = len(cdf)`` means "not within
    the course"), the least ``k`` with ``u < F(k)``. Rather than compare with
    every threshold, the kernels read a guide indexed by the top
    :data:`GUIDE_BITS` bits of ``u53`` (Chen and Asau's guide table). Within
    bucket ``b``, covering ``[b w, (b + 1) w)``:

    * ``table[EV_GUIDE + b]`` is ``k`` at the bucket's start, or -1 when two
      or more thresholds fall strictly inside the bucket (then the kernel
      counts over the thresholds themselves);
    * ``table[EV_SPLIT + b]`` holds the one threshold ``s`` strictly inside
      the bucket, ``u53`` at or above which ``k`` is one more (``s = 2**53``,
      never reached, when there is none), as the bit pattern of the uint64
      ``s * 2**11 - 1``: compared with the 64-bit output ``x``, whose top 53
      bits are ``u53``, ``x > s * 2**11 - 1`` exactly when ``u53 >= s``.

    Parameters
    ----------
    cdf : ndarray of float64
        ``F(0..max_cycles)`` (``F(0)`` unused).

    Returns
    -------
    ndarray of int64
        ``EV_THR + len(cdf)`` entries: guide, splits, then ``t_0 .. t_max``.

    References
    ----------
    Chen and Asau (1974), "On generating random variates from an empirical
    distribution", AIIE Transactions 6(2), 163-166.
    """
    thr = np.array([threshold(f) for f in cdf], dtype=np.int64)
    t = thr[1:]
    width = 1 << GUIDE_SHIFT
    lo = np.arange(GUIDE_N, dtype=np.int64) * width
    start = 1 + np.searchsorted(t, lo, side="right")  # 1 + #{t_j <= lo}
    inside = np.searchsorted(t, lo + width, side="left") - (start - 1)  # #{lo < t_j < hi}
    guide = np.where(inside >= 2, -1, start)
    split = np.full(GUIDE_N, TWO53, dtype=np.uint64)
    one = inside == 1
    split[one] = t[start[one] - 1]
    split = ((split << np.uint64(11)) - np.uint64(1)).view(np.int64)
    return np.concatenate([guide, split, thr])


@njit(cache=True, _nrt=False)
def _count_thresholds(u, thr, s, row, max_c):
    """``1 + #{j in 1..max_c : u >= t_j}`` from the thresholds themselves (a crowded guide bucket)."""
    if max_c <= _LINEAR_MAX:
        k = 1
        for j in range(1, max_c + 1):
            k += u >= thr[s, row, EV_THR + j]
        return k
    if u >= thr[s, row, EV_THR + max_c]:
        return max_c + 1
    lo = 0  # t_0 = 0 <= u
    hi = max_c  # u < t_hi
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if u < thr[s, row, EV_THR + mid]:
            hi = mid
        else:
            lo = mid
    return hi


@njit(cache=True, inline="always")
def _first_event(x, thr, s, row, max_c):
    """The cycle of the first event for output ``x`` (table ``thr[s, row]``), ``BIG_CYCLES`` if none in the course."""
    b = np.int64(x >> _U_GUIDE_SHIFT64)
    g = thr[s, row, EV_GUIDE + b]
    if not unlikely(g < 0):
        k = g + np.int64(np.uint64(thr[s, row, EV_SPLIT + b]) < x)
    else:
        k = _count_thresholds(u53_of(x), thr, s, row, max_c)
    return k if k <= max_c else BIG_CYCLES


#: A scenario's constants for :func:`course`, read once per batch of patients (held in registers, not
#: reloaded after every store into the cohort).
PatientConsts = namedtuple("PatientConsts", ["clen", "max_c", "assess_c", "window", "n_adm", "d0", "resp_thr",
                                             "tox_mode0", "has_surv", "scale_r", "scale_nr", "inv_k", "wd_mode",
                                             "one_level", "replace", "monitor", "joint"])


@njit(cache=True, inline="always")
def patient_consts(model, s):
    """The :data:`PatientConsts` of scenario ``s``."""
    sf = model.sf
    si = model.si
    return PatientConsts(sf[s, S_CYCLE_LEN], si[s, S_MAX_C], si[s, S_ASSESS], si[s, S_WINDOW], si[s, S_N_ADM],
                         sf[s, S_D0], si[s, S_RESP_THR], model.tox_mode[s, 0], si[s, S_HAS_SURV] == 1,
                         sf[s, S_OS_SCALE_R], sf[s, S_OS_SCALE_NR], sf[s, S_OS_INV_SHAPE], si[s, S_WD_MODE],
                         si[s, S_ONE_LEVEL] == 1, si[s, S_REPLACE] == 1, model.ri[R_MONITOR] == 1,
                         model.ri[R_JOINT] == 1)


@njit(cache=True, inline="always")
def course(seed, k, s, model, c):
    """The course of patient ``k`` of the replicate with ``seed`` in scenario ``s`` (constants ``c``).

    Returns
    -------
    tuple
        ``(flags, known, wknown, death, rdi, dose, u_resp)``: the
        :data:`F_EVAL`... bits, the offsets (days from enrolment) at which the
        patient's evaluability and monitoring-window outcome are known and of
        death (``inf`` without a survival model), the relative dose
        intensity, the dose delivered, and the top 53 bits of the response draw.
        A one-step course leaves the monitoring window (``wknown``,
        :data:`F_WTOX`) and :data:`F_JTOX` at 0 unless a design of the run
        reads them (``c.monitor``, ``c.joint``).
    """
    max_c = c.max_c
    u_resp = u53_of(draw(seed, k, V_RESPONSE))
    responder = u_resp < c.resp_thr
    tox_at = c.tox_mode0
    if tox_at == MODE_DRAW:
        tox_at = _first_event(draw(seed, k, V_TOX0), model.tox_thr, s, 0, max_c)
    death = np.inf
    if c.has_surv:
        h = exponential_from(draw(seed, k, V_SURVIVAL))
        scale = c.scale_r if responder else c.scale_nr
        # h ** 1.0 == h exactly: skip pow for the exponential.
        death = scale * (h if c.inv_k == 1.0 else h**c.inv_k)
    withdraw = c.wd_mode
    if withdraw == MODE_DRAW:
        withdraw = _first_event(draw(seed, k, V_WITHDRAW), model.wd_thr, s, 0, max_c)
    # Treatment ends at the end of this cycle unless toxicity or death comes first.
    stop_c = withdraw if withdraw < max_c else max_c

    if c.one_level and death == np.inf:
        # One step of treatment and no death: the level walk in closed form.
        assess_c = c.assess_c
        tox = tox_at <= stop_c
        c_end = tox_at if tox else stop_c
        end = c_end * c.clen
        evaluable = (assess_c <= c_end) & (assess_c != withdraw)
        known = assess_c * c.clen if evaluable else end
        delivered = c.d0 * (c_end * c.n_adm)
        flags = evaluable * F_EVAL | (evaluable & responder) * F_RESP | tox * F_TOX | responder * F_RESPONDER
        # The monitoring window and the joint count are formed only for a run whose designs read them
        # (R_MONITOR, R_JOINT): about 4% of the reference model's run otherwise.
        wknown = 0.0
        if c.monitor:
            wtox = tox & (tox_at <= c.window)
            wknown = end if (wtox or c.window > c_end) else c.window * c.clen
            flags |= wtox * F_WTOX
        if c.joint:
            # The first toxicity is at the starting dose: counted if by the assessment.
            flags |= (evaluable & (tox_at <= assess_c)) * F_JTOX
        return flags, known, wknown, death, 1.0, delivered, u_resp

    flags, known, wknown, death, rdi, delivered = _course_walk(seed, k, s, model, responder, tox_at, death, withdraw,
                                                               stop_c)
    return flags, known, wknown, death, rdi, delivered, u_resp


@njit(cache=True, inline="always")
def _course_walk(seed, k, s, model, responder, tox_at, death, withdraw, stop_c):
    """The level-by-level walk of :func:`course`, for courses that are not one step without death.

    A function of its own for reading; inlined, since a namedtuple of arrays passed by value costs more
    than the walk.
    """
    sf = model.sf
    si = model.si
    clen = sf[s, S_CYCLE_LEN]
    max_c = si[s, S_MAX_C]
    assess_c = si[s, S_ASSESS]
    window = si[s, S_WINDOW]
    n_adm = si[s, S_N_ADM]
    d0 = sf[s, S_D0]
    first_tox_c = tox_at
    discontinue = si[s, S_DISCONTINUE] == 1
    max_events = si[s, S_MAX_EVENTS]
    last_level = si[s, S_N_LEVELS] - 1
    level = 0
    c0 = 0  # cycles completed before the current level
    b = 0.0  # start of the current level's first cycle
    n_events = 0
    assess = -1.0
    wtox = False
    wknown = -1.0
    died = False
    total_days = 0
    delivered = 0.0
    held = 0.0
    end = 0.0
    while True:
        ks = stop_c - c0
        kt = tox_at
        tox = kt <= ks
        k_end = kt if tox else ks
        cend = b + k_end * clen
        done = k_end
        if death < cend:
            # Dies during cycle kd of this level; the cycles before it are complete.
            kd = 1
            while not (death < b + kd * clen):
                kd += 1
            done = kd - 1
            tox = False
        # Cycles c0+1 .. c0+done are complete: assessment and monitoring window.
        if c0 < assess_c <= c0 + done and assess_c != withdraw:
            assess = b + (assess_c - c0) * clen
        n_events += tox
        first_w = tox & (c0 + k_end <= window) & (not wtox)
        if first_w:
            wtox = True
            wknown = cend
        if wknown < 0.0 and c0 < window <= c0 + done:
            wknown = b + (window - c0) * clen
        days = done * n_adm
        if done < k_end:
            # Doses of the days begun before death were given.
            start = b + done * clen
            days += model.admin_cum[min(np.int64(np.ceil(death - start)), np.int64(clen))]
            delivered += model.dose_lev[level] * days
            total_days += days
            end = death
            died = True
            break
        delivered += model.dose_lev[level] * days
        total_days += days
        end = cend
        if discontinue or not tox or kt == ks or n_events >= max_events or level == last_level:
            break
        # Hold, then resume one level lower (unless death comes during the hold).
        level += 1
        c0 += k_end
        nxt = cend + sf[s, S_HOLD]
        if death < nxt:
            held += death - cend
            end = death
            died = True
            break
        held += sf[s, S_HOLD]
        b = nxt
        tox_at = model.tox_mode[s, level]
        if tox_at == MODE_DRAW:
            tox_at = _first_event(draw(seed, k, V_TOX0 + level), model.tox_thr, s, level, max_c)

    evaluable = assess >= 0.0
    if wknown < 0.0:
        wknown = end
    planned = d0 * total_days + sf[s, S_FULL_PER_DAY] * held
    # Full dose throughout (the usual case) needs no division.
    rdi = 1.0 if (delivered == planned or planned <= 0.0) else delivered / planned
    known = assess if evaluable else end
    flags = (evaluable * F_EVAL | (evaluable & responder) * F_RESP | (n_events > 0) * F_TOX | wtox * F_WTOX
             | (evaluable & (first_tox_c <= assess_c)) * F_JTOX | died * F_DIED | responder * F_RESPONDER)
    return flags, known, wknown, death, rdi, delivered


#: ``S_SHARES_PREV`` values: the scenario forms its own patients; it keeps the previous scenario's and
#: decides their response again (courses do not depend on the response); it also forms again the
#: courses of the patients whose response changes (survival depends on the response).
SHARE_NONE, SHARE_RESPONSE, SHARE_REFORM = 0, 1, 2


@njit(cache=True, _nrt=False)
def _reform(seed, k, s, model, cohort):
    """Form patient ``k``'s course again for scenario ``s`` (their arrival gap is kept).

    A call of its own rather than inlined: few patients need it, and one
    inlined course (in :func:`ensure`) is enough code in the kernel.
    """
    _store(cohort, k, course(seed, k, s, model, patient_consts(model, s)))


@njit(cache=True, inline="always")
def _store(cohort, k, formed):
    """Write a :func:`course` result into row ``k`` of the cohort (all but the arrival gap)."""
    flags, known, wknown, death, rdi, dose, u_resp = formed
    pf = cohort.pf
    pf[k, P_KNOWN] = known
    pf[k, P_WKNOWN] = wknown
    pf[k, P_DEATH] = death
    pf[k, P_RDI] = rdi
    pf[k, P_DOSE] = dose
    pf[k, P_URESP] = u_resp
    cohort.flags[k] = flags


@njit(cache=True, inline="always")
def respond(seed, s, model, cohort, n):
    """Turn patients ``0 .. n - 1``, formed for the scenario before ``s``, into scenario ``s``'s.

    Only for a scenario that differs from the one before it in the response
    rate alone (``S_SHARES_PREV``): each patient's response is decided again
    (the same draw, kept in the cohort, against this scenario's rate). Every
    other value is the same, except, when survival depends on the response
    (:data:`SHARE_REFORM`), for the patients whose response changes, whose
    course is formed again: with coupled scenarios, about ``|p - p'|`` of them.
    """
    thr = np.float64(model.si[s, S_RESP_THR])  # exact: at most 2**53, as the kept draw is
    reform = model.si[s, S_SHARES_PREV] == SHARE_REFORM
    flags = cohort.flags
    for k in range(n):
        responder = cohort.pf[k, P_URESP] < thr
        f = flags[k]
        if reform and responder != ((f & F_RESPONDER) != 0):
            _reform(seed, k, s, model, cohort)
        else:
            f &= ~(F_RESP | F_RESPONDER)
            flags[k] = f | ((f & F_EVAL) != 0 and responder) * F_RESP | responder * F_RESPONDER


@njit(cache=True, inline="always")
def start_scenario(seed, s, model, cohort, gen):
    """Begin scenario ``s`` on the cohort buffer holding ``gen`` patients of the scenario before it.

    Returns how many patients the buffer holds for ``s``: all ``gen``,
    turned into this scenario's (:func:`respond`), when ``s`` shares the
    previous scenario's patients; none otherwise.
    """
    if model.si[s, S_SHARES_PREV] == SHARE_NONE:
        return 0
    respond(seed, s, model, cohort, gen)
    return gen


@njit(cache=True, inline="always")
def ensure(seed, s, model, cohort, gen, n):
    """Generate patients ``gen .. n - 1`` into ``cohort`` (as far as it holds); returns the new count."""
    n = min(n, cohort.flags.shape[0])
    if n <= gen:
        return gen
    c = patient_consts(model, s)
    for k in range(gen, n):
        formed = course(seed, k, s, model, c)
        cohort.pf[k, P_GAP] = exponential_from(draw(seed, k, V_ARRIVAL))
        _store(cohort, k, formed)
    return n
