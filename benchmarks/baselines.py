"""Baselines the engine is measured against: plain Python and chunked numpy.

Both simulate the benchmark reference model (``benchmarks/reference.yaml``)
patient by patient, with the engine's semantics:

* patients arrive as a Poisson process (exponential gaps) from the opening;
* each has a Bernoulli response, assessed at the end of cycle 1 (so every
  patient is evaluable), and a per-cycle Bernoulli grade >= 3 toxicity
  whose first occurrence ends treatment at the end of that cycle; the cycle
  of the first toxicity is one geometric draw;
* the stage-1 analysis is at the assessment of the n1-th patient; accrual is
  paused until then; the trial stops for futility with <= r1 responses,
  otherwise n - n1 more patients are enrolled, arriving from the stage-1
  analysis, and the final analysis is at the assessment of the last one;
  the drug is promising with > r responses;
* per trial: promising, stopped early, patients enrolled, patients with a
  toxicity, cycles given, and duration (opening to final analysis).

They are honest, reasonably efficient implementations: the Python one keeps
its hot loop tight (bound methods, locals, one draw per random quantity);
the numpy one draws whole chunks of replicates with one ``Generator`` call
per quantity and simulates stage 2 only for the trials that reach it. They
compute fewer outputs than the engine (no histograms, accrual curve or
survival sample), so engine/baseline speed ratios are conservative.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ReferenceModel", "Totals", "python_simulate", "numpy_simulate"]


@dataclass(frozen=True)
class ReferenceModel:
    """The parameters of one scenario of the reference model (time in days).

    Attributes
    ----------
    r1, n1, r, n : int
        Simon design.
    rate : float
        Patients per day.
    p_response, p_tox : float
        Response probability; per-cycle toxicity probability.
    cycle_length : float
        Days per cycle; response is assessed at the end of cycle 1.
    max_cycles : int
    """

    r1: int
    n1: int
    r: int
    n: int
    rate: float
    p_response: float
    p_tox: float
    cycle_length: float
    max_cycles: int

    @classmethod
    def from_config(cls, config: Any, scenario: int) -> ReferenceModel:
        """Read one scenario of a :class:`simtrial.model.TrialConfig`.

        Raises
        ------
        ValueError
            If the config uses a feature the baselines do not implement (they
            implement exactly the reference model, nothing more).
        """
        from simtrial.model import DAYS_PER_MONTH

        enr, tox, ev = config.enrollment, config.toxicity, config.evaluability
        unsupported = {
            "several accrual rates": len(enr.rates) != 1,
            "accrual cap": enr.max_duration is not None,
            "screen failures": enr.screen_fail != 0.0,
            "survival": config.survival is not None,
            "withdrawal": ev.withdrawal_per_cycle != 0.0,
            "replacement": ev.replace_non_evaluable,
            "several designs": len(config.design_blocks()) != 1,
            "toxicity stopping rule": config.design_blocks()[0].toxicity_stop is not None,
            "assessment after cycle > 1": config.response.assess_after_cycles != 1,
            "dose reduction": (
                tox.on_event != "discontinue"
                and tox.max_events != 1
                and len(config.treatment.drugs[config.tox_drug_index()].reductions) > 0
            ),
            "cycle-1 toxicity factor": tox.cycle1_factor != 1.0,
            "no stage-1 pause": not config.design_blocks()[0].pause_after_stage1,
        }
        bad = [k for k, v in unsupported.items() if v]
        if bad:
            raise ValueError(f"the baselines implement the reference model only; this config has {', '.join(bad)}")
        d = config.resolved_designs()[0].simon
        if d is None:
            raise ValueError("the baselines implement Simon two-stage designs only")
        sc = config.scenarios[scenario]
        return cls(
            r1=d.r1, n1=d.n1, r=d.r, n=d.n,
            rate=enr.rates[0].per_month / DAYS_PER_MONTH,
            p_response=sc.p_response, p_tox=sc.p_tox,
            cycle_length=float(config.treatment.cycle_length),
            max_cycles=int(config.treatment.max_cycles),
        )  # fmt: skip


@dataclass
class Totals:
    """Sums over replicates (the per-trial outputs above, and squares where a SE needs them)."""

    n_sim: int = 0
    promising: int = 0
    stopped: int = 0
    enrolled: int = 0
    tox_patients: int = 0
    tox_patients_sq: int = 0
    cycles: int = 0
    duration: float = 0.0
    duration_sq: float = 0.0

    def add(self, other: Totals) -> None:
        for f in self.__dataclass_fields__:
            setattr(self, f, getattr(self, f) + getattr(other, f))


# ---------------------------------------------------------------------------
# (a) plain Python
# ---------------------------------------------------------------------------


def python_simulate(model: ReferenceModel, n_sim: int, seed: int) -> Totals:
    """Simulate ``n_sim`` trials in plain Python (``random.Random``).

    Parameters
    ----------
    model : ReferenceModel
    n_sim : int
    seed : int

    Returns
    -------
    Totals
    """
    rng = random.Random(seed)
    rand = rng.random
    expo = rng.expovariate
    log1p = math.log1p
    rate, p, ptox = model.rate, model.p_response, model.p_tox
    # Geometric cycle of the first toxicity by inverse transform: one draw.
    lq = log1p(-ptox) if 0.0 < ptox < 1.0 else 0.0
    clen, max_c = model.cycle_length, model.max_cycles
    n1, r1, n2, r = model.n1, model.r1, model.n - model.n1, model.r
    tot = Totals(n_sim=n_sim)

    def stage(t: float, m: int) -> tuple[float, int, int, int]:
        x = tox = cyc = 0
        for _ in range(m):
            t += expo(rate)
            if rand() < p:
                x += 1
            if ptox >= 1.0:
                k = 1
            elif ptox > 0.0:
                k = 1 + int(log1p(-rand()) / lq)
            else:
                k = max_c + 1
            if k <= max_c:
                tox += 1
                cyc += k
            else:
                cyc += max_c
        return t, x, tox, cyc

    promising = stopped = enrolled = tox_pat = tox_sq = cycles = 0
    dur_sum = dur_sq = 0.0
    for _ in range(n_sim):
        t, x1, tox, cyc = stage(0.0, n1)
        a1 = t + clen
        if x1 <= r1:
            stopped += 1
            enrolled += n1
            dur = a1
        else:
            t, x2, tox2, cyc2 = stage(a1, n2)
            tox += tox2
            cyc += cyc2
            enrolled += n1 + n2
            dur = t + clen
            if x1 + x2 > r:
                promising += 1
        tox_pat += tox
        tox_sq += tox * tox
        cycles += cyc
        dur_sum += dur
        dur_sq += dur * dur
    tot.promising, tot.stopped, tot.enrolled = promising, stopped, enrolled
    tot.tox_patients, tot.tox_patients_sq, tot.cycles = tox_pat, tox_sq, cycles
    tot.duration, tot.duration_sq = dur_sum, dur_sq
    return tot


# ---------------------------------------------------------------------------
# (b) numpy, vectorised over replicates in chunks
# ---------------------------------------------------------------------------


def _numpy_stage(rng: np.random.Generator, model: ReferenceModel, start: np.ndarray, m: int):
    """One stage of ``m`` patients for each trial; ``start`` is each trial's clock."""
    k = start.shape[0]
    gaps = rng.exponential(1.0 / model.rate, size=(k, m))
    last = start + gaps.sum(axis=1)
    x = (rng.random((k, m)) < model.p_response).sum(axis=1)
    if model.p_tox > 0.0:
        first_tox = rng.geometric(model.p_tox, size=(k, m))
        tox = (first_tox <= model.max_cycles).sum(axis=1)
        cyc = np.minimum(first_tox, model.max_cycles).sum(axis=1)
    else:
        tox = np.zeros(k, dtype=np.int64)
        cyc = np.full(k, m * model.max_cycles, dtype=np.int64)
    return last, x, tox, cyc


def numpy_simulate(model: ReferenceModel, n_sim: int, seed: int, *, chunk: int = 65536) -> Totals:
    """Simulate ``n_sim`` trials with numpy, ``chunk`` replicates at a time.

    Every random quantity of a stage is one bulk ``Generator`` call over
    (trials, patients); stage 2 is simulated only for the trials that
    continue. Memory is bounded by the chunk, not by ``n_sim``.

    Parameters
    ----------
    model : ReferenceModel
    n_sim : int
    seed : int
    chunk : int

    Returns
    -------
    Totals
    """
    rng = np.random.default_rng(seed)
    n1, n2 = model.n1, model.n - model.n1
    clen = model.cycle_length
    tot = Totals()
    for lo in range(0, n_sim, chunk):
        k = min(chunk, n_sim - lo)
        # Every patient's arrival is drawn (the engine records each), though
        # only the stage's last arrival enters the duration here.
        t1, x1, tox, cyc = _numpy_stage(rng, model, np.zeros(k), n1)
        a1 = t1 + clen
        go = x1 > model.r1
        dur = a1.copy()
        promising = 0
        if go.any():
            t2, x2, tox2, cyc2 = _numpy_stage(rng, model, a1[go], n2)
            dur[go] = t2 + clen
            tox[go] += tox2
            cyc[go] += cyc2
            promising = int(np.count_nonzero(x1[go] + x2 > model.r))
        n_go = int(np.count_nonzero(go))
        part = Totals(
            n_sim=k,
            promising=promising,
            stopped=k - n_go,
            enrolled=k * n1 + n_go * n2,
            tox_patients=int(tox.sum()),
            tox_patients_sq=int((tox * tox).sum()),
            cycles=int(cyc.sum()),
            duration=float(dur.sum()),
            duration_sq=float((dur * dur).sum()),
        )
        tot.add(part)
    return tot
