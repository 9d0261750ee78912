"""Sample size by simulation: the smallest N whose power reaches the target, with its uncertainty.

The power curve comes from one set of replicates evaluated at every
candidate N (common random numbers), so differences between neighbouring N
are not blurred by independent noise. One noisy crossing of the target is
not an answer; this module reports

* ``n_star``: the smallest candidate from which every larger candidate's
  estimated power reaches the target (robust to a saw-toothed curve);
* ``n_first``: the smallest candidate whose estimated power reaches it;
* a bootstrap interval for ``n_star`` (resampling replicates, which keeps
  the common-random-numbers correlation across N);
* the candidates whose exact (Clopper-Pearson) 95% interval for power
  contains the target: the sizes the simulation cannot tell apart from the
  target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["SampleSizeAnswer", "stable_crossing", "sample_size_from_replicates"]


def stable_crossing(power: np.ndarray, target: float) -> int:
    """Index of the first candidate from which all later ones reach ``target`` (-1 if the last one does not)."""
    ok = np.asarray(power) >= target
    if not ok[-1]:
        return -1
    bad = np.flatnonzero(~ok)
    return int(bad[-1]) + 1 if bad.size else 0


@dataclass(frozen=True)
class SampleSizeAnswer:
    """The simulated sample size and how sure we are of it.

    Attributes
    ----------
    target : float
        Target power.
    sizes : ndarray of int
        Candidate total sizes.
    power, se, ci_low, ci_high : ndarray of float
        Simulated power, its Monte Carlo SE and 95% Clopper-Pearson limits.
    n_star : int or None
        Smallest candidate from which every larger candidate reaches the
        target (None: even the largest does not).
    n_first : int or None
        Smallest candidate whose estimated power reaches the target.
    boot_low, boot_high : int or None
        2.5% and 97.5% bootstrap quantiles of ``n_star`` (None where the
        bootstrap's ``n_star`` lies beyond the grid).
    boot_beyond : float
        Fraction of bootstrap resamples in which no candidate qualifies.
    indistinct_low, indistinct_high : int or None
        Smallest and largest candidate whose 95% interval contains the target.
    n_sim, n_boot : int
    """

    target: float
    sizes: np.ndarray
    power: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_star: int | None
    n_first: int | None
    boot_low: int | None
    boot_high: int | None
    boot_beyond: float
    indistinct_low: int | None
    indistinct_high: int | None
    n_sim: int
    n_boot: int

    def statement(self) -> str:
        """One honest sentence about the answer and its Monte Carlo uncertainty."""
        if self.n_star is None:
            return (
                f"No candidate up to N = {int(self.sizes[-1])} reaches power {self.target:g} "
                f"(largest: {self.power[-1]:.3f} +/- {self.se[-1]:.3f}); extend n_grid."
            )
        lo = "?" if self.boot_low is None else str(self.boot_low)
        hi = f"> {int(self.sizes[-1])}" if self.boot_high is None else str(self.boot_high)
        text = (
            f"N* = {self.n_star} (power {self.power[self.sizes == self.n_star][0]:.3f} +/- "
            f"{self.se[self.sizes == self.n_star][0]:.3f} over {self.n_sim} replicates); "
            f"95% bootstrap interval for N*: {lo} to {hi}"
        )
        if self.indistinct_low is not None:
            text += (
                f"; sizes whose 95% power interval contains {self.target:g}: "
                f"{self.indistinct_low} to {self.indistinct_high}"
            )
        return text + "."

    def to_frame(self):
        """One row per candidate size."""
        import pandas as pd

        return pd.DataFrame(
            {
                "n": self.sizes,
                "power": self.power,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            }
        )


def _clopper_pearson(k: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    a = (1 - level) / 2
    lo = np.where(k > 0, stats.beta.ppf(a, k, n - k + 1), 0.0)
    hi = np.where(k < n, stats.beta.ppf(1 - a, k + 1, n - k), 1.0)
    return lo, hi


def sample_size_from_replicates(
    sizes: np.ndarray, reject: np.ndarray, target: float, *, n_boot: int = 1000, key: int = 0
) -> SampleSizeAnswer:
    """Find N* from per-replicate rejections at every candidate size.

    Parameters
    ----------
    sizes : ndarray of int, shape (c,)
        Candidate sizes, increasing.
    reject : ndarray of uint8 or bool, shape (n_sim, c)
        1 where replicate j rejected at size ``sizes[c]`` (the same
        replicates at every size).
    target : float
        Target power.
    n_boot : int
        Bootstrap resamples of the replicates.
    key : int
        Seed of the bootstrap resampling.

    Returns
    -------
    SampleSizeAnswer
    """
    sizes = np.asarray(sizes)
    n_sim = reject.shape[0]
    k = reject.sum(axis=0, dtype=np.int64)
    power = k / n_sim
    se = np.sqrt(power * (1 - power) / n_sim)
    lo, hi = _clopper_pearson(k, n_sim)
    i_star = stable_crossing(power, target)
    reached = np.flatnonzero(power >= target)
    n_first = int(sizes[reached[0]]) if reached.size else None

    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(key))))
    boot = np.empty(n_boot, dtype=np.int64)
    rej = reject.astype(np.int32)
    for b in range(n_boot):
        idx = rng.integers(0, n_sim, size=n_sim)
        boot[b] = stable_crossing(rej[idx].sum(axis=0) / n_sim, target)
    beyond = float(np.mean(boot < 0)) if n_boot else 0.0
    boot_low = boot_high = None
    if n_boot:
        # Resamples with no qualifying N sort above the grid (as +infinity).
        ranked = np.sort(np.where(boot < 0, np.iinfo(np.int64).max, boot))
        q_lo = ranked[int(np.floor(0.025 * (n_boot - 1)))]
        q_hi = ranked[int(np.ceil(0.975 * (n_boot - 1)))]
        boot_low = int(sizes[q_lo]) if q_lo < sizes.size else None
        boot_high = int(sizes[q_hi]) if q_hi < sizes.size else None
    covers = np.flatnonzero((lo <= target) & (target <= hi))
    return SampleSizeAnswer(
        target=float(target),
        sizes=sizes,
        power=power,
        se=se,
        ci_low=lo,
        ci_high=hi,
        n_star=int(sizes[i_star]) if i_star >= 0 else None,
        n_first=n_first,
        boot_low=boot_low,
        boot_high=boot_high,
        boot_beyond=beyond,
        indistinct_low=int(sizes[covers[0]]) if covers.size else None,
        indistinct_high=int(sizes[covers[-1]]) if covers.size else None,
        n_sim=int(n_sim),
        n_boot=int(n_boot),
    )
