"""BOP2: Bayesian optimal phase 2 design (Zhou, Lee & Yuan 2017), as exact decision tables.

At look ``n`` of ``N`` the trial stops for futility if ``Pr(p <= p0 | data)
> C(n) = 1 - lambda (n / N)^gamma``, under a Beta prior (``Beta(p0, 1 - p0)``
unless stated). The posterior probability decreases with the number of
responses ``x``, so the rule at each look is "stop if ``x <= a_k``": a
decision table fixed before the trial, whose exact operating
characteristics follow from the table (:mod:`simtrial.design.tables`).

Options:

* efficacy stopping (BOP2-FE, Xu et al. 2025): stop and declare the drug
  promising at an interim look if ``Pr(p > p0 | data) >= C_s(n)``, with the
  power form ``C_s(n) = 1 - (1 - lambda)(n / N)^eta`` or the O'Brien-Fleming
  form ``C_s(n) = 2 Phi(z_{(1 + lambda)/2} / sqrt(n / N)) - 1``;
* toxicity monitoring (the joint BOP2): stop if ``Pr(q > q1 | data) >
  C_T(n) = 1 - lambda_T (n / N)^gamma_T`` (``lambda_T, gamma_T`` = ``lambda,
  gamma`` unless given), ``q`` the toxicity rate and ``q1`` the rate too
  high; the prior is a Dirichlet over the four response x toxicity cells,
  whose response and toxicity margins are Beta distributions, so the
  posterior of each margin depends on its own count only and the rule is a
  table with response and toxicity bounds. The type I error is the largest
  probability of declaring the drug promising under the three nulls
  futile-safe ``(p0, q0)``, effective-toxic ``(p1, q1)`` and futile-toxic
  ``(p0, q1)``; power is at ``(p1, q0)``.

Calibration chooses ``(lambda, gamma)`` (and ``eta``) on a stated grid to
maximise the exact power with exact type I error ``<= alpha``; every grid
point is turned into its table, identical tables are evaluated once, and
all distinct tables are evaluated together (:func:`~simtrial.design.tables.grid_oc`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simtrial.design._checks import check_open_prob, check_p0_p1
from simtrial.design._lazy import special
from simtrial.design.bayesian import check_looks, check_prior, describe_prior
from simtrial.design.families import FamilyDesign, FamilyResult, register_family
from simtrial.design.tables import DecisionTable, grid_oc, grid_oc_joint, joint_cell_probabilities
from simtrial.errors import DesignError

__all__ = [
    "LAMBDA_GRID",
    "GAMMA_GRID",
    "ETA_GRID",
    "bop2_cutoffs",
    "bop2_table",
    "bop2_design",
    "Bop2Rule",
]

#: Default calibration grid for lambda: 0.500, 0.505, ..., 0.995 (100 values).
LAMBDA_GRID = np.round(0.5 + 0.005 * np.arange(100), 10)
#: Default calibration grid for gamma: 0.03, 0.06, ..., 3.00 (100 values).
GAMMA_GRID = np.round(0.03 * np.arange(1, 101), 10)
#: Default calibration grid for eta (power form of the efficacy cut-off): 0.1, 0.2, ..., 3.0.
ETA_GRID = np.round(0.1 * np.arange(1, 31), 10)

_FORMS = ("none", "power", "obf")


def bop2_cutoffs(looks: Any, lambda_: float, gamma: float) -> np.ndarray:
    """The futility cut-offs ``C(n_k) = 1 - lambda (n_k / N)^gamma`` at the looks.

    Examples
    --------
    >>> [round(float(c), 4) for c in bop2_cutoffs((10, 20, 30, 40), 0.9, 1.0)]
    [0.775, 0.55, 0.325, 0.1]
    """
    n = np.asarray(looks, dtype=float)
    return 1.0 - float(lambda_) * (n / n[-1]) ** float(gamma)


def _efficacy_cutoffs(looks: np.ndarray, lambda_: np.ndarray, form: str, eta: np.ndarray | None) -> np.ndarray:
    """``C_s(n_k)`` for every lambda (and eta), ``[..., k]`` (BOP2-FE's two forms)."""
    frac = looks / looks[-1]
    lam = np.asarray(lambda_, dtype=float)[..., None]
    if form == "obf":
        return 2.0 * special.ndtr(special.ndtri((1.0 + lam) / 2.0) / np.sqrt(frac)) - 1.0
    assert eta is not None
    return 1.0 - (1.0 - lam) * frac ** np.asarray(eta, dtype=float)[..., None]


@dataclass(frozen=True)
class _Posteriors:
    """``Pr(p <= p0 | x, n_k)`` (decreasing in x) and its complement, per look, padded to ``N + 1``.

    ``below[k, x]`` and ``above[k, x]`` for ``x <= n_k``; entries beyond
    ``n_k`` are set so that they never count (below = -1, above = 2).
    """

    below: np.ndarray
    above: np.ndarray


def _posteriors(looks: np.ndarray, threshold: float, a: float, b: float) -> _Posteriors:
    n_max = int(looks[-1])
    x = np.arange(n_max + 1, dtype=float)
    below = np.full((looks.size, n_max + 1), -1.0)
    above = np.full((looks.size, n_max + 1), 2.0)
    for k, n in enumerate(looks.tolist()):
        xs = x[: n + 1]
        below[k, : n + 1] = special.betainc(a + xs, b + n - xs, threshold)
        # The complement directly, not 1 - below: it keeps its precision near 0.
        above[k, : n + 1] = special.betaincc(a + xs, b + n - xs, threshold)
    return _Posteriors(below, above)


def _futility_bounds(post: _Posteriors, cut: np.ndarray) -> np.ndarray:
    """``a_k = max{x : Pr(p <= p0 | x) > C}`` (``-1`` if none) for cut-offs ``cut[..., k]``."""
    # below[k] decreases in x, so the x with below > C are 0..a_k: count them.
    return (post.below[None, :, :] > cut.reshape(-1, cut.shape[-1])[:, :, None]).sum(axis=2).reshape(cut.shape) - 1


def _efficacy_bounds(post: _Posteriors, cut: np.ndarray, looks: np.ndarray) -> np.ndarray:
    """``b_k = min{x : Pr(p > p0 | x) >= C_s}`` (``n_k + 1``, i.e. none, if no x qualifies)."""
    flat = cut.reshape(-1, cut.shape[-1])
    below_cut = (post.above[None, :, :] < flat[:, :, None]) & (np.arange(post.above.shape[1]) <= looks[:, None])[None]
    return below_cut.sum(axis=2).reshape(cut.shape)


def _toxicity_bounds(post: _Posteriors, cut: np.ndarray) -> np.ndarray:
    """``t_k = min{t : Pr(q > q1 | t) > C_T}`` (``n_k + 1`` if none): stop if toxicities ``>= t_k``."""
    flat = cut.reshape(-1, cut.shape[-1])
    # above[k] increases in t; the t with above <= C_T are 0..t_k - 1 (padding counts as 2 > C_T).
    return (post.above[None, :, :] <= flat[:, :, None]).sum(axis=2).reshape(cut.shape)


@dataclass(frozen=True)
class Bop2Rule:
    """The parameters of one BOP2 rule (what a protocol states).

    Attributes
    ----------
    p0 : float
        Response rate of no interest (the posterior threshold).
    looks : tuple of int
        Look sizes; the last is ``N``.
    lambda_, gamma : float
        Futility cut-off ``C(n) = 1 - lambda (n/N)^gamma``.
    prior : tuple of float
        ``(a, b)`` of the Beta prior of the response rate.
    efficacy_form : str
        ``"none"``, ``"power"`` or ``"obf"``.
    eta : float or None
        Exponent of the power form of the efficacy cut-off.
    q1 : float or None
        Toxicity rate too high (toxicity monitoring when given).
    lambda_t, gamma_t : float or None
        Toxicity cut-off ``C_T(n) = 1 - lambda_t (n/N)^gamma_t``.
    prior_t : tuple of float or None
        ``(a, b)`` of the Beta prior of the toxicity rate.
    """

    p0: float
    looks: tuple[int, ...]
    lambda_: float
    gamma: float
    prior: tuple[float, float]
    efficacy_form: str = "none"
    eta: float | None = None
    q1: float | None = None
    lambda_t: float | None = None
    gamma_t: float | None = None
    prior_t: tuple[float, float] | None = None

    def table(self) -> DecisionTable:
        """The rule's :class:`DecisionTable`."""
        looks = np.asarray(self.looks, dtype=np.int64)
        post = _posteriors(looks, self.p0, *self.prior)
        fut = _futility_bounds(post, bop2_cutoffs(looks, self.lambda_, self.gamma)[None])[0]
        eff: list[int | None] = [None] * looks.size
        if self.efficacy_form != "none":
            cut = _efficacy_cutoffs(looks.astype(float), np.array([self.lambda_]), self.efficacy_form,
                                    None if self.eta is None else np.array([self.eta]))
            b = _efficacy_bounds(post, cut, looks)[0]
            eff = [int(v) if v <= n and k < looks.size - 1 else None for k, (v, n) in enumerate(zip(b, looks))]
        tox = None
        if self.q1 is not None:
            assert self.prior_t is not None and self.lambda_t is not None and self.gamma_t is not None
            post_t = _posteriors(looks, self.q1, *self.prior_t)
            t = _toxicity_bounds(post_t, bop2_cutoffs(looks, self.lambda_t, self.gamma_t)[None])[0]
            tox = [int(v) if v <= n else None for v, n in zip(t, looks)]
        _check_reachable(fut, looks)
        return DecisionTable(looks=tuple(looks.tolist()), futility=tuple(int(v) for v in fut), efficacy=eff,
                             toxicity=tox, label=self.label())

    def label(self) -> str:
        """``"BOP2 lambda=0.9, gamma=1"`` (+ efficacy and toxicity parameters)."""
        text = f"BOP2 lambda={self.lambda_:g}, gamma={self.gamma:g}"
        if self.efficacy_form == "power":
            text += f", efficacy power eta={self.eta:g}"
        elif self.efficacy_form == "obf":
            text += ", efficacy O'Brien-Fleming"
        if self.q1 is not None:
            text += f", toxicity q1={self.q1:g} lambda_t={self.lambda_t:g} gamma_t={self.gamma_t:g}"
        return text

    def params(self) -> dict[str, Any]:
        """The rule's JSON keys: ``lambda, gamma, prior`` (+ ``efficacy_form, eta``, toxicity keys)."""
        out: dict[str, Any] = {"lambda": self.lambda_, "gamma": self.gamma, "prior": list(self.prior)}
        if self.efficacy_form != "none":
            out["efficacy_form"] = self.efficacy_form
            if self.eta is not None:
                out["eta"] = self.eta
        if self.q1 is not None:
            out.update(lambda_t=self.lambda_t, gamma_t=self.gamma_t, prior_t=list(self.prior_t or ()))
        return out


def _check_reachable(fut: np.ndarray, looks: np.ndarray) -> None:
    for k, (a, n) in enumerate(zip(fut.tolist(), looks.tolist())):
        if a >= n:
            raise DesignError(f"--lambda/--gamma: the cut-off stops every trial at look {k + 1} ({n} patients); "
                              "choose a smaller lambda or a larger gamma")


def bop2_table(
    p0: float,
    looks: Any,
    lambda_: float,
    gamma: float,
    prior: Any = None,
    *,
    efficacy_form: str = "none",
    eta: float | None = None,
) -> DecisionTable:
    """The decision table of a BOP2 rule for response (optionally with efficacy stopping).

    Parameters
    ----------
    p0 : float
        Response rate of no interest, in (0, 1).
    looks : sequence of int
        Strictly increasing look sizes, the last one ``N``.
    lambda_, gamma : float
        Futility cut-off ``C(n) = 1 - lambda (n/N)^gamma``: stop if
        ``Pr(p <= p0 | data) > C(n)``; ``0 < lambda < 1``, ``gamma > 0``.
    prior : (float, float), optional
        ``(a, b)`` of the Beta prior; ``Beta(p0, 1 - p0)`` by default.
    efficacy_form : {"none", "power", "obf"}
        Efficacy stopping of BOP2-FE at the interim looks.
    eta : float, optional
        Exponent of the power form (needed when ``efficacy_form="power"``).

    Returns
    -------
    DecisionTable

    References
    ----------
    Zhou H, Lee JJ, Yuan Y. BOP2: Bayesian optimal design for phase II
    clinical trials with simple and complex endpoints. Stat Med
    2017;36:3302-3314.

    Xu X, Yimer BB, Hashimoto A, Homma G, Takeda K. BOP2-FE: Bayesian optimal
    phase II design with futility and efficacy stopping boundaries (2025);
    R package BOP2FE.

    Examples
    --------
    >>> t = bop2_table(0.2, (10, 15, 20, 25, 30, 35, 40), 0.909, 1.0, efficacy_form="obf")
    >>> t.futility
    (1, 2, 3, 5, 7, 9, 11)
    >>> t.efficacy[:-1]
    (7, 8, 9, 10, 11, 11)
    """
    rule = _rule(p0, looks, lambda_, gamma, prior, efficacy_form, eta)
    return rule.table()


def _rule(p0: Any, looks: Any, lambda_: Any, gamma: Any, prior: Any, efficacy_form: str, eta: Any,
          **tox: Any) -> Bop2Rule:
    p0 = check_open_prob("--p0", p0)
    looks_t = check_looks(looks)
    lam = check_open_prob("--lambda", lambda_)
    gam = _check_positive("--gamma", gamma)
    form = _check_form(efficacy_form, eta)
    return Bop2Rule(p0=p0, looks=looks_t, lambda_=lam, gamma=gam, prior=check_prior(prior, p0), efficacy_form=form,
                    eta=None if eta is None else _check_positive("--eta", eta), **tox)


def _check_positive(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DesignError(f"{name} must be a number > 0, got {value!r}") from None
    if not (v > 0.0 and np.isfinite(v)):
        raise DesignError(f"{name} must be a number > 0, got {value!r}")
    return v


def _check_form(form: Any, eta: Any) -> str:
    form = "none" if form is None else str(form).lower()
    if form not in _FORMS:
        raise DesignError(f"--efficacy-form must be one of {', '.join(_FORMS)}, got {form!r}")
    if eta is not None and form != "power":
        raise DesignError("--eta: applies only with --efficacy-form power")
    return form


# -- calibration ---------------------------------------------------------------


def _grid(name: str, given: float | None, default: np.ndarray, check: Any) -> np.ndarray:
    return np.array([check(name, given)]) if given is not None else default


@register_family("bop2")
def bop2_design(
    p0: float,
    p1: float,
    alpha: float = 0.1,
    looks: Any = None,
    lambda_: float | None = None,
    gamma: float | None = None,
    prior: Any = None,
    efficacy_form: str | None = None,
    eta: float | None = None,
    q0: float | None = None,
    q1: float | None = None,
    odds_ratio: float | None = None,
    lambda_t: float | None = None,
    gamma_t: float | None = None,
) -> FamilyResult:
    """BOP2: the calibrated design (search over ``lambda, gamma``) or the design of given parameters.

    When ``lambda_`` and ``gamma`` are both given, the rule is evaluated
    (kind ``"given"``); otherwise the missing ones are searched on
    :data:`LAMBDA_GRID` and :data:`GAMMA_GRID` (and ``eta`` on
    :data:`ETA_GRID` for the power efficacy form) for the largest exact
    power at ``p1`` with exact type I error ``<= alpha`` at ``p0`` (kind
    ``"calibrated"``; ties go to the smaller E(N | p0), then to the first
    grid point). With ``q1`` the toxicity rate is monitored too (joint
    BOP2), the type I error is the largest over the futile-safe,
    effective-toxic and futile-toxic nulls and ``en0, pet0`` are those of
    the futile-safe null.

    Parameters
    ----------
    p0, p1 : float
        Response rates of no interest and of interest.
    alpha : float
        Largest type I error (default 0.1).
    looks : sequence of int
        Look sizes, the last one the maximum sample size ``N``.
    lambda_, gamma : float, optional
        The futility cut-off's parameters.
    prior : sequence of float, optional
        ``(a, b)`` of the response rate's Beta prior (default ``Beta(p0, 1 - p0)``);
        with toxicity, four numbers give a Dirichlet prior over the cells
        (response and toxicity, response only, toxicity only, neither).
    efficacy_form : {"none", "power", "obf"}, optional
        Efficacy stopping at interim looks (BOP2-FE).
    eta : float, optional
        Exponent of the power form.
    q0, q1 : float, optional
        Acceptable toxicity rate and toxicity rate too high (both for the joint design).
    odds_ratio : float, optional
        Response-toxicity odds ratio in one patient for the scenarios (default 1).
    lambda_t, gamma_t : float, optional
        Toxicity cut-off ``1 - lambda_t (n/N)^gamma_t`` (default: ``lambda, gamma``).

    Returns
    -------
    FamilyResult
        One design; its JSON adds ``lambda, gamma, prior`` (and
        ``efficacy_form, eta``; ``lambda_t, gamma_t, prior_t, alpha_by_null``).

    References
    ----------
    Zhou H, Lee JJ, Yuan Y. BOP2: Bayesian optimal design for phase II
    clinical trials with simple and complex endpoints. Stat Med
    2017;36:3302-3314.

    Examples
    --------
    >>> res = bop2_design(0.2, 0.4, 0.1, looks=(10, 20, 30, 40), lambda_=0.9, gamma=1.0)
    >>> d = res.design("given")
    >>> d.table.futility
    (1, 3, 7, 11)
    >>> round(d.alpha, 4), round(d.power, 4)
    (0.0743, 0.8864)
    """
    p0, p1 = check_p0_p1(p0, p1)
    alpha = check_open_prob("--alpha", alpha)
    if looks is None:
        raise DesignError("--looks: BOP2 needs the looks, e.g. --looks 10,20,30,40")
    looks_t = check_looks(looks)
    form = _check_form(efficacy_form, eta)
    joint = q0 is not None or q1 is not None
    if joint and (q0 is None or q1 is None):
        raise DesignError("--q0/--q1: the joint design needs both the acceptable (q0) and the too high (q1) "
                          "toxicity rate")
    if not joint:
        for name, value in (("--odds-ratio", odds_ratio), ("--lambda-t", lambda_t), ("--gamma-t", gamma_t)):
            if value is not None:
                raise DesignError(f"{name}: applies only with toxicity monitoring (--q0 and --q1)")
    if joint and form != "none":
        raise DesignError("--efficacy-form: efficacy stopping is not offered with toxicity monitoring")
    prior_r, prior_t = _priors(prior, p0, q0, q1, joint)
    lam = _grid("--lambda", lambda_, LAMBDA_GRID, check_open_prob)
    gam = _grid("--gamma", gamma, GAMMA_GRID, _check_positive)
    etas = _grid("--eta", eta, ETA_GRID, _check_positive) if form == "power" else None
    searched = lam.size * gam.size * (1 if etas is None else etas.size) > 1
    if joint:
        return _joint(p0, p1, alpha, looks_t, lam, gam, prior_r, prior_t, q0, q1, odds_ratio, lambda_t, gamma_t,
                      searched)
    return _response_only(p0, p1, alpha, looks_t, lam, gam, prior_r, form, etas, searched)


def _priors(prior: Any, p0: float, q0: float | None, q1: float | None,
            joint: bool) -> tuple[tuple[float, float], tuple[float, float] | None]:
    if not joint:
        return check_prior(prior, p0), None
    q0 = check_open_prob("--q0", q0)
    q1 = check_open_prob("--q1", q1)
    if q0 >= q1:
        raise DesignError(f"--q0 must be smaller than --q1, got q0={q0:g} >= q1={q1:g}")
    if prior is not None and len(list(prior)) == 4:
        cells = [float(v) for v in prior]
        if not all(v > 0.0 and np.isfinite(v) for v in cells):
            raise DesignError(f"--prior: a Dirichlet prior needs four numbers > 0, got {list(prior)!r}")
        # The Dirichlet's margins: response = cells 1 + 2, toxicity = cells 1 + 3.
        return (cells[0] + cells[1], cells[2] + cells[3]), (cells[0] + cells[2], cells[1] + cells[3])
    # Default: a Dirichlet with the cell probabilities of the futile-toxic null (effective sample
    # size 1, any odds ratio), whose margins are Beta(p0, 1 - p0) and Beta(q1, 1 - q1).
    return check_prior(prior, p0), (q1, 1.0 - q1)


def _odds(odds_ratio: float | None) -> float:
    if odds_ratio is None:
        return 1.0
    return _check_positive("--odds-ratio", odds_ratio)


def _unique_rows(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first occurrence of each distinct row of the stacked arrays, and the inverse map."""
    stacked = np.concatenate([a.reshape(a.shape[0], -1) for a in arrays], axis=1)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _pick(alpha_t: np.ndarray, power_t: np.ndarray, en0_t: np.ndarray, inverse: np.ndarray, alpha: float) -> int:
    """Grid index of the best feasible point: max power, then min E(N | p0), then grid order."""
    a, pw, en = alpha_t[inverse], power_t[inverse], en0_t[inverse]
    ok = np.nonzero(a <= alpha)[0]
    if ok.size == 0:
        raise DesignError(f"--alpha: no (lambda, gamma) on the grid gives type I error <= {alpha:g} "
                          f"(smallest attained {float(a.min()):.4f}); raise --alpha or the maximum sample size")
    order = np.lexsort((ok, en[ok], -pw[ok]))
    return int(ok[order[0]])


def _response_only(p0: float, p1: float, alpha: float, looks: tuple[int, ...], lam: np.ndarray, gam: np.ndarray,
                   prior: tuple[float, float], form: str, etas: np.ndarray | None, searched: bool) -> FamilyResult:
    looks_arr = np.asarray(looks, dtype=np.int64)
    post = _posteriors(looks_arr, p0, *prior)
    frac = looks_arr / looks_arr[-1]
    # Grid points in the order (lambda, gamma[, eta]), lambda slowest.
    lg_lam, lg_gam = np.meshgrid(lam, gam, indexing="ij")
    cut = 1.0 - lg_lam[..., None] * frac ** lg_gam[..., None]
    fut = _futility_bounds(post, cut).reshape(-1, looks_arr.size)
    lam_pt, gam_pt = lg_lam.ravel(), lg_gam.ravel()
    eta_pt = None
    eff = None
    if form != "none":
        e_cut = _efficacy_cutoffs(looks_arr.astype(float), lam, form, etas[:, None] if etas is not None else None)
        # e_cut: [lambda, k] (obf) or [eta, lambda, k] (power)
        e_b = _efficacy_bounds(post, e_cut, looks_arr)
        if form == "obf":
            eff = np.repeat(e_b, gam.size, axis=0)
        else:
            assert etas is not None
            # Rows (lambda, gamma, eta): futility depends on (lambda, gamma), efficacy on (lambda, eta).
            eff = np.repeat(np.transpose(e_b, (1, 0, 2))[:, None, :, :], gam.size, axis=1).reshape(-1, looks_arr.size)
            fut = np.repeat(fut, etas.size, axis=0)
            lam_pt, gam_pt = np.repeat(lam_pt, etas.size), np.repeat(gam_pt, etas.size)
            eta_pt = np.tile(etas, lam.size * gam.size)
    valid = np.all(fut < looks_arr, axis=1)
    if eff is not None:
        valid &= _efficacy_monotone(eff, looks_arr)
    if not valid.any():
        raise DesignError("--lambda/--gamma: every rule on the grid stops all trials at some look")
    idx = np.nonzero(valid)[0]
    first, inverse = _unique_rows(fut[idx], *(() if eff is None else (eff[idx],)))
    g = grid_oc(looks_arr, fut[idx][first], None if eff is None else eff[idx][first], [p0, p1])
    best = idx[_pick(g.p_reject[:, 0], g.p_reject[:, 1], g.en[:, 0], inverse, alpha)] if searched else idx[0]
    rule = Bop2Rule(p0=p0, looks=looks, lambda_=float(lam_pt[best]), gamma=float(gam_pt[best]), prior=prior,
                    efficacy_form=form, eta=None if eta_pt is None else float(eta_pt[best]))
    table = rule.table()
    oc = table.oc([p0, p1])
    design = FamilyDesign("bop2", "calibrated" if searched else "given", table, float(oc.en[0]), float(oc.en[1]),
                          float(oc.pet[0]), float(oc.p_reject[0]), float(oc.p_reject[1]), rule.params())
    notes = [f"prior {describe_prior(prior)}; cut-off C(n) = 1 - lambda (n/N)^gamma, N = {looks[-1]}"]
    if searched:
        notes.append(_grid_note(lam, gam, etas) + f"; {idx.size} rules, {first.size} distinct tables, exact OC")
    return FamilyResult("bop2", _params(p0, p1, alpha, looks), (design,), tuple(notes))


def _efficacy_monotone(eff: np.ndarray, looks: np.ndarray) -> np.ndarray:
    """Rows whose interim efficacy bounds never fall back at a later look (what a table requires)."""
    interim = eff[:, :-1]
    real = interim <= looks[None, :-1]
    seen = np.maximum.accumulate(np.where(real, interim, -1), axis=1)
    return np.all(~real[:, 1:] | (interim[:, 1:] >= seen[:, :-1]), axis=1)


def _grid_note(lam: np.ndarray, gam: np.ndarray, etas: np.ndarray | None) -> str:
    def span(name: str, v: np.ndarray) -> str:
        if v.size == 1:
            return f"{name} = {v[0]:g}"
        return f"{name} in {v[0]:g}..{v[-1]:g} ({v.size} values)"

    parts = [span("lambda", lam), span("gamma", gam)]
    if etas is not None:
        parts.append(span("eta", etas))
    return "grid: " + ", ".join(parts)


def _params(p0: float, p1: float, alpha: float, looks: tuple[int, ...], **extra: Any) -> dict[str, Any]:
    return {"p0": p0, "p1": p1, "alpha": alpha, "looks": list(looks), **extra}


def _joint(p0: float, p1: float, alpha: float, looks: tuple[int, ...], lam: np.ndarray, gam: np.ndarray,
           prior_r: tuple[float, float], prior_t: tuple[float, float] | None, q0: Any, q1: Any,
           odds_ratio: float | None, lambda_t: float | None, gamma_t: float | None, searched: bool) -> FamilyResult:
    assert prior_t is not None
    q0, q1 = float(q0), float(q1)
    psi = _odds(odds_ratio)
    lam_t = None if lambda_t is None else check_open_prob("--lambda-t", lambda_t)
    gam_t = None if gamma_t is None else _check_positive("--gamma-t", gamma_t)
    looks_arr = np.asarray(looks, dtype=np.int64)
    frac = looks_arr / looks_arr[-1]
    post_r = _posteriors(looks_arr, p0, *prior_r)
    post_t = _posteriors(looks_arr, q1, *prior_t)
    lg_lam, lg_gam = (a.ravel() for a in np.meshgrid(lam, gam, indexing="ij"))
    cut_r = 1.0 - lg_lam[:, None] * frac ** lg_gam[:, None]
    lt = lg_lam if lam_t is None else np.full_like(lg_lam, lam_t)
    gt = lg_gam if gam_t is None else np.full_like(lg_gam, gam_t)
    cut_t = 1.0 - lt[:, None] * frac ** gt[:, None]
    fut = _futility_bounds(post_r, cut_r)
    tox = _toxicity_bounds(post_t, cut_t)
    idx = np.nonzero(np.all(fut < looks_arr, axis=1))[0]
    if idx.size == 0:
        raise DesignError("--lambda/--gamma: every rule on the grid stops all trials at some look")
    first, inverse = _unique_rows(fut[idx], tox[idx])
    # Scenarios: futile-safe, effective-toxic, futile-toxic (the nulls), effective-safe (the alternative).
    ps, qs = np.array([p0, p1, p0, p1]), np.array([q0, q1, q1, q0])
    cells = joint_cell_probabilities(ps, qs, np.full(4, psi))
    g = grid_oc_joint(looks_arr, fut[idx][first], tox[idx][first], cells)
    worst = g.p_reject[:, :3].max(axis=1)
    best = idx[_pick(worst, g.p_reject[:, 3], g.en[:, 0], inverse, alpha)] if searched else idx[0]
    rule = Bop2Rule(p0=p0, looks=looks, lambda_=float(lg_lam[best]), gamma=float(lg_gam[best]), prior=prior_r,
                    q1=q1, lambda_t=float(lt[best]), gamma_t=float(gt[best]), prior_t=prior_t)
    table = rule.table()
    oc = table.oc(ps, qs, odds_ratio=psi)
    by_null = {"futile_safe": float(oc.p_reject[0]), "effective_toxic": float(oc.p_reject[1]),
               "futile_toxic": float(oc.p_reject[2])}
    extra = {**rule.params(), "alpha_by_null": by_null}
    design = FamilyDesign("bop2", "calibrated" if searched else "given", table, float(oc.en[0]), float(oc.en[3]),
                          float(oc.pet[0]), max(by_null.values()), float(oc.p_reject[3]), extra)
    notes = [f"response prior {describe_prior(prior_r)}, toxicity prior {describe_prior(prior_t)}; "
             f"stop for toxicity if Pr(q > {q1:g}) > 1 - lambda_t (n/N)^gamma_t",
             f"type I error = max over the nulls (p, q) = ({p0:g}, {q0:g}), ({p1:g}, {q1:g}), ({p0:g}, {q1:g}); "
             f"power at ({p1:g}, {q0:g}); odds ratio {psi:g}; en0, pet0 at ({p0:g}, {q0:g})"]
    if searched:
        notes.append(_grid_note(lam, gam, None) + f"; {idx.size} rules, {first.size} distinct tables, exact OC")
    params = _params(p0, p1, alpha, looks, q0=q0, q1=q1, odds_ratio=psi)
    return FamilyResult("bop2", params, (design,), tuple(notes))
