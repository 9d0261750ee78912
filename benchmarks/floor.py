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
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit, prange

from simtrial.engine._rng import next_double, next_u64, seed_stream

__all__ = ["floor_run", "count_steps", "DrawCount", "measure_draws"]


@njit(parallel=True, cache=True)
def _floor_chunks(key, n_sim, num, den, chunk, out):
    """Draw ``num / den`` numbers per replicate on average; sums per chunk.

    Replicate ``i`` draws ``floor((i+1) num / den) - floor(i num / den)``
    numbers, so the total over ``n_sim`` replicates is ``floor(n_sim num /
    den)``: the engine's measured mean, without rounding it to an integer.

    Parameters
    ----------
    key : uint64
    n_sim, num, den, chunk : int64
    out : float64[ceil(n_sim / chunk)]
        Per-chunk sums of the uniform doubles drawn.
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
            for _ in range(k):
                acc += next_double(state)
        out[c] = acc


def floor_run(key: int, n_sim: int, draws_num: int, draws_den: int, *, chunk: int = 4096) -> float:
    """Run the floor kernel; return the ordered sum of the chunk sums (a checksum)."""
    out = np.zeros((n_sim + chunk - 1) // chunk, dtype=np.float64)
    _floor_chunks(np.uint64(key), np.int64(n_sim), np.int64(draws_num), np.int64(draws_den), np.int64(chunk), out)
    return float(out.sum())


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
    """Draws per replicate of the engine, measured on a sample of replicates.

    Attributes
    ----------
    counts : ndarray of int64
        Draws of each sampled replicate.
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
    run_one: Callable[[np.ndarray, int], None], key: int, n_rep: int, *, limit: int = 1_000_000
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
