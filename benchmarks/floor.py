"""The random-number floor: the cost of the engine's draws and nothing else.

The floor kernel has the engine's shape -- a ``prange`` over fixed-size
chunks of replicates, one reusable ``uint64[2]`` state per chunk, each
replicate's stream seeded from ``(key, replicate)`` -- and draws, per
replicate, as many numbers as the engine's kernel consumes for the same
model. Each draw is turned into a double and added to a per-chunk sum that
is written out, so LLVM cannot drop the work. No kernel that makes those
draws can be faster than this, so ``kernel time / floor time`` says how much
the model logic itself costs.

The engine's draw count per replicate is measured without touching the
engine: seed a state, run the engine's per-replicate trial function once,
then count how many ``next_u64`` steps from the same seeded state reach the
final state (xoroshiro128+ has period 2**128 - 1, so the first match is the
draw count).

A second floor, of the model's *variates* (:func:`variate_floor_run`), turns
the same draws into what the reference model uses them for -- per patient a
standard exponential arrival gap by the engine's ziggurat and a uniform --
and sums those. It is the floor with the exponential transform included:
what is left between it and the kernel is the model's own bookkeeping.
:func:`measure_patients` checks, replicate by replicate, that drawing this
way from the engine's seed ends at the engine's final state, i.e. that it
draws exactly the engine's numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange

from simtrial.engine._rng import double_of, exponential_of, next_double, next_u64, seed_stream, step

__all__ = ["floor_run", "count_steps", "DrawCount", "measure_draws", "variate_floor_run", "draw_patients",
           "measure_patients"]


@njit(cache=True, inline="always")
def _patients(acc, s0, s1, k):
    """Add ``k`` patients' variates (exponential gap, uniform) to ``acc``; ``(acc, s0, s1)``."""
    for _ in range(k):
        x, s0, s1 = step(s0, s1)
        e, s0, s1 = exponential_of(x, s0, s1)
        x, s0, s1 = step(s0, s1)
        acc += e
        acc += double_of(x)
    return acc, s0, s1


@njit(parallel=True, cache=True)
def _floor_chunks(key, n_sim, num, den, chunk, variates, out):
    """Draw ``num / den`` numbers (or patients' variates) per replicate on average; sums per chunk.

    Replicate ``i`` draws ``floor((i+1) num / den) - floor(i num / den)``
    numbers, so the total over ``n_sim`` replicates is ``floor(n_sim num /
    den)``: the engine's measured mean, without rounding it to an integer.

    Parameters
    ----------
    key : uint64
    n_sim, num, den, chunk : int64
    variates : bool
        Draw patients' variates (see :func:`_patients`) instead of
        uniform doubles.
    out : float64[ceil(n_sim / chunk)]
        Per-chunk sums of what was drawn.
    """
    n_chunks = (n_sim + chunk - 1) // chunk
    for c in prange(n_chunks):
        state = np.empty(2, dtype=np.uint64)
        lo = c * chunk
        hi = min(n_sim, lo + chunk)
        acc = 0.0
        for i in range(lo, hi):
            seed_stream(state, key, i)
            k = ((i + 1) * num) // den - (i * num) // den
            if variates:
                acc, _, _ = _patients(acc, state[0], state[1], k)
            else:
                for _ in range(k):
                    acc += next_double(state)
        out[c] = acc


def _run(key: int, n_sim: int, num: int, den: int, chunk: int, variates: bool) -> float:
    out = np.zeros((n_sim + chunk - 1) // chunk, dtype=np.float64)
    _floor_chunks(np.uint64(key), np.int64(n_sim), np.int64(num), np.int64(den), np.int64(chunk), variates, out)
    return float(out.sum())


def floor_run(key: int, n_sim: int, draws_num: int, draws_den: int, *, chunk: int = 4096) -> float:
    """Run the floor kernel; return the ordered sum of the chunk sums (a checksum)."""
    return _run(key, n_sim, draws_num, draws_den, chunk, False)


def variate_floor_run(key: int, n_sim: int, patients_num: int, patients_den: int, *, chunk: int = 4096) -> float:
    """Run the floor of variates (``patients_num / patients_den`` patients per replicate); a checksum."""
    return _run(key, n_sim, patients_num, patients_den, chunk, True)


@njit(cache=True)
def draw_patients(state, k):
    """Draw ``k`` patients' variates from ``state`` (advanced in place); their sum."""
    acc, state[0], state[1] = _patients(0.0, state[0], state[1], k)
    return acc


@njit(cache=True)
def count_steps(start, final, limit):
    """Number of ``next_u64`` steps from ``start`` to ``final`` (-1 if > limit)."""
    state = start.copy()
    for k in range(limit + 1):
        if state[0] == final[0] and state[1] == final[1]:
            return k
        next_u64(state)
    return -1


class DrawCount:
    """Draws (or patients) per replicate of the engine, measured on a sample of replicates.

    Attributes
    ----------
    counts : ndarray of int64
        Draws (patients) of each sampled replicate.
    mean : float
    num, den : int
        ``mean = num / den`` exactly (total draws over replicates sampled).
    """

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = counts
        self.num = int(counts.sum())
        self.den = int(counts.size)
        self.mean = self.num / self.den

    def __repr__(self) -> str:
        c = self.counts
        return f"DrawCount(mean={self.mean:.3f}, min={c.min()}, max={c.max()}, replicates={c.size})"


def measure_draws(
    run_one: Callable[[np.ndarray, int], object], key: int, n_rep: int, *, limit: int = 1_000_000
) -> DrawCount:
    """Count the draws the engine makes for replicates ``0 .. n_rep-1`` of ``key``.

    Parameters
    ----------
    run_one : callable
        ``run_one(state, i)`` runs the engine's per-replicate trial function
        for replicate ``i`` with its stream state ``state`` (``uint64[2]``,
        already seeded; advanced in place).
    key : int
        Stream key (as the engine would use for the scenario).
    n_rep : int
        Replicates to sample.
    limit : int
        Give up beyond this many steps (then the engine does not use this
        generator for every draw, and the floor cannot be measured this way).
    """
    counts = np.empty(n_rep, dtype=np.int64)
    start = np.empty(2, dtype=np.uint64)
    for i in range(n_rep):
        seed_stream(start, np.uint64(key), i)
        state = start.copy()
        run_one(state, i)
        k = count_steps(start, state, limit)
        if k < 0:
            raise RuntimeError(f"replicate {i}: final state not reached within {limit} draws")
        counts[i] = k
    return DrawCount(counts)


def measure_patients(
    run_one: Callable[[np.ndarray, int], int], key: int, n_rep: int
) -> DrawCount:
    """Patients per replicate, checked to be all the engine draws for (see :func:`variate_floor_run`).

    Parameters
    ----------
    run_one : callable
        ``run_one(state, i)`` runs the engine's per-replicate trial function
        (as for :func:`measure_draws`) and returns the number of patients
        enrolled.

    Raises
    ------
    RuntimeError
        When a replicate's draws are not one arrival and one uniform per
        enrolled patient (a model with more draws, or arrivals past the end
        of enrolment): then this floor does not describe the engine's draws.
    """
    counts = np.empty(n_rep, dtype=np.int64)
    start = np.empty(2, dtype=np.uint64)
    for i in range(n_rep):
        seed_stream(start, np.uint64(key), i)
        state = start.copy()
        k = run_one(state, i)
        mine = start.copy()
        draw_patients(mine, k)
        if not np.array_equal(mine, state):
            raise RuntimeError(f"replicate {i}: the engine's draws are not one arrival and one uniform per patient")
        counts[i] = k
    return DrawCount(counts)
