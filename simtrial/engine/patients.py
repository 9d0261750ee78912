"""What the patient model does to the design's response count: the effective response rate.

A design counts responses among evaluable patients. When evaluability
depends on response (responders living longer, say), the evaluable patients
are not a random sample: the response rate the design sees differs from the
scenario's ``p_response``. With replacement it is ``P(respond | evaluable)``;
without it a non-evaluable patient's slot counts as a non-response, so it is
``P(respond and evaluable)``. The design then behaves as the binomial design
at that rate, up to what accrual caps and toxicity stops change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EffectiveRate", "effective_response_rates"]


@dataclass(frozen=True)
class EffectiveRate:
    """The response rate a design sees under one scenario.

    Attributes
    ----------
    scenario : str
    p_response : float
        The scenario's response probability.
    p_evaluable : float
        Probability that a patient is evaluable.
    rate : float
        The rate per counted slot: ``P(respond | evaluable)`` with
        replacement, ``P(respond and evaluable)`` without.
    se : float
        Monte Carlo SE of ``rate`` (delta method over replicates of patients).
    n_patients : int
        Patients simulated.
    """

    scenario: str
    p_response: float
    p_evaluable: float
    rate: float
    se: float
    n_patients: int


def effective_response_rates(config: Any, *, n_patients: int = 400_000, seed: int | None = None) -> list[EffectiveRate]:
    """Simulate the patient model alone and return each scenario's effective response rate.

    Parameters
    ----------
    config : TrialConfig
    n_patients : int
        Patients per scenario (in replicates of 100; the SE is computed over replicates).
    seed : int, optional
        Default: the config's simulation seed.

    Returns
    -------
    list of EffectiveRate
    """
    from simtrial.engine._kernels import count_patients
    from simtrial.engine._rng import run_key
    from simtrial.engine.pack import pack_model

    per = 100
    n_rep = max(2, -(-int(n_patients) // per))
    model = pack_model(config, per, ())  # no design: only response and evaluability are counted
    out = np.zeros((len(config.scenarios), n_rep, 3), dtype=np.int64)
    count_patients(run_key(config.simulation.seed if seed is None else seed), n_rep, per, model, out)
    replace = config.evaluability.replace_non_evaluable
    res = []
    for s, sc in enumerate(config.scenarios):
        ev, er = out[s, :, 0].astype(float), out[s, :, 1].astype(float)
        n = n_rep * per
        p_ev = ev.sum() / n
        if replace:
            rate = er.sum() / ev.sum() if ev.sum() > 0 else float("nan")
            # Ratio estimator over replicates of patients.
            resid = er - rate * ev
            var = resid.var(ddof=1) / n_rep / (ev.mean() ** 2) if ev.sum() > 0 else float("nan")
        else:
            rate = er.sum() / n
            var = (er / per).var(ddof=1) / n_rep
        res.append(EffectiveRate(sc.name, sc.p_response, p_ev, rate, math.sqrt(var), n))
    return res
