"""Probability of success (assurance) of a single-arm follow-up under a design prior.

The prior on the response rate is a mixture of Beta distributions built from
the trial in hand (a power prior, optionally mixed with a skeptical
component). Assurance is computed exactly from the beta-binomial
distribution (single-stage and Simon two-stage success) and, independently,
by simulation: draw p from the prior, then the trial's responses.

References
----------
O'Hagan, A., Stevens, J. W. and Campbell, M. J. (2005). Assurance in clinical
trial design. Pharmaceutical Statistics 4, 187-201.
Ibrahim, J. G. and Chen, M.-H. (2000). Power prior distributions for
regression models. Statistical Science 15, 46-60.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from simtrial.engine.result import Estimate

__all__ = [
    "BetaMixturePrior",
    "prior_from_trial",
    "assurance_single_stage",
    "assurance_simon",
    "simulate_assurance_single_stage",
    "simulate_assurance_simon",
    "assurance_two_proportions",
    "simulate_assurance_two_proportions",
]


@dataclass(frozen=True)
class BetaMixturePrior:
    """A finite mixture of Beta distributions on a response rate.

    Attributes
    ----------
    weights, a, b : tuple of float
        Component weights (summing to 1) and Beta parameters.
    """

    weights: tuple[float, ...]
    a: tuple[float, ...]
    b: tuple[float, ...]

    def __post_init__(self) -> None:
        if not (len(self.weights) == len(self.a) == len(self.b)) or not self.weights:
            raise ValueError("weights, a and b must be non-empty and of equal length")
        if abs(sum(self.weights) - 1.0) > 1e-12 or min(self.weights) < 0:
            raise ValueError("weights must be non-negative and sum to 1")

    def mean(self) -> float:
        """Prior mean of the response rate."""
        return float(sum(w * a / (a + b) for w, a, b in zip(self.weights, self.a, self.b, strict=True)))

    def cdf(self, p: float | np.ndarray) -> np.ndarray:
        """Prior distribution function."""
        return sum(w * stats.beta.cdf(p, a, b) for w, a, b in zip(self.weights, self.a, self.b, strict=True))

    def pdf(self, p: float | np.ndarray) -> np.ndarray:
        """Prior density."""
        return sum(w * stats.beta.pdf(p, a, b) for w, a, b in zip(self.weights, self.a, self.b, strict=True))

    def describe(self) -> str:
        """A short text such as ``0.8 Beta(3, 6) + 0.2 Beta(1, 9)``."""
        parts = [f"{w:g} Beta({a:g}, {b:g})" for w, a, b in zip(self.weights, self.a, self.b, strict=True) if w > 0]
        text = " + ".join(parts)
        return text[2:] if len(parts) == 1 and text.startswith("1 ") else text


def prior_from_trial(
    responses: int = 2,
    evaluable: int = 7,
    *,
    a0: float = 1.0,
    b0: float = 1.0,
    discount: float = 1.0,
    skeptical_weight: float = 0.0,
    skeptical_a: float = 1.0,
    skeptical_b: float = 9.0,
) -> BetaMixturePrior:
    """Design prior from ``responses`` of ``evaluable`` patients.

    The informative component is the power-prior posterior
    ``Beta(a0 + w x, b0 + w (n - x))`` with ``w = discount`` in [0, 1]
    (``w = 1`` uses the observed data at face value, ``w = 0`` ignores it);
    a weight ``skeptical_weight`` goes to ``Beta(skeptical_a, skeptical_b)``.

    Examples
    --------
    >>> prior_from_trial(2, 7).describe()
    'Beta(3, 6)'
    >>> prior_from_trial(2, 7, discount=0.5, skeptical_weight=0.2).describe()
    '0.8 Beta(2, 3.5) + 0.2 Beta(1, 9)'
    """
    if not 0 <= responses <= evaluable:
        raise ValueError("need 0 <= responses <= evaluable")
    if not 0.0 <= discount <= 1.0 or not 0.0 <= skeptical_weight <= 1.0:
        raise ValueError("discount and skeptical_weight must lie in [0, 1]")
    inf = (a0 + discount * responses, b0 + discount * (evaluable - responses))
    if skeptical_weight == 0.0:
        return BetaMixturePrior((1.0,), (inf[0],), (inf[1],))
    return BetaMixturePrior(
        (1.0 - skeptical_weight, skeptical_weight), (inf[0], skeptical_a), (inf[1], skeptical_b)
    )


def assurance_single_stage(prior: BetaMixturePrior, n: int, r: int) -> float:
    """Exact ``P(X > r)`` when ``X | p ~ Bin(n, p)`` and ``p`` follows the prior (beta-binomial).

    Examples
    --------
    >>> round(assurance_single_stage(prior_from_trial(2, 7), 25, 5), 6)
    0.712033
    """
    return float(
        sum(w * stats.betabinom.sf(r, n, a, b) for w, a, b in zip(prior.weights, prior.a, prior.b, strict=True))
    )


def assurance_simon(prior: BetaMixturePrior, r1: int, n1: int, r: int, n: int) -> float:
    """Exact probability that a Simon two-stage design declares the drug promising under the prior.

    Sums ``C(n1, x1) C(n2, x2) B(a + x, b + n - x) / B(a, b)`` (``x = x1 + x2``)
    over the outcomes with ``x1 > r1`` and ``x > r``: the prior predictive of
    the two stages is a beta-binomial on the pair.
    """
    n2 = n - n1
    x1 = np.arange(r1 + 1, n1 + 1)[:, None]
    x2 = np.arange(n2 + 1)[None, :]
    x = x1 + x2
    success = x > r
    log_comb = (
        special.gammaln(n1 + 1)
        - special.gammaln(x1 + 1)
        - special.gammaln(n1 - x1 + 1)
        + special.gammaln(n2 + 1)
        - special.gammaln(x2 + 1)
        - special.gammaln(n2 - x2 + 1)
    )
    total = 0.0
    for w, a, b in zip(prior.weights, prior.a, prior.b, strict=True):
        logp = log_comb + special.betaln(a + x, b + n - x) - special.betaln(a, b)
        total += w * float(np.sum(np.exp(logp)[success]))
    return total


def _draw_p(rng: np.random.Generator, prior: BetaMixturePrior, size: int) -> np.ndarray:
    comp = rng.choice(len(prior.weights), size=size, p=np.asarray(prior.weights))
    return rng.beta(np.asarray(prior.a)[comp], np.asarray(prior.b)[comp])


def _estimate(successes: int, n_sim: int, exact: float) -> Estimate:
    p = successes / n_sim
    return Estimate(p, math.sqrt(p * (1 - p) / n_sim), exact)


# Replicates are drawn in blocks of this size so memory stays flat in n_sim;
# the block size is fixed, so the result depends only on the seed.
_BLOCK = 1 << 16


def simulate_assurance_single_stage(
    prior: BetaMixturePrior, designs: Sequence[tuple[int, int]], n_sim: int, key: int
) -> list[Estimate]:
    """Assurance of each single-stage design ``(n, r)`` by simulation.

    Every replicate draws p from the prior and ``X ~ Bin(n_max, p)`` patient
    by patient in the sense of common random numbers: ``X(n)`` for the
    smaller designs is the count among the first n of the same patients
    (binomial thinning by a hypergeometric draw), so the assurance curve is
    estimated on one set of trials.

    Parameters
    ----------
    prior : BetaMixturePrior
    designs : sequence of (n, r)
        Sizes and critical values; success is ``X(n) > r``.
    n_sim : int
        Number of simulated trials.
    key : int
        Seed of the generator (from :func:`simtrial.engine._rng.scenario_key`).

    Returns
    -------
    list of Estimate
        One per design, with its exact beta-binomial value attached.
    """
    ns = np.array([d[0] for d in designs], dtype=np.int64)
    rs = np.array([d[1] for d in designs], dtype=np.int64)
    order = np.argsort(-ns, kind="stable")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(key))))
    wins = np.zeros(len(designs), dtype=np.int64)
    done = 0
    while done < n_sim:
        m = min(_BLOCK, n_sim - done)
        p = _draw_p(rng, prior, m)
        # Largest design first, then successive subsamples: X(n') | X(n) is
        # hypergeometric, which gives X(n') ~ Bin(n', p) for the same patients.
        x_prev = rng.binomial(int(ns[order[0]]), p)
        n_prev = int(ns[order[0]])
        for idx in order:
            n = int(ns[idx])
            if n < n_prev:
                x_prev = rng.hypergeometric(x_prev, n_prev - x_prev, n)
                n_prev = n
            wins[idx] += int(np.count_nonzero(x_prev > rs[idx]))
        done += m
    return [
        _estimate(int(w), n_sim, assurance_single_stage(prior, int(n), int(r)))
        for w, n, r in zip(wins, ns, rs, strict=True)
    ]


def simulate_assurance_simon(prior: BetaMixturePrior, r1: int, n1: int, r: int, n: int, n_sim: int, key: int) -> Estimate:
    """Assurance of a Simon two-stage design by simulation (p from the prior, then both stages)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(key))))
    wins = 0
    done = 0
    while done < n_sim:
        m = min(_BLOCK, n_sim - done)
        p = _draw_p(rng, prior, m)
        x1 = rng.binomial(n1, p)
        x2 = rng.binomial(n - n1, p)
        wins += int(np.count_nonzero((x1 > r1) & (x1 + x2 > r)))
        done += m
    return _estimate(wins, n_sim, assurance_simon(prior, r1, n1, r, n))


def _z_reject(x0: np.ndarray, n0: int, x1: np.ndarray, n1: int, crit: float, direction: float, sided: int) -> np.ndarray:
    """Whether the pooled two-proportion z test rejects (the same rule as the randomized simulator)."""
    pbar = (x0 + x1) / (n0 + n1)
    var = pbar * (1 - pbar) * (1 / n0 + 1 / n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (x1 / n1 - x0 / n0) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    return np.abs(z) > crit if sided == 2 else direction * z > crit


def assurance_two_proportions(
    prior: BetaMixturePrior,
    p_control: float,
    n_control: int,
    n_experimental: int,
    alpha: float,
    *,
    sided: int = 1,
    direction: float = 1.0,
) -> float:
    """Exact assurance of a randomized two-arm response trial (pooled z test).

    The control rate is fixed; the experimental rate follows the prior, so the
    experimental responses are beta-binomial and the probability that the
    test rejects is a finite sum over both arms' outcomes.

    Parameters
    ----------
    prior : BetaMixturePrior
        Prior on the experimental arm's response rate.
    p_control : float
    n_control, n_experimental : int
    alpha : float
        Level (one-sided unless ``sided = 2``).
    sided : {1, 2}
    direction : float
        +1 when the one-sided alternative is experimental > control.
    """
    crit = float(stats.norm.isf(alpha / sided))
    x0 = np.arange(n_control + 1)[:, None]
    x1 = np.arange(n_experimental + 1)[None, :]
    reject = _z_reject(x0, n_control, x1, n_experimental, crit, direction, sided).astype(float)
    f0 = stats.binom.pmf(np.arange(n_control + 1), n_control, p_control)
    f1 = sum(
        w * stats.betabinom.pmf(np.arange(n_experimental + 1), n_experimental, a, b)
        for w, a, b in zip(prior.weights, prior.a, prior.b, strict=True)
    )
    return float(f0 @ reject @ f1)


def simulate_assurance_two_proportions(
    prior: BetaMixturePrior,
    p_control: float,
    arms: Sequence[tuple[int, int]],
    alpha: float,
    n_sim: int,
    key: int,
    *,
    sided: int = 1,
    direction: float = 1.0,
) -> list[Estimate]:
    """Assurance of randomized response trials by simulation: p from the prior, then both arms.

    Parameters
    ----------
    prior, p_control, alpha, sided, direction
        As in :func:`assurance_two_proportions`.
    arms : sequence of (n_control, n_experimental)
    n_sim : int
    key : int
        Seed of the generator.

    Returns
    -------
    list of Estimate
        One per entry of ``arms``, with the exact value attached.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(key))))
    crit = float(stats.norm.isf(alpha / sided))
    out = []
    for n0, n1 in arms:
        wins = 0
        done = 0
        while done < n_sim:
            m = min(_BLOCK, n_sim - done)
            p = _draw_p(rng, prior, m)
            x0 = rng.binomial(n0, p_control, size=m)
            x1 = rng.binomial(n1, p)
            wins += int(np.count_nonzero(_z_reject(x0, n0, x1, n1, crit, direction, sided)))
            done += m
        exact = assurance_two_proportions(prior, p_control, n0, n1, alpha, sided=sided, direction=direction)
        out.append(_estimate(wins, n_sim, exact))
    return out
