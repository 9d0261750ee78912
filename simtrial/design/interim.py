"""Interim tools: conditional and predictive power at a look, and the decision table per look.

At look ``k`` of a response-only :class:`~simtrial.design.tables.DecisionTable`,
with ``x`` responses among the ``n_k`` patients evaluated, the trial stops for
futility (``x <= a_k``), stops for efficacy (``x >= b_k``) or continues. For a
trial that continues, the *conditional power* at a response rate ``p`` is the
probability that it ends with the drug declared promising (an efficacy stop at
a later look or ``> a_K`` responses at the last one), the future patients
responding independently with probability ``p``. It is computed exactly by the
same dynamic programming over the remaining looks as the table's operating
characteristics, started from ``x`` responses at look ``k``:

* at ``p = p1`` (the rate the design was powered for);
* at the observed rate ``p = x / n_k``;
* under a Beta(a, b) prior: the *predictive power*, the conditional power
  averaged over the posterior Beta(a + x, b + n_k - x). Future responses
  then follow a Polya urn: between looks the increment is beta-binomial given
  every response so far, so the same recursion applies with beta-binomial
  increments that depend on the current count.

For a trial that stops at look ``k`` these probabilities are 1 (efficacy, or
promising at the last look) or 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simtrial.design._binom import binom_pmf_rows
from simtrial.design._checks import check_closed_probs, check_int, check_open_prob
from simtrial.design._lazy import special
from simtrial.design.tables import DecisionTable, _convolve_last
from simtrial.errors import DesignError

__all__ = [
    "InterimResult",
    "InterimRow",
    "InterimTable",
    "conditional_power",
    "predictive_power",
    "interim_analysis",
    "interim_table",
]


def _check_table(table: DecisionTable) -> DecisionTable:
    if not isinstance(table, DecisionTable):
        raise DesignError(f"table must be a DecisionTable, got {type(table).__name__}")
    if table.is_joint:
        raise DesignError("table: the interim tools use responses only, and this table has toxicity bounds")
    return table


def _look_index(table: DecisionTable, n_look: int) -> int:
    n_look = check_int("n_look", n_look, minimum=1)
    if n_look not in table.looks:
        raise DesignError(f"n_look must be one of the looks {', '.join(map(str, table.looks))}, got {n_look}")
    return table.looks.index(n_look)


def _decision(table: DecisionTable, k: int, x: int) -> str:
    """``"futility"``, ``"efficacy"`` or ``"continue"`` at an interim look; ``"promising"``/``"not promising"`` at the last."""
    a, b = table.futility[k], table.efficacy[k]
    if k == table.n_looks - 1:
        return "promising" if x > a else "not promising"
    if x <= a:
        return "futility"
    if b is not None and x >= b:
        return "efficacy"
    return "continue"


def _reachable(table: DecisionTable, k: int) -> np.ndarray:
    """``bool[n_k + 1]``: which response counts can be seen at look ``k`` (the trial still running before it)."""
    running = np.ones(1, dtype=bool)
    prev = 0
    for j in range(k + 1):
        n = table.looks[j]
        grown = np.zeros(running.size + n - prev, dtype=bool)
        for d in range(n - prev + 1):
            grown[d : d + running.size] |= running
        prev = n
        if j == k:
            return grown
        a, b = table.futility[j], table.efficacy[j]
        x = np.arange(grown.size)
        running = grown & (x > a) & ((x < b) if b is not None else True)
    raise AssertionError("unreachable")  # pragma: no cover


def _power_from(table: DecisionTable, k: int, xs: np.ndarray, kernel) -> np.ndarray:
    """P(promising) for trials at look ``k`` with ``xs[s]`` responses: DP over the later looks.

    ``kernel(m, n, dist)`` returns the distribution after ``m`` more
    patients given the running distribution ``dist[s, x]`` after ``n``.
    """
    s = xs.size
    dist = np.zeros((s, int(xs.max()) + 1))
    dist[np.arange(s), xs] = 1.0
    out = np.zeros(s)
    # Trials that stop at look k: promising or not, no later look.
    stop_now = np.array([_decision(table, k, int(x)) for x in xs])
    out[(stop_now == "efficacy") | (stop_now == "promising")] = 1.0
    dist[stop_now != "continue"] = 0.0
    last = table.n_looks - 1
    for j in range(k + 1, table.n_looks):
        dist = kernel(table.looks[j] - table.looks[j - 1], table.looks[j - 1], dist)
        x = np.arange(dist.shape[1])
        a, b = table.futility[j], table.efficacy[j]
        win = (x > a) if j == last else ((x >= b) if b is not None else np.zeros(x.size, dtype=bool))
        out += (dist * win).sum(axis=1)
        dist = dist * ((x > a) & ~win)
    return np.clip(out, 0.0, 1.0)


def _binomial_kernel(p: np.ndarray):
    def kernel(m: int, n: int, dist: np.ndarray) -> np.ndarray:
        return _convolve_last(dist, binom_pmf_rows(m, p))

    return kernel


def _betabinom_kernel(a: float, b: float):
    # P(d of the next m respond | x of n so far) = BetaBin(d; m, a + x, b + n - x):
    # C(m, d) B(a + x + d, b + n - x + m - d) / B(a + x, b + n - x), in logs.
    def kernel(m: int, n: int, dist: np.ndarray) -> np.ndarray:
        width = dist.shape[1]
        x = np.arange(width)[:, None].astype(float)
        d = np.arange(m + 1)[None, :].astype(float)
        lg = special.gammaln
        log_c = np.array([math.lgamma(m + 1) - math.lgamma(i + 1) - math.lgamma(m - i + 1) for i in range(m + 1)])
        ax, bx = a + x, b + n - x
        with np.errstate(invalid="ignore"):
            log_bb = (log_c[None, :] + lg(ax + d) + lg(bx + m - d) - lg(ax + bx + m)
                      - lg(ax) - lg(bx) + lg(ax + bx))
        bb = np.where(x <= n, np.exp(log_bb), 0.0)  # counts above n never carry mass
        out = np.zeros(dist.shape[:-1] + (width + m,))
        for xi in range(width):
            col = dist[:, xi]
            if np.any(col):
                out[:, xi : xi + m + 1] += col[:, None] * bb[xi][None, :]
        return out

    return kernel


def _check_x(table: DecisionTable, k: int, x: int) -> int:
    x = check_int("x", x, minimum=0)
    n = table.looks[k]
    if x > n:
        raise DesignError(f"x must be <= the {n} patients evaluated at look {k + 1}, got {x}")
    if not _reachable(table, k)[x]:
        ok = np.flatnonzero(_reachable(table, k))
        raise DesignError(f"x: {x} responses at look {k + 1} ({n} patients) cannot happen, the trial would have "
                          f"stopped earlier; possible counts there are {ok.min()}..{ok.max()}")
    return x


def _check_prior(prior: Any) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise DesignError(f"prior must be two numbers a, b > 0 (Beta(a, b)), got {prior!r}") from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise DesignError(f"prior must be two numbers a, b > 0 (Beta(a, b)), got {a:g}, {b:g}")
    return a, b


def conditional_power(table: DecisionTable, n_look: int, x: int, p: float) -> float:
    """P(the drug is declared promising | ``x`` responses at the look with ``n_look`` patients, true rate ``p``).

    Parameters
    ----------
    table : DecisionTable
        The design (no toxicity bounds).
    n_look : int
        Patients evaluated at the look: one of ``table.looks``.
    x : int
        Responses among them (a count the trial can reach there).
    p : float
        Response rate of the patients still to come, in [0, 1].

    Returns
    -------
    float
        1 or 0 when the trial stops at this look.

    References
    ----------
    Lan KKG, Simon R, Halperin M. Stochastically curtailed tests in long-term
    clinical trials. Communications in Statistics C 1982;1:207-219.

    Examples
    --------
    >>> t = DecisionTable.simon(1, 10, 5, 29)
    >>> round(conditional_power(t, 10, 2, 0.3), 4)
    0.8668
    """
    table = _check_table(table)
    k = _look_index(table, n_look)
    x = _check_x(table, k, x)
    pv = np.atleast_1d(check_closed_probs("p", p)).astype(float)
    if pv.size != 1:
        raise DesignError("p must be a single number")
    return float(_power_from(table, k, np.array([x]), _binomial_kernel(pv))[0])


def predictive_power(table: DecisionTable, n_look: int, x: int, prior: tuple[float, float] = (1.0, 1.0)) -> float:
    """Conditional power averaged over the Beta posterior of ``p`` after ``x`` of ``n_look``.

    Parameters
    ----------
    table : DecisionTable
    n_look : int
        Patients evaluated at the look: one of ``table.looks``.
    x : int
        Responses among them.
    prior : (float, float)
        Beta(a, b) prior of the response rate (default uniform).

    References
    ----------
    Spiegelhalter DJ, Freedman LS, Blackburn PR. Monitoring clinical trials:
    conditional or predictive power? Controlled Clinical Trials 1986;7:8-17.

    Lee JJ, Liu DD. A predictive probability design for phase II cancer
    clinical trials. Clinical Trials 2008;5:93-106.

    Examples
    --------
    >>> t = DecisionTable.simon(1, 10, 5, 29)
    >>> round(predictive_power(t, 10, 2, (1, 1)), 4)
    0.6201
    """
    table = _check_table(table)
    k = _look_index(table, n_look)
    x = _check_x(table, k, x)
    a, b = _check_prior(prior)
    return float(_power_from(table, k, np.array([x]), _betabinom_kernel(a, b))[0])


@dataclass(frozen=True)
class InterimResult:
    """The decision and the power of continuing after ``x`` responses at one look.

    Attributes
    ----------
    table : DecisionTable
    stage : int
        The look, 1-based.
    n_look : int
        Patients evaluated there.
    x : int
        Responses among them.
    decision : str
        ``"futility"``, ``"efficacy"`` or ``"continue"`` (interim look);
        ``"promising"`` or ``"not promising"`` (last look).
    p1 : float
        Rate of interest for the first conditional power.
    prior : (float, float)
        Beta prior of the predictive power.
    observed_rate : float
        ``x / n_look``.
    conditional_power_p1, conditional_power_observed : float
        Conditional power at ``p1`` and at the observed rate.
    predictive_power : float
        Conditional power averaged over the Beta posterior.
    """

    table: DecisionTable
    stage: int
    n_look: int
    x: int
    decision: str
    p1: float
    prior: tuple[float, float]
    observed_rate: float
    conditional_power_p1: float
    conditional_power_observed: float
    predictive_power: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"design", "stage", "n_look", "x", "decision", "p1", "prior", ...}``."""
        out: dict[str, Any] = {"design": self.table.to_dict()}
        for name in self.__dataclass_fields__:
            if name != "table":
                value = getattr(self, name)
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


def interim_analysis(table: DecisionTable, n_look: int, x: int, *, p1: float,
                     prior: tuple[float, float] = (1.0, 1.0)) -> InterimResult:
    """Decision, conditional power (at ``p1`` and at ``x / n_look``) and predictive power after ``x`` of ``n_look``.

    Parameters
    ----------
    table : DecisionTable
        The design (no toxicity bounds).
    n_look : int
        Patients evaluated at the look: one of ``table.looks``.
    x : int
        Responses among them.
    p1 : float
        Response rate of interest, in (0, 1).
    prior : (float, float)
        Beta(a, b) prior for the predictive power (default uniform).

    Returns
    -------
    InterimResult

    References
    ----------
    Lan KKG, Simon R, Halperin M. Stochastically curtailed tests in long-term
    clinical trials. Communications in Statistics C 1982;1:207-219.

    Spiegelhalter DJ, Freedman LS, Blackburn PR. Monitoring clinical trials:
    conditional or predictive power? Controlled Clinical Trials 1986;7:8-17.

    Examples
    --------
    >>> res = interim_analysis(DecisionTable.simon(1, 10, 5, 29), 10, 2, p1=0.3)
    >>> res.decision, round(res.conditional_power_p1, 4), round(res.conditional_power_observed, 4)
    ('continue', 0.8668, 0.5449)
    """
    table = _check_table(table)
    k = _look_index(table, n_look)
    x = _check_x(table, k, x)
    p1 = check_open_prob("p1", p1)
    a, b = _check_prior(prior)
    row = _rows(table, k, np.array([x]), p1, (a, b))[0]
    return InterimResult(table=table, stage=k + 1, n_look=n_look, p1=p1, prior=(a, b), **row.to_dict())


@dataclass(frozen=True)
class InterimRow:
    """One response count at one look of an :class:`InterimTable` (fields as in :class:`InterimResult`)."""

    x: int
    decision: str
    observed_rate: float
    conditional_power_p1: float
    conditional_power_observed: float
    predictive_power: float

    def to_dict(self) -> dict[str, Any]:
        """``{"x", "decision", "observed_rate", "conditional_power_p1", "conditional_power_observed", "predictive_power"}``."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class InterimTable:
    """The decision and conditional power for every response count the trial can reach at each look.

    Attributes
    ----------
    table : DecisionTable
    p1 : float
    prior : (float, float)
    looks : dict
        ``{n_look: tuple of InterimRow}``, rows by increasing ``x``, only
        the counts that can occur at that look.
    """

    table: DecisionTable
    p1: float
    prior: tuple[float, float]
    looks: dict[int, tuple[InterimRow, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"design", "p1", "prior", "looks": [{"stage", "n_look", "rows": [...]}, ...]}``."""
        return {
            "design": self.table.to_dict(),
            "p1": self.p1,
            "prior": list(self.prior),
            "looks": [
                {"stage": self.table.looks.index(n) + 1, "n_look": n, "rows": [r.to_dict() for r in rows]}
                for n, rows in self.looks.items()
            ],
        }


def interim_table(table: DecisionTable, *, p1: float, prior: tuple[float, float] = (1.0, 1.0),
                  n_looks: list[int] | None = None) -> InterimTable:
    """The decision table per look: for every reachable ``x``, stop or continue, with conditional power.

    Parameters
    ----------
    table : DecisionTable
        The design (no toxicity bounds).
    p1 : float
        Response rate of interest, in (0, 1).
    prior : (float, float)
        Beta(a, b) prior for the predictive power (default uniform).
    n_looks : list of int, optional
        The looks to tabulate (patients at each); default every look.

    Returns
    -------
    InterimTable

    References
    ----------
    Lan KKG, Simon R, Halperin M. Stochastically curtailed tests in long-term
    clinical trials. Communications in Statistics C 1982;1:207-219.

    Examples
    --------
    >>> it = interim_table(DecisionTable.simon(1, 10, 5, 29), p1=0.3, n_looks=[10])
    >>> [(r.x, r.decision) for r in it.looks[10]][:3]
    [(0, 'futility'), (1, 'futility'), (2, 'continue')]
    """
    table = _check_table(table)
    p1 = check_open_prob("p1", p1)
    a, b = _check_prior(prior)
    wanted = list(table.looks) if n_looks is None else [table.looks[_look_index(table, n)] for n in n_looks]
    out = {n: tuple(_rows(table, table.looks.index(n), np.flatnonzero(_reachable(table, table.looks.index(n))), p1,
                          (a, b)))
           for n in wanted}
    return InterimTable(table=table, p1=p1, prior=(a, b), looks=out)


def _rows(table: DecisionTable, k: int, xs: np.ndarray, p1: float, prior: tuple[float, float]) -> list[InterimRow]:
    """Decision, conditional power at ``p1`` and at ``x / n_k``, predictive power, for each ``x`` in ``xs`` at look ``k``."""
    obs = xs / table.looks[k]
    cp1 = _power_from(table, k, xs, _binomial_kernel(np.full(xs.size, p1)))
    cpo = _power_from(table, k, xs, _binomial_kernel(obs))
    pp = _power_from(table, k, xs, _betabinom_kernel(*prior))
    return [InterimRow(int(x), _decision(table, k, int(x)), float(o), float(c1), float(co), float(q))
            for x, o, c1, co, q in zip(xs, obs, cp1, cpo, pp, strict=True)]
