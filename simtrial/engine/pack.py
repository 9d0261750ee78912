"""Model -> flat numpy arrays: the single bridge into the kernels.

A :class:`Packed` holds everything one scenario's kernels read, in fixed
dtypes, so that the kernels never touch a Python object. Index constants
name the slots of the ``fpar`` / ``ipar`` parameter vectors and of the
per-replicate record.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from simtrial.model.units import DAYS_PER_MONTH

__all__ = [
    "Packed",
    "pack_scenario",
    "REC_FIELDS",
    "NREC",
    "BIG_CYCLES",
    "threshold",
    "first_event_cdf",
    "first_event_table",
    "response_tox_cdf",
]

# A "never" cycle count: larger than any max_cycles a config allows in practice.
BIG_CYCLES = 1 << 40

# fpar slots (float64)
F_OS_SCALE_NR = 0
F_OS_SCALE_R = 1
F_OS_INV_SHAPE = 2
F_CYCLE_LEN = 3
F_HOLD = 4
F_ACCRUAL_CAP = 5
F_BIN_WIDTH = 6
F_INV_BIN_WIDTH = 7
F_FULL_PER_DAY = 8
NF = 9

# ipar slots (int64)
I_N1 = 0
I_R1 = 1
I_N2 = 2
I_R = 3
I_MAX_CYCLES = 4
I_ASSESS = 5
I_DISCONTINUE = 6
I_MAX_EVENTS = 7
I_N_LEVELS = 8
I_REPLACE = 9
I_MAX_ENROLLED = 10
I_PAUSE = 11
I_HAS_SURV = 12
I_TOX_EVERY = 13
I_TOX_WINDOW = 14
I_N_TIME_BINS = 15
I_N_RDI_BINS = 16
I_WD_MODE = 17
I_N_ADM = 18
I_LEAN = 19
I_ONE_LEVEL = 20
NI = 21

# Integer thresholds compare with the top 53 bits ``u53`` of a draw: ``u53 <
# ceil(q * 2**53)`` holds exactly when the double ``u53 * 2**-53 < q``, so an
# event of probability q costs one integer compare and no float conversion.
TWO53 = 1 << 53
# Mode of a draw-free variate: 0 means "draw from the table".
MODE_DRAW = 0

# First-event tables (see first_event_table): a guide over the top GUIDE_BITS
# bits of u53, then the thresholds themselves from column EV_THR.
GUIDE_BITS = 8
GUIDE_N = 1 << GUIDE_BITS
GUIDE_SHIFT = 53 - GUIDE_BITS
# The same bits of the generator's 64-bit output, whose top 53 bits are u53.
GUIDE_SHIFT64 = 64 - GUIDE_BITS
EV_GUIDE, EV_SPLIT, EV_THR = 0, GUIDE_N, 2 * GUIDE_N

# Per-replicate record slots (float64; counts are exact integers).
REC_FIELDS = (
    "promising",      # 1 if declared promising
    "stop_futility",  # 1 if stopped after stage 1 with responses <= r1
    "stop_tox",       # 1 if stopped by the toxicity rule
    "stop_accrual",   # 1 if accrual cap or max_enrolled reached before a stage completed
    "enrolled",
    "evaluable",
    "responses",      # responses among evaluable patients of the counting stages
    "duration_days",  # trial opening to final decision
    "tox_patients",   # patients with >= 1 grade >= 3 toxicity
    "deaths",         # deaths on treatment
    "rdi_sum",        # sum over patients of relative dose intensity
    "dose_sum",       # sum over patients of delivered dose (toxicity drug)
    "x1",             # stage-1 responses
    "stage1_days",    # time of the stage-1 analysis
)  # fmt: skip
NREC = len(REC_FIELDS)
R_PROMISING, R_FUTILE, R_TOXSTOP, R_CAPSTOP, R_ENROLLED, R_EVALUABLE, R_RESPONSES = range(7)
R_DURATION, R_TOXPAT, R_DEATHS, R_RDI_SUM, R_DOSE_SUM, R_X1, R_STAGE1 = range(7, 14)

# Per-patient scratch columns.
PAT_ENROLL, PAT_DEATH, PAT_RESP, PAT_RDI = range(4)
NPAT = 4

N_TIME_BINS = 4000
# The lean path packs a stage's evaluable, toxic and responder counts into
# fields of this many bits of one double (see _kernels._fill_course), so it
# takes scenarios of fewer than 2**LEAN_PACK_BITS patients (any real trial).
LEAN_PACK_BITS = 17
N_RDI_BINS = 50


class Packed(NamedTuple):
    """Flat arrays of one scenario (see the ``F_*`` / ``I_*`` slot constants).

    Attributes
    ----------
    fpar : float64[NF]
    ipar : int64[NI]
    rate_end : float64[k]
        End (days) of each accrual piece; the last is +inf.
    rate_val : float64[k]
        Enrolment rate (patients per day, after screen failures) of each piece.
    rate_inv : float64[k]
        ``1 / rate_val`` (0 where the rate is 0; unused there).
    dose_lev : float64[L]
        Dose per administration day of the toxicity drug at each level.
    admin_cum : int64[cycle_len + 1]
        Number of administration days of the toxicity drug on days 1..d.
    stop_x : int64[max_enrolled + 1]
        Toxic patients among the first m that stop the trial (huge when no check at m).
    tox_thr : int64[L, EV_THR + 2 max_cycles + 2]
        :func:`first_event_table` s. Row 0 is the joint table of response
        and the first-toxicity cycle at the starting dose
        (:func:`response_tox_cdf`), drawn together from one number; row
        ``l >= 1`` is that of ``F_l(k)``, the probability that the first
        toxicity at reduced level ``l`` comes within ``k`` cycles there
        (columns beyond it unused).
    tox_mode : int64[L]
        ``MODE_DRAW`` where the level's first-toxicity cycle is drawn from
        ``tox_thr``; otherwise that cycle itself, known without a draw
        (1 when certain in cycle 1, ``BIG_CYCLES`` when impossible). Level
        0's cycle always comes with the response draw; its mode only says
        whether toxicity is possible there.
    wd_thr : int64[1, EV_THR + max_cycles + 1]
        The :func:`first_event_table` of ``W(k)``, the probability of
        withdrawal within ``k`` cycles (drawn when ``ipar[I_WD_MODE] ==
        MODE_DRAW``).
    """

    fpar: np.ndarray
    ipar: np.ndarray
    rate_end: np.ndarray
    rate_val: np.ndarray
    rate_inv: np.ndarray
    dose_lev: np.ndarray
    admin_cum: np.ndarray
    stop_x: np.ndarray
    tox_thr: np.ndarray
    tox_mode: np.ndarray
    wd_thr: np.ndarray


def threshold(q: float) -> int:
    """``ceil(q * 2**53)``: the integer threshold of a probability ``q`` in [0, 1].

    Multiplying by a power of two is exact, so ``u53 < threshold(q)`` if and
    only if ``u53 * 2**-53 < q`` for every 53-bit integer ``u53``.
    """
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
    the course"). Rather than compare with every threshold, the kernels read
    a guide indexed by the top :data:`GUIDE_BITS` bits of ``u53`` (Chen and
    Asau's guide table). Within bucket ``b``, covering ``[b w, (b + 1) w)``:

    * ``table[EV_GUIDE + b]`` is ``k`` at the bucket's start, or -1 when two
      or more thresholds fall strictly inside the bucket (then the kernel
      counts over the thresholds themselves);
    * ``table[EV_SPLIT + b]`` holds the one threshold ``s`` strictly inside
      the bucket, ``u53`` at or above which ``k`` is one more (``s = 2**53``,
      never reached, when there is none), as the bit pattern of the uint64
      ``s * 2**11 - 1``: the kernels compare it with the generator's 64-bit
      output ``x``, whose top 53 bits are ``u53``, and ``x > s * 2**11 - 1``
      exactly when ``u53 >= s`` (no shift, and no overflow for ``s = 2**53``).

    So ``k = guide[b] + (x > split[b])`` exactly, with two loads and one
    compare, whatever the number of cycles.

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


def response_tox_cdf(p_response: float, tox_cdf: np.ndarray) -> np.ndarray:
    """The distribution of (response, first-toxicity cycle), for one draw of both.

    The two are independent. Category ``c`` (1-based) is a responder with
    first toxicity in cycle ``c`` for ``c <= m + 1`` and a non-responder
    with first toxicity in cycle ``c - (m + 1)`` above (cycle ``m + 1``:
    none within the ``m``-cycle course). So ``F(m + 1) = p_response``
    exactly: one number ``u`` gives the response as ``u < p_response``, as
    a draw of its own would, and the toxicity cycle from the rest of ``u``.

    Parameters
    ----------
    p_response : float
    tox_cdf : ndarray of float64
        ``F_tox(0..m)`` (:func:`first_event_cdf`).

    Returns
    -------
    ndarray of float64
        ``F(0..2m + 1)`` (``F(0) = 0`` unused), for :func:`first_event_table`.
    """
    f = tox_cdf[1:]
    p = float(p_response)
    return np.concatenate([[0.0], p * f, [p], p + (1.0 - p) * f])


def _max_enrolled(config: Any, design: Any) -> int:
    ev = config.evaluability
    if ev.max_enrolled is not None:
        return int(max(ev.max_enrolled, design.n))
    return int(2 * design.n if ev.replace_non_evaluable else design.n)


def _time_horizon(config: Any, design: Any, max_enrolled: int) -> float:
    """A generous bound (days) on trial duration, for fixed-width histogram bins.

    Time to accrue every allowed patient at the expected rates, plus a
    pause and a full treatment course, times three. Longer trials fall into
    an overflow bin (reported, never silently dropped).
    """
    enr = config.enrollment
    need, t = float(max_enrolled), 0.0
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


def tox_stop_thresholds(rule: Any, max_enrolled: int) -> np.ndarray:
    """Smallest number of toxic patients among m that stops the trial.

    ``stop_x[m]`` is the least x with ``P(rate > threshold | x of m) >
    posterior_bound`` under the Beta prior, for m a multiple of
    ``rule.every``; a huge value elsewhere (no check).
    """
    big = np.iinfo(np.int64).max // 4
    out = np.full(max_enrolled + 1, big, dtype=np.int64)
    if rule is None:
        return out
    from scipy.special import betainc

    a, b = rule.prior
    for m in range(rule.every, max_enrolled + 1, rule.every):
        x = np.arange(m + 1)
        # P(rate > threshold) = 1 - I_threshold(a + x, b + m - x): increasing in x.
        post = 1.0 - betainc(a + x, b + m - x, rule.threshold)
        hit = np.nonzero(post > rule.posterior_bound)[0]
        if hit.size:
            out[m] = int(hit[0])
    return out


def _is_lean(ipar: np.ndarray, tox_mode: np.ndarray, n_rate_pieces: int) -> bool:
    """Whether the kernels may take their lean per-patient path for this scenario.

    The lean path is the general one with the branches that cannot fire
    removed: one open-ended accrual rate, no survival model, no withdrawal
    draw, a single step of treatment (toxicity ends it, or there is one dose
    level or one allowed event), no toxicity stopping rule, and no
    replacement slot ever opened (replacement off, or every patient
    evaluable by construction), and fewer than ``2**LEAN_PACK_BITS``
    patients. It draws the same numbers and computes the
    same values, so records are identical either way.
    """
    wd = int(ipar[I_WD_MODE])
    stop_c = min(wd, int(ipar[I_MAX_CYCLES]))
    # The earliest a patient's course can end (in cycles) and whether the
    # response assessment always falls within it.
    earliest = min(stop_c, BIG_CYCLES if tox_mode[0] == BIG_CYCLES else 1)
    assess = int(ipar[I_ASSESS])
    always_evaluable = assess <= earliest and assess != wd
    return bool(
        n_rate_pieces == 1
        and ipar[I_HAS_SURV] == 0
        and wd != MODE_DRAW
        and ipar[I_ONE_LEVEL] == 1
        and ipar[I_TOX_EVERY] == 0
        and (ipar[I_REPLACE] == 0 or always_evaluable)
        and ipar[I_MAX_ENROLLED] < 1 << LEAN_PACK_BITS
    )


def pack_scenario(config: Any, design: Any, index: int) -> Packed:
    """Turn the config, its design and scenario ``index`` into flat arrays.

    Parameters
    ----------
    config : TrialConfig
    design : SimonDesign
    index : int
        Scenario index.

    Returns
    -------
    Packed
    """
    sc = config.scenarios[index]
    tr = config.treatment
    tox = config.toxicity
    ev = config.evaluability
    max_enrolled = _max_enrolled(config, design)

    fpar = np.zeros(NF, dtype=np.float64)
    ipar = np.zeros(NI, dtype=np.int64)

    surv = config.survival
    if surv is not None:
        median = sc.os_median if sc.os_median is not None else surv.median
        k = surv.shape
        # Weibull S(t) = exp(-(t/scale)^k): the median fixes the scale; a
        # hazard ratio h multiplies the cumulative hazard, so scale * h^(-1/k).
        scale = median / math.log(2.0) ** (1.0 / k)
        fpar[F_OS_SCALE_NR] = scale
        fpar[F_OS_SCALE_R] = scale * surv.hr_responders ** (-1.0 / k)
        fpar[F_OS_INV_SHAPE] = 1.0 / k
        ipar[I_HAS_SURV] = 1
    fpar[F_CYCLE_LEN] = tr.cycle_length
    fpar[F_HOLD] = tox.hold
    fpar[F_ACCRUAL_CAP] = config.enrollment.max_duration if config.enrollment.max_duration is not None else np.inf
    horizon = _time_horizon(config, design, max_enrolled)
    fpar[F_BIN_WIDTH] = horizon / N_TIME_BINS
    fpar[F_INV_BIN_WIDTH] = N_TIME_BINS / horizon

    max_c = int(tr.max_cycles)
    drug = tr.drugs[config.tox_drug_index()]
    ladder = np.array([drug.dose, *drug.reductions], dtype=np.float64)
    p_lev = np.minimum(1.0, sc.p_tox * (ladder / ladder[0]) ** tox.dose_exponent)
    p_c1 = min(1.0, sc.p_tox * tox.cycle1_factor)
    tox_thr = np.zeros((len(ladder), EV_THR + 2 * max_c + 2), dtype=np.int64)
    tox_mode = np.zeros(len(ladder), dtype=np.int64)
    for lev, p in enumerate(p_lev):
        # Level 0 may have its own cycle-1 probability; later levels do not.
        pf = p_c1 if lev == 0 else float(p)
        cdf = first_event_cdf(pf, float(p), max_c)
        # Level 0's cycle is drawn with the response; at a reduced level a
        # draw is spent only when its first-toxicity cycle is uncertain.
        if lev == 0:
            tox_thr[lev] = first_event_table(response_tox_cdf(sc.p_response, cdf))
            tox_mode[lev] = MODE_DRAW if (pf > 0.0 or p > 0.0) else BIG_CYCLES
        else:
            tox_thr[lev, :EV_THR + max_c + 1] = first_event_table(cdf)
            tox_mode[lev] = MODE_DRAW if 0.0 < p < 1.0 else (1 if p >= 1.0 else BIG_CYCLES)
    pw = float(ev.withdrawal_per_cycle)
    wd_thr = first_event_table(first_event_cdf(pw, pw, max_c))[None, :]
    ipar[I_WD_MODE] = MODE_DRAW if 0.0 < pw < 1.0 else (1 if pw >= 1.0 else BIG_CYCLES)

    cyc = int(round(tr.cycle_length))
    on = np.zeros(cyc + 1, dtype=np.int64)
    on[np.array(drug.days, dtype=np.int64)] = 1
    admin_cum = np.cumsum(on).astype(np.int64)
    n_adm = int(admin_cum[cyc])
    ipar[I_N_ADM] = n_adm
    # Planned dose per day of a hold at full dose (planned dose keeps running).
    fpar[F_FULL_PER_DAY] = ladder[0] * n_adm / tr.cycle_length

    ipar[I_N1] = design.n1
    ipar[I_R1] = design.r1
    ipar[I_N2] = design.n - design.n1
    ipar[I_R] = design.r
    ipar[I_MAX_CYCLES] = max_c
    ipar[I_ASSESS] = config.response.assess_after_cycles
    ipar[I_DISCONTINUE] = 1 if tox.on_event == "discontinue" else 0
    ipar[I_MAX_EVENTS] = tox.max_events if tox.max_events is not None else BIG_CYCLES
    ipar[I_N_LEVELS] = len(ladder)
    # One step of treatment: toxicity ends it, or no lower level is ever reached.
    ipar[I_ONE_LEVEL] = 1 if (ipar[I_DISCONTINUE] == 1 or ipar[I_MAX_EVENTS] <= 1 or ipar[I_N_LEVELS] == 1) else 0
    ipar[I_REPLACE] = 1 if ev.replace_non_evaluable else 0
    ipar[I_MAX_ENROLLED] = max_enrolled
    ipar[I_PAUSE] = 1 if config.design.pause_after_stage1 else 0
    rule = config.design.toxicity_stop
    ipar[I_TOX_EVERY] = rule.every if rule is not None else 0
    ipar[I_TOX_WINDOW] = rule.window_cycles if rule is not None else 1
    ipar[I_N_TIME_BINS] = N_TIME_BINS
    ipar[I_N_RDI_BINS] = N_RDI_BINS

    ipar[I_LEAN] = 1 if _is_lean(ipar, tox_mode, len(config.enrollment.rates)) else 0

    enr = config.enrollment
    ends, vals, t = [], [], 0.0
    for piece in enr.rates:
        t = t + piece.duration if piece.duration is not None else np.inf
        ends.append(t)
        vals.append(piece.per_month * (1.0 - enr.screen_fail) / DAYS_PER_MONTH)
    rate_val = np.array(vals, dtype=np.float64)
    # Multiplying by the reciprocal is cheaper than dividing, per arrival.
    rate_inv = np.array([1.0 / v if v > 0.0 else 0.0 for v in vals], dtype=np.float64)

    return Packed(
        fpar=fpar,
        ipar=ipar,
        rate_end=np.array(ends, dtype=np.float64),
        rate_val=rate_val,
        rate_inv=rate_inv,
        dose_lev=ladder,
        admin_cum=admin_cum,
        stop_x=tox_stop_thresholds(rule, max_enrolled),
        tox_thr=tox_thr,
        tox_mode=tox_mode,
        wd_thr=wd_thr,
    )
