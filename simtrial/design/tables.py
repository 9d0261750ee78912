"""Decision tables: any single-arm design with looks, and its exact operating characteristics.

A design is data. Its looks ``n_1 < ... < n_K`` are cumulative numbers of
evaluable patients. At look ``k < K`` the trial

* stops for futility if responses ``<= a_k`` (``a_k = -1``: no futility stop),
* stops and declares the drug promising if responses ``>= b_k`` (optional),
* stops for toxicity if patients with toxicity ``>= t_k`` (optional, joint designs);

at the last look the drug is declared promising if responses ``> a_K`` (and,
for a joint design, patients with toxicity ``< t_K``). Simon's design
``(r1, n1, r, n)`` is looks ``(n1, n)`` with futility bounds ``(r1, r)``.

When one look meets several rules, toxicity comes first (an unsafe drug is
never declared promising), then futility and efficacy, which cannot both hold
(``b_k > a_k``).

Exact operating characteristics follow by dynamic programming over the looks:
the distribution of the number of responses (and, jointly, of patients with
toxicity) among trials still running is carried from look to look by
binomial increments, vectorised over the true rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simtrial.design._binom import binom_pmf_rows
from simtrial.design._checks import check_closed_probs, check_int
from simtrial.errors import DesignError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DecisionTable",
    "TableOC",
    "ToxicityMonitor",
    "joint_cell_probabilities",
    "grid_oc",
    "grid_oc_joint",
    "GridOC",
    "NO_FUTILITY",
]

#: Futility bound meaning "no futility stop at this look" (responses <= -1 never holds).
NO_FUTILITY = -1


def _int_tuple(name: str, values: Any, *, minimum: int) -> tuple[int, ...]:
    try:
        seq = list(values)
    except TypeError:
        raise DesignError(f"{name} must be a list of integers, got {values!r}") from None
    return tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(seq))


def _optional_tuple(name: str, values: Any, k: int, *, minimum: int) -> tuple[int | None, ...]:
    seq = list(values)
    if len(seq) != k:
        raise DesignError(f"{name} needs one entry per look ({k}), got {len(seq)}")
    return tuple(None if v is None else check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(seq))


@dataclass(frozen=True)
class DecisionTable:
    """The looks and stopping bounds of a single-arm design.

    Parameters
    ----------
    looks : sequence of int
        Cumulative numbers of evaluable patients at the looks, strictly
        increasing, the last one the maximum sample size.
    futility : sequence of int
        ``a_k``: stop for futility at look ``k`` if responses ``<= a_k``
        (``-1`` for no futility stop there); at the last look, the drug is
        declared promising if responses ``> a_K``. Non-decreasing.
    efficacy : sequence of int or None, optional
        ``b_k`` for every look (``None`` where there is no efficacy stop; the
        last entry is always ``None``, or the list may leave it out): stop
        and declare the drug promising if responses ``>= b_k``. Each
        ``b_k > a_k``; the given bounds are non-decreasing.
    toxicity : sequence of int or None, optional
        ``t_k`` for every look (``None`` where there is none): stop for
        toxicity if patients with toxicity ``>= t_k``; at the last look the
        drug is promising only if patients with toxicity ``< t_K``.
    label : str, optional
        A short name for tables ("Simon 1/10, 5/29").

    Raises
    ------
    DesignError
        One line naming the bound that is out of order or out of range.

    Examples
    --------
    >>> t = DecisionTable.simon(1, 10, 5, 29)
    >>> t.looks, t.futility
    ((10, 29), (1, 5))
    >>> round(float(t.oc(0.1).p_reject[0]), 6)
    0.047086
    """

    looks: tuple[int, ...]
    futility: tuple[int, ...]
    efficacy: tuple[int | None, ...] = field(default=())
    toxicity: tuple[int | None, ...] | None = None
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        looks = _int_tuple("looks", self.looks, minimum=1)
        k = len(looks)
        if k == 0:
            raise DesignError("looks must name at least one look")
        for i in range(1, k):
            if looks[i] <= looks[i - 1]:
                raise DesignError(f"looks must be strictly increasing, got {list(looks)}")
        fut = _int_tuple("futility", self.futility, minimum=NO_FUTILITY)
        if len(fut) != k:
            raise DesignError(f"futility needs one bound per look ({k}), got {len(fut)}")
        for i, (a, n) in enumerate(zip(fut, looks)):
            if a >= n:
                raise DesignError(f"futility[{i}] = {a} stops every trial at look {i + 1} ({n} patients); "
                                  f"it must be below {n}")
        for i in range(1, k):
            if fut[i] < fut[i - 1]:
                raise DesignError(f"futility bounds must not decrease, got {list(fut)}")
        eff_in = list(self.efficacy) if self.efficacy else []
        if len(eff_in) == k - 1:
            eff_in.append(None)
        if not eff_in:
            eff_in = [None] * k
        eff = _optional_tuple("efficacy", eff_in, k, minimum=1)
        if eff[-1] is not None:
            raise DesignError("efficacy: the last look has no efficacy bound; the drug is promising there "
                              f"if responses > futility[{k - 1}] = {fut[-1]}")
        given = [(i, b) for i, b in enumerate(eff) if b is not None]
        for i, b in given:
            if b <= fut[i]:
                raise DesignError(f"efficacy[{i}] = {b} must be above futility[{i}] = {fut[i]}")
            if b > looks[i]:
                raise DesignError(f"efficacy[{i}] = {b} can never be reached with {looks[i]} patients at look {i + 1}")
        for (i, b), (j, c) in zip(given, given[1:]):
            if c < b:
                raise DesignError(f"efficacy bounds must not decrease, got efficacy[{i}] = {b} > efficacy[{j}] = {c}")
        tox = None
        if self.toxicity is not None:
            tox = _optional_tuple("toxicity", self.toxicity, k, minimum=0)
            if all(t is None for t in tox):
                tox = None
        object.__setattr__(self, "looks", looks)
        object.__setattr__(self, "futility", fut)
        object.__setattr__(self, "efficacy", eff)
        object.__setattr__(self, "toxicity", tox)
        object.__setattr__(self, "label", str(self.label))

    # -- construction --------------------------------------------------------

    @classmethod
    def simon(cls, r1: int, n1: int, r: int, n: int) -> DecisionTable:
        """Simon's two-stage design ``r1/n1, r/n`` as a table: looks ``(n1, n)``, futility ``(r1, r)``.

        Examples
        --------
        >>> DecisionTable.simon(1, 10, 5, 29).to_dict()["futility"]
        [1, 5]
        """
        return cls(looks=(n1, n), futility=(r1, r), label=f"Simon {r1}/{n1}, {r}/{n}")

    # -- basic quantities ----------------------------------------------------

    @property
    def n_looks(self) -> int:
        """Number of looks ``K``."""
        return len(self.looks)

    @property
    def n_max(self) -> int:
        """Maximum number of evaluable patients (the last look)."""
        return self.looks[-1]

    @property
    def has_efficacy(self) -> bool:
        """Whether any interim look can stop for efficacy."""
        return any(b is not None for b in self.efficacy)

    @property
    def is_joint(self) -> bool:
        """Whether the table has toxicity bounds (response and toxicity monitored jointly)."""
        return self.toxicity is not None

    def __str__(self) -> str:
        return self.label or self.compact()

    def compact(self) -> str:
        """``"a1/n1, a2/n2[, eff b1]"``: the bounds in Simon's notation."""
        parts = [f"{a if a >= 0 else '-'}/{n}" for a, n in zip(self.futility, self.looks)]
        eff = [f"{b}" if b is not None else "-" for b in self.efficacy[:-1]]
        text = ", ".join(parts)
        if self.has_efficacy:
            text += f"; efficacy {','.join(eff)}"
        if self.toxicity is not None:
            text += "; toxicity " + ",".join("-" if t is None else str(t) for t in self.toxicity)
        return text

    def to_dict(self) -> dict[str, Any]:
        """``{"looks", "futility", "efficacy", "toxicity"}`` as JSON-ready lists (None = no bound)."""
        return {
            "looks": list(self.looks),
            "futility": list(self.futility),
            "efficacy": list(self.efficacy),
            "toxicity": None if self.toxicity is None else list(self.toxicity),
        }

    def boundary_frame(self) -> pd.DataFrame:
        """One row per look: ``look, n, futility (stop if responses <=), efficacy (>=), toxicity (>=)``."""
        import pandas as pd

        tox = self.toxicity or (None,) * self.n_looks
        return pd.DataFrame(
            {
                "look": np.arange(1, self.n_looks + 1),
                "n": list(self.looks),
                "stop_if_responses_le": [None if a < 0 else a for a in self.futility],
                "stop_if_responses_ge": list(self.efficacy),
                "stop_if_toxicities_ge": list(tox),
            }
        )

    def describe(self) -> list[str]:
        """The rule in words a protocol can quote, one sentence per look.

        Examples
        --------
        >>> DecisionTable.simon(1, 10, 5, 29).describe()[0]
        'After 10 evaluable patients, the trial stops for futility if 1 or fewer have responded.'
        """
        out = []
        k_last = self.n_looks - 1
        for k, (n, a, b) in enumerate(zip(self.looks, self.futility, self.efficacy)):
            t = None if self.toxicity is None else self.toxicity[k]
            if k < k_last:
                rules = []
                if a >= 0:
                    rules.append(f"stops for futility if {a} or fewer have responded")
                if b is not None:
                    rules.append(f"stops and declares the drug promising if {b} or more have responded")
                if t is not None:
                    rules.append(f"stops for toxicity if {t} or more have had a toxicity")
                if not rules:
                    continue
                out.append(f"After {n} evaluable patients, the trial " + "; it ".join(rules) + ".")
            else:
                text = f"After {n} evaluable patients, the drug is declared promising if {a + 1} or more have responded"
                if t is not None:
                    text += f" and fewer than {t} have had a toxicity"
                out.append(text + ".")
        return out

    # -- exact operating characteristics -------------------------------------

    def oc(
        self,
        p: float | np.ndarray,
        q: float | np.ndarray | None = None,
        *,
        odds_ratio: float | np.ndarray = 1.0,
    ) -> TableOC:
        """Exact operating characteristics at true response rates ``p``.

        Parameters
        ----------
        p : float or array_like
            True response probabilities in [0, 1].
        q : float or array_like, optional
            True toxicity probabilities (needed when the table has toxicity
            bounds; broadcast against ``p``).
        odds_ratio : float or array_like
            Odds ratio between response and toxicity in one patient (1 =
            independent; broadcast against ``p``).

        Returns
        -------
        TableOC

        Examples
        --------
        >>> oc = DecisionTable.simon(1, 10, 5, 29).oc([0.1, 0.3])
        >>> [round(float(v), 4) for v in oc.pet]
        [0.7361, 0.1493]
        """
        p_arr = np.atleast_1d(check_closed_probs("p", p)).astype(float).ravel()
        if self.toxicity is None:
            if q is not None:
                q_arr = np.atleast_1d(check_closed_probs("q", q)).astype(float).ravel()
                p_arr, q_arr = np.broadcast_arrays(p_arr, q_arr)
                p_arr, q_arr = p_arr.copy(), q_arr.copy()
            else:
                q_arr = None
            return _oc_response(self, p_arr, q_arr)
        if q is None:
            raise DesignError("q: a table with toxicity bounds needs the true toxicity rate q")
        q_arr = np.atleast_1d(check_closed_probs("q", q)).astype(float).ravel()
        psi = np.atleast_1d(np.asarray(odds_ratio, dtype=float)).ravel()
        if np.any(~np.isfinite(psi)) or np.any(psi <= 0.0):
            raise DesignError(f"odds_ratio must be a finite number > 0, got {odds_ratio!r}")
        p_arr, q_arr, psi = (a.copy() for a in np.broadcast_arrays(p_arr, q_arr, psi))
        return _oc_joint(self, p_arr, q_arr, psi)


@dataclass(frozen=True)
class TableOC:
    """Exact operating characteristics of a :class:`DecisionTable` over true rates.

    Arrays are indexed ``[s, k]``: scenario ``s`` (an entry of ``p``), look
    ``k``. Every trial ends at exactly one look with exactly one decision,
    so ``futility + efficacy + toxicity`` summed over looks is 1 (to
    rounding) for every scenario.

    Attributes
    ----------
    table : DecisionTable
    p : ndarray
        True response rates.
    q : ndarray or None
        True toxicity rates (joint tables, or when given).
    futility : ndarray
        ``P(stop at look k, not promising, not for toxicity)``; at the last
        look, the trials that end not promising.
    efficacy : ndarray
        ``P(stop at look k, promising)``; at the last look, promising at the
        final analysis.
    toxicity : ndarray
        ``P(stop at look k for toxicity)``; at the last look, trials whose
        responses exceed ``a_K`` but whose toxicities reach ``t_K``.
    responses : list of ndarray
        ``responses[k][s, x]``: probability of stopping at look ``k`` with
        ``x`` responses (any decision).
    """

    table: DecisionTable
    p: np.ndarray
    q: np.ndarray | None
    futility: np.ndarray
    efficacy: np.ndarray
    toxicity: np.ndarray
    responses: list[np.ndarray] = field(repr=False)

    @property
    def stop(self) -> np.ndarray:
        """``P(the trial ends at look k)`` for every decision, ``[s, k]``."""
        return self.futility + self.efficacy + self.toxicity

    @property
    def reach(self) -> np.ndarray:
        """``P(look k takes place)``, ``[s, k]`` (1 at the first look)."""
        stop = self.stop
        before = np.concatenate([np.zeros((stop.shape[0], 1)), np.cumsum(stop[:, :-1], axis=1)], axis=1)
        return np.clip(1.0 - before, 0.0, 1.0)

    @property
    def pet_by_look(self) -> np.ndarray:
        """``P(stop for futility at interim look k)``, ``[s, k]`` for ``k < K``."""
        return self.futility[:, :-1]

    @property
    def pet(self) -> np.ndarray:
        """Probability of an early stop for futility (before the last look)."""
        return self.futility[:, :-1].sum(axis=1)

    @property
    def p_early_efficacy(self) -> np.ndarray:
        """Probability of stopping early and declaring the drug promising."""
        return self.efficacy[:, :-1].sum(axis=1)

    @property
    def p_early_toxicity(self) -> np.ndarray:
        """Probability of stopping early for toxicity."""
        return self.toxicity[:, :-1].sum(axis=1)

    @property
    def p_early_stop(self) -> np.ndarray:
        """Probability of stopping before the last look, for any reason."""
        return self.stop[:, :-1].sum(axis=1)

    @property
    def p_reject(self) -> np.ndarray:
        """``P(declare promising)``: early efficacy stops plus promising at the final look."""
        return self.efficacy.sum(axis=1)

    @property
    def en(self) -> np.ndarray:
        """Expected number of evaluable patients, ``sum_k n_k P(stop at look k)``."""
        return self.stop @ np.asarray(self.table.looks, dtype=float)

    def sample_size_distribution(self) -> dict[int, np.ndarray]:
        """``{n_k: P(N = n_k)}``, the distribution of the number of evaluable patients."""
        return {n: self.stop[:, k] for k, n in enumerate(self.table.looks)}

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per scenario: ``p, p_reject, pet, p_early_efficacy, en, pet_by_look`` (+ toxicity keys)."""
        out = []
        for s in range(self.p.size):
            rec: dict[str, Any] = {
                "p": float(self.p[s]),
                "p_reject": float(self.p_reject[s]),
                "pet": float(self.pet[s]),
                "p_early_efficacy": float(self.p_early_efficacy[s]),
                "en": float(self.en[s]),
                "pet_by_look": [float(v) for v in self.pet_by_look[s]],
                "efficacy_by_look": [float(v) for v in self.efficacy[s, :-1]],
            }
            if self.q is not None:
                rec["q"] = float(self.q[s])
            if self.table.is_joint:
                rec["p_early_toxicity"] = float(self.p_early_toxicity[s])
                rec["p_stop_toxicity"] = float(self.toxicity[s].sum())
            out.append(rec)
        return out


def _convolve_last(dist: np.ndarray, inc: np.ndarray) -> np.ndarray:
    """Distribution of ``X + D`` along the last axis: ``dist[..., x]`` and ``inc[s, d]`` per scenario row ``s``.

    Summed term by term (non-negative terms, no FFT), so each entry keeps
    its relative precision.
    """
    m = inc.shape[-1] - 1
    width = dist.shape[-1]
    out = np.zeros(dist.shape[:-1] + (width + m,))
    shape = (inc.shape[0],) + (1,) * (dist.ndim - 1)
    for d in range(m + 1):
        out[..., d : d + width] += dist * inc[:, d].reshape(shape)
    return out


def _oc_response(table: DecisionTable, p: np.ndarray, q: np.ndarray | None) -> TableOC:
    """The DP over looks for response alone (see the module docstring)."""
    s = p.size
    k_looks = table.n_looks
    fut = np.zeros((s, k_looks))
    eff = np.zeros((s, k_looks))
    responses = []
    dist = np.ones((s, 1))  # P(x responses among 0 patients, still running)
    prev = 0
    for k, (n, a, b) in enumerate(zip(table.looks, table.futility, table.efficacy)):
        dist = _convolve_last(dist, binom_pmf_rows(n - prev, p))
        prev = n
        x = np.arange(dist.shape[1])
        last = k == k_looks - 1
        stop_f = x <= a
        stop_e = (x > a) if last else ((x >= b) if b is not None else np.zeros_like(stop_f))
        fut[:, k] = (dist * stop_f).sum(axis=1)
        eff[:, k] = (dist * stop_e).sum(axis=1)
        stopping = stop_f | stop_e
        responses.append(dist * stopping)
        dist = dist * ~stopping
    return TableOC(table=table, p=p, q=q, futility=fut, efficacy=eff, toxicity=np.zeros((s, k_looks)),
                   responses=responses)


def joint_cell_probabilities(p: np.ndarray, q: np.ndarray, odds_ratio: np.ndarray) -> np.ndarray:
    """Cell probabilities of (response, toxicity) in one patient with given margins and odds ratio.

    Returns ``[s, 4]`` in the order (response & toxicity, response only,
    toxicity only, neither). With odds ratio ``psi != 1`` the joint
    probability ``p11`` is the root in ``[max(0, p + q - 1), min(p, q)]`` of
    ``psi (p - p11)(q - p11) = p11 (1 - p - q + p11)`` (Plackett 1965).

    Examples
    --------
    >>> c = joint_cell_probabilities(np.array([0.3]), np.array([0.2]), np.array([1.0]))
    >>> [round(float(v), 4) for v in c[0]]
    [0.06, 0.24, 0.14, 0.56]
    """
    p, q, psi = (np.asarray(a, dtype=float) for a in np.broadcast_arrays(p, q, odds_ratio))
    p11 = p * q
    dep = psi != 1.0
    if np.any(dep):
        pp, qq, ps = p[dep], q[dep], psi[dep]
        bq = 1.0 + (pp + qq) * (ps - 1.0)
        disc = np.maximum(bq * bq - 4.0 * ps * (ps - 1.0) * pp * qq, 0.0)
        # The root of the two that lies in the Frechet bounds; written to avoid cancellation.
        root = 2.0 * ps * pp * qq / (bq + np.sqrt(disc))
        p11 = p11.copy()
        p11[dep] = np.clip(root, np.maximum(0.0, pp + qq - 1.0), np.minimum(pp, qq))
    p10 = p - p11
    p01 = q - p11
    p00 = 1.0 - p - q + p11
    return np.clip(np.stack([p11, p10, p01, p00], axis=-1), 0.0, 1.0)


def _joint_increment(m: int, cells: np.ndarray) -> np.ndarray:
    """``P(i responses, j toxicities among m patients)``, ``[s, i, j]``.

    Given ``i`` responders, toxicities among them are Bin(i, P(tox | resp))
    and among the others Bin(m - i, P(tox | no resp)), independently.
    """
    p11, p10, p01, p00 = (cells[:, c] for c in range(4))
    p = p11 + p10
    with np.errstate(invalid="ignore", divide="ignore"):
        q_r = np.where(p > 0.0, p11 / np.where(p > 0.0, p, 1.0), 0.0)
        q_n = np.where(p < 1.0, p01 / np.where(p < 1.0, 1.0 - p, 1.0), 0.0)
    q_r = np.clip(q_r, 0.0, 1.0)
    q_n = np.clip(q_n, 0.0, 1.0)
    s = cells.shape[0]
    out = np.zeros((s, m + 1, m + 1))
    b_resp = binom_pmf_rows(m, p)
    for i in range(m + 1):
        tox_r = binom_pmf_rows(i, q_r)
        tox_n = binom_pmf_rows(m - i, q_n)
        out[:, i, :] = b_resp[:, i, None] * _convolve_last(tox_r, tox_n)
    return out


def _oc_joint(table: DecisionTable, p: np.ndarray, q: np.ndarray, psi: np.ndarray) -> TableOC:
    """The DP over looks for response and toxicity jointly."""
    cells = joint_cell_probabilities(p, q, psi)
    s = p.size
    k_looks = table.n_looks
    fut = np.zeros((s, k_looks))
    eff = np.zeros((s, k_looks))
    tox = np.zeros((s, k_looks))
    responses = []
    dist = np.ones((s, 1, 1))  # [s, x, t]
    prev = 0
    assert table.toxicity is not None
    for k, (n, a, b, t_b) in enumerate(zip(table.looks, table.futility, table.efficacy, table.toxicity)):
        m = n - prev
        prev = n
        inc = _joint_increment(m, cells)
        w = dist.shape[1]
        new = np.zeros((s, w + m, w + m))
        for i in range(m + 1):
            for j in range(m + 1):
                new[:, i : i + w, j : j + w] += dist * inc[:, i, j, None, None]
        dist = new
        x = np.arange(dist.shape[1])[:, None]
        t = np.arange(dist.shape[2])[None, :]
        last = k == k_looks - 1
        toxic = (t >= t_b) if t_b is not None else np.zeros((1, dist.shape[2]), dtype=bool)
        toxic = np.broadcast_to(toxic, dist.shape[1:])
        stop_f = (x <= a) & ~toxic
        if last:
            stop_e = (x > a) & ~toxic
        elif b is not None:
            stop_e = (x >= b) & ~toxic
        else:
            stop_e = np.zeros(dist.shape[1:], dtype=bool)
        tox[:, k] = (dist * toxic).sum(axis=(1, 2))
        fut[:, k] = (dist * stop_f).sum(axis=(1, 2))
        eff[:, k] = (dist * stop_e).sum(axis=(1, 2))
        stopping = toxic | stop_f | stop_e
        responses.append((dist * stopping).sum(axis=2))
        dist = dist * ~stopping
    return TableOC(table=table, p=p, q=q, futility=fut, efficacy=eff, toxicity=tox, responses=responses)


@dataclass(frozen=True)
class GridOC:
    """Exact operating characteristics of many response tables with the same looks, ``[t, s]``.

    Attributes
    ----------
    p : ndarray
        True response rates (scenario ``s``).
    p_reject : ndarray
        ``P(declare promising)`` of table ``t`` at ``p[s]``.
    pet : ndarray
        Probability of an early stop for futility.
    p_early_efficacy : ndarray
        Probability of an early stop declaring the drug promising.
    en : ndarray
        Expected number of evaluable patients.
    """

    p: np.ndarray
    p_reject: np.ndarray
    pet: np.ndarray
    p_early_efficacy: np.ndarray
    en: np.ndarray


def grid_oc(
    looks: Any,
    futility: np.ndarray,
    efficacy: np.ndarray | None = None,
    p: float | np.ndarray = 0.5,
) -> GridOC:
    """Exact operating characteristics of many decision tables that share their looks.

    The same dynamic programming as :meth:`DecisionTable.oc` for response
    alone, run on all tables at once (one row per table and true rate), for
    the calibration grids of the Bayesian families, where thousands of
    candidate tables differ only in their bounds. Bounds are not checked
    here: the caller builds them from a rule.

    Parameters
    ----------
    looks : sequence of int
        Strictly increasing look sizes ``n_1 < ... < n_K``.
    futility : array_like of int, shape (T, K)
        ``a_k`` of each table (``-1``: no futility stop at that look).
    efficacy : array_like of int, shape (T, K), optional
        ``b_k`` of each table; any value above ``n_k`` means no efficacy
        stop there. The last column is ignored.
    p : float or array_like
        True response rates.

    Returns
    -------
    GridOC

    Examples
    --------
    >>> g = grid_oc((10, 29), [[1, 5], [0, 4]], p=[0.1, 0.3])
    >>> round(float(g.p_reject[0, 0]), 6), round(float(g.pet[0, 1]), 4)
    (0.047086, 0.1493)
    """
    looks_arr = np.asarray(looks, dtype=np.int64)
    fut = np.atleast_2d(np.asarray(futility, dtype=np.int64))
    t_count, k_looks = fut.shape
    big = int(looks_arr[-1]) + 1
    eff = np.full_like(fut, big) if efficacy is None else np.atleast_2d(np.asarray(efficacy, dtype=np.int64))
    p_arr = np.atleast_1d(check_closed_probs("p", p)).astype(float).ravel()
    s_count = p_arr.size
    # Rows are (scenario, table) pairs: scenario-major, so each scenario's increments are one block.
    rows = s_count * t_count
    fut_r = np.tile(fut, (s_count, 1))
    eff_r = np.tile(eff, (s_count, 1))
    dist = np.ones((rows, 1))
    stop_f = np.zeros((rows, k_looks))
    stop_e = np.zeros((rows, k_looks))
    incs: dict[int, np.ndarray] = {}
    prev = 0
    for k, n in enumerate(looks_arr.tolist()):
        if n - prev not in incs:
            incs[n - prev] = np.repeat(binom_pmf_rows(n - prev, p_arr), t_count, axis=0)
        dist = _convolve_last(dist, incs[n - prev])
        prev = n
        x = np.arange(dist.shape[1])
        f_mask = x[None, :] <= fut_r[:, k, None]
        e_mask = ~f_mask if k == k_looks - 1 else x[None, :] >= eff_r[:, k, None]
        stop_f[:, k] = (dist * f_mask).sum(axis=1)
        stop_e[:, k] = (dist * e_mask).sum(axis=1)
        dist = dist * ~(f_mask | e_mask)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape(s_count, t_count).T.copy()

    en = (stop_f + stop_e) @ looks_arr.astype(float)
    return GridOC(
        p=p_arr,
        p_reject=shaped(stop_e.sum(axis=1)),
        pet=shaped(stop_f[:, :-1].sum(axis=1)),
        p_early_efficacy=shaped(stop_e[:, :-1].sum(axis=1)),
        en=shaped(en),
    )


def grid_oc_joint(
    looks: Any,
    futility: np.ndarray,
    toxicity: np.ndarray,
    cells: np.ndarray,
    efficacy: np.ndarray | None = None,
) -> GridOC:
    """Exact operating characteristics of many joint (response and toxicity) tables that share their looks.

    The dynamic programming of :meth:`DecisionTable.oc` with toxicity
    bounds, run on all tables at once and carried one patient at a time
    (four outcomes per patient, so no table of multinomial increments is
    needed). The rules at a look are those of :class:`DecisionTable`:
    toxicity first, then futility or efficacy; at the last look promising
    means responses ``> a_K`` and toxicities ``< t_K``.

    Parameters
    ----------
    looks : sequence of int
        Strictly increasing look sizes.
    futility : array_like of int, shape (T, K)
        Response bounds ``a_k`` (``-1``: none).
    toxicity : array_like of int, shape (T, K)
        Toxicity bounds ``t_k``; any value above ``n_k`` means none.
    cells : array_like, shape (S, 4)
        Cell probabilities of one patient in the order (response and
        toxicity, response only, toxicity only, neither), one row per
        scenario (:func:`joint_cell_probabilities` gives them from margins
        and an odds ratio).
    efficacy : array_like of int, shape (T, K), optional
        Efficacy bounds ``b_k`` (above ``n_k``: none); the last column is ignored.

    Returns
    -------
    GridOC
        ``p`` holds the response margins of the scenarios.

    Examples
    --------
    >>> c = joint_cell_probabilities(np.array([0.3]), np.array([0.2]), np.array([1.0]))
    >>> g = grid_oc_joint((10, 20), [[1, 4]], [[4, 6]], c)
    >>> t = DecisionTable((10, 20), (1, 4), toxicity=(4, 6))
    >>> bool(abs(g.p_reject[0, 0] - t.oc(0.3, 0.2).p_reject[0]) < 1e-12)
    True
    """
    looks_arr = np.asarray(looks, dtype=np.int64)
    fut = np.atleast_2d(np.asarray(futility, dtype=np.int64))
    tox = np.atleast_2d(np.asarray(toxicity, dtype=np.int64))
    t_count, k_looks = fut.shape
    big = int(looks_arr[-1]) + 1
    eff = np.full_like(fut, big) if efficacy is None else np.atleast_2d(np.asarray(efficacy, dtype=np.int64))
    cells = np.atleast_2d(np.asarray(cells, dtype=float))
    s_count = cells.shape[0]
    out = {key: np.zeros((t_count, s_count)) for key in ("p_reject", "pet", "p_early_efficacy", "en")}
    n_max = int(looks_arr[-1])
    for s in range(s_count):
        p11, p10, p01, p00 = (float(v) for v in cells[s])
        dist = np.zeros((t_count, n_max + 1, n_max + 1))  # [table, responses, toxicities]
        dist[:, 0, 0] = 1.0
        prev = 0
        for k, n in enumerate(looks_arr.tolist()):
            for m in range(prev, n):
                # One more patient: responses and toxicities among m + 1 patients.
                new = dist * p00
                new[:, 1 : m + 2, 1 : m + 2] += dist[:, : m + 1, : m + 1] * p11
                new[:, 1 : m + 2, : m + 1] += dist[:, : m + 1, : m + 1] * p10
                new[:, : m + 1, 1 : m + 2] += dist[:, : m + 1, : m + 1] * p01
                dist = new
            prev = n
            x = np.arange(n_max + 1)
            toxic = x[None, None, :] >= tox[:, k, None, None]
            resp_low = x[None, :, None] <= fut[:, k, None, None]
            stop_f = resp_low & ~toxic
            if k == k_looks - 1:
                stop_e = ~resp_low & ~toxic
            else:
                stop_e = (x[None, :, None] >= eff[:, k, None, None]) & ~toxic
            p_tox = (dist * toxic).sum(axis=(1, 2))
            p_fut = (dist * stop_f).sum(axis=(1, 2))
            p_eff = (dist * stop_e).sum(axis=(1, 2))
            out["en"][:, s] += n * (p_tox + p_fut + p_eff)
            out["p_reject"][:, s] += p_eff
            if k < k_looks - 1:
                out["pet"][:, s] += p_fut
                out["p_early_efficacy"][:, s] += p_eff
            dist = dist * ~(toxic | stop_f | stop_e)
    return GridOC(p=cells[:, 0] + cells[:, 1], **out)


@dataclass(frozen=True)
class ToxicityMonitor:
    """Continuous toxicity monitoring by numbers of treated patients.

    At each look ``m`` (patients whose monitoring window is complete, in
    order of enrolment) the trial stops if patients with a toxicity in the
    window ``>= bound``.

    Parameters
    ----------
    looks : sequence of int
        Numbers of patients at which the rule looks, strictly increasing.
    bounds : sequence of int
        Smallest number of patients with toxicity that stops the trial at each look.
    label : str
        The rule in a few words.
    """

    looks: tuple[int, ...]
    bounds: tuple[int, ...]
    label: str = ""

    def __post_init__(self) -> None:
        looks = _int_tuple("looks", self.looks, minimum=1)
        bounds = _int_tuple("bounds", self.bounds, minimum=0)
        if len(bounds) != len(looks):
            raise DesignError(f"bounds needs one entry per look ({len(looks)}), got {len(bounds)}")
        for i in range(1, len(looks)):
            if looks[i] <= looks[i - 1]:
                raise DesignError(f"looks must be strictly increasing, got {list(looks)}")
        object.__setattr__(self, "looks", looks)
        object.__setattr__(self, "bounds", bounds)

    def bound_at(self, max_patients: int) -> np.ndarray:
        """``int64[max_patients + 1]``: the bound at each number of patients (a huge value where there is no look)."""
        big = np.iinfo(np.int64).max // 4
        out = np.full(max_patients + 1, big, dtype=np.int64)
        for m, b in zip(self.looks, self.bounds):
            if m <= max_patients:
                out[m] = b
        return out

    def stop_probability(self, q: float | np.ndarray, n: int) -> np.ndarray:
        """``P(the rule stops the trial by the time n patients are known)`` at toxicity rates ``q``.

        Exact, by the same dynamic programming as :class:`DecisionTable`
        (one patient at a time).

        Examples
        --------
        >>> mon = ToxicityMonitor(looks=(5, 10), bounds=(3, 5))
        >>> round(float(mon.stop_probability(0.0, 10)[0]), 12)
        0.0
        """
        q_arr = np.atleast_1d(check_closed_probs("q", q)).astype(float).ravel()
        n = check_int("n", n, minimum=0)
        bound = self.bound_at(n)
        dist = np.ones((q_arr.size, 1))
        stopped = np.zeros(q_arr.size)
        step = binom_pmf_rows(1, q_arr)
        for m in range(1, n + 1):
            dist = _convolve_last(dist, step)
            if bound[m] <= m:
                hit = np.arange(dist.shape[1]) >= bound[m]
                stopped += (dist * hit).sum(axis=1)
                dist = dist * ~hit
        return stopped
