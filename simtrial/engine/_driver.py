"""The calendar-time trial: one design applied to a cohort of patients.

Any decision table runs here; nothing is specific to a design family. The
rules (written out in the README's "Model rules"):

* Accrual is a Poisson process. The trial has *slots*: with the accrual
  paused at each look, look ``k``'s ``n_k - n_{k-1}`` slots open when look
  ``k - 1``'s analysis says continue (look 1's at the opening); without a
  pause, all ``n_K`` slots open at the opening. A patient takes the earliest
  open slot and enrols at the first arrival after both the slot's opening
  and the previous enrolment. With replacement, a non-evaluable patient's
  slot opens again when their non-evaluability is known.
* Look ``k``'s cohort is complete when ``n_k`` slots are resolved, in
  enrolment order (a slot is resolved by an evaluable patient, or by a
  non-evaluable one who is not replaced); its analysis is when every patient
  enrolled up to then has their outcome known. The look counts the
  responses (and, for a joint design, the toxicities by the response
  assessment) among the evaluable patients of its cohort.
* The toxicity rule looks at the first ``m`` patients enrolled (``m`` a look
  of the rule) once all their monitoring windows are known.
* Accrual stops when the trial stops (a decision, a toxicity stop): patients
  who arrived before then are enrolled, and count. The accrual cap
  (``max_duration``, ``max_enrolled``) also closes accrual; such a trial
  ends at the later of the cap and the last enrolled patient's outcome.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from simtrial.engine._patients import (
    P_GAP,
    P_KNOWN,
    P_WKNOWN,
    S_REPLACE,
    T_DIED,
    T_DOSE,
    T_EVAL,
    T_JTOX,
    T_RDI,
    T_RES,
    T_RESP,
    T_TOX,
    T_WTOX,
    F_EVAL,
    ensure,
)
from simtrial.engine.outcomes import (
    C_CAP,
    C_FUTILE_INTERIM,
    C_NOT_PROMISING_FINAL,
    C_PROMISING_EARLY,
    C_PROMISING_FINAL,
    C_PROMISING_INTERIM,
    C_TOXICITY,
    SLOT,
)

__all__ = ["Designs", "drive", "NEVER_BOUND"]

#: Decision tables of the designs run on one cohort, stacked: ``looks``,
#: ``fut``, ``eff``, ``tox`` int64[D, K_max] (``eff`` and ``tox`` hold
#: :data:`NEVER_BOUND` where a look has none), ``n_looks``, ``pause`` and
#: ``max_enrolled`` int64[D], ``monitor`` int64[D, N_max + 1] (the toxicity
#: rule's bound at each number of patients; :data:`NEVER_BOUND` where it
#: does not look).
Designs = namedtuple("Designs", ["looks", "fut", "eff", "tox", "n_looks", "pause", "max_enrolled", "monitor"])
NEVER_BOUND = np.iinfo(np.int64).max // 4

# Run-level floats (Model.rf) and integers (Model.ri).
R_CAP, R_INV_BIN_WIDTH = range(2)
NRF = 2
R_N_TIME_BINS, R_N_RDI_BINS, R_N_SURV_REPS = range(3)
NRI = 3

_CATEGORY = SLOT["category"]
_LOOK = SLOT["look"]
_ENROLLED = SLOT["enrolled"]
_EVALUABLE = SLOT["evaluable"]
_RESPONSES = SLOT["responses"]
_TOX = SLOT["tox_patients"]
_DEATHS = SLOT["deaths"]
_DURATION = SLOT["duration_days"]
_RDI = SLOT["rdi_sum"]
_DOSE = SLOT["dose_sum"]
_CONTINUE = -1


@njit(cache=True, inline="always")
def arrival_after(t, gap, model):
    """The first arrival after ``t``: a standard exponential ``gap`` spent on the piecewise-constant intensity.

    The last piece is open-ended with a positive rate.
    """
    rate_end = model.rate_end
    j = 0
    while rate_end[j] <= t:
        j += 1
    e = gap
    while True:
        lam = model.rate_val[j]
        if lam > 0.0:
            a = t + e * model.rate_inv[j]
            if a < rate_end[j]:
                return a
            e -= (rate_end[j] - t) * lam
        t = rate_end[j]
        j += 1


@njit(cache=True, inline="always")
def _decide(des, d, k, last, x, tx):
    """The category a look's analysis decides, or ``_CONTINUE``.

    Toxicity first, then futility, then (interim) efficacy.
    """
    if tx >= des.tox[d, k]:
        return C_TOXICITY
    if x <= des.fut[d, k]:
        return C_NOT_PROMISING_FINAL if last else C_FUTILE_INTERIM
    if last:
        return C_PROMISING_FINAL
    if x >= des.eff[d, k]:
        return C_PROMISING_INTERIM
    return _CONTINUE


@njit(cache=True, _nrt=False)
def drive(seed, s, d, model, des, cohort, gen, scratch, rec):
    """Run design ``d`` on the cohort of scenario ``s`` of the replicate with ``seed``.

    Parameters
    ----------
    seed : uint64
        The replicate's seed (patients are generated on demand into ``cohort``).
    s, d : int
        Scenario and design.
    model : Model
        The packed patient model (:mod:`simtrial.engine.pack`).
    des : Designs
    cohort : Cohort
        The replicate's patients of scenario ``s`` (:mod:`simtrial.engine._patients`); the first ``gen`` exist.
    gen : int
        Patients generated so far.
    scratch : tuple
        ``(times float64[N], pend float64[N])``: enrolment times (written
        for the enrolled patients) and open replacement slots.
    rec : float64[NREC]
        The trial's record (:data:`simtrial.engine.outcomes.OUTCOMES`), written here.

    Returns
    -------
    int
        Patients generated (``gen`` after this design).
    """
    times, pend = scratch
    pf = cohort.pf
    ci = cohort.ci
    looks = des.looks
    n_looks = des.n_looks[d]
    last = n_looks - 1
    pause = des.pause[d] == 1
    max_enr = des.max_enrolled[d]
    monitor = des.monitor
    replace = model.si[s, S_REPLACE] == 1
    cap = model.rf[R_CAP]

    k = 0  # the look whose cohort is being filled (paused) or detected next (not paused)
    n_init = looks[d, 0] if pause else looks[d, last]  # open initial slots
    slot_t = 0.0  # when the initial slots opened
    n_rep = 0  # open replacement slots, in pend[:n_rep]
    t = 0.0  # last enrolment
    i = 0  # patients enrolled
    known_max = 0.0  # latest outcome time among the enrolled
    w_max = 0.0  # latest monitoring-window time among the enrolled
    tox_t = np.inf  # the toxicity rule's stop
    dec_t = np.inf  # the first analysis that stops the trial
    dec_cat = _CONTINUE
    dec_look = 0
    dec_x = 0
    stop_t = np.inf  # no arrival after this is enrolled
    closed = False
    close_t = np.inf
    gen = ensure(seed, s, model, cohort, gen, n_init)
    while True:
        halted = False
        while n_init > 0 or n_rep > 0:
            jm = -1
            if n_init > 0:
                sl = slot_t
            else:
                jm = 0
                for j in range(1, n_rep):
                    if pend[j] < pend[jm]:
                        jm = j
                sl = pend[jm]
            tt = t if t > sl else sl
            if i >= max_enr:
                closed = True
                close_t = t
                break
            if i >= gen:
                gen = ensure(seed, s, model, cohort, gen, i + 1)
            a = arrival_after(tt, pf[i, P_GAP], model)
            if a > stop_t:
                halted = True
                break
            if a > cap:
                closed = True
                close_t = cap
                break
            if jm < 0:
                n_init -= 1
            else:
                n_rep -= 1
                pend[jm] = pend[n_rep]
            t = a
            times[i] = a
            kn = a + pf[i, P_KNOWN]
            if kn > known_max:
                known_max = kn
            if replace and (cohort.flags[i] & F_EVAL) == 0:
                pend[n_rep] = kn
                n_rep += 1
            wk = a + pf[i, P_WKNOWN]
            if wk > w_max:
                w_max = wk
            i += 1
            # The bound is huge where the rule does not look: no modulo needed.
            if ci[i, T_WTOX] >= monitor[d, i] and w_max < tox_t:
                tox_t = w_max
                if tox_t < stop_t:
                    stop_t = tox_t
            if not pause:
                while k <= last and ci[i, T_RES] >= looks[d, k]:
                    x = ci[i, T_RESP]
                    cat = _decide(des, d, k, k == last, x, ci[i, T_JTOX])
                    if cat != _CONTINUE and dec_cat == _CONTINUE:
                        dec_cat, dec_t, dec_look, dec_x = cat, known_max, k + 1, x
                        if dec_t < stop_t:
                            stop_t = dec_t
                    k += 1
        if halted or closed or not pause:
            break
        # Paused: look k's cohort is complete; its analysis.
        x = ci[i, T_RESP]
        cat = _decide(des, d, k, k == last, x, ci[i, T_JTOX])
        if cat != _CONTINUE:
            dec_cat, dec_t, dec_look, dec_x = cat, known_max, k + 1, x
            break
        if known_max >= tox_t:
            break
        k += 1
        slot_t = known_max
        n_init = looks[d, k] - looks[d, k - 1]
        gen = ensure(seed, s, model, cohort, gen, i + n_init)

    resp = dec_x
    look = dec_look
    cap_end = close_t if close_t > known_max else known_max
    if dec_cat != _CONTINUE:
        tox_first = tox_t <= dec_t
    elif closed:
        # A capped trial ends when the last enrolled patient's outcome is known, and not before
        # the cap closed accrual; a toxicity stop before then still stops it.
        tox_first = tox_t <= cap_end
    else:
        tox_first = True  # halted by the toxicity rule
    if tox_first:
        cat = C_TOXICITY
        end = tox_t
        resp = ci[i, T_RESP]
        look = 0
    elif dec_cat != _CONTINUE:
        cat = dec_cat
        end = dec_t
    else:
        end = cap_end
        resp = ci[i, T_RESP]
        look = 0
        cat = C_PROMISING_EARLY if resp > des.fut[d, last] else C_CAP
    rec[_CATEGORY] = cat
    rec[_LOOK] = look
    rec[_ENROLLED] = i
    rec[_EVALUABLE] = ci[i, T_EVAL]
    rec[_RESPONSES] = resp
    rec[_TOX] = ci[i, T_TOX]
    rec[_DEATHS] = ci[i, T_DIED]
    rec[_DURATION] = end
    rec[_RDI] = cohort.cf[i, T_RDI]
    rec[_DOSE] = cohort.cf[i, T_DOSE]
    return gen
