"""The random-number floor: the cost of the engine's draws and nothing else.

The engine's draws are counter-based (``simtrial.engine._rng``): variable
``v`` of patient ``k`` in replicate ``j`` is the SplitMix64 output
``mix(s_j + (16 k + v + 1) * golden)``, ``s_j`` the replicate's seed. The
floor computes, per replicate, the replicate's seed and then exactly the
draws the engine takes for its patients -- for the reference model three per
patient: the arrival gap, the response and the cycle of the first toxicity
at the starting dose -- and consumes the raw 64-bit outputs (an xor into a
per-chunk accumulator that is written out, so LLVM cannot drop the work).
Nothing is converted to a double, no variate is formed: no kernel that takes
those draws can be faster. The ziggurat's rare extra numbers (about 0.6% of
exponentials) are left out, which only makes the floor faster.

Every scenario of a replicate uses the same draws (patient ``k`` is the
same person under each), so the floor draws each one once: per replicate,
for as many patients as the scenario that enrols the most, measured on the
engine's own replicates (:func:`patients_per_replicate`; the engine, which
forms each scenario's patients from the draws again, takes more). Replicate
``i`` draws for ``floor((i + 1) num / den) - floor(i num / den)`` patients,
so the total over ``n_sim`` replicates is the engine's mean without rounding
it to an integer. The floor runs chunks on threads, as the engine does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simtrial.engine._rng import draw, replicate_seed

__all__ = ["floor_run", "floor_chunk", "PatientCount", "patients_per_replicate"]

#: The variables the reference model draws per patient: arrival, response, first toxicity at the starting dose.
REFERENCE_VARIABLES = (0, 1, 4)


@njit(cache=True, nogil=True)
def floor_chunk(key, lo, hi, num, den, variables):
    """The xor of every draw of replicates ``lo .. hi - 1`` (see the module docstring)."""
    acc = np.uint64(0)
    n_var = variables.shape[0]
    for i in range(lo, hi):
        seed = replicate_seed(key, i)
        k = ((i + 1) * num) // den - (i * num) // den
        for p in range(k):
            for v in range(n_var):
                acc ^= draw(seed, p, variables[v])
    return acc


def floor_run(key: int, n_sim: int, num: int, den: int, *, threads: int = 1, chunk: int = 8192,
              variables: tuple[int, ...] = REFERENCE_VARIABLES) -> int:
    """Run the floor over ``n_sim`` replicates on ``threads`` threads; return the xor of the chunks (a checksum)."""
    from concurrent.futures import ThreadPoolExecutor

    var = np.array(variables, dtype=np.int64)
    los = list(range(0, n_sim, chunk))

    def one(lo: int) -> int:
        return int(floor_chunk(np.uint64(key), lo, min(lo + chunk, n_sim), np.int64(num), np.int64(den), var))

    if threads <= 1:
        parts = [one(lo) for lo in los]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(one, los))
    out = 0
    for p in parts:
        out ^= p
    return out


class PatientCount:
    """Patients per replicate of the engine: ``mean = num / den`` exactly.

    Attributes
    ----------
    num : int
        Patients over the replicates sampled.
    den : int
        Replicates sampled.
    """

    def __init__(self, num: int, den: int) -> None:
        self.num = int(num)
        self.den = int(den)
        self.mean = self.num / self.den

    def __repr__(self) -> str:
        return f"PatientCount(mean={self.mean:.4f})"


def patients_per_replicate(config, n_sim: int, seed: int) -> PatientCount:
    """Patients whose draws a replicate needs: the most any scenario enrols, on ``n_sim`` of the engine's replicates.

    For a paused design without replacement or accrual cap (the reference
    model) every patient the engine generates is enrolled, so the records'
    ``enrolled`` are the counts.
    """
    from simtrial.engine import simulate

    res = simulate(config, n_sim=n_sim, seed=seed, threads=1, replicates=True)
    per = res.replicates.pivot_table(index="replicate", columns="scenario", values="enrolled", aggfunc="first")
    return PatientCount(int(per.max(axis=1).sum()), n_sim)
