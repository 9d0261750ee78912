"""The outcome schema, declared once.

A simulated trial produces one record of :data:`OUTCOMES` (the driver writes
each slot; see :mod:`simtrial.engine._driver`). Everything downstream is
derived from these declarations: the record's slots and the replicates
file's columns (:data:`SLOTS`), which slots the kernels count by value, sum
or bin (the ``*_SLOTS`` tuples), and the metrics of the run table, of
``--json`` and of ``summary.csv`` (:data:`METRICS`, their keys, labels,
units and formats). Plots and reports take labels from here too.

Adding a metric: declare the outcome here (name, kind, label, unit) with
the metrics that reduce it, and set its slot in the driver (a module
constant ``_NAME = SLOT["name"]`` beside the others, which numba reads as a
compile-time integer, and ``rec[_NAME] = value`` where the record is
written). Nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Outcome",
    "Metric",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "PROMISING",
    "OUTCOMES",
    "SLOT",
    "NREC",
    "METRICS",
    "metric",
    "PAIR_METRICS",
    "PAIR_SLOTS",
    "is_probability",
    "agreement_se",
]

# ---------------------------------------------------------------------------
# Terminal categories: every trial ends in exactly one.
# ---------------------------------------------------------------------------

#: Category names, in code order (the kernels' integer codes are the positions).
CATEGORIES = (
    "promising_final",      # completed the last look with responses > a_K
    "promising_interim",    # stopped at an interim look with responses >= b_k (efficacy)
    "promising_early",      # accrual ended (cap) with responses already > a_K: determined, not completed
    "futile_interim",       # stopped at an interim look with responses <= a_k
    "not_promising_final",  # completed the last look with responses <= a_K
    "stopped_toxicity",     # the toxicity rule or a toxicity bound stopped the trial
    "accrual_cap",          # accrual ended (cap) with the decision undetermined
)  # fmt: skip
(C_PROMISING_FINAL, C_PROMISING_INTERIM, C_PROMISING_EARLY, C_FUTILE_INTERIM, C_NOT_PROMISING_FINAL,
 C_TOXICITY, C_CAP) = range(len(CATEGORIES))
N_CATEGORIES = len(CATEGORIES)
#: The categories that declare the drug promising.
PROMISING = (C_PROMISING_FINAL, C_PROMISING_INTERIM, C_PROMISING_EARLY)

CATEGORY_LABELS = {
    "promising_final": "promising after the final analysis",
    "promising_interim": "promising at an interim look (efficacy stop)",
    "promising_early": "promising determined early (accrual capped)",
    "futile_interim": "stopped for futility at an interim look",
    "not_promising_final": "not promising at the final analysis",
    "stopped_toxicity": "stopped for toxicity",
    "accrual_cap": "accrual capped, decision undetermined",
}

# ---------------------------------------------------------------------------
# Per-trial outcomes: the record.
# ---------------------------------------------------------------------------

#: Kinds of outcome and how the kernels reduce them per chunk:
#: "category": an integer code of CATEGORIES, counted jointly with the look;
#: "look": the look that decided (1..K; 0 for a toxicity stop or the cap);
#: "count": a non-negative integer, counted by value (mean, variance and quantiles exact from the counts);
#: "time": days, summed (with squares) and binned;
#: "amount": a sum over the trial's patients, summed (with squares and the product with "enrolled",
#: for ratio estimates per patient).
KINDS = ("category", "look", "count", "time", "amount")


@dataclass(frozen=True)
class Outcome:
    """One per-trial outcome: a slot of the record.

    Attributes
    ----------
    name : str
        Slot name, the column of ``replicates.parquet``.
    kind : str
        One of :data:`KINDS`.
    label : str
        Words for tables and plots.
    unit : str
        Unit of the value ("" for none).
    """

    name: str
    kind: str
    label: str
    unit: str = ""


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("category", "category", "Terminal outcome"),
    Outcome("look", "look", "Look of the decision"),
    Outcome("enrolled", "count", "Patients enrolled", "patients"),
    Outcome("evaluable", "count", "Evaluable patients", "patients"),
    Outcome("responses", "count", "Responses in the deciding analysis", "responses"),
    Outcome("tox_patients", "count", "Patients with grade >= 3 toxicity", "patients"),
    Outcome("deaths", "count", "Deaths on treatment", "patients"),
    Outcome("duration_days", "time", "Trial duration", "days"),
    Outcome("rdi_sum", "amount", "Relative dose intensity", ""),
    Outcome("dose_sum", "amount", "Dose delivered", ""),
)
for _o in OUTCOMES:
    assert _o.kind in KINDS, _o
SLOT = {o.name: i for i, o in enumerate(OUTCOMES)}
NREC = len(OUTCOMES)
# Slots by kind, for the kernels (module-level tuples are compile-time constants there).
CATEGORY_SLOT = SLOT["category"]
LOOK_SLOT = SLOT["look"]
COUNT_SLOTS = tuple(i for i, o in enumerate(OUTCOMES) if o.kind == "count")
TIME_SLOTS = tuple(i for i, o in enumerate(OUTCOMES) if o.kind == "time")
AMOUNT_SLOTS = tuple(i for i, o in enumerate(OUTCOMES) if o.kind == "amount")
#: Float slots, summed with their squares: times, then amounts.
FLOAT_SLOTS = TIME_SLOTS + AMOUNT_SLOTS
ENROLLED_SLOT = SLOT["enrolled"]
DURATION_SLOT = SLOT["duration_days"]

# ---------------------------------------------------------------------------
# Metrics: how outcomes are reduced over replicates, and shown.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One row of the run table and one key of ``--json`` and ``summary.csv``.

    Attributes
    ----------
    key : str
        JSON key (``p_promising``); its SE is ``<key>_se`` and its exact value ``<key>_exact``.
    label : str
        Row label of the run table.
    outcome : str
        The outcome it reduces.
    reduce : str
        ``"share"`` (fraction of trials in the categories ``arg``),
        ``"mean"``, ``"quantile"`` (level ``arg``), ``"per_patient"`` (sum
        over trials divided by patients enrolled).
    arg : object
        The categories of a share, the level of a quantile.
    fmt : str
        ``"p"`` (4 decimals), ``"n"`` (2 decimals), ``"q"`` (integer).
    months : bool
        Shown in months (the outcome is in days).
    """

    key: str
    label: str
    outcome: str
    reduce: str
    arg: object = None
    fmt: str = "n"
    months: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("p_promising", "P(declare promising)", "category", "share", PROMISING, "p"),
    Metric("p_promising_completed", "  after the final analysis", "category", "share", (C_PROMISING_FINAL,), "p"),
    Metric("p_promising_interim", "  at an interim look (efficacy stop)", "category", "share",
           (C_PROMISING_INTERIM,), "p"),
    Metric("p_promising_early", "  determined early (accrual capped, not completed)", "category", "share",
           (C_PROMISING_EARLY,), "p"),
    Metric("pet", "P(stop for futility at an interim look)", "category", "share", (C_FUTILE_INTERIM,), "p"),
    Metric("p_not_promising", "P(not promising at the final analysis)", "category", "share",
           (C_NOT_PROMISING_FINAL,), "p"),
    Metric("p_stop_tox", "P(stop for toxicity)", "category", "share", (C_TOXICITY,), "p"),
    Metric("p_stop_accrual", "P(accrual capped, decision undetermined)", "category", "share", (C_CAP,), "p"),
    Metric("en_enrolled", "Patients enrolled: mean", "enrolled", "mean"),
    Metric("enrolled_p10", "Patients enrolled: 10th percentile", "enrolled", "quantile", 0.1, "q"),
    Metric("enrolled_median", "Patients enrolled: median", "enrolled", "quantile", 0.5, "q"),
    Metric("enrolled_p90", "Patients enrolled: 90th percentile", "enrolled", "quantile", 0.9, "q"),
    Metric("en_evaluable", "Evaluable patients: mean", "evaluable", "mean"),
    Metric("duration_mean_months", "Trial duration, months: mean", "duration_days", "mean", months=True),
    Metric("duration_p10_months", "Trial duration, months: 10th percentile", "duration_days", "quantile", 0.1,
           months=True),
    Metric("duration_median_months", "Trial duration, months: median", "duration_days", "quantile", 0.5,
           months=True),
    Metric("duration_p90_months", "Trial duration, months: 90th percentile", "duration_days", "quantile", 0.9,
           months=True),
    Metric("n_tox_patients", "Patients with grade >= 3 toxicity (mean)", "tox_patients", "mean"),
    Metric("rdi_mean", "Relative dose intensity (mean per patient)", "rdi_sum", "per_patient", fmt="p"),
    Metric("dose_delivered_mean", "Dose delivered per patient (mean)", "dose_sum", "per_patient"),
    Metric("deaths_on_study", "Deaths on treatment (mean)", "deaths", "mean"),
)
_BY_KEY = {m.key: m for m in METRICS}
#: Metrics whose paired differences (between designs on one cohort, and between neighbouring scenarios) are
#: reported with paired Monte Carlo SEs; the first must be ``p_promising`` (the kernels form it from the category).
PAIR_METRICS = ("p_promising", "en_enrolled", "duration_mean_months", "n_tox_patients")
for _m in METRICS:
    assert _m.outcome in SLOT, _m
#: The category shares: they partition the trials (each sums to 1 over these).
CATEGORY_METRICS = ("p_promising_completed", "p_promising_interim", "p_promising_early", "pet", "p_not_promising",
                    "p_stop_tox", "p_stop_accrual")


#: The outcome slot each paired metric reduces.
PAIR_SLOTS = tuple(SLOT[_BY_KEY[k].outcome] for k in PAIR_METRICS)
assert PAIR_METRICS[0] == "p_promising"


def metric(key: str) -> Metric:
    """The metric declared under ``key`` (KeyError naming the known keys)."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no metric {key!r}; known: {', '.join(_BY_KEY)}") from None


#: Tables with this many looks or fewer (and at least three) report the futility stop at each interim look;
#: a curtailed or continuously monitored design, with a look after every patient, reports the total only.
MAX_LOOKS_ITEMISED = 8


def itemise_looks(n_looks: int) -> bool:
    """Whether a table with ``n_looks`` looks gets one futility row per interim look."""
    return 3 <= n_looks <= MAX_LOOKS_ITEMISED


def pet_look_key(look: int) -> str:
    """Key of the per-look futility share at interim look ``look`` (1-based): ``pet_look1`` ..."""
    return f"pet_look{look}"


def is_probability(key: str) -> bool:
    """Whether metric ``key`` is a probability (a share of trials), whose SE under its exact value is known."""
    return key.startswith("pet_look") or (key in _BY_KEY and _BY_KEY[key].reduce == "share")


def agreement_se(key: str, se: float, exact: float, n_sim: int) -> float:
    """The SE to judge a simulated value against its exact one.

    For a probability, the larger of the estimate's SE and the SE the exact
    value implies, ``sqrt(p (1 - p) / n_sim)``: a rare event that happened in
    none of the replicates has an estimated SE of 0, which would make any
    exact value above 0 look far away. Otherwise the estimate's SE.
    """
    import math

    if is_probability(key) and 0.0 <= exact <= 1.0:
        return max(se, math.sqrt(exact * (1.0 - exact) / n_sim))
    return se
