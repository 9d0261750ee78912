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
    F_DIED,
    F_EVAL,
    F_JTOX,
    F_RESP,
    F_TOX,
    F_WTOX,
    P_DOSE,
    P_GAP,
    P_KNOWN,
    P_RDI,
    P_WKNOWN,
    R_CAP,
    R_INV_BIN_WIDTH,
    R_N_RDI_BINS,
    R_N_TIME_BINS,
    R_RDI_EACH,
    S_REPLACE,
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
#: does not look), ``monitored`` int64[D] 1 for a design with a toxicity rule.
Designs = namedtuple("Designs", ["looks", "fut", "eff", "tox", "n_looks", "pause", "max_enrolled", "monitor",
                                 "monitored"])
NEVER_BOUND = np.iinfo(np.int64).max // 4


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
    if rate_end.shape[0] == 1:
        # One open-ended rate: the same arithmetic as the loop's first step, without the loop.
        return t + gap * model.rate_inv[0]
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


# Why enrolment stops: it goes on; the enrolment cap is reached; an arrival comes after the trial
# stopped; an arrival comes after the accrual cap.
_ENROL, _FULL, _HALTED, _CAPPED = range(4)


@njit(cache=True, inline="always")
def _arrive(tt, gap, model, stop_t, cap):
    """``(a, why)``: the first arrival ``a`` after ``tt``, and whether it enrols (``_ENROL``) or is too late."""
    a = arrival_after(tt, gap, model)
    if a > stop_t:
        return a, _HALTED
    if a > cap:
        return a, _CAPPED
    return a, _ENROL


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


@njit(cache=True, inline="always")
def _time_bin(t, inv_width, n_tb):
    """Bin of a time ``t >= 0`` in the fixed-width histograms (``n_tb``: overflow).

    Unsigned, so indexing with it needs no test for a negative index.
    """
    v = t * inv_width
    last = float(n_tb)
    return np.uint64(v if v < last else last)


@njit(cache=True, inline="always")
def drive(seed, s, d, model, des, cohort, gen, scratch, acc, where):
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
        ``(times float64[N], pend float64[N], rec float64[NREC])``: enrolment
        times (written for the enrolled patients), open replacement slots,
        and the trial's record (:data:`simtrial.engine.outcomes.OUTCOMES`), written here.
    acc : Acc
        The chunk's accumulators; each enrolment is recorded in row ``where =
        (chunk row, unit)`` of the per-patient histograms (enrolment time,
        relative dose intensity below 1).

    Returns
    -------
    int
        Patients generated (``gen`` after this design).
    """
    times, pend, rec = scratch
    ci, u = where
    pf = cohort.pf
    flags = cohort.flags
    looks = des.looks
    last = des.n_looks[d] - 1
    pause = des.pause[d] == 1
    max_enr = des.max_enrolled[d]
    monitor = des.monitor
    monitored = des.monitored[d] == 1
    replace = model.si[s, S_REPLACE] == 1
    cap = model.rf[R_CAP]
    # Counts needed while patients enrol: for looks detected as patients enrol (no pause) and for the
    # toxicity rule. Otherwise a stage's counts are tallied when its slots are used up, and the trial's
    # totals after it ends: the enrolment loop then only places patients in time.
    count_each = monitored or not pause

    k = 0  # the look whose cohort is being filled (paused) or detected next (not paused)
    n_init = looks[d, 0] if pause else looks[d, last]  # open initial slots
    slot_t = 0.0  # when the initial slots opened
    n_rep = 0  # open replacement slots, in pend[:n_rep]
    t = 0.0  # last enrolment
    i = 0  # patients enrolled
    tallied = 0  # patients whose counts are in n_res, n_resp, n_jtox, n_wtox
    # Counts over the enrolled patients: resolved slots, counted responders, with toxicity by the
    # assessment, with toxicity in the monitoring window.
    n_res = n_resp = n_jtox = n_wtox = 0
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
    # Paused, without replacement or a toxicity rule: a stage's patients take its slots in order and
    # nothing is counted while they enrol, so their loop only places them in time.
    lean = pause and not replace and not count_each
    # Patients are generated a stage at a time, at the top of the loop (one call site, so the
    # generator is inlined and compiled once); replacements beyond them come back here for more.
    want = n_init
    while True:
        if want > gen:
            gen = ensure(seed, s, model, cohort, gen, want)
        why = _ENROL
        short = False  # the patients generated so far are used up
        if lean:
            for _ in range(n_init):
                if i >= max_enr:
                    why = _FULL
                    break
                a, why = _arrive(max(t, slot_t), pf[i, P_GAP], model, stop_t, cap)
                if why != _ENROL:
                    break
                t = a
                times[i] = a
                known_max = max(known_max, a + pf[i, P_KNOWN])
                i += 1
            n_init = 0
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
            if i >= max_enr:
                why = _FULL
                break
            if i >= gen:
                # One patient for each slot open now (each is taken, unless the trial stops first).
                want = i + n_init + n_rep
                short = True
                break
            a, why = _arrive(max(t, sl), pf[i, P_GAP], model, stop_t, cap)
            if why != _ENROL:
                break
            if jm < 0:
                n_init -= 1
            else:
                n_rep -= 1
                pend[jm] = pend[n_rep]
            # Enrol patient i at time a.
            t = a
            times[i] = a
            kn = a + pf[i, P_KNOWN]
            known_max = max(known_max, kn)
            # A non-evaluable patient's slot opens again when that is known (written for every
            # patient, kept for those: no branch on a flag that varies from patient to patient).
            pend[n_rep] = kn
            n_rep += replace and (flags[i] & F_EVAL) == 0
            i += 1
            if count_each:
                f = flags[i - 1]
                n_res += ((f & F_EVAL) != 0) or not replace
                n_resp += (f & F_RESP) != 0
                n_jtox += (f & F_JTOX) != 0
                n_wtox += (f & F_WTOX) != 0
                tallied = i
                w_max = max(w_max, a + pf[i - 1, P_WKNOWN])
                # The bound is huge where the rule does not look: no modulo needed.
                if n_wtox >= monitor[d, i] and w_max < tox_t:
                    tox_t = w_max
                    stop_t = min(stop_t, tox_t)
                if not pause:
                    while k <= last and n_res >= looks[d, k]:
                        cat = _decide(des, d, k, k == last, n_resp, n_jtox)
                        if cat != _CONTINUE and dec_cat == _CONTINUE:
                            dec_cat, dec_t, dec_look, dec_x = cat, known_max, k + 1, n_resp
                            stop_t = min(stop_t, dec_t)
                        k += 1
        if short:
            continue
        if why != _ENROL:
            closed = why != _HALTED
            close_t = t if why == _FULL else cap  # (read only when closed)
            break
        if not pause:
            break
        # Paused: look k's cohort is complete; its analysis.
        for q in range(tallied, i):
            f = flags[q]
            n_resp += (f & F_RESP) != 0
            n_jtox += (f & F_JTOX) != 0
        tallied = i
        cat = _decide(des, d, k, k == last, n_resp, n_jtox)
        if cat != _CONTINUE:
            dec_cat, dec_t, dec_look, dec_x = cat, known_max, k + 1, n_resp
            break
        if known_max >= tox_t:
            break
        k += 1
        slot_t = known_max
        n_init = looks[d, k] - looks[d, k - 1]
        want = i + n_init

    # The trial's totals over the patients it enrolled, and their enrolment times and dose intensities.
    n_eval = n_resp_all = n_tox = n_died = n_res_all = n_jtox_all = 0
    rdi_sum = 0.0
    dose_sum = 0.0
    inv_width = model.rf[R_INV_BIN_WIDTH]
    n_tb = model.ri[R_N_TIME_BINS]
    n_rb = model.ri[R_N_RDI_BINS]
    rdi_each = model.ri[R_RDI_EACH] == 1
    for q in range(i):
        f = flags[q]
        ev = (f & F_EVAL) != 0
        n_eval += ev
        n_res_all += ev or not replace
        n_jtox_all += (f & F_JTOX) != 0
        n_resp_all += (f & F_RESP) != 0
        n_tox += (f & F_TOX) != 0
        n_died += (f & F_DIED) != 0
        rdi = pf[q, P_RDI]
        rdi_sum += rdi
        dose_sum += pf[q, P_DOSE]
        acc.accr[ci, u, _time_bin(times[q], inv_width, n_tb)] += 1
        if rdi_each:
            acc.rdi[ci, u, min(max(np.int64(rdi * n_rb), 0), n_rb - 1)] += 1

    resp = dec_x
    look = dec_look
    cap_end = max(close_t, known_max) if closed else known_max
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
        resp = n_resp_all
        look = 0
    elif dec_cat != _CONTINUE:
        cat = dec_cat
        end = dec_t
    else:
        end = cap_end
        resp = n_resp_all
        look = 0
        # Promising is determined when the responses already exceed the final bound and, for a joint design,
        # even toxicities in every slot still open could not reach its toxicity bound.
        open_slots = max(looks[d, last] - n_res_all, 0)
        determined = resp > des.fut[d, last] and n_jtox_all + open_slots < des.tox[d, last]
        cat = C_PROMISING_EARLY if determined else C_CAP
    rec[_CATEGORY] = cat
    rec[_LOOK] = look
    rec[_ENROLLED] = i
    rec[_EVALUABLE] = n_eval
    rec[_RESPONSES] = resp
    rec[_TOX] = n_tox
    rec[_DEATHS] = n_died
    rec[_DURATION] = end
    rec[_RDI] = rdi_sum
    rec[_DOSE] = dose_sum
    return gen
