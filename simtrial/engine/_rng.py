"""Counter-based random numbers: every draw is a pure function of (key, replicate, patient, variable).

A replicate ``j`` of run key ``key`` has the 64-bit seed ``s_j =
splitmix64(key ^ splitmix64(j))``. Variable ``v`` of patient ``k`` is the
output number ``c = 16 k + v`` of the SplitMix64 generator seeded with
``s_j``, that is ``mix(s_j + (c + 1) * 0x9E3779B97F4A7C15)`` (Steele, Lea and
Flood 2014), computed directly from its counter. So patient ``k`` is the same
person whatever design, scenario, thread, process or worker simulates it, and
whatever the trial did with the patients before ``k``: a patient's draws do
not depend on how many numbers anything else drew.

The variables (:data:`V_ARRIVAL` ...) are standard variates: the arrival gap
and the survival time are standard exponentials, the others uniforms that
each scenario turns into outcomes through its own probabilities (a response
is ``u < p``), so scenarios share patients too.

Exponential variates use the ziggurat of Marsaglia and Tsang (2000),
built with 1024 layers rather than their 256: one output gives the layer
(its top 10 bits) and a 53-bit uniform (bits 1-53), and about 99.36% of
variates are accepted at once with one multiplication, no logarithm
(97.8% with 256 layers). The rest need further numbers (the base strip's
tail or a wedge test): for a counter-based variate they are the outputs
``mix(x + i * 0x9E3779B97F4A7C15)``, ``i = 1, 2, ...``, of the SplitMix64
stream seeded with the variate's own first output ``x``, so the variate
is still a function of its (key, replicate, patient, variable) alone.
Bit 0 of an output is not used: the layer and the uniform come from its
top 63 bits.

References
----------
Marsaglia and Tsang (2000), "The ziggurat method for generating random
variables", J. Stat. Softw. 5(8). Steele, Lea and Flood (2014), "Fast
splittable pseudorandom number generators" (splitmix64).
"""

from __future__ import annotations

import math

from simtrial.engine import _cache

_cache.configure()  # before any kernel is decorated

import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import njit, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

__all__ = [
    "run_key",
    "replicate_seed",
    "draw",
    "exponential_from",
    "NVAR",
    "V_ARRIVAL",
    "V_RESPONSE",
    "V_SURVIVAL",
    "V_WITHDRAW",
    "V_TOX0",
    "MAX_LEVELS",
    "scenario_key",
    "u53_of",
    "double_of",
    "unlikely",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53

# The ziggurat for the standard exponential (Marsaglia and Tsang 2000) with
# ZIG_LAYERS layers: the right edge R of the base strip and the layers' common
# area V = f(R) (R + 1), R solved in 50-digit arithmetic so that the recursion
# of _ziggurat_tables from R closes at the density's top, f(0) = 1 (R and V
# hold for 1024 layers only; tests/engine/test_ziggurat.py checks the closure).
ZIG_LAYERS = 1024
ZIG_R = 9.2561645442655436866975
ZIG_V = 9.7967899066202091683633e-4
_LAYER_BITS = ZIG_LAYERS.bit_length() - 1
# The layer is the output's top _LAYER_BITS bits; shifting them out and the
# result right by 11 leaves the 53 bits below them (bits 1-53 for 10 bits).
_LAYER_SHIFT = np.uint64(64 - _LAYER_BITS)
_UNIFORM_SHIFT = np.uint64(_LAYER_BITS)


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ke, we, fe)``: acceptance thresholds (53-bit), layer widths per unit, densities.

    Layer ``i >= 1`` is the rectangle ``[0, x_i] x [f(x_i), f(x_{i-1})]``
    with ``x_{L-1} = ZIG_R`` and ``x_0 = 0`` (``L = ZIG_LAYERS``); layer 0 is the base strip of
    width ``ZIG_V / f(ZIG_R)`` (the tail beyond ``ZIG_R`` folded in). A
    uniform ``u`` in layer ``i`` gives ``x = u * we[i]``, accepted at once
    when ``u < ke[i]`` (``x`` left of the curve's lower corner).
    """
    m = 2.0**53
    de = ZIG_R
    te = de
    q = ZIG_V / math.exp(-de)
    ke = np.zeros(ZIG_LAYERS, dtype=np.int64)
    we = np.zeros(ZIG_LAYERS)
    fe = np.zeros(ZIG_LAYERS)
    ke[0] = int((de / q) * m)
    ke[1] = 0
    we[0] = q / m
    we[-1] = de / m
    fe[0] = 1.0
    fe[-1] = math.exp(-de)
    for i in range(ZIG_LAYERS - 2, 0, -1):
        de = -math.log(ZIG_V / de + math.exp(-de))
        ke[i + 1] = int((de / te) * m)
        te = de
        fe[i] = math.exp(-de)
        we[i] = de / m
    return ke, we, fe


ZIG_KE, ZIG_WE, ZIG_FE = _ziggurat_tables()


@intrinsic
def unlikely(typingctx, cond):
    """``cond``, marked as rarely true for the compiler (``llvm.expect``).

    A rare branch that calls a function (``exp``, ``log``) would otherwise
    make the register allocator keep the hot loop's floating-point values
    in memory, since a call clobbers every vector register; told the
    branch is cold, it saves them only around the call.
    """
    sig = types.boolean(types.boolean)

    def codegen(context, builder, signature, args):
        i1 = ir.IntType(1)
        fn = builder.module.declare_intrinsic("llvm.expect", [i1], ir.FunctionType(i1, [i1, i1]))
        return builder.call(fn, [args[0], ir.Constant(i1, 0)])

    return sig, codegen


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


@njit(cache=True, inline="always")
def _mix(z):
    """SplitMix64's output function (a bijection of 64-bit words)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _splitmix64(x):
    return _mix(x + _GOLDEN)


# Patient variables: the low 4 bits of a draw's counter (16 per patient).
NVAR = 16
_VAR_BITS = np.uint64(4)
V_ARRIVAL = 0  # standard exponential: the gap before the patient's arrival
V_RESPONSE = 1  # uniform: responds if u < p_response
V_SURVIVAL = 2  # standard exponential: overall survival
V_WITHDRAW = 3  # uniform: cycle of withdrawal
V_TOX0 = 4  # uniform: cycle of the first toxicity at dose level l is variable V_TOX0 + l
#: Dose levels a patient can reach (the starting dose and up to 11 reductions).
MAX_LEVELS = NVAR - V_TOX0


def run_key(seed: int) -> np.uint64:
    """The 64-bit key of a run: every scenario and design of the run draws its patients from it.

    ``numpy.random.SeedSequence(seed)`` expanded to one 64-bit word.
    """
    return scenario_key(seed)


@njit(cache=True, inline="always")
def replicate_seed(key, replicate):
    """The SplitMix64 seed ``splitmix64(key ^ splitmix64(replicate))`` of one replicate."""
    return _splitmix64(np.uint64(key) ^ _splitmix64(np.uint64(replicate)))


@njit(cache=True, inline="always")
def draw(seed, patient, var):
    """Variable ``var`` of patient ``patient``: SplitMix64 output number ``16 patient + var`` of ``seed``."""
    c = (np.uint64(patient) << _VAR_BITS) | np.uint64(var)
    return _mix(seed + (c + np.uint64(1)) * _GOLDEN)


@njit(cache=True, inline="always")
def u53_of(x):
    """The top 53 bits of an output, as int64 (see :func:`next_u53`)."""
    return np.int64(x >> _S11)


@njit(cache=True, inline="always")
def double_of(x):
    """The uniform double in [0, 1) of an output (see :func:`next_double`)."""
    return float(x >> _S11) * _TWO_M53


@njit(cache=True, inline="always")
def _layer_uniform(x):
    """The ziggurat's layer (the top bits of output ``x``) and the 53-bit uniform below them."""
    return np.int64(x >> _LAYER_SHIFT), np.int64((x << _UNIFORM_SHIFT) >> _S11)


@njit(cache=True)
def _exponential_slow_from(x):
    """The ziggurat's rare paths for output ``x`` (see :func:`exponential_from`).

    The further numbers are the SplitMix64 stream seeded with ``x`` itself.
    """
    x0 = x
    i = np.uint64(1)
    while True:
        idx, u = _layer_uniform(x)
        z = float(u) * ZIG_WE[idx]
        if u < ZIG_KE[idx]:
            return z
        y = _mix(x0 + i * _GOLDEN)
        i += np.uint64(1)
        if idx == 0:
            # Beyond the base strip: ZIG_R plus an exponential (memorylessness), by inversion.
            return ZIG_R - np.log(1.0 - double_of(y))
        if (ZIG_FE[idx - 1] - ZIG_FE[idx]) * double_of(y) + ZIG_FE[idx] < np.exp(-z):
            return z
        x = _mix(x0 + i * _GOLDEN)
        i += np.uint64(1)


@njit(cache=True, inline="always")
def exponential_from(x):
    """A standard exponential variate from the counter-based output ``x`` (ziggurat).

    In about 0.64% of cases it needs more numbers, taken from the SplitMix64
    stream seeded with ``x`` (see the module docstring).
    """
    idx, u = _layer_uniform(x)
    if unlikely(u >= ZIG_KE[idx]):
        return _exponential_slow_from(x)
    return float(u) * ZIG_WE[idx]

