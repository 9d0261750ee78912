"""Bayesian monitoring rules, each turned into an exact table before the trial.

A posterior rule evaluated at fixed looks reduces to a bound on the number
of events at each look, computed once here; the frequentist operating
characteristics then follow exactly from the table.
"""

from __future__ import annotations

import numpy as np

from simtrial.design._checks import check_int, check_open_prob
from simtrial.design._lazy import special
from simtrial.design.tables import ToxicityMonitor
from simtrial.errors import DesignError

__all__ = ["posterior_toxicity_monitor", "exceedance_bounds", "check_looks", "check_prior", "describe_prior"]


def exceedance_bounds(
    looks: list[int] | tuple[int, ...],
    threshold: float,
    posterior_bound: float,
    prior: tuple[float, float],
) -> list[int | None]:
    """At each look ``m``, the smallest ``x`` with ``P(rate > threshold | x events of m) > posterior_bound``.

    Under the ``Beta(a, b)`` prior the posterior probability increases with
    ``x``, so the rule "stop if that probability exceeds the bound" is "stop
    if events ``>= t_m``"; ``None`` where no ``x <= m`` stops. This is the
    toxicity rule of :func:`posterior_toxicity_monitor` and of the
    Thall-Simon tables.

    Examples
    --------
    >>> exceedance_bounds([5, 10], 0.4, 0.9, (1.0, 1.0))
    [4, 6]
    """
    a, b = prior
    out: list[int | None] = []
    for m in looks:
        x = np.arange(m + 1)
        # P(rate > threshold | x of m) = 1 - I_threshold(a + x, b + m - x), increasing in x.
        post = 1.0 - special.betainc(a + x, b + m - x, threshold)
        hit = np.nonzero(post > posterior_bound)[0]
        out.append(int(hit[0]) if hit.size else None)
    return out


def check_looks(looks: object, option: str = "--looks") -> tuple[int, ...]:
    """Look sizes as a tuple of strictly increasing integers >= 1, or one line naming ``option``.

    Examples
    --------
    >>> check_looks([10, 20, 30])
    (10, 20, 30)
    """
    try:
        seq = list(looks)  # type: ignore[call-overload]
    except TypeError:
        raise DesignError(f"{option} must be a list of whole numbers, e.g. 10,20,30,40, got {looks!r}") from None
    if not seq:
        raise DesignError(f"{option} must name at least one look")
    out = tuple(check_int(option, v, minimum=1) for v in seq)
    if any(b <= a for a, b in zip(out, out[1:])):
        raise DesignError(f"{option} must be strictly increasing, got {','.join(map(str, out))}")
    return out


def check_prior(prior: object, mean: float, option: str = "--prior") -> tuple[float, float]:
    """``(a, b)`` of a Beta prior, both finite and > 0; ``Beta(mean, 1 - mean)`` when ``prior`` is None.

    Examples
    --------
    >>> check_prior(None, 0.2)
    (0.2, 0.8)
    """
    if prior is None:
        return (float(mean), 1.0 - float(mean))
    try:
        a, b = (float(v) for v in prior)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise DesignError(f"{option} must be two numbers A,B > 0 (a Beta(A, B) prior), got {prior!r}") from None
    if not (a > 0.0 and b > 0.0 and np.isfinite(a) and np.isfinite(b)):
        raise DesignError(f"{option} must be two numbers A,B > 0 (a Beta(A, B) prior), got {a:g},{b:g}")
    return (a, b)


def describe_prior(prior: tuple[float, float]) -> str:
    """``"Beta(0.2, 0.8)"``."""
    return f"Beta({prior[0]:g}, {prior[1]:g})"


def posterior_toxicity_monitor(
    threshold: float,
    posterior_bound: float,
    every: int,
    prior: tuple[float, float],
    max_patients: int,
) -> ToxicityMonitor:
    """Bayesian toxicity monitoring as a table of stopping bounds (Thall, Simon and Estey 1995).

    After every ``every`` patients, the trial stops when ``P(rate >
    threshold | x toxic of m) > posterior_bound`` under the ``Beta(a, b)``
    prior. The posterior probability increases with ``x``, so the rule at
    ``m`` patients is "stop if ``x >= t_m``", ``t_m`` the smallest such ``x``;
    looks where no ``x <= m`` stops the trial are left out.

    Parameters
    ----------
    threshold : float
        Toxicity rate that is too high, in (0, 1).
    posterior_bound : float
        Posterior probability above which the trial stops, in (0, 1).
    every : int
        Look after every ``every`` patients.
    prior : tuple of float
        ``(a, b)`` of the Beta prior, both > 0.
    max_patients : int
        Largest number of patients the rule may look at.

    Returns
    -------
    ToxicityMonitor

    References
    ----------
    Thall PF, Simon RM, Estey EH. Bayesian sequential monitoring designs for
    single-arm clinical trials with multiple outcomes. Stat Med 1995;14:357-379.

    Examples
    --------
    >>> mon = posterior_toxicity_monitor(0.4, 0.9, 5, (1.0, 1.0), 20)
    >>> mon.looks, mon.bounds
    ((5, 10, 15, 20), (4, 6, 9, 11))
    """
    threshold = check_open_prob("threshold", threshold)
    posterior_bound = check_open_prob("posterior_bound", posterior_bound)
    every = check_int("every", every, minimum=1)
    max_patients = check_int("max_patients", max_patients, minimum=0)
    a, b = (float(v) for v in prior)
    if not (a > 0.0 and b > 0.0 and np.isfinite(a) and np.isfinite(b)):
        raise DesignError(f"prior must be two numbers > 0 (Beta(a, b)), got {prior!r}")
    steps = list(range(every, max_patients + 1, every))
    found = exceedance_bounds(steps, threshold, posterior_bound, (a, b))
    looks = [m for m, t in zip(steps, found) if t is not None]
    bounds = [t for t in found if t is not None]
    label = (f"stop if P(toxicity rate > {threshold:g}) > {posterior_bound:g} under Beta({a:g}, {b:g}), "
             f"every {every} patients")
    return ToxicityMonitor(looks=tuple(looks), bounds=tuple(bounds), label=label)
