"""Inference after a trial that followed a decision table (Simon's two-stage design included).

A trial that follows a response-only :class:`~simtrial.design.tables.DecisionTable`
ends at one look ``k`` with ``x`` responses among the ``n_k`` patients
evaluated there: the outcome ``(k, x)``. Outcomes are ordered stage-wise
(Armitage; Jennison and Turnbull 2000, section 8.4; Koyama and Chen 2008 for
Simon's design):

* an outcome that stopped for futility at an interim look is below every
  outcome of a later look;
* an outcome that stopped for efficacy at an interim look is above every
  outcome of a later look;
* within a look, more responses are higher.

So the order runs: futility stops at look 1, at look 2, ..., the outcomes of
the last look, ..., efficacy stops at look 2, at look 1 (each block by ``x``).
For Simon's design, every outcome that stopped after stage 1 is below every
outcome that completed stage 2.

With ``T`` the outcome and ``t`` the one observed, the p-value for
``H0: p <= p0`` is ``P_p0(T >= t)``; the exact two-sided interval at level
``1 - a`` has the lower limit solving ``P_p(T >= t) = a/2`` and the upper
limit solving ``P_p(T <= t) = a/2``; the median-unbiased estimate solves
``P_p(T >= t) = 1/2``. All are found by root finding.

The probability of an outcome is ``N(k, x) p^x (1 - p)^(n_k - x)``, where the
integer ``N(k, x)`` counts the response sequences (weighted by binomial
coefficients between looks) that end there. The UMVUE is the Rao-Blackwell
estimate of the first patient's response given the sufficient statistic
``(k, x)``: ``N1(k, x) / N(k, x)``, with ``N1`` counting the sequences whose
first patient responded (Jung and Kim 2004; for Simon's design their
closed form). Both counts are exact integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from simtrial.design._checks import check_int, check_open_prob
from simtrial.design._lazy import optimize, stats
from simtrial.design.simon import SimonDesign
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError

__all__ = [
    "StagewiseOutcomes",
    "TableInference",
    "table_inference",
    "TwoStageInference",
    "two_stage_inference",
    "clopper_pearson",
    "wilson",
]


def _path_counts(table: DecisionTable, first_responds: bool) -> dict[tuple[int, int], int]:
    """``{(k, x): N(k, x)}`` for every stopping outcome: exact integer path counts.

    ``first_responds`` counts only the sequences whose first patient
    responded (the numerator of the UMVUE).
    """
    out: dict[tuple[int, int], int] = {}
    dist = [1]  # weighted number of sequences still running, by responses so far
    prev = 0
    last = table.n_looks - 1
    for k, (n, a, b) in enumerate(zip(table.looks, table.futility, table.efficacy)):
        m = n - prev
        prev = n
        if k == 0 and first_responds:
            inc = [0] + [math.comb(m - 1, d - 1) for d in range(1, m + 1)]
        else:
            inc = [math.comb(m, d) for d in range(m + 1)]
        new = [0] * (len(dist) + m)
        for x, c in enumerate(dist):
            if c:
                for d, w in enumerate(inc):
                    new[x + d] += c * w
        dist = []
        for x, c in enumerate(new):
            if k == last or x <= a or (b is not None and x >= b):
                out[(k, x)] = c
                dist.append(0)
            else:
                dist.append(c)
    return out


class StagewiseOutcomes:
    """The terminal outcomes of a response-only decision table in stage-wise order.

    Parameters
    ----------
    table : DecisionTable
        The design the trial followed (no toxicity bounds).

    Attributes
    ----------
    table : DecisionTable
    outcomes : tuple of (int, int)
        ``(k, x)`` (``k`` the 0-based look) for every outcome that can
        happen, lowest first.
    counts : tuple of int
        ``N(k, x)`` for each outcome: its probability is
        ``N(k, x) p^x (1 - p)^(n_k - x)``.

    Raises
    ------
    DesignError
        When the table has toxicity bounds (its stops then depend on the
        toxicity rate too).

    Examples
    --------
    >>> s = StagewiseOutcomes(DecisionTable(looks=(2, 4), futility=(0, 2), efficacy=(2,)))
    >>> s.outcomes
    ((0, 0), (1, 1), (1, 2), (1, 3), (0, 2))
    >>> round(float(s.probabilities(0.5).sum()), 12)
    1.0
    """

    def __init__(self, table: DecisionTable) -> None:
        if not isinstance(table, DecisionTable):
            raise DesignError(f"table must be a DecisionTable, got {type(table).__name__}")
        if table.is_joint:
            raise DesignError("table: inference here uses responses only, and this table has toxicity bounds, "
                              "whose stops depend on the toxicity rate too")
        self.table = table
        counts = _path_counts(table, first_responds=False)
        first = _path_counts(table, first_responds=True)
        last = table.n_looks - 1
        keyed = []
        for (k, x), c in counts.items():
            if c == 0:
                continue  # cannot happen
            if k == last:
                block = last
            elif x <= table.futility[k]:
                block = k
            else:  # efficacy stop at an interim look
                block = 2 * last - k
            keyed.append(((block, x), (k, x)))
        keyed.sort()
        self.outcomes: tuple[tuple[int, int], ...] = tuple(o for _, o in keyed)
        self.counts: tuple[int, ...] = tuple(counts[o] for o in self.outcomes)
        self._first = tuple(first[o] for o in self.outcomes)
        self._index = {o: i for i, o in enumerate(self.outcomes)}
        looks = np.asarray(table.looks, dtype=float)
        self._x = np.array([x for _, x in self.outcomes], dtype=float)
        self._n = np.array([looks[k] for k, _ in self.outcomes])
        self._log_counts = np.array([math.log(c) for c in self.counts])

    def __len__(self) -> int:
        return len(self.outcomes)

    def index(self, k: int, x: int) -> int | None:
        """Position of outcome ``(k, x)`` in the order (None if it cannot happen)."""
        return self._index.get((k, x))

    def probabilities(self, p: float) -> np.ndarray:
        """``P_p(T = t)`` for every outcome, in stage-wise order (``0 < p < 1``)."""
        return np.exp(self._log_counts + self._x * math.log(p) + (self._n - self._x) * math.log1p(-p))

    def upper_tail(self, i: int, p: float) -> float:
        """``P_p(T >= t_i)``, summed exactly over the outcomes from ``i`` up (no ``1 - ...`` cancellation)."""
        return min(1.0, math.fsum(self.probabilities(p)[i:]))

    def lower_tail(self, i: int, p: float) -> float:
        """``P_p(T <= t_i)``."""
        return min(1.0, math.fsum(self.probabilities(p)[: i + 1]))

    def umvue(self, i: int) -> float:
        """``N1(k, x) / N(k, x)``: the UMVUE at outcome ``i`` (one rounding, from exact integers)."""
        return float(Fraction(self._first[i], self.counts[i]))

    def decision(self, i: int) -> str:
        """``"futility"``, ``"efficacy"`` (interim stops), ``"promising"`` or ``"not promising"`` (last look)."""
        k, x = self.outcomes[i]
        if k == self.table.n_looks - 1:
            return "promising" if x > self.table.futility[k] else "not promising"
        return "futility" if x <= self.table.futility[k] else "efficacy"

    def values_at(self, k: int) -> list[int]:
        """The numbers of responses with which the trial can end at look ``k`` (0-based)."""
        return sorted(x for kk, x in self.outcomes if kk == k)


def _solve(f, target: float) -> float:
    # f is monotone in p on (0, 1) and crosses target strictly inside: the
    # edge cases with no crossing are handled by the caller. xtol/rtol near
    # machine precision so the limits are exact to ~1e-14.
    return float(optimize.brentq(lambda p: f(p) - target, 1e-300, 1.0 - 1e-16, xtol=1e-15,
                                 rtol=4 * np.finfo(float).eps, maxiter=500))


@dataclass(frozen=True)
class _Estimates:
    umvue: float
    median_unbiased: float
    p_value: float
    ci_lower: float
    ci_upper: float


def _estimates(space: StagewiseOutcomes, i: int, p0: float, conf_level: float) -> _Estimates:
    a = 1.0 - conf_level
    first, top = i == 0, i == len(space) - 1
    # Smallest outcome: T >= t is certain; largest: T <= t is certain.
    lower = 0.0 if first else _solve(lambda p: space.upper_tail(i, p), a / 2)
    upper = 1.0 if top else _solve(lambda p: -space.lower_tail(i, p), -a / 2)
    median = 0.0 if first else _solve(lambda p: space.upper_tail(i, p), 0.5)
    return _Estimates(space.umvue(i), median, space.upper_tail(i, p0), lower, upper)


def _describe_values(xs: list[int]) -> str:
    """``[0, 1, 2, 7, 9, 10]`` -> ``"0..2, 7, 9..10"``."""
    runs: list[list[int]] = []
    for x in xs:
        if runs and x == runs[-1][1] + 1:
            runs[-1][1] = x
        else:
            runs.append([x, x])
    return ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in runs) or "none"


def _locate(space: StagewiseOutcomes, x: int, n_stop: int | None) -> int:
    """Index of the observed outcome; one-line DesignError when it cannot have happened."""
    table = space.table
    if n_stop is not None:
        n_stop = check_int("n_stop", n_stop, minimum=1)
        if n_stop not in table.looks:
            raise DesignError(f"n_stop must be one of the looks {', '.join(map(str, table.looks))}, got {n_stop}")
        k = table.looks.index(n_stop)
        i = space.index(k, x)
        if i is None:
            raise DesignError(f"x: the trial cannot end at look {k + 1} ({n_stop} patients) with {x} responses; "
                              f"it ends there with {_describe_values(space.values_at(k))}")
        return i
    found = [space.index(k, x) for k in range(table.n_looks) if space.index(k, x) is not None]
    if not found:
        where = "; ".join(f"look {k + 1} ({n}): {_describe_values(space.values_at(k))}"
                          for k, n in enumerate(table.looks))
        raise DesignError(f"x: no way for the trial to end with {x} responses; it ends with {where}")
    if len(found) > 1:
        looks = " or ".join(f"look {space.outcomes[i][0] + 1} ({table.looks[space.outcomes[i][0]]} patients)"
                            for i in found)
        raise DesignError(f"n_stop: {x} responses can end the trial at {looks}; say at which look it stopped")
    return found[0]


def _fields_dict(obj: Any, design_field: str) -> dict[str, Any]:
    """``{"design": <the design's dict>, <every other field>: value}`` for a result dataclass."""
    out: dict[str, Any] = {"design": getattr(obj, design_field).to_dict()}
    for name in obj.__dataclass_fields__:
        if name != design_field:
            out[name] = getattr(obj, name)
    return out


@dataclass(frozen=True)
class TableInference:
    """Estimates, p-value and intervals after a trial that followed a decision table.

    Attributes
    ----------
    table : DecisionTable
        The design the trial followed.
    x : int
        Responses at the look where the trial ended.
    stage : int
        That look, 1-based.
    n_evaluated : int
        Patients evaluated there (``n_k``).
    decision : str
        ``"futility"`` or ``"efficacy"`` (an interim stop), ``"promising"``
        or ``"not promising"`` (the last look).
    p0 : float
        Null response rate of the one-sided test.
    conf_level : float
        Two-sided confidence level of the intervals.
    umvue : float
        Uniformly minimum variance unbiased estimate (Jung and Kim 2004).
    median_unbiased : float
        ``p`` solving ``P_p(T >= t) = 1/2`` (0 at the smallest outcome).
    p_value : float
        ``P_p0(T >= t)`` under the stage-wise ordering.
    ci_lower, ci_upper : float
        Exact confidence interval from inverting the stage-wise ordering.
    mle : float
        Naive estimate ``x / n_evaluated``.
    cp_lower, cp_upper : float
        Naive Clopper-Pearson interval for ``x`` of ``n_evaluated`` (ignores
        the looks).
    wilson_lower, wilson_upper : float
        Naive Wilson score interval for ``x`` of ``n_evaluated``.
    """

    table: DecisionTable
    x: int
    stage: int
    n_evaluated: int
    decision: str
    p0: float
    conf_level: float
    umvue: float
    median_unbiased: float
    p_value: float
    ci_lower: float
    ci_upper: float
    mle: float
    cp_lower: float
    cp_upper: float
    wilson_lower: float
    wilson_upper: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``{"design": {looks, futility, efficacy, toxicity}, "x", "stage", ...}``."""
        return _fields_dict(self, "table")


def table_inference(
    table: DecisionTable,
    x: int,
    *,
    p0: float,
    n_stop: int | None = None,
    conf_level: float = 0.95,
) -> TableInference:
    """UMVUE, median-unbiased estimate, p-value and exact confidence interval after a decision-table trial.

    Parameters
    ----------
    table : DecisionTable
        The design the trial followed: any number of looks, futility and
        efficacy bounds (no toxicity bounds). When the last look enrolled
        more or fewer patients than planned, give the table with the actual
        last look: the ordering is then that of that design, as if planned
        (exact when the change did not depend on the results).
    x : int
        Responses at the look where the trial ended.
    p0 : float
        Null response rate for the one-sided p-value ``P_p0(T >= t)``.
    n_stop : int, optional
        Patients evaluated when the trial ended: one of the looks. Needed
        only when ``x`` responses could end the trial at more than one look
        (with efficacy stops); otherwise the look follows from ``x``.
    conf_level : float
        Two-sided confidence level, default 0.95.

    Returns
    -------
    TableInference

    Raises
    ------
    DesignError
        One line when the outcome cannot have happened under the table, the
        look is ambiguous, or an argument is out of range.

    Notes
    -----
    See the module docstring for the ordering and the estimates. The lower
    limit is 0 at the smallest outcome and the upper limit 1 at the largest;
    after a stop at the first look the interval is the Clopper-Pearson
    interval for ``x`` of ``n_1`` only for outcomes below every later one
    (futility stops). The UMVUE is ``x / n_1`` after a stop at the first look.

    References
    ----------
    Jennison C, Turnbull BW. Group Sequential Methods with Applications to
    Clinical Trials. Chapman & Hall/CRC 2000, chapter 8.

    Jung SH, Kim KM. On the estimation of the binomial probability in
    multistage clinical trials. Statistics in Medicine 2004;23:881-896.

    Koyama T, Chen H. Proper inference from Simon's two-stage designs.
    Statistics in Medicine 2008;27:3145-3154.

    Examples
    --------
    >>> t = DecisionTable(looks=(16, 41), futility=(3, 11), efficacy=(7,))
    >>> res = table_inference(t, 9, p0=0.2, n_stop=16)
    >>> res.decision, round(res.umvue, 4), round(res.p_value, 4)
    ('efficacy', 0.5625, 0.0015)
    >>> round(res.ci_lower, 4), round(res.ci_upper, 4)
    (0.2988, 0.8025)
    """
    space = StagewiseOutcomes(table)
    x = check_int("x", x, minimum=0)
    p0 = check_open_prob("p0", p0)
    conf_level = check_open_prob("conf_level", conf_level)
    i = _locate(space, x, n_stop)
    k = space.outcomes[i][0]
    n_k = table.looks[k]
    est = _estimates(space, i, p0, conf_level)
    cp = clopper_pearson(x, n_k, conf_level)
    wi = wilson(x, n_k, conf_level)
    return TableInference(
        table=table, x=x, stage=k + 1, n_evaluated=n_k, decision=space.decision(i), p0=p0, conf_level=conf_level,
        umvue=est.umvue, median_unbiased=est.median_unbiased, p_value=est.p_value, ci_lower=est.ci_lower,
        ci_upper=est.ci_upper, mle=x / n_k, cp_lower=cp[0], cp_upper=cp[1], wilson_lower=wi[0], wilson_upper=wi[1],
    )


@dataclass(frozen=True)
class TwoStageInference:
    """Estimates, p-value and intervals after a two-stage trial.

    Attributes
    ----------
    design : SimonDesign
        The planned design.
    x : int
        Total number of responses observed.
    stage : int
        1 if the trial stopped after stage 1 (``x <= r1``), else 2.
    n_evaluated : int
        Patients evaluated: ``n1`` or ``n1 + n2_actual``.
    n2_actual : int
        Stage-2 patients actually evaluated (0 after a stage-1 stop).
    p0 : float
        Null response rate of the one-sided test.
    conf_level : float
        Two-sided confidence level of the intervals.
    umvue : float
        Uniformly minimum variance unbiased estimate (Jung and Kim 2004).
    p_value : float
        ``P_p0(T >= t)`` under the stage-wise ordering.
    ci_lower, ci_upper : float
        Exact confidence interval from inverting the stage-wise ordering.
    mle : float
        Naive estimate ``x / n_evaluated``.
    cp_lower, cp_upper : float
        Naive Clopper-Pearson interval for ``x`` of ``n_evaluated`` (ignores
        the interim look).
    wilson_lower, wilson_upper : float
        Naive Wilson score interval for ``x`` of ``n_evaluated``.
    median_unbiased : float
        ``p`` solving ``P_p(T >= t) = 1/2`` (0 when ``x = 0``).
    """

    design: SimonDesign
    x: int
    stage: int
    n_evaluated: int
    n2_actual: int
    p0: float
    conf_level: float
    umvue: float
    p_value: float
    ci_lower: float
    ci_upper: float
    mle: float
    cp_lower: float
    cp_upper: float
    wilson_lower: float
    wilson_upper: float
    median_unbiased: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of every field (the design as r1, n1, r, n)."""
        return _fields_dict(self, "design")


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval for ``x`` responses of ``n``.

    Examples
    --------
    >>> lo, hi = clopper_pearson(2, 7)
    >>> round(lo, 4), round(hi, 4)
    (0.0367, 0.7096)
    """
    a = 1.0 - conf_level
    lo = 0.0 if x == 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    hi = 1.0 if x == n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return lo, hi


def wilson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score two-sided interval for ``x`` responses of ``n``.

    Examples
    --------
    >>> lo, hi = wilson(2, 7)
    >>> round(lo, 4), round(hi, 4)
    (0.0822, 0.6411)
    """
    z = float(stats.norm.ppf(1 - (1.0 - conf_level) / 2))
    ph = x / n
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def two_stage_inference(
    design: SimonDesign,
    x: int,
    *,
    p0: float,
    n2_actual: int | None = None,
    conf_level: float = 0.95,
) -> TwoStageInference:
    """UMVUE, p-value and exact confidence interval after a two-stage trial.

    Parameters
    ----------
    design : SimonDesign
        The design the trial followed (its ``r1`` and ``n1`` decide the
        interim stop).
    x : int
        Total number of responses. ``x <= r1`` means the trial stopped
        after stage 1 with ``x`` of ``n1``.
    p0 : float
        Null response rate for the one-sided p-value ``P_p0(T >= t)``.
    n2_actual : int, optional
        Patients actually evaluated in stage 2 when that differs from the
        planned ``n2`` (more or fewer, at least 1). After a stage-1 stop it
        must be 0 or omitted. The stage-wise ordering is then that of the
        design with this stage-2 size, as if it had been planned: exact when
        the change did not depend on the stage-1 result. (When it did,
        Koyama and Chen's conditional p-value applies, which also depends on
        ``x1``; for 1/10, 5/29 with 25 stage-2 patients instead of 19 the two
        differ in the third decimal.)
    conf_level : float
        Two-sided confidence level, default 0.95.

    Returns
    -------
    TwoStageInference

    Notes
    -----
    The two-look case of :func:`table_inference`. The lower limit solves
    ``P_p(T >= t) = a/2`` and the upper limit ``P_p(T <= t) = a/2``
    (``a = 1 - conf_level``), by root finding; the lower limit is 0 at the
    smallest outcome (``x = 0``) and the upper limit 1 at the largest (all
    patients respond). After a stage-1 stop this is exactly the
    Clopper-Pearson interval for ``x`` of ``n1``.

    References
    ----------
    Jung SH, Kim KM. On the estimation of the binomial probability in
    multistage clinical trials. Statistics in Medicine 2004;23:881-896.

    Koyama T, Chen H. Proper inference from Simon's two-stage designs.
    Statistics in Medicine 2008;27:3145-3154.

    Examples
    --------
    >>> res = two_stage_inference(SimonDesign(1, 10, 5, 29), 6, p0=0.1)
    >>> round(res.umvue, 4), round(res.p_value, 4)
    (0.2613, 0.0471)
    >>> round(res.ci_lower, 4), round(res.ci_upper, 4)
    (0.0859, 0.4548)
    """
    if not isinstance(design, SimonDesign):
        raise DesignError(f"design must be a SimonDesign, got {type(design).__name__}")
    x = check_int("x", x, minimum=0)
    p0 = check_open_prob("p0", p0)
    conf_level = check_open_prob("conf_level", conf_level)
    r1, n1 = design.r1, design.n1
    stage = 1 if x <= r1 else 2
    if stage == 1:
        if n2_actual not in (None, 0):
            raise DesignError(
                f"n2_actual: x={x} <= r1={r1} means the trial stopped after stage 1, so n2_actual must be 0 or omitted"
            )
        n2 = design.n2
    else:
        n2 = design.n2 if n2_actual is None else check_int("n2_actual", n2_actual, minimum=0)
        if n2 == 0:
            raise DesignError(f"n2_actual: x={x} > r1={r1} means the trial continued to stage 2, "
                              "so n2_actual must be at least 1")
        if x > n1 + n2:
            raise DesignError(f"x must be <= the {n1 + n2} patients evaluated, got {x}")
    # The final bound does not enter the inference; keep it a valid bound
    # when the actual stage 2 is smaller than planned.
    table = DecisionTable(looks=(n1, n1 + n2), futility=(r1, min(design.r, n1 + n2 - 1)))
    res = table_inference(table, x, p0=p0, n_stop=n1 if stage == 1 else n1 + n2, conf_level=conf_level)
    return TwoStageInference(
        design=design, x=x, stage=stage, n_evaluated=res.n_evaluated, n2_actual=0 if stage == 1 else n2, p0=p0,
        conf_level=conf_level, umvue=res.umvue, p_value=res.p_value, ci_lower=res.ci_lower, ci_upper=res.ci_upper,
        mle=res.mle, cp_lower=res.cp_lower, cp_upper=res.cp_upper, wilson_lower=res.wilson_lower,
        wilson_upper=res.wilson_upper, median_unbiased=res.median_unbiased,
    )
