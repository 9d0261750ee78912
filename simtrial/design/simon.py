"""Simon two-stage designs and their exact operating characteristics.

Notation follows Simon (1989): stage 1 treats ``n1`` patients and stops for
futility when the number of responses ``X1 <= r1``; otherwise ``n2 = n - n1``
more are treated and the drug is declared promising when the total number of
responses ``X > r``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from simtrial.design._binom import binom_cdf, binom_pmf_rows, binom_sf_rows

from simtrial.design._checks import check_closed_probs, check_int
from simtrial.design.tables import DecisionTable
from simtrial.errors import DesignError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SimonDesign", "OperatingCharacteristics"]


def _scalar_or_array(arr: np.ndarray, scalar: bool) -> float | np.ndarray:
    return float(arr) if scalar else arr


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Exact operating characteristics of a two-stage design over response rates.

    Attributes
    ----------
    design : SimonDesign
        The design evaluated.
    p : ndarray
        True response rates, 1-D.
    pet : ndarray
        Probability of early termination after stage 1, ``P(X1 <= r1)``.
    en : ndarray
        Expected number of patients, ``n1 + (1 - pet) * n2``.
    p_reject : ndarray
        Probability of declaring the drug promising (``X1 > r1`` and ``X > r``).
    p_continue_fail : ndarray
        Probability of reaching stage 2 and not declaring the drug promising.
        ``pet + p_continue_fail + p_reject == 1``: the three terminal outcomes.
    """

    design: SimonDesign
    p: np.ndarray
    pet: np.ndarray
    en: np.ndarray
    p_reject: np.ndarray
    p_continue_fail: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per response rate, with the design's parameters as columns."""
        import pandas as pd

        d = self.design
        return pd.DataFrame(
            {
                "r1": d.r1,
                "n1": d.n1,
                "r": d.r,
                "n": d.n,
                "p": self.p,
                "pet": self.pet,
                "en": self.en,
                "p_reject": self.p_reject,
                "p_continue_fail": self.p_continue_fail,
            }
        )

    def to_records(self) -> list[dict[str, float]]:
        """One plain dict per response rate (JSON-ready)."""
        return [
            {
                "p": float(p),
                "p_reject": float(rej),
                "pet": float(pet),
                "en": float(en),
                "p_continue_fail": float(cf),
            }
            for p, rej, pet, en, cf in zip(
                self.p, self.p_reject, self.pet, self.en, self.p_continue_fail, strict=True
            )
        ]


@dataclass(frozen=True)
class SimonDesign:
    """A Simon two-stage design ``r1/n1, r/n``.

    Stop after ``n1`` patients if at most ``r1`` respond; otherwise enrol
    ``n2 = n - n1`` more and declare the drug promising if more than ``r`` of
    all ``n`` respond.

    Parameters
    ----------
    r1 : int
        Largest number of stage-1 responses that stops the trial (>= 0).
    n1 : int
        Stage-1 sample size (> r1).
    r : int
        Largest total number of responses that does not declare the drug
        promising (r1 <= r < n).
    n : int
        Total sample size (> n1).

    Raises
    ------
    DesignError
        If the numbers are negative or violate ``r1 < n1 < n``, ``r1 <= r < n``.

    References
    ----------
    Simon R. Optimal two-stage designs for phase II clinical trials.
    Controlled Clinical Trials 1989;10:1-10.

    Examples
    --------
    >>> d = SimonDesign(r1=1, n1=10, r=5, n=29)
    >>> d.n2
    19
    >>> round(d.pet(0.1), 4), round(d.en(0.1), 2), round(d.p_reject(0.3), 4)
    (0.7361, 15.01, 0.8051)
    """

    r1: int
    n1: int
    r: int
    n: int

    def __post_init__(self) -> None:
        for name in ("r1", "n1", "r", "n"):
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=0))
        if self.n1 < 1:
            raise DesignError(f"n1 must be >= 1, got {self.n1}")
        if self.r1 >= self.n1:
            raise DesignError(f"r1 must be smaller than n1, got r1={self.r1} >= n1={self.n1}")
        if self.n1 >= self.n:
            raise DesignError(f"n1 must be smaller than n, got n1={self.n1} >= n={self.n}")
        if self.r >= self.n:
            raise DesignError(f"r must be smaller than n, got r={self.r} >= n={self.n}")
        if self.r < self.r1:
            raise DesignError(f"r must be >= r1, got r={self.r} < r1={self.r1}")

    # -- basic quantities ---------------------------------------------------

    @property
    def n2(self) -> int:
        """Stage-2 sample size ``n - n1``."""
        return self.n - self.n1

    def __str__(self) -> str:
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    def to_dict(self) -> dict[str, int]:
        """The four design numbers as a plain dict."""
        return {"r1": self.r1, "n1": self.n1, "r": self.r, "n": self.n}

    def table(self) -> DecisionTable:
        """The design as a :class:`~simtrial.design.tables.DecisionTable`: looks ``(n1, n)``, futility ``(r1, r)``.

        Examples
        --------
        >>> SimonDesign(1, 10, 5, 29).table().looks
        (10, 29)
        """
        return DecisionTable.simon(self.r1, self.n1, self.r, self.n)

    # -- exact operating characteristics -------------------------------------

    def pet(self, p: float | np.ndarray) -> float | np.ndarray:
        """Probability of early termination ``P(X1 <= r1)`` at response rate ``p``.

        Examples
        --------
        >>> round(SimonDesign(1, 10, 5, 29).pet(0.1), 10)
        0.7360989291
        """
        arr, scalar = self._p(p)
        return _scalar_or_array(binom_cdf(self.r1, self.n1, arr), scalar)

    def en(self, p: float | np.ndarray) -> float | np.ndarray:
        """Expected sample size ``n1 + (1 - PET(p)) * n2``.

        Examples
        --------
        >>> round(SimonDesign(1, 10, 5, 29).en(0.1), 10)
        15.0141203471
        """
        arr, scalar = self._p(p)
        en = self.n1 + (1.0 - binom_cdf(self.r1, self.n1, arr)) * self.n2
        return _scalar_or_array(en, scalar)

    def p_reject(self, p: float | np.ndarray) -> float | np.ndarray:
        """Probability of declaring the drug promising (``X1 > r1`` and ``X > r``).

        At ``p = p0`` this is the type I error; at ``p = p1`` the power.

        Examples
        --------
        >>> d = SimonDesign(1, 10, 5, 29)
        >>> round(d.p_reject(0.1), 6), round(d.p_reject(0.3), 6)
        (0.047086, 0.805063)
        """
        arr, scalar = self._p(p)
        return _scalar_or_array(self._p_reject(arr), scalar)

    def oc(self, p: float | np.ndarray) -> OperatingCharacteristics:
        """Exact operating characteristics at one or more response rates.

        Parameters
        ----------
        p : float or array_like
            True response rate(s) in [0, 1].

        Returns
        -------
        OperatingCharacteristics
            Arrays ``p``, ``pet``, ``en``, ``p_reject``, ``p_continue_fail``.

        Examples
        --------
        >>> oc = SimonDesign(1, 10, 5, 29).oc([0.1, 0.3])
        >>> [round(float(v), 4) for v in oc.pet]
        [0.7361, 0.1493]
        """
        arr = np.atleast_1d(check_closed_probs("p", p)).astype(float).ravel()
        pet = binom_cdf(self.r1, self.n1, arr)
        rej = self._p_reject(arr)
        # Clip: the three outcome probabilities are computed separately and
        # their sum differs from 1 only by rounding.
        cont_fail = np.clip(1.0 - pet - rej, 0.0, 1.0)
        return OperatingCharacteristics(
            design=self,
            p=arr,
            pet=pet,
            en=self.n1 + (1.0 - pet) * self.n2,
            p_reject=rej,
            p_continue_fail=cont_fail,
        )

    def outcome_probabilities(self, p: float) -> pd.DataFrame:
        """Probability of every terminal outcome ``(stage, total responses)``.

        Parameters
        ----------
        p : float
            True response rate in [0, 1].

        Returns
        -------
        pandas.DataFrame
            Columns ``stage`` (1 = stopped after stage 1, 2 = completed),
            ``responses`` (total responses), ``promising`` (bool) and
            ``prob``; the probabilities sum to 1.

        Examples
        --------
        >>> t = SimonDesign(1, 10, 5, 29).outcome_probabilities(0.2)
        >>> round(float(t["prob"].sum()), 12)
        1.0
        """
        import pandas as pd

        pv = float(check_closed_probs("p", p))
        x1 = np.arange(self.n1 + 1)
        b1 = binom_pmf_rows(self.n1, np.float64(pv))
        stage1 = pd.DataFrame(
            {"stage": 1, "responses": x1[: self.r1 + 1], "promising": False, "prob": b1[: self.r1 + 1]}
        )
        # Total X = X1 + X2 over continuing X1: a convolution of the truncated
        # stage-1 distribution with the stage-2 binomial.
        cont = np.where(x1 > self.r1, b1, 0.0)
        b2 = binom_pmf_rows(self.n2, np.float64(pv))
        total = np.convolve(cont, b2)
        xs = np.arange(self.r1 + 1, self.n + 1)
        stage2 = pd.DataFrame(
            {"stage": 2, "responses": xs, "promising": xs > self.r, "prob": total[self.r1 + 1 :]}
        )
        return pd.concat([stage1, stage2], ignore_index=True)

    # -- helpers -------------------------------------------------------------

    @staticmethod
    def _p(p: Any) -> tuple[np.ndarray, bool]:
        arr = check_closed_probs("p", p)
        return arr.astype(float), arr.ndim == 0

    def _p_reject(self, p: np.ndarray) -> np.ndarray:
        x1 = np.arange(self.r1 + 1, self.n1 + 1)
        pp = p[..., None]
        # binom.sf(k) = P(X2 > k); it is 1 for k < 0 and 0 for k >= n2, which
        # covers stage-1 counts that already exceed r.
        b1 = binom_pmf_rows(self.n1, p)[..., self.r1 + 1 :]
        # P(X2 > r - x1): 1 when r - x1 < 0 (stage 1 alone already exceeds r).
        sf2 = np.concatenate([binom_sf_rows(self.n2, p), np.zeros(p.shape + (1,))], axis=-1)
        k = self.r - x1
        tail = np.where(k < 0, 1.0, sf2[..., np.clip(k, 0, self.n2)])
        return (b1 * tail).sum(axis=-1)
