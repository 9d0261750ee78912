"""simulate(config, ...) -> SimulationResult: resolve, pack, seed, call the kernels, reduce.

The parallel kernel runs batches of fixed-size chunks; each chunk writes its
own counts and sums, and the batches are combined here in chunk order, so
results are bit-identical for any number of threads. Memory is constant in
``n_sim`` (one batch of chunk rows) unless per-replicate records are asked for.

Every scenario and every design of the run shares one key: patient ``k`` of
replicate ``j`` is the same person under every design, and the same
uniforms under every scenario (common random numbers), so differences are
reported with paired standard errors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from simtrial.engine.outcomes import (
    CATEGORIES,
    COUNT_SLOTS,
    FLOAT_SLOTS,
    METRICS,
    N_CATEGORIES,
    NREC,
    OUTCOMES,
    PAIR_METRICS,
    PROMISING,
    SLOT,
    C_FUTILE_INTERIM,
    itemise_looks,
    metric,
    pet_look_key,
)
from simtrial.engine.result import Estimate, PairedDifference, ScenarioResult, SimulationResult
from simtrial.errors import ConfigError
from simtrial.model.units import DAYS_PER_MONTH

__all__ = ["simulate", "CHUNK_SIZE"]

# Fixed: changing it changes the order of float sums (and so last digits).
CHUNK_SIZE = 8192
# Most chunk rows per kernel call, and the memory the rows may take: several
# chunks per thread for load balance, few calls per run (rows are combined
# here between calls, without threads).
_BATCH_CHUNKS = 64
_BATCH_BYTES = 64 << 20
_ACCRUAL_POINTS = 200
_COUNT_INDEX = {OUTCOMES[s].name: j for j, s in enumerate(COUNT_SLOTS)}
_FLOAT_INDEX = {OUTCOMES[s].name: j for j, s in enumerate(FLOAT_SLOTS)}


def simulate(
    config: Any,
    *,
    n_sim: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    replicates: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate every scenario of a trial config, with every design on the same patients.

    Parameters
    ----------
    config : TrialConfig
        A validated config (:func:`simtrial.model.load_config`).
    n_sim, seed, threads : int, optional
        Override ``config.simulation``; ``threads=None`` there means all cores.
    replicates : bool
        Also return one row per scenario, design and replicate
        (``SimulationResult.replicates``); memory then grows with ``n_sim``.
    progress : callable, optional
        Called with the number of replicates just finished (each covers every
        scenario and design).

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
    from simtrial.engine._patients import R_INV_BIN_WIDTH
    from simtrial.engine._rng import run_key
    from simtrial.engine.pack import most_enrolled, pack_designs, pack_model

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

    designs = config.resolved_designs()
    n_max = most_enrolled(config, designs)
    model = pack_model(config, n_max, designs)
    des = pack_designs(config, designs)
    t0 = time.perf_counter()
    tot, out = _run(model, des, run_key(seed), n_sim, replicates, progress, _pairs(config, designs), n_threads)
    elapsed = time.perf_counter() - t0

    n_d = len(designs)
    width = 1.0 / float(model.rf[R_INV_BIN_WIDTH])
    units = []
    exacts = {}
    for s, sc in enumerate(config.scenarios):
        for d, dz in enumerate(designs):
            u = s * n_d + d
            exact = _exact(config, dz, s)
            exacts[u] = exact
            units.append(_unit_result(sc, dz, _unit_totals(tot, u), n_sim, exact, width, _survival(out, u)))
    diffs = _differences(config, designs, tot, out.pairs, n_sim, exacts)
    reps = _replicate_frame(config, designs, out.recs) if replicates else None
    return SimulationResult(
        config=config.to_dict(),
        designs=designs,
        seed=seed,
        n_sim=n_sim,
        threads=n_threads,
        version=__version__,
        elapsed_seconds=elapsed,
        units=tuple(units),
        differences=tuple(diffs),
        replicates=reps,
    )


def _pairs(config: Any, designs: Any) -> np.ndarray:
    """Units whose differences are reported: every two designs per scenario, then neighbouring scenarios per design."""
    n_d = len(designs)
    rows = []
    for s in range(len(config.scenarios)):
        for a in range(n_d):
            for b in range(a + 1, n_d):
                rows.append((s * n_d + a, s * n_d + b))
    for d in range(n_d):
        for s in range(len(config.scenarios) - 1):
            rows.append((s * n_d + d, (s + 1) * n_d + d))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _run(model, des, key, n_sim: int, store: bool, progress, pairs: np.ndarray, threads: int = 1):
    """Run every chunk of replicates, ``threads`` at a time, and add their rows in chunk order.

    Returns ``(totals, out)``: the totals per unit (see :class:`simtrial.engine._kernels.Acc`) and the
    per-run outputs (:class:`simtrial.engine._kernels.Out`).
    """
    from concurrent.futures import ThreadPoolExecutor

    from simtrial.engine._kernels import Acc, Out, add_rows, make_work, run_block
    from simtrial.engine.pack import SURVIVAL_SAMPLE_REPLICATES

    n_units = model.sf.shape[0] * des.n_looks.shape[0]
    n_max = des.monitor.shape[1] - 1
    k_max = des.looks.shape[1]
    n_tb = int(model.ri[0])
    n_rb = int(model.ri[1])
    n_p = pairs.shape[0]

    def shapes(b: int) -> dict[str, tuple[tuple[int, ...], Any]]:
        return {
            "cat": ((b, n_units, N_CATEGORIES, k_max + 1), np.int64),
            "cnt": ((b, n_units, len(COUNT_SLOTS), n_max + 1), np.int64),
            "fs": ((b, n_units, len(FLOAT_SLOTS), 3), np.float64),
            "dur": ((b, n_units, n_tb + 1), np.int64),
            "accr": ((b, n_units, n_tb + 1), np.int64),
            "rdi": ((b, n_units, n_rb), np.int64),
            "pair": ((b, max(n_p, 1), 4), np.float64),
        }

    per_row = sum(int(np.prod(shp[1:])) * 8 for shp, _ in shapes(1).values())
    b = max(1, min(_BATCH_CHUNKS, _BATCH_BYTES // per_row))
    acc = Acc(**{k: np.empty(shp, dtype=dt) for k, (shp, dt) in shapes(b).items()})
    tot = {k: np.zeros(shp[1:], dtype=dt) for k, (shp, dt) in shapes(1).items()}
    m = SURVIVAL_SAMPLE_REPLICATES * n_max + 1
    out = Out(
        store=bool(store),
        pairs=pairs if n_p else np.zeros((0, 2), dtype=np.int64),
        recs=np.zeros((n_sim, n_units, NREC)) if store else np.zeros((1, n_units, NREC)),
        surv_t=np.zeros((n_units, m)),
        surv_e=np.zeros((n_units, m), dtype=np.int8),
        surv_r=np.zeros((n_units, m), dtype=np.int8),
        surv_n=np.zeros(n_units, dtype=np.int64),
    )
    n_chunks = -(-n_sim // CHUNK_SIZE)
    threads = max(1, min(int(threads), b))
    works = [make_work(model, des) for _ in range(b)]

    def chunk(first: int, ci: int) -> None:
        lo = (first + ci) * CHUNK_SIZE
        # The kernel releases the GIL: chunks of a batch run on several threads at once.
        run_block(key, lo, min(lo + CHUNK_SIZE, n_sim), ci, model, des, acc, out, works[ci])

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for first in range(0, n_chunks, b):
            nc = min(b, n_chunks - first)
            if threads == 1:
                for ci in range(nc):
                    chunk(first, ci)
            else:
                list(pool.map(chunk, [first] * nc, range(nc)))
            # Chunk rows added in chunk order.
            for name in tot:
                add_rows(tot[name], getattr(acc, name), nc)
            if progress is not None:
                progress(min((first + nc) * CHUNK_SIZE, n_sim) - min(first * CHUNK_SIZE, n_sim))
    return tot, out


def _unit_totals(tot: dict[str, np.ndarray], u: int) -> dict[str, np.ndarray]:
    return {k: v[u] for k, v in tot.items() if k != "pair"}


def _survival(out: Any, u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = int(out.surv_n[u])
    return out.surv_t[u, :m].copy(), out.surv_e[u, :m].copy(), out.surv_r[u, :m].copy()


def _binomial_rates(config: Any, idx: int) -> tuple[float, float]:
    """``(p, q)``: response and toxicity-by-assessment probabilities of a binomial scenario."""
    from simtrial.engine._patients import first_event_cdf

    sc = config.scenarios[idx]
    tox = config.toxicity
    q = float(first_event_cdf(min(1.0, sc.p_tox * tox.cycle1_factor), sc.p_tox,
                              config.response.assess_after_cycles)[-1])
    return float(sc.p_response), q


def _exact(config: Any, design: Any, idx: int) -> dict[str, float] | None:
    """Exact values of the metrics where the scenario reduces to the (bivariate) binomial design."""
    if not config.scenario_is_binomial(idx):
        return None
    p, q = _binomial_rates(config, idx)
    tab = design.table
    oc = tab.oc(p, q if tab.is_joint else None)
    k = tab.n_looks
    out = {
        "p_promising": float(oc.p_reject[0]),
        "p_promising_completed": float(oc.efficacy[0, k - 1]),
        "p_promising_interim": float(oc.p_early_efficacy[0]),
        "p_promising_early": 0.0,
        "pet": float(oc.pet[0]),
        "p_not_promising": float(oc.futility[0, k - 1]),
        "p_stop_tox": float(oc.toxicity[0].sum()),
        "p_stop_accrual": 0.0,
        "deaths_on_study": 0.0,
        "rdi_mean": 1.0 if config.scenarios[idx].p_tox == 0.0 else None,
    }
    if itemise_looks(k):
        for j in range(k - 1):
            out[pet_look_key(j + 1)] = float(oc.futility[0, j])
    if design.pause or k == 1:
        # Without overrun every patient enrolled is counted at a look: N is n_k with P(stop at look k).
        en = float(oc.en[0])
        out["en_enrolled"] = en
        out["en_evaluable"] = en
        cum = np.cumsum(oc.stop[0])
        for key, level in (("enrolled_p10", 0.1), ("enrolled_median", 0.5), ("enrolled_p90", 0.9)):
            # Smallest n_k whose cumulative probability reaches the level (type 1 quantile).
            j = int(np.searchsorted(cum, level - 1e-12, side="left"))
            out[key] = float(tab.looks[min(j, k - 1)])
    if config.scenarios[idx].p_tox == 0.0:
        out["n_tox_patients"] = 0.0
    return {k2: v for k2, v in out.items() if v is not None}


def _prob(k: float, n: int, exact: float | None) -> Estimate:
    p = float(k) / n
    return Estimate(p, math.sqrt(p * (1.0 - p) / n), exact)


def _moments(counts: np.ndarray) -> tuple[float, float]:
    """Sum and sum of squares of an integer outcome from its counts by value (exact in integers)."""
    v = np.arange(counts.shape[0], dtype=np.int64)
    return float(int((v * counts).sum())), float(int((v * v * counts).sum()))


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


def _quantile_estimate(qfun, q: float, n: int) -> tuple[float, float]:
    """Quantile with an order-statistic SE: half the width of the +-1 SD rank interval."""
    h = math.sqrt(q * (1.0 - q) / n)
    lo, hi = qfun(max(q - h, 0.0)), qfun(min(q + h, 1.0))
    return qfun(q), (hi - lo) / 2.0


def _metric(m: Any, tot: dict[str, np.ndarray], n: int, exact: dict[str, float], width: float) -> Estimate:
    """Reduce one declared metric (:data:`simtrial.engine.outcomes.METRICS`) from a unit's totals."""
    ex = exact.get(m.key)
    scale = 1.0 / DAYS_PER_MONTH if m.months else 1.0
    kind = OUTCOMES[SLOT[m.outcome]].kind
    if m.reduce == "share":
        return _prob(float(tot["cat"][list(m.arg)].sum()), n, ex)
    if kind == "count":
        counts = tot["cnt"][_COUNT_INDEX[m.outcome]]
        if m.reduce == "mean":
            return _mean(*_moments(counts), n, ex)
        value, se = _quantile_estimate(lambda x: _count_quantile(counts, x), m.arg, n)
        return Estimate(value, se, ex)
    fs = tot["fs"][_FLOAT_INDEX[m.outcome]]
    if m.reduce == "mean":
        e = _mean(fs[0], fs[1], n, ex)
        return Estimate(e.value * scale, e.se * scale, ex)
    if m.reduce == "quantile":
        value, se = _quantile_estimate(lambda x: _hist_quantile(tot["dur"], width, x), m.arg, n)
        return Estimate(value * scale, se * scale, ex)
    # per patient: the trial's sum over the patients it enrolled
    ns, ns2 = _moments(tot["cnt"][_COUNT_INDEX["enrolled"]])
    return _ratio(fs[0], fs[1], ns, ns2, fs[2], n, ex)


def _unit_result(sc, design, tot: dict[str, np.ndarray], n: int, exact: dict | None, width: float,
                 surv) -> ScenarioResult:
    ex = exact or {}
    metrics: dict[str, Estimate] = {}
    for m in METRICS:
        metrics[m.key] = _metric(m, tot, n, ex, width)
        if m.key == "pet" and itemise_looks(design.table.n_looks):
            for j in range(design.table.n_looks - 1):
                key = pet_look_key(j + 1)
                metrics[key] = _prob(float(tot["cat"][C_FUTILE_INTERIM, j + 1]), n, ex.get(key))
    n_tb = tot["dur"].shape[0] - 1
    edges = np.arange(n_tb + 1, dtype=np.float64) * width
    grid_idx = np.linspace(0, n_tb, _ACCRUAL_POINTS + 1).astype(np.int64)
    cum_enr = np.cumsum(tot["accr"][:n_tb]) / n
    mean_enr = np.concatenate([[0.0], cum_enr])[grid_idx]
    n_rb = tot["rdi"].shape[0]
    return ScenarioResult(
        name=sc.name,
        design=design.name,
        truth={"p_response": sc.p_response, "p_tox": sc.p_tox,
               **({"os_median_days": sc.os_median} if sc.os_median is not None else {})},
        metrics=metrics,
        decisions=tot["cat"].copy(),
        duration_hist=(edges, tot["dur"][:n_tb].copy()),
        enrolled_counts=tot["cnt"][_COUNT_INDEX["enrolled"]].copy(),
        evaluable_counts=tot["cnt"][_COUNT_INDEX["evaluable"]].copy(),
        accrual_curve=((grid_idx * width).astype(np.float64), mean_enr.astype(np.float64)),
        survival_sample=surv,
        tox_counts=tot["cnt"][_COUNT_INDEX["tox_patients"]].copy(),
        rdi_hist=(np.linspace(0.0, 1.0, n_rb + 1), tot["rdi"].copy()),
    )


def _pair_moments(tot: dict[str, np.ndarray], u: int, key: str) -> tuple[float, float]:
    """Sum and sum of squares over replicates of the outcome behind paired metric ``key`` of unit ``u``."""
    if key == "p_promising":
        c = float(tot["cat"][u][list(PROMISING)].sum())
        return c, c
    name = metric(key).outcome
    if name in _COUNT_INDEX:
        return _moments(tot["cnt"][u, _COUNT_INDEX[name]])
    fs = tot["fs"][u, _FLOAT_INDEX[name]]
    return float(fs[0]), float(fs[1])


def _differences(config, designs, tot, pairs: np.ndarray, n: int, exacts: dict) -> list[PairedDifference]:
    n_d = len(designs)
    names = [s.name for s in config.scenarios]
    out = []
    for p, (a, b) in enumerate(pairs):
        sa, da = divmod(int(a), n_d)
        sb, db = divmod(int(b), n_d)
        if sa == sb:
            between, x, y, within = "designs", designs[da].name, designs[db].name, names[sa]
        else:
            between, x, y, within = "scenarios", names[sa], names[sb], designs[da].name
        for j, key in enumerate(PAIR_METRICS):
            s1, q1 = _pair_moments(tot, int(a), key)
            s2, q2 = _pair_moments(tot, int(b), key)
            sab = float(tot["pair"][p, j])
            mean = (s1 - s2) / n
            # var(Y_a - Y_b) from the sums of squares and of products (unbiased).
            var_d = max((q1 + q2 - 2.0 * sab) / n - mean * mean, 0.0) * n / max(n - 1, 1)
            var_a = max(q1 / n - (s1 / n) ** 2, 0.0) * n / max(n - 1, 1)
            var_b = max(q2 / n - (s2 / n) ** 2, 0.0) * n / max(n - 1, 1)
            scale = 1.0 / DAYS_PER_MONTH if metric(key).months else 1.0
            ea, eb = exacts.get(int(a)), exacts.get(int(b))
            exact = None
            if ea and eb and key in ea and key in eb:
                exact = ea[key] - eb[key]
            out.append(PairedDifference(between, x, y, within, key, mean * scale, math.sqrt(var_d / n) * scale,
                                        math.sqrt((var_a + var_b) / n) * scale, exact))
    return out


def _replicate_frame(config: Any, designs: Any, recs: np.ndarray):
    """One row per scenario, design and replicate: the record's outcomes, the category by name."""
    import pandas as pd

    n_sim, n_units, _ = recs.shape
    n_d = len(designs)
    frames = []
    for u in range(n_units):
        s, d = divmod(u, n_d)
        df = pd.DataFrame(recs[:, u, :], columns=[o.name for o in OUTCOMES])
        for o in OUTCOMES:
            if o.kind in ("count", "look"):
                df[o.name] = df[o.name].astype(np.int64)
        codes = df["category"].astype(np.int64).to_numpy()
        df["category"] = pd.Categorical.from_codes(codes, categories=list(CATEGORIES))
        df.insert(1, "promising", np.isin(codes, PROMISING))
        df.insert(0, "replicate", np.arange(n_sim, dtype=np.int64))
        df.insert(0, "design", designs[d].name)
        df.insert(0, "scenario", config.scenarios[s].name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
