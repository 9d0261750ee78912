"""simulate(config, ...) -> SimulationResult: validate, allocate, seed, call the kernels.

The parallel kernel runs batches of fixed-size chunks; each chunk writes its
own integer counts and float sums, and the batches are combined here in
chunk order, so results are bit-identical for any number of threads.
Memory is constant in ``n_sim`` (one batch of chunk rows) unless
per-replicate records are requested.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from simtrial.engine.pack import (
    F_BIN_WIDTH,
    I_MAX_ENROLLED,
    I_N_RDI_BINS,
    I_N_TIME_BINS,
    NREC,
    R_CAPSTOP,
    R_DEATHS,
    R_DOSE_SUM,
    R_DURATION,
    R_ENROLLED,
    R_EVALUABLE,
    R_FUTILE,
    R_PROMISING,
    R_RDI_SUM,
    R_TOXPAT,
    R_TOXSTOP,
    REC_FIELDS,
    Packed,
    pack_scenario,
)
from simtrial.engine.result import Estimate, ScenarioResult, SimulationResult
from simtrial.errors import ConfigError
from simtrial.model.units import DAYS_PER_MONTH

__all__ = ["simulate", "CHUNK_SIZE", "SURVIVAL_SAMPLE_REPLICATES"]

# Fixed: changing it changes the order of float sums (and so last digits).
# Large enough that the per-chunk bookkeeping (scratch, rows of counts
# zeroed and summed here) is a small share of a chunk's work.
CHUNK_SIZE = 8192
# Chunks per kernel call: several per thread for load balance, and few calls
# per run, since the rows are combined here between calls without threads
# (at 16 that serial share held a fast model's 1 -> 2 thread speed-up near
# 1.9x). The progress bar still moves every 0.5 million replicates.
_BATCH_CHUNKS = 64
SURVIVAL_SAMPLE_REPLICATES = 50
_ACCRUAL_POINTS = 200


def simulate(
    config: Any,
    *,
    n_sim: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    replicates: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate every scenario of a trial config at patient level.

    Parameters
    ----------
    config : TrialConfig
        A validated config (:func:`simtrial.model.load_config`).
    n_sim, seed, threads : int, optional
        Override ``config.simulation``; ``threads=None`` there means all cores.
    replicates : bool
        Also return one row per replicate (``SimulationResult.replicates``);
        memory then grows with ``n_sim``.
    progress : callable, optional
        Called with the number of replicates just finished.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from simtrial.model import load_config       # doctest: +SKIP
    >>> res = simulate(load_config("configs/binomial.yaml"), n_sim=10_000)  # doctest: +SKIP
    >>> res.scenario("null").metrics["p_promising"]  # doctest: +SKIP
    """
    import numba

    from simtrial import __version__
    from simtrial.engine._kernels import collect_patients, run_chunks
    from simtrial.engine._rng import scenario_key

    sim = config.simulation
    n_sim = int(sim.n_sim if n_sim is None else n_sim)
    seed = int(sim.seed if seed is None else seed)
    if n_sim < 1:
        raise ConfigError("simulation.n_sim", f"must be an integer >= 1, got {n_sim}")
    if seed < 0:
        raise ConfigError("simulation.seed", f"must be an integer >= 0, got {seed}")
    max_threads = numba.config.NUMBA_NUM_THREADS
    want = sim.threads if threads is None else threads
    if want is not None and (int(want) < 1):
        raise ConfigError("simulation.threads", f"must be an integer >= 1, got {want}")
    n_threads = max_threads if want is None else min(int(want), max_threads)

    design = config.resolved_design()
    t0 = time.perf_counter()
    old_threads = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    scenarios = []
    frames = []
    try:
        for idx, sc in enumerate(config.scenarios):
            packed = pack_scenario(config, design, idx)
            key = scenario_key(seed, idx)
            totals, recs = _run_scenario(run_chunks, packed, key, n_sim, replicates, progress)
            n_rep = min(SURVIVAL_SAMPLE_REPLICATES, n_sim)
            size = n_rep * int(packed.ipar[I_MAX_ENROLLED]) + 1
            st, se_, sr = np.empty(size), np.empty(size, np.int8), np.empty(size, np.int8)
            m = collect_patients(key, n_rep, *packed, st, se_, sr)
            exact = _exact(config, design, idx)
            scenarios.append(_scenario_result(sc, packed, totals, n_sim, exact, (st[:m], se_[:m], sr[:m])))
            if recs is not None:
                frames.append(_replicate_frame(sc.name, recs))
    finally:
        numba.set_num_threads(old_threads)
    elapsed = time.perf_counter() - t0

    reps = None
    if replicates:
        import pandas as pd

        reps = pd.concat(frames, ignore_index=True)
    return SimulationResult(
        config=config.model_dump(mode="json"),
        design=design,
        seed=seed,
        n_sim=n_sim,
        threads=n_threads,
        version=__version__,
        elapsed_seconds=elapsed,
        scenarios=tuple(scenarios),
        replicates=reps,
    )


def _run_scenario(kernel, packed: Packed, key, n_sim: int, store: bool, progress) -> tuple[dict, Any]:
    from simtrial.engine._kernels import add_rows

    ipar = packed.ipar
    max_enr = int(ipar[I_MAX_ENROLLED])
    n_tb = int(ipar[I_N_TIME_BINS])
    n_rb = int(ipar[I_N_RDI_BINS])
    b = _BATCH_CHUNKS
    sums = np.empty((b, NREC))
    sumsq = np.empty((b, NREC))
    cross = np.empty((b, 2))
    enr = np.empty((b, max_enr + 1), dtype=np.int64)
    evl = np.empty((b, max_enr + 1), dtype=np.int64)
    tox = np.empty((b, max_enr + 1), dtype=np.int64)
    dur = np.empty((b, n_tb + 1), dtype=np.int64)
    accr = np.empty((b, n_tb + 1), dtype=np.int64)
    rdi = np.empty((b, n_rb), dtype=np.int64)
    recs = np.zeros((n_sim, NREC)) if store else np.zeros((1, NREC))

    tot = {
        "sum": np.zeros(NREC),
        "sumsq": np.zeros(NREC),
        "cross": np.zeros(2),
        "enr": np.zeros(max_enr + 1, np.int64),
        "evl": np.zeros(max_enr + 1, np.int64),
        "tox": np.zeros(max_enr + 1, np.int64),
        "dur": np.zeros(n_tb + 1, np.int64),
        "accr": np.zeros(n_tb + 1, np.int64),
        "rdi": np.zeros(n_rb, np.int64),
    }
    n_chunks = -(-n_sim // CHUNK_SIZE)
    for first in range(0, n_chunks, b):
        nc = min(b, n_chunks - first)
        # The kernel zeroes each chunk's rows of counts itself, in parallel.
        kernel(key, first, nc, CHUNK_SIZE, n_sim, *packed, sums, sumsq, cross, enr, evl, tox, dur,
               accr, rdi, store, recs)
        # Float sums combined chunk by chunk, in chunk order.
        for name, rows in (("sum", sums), ("sumsq", sumsq), ("cross", cross), ("enr", enr), ("evl", evl),
                           ("tox", tox), ("dur", dur), ("accr", accr), ("rdi", rdi)):
            add_rows(tot[name], rows, nc)
        if progress is not None:
            progress(min((first + nc) * CHUNK_SIZE, n_sim) - min(first * CHUNK_SIZE, n_sim))
    return tot, (recs if store else None)


def _exact(config: Any, design: Any, idx: int) -> dict[str, float] | None:
    """Exact binomial values where the scenario reduces to Simon's design."""
    if not config.scenario_is_binomial(idx):
        return None
    p = config.scenarios[idx].p_response
    en = float(design.en(p))
    pet = float(design.pet(p))
    # N is n1 with probability PET, else n: its inverse CDF at q.
    quant = {f"enrolled_{k}": float(design.n1 if pet >= q else design.n)
             for k, q in (("p10", 0.1), ("median", 0.5), ("p90", 0.9))}
    return {
        **quant,
        "p_promising": float(design.p_reject(p)),
        "pet": float(design.pet(p)),
        "p_stop_tox": 0.0,
        "en_enrolled": en,
        "en_evaluable": en,
        "n_tox_patients": 0.0,
        "rdi_mean": 1.0,
        "deaths_on_study": 0.0,
    }


def _prob(k: float, n: int, exact: float | None) -> Estimate:
    p = float(k) / n
    return Estimate(p, math.sqrt(p * (1.0 - p) / n), exact)


def _mean(s: float, s2: float, n: int, exact: float | None) -> Estimate:
    m = float(s) / n
    var = max(s2 / n - m * m, 0.0) * n / (n - 1) if n > 1 else float("nan")
    return Estimate(m, math.sqrt(var / n), exact)


def _ratio(sy: float, syy: float, sx: float, sxx: float, sxy: float, n: int, exact: float | None) -> Estimate:
    """Ratio estimator sum(y)/sum(x) with its delta-method SE (y per trial over x per trial)."""
    if sx <= 0:
        return Estimate(float("nan"), float("nan"), exact)
    r = float(sy) / float(sx)
    xbar = float(sx) / n
    # Var of (y - r x) per trial, divided by n xbar^2.
    v = (syy - 2 * r * sxy + r * r * sxx) / n
    v = max(v, 0.0) * n / max(n - 1, 1)
    return Estimate(r, math.sqrt(v / n) / xbar, exact)


def _count_quantile(counts: np.ndarray, q: float) -> float:
    """Inverse empirical CDF of an integer variable from its counts (type 1)."""
    cum = np.cumsum(counts)
    target = q * cum[-1]
    return float(np.searchsorted(cum, target - 1e-9 * cum[-1], side="left"))


def _hist_quantile(counts: np.ndarray, width: float, q: float) -> float:
    """Quantile from fixed-width bins, interpolated linearly inside the bin (nan in the overflow bin)."""
    total = counts.sum()
    cum = np.cumsum(counts)
    target = q * total
    i = int(np.searchsorted(cum, target, side="left"))
    if i >= len(counts) - 1:
        return float("nan")
    below = cum[i - 1] if i > 0 else 0
    frac = (target - below) / counts[i] if counts[i] > 0 else 0.0
    return (i + frac) * width


def _quantile_estimate(qfun, q: float, n: int) -> Estimate:
    """Quantile with an order-statistic SE: half the width of the +-1 SD rank interval."""
    h = math.sqrt(q * (1.0 - q) / n)
    lo, hi = qfun(max(q - h, 0.0)), qfun(min(q + h, 1.0))
    return Estimate(qfun(q), (hi - lo) / 2.0, None)


def _scenario_result(sc, packed: Packed, tot: dict, n: int, exact: dict | None, surv) -> ScenarioResult:
    s, s2, cross = tot["sum"], tot["sumsq"], tot["cross"]
    ex = exact or {}
    width = float(packed.fpar[F_BIN_WIDTH])
    m = {}
    m["p_promising"] = _prob(s[R_PROMISING], n, ex.get("p_promising"))
    m["pet"] = _prob(s[R_FUTILE], n, ex.get("pet"))
    m["p_stop_tox"] = _prob(s[R_TOXSTOP], n, ex.get("p_stop_tox"))
    m["p_stop_accrual"] = _prob(s[R_CAPSTOP], n, 0.0 if exact else None)
    m["en_enrolled"] = _mean(s[R_ENROLLED], s2[R_ENROLLED], n, ex.get("en_enrolled"))
    m["en_evaluable"] = _mean(s[R_EVALUABLE], s2[R_EVALUABLE], n, ex.get("en_evaluable"))
    for q, name in ((0.1, "enrolled_p10"), (0.5, "enrolled_median"), (0.9, "enrolled_p90")):
        e = _quantile_estimate(lambda x: _count_quantile(tot["enr"], x), q, n)
        m[name] = Estimate(e.value, e.se, ex.get(name))
    mean_d = _mean(s[R_DURATION], s2[R_DURATION], n, None)
    m["duration_mean_months"] = Estimate(mean_d.value / DAYS_PER_MONTH, mean_d.se / DAYS_PER_MONTH)
    for q, name in ((0.5, "duration_median_months"), (0.1, "duration_p10_months"), (0.9, "duration_p90_months")):
        e = _quantile_estimate(lambda x: _hist_quantile(tot["dur"], width, x), q, n)
        m[name] = Estimate(e.value / DAYS_PER_MONTH, e.se / DAYS_PER_MONTH)
    m["n_tox_patients"] = _mean(s[R_TOXPAT], s2[R_TOXPAT], n, ex.get("n_tox_patients"))
    m["rdi_mean"] = _ratio(s[R_RDI_SUM], s2[R_RDI_SUM], s[R_ENROLLED], s2[R_ENROLLED], cross[0], n,
                           ex.get("rdi_mean"))
    m["deaths_on_study"] = _mean(s[R_DEATHS], s2[R_DEATHS], n, ex.get("deaths_on_study"))
    m["dose_delivered_mean"] = _ratio(s[R_DOSE_SUM], s2[R_DOSE_SUM], s[R_ENROLLED], s2[R_ENROLLED],
                                      cross[1], n, None)

    n_tb = len(tot["dur"]) - 1
    edges = np.arange(n_tb + 1, dtype=np.float64) * width
    grid_idx = np.linspace(0, n_tb, _ACCRUAL_POINTS + 1).astype(np.int64)
    cum_enr = np.cumsum(tot["accr"][:n_tb]) / n
    t_grid = grid_idx * width
    mean_enr = np.concatenate([[0.0], cum_enr])[grid_idx]
    n_rb = len(tot["rdi"])
    return ScenarioResult(
        name=sc.name,
        truth={"p_response": sc.p_response, "p_tox": sc.p_tox,
               **({"os_median_days": sc.os_median} if sc.os_median is not None else {})},
        metrics=m,
        duration_hist=(edges, tot["dur"][:n_tb].copy()),
        enrolled_counts=tot["enr"].copy(),
        evaluable_counts=tot["evl"].copy(),
        accrual_curve=(t_grid.astype(np.float64), mean_enr.astype(np.float64)),
        survival_sample=surv,
        tox_counts=tot["tox"].copy(),
        rdi_hist=(np.linspace(0.0, 1.0, n_rb + 1), tot["rdi"].copy()),
    )


def _replicate_frame(name: str, recs: np.ndarray):
    import pandas as pd

    df = pd.DataFrame(recs, columns=list(REC_FIELDS))
    for col in ("promising", "stop_futility", "stop_tox", "stop_accrual"):
        df[col] = df[col].astype(bool)
    for col in ("enrolled", "evaluable", "responses", "tox_patients", "deaths", "x1"):
        df[col] = df[col].astype(np.int64)
    df.insert(0, "replicate", np.arange(len(df), dtype=np.int64))
    df.insert(0, "scenario", name)
    return df
