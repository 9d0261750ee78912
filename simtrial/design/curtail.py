"""Curtailment of a decision table: stopping patient by patient once the decision is known (or likely).

Patients are enrolled one at a time. After each patient the trial stops as
soon as its decision is **determined** (non-stochastic curtailment): every way
the remaining patients could respond leads to the same decision. Because a
table's decision is monotone in the responses, "not promising" is determined
exactly when even the path on which every remaining patient responds ends
not promising, and "promising" when even the path on which none responds
ends promising. Curtailing only such decisions changes no trial's decision,
so the type I error and the power are those of the table; only the number
of patients, ``E(N)`` and its distribution, change.

**Stochastic curtailment** stops for futility when the conditional power,
the probability that the *uncurtailed* table declares the drug promising
given the responses so far and a true rate ``p``, falls below a threshold
(and, optionally, for efficacy when it exceeds one). That changes decisions,
so its type I error and power differ from the table's; both are exact here.

Either way the curtailed design is itself a decision table with a look at
every patient, so its exact operating characteristics come from
:meth:`DecisionTable.oc` (the same dynamic programming as any table) and a
trial config can simulate it like any other design. Bounds at patient counts
no trial can reach with those responses are raised to keep the table's bounds
in order; that changes no reachable decision.
"""

from __future__ import annotations

import numpy as np

from simtrial.design._checks import check_closed_probs
from simtrial.design.tables import NO_FUTILITY, DecisionTable
from simtrial.errors import DesignError

__all__ = ["CURTAIL_MODES", "curtail", "stochastic_curtail", "conditional_power"]

#: Modes of :func:`curtail`: stop once "not promising" is determined, or once either decision is.
CURTAIL_MODES = ("futility", "both")


def _check_table(table: DecisionTable) -> DecisionTable:
    if not isinstance(table, DecisionTable):
        raise DesignError(f"table must be a DecisionTable, got {type(table).__name__}")
    if table.is_joint:
        raise DesignError("curtailment: a table with toxicity bounds is not supported; curtail the response bounds only")
    return table


def _look_rules(table: DecisionTable) -> tuple[np.ndarray, np.ndarray]:
    """Per patient count ``m = 0..N``: the table's futility and efficacy bounds at ``m`` (-2 / N+1 where no look)."""
    n = table.n_max
    fut = np.full(n + 1, -2, dtype=np.int64)  # -2: no look at m (x <= -2 never holds)
    eff = np.full(n + 1, n + 1, dtype=np.int64)
    for k, (look, a, b) in enumerate(zip(table.looks, table.futility, table.efficacy)):
        fut[look] = a
        if k < table.n_looks - 1 and b is not None:
            eff[look] = b
    return fut, eff


def _determined(table: DecisionTable) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``can_promise[m][x]``, ``can_fail[m][x]``: some continuation from ``m`` patients with ``x`` responses ends promising / not.

    The decision at look ``m`` (if ``m`` is a look) applies first. Backward
    recursion over ``m``; booleans, so no rounding anywhere.
    """
    n = table.n_max
    fut, eff = _look_rules(table)
    x = np.arange(n + 1)
    can_p = [np.zeros(0, dtype=bool)] * (n + 1)
    can_f = [np.zeros(0, dtype=bool)] * (n + 1)
    can_p[n] = x > fut[n]
    can_f[n] = ~can_p[n]
    for m in range(n - 1, -1, -1):
        xm = x[: m + 1]
        cp = can_p[m + 1][: m + 1] | can_p[m + 1][1 : m + 2]
        cf = can_f[m + 1][: m + 1] | can_f[m + 1][1 : m + 2]
        stop_f = xm <= fut[m]
        stop_e = (xm >= eff[m]) & ~stop_f
        can_p[m] = np.where(stop_f, False, np.where(stop_e, True, cp))
        can_f[m] = np.where(stop_f, True, np.where(stop_e, False, cf))
    return can_p, can_f


def conditional_power(table: DecisionTable, p: float) -> list[np.ndarray]:
    """``cp[m][x]``: probability that ``table`` declares the drug promising, given ``x`` responses among the first ``m`` patients.

    Computed at true rate ``p`` under the table as planned (no curtailment);
    the decision at look ``m`` applies first (0 or 1 where it stops the trial).

    Parameters
    ----------
    table : DecisionTable
        A table without toxicity bounds.
    p : float
        True response rate, in [0, 1].

    Returns
    -------
    list of ndarray
        ``cp[m]`` has ``m + 1`` entries, ``x = 0..m``.

    References
    ----------
    Lan KKG, Simon R, Halperin M. Stochastically curtailed tests in long-term
    clinical trials. Communications in Statistics C 1982;1:207-219.

    Examples
    --------
    >>> cp = conditional_power(DecisionTable.simon(1, 10, 5, 29), 0.3)
    >>> float(cp[10][1]), float(cp[10][6])
    (0.0, 1.0)
    >>> round(float(cp[0][0]), 4)  # the power itself
    0.8051
    """
    table = _check_table(table)
    p = float(check_closed_probs("p", p))
    n = table.n_max
    fut, eff = _look_rules(table)
    x = np.arange(n + 1)
    cp = [np.zeros(0)] * (n + 1)
    cp[n] = (x > fut[n]).astype(float)
    for m in range(n - 1, -1, -1):
        xm = x[: m + 1]
        cont = p * cp[m + 1][1 : m + 2] + (1.0 - p) * cp[m + 1][: m + 1]
        cp[m] = np.where(xm <= fut[m], 0.0, np.where(xm >= eff[m], 1.0, cont))
    return cp


def _table_from_stops(table: DecisionTable, stop_f: list[np.ndarray], stop_e: list[np.ndarray], label: str) -> DecisionTable:
    """A table with a look at every patient from the stop sets ``stop_f[m]``, ``stop_e[m]`` (thresholds in x).

    Bounds at responses no running trial can have are raised to keep the
    futility bounds non-decreasing and each efficacy bound above its
    futility bound (see the module docstring); reachable decisions are those
    of the stop sets.
    """
    n = table.n_max
    fut: list[int] = []
    eff: list[int | None] = []
    floor = NO_FUTILITY
    for m in range(1, n + 1):
        f = int(np.flatnonzero(stop_f[m]).max()) if stop_f[m].any() else NO_FUTILITY
        if f >= m:
            raise DesignError(f"{label}: every trial would stop for futility after {m} patient(s), whatever "
                              "they show")
        floor = max(floor, f)
        fut.append(floor)
        if m == n:
            eff.append(None)
            continue
        e = int(np.flatnonzero(stop_e[m]).min()) if stop_e[m].any() else None
        if e == 0:
            raise DesignError(f"{label}: every trial would stop declaring the drug promising after {m} "
                              "patient(s), whatever they show")
        if e is not None:
            e = max(e, floor + 1)
        eff.append(e if e is not None and e <= m else None)
    return DecisionTable(looks=tuple(range(1, n + 1)), futility=tuple(fut), efficacy=tuple(eff), label=label)


def curtail(table: DecisionTable, mode: str = "futility") -> DecisionTable:
    """Non-stochastic curtailment of ``table``: a look at every patient, stopping once the decision is determined.

    Parameters
    ----------
    table : DecisionTable
        Looks and bounds of the design (no toxicity bounds).
    mode : {"futility", "both"}
        ``"futility"``: stop as soon as "not promising" is certain (the
        table's own efficacy stops stay). ``"both"``: also stop as soon as
        "promising" is certain.

    Returns
    -------
    DecisionTable
        Looks ``1, 2, ..., N``. Every trial reaches the same decision as
        under ``table``, so its type I error and power are the table's;
        :meth:`~DecisionTable.oc` gives the exact ``E(N)`` and, through
        :meth:`~TableOC.sample_size_distribution`, the distribution of the
        number of patients at the stop.

    Raises
    ------
    DesignError
        Unknown mode, or a table with toxicity bounds.

    References
    ----------
    Jung SH, Carey M, Kim KM. Graphical search for two-stage designs for
    phase II clinical trials. Controlled Clinical Trials 2001;22:367-372.

    Chi Y, Chen CM. Curtailed two-stage designs in phase II clinical trials.
    Statistics in Medicine 2008;27:6175-6189.

    Examples
    --------
    >>> t = DecisionTable.simon(1, 10, 5, 29)
    >>> c = curtail(t, "futility")
    >>> c.n_looks, c.futility[9], c.futility[-1]
    (29, 1, 5)
    >>> oc, full = c.oc(0.1), t.oc(0.1)
    >>> abs(float(oc.p_reject[0] - full.p_reject[0])) < 1e-12, float(oc.en[0]) < float(full.en[0])
    (True, True)
    """
    table = _check_table(table)
    if mode not in CURTAIL_MODES:
        raise DesignError(f"mode must be one of {', '.join(CURTAIL_MODES)}, got {mode!r}")
    can_p, can_f = _determined(table)
    n = table.n_max
    _, eff = _look_rules(table)
    stop_f = [~can_p[m] for m in range(n + 1)]
    if mode == "both":
        stop_e = [~can_f[m] & can_p[m] for m in range(n + 1)]
    else:
        stop_e = [np.arange(m + 1) >= eff[m] for m in range(n + 1)]
    return _table_from_stops(table, stop_f, stop_e, f"{table} curtailed ({mode})")


def stochastic_curtail(table: DecisionTable, p: float, futility_below: float,
                       efficacy_above: float | None = None) -> DecisionTable:
    """Stochastic curtailment of ``table`` at conditional-power thresholds.

    After each patient the trial stops for futility if the conditional power
    at rate ``p`` (:func:`conditional_power`) is below ``futility_below``, and,
    when ``efficacy_above`` is given, stops declaring the drug promising if
    it is above ``efficacy_above``. The table's own stops stay.

    Parameters
    ----------
    table : DecisionTable
        Looks and bounds of the design (no toxicity bounds).
    p : float
        Rate at which the conditional power is computed (usually ``p1``).
    futility_below : float
        Threshold in [0, 1).
    efficacy_above : float, optional
        Threshold in (0, 1].

    Returns
    -------
    DecisionTable
        Looks ``1, ..., N``; :meth:`~DecisionTable.oc` gives its exact type
        I error, power and ``E(N)``, which differ from the table's.

    References
    ----------
    Lan KKG, Simon R, Halperin M. Stochastically curtailed tests in long-term
    clinical trials. Communications in Statistics C 1982;1:207-219.

    Law M, Grayling MJ, Mander AP. A stochastically curtailed single-arm
    phase II trial design for binary outcomes. Journal of Biopharmaceutical
    Statistics 2022;32:671-691.

    Examples
    --------
    >>> t = DecisionTable.simon(1, 10, 5, 29)
    >>> s = stochastic_curtail(t, 0.3, 0.1)
    >>> oc, full = s.oc([0.1, 0.3]), t.oc([0.1, 0.3])
    >>> bool(oc.p_reject[0] <= full.p_reject[0]), bool(oc.p_reject[1] < full.p_reject[1])
    (True, True)
    """
    table = _check_table(table)
    theta_f = float(futility_below)
    if not 0.0 <= theta_f < 1.0:
        raise DesignError(f"futility_below must be in [0, 1), got {futility_below!r}")
    theta_e = None if efficacy_above is None else float(efficacy_above)
    if theta_e is not None and not (0.0 < theta_e <= 1.0 and theta_e > theta_f):
        raise DesignError(f"efficacy_above must be in (0, 1] and above futility_below, got {efficacy_above!r}")
    cp = conditional_power(table, p)
    n = table.n_max
    fut, eff = _look_rules(table)
    stop_f, stop_e = [], []
    for m in range(n + 1):
        xm = np.arange(m + 1)
        stop_f.append((xm <= fut[m]) | (cp[m] < theta_f))
        e = xm >= eff[m]
        if theta_e is not None:
            e = e | (cp[m] > theta_e)
        stop_e.append(e & ~stop_f[m])
    label = f"{table} stochastically curtailed (CP at p={p:g} < {theta_f:g}" + (
        f", > {theta_e:g})" if theta_e is not None else ")")
    return _table_from_stops(table, stop_f, stop_e, label)
