"""Patient-level simulation of a randomized two-arm follow-up trial.

:func:`simulate_randomized` validates nothing (the config model did), packs
the trial into flat arrays, and runs the kernels of
:mod:`simtrial.engine._followup_kernels` over blocks of replicates. Every
candidate sample size is analysed on the same replicates (common random
numbers): patient i of replicate j has the same arm, entry, death and
dropout times whatever the size of the trial.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from simtrial.engine import _followup_kernels as K
from simtrial.engine._rng import scenario_key

if TYPE_CHECKING:
    from simtrial.model.followup import RandomizedFollowup

__all__ = ["RandomizedSimulation", "allocation_sequence", "simulate_randomized", "warmup_followup", "FOLLOWUP_STREAM"]

#: Spawn-key component that separates the follow-up streams from the
#: scenario streams of the main simulation under the same user seed.
FOLLOWUP_STREAM = 7007

# Replicates per kernel call: progress is reported after each block, and the
# block size does not affect the result (each replicate has its own stream).
_BLOCK = 4096


@dataclass(frozen=True)
class RandomizedSimulation:
    """Per-replicate outcome of every candidate size.

    Attributes
    ----------
    sizes : ndarray of int64
        Candidate total sizes.
    n_control, n_experimental : ndarray of int64
        Arm sizes of each candidate.
    reject : ndarray of uint8, shape (n_sim, len(sizes))
        1 where the test rejected H0.
    events : ndarray of int32 or None
        Deaths at the analysis (survival endpoint).
    analysis_days : ndarray of float64 or None
        Calendar day of the analysis (survival endpoint).
    seed, n_sim, threads : int
    key : int
        The stream key used (from ``seed``).
    elapsed_seconds : float
    """

    sizes: np.ndarray
    n_control: np.ndarray
    n_experimental: np.ndarray
    reject: np.ndarray
    events: np.ndarray | None
    analysis_days: np.ndarray | None
    seed: int
    n_sim: int
    threads: int
    key: int
    elapsed_seconds: float

    def power(self) -> tuple[np.ndarray, np.ndarray]:
        """Simulated power of each size and its Monte Carlo SE ``sqrt(p (1 - p) / n_sim)``."""
        p = self.reject.sum(axis=0, dtype=np.int64) / self.n_sim
        return p, np.sqrt(p * (1 - p) / self.n_sim)


def allocation_sequence(n: int, ratio: float) -> np.ndarray:
    """Arm (0 control, 1 experimental) of each of ``n`` patients in enrollment order.

    Patient i is experimental when ``floor((i + 1) f) > floor(i f)`` with
    ``f = k / (1 + k)`` as an exact fraction: a deterministic balanced
    sequence whose every prefix of N patients has exactly
    ``floor(N f)`` experimental patients (the closed forms' arm sizes).
    """
    f = Fraction(ratio).limit_denominator(1000)
    frac = f / (1 + f)
    i = np.arange(n + 1, dtype=np.int64)
    cum = (i * frac.numerator) // frac.denominator
    return np.diff(cum).astype(np.int8)


def _set_threads(threads: int | None) -> tuple[int, int]:
    import numba

    before = numba.get_num_threads()
    use = before if threads is None else max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(use)
    return before, use


def simulate_randomized(
    spec: RandomizedFollowup,
    sizes: Sequence[int],
    *,
    n_sim: int,
    seed: int,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RandomizedSimulation:
    """Simulate the randomized follow-up at every candidate size.

    Parameters
    ----------
    spec : simtrial.model.followup.RandomizedFollowup
        The validated ``followup.randomized`` block.
    sizes : sequence of int
        Candidate total sizes (sorted and de-duplicated here).
    n_sim : int
        Replicates (the same replicates for every size).
    seed : int
        User seed; the stream key is ``scenario_key(seed, FOLLOWUP_STREAM)``.
    threads : int or None
        Numba threads (None: current setting). Does not change the result.
    progress : callable or None
        Called with the number of replicates just finished.

    Returns
    -------
    RandomizedSimulation
    """
    t0 = time.perf_counter()
    sizes_arr = np.unique(np.asarray(sizes, dtype=np.int64))
    n_max = int(sizes_arr[-1])
    arm = allocation_sequence(n_max, spec.allocation_ratio)
    cum_exp = np.concatenate([[0], np.cumsum(arm, dtype=np.int64)])
    n_exp = cum_exp[sizes_arr]
    crit = float(stats.norm.isf(spec.alpha / spec.sided))
    key = scenario_key(seed, FOLLOWUP_STREAM)
    reject = np.zeros((n_sim, sizes_arr.size), dtype=np.uint8)
    events = times = None
    survival = spec.endpoint == "survival"
    if survival:
        sv, an = spec.survival, spec.analysis
        events = np.zeros((n_sim, sizes_arr.size), dtype=np.int32)
        times = np.zeros((n_sim, sizes_arr.size), dtype=np.float64)
        hr_arm = np.array([1.0, sv.hazard_ratio])
        direction = 1.0 if sv.hazard_ratio < 1.0 else -1.0
        if an.mode == "calendar":
            mode, target = 1, np.full(sizes_arr.size, an.calendar)
        elif an.mode == "events":
            mode, target = 0, np.full(sizes_arr.size, float(an.events))
        else:
            mode, target = 0, np.ceil(an.event_fraction * sizes_arr - 1e-9).astype(np.float64)
    else:
        p_arm = np.array([spec.response.control, spec.response.experimental])
        direction = 1.0 if spec.response.experimental > spec.response.control else -1.0

    before, used = _set_threads(threads)
    try:
        for start in range(0, n_sim, _BLOCK):
            m = min(_BLOCK, n_sim - start)
            if survival:
                K.survival_replicates(
                    key, np.int64(start), np.int64(m), arm, hr_arm, sv.control_scale_days, sv.shape,
                    spec.accrual_rate_per_day, spec.accrual == "poisson", spec.dropout_rate_per_day,
                    sizes_arr, np.int64(mode), target, crit, direction, np.int64(spec.sided),
                    reject[start : start + m], events[start : start + m], times[start : start + m],
                )  # fmt: skip
            else:
                K.binary_replicates(
                    key, np.int64(start), np.int64(m), arm, p_arm, sizes_arr, crit, direction,
                    np.int64(spec.sided), reject[start : start + m],
                )  # fmt: skip
            if progress is not None:
                progress(m)
    finally:
        import numba

        numba.set_num_threads(before)
    return RandomizedSimulation(
        sizes=sizes_arr,
        n_control=sizes_arr - n_exp,
        n_experimental=n_exp,
        reject=reject,
        events=events,
        analysis_days=times,
        seed=int(seed),
        n_sim=int(n_sim),
        threads=used,
        key=int(key),
        elapsed_seconds=time.perf_counter() - t0,
    )


def warmup_followup() -> None:
    """Compile (or load from numba's cache) the follow-up kernels with a tiny run of each endpoint."""
    from simtrial.model.followup import RandomizedFollowup

    grid = {"min": 4, "max": 6, "step": 2}
    binary = RandomizedFollowup.model_validate(
        {"endpoint": "response", "response": {"control": 0.2, "experimental": 0.4}, "n_grid": grid}
    )
    survival = RandomizedFollowup.model_validate(
        {"endpoint": "survival", "survival": {"control_median": "6 months", "hazard_ratio": 0.7},
         "analysis": {"events": 3}, "n_grid": grid}
    )  # fmt: skip
    for spec in (binary, survival):
        simulate_randomized(spec, spec.n_grid.values(), n_sim=2, seed=0, threads=1)
