"""numba kernels: replicates in fixed-size chunks, every scenario and design of a replicate on one cohort.

A replicate draws its patients once per scenario (:mod:`simtrial.engine._patients`,
on demand, shared by the designs) and runs every design on them
(:func:`simtrial.engine._driver.drive`); each (scenario, design) pair is a
*unit* with its own record. Records are reduced per chunk by the outcome
schema (:mod:`simtrial.engine.outcomes`): categories counted with the look
that decided, counts by value, float outcomes summed with their squares,
times binned; and, for the pairs of units whose differences are reported,
sums of products, from which paired Monte Carlo SEs follow. Each chunk
writes its own rows; the caller adds chunks in order, so the totals do not
depend on the number of threads.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from simtrial.engine._driver import _time_bin, drive
from simtrial.engine._patients import (
    F_EVAL,
    F_RESP,
    F_RESPONDER,
    NPF,
    P_DEATH,
    R_INV_BIN_WIDTH,
    R_N_RDI_BINS,
    R_N_SURV_REPS,
    R_N_TIME_BINS,
    R_RDI_EACH,
    Cohort,
    ensure,
    start_scenario,
)
from simtrial.engine._rng import replicate_seed
from simtrial.engine.outcomes import (
    CATEGORY_SLOT,
    COUNT_SLOTS,
    DURATION_SLOT,
    ENROLLED_SLOT,
    FLOAT_SLOTS,
    LOOK_SLOT,
    NREC,
    PAIR_SLOTS,
    PROMISING,
)

__all__ = ["Acc", "Out", "run_block", "make_work", "add_rows", "count_patients"]

#: Per-chunk accumulators (leading axis: the chunk's row in the batch; second: the unit):
#: ``cat`` int64[B, U, categories, K_max + 1] trials by category and deciding look;
#: ``cnt`` int64[B, U, count outcomes, N_max + 1] trials by value;
#: ``fs`` float64[B, U, float outcomes, 3] sum, sum of squares, sum of products with ``enrolled``;
#: ``dur`` int64[B, U, time bins + 1] trials by duration; ``accr`` the same, patients by enrolment time;
#: ``rdi`` int64[B, U, RDI bins] patients by relative dose intensity; ``pair`` float64[B, pairs,
#: PAIR_SLOTS] sums of products ``y_u y_v`` of the paired units.
Acc = namedtuple("Acc", ["cat", "cnt", "fs", "dur", "accr", "rdi", "pair"])
#: Per-run outputs: ``pairs`` int64[P, 2] the units whose differences are
#: reported; ``recs`` float64[n_sim or 1, U, NREC] the records (``store``);
#: ``surv_t`` float64[U, M], ``surv_e`` and ``surv_r`` int8[U, M],
#: ``surv_n`` int64[U] the survival sample of the first replicates.
Out = namedtuple("Out", ["store", "pairs", "recs", "surv_t", "surv_e", "surv_r", "surv_n"])

_PROMISING_CODES = PROMISING
_ENROLLED_COUNT = COUNT_SLOTS.index(ENROLLED_SLOT)  # the enrolled patients' row of ``Acc.cnt``
_N_PAIR = len(PAIR_SLOTS)


@njit(cache=True, inline="always")
def _pair_value(rec, j):
    """The ``j``-th paired metric of a record (1.0 / 0.0 for promising)."""
    if j == 0:
        c = np.int64(rec[CATEGORY_SLOT])
        v = 0.0
        for p in _PROMISING_CODES:
            if c == p:
                v = 1.0
        return v
    return rec[PAIR_SLOTS[j]]


@njit(cache=True, inline="always")
def _accumulate(acc, ci, u, rec):
    """Add one trial's record into chunk row ``ci`` of unit ``u``."""
    acc.cat[ci, u, np.int64(rec[CATEGORY_SLOT]), np.int64(rec[LOOK_SLOT])] += 1
    for j in range(len(COUNT_SLOTS)):
        acc.cnt[ci, u, j, np.int64(rec[COUNT_SLOTS[j]])] += 1
    n = rec[ENROLLED_SLOT]
    for j in range(len(FLOAT_SLOTS)):
        v = rec[FLOAT_SLOTS[j]]
        acc.fs[ci, u, j, 0] += v
        acc.fs[ci, u, j, 1] += v * v
        acc.fs[ci, u, j, 2] += v * n


@njit(cache=True, inline="always")
def _survival_out(cohort, times, n, end, out, u):
    """Each patient's follow-up for survival, ended by the trial's end (the first replicates only)."""
    m = out.surv_n[u]
    pf = cohort.pf
    for i in range(n):
        e = times[i]
        dth = e + pf[i, P_DEATH]
        stop = dth if dth < end else end
        out.surv_t[u, m] = max(stop - e, 0.0)
        out.surv_e[u, m] = 1 if dth <= end else 0
        out.surv_r[u, m] = 1 if (cohort.flags[i] & F_RESPONDER) != 0 else 0
        m += 1
    out.surv_n[u] = m


@njit(cache=True, nogil=True, _nrt=False)
def run_block(key, lo, hi, ci, model, des, acc, out, work):
    """Replicates ``lo .. hi - 1`` into row ``ci`` of every accumulator of ``acc`` (zeroed here).

    Chunks run on several threads at once (the GIL is released); each writes
    only its own row and its own scratch, and the caller adds rows in chunk
    order, so float totals do not depend on the number of threads.

    Parameters
    ----------
    key : uint64
        The run key (:func:`simtrial.engine._rng.run_key`).
    lo, hi : int
        Replicates ``lo .. hi - 1``.
    ci : int
        The chunk's row in ``acc``.
    model : Model
        Packed patient model, every scenario (:mod:`simtrial.engine.pack`).
    des : Designs
        Packed decision tables (:class:`simtrial.engine._driver.Designs`).
    acc : Acc
    out : Out
        Written only by the first replicates (the survival sample) and, with
        ``out.store``, the records.
    work : tuple
        The chunk's scratch (:func:`make_work`).

    Compiled without reference counting: it only reads and writes arrays its
    caller owns.
    """
    _zero_rows(acc, ci)
    cohort, times, pend, rec, yv = work
    n_s = model.sf.shape[0]
    n_d = des.n_looks.shape[0]
    n_tb = model.ri[R_N_TIME_BINS]
    inv_width = model.rf[R_INV_BIN_WIDTH]
    n_surv = model.ri[R_N_SURV_REPS]
    for rep in range(lo, hi):
        seed = replicate_seed(key, rep)
        gen = 0  # patients formed in the cohort buffer
        for s in range(n_s):
            gen = start_scenario(seed, s, model, cohort, gen)
            for d in range(n_d):
                u = s * n_d + d
                gen = drive(seed, s, d, model, des, cohort, gen, (times, pend, rec), acc, (ci, u))
                _accumulate(acc, ci, u, rec)
                n = np.int64(rec[ENROLLED_SLOT])
                end = rec[DURATION_SLOT]
                acc.dur[ci, u, _time_bin(end, inv_width, n_tb)] += 1
                if rep < n_surv:
                    _survival_out(cohort, times, n, end, out, u)
                for j in range(_N_PAIR):
                    yv[u, j] = _pair_value(rec, j)
                if out.store:
                    for f in range(NREC):
                        out.recs[rep, u, f] = rec[f]
        for p in range(out.pairs.shape[0]):
            a = out.pairs[p, 0]
            b = out.pairs[p, 1]
            for j in range(_N_PAIR):
                acc.pair[ci, p, j] += yv[a, j] * yv[b, j]
    if model.ri[R_RDI_EACH] == 0:
        # No dose reductions: every patient is at full intensity, and the chunk's counts of trials by
        # patients enrolled say how many patients there were.
        n_rb = model.ri[R_N_RDI_BINS]
        for u in range(n_s * n_d):
            patients = 0
            for v in range(acc.cnt.shape[3]):
                patients += v * acc.cnt[ci, u, _ENROLLED_COUNT, v]
            acc.rdi[ci, u, n_rb - 1] += patients


@njit(cache=True, inline="always")
def _zero_row(a, ci):
    """Zero row ``ci`` of ``a`` (flat loop: a slice assignment inside ``prange`` is not reliable)."""
    r = a.reshape(a.shape[0], -1)
    for j in range(r.shape[1]):
        r[ci, j] = 0


@njit(cache=True, inline="always")
def _zero_rows(acc, ci):
    """Zero chunk row ``ci`` of every accumulator."""
    _zero_row(acc.cat, ci)
    _zero_row(acc.cnt, ci)
    _zero_row(acc.fs, ci)
    _zero_row(acc.dur, ci)
    _zero_row(acc.accr, ci)
    _zero_row(acc.rdi, ci)
    _zero_row(acc.pair, ci)


@njit(cache=True, inline="always")
def _cohort(n):
    """An empty cohort buffer for ``n`` patients (see :func:`simtrial.engine._patients.make_cohort`)."""
    return Cohort(np.zeros((n, NPF)), np.zeros(n, dtype=np.int64))


def make_work(model, des) -> tuple:
    """Scratch for :func:`run_block`: ``(cohort, times, pend, rec, yv)``, one per chunk running at once."""
    from simtrial.engine._patients import make_cohort

    n_max = des.monitor.shape[1] - 1
    n_units = model.sf.shape[0] * des.n_looks.shape[0]
    return make_cohort(n_max), np.empty(n_max), np.empty(n_max), np.empty(NREC), np.empty((n_units, _N_PAIR))


@njit(cache=True)
def add_rows(total, rows, n):
    """Add rows ``0 .. n - 1`` of ``rows`` into ``total``, one after another (chunk order).

    Float totals are summed in chunk order, so they do not depend on the
    number of threads.
    """
    flat = total.reshape(-1)
    r = rows.reshape(rows.shape[0], -1)
    for i in range(n):
        for j in range(flat.shape[0]):
            flat[j] += r[i, j]


@njit(cache=True)
def count_patients(key, n_rep, per_rep, model, out):
    """Patients ``0 .. per_rep - 1`` of replicates ``0 .. n_rep - 1``, every scenario, counted by outcome.

    ``out`` int64[S, n_rep, 3] receives, per scenario and replicate, the
    number of evaluable patients, of evaluable responders and of responders
    among all patients (the patient model alone, without any design).
    """
    n_s = model.sf.shape[0]
    cohort = _cohort(per_rep)
    for rep in range(n_rep):
        seed = replicate_seed(key, rep)
        for s in range(n_s):
            ensure(seed, s, model, cohort, 0, per_rep)
            ev = er = r = 0
            for k in range(per_rep):
                f = cohort.flags[k]
                ev += (f & F_EVAL) != 0
                er += (f & F_RESP) != 0
                r += (f & F_RESPONDER) != 0
            out[s, rep, 0] = ev
            out[s, rep, 1] = er
            out[s, rep, 2] = r
