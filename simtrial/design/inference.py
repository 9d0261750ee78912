"""Inference after a Simon two-stage trial.

Outcomes are ordered stage-wise (Koyama and Chen 2008): every outcome that
stopped after stage 1 lies below every outcome that completed stage 2, and
within a stage more responses are higher. Whether the trial stopped is
determined by ``x``: a trial that continued has ``x >= x1 > r1``, one that
stopped has ``x <= r1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from simtrial.design._lazy import optimize, stats

from simtrial.design._checks import check_int, check_open_prob
from simtrial.design.simon import SimonDesign
from simtrial.errors import DesignError

__all__ = ["TwoStageInference", "two_stage_inference", "clopper_pearson", "wilson"]


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

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of every field (the design as r1, n1, r, n)."""
        out: dict[str, object] = {"design": self.design.to_dict()}
        for name in self.__dataclass_fields__:
            if name != "design":
                out[name] = getattr(self, name)
        return out


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


def _umvue(r1: int, n1: int, n2: int, x: int) -> float:
    # Jung and Kim (2004): E[X1-th patient responds | sufficient statistic],
    # sum_{x1} C(n1-1, x1-1) C(n2, x-x1) / sum_{x1} C(n1, x1) C(n2, x-x1)
    # over continuing x1. Exact integers, one rounding at the end.
    lo, hi = max(r1 + 1, x - n2), min(n1, x)
    num = sum(math.comb(n1 - 1, k - 1) * math.comb(n2, x - k) for k in range(lo, hi + 1))
    den = sum(math.comb(n1, k) * math.comb(n2, x - k) for k in range(lo, hi + 1))
    return float(Fraction(num, den))


def _tail_probs(r1: int, n1: int, n2: int, x: int, stage: int, p: float) -> tuple[float, float]:
    """``(P_p(T >= t), P_p(T <= t))`` for the observed outcome t under stage-wise ordering."""
    if stage == 1:
        return float(stats.binom.sf(x - 1, n1, p)), float(stats.binom.cdf(x, n1, p))
    x1 = np.arange(r1 + 1, n1 + 1)
    b1 = stats.binom.pmf(x1, n1, p)
    ge = float(b1 @ stats.binom.sf(x - x1 - 1, n2, p))
    le = float(stats.binom.cdf(r1, n1, p) + b1 @ stats.binom.cdf(x - x1, n2, p))
    return ge, le


def _solve(f, target: float) -> float:
    # f is monotone in p on (0, 1) and crosses target strictly inside: the
    # edge cases with no crossing are handled by the caller. xtol/rtol near
    # machine precision so the limits are exact to ~1e-14.
    return float(optimize.brentq(lambda p: f(p) - target, 1e-300, 1.0 - 1e-16, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500))


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
        planned ``n2`` (more or fewer). After a stage-1 stop it must be 0 or
        omitted. The stage-wise ordering is then that of the design with
        this stage-2 size, as if it had been planned: exact when the change
        did not depend on the stage-1 result. (When it did, Koyama and
        Chen's conditional p-value applies, which also depends on ``x1``;
        for 1/10, 5/29 with 25 stage-2 patients instead of 19 the two
        differ in the third decimal.)
    conf_level : float
        Two-sided confidence level, default 0.95.

    Returns
    -------
    TwoStageInference

    Notes
    -----
    The lower limit solves ``P_p(T >= t) = a/2`` and the upper limit
    ``P_p(T <= t) = a/2`` (``a = 1 - conf_level``), by root finding; the lower
    limit is 0 at the smallest outcome (``x = 0``) and the upper limit 1 at the
    largest (all patients respond). After a stage-1 stop this is exactly the
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
        n2 = 0
    else:
        n2 = design.n2 if n2_actual is None else check_int("n2_actual", n2_actual, minimum=0)
    n_eval = n1 + n2
    if x > n_eval:
        raise DesignError(f"x must be <= the {n_eval} patients evaluated, got {x}")

    a = 1.0 - conf_level
    umvue = x / n1 if stage == 1 else _umvue(r1, n1, n2, x)

    def ge(p: float) -> float:
        return _tail_probs(r1, n1, n2, x, stage, p)[0]

    def le(p: float) -> float:
        return _tail_probs(r1, n1, n2, x, stage, p)[1]

    p_value = min(1.0, ge(p0))
    # Smallest outcome: T >= t is certain; largest: T <= t is certain.
    lower = 0.0 if x == 0 else _solve(ge, a / 2)
    upper = 1.0 if (stage == 2 and x == n_eval) else _solve(lambda p: -le(p), -a / 2)
    cp = clopper_pearson(x, n_eval, conf_level)
    wi = wilson(x, n_eval, conf_level)
    return TwoStageInference(
        design=design,
        x=x,
        stage=stage,
        n_evaluated=n_eval,
        n2_actual=n2,
        p0=p0,
        conf_level=conf_level,
        umvue=umvue,
        p_value=p_value,
        ci_lower=lower,
        ci_upper=upper,
        mle=x / n_eval,
        cp_lower=cp[0],
        cp_upper=cp[1],
        wilson_lower=wi[0],
        wilson_upper=wi[1],
    )
