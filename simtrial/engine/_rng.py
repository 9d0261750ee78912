"""Counter-based random streams: one per (scenario key, replicate).

A replicate's stream is a xoroshiro128+ generator whose 128-bit state is
seeded from ``(key, replicate)`` by splitmix64. Because the stream is a pure
function of that pair, a replicate draws the same numbers whichever thread,
process or cluster worker runs it, so results are bit-identical for any
degree of parallelism.

The state lives in a caller-owned ``uint64[2]`` array that the kernels reuse
across replicates (no allocation per replicate).

References
----------
Steele, Lea and Flood (2014), "Fast splittable pseudorandom number
generators" (splitmix64). Blackman and Vigna (2021), "Scrambled linear
pseudorandom number generators" (xoroshiro128+, parameters a=24, b=16, c=37).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "scenario_key",
    "seed_stream",
    "next_u64",
    "next_u53",
    "next_double",
    "next_exponential",
    "step",
    "u53_of",
    "double_of",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S16 = np.uint64(16)
_R24 = np.uint64(24)
_R24C = np.uint64(40)
_R37 = np.uint64(37)
_R37C = np.uint64(27)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


def scenario_key(seed: int, *identity: int) -> np.uint64:
    """The 64-bit stream key of one scenario or sweep cell.

    Parameters
    ----------
    seed : int
        The user's seed (any non-negative integer).
    *identity : int
        Non-negative integers identifying the scenario or cell, used as
        ``numpy.random.SeedSequence`` spawn key so keys are independent.

    Returns
    -------
    numpy.uint64
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=tuple(int(i) for i in identity))
    return ss.generate_state(1, dtype=np.uint64)[0]


@njit(cache=True)
def _splitmix64(x):
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def seed_stream(state, key, replicate):
    """Seed ``state`` (uint64[2]) for replicate ``replicate`` of stream ``key``.

    The two state words are splitmix64 outputs of ``key`` mixed with the
    replicate counter; splitmix64 is a bijection, so distinct (key,
    replicate) pairs give distinct, well-mixed states, and the state is never
    all zero in practice (probability 2**-128).
    """
    base = _splitmix64(np.uint64(key) ^ _splitmix64(np.uint64(replicate)))
    state[0] = _splitmix64(base)
    state[1] = _splitmix64(base + _GOLDEN)


@njit(cache=True)
def next_u64(state):
    """Advance xoroshiro128+ and return the next uint64."""
    s0 = state[0]
    s1 = state[1]
    result = s0 + s1
    s1 ^= s0
    state[0] = ((s0 << _R24) | (s0 >> _R24C)) ^ s1 ^ (s1 << _S16)
    state[1] = (s1 << _R37) | (s1 >> _R37C)
    return result


@njit(cache=True, inline="always")
def step(s0, s1):
    """One xoroshiro128+ step on a state held in two uint64 values.

    Returns ``(output, s0, s1)``. Kernels that draw many numbers keep the
    state in these two values (registers) rather than in the ``uint64[2]``
    array, whose loads and stores would otherwise be serialised behind
    every other store of the kernel; the sequence is the same as
    :func:`next_u64`'s.
    """
    result = s0 + s1
    s1 ^= s0
    return result, ((s0 << _R24) | (s0 >> _R24C)) ^ s1 ^ (s1 << _S16), (s1 << _R37) | (s1 >> _R37C)


@njit(cache=True, inline="always")
def u53_of(x):
    """The top 53 bits of an output, as int64 (see :func:`next_u53`)."""
    return np.int64(x >> _S11)


@njit(cache=True, inline="always")
def double_of(x):
    """The uniform double in [0, 1) of an output (see :func:`next_double`)."""
    return float(x >> _S11) * _TWO_M53


@njit(cache=True)
def next_u53(state):
    """The top 53 bits of the next output, as an int64 in [0, 2**53).

    ``next_u53(state) < t`` with an integer threshold ``t = ceil(q 2**53)``
    is the same event as ``next_double(state) < q`` (see
    :func:`simtrial.engine.pack.threshold`), without a float conversion.
    """
    return np.int64(next_u64(state) >> _S11)


@njit(cache=True)
def next_double(state):
    """A uniform double in [0, 1) from the top 53 bits of the next output."""
    return float(next_u64(state) >> _S11) * _TWO_M53


@njit(cache=True)
def next_exponential(state, rate):
    """An exponential variate with the given rate (inverse transform).

    Uses ``-log(1 - u)`` with u in [0, 1): ``1 - u`` is exact for a 53-bit
    u and never 0, so the result is finite and as accurate as ``-log1p(-u)``,
    and ``log`` is much cheaper than ``log1p``.
    """
    return -np.log(1.0 - next_double(state)) / rate
