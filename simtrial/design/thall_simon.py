"""Thall & Simon (1994) posterior monitoring of response (and toxicity), as an exact decision table.

The experimental response rate ``p_E`` has a vague Beta prior and the
standard therapy's rate ``p_S`` an informative one (or is fixed at ``p0``).
After ``x`` responses in ``n`` patients the trial

* stops for futility if ``Pr(p_E > p_S + delta | x) < theta_L`` (``delta`` the
  targeted improvement, ``p1 - p0`` unless given),
* stops and declares the drug promising if ``Pr(p_E > p_S | x) > theta_U``,

and at the last look the drug is promising if ``Pr(p_E > p_S | x) >
theta_U``. Both probabilities increase with ``x``, so each look's rule is a
pair of bounds on responses. Toxicity is monitored as in Thall, Simon and
Estey (1995): stop if ``Pr(q > q1 | t of n) > tox_bound`` under a Beta
prior, a bound on the number of patients with toxicity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simtrial.design._checks import check_int, check_open_prob, check_p0_p1
from simtrial.design._lazy import special
from simtrial.design.bayesian import check_looks, check_prior, describe_prior, exceedance_bounds
from simtrial.design.families import FamilyDesign, FamilyResult, register_family
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError

__all__ = ["prob_exceeds", "thall_simon_table", "thall_simon_design"]


def prob_exceeds(
    x: np.ndarray | int,
    n: int,
    prior_e: tuple[float, float],
    prior_s: tuple[float, float] | float,
    delta: float = 0.0,
) -> np.ndarray:
    """``Pr(p_E > p_S + delta | x of n)``: ``p_E ~ Beta(a + x, b + n - x)``, ``p_S`` independent.

    ``prior_s`` is ``(a_S, b_S)`` of the standard rate's Beta distribution,
    or a number: the standard rate known exactly. With a Beta ``p_S`` the
    probability is ``int f_S(s) Pr(p_E > s + delta) ds``, integrated by
    adaptive quadrature.

    Examples
    --------
    >>> round(float(prob_exceeds(3, 10, (1.0, 1.0), 0.2)[0]), 6)
    0.838861
    """
    x_arr = np.atleast_1d(np.asarray(x, dtype=float))
    a, b = prior_e
    if not isinstance(prior_s, tuple):
        s = float(prior_s) + delta
        if s >= 1.0:
            return np.zeros_like(x_arr)
        return special.betaincc(a + x_arr, b + n - x_arr, s)
    from scipy import integrate

    a_s, b_s = prior_s
    log_norm = special.betaln(a_s, b_s)

    def integrand(s: float) -> np.ndarray:
        # Beta(a_S, b_S) density times Pr(p_E > s + delta), for every x at once.
        dens = np.exp((a_s - 1.0) * np.log(s) + (b_s - 1.0) * np.log1p(-s) - log_norm)
        return dens * special.betaincc(a + x_arr, b + n - x_arr, s + delta)

    return integrate.quad_vec(integrand, 0.0, 1.0 - delta, epsabs=1e-13, epsrel=1e-12, limit=400)[0]


def _check_tox(q1: Any, tox_bound: Any, tox_prior: Any) -> tuple[float, float, tuple[float, float]] | None:
    if q1 is None:
        for name, value in (("--tox-bound", tox_bound), ("--tox-prior", tox_prior)):
            if value is not None:
                raise DesignError(f"{name}: applies only with toxicity monitoring (--q1)")
        return None
    q1 = check_open_prob("--q1", q1)
    bound = 0.9 if tox_bound is None else check_open_prob("--tox-bound", tox_bound)
    return q1, bound, check_prior(tox_prior, q1, "--tox-prior")


def thall_simon_table(
    p0: float,
    looks: Any,
    theta_l: float = 0.05,
    theta_u: float = 0.95,
    delta: float | None = None,
    p1: float | None = None,
    prior: Any = None,
    prior_s: Any = None,
    q1: float | None = None,
    tox_bound: float | None = None,
    tox_prior: Any = None,
) -> DecisionTable:
    """The decision table of a Thall-Simon monitoring rule.

    Parameters
    ----------
    p0 : float
        Response rate of the standard therapy (the mean of ``p_S``).
    looks : sequence of int
        Look sizes, the last one the maximum sample size.
    theta_l, theta_u : float
        Futility bound on ``Pr(p_E > p_S + delta)`` and efficacy bound on ``Pr(p_E > p_S)``.
    delta : float, optional
        Targeted improvement; ``p1 - p0`` by default (one of them is needed).
    p1 : float, optional
        Response rate of interest.
    prior : (float, float), optional
        Beta prior of ``p_E``; ``Beta(2 p0, 2 (1 - p0))`` (mean ``p0``,
        effective sample size 2, as Thall & Simon suggest) by default.
    prior_s : (float, float), optional
        Beta distribution of ``p_S``; ``p_S = p0`` exactly by default.
    q1 : float, optional
        Toxicity rate too high: adds toxicity bounds.
    tox_bound : float, optional
        Stop if ``Pr(q > q1 | data) > tox_bound`` (default 0.9).
    tox_prior : (float, float), optional
        Beta prior of the toxicity rate; ``Beta(q1, 1 - q1)`` by default.

    Returns
    -------
    DecisionTable

    References
    ----------
    Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical
    trials. Biometrics 1994;50:337-349.

    Thall PF, Simon RM, Estey EH. Bayesian sequential monitoring designs for
    single-arm clinical trials with multiple outcomes. Stat Med 1995;14:357-379.

    Examples
    --------
    >>> t = thall_simon_table(0.2, (10, 20, 30, 40), 0.05, 0.95, p1=0.4)
    >>> t.futility, t.efficacy
    ((1, 4, 8, 12), (5, 8, 11, None))
    """
    p0 = check_open_prob("--p0", p0)
    lk = check_looks(looks)
    tl = check_open_prob("--theta-l", theta_l)
    tu = check_open_prob("--theta-u", theta_u)
    if delta is None:
        if p1 is None:
            raise DesignError("--p1: Thall-Simon needs the targeted improvement, p1 - p0")
        delta = check_open_prob("--p1", p1) - p0
    if not 0.0 <= delta < 1.0 - p0:
        raise DesignError(f"--p1: the targeted improvement p1 - p0 must be in [0, {1 - p0:g}), got {delta:g}")
    pe = check_prior(prior, p0) if prior is not None else (2.0 * p0, 2.0 * (1.0 - p0))
    ps: tuple[float, float] | float = p0 if prior_s is None else check_prior(prior_s, p0, "--prior-s")
    tox = _check_tox(q1, tox_bound, tox_prior)
    fut: list[int] = []
    eff: list[int | None] = []
    tox_b: list[int | None] = []
    for k, n in enumerate(lk):
        x = np.arange(n + 1)
        p_good = prob_exceeds(x, n, pe, ps, delta)
        p_better = prob_exceeds(x, n, pe, ps, 0.0)
        last = k == len(lk) - 1
        if last:
            a = int((p_better <= tu).sum()) - 1
            if a >= n:
                raise DesignError(f"--theta-u: Pr(p_E > p_S) never exceeds {tu:g} with {n} patients, so the drug "
                                  "can never be declared promising; lower --theta-u or add patients")
            fut.append(a)
        else:
            a = int((p_good < tl).sum()) - 1
            b = n + 1 - int((p_better > tu).sum())
            if a >= n:
                raise DesignError(f"--theta-l: the futility rule stops every trial at look {k + 1} ({n} patients)")
            if b <= a:
                raise DesignError(f"--theta-l/--theta-u: at look {k + 1} ({n} patients) {b} responses would meet "
                                  "both the futility and the efficacy rule; lower --theta-l or raise --theta-u")
            fut.append(a)
            eff.append(b if b <= n else None)
    if tox is not None:
        tox_b = exceedance_bounds(lk, tox[0], tox[1], tox[2])
    label = f"Thall-Simon theta_L={tl:g}, theta_U={tu:g}, delta={delta:g}"
    return DecisionTable(looks=lk, futility=fut, efficacy=eff, toxicity=tox_b if tox is not None else None,
                         label=label)


@register_family("thall-simon")
def thall_simon_design(
    p0: float,
    p1: float,
    looks: Any = None,
    nmax: int | None = None,
    every: int | None = None,
    theta_l: float | None = None,
    theta_u: float | None = None,
    prior: Any = None,
    prior_s: Any = None,
    q0: float | None = None,
    q1: float | None = None,
    odds_ratio: float | None = None,
    tox_bound: float | None = None,
) -> FamilyResult:
    """The Thall-Simon design of given bounds, with its exact properties (kind ``"given"``).

    Looks are ``looks``, or every ``every`` patients up to ``nmax``.
    ``theta_l`` and ``theta_u`` default to 0.05 and 0.95. With ``q1`` the
    toxicity rate is monitored too; the properties are then at toxicity rate
    ``q0`` (default ``q1 / 2``) with the given odds ratio (default 1).

    References
    ----------
    Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical
    trials. Biometrics 1994;50:337-349.

    Examples
    --------
    >>> d = thall_simon_design(0.2, 0.4, looks=(10, 20, 30, 40)).design("given")
    >>> round(d.alpha, 4), round(d.power, 4)
    (0.0733, 0.842)
    """
    p0, p1 = check_p0_p1(p0, p1)
    if looks is None:
        if nmax is None:
            raise DesignError("--looks: Thall-Simon needs the looks (--looks 10,20,30,40) or --nmax with --every")
        n_top = check_int("--nmax", nmax, minimum=1)
        step = 1 if every is None else check_int("--every", every, minimum=1)
        looks = tuple(sorted(set(range(step, n_top, step)) | {n_top}))
    elif every is not None:
        raise DesignError("--every: give either --looks or --every, not both")
    tl = 0.05 if theta_l is None else theta_l
    tu = 0.95 if theta_u is None else theta_u
    if q1 is None and (q0 is not None or odds_ratio is not None):
        raise DesignError("--q0/--odds-ratio: apply only with toxicity monitoring (--q1)")
    table = thall_simon_table(p0, looks, tl, tu, p1=p1, prior=prior, prior_s=prior_s, q1=q1, tox_bound=tox_bound)
    pe = check_prior(prior, p0) if prior is not None else (2.0 * p0, 2.0 * (1.0 - p0))
    extra: dict[str, Any] = {"theta_l": float(tl), "theta_u": float(tu), "prior": list(pe),
                             "prior_s": None if prior_s is None else list(check_prior(prior_s, p0, "--prior-s"))}
    notes = [f"experimental prior {describe_prior(pe)}; standard rate "
             + (f"{p0:g} (known)" if prior_s is None else describe_prior(check_prior(prior_s, p0, "--prior-s")))
             + f"; delta = p1 - p0 = {p1 - p0:g}"]
    if q1 is None:
        oc = table.oc([p0, p1])
    else:
        q0v = q1 / 2.0 if q0 is None else check_open_prob("--q0", q0)
        psi = 1.0 if odds_ratio is None else float(odds_ratio)
        oc = table.oc([p0, p1], [q0v, q0v], odds_ratio=psi)
        extra.update(q1=float(q1), tox_bound=0.9 if tox_bound is None else float(tox_bound))
        notes.append(f"toxicity: stop if Pr(q > {q1:g}) > {extra['tox_bound']:g}; properties at q = {q0v:g}, "
                     f"odds ratio {psi:g}")
    design = FamilyDesign("thall-simon", "given", table, float(oc.en[0]), float(oc.en[1]), float(oc.pet[0]),
                          float(oc.p_reject[0]), float(oc.p_reject[1]), extra)
    params = {"p0": p0, "p1": p1}
    return FamilyResult("thall-simon", params, (design,), tuple(notes))
