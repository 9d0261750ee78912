"""A kernel written for the reference model alone: the yardstick of what generality costs.

It simulates the reference model's class of trials -- paused two-stage
designs with futility bounds and at most a stage-1 efficacy stop (Simon's,
Mander and Thompson's), one or several on one cohort, one open-ended Poisson accrual
rate, every patient evaluable at the end of cycle 1, a per-cycle toxicity
that ends treatment, no survival, withdrawal, replacement, toxicity rule or
accrual cap -- from the engine's own counter-based draws (``_rng.draw``,
the same ziggurat and the same first-event tables, inlined), and computes
exactly the engine's chunk totals (``_kernels.Acc``: trials by category and
look, counts by value, float sums with squares and products, the duration,
accrual and dose-intensity histograms, the paired sums of the units the
engine pairs). ``tests/benchmarks/test_specialised.py`` checks that its
totals are the engine's.

What it leaves out is what the model class makes constant: a patient is
three values (arrival gap, response draw, cycle of the first toxicity),
formed once per replicate and read by each scenario (the toxicity cycle is
formed again from the same draw for a scenario with another toxicity rate);
a scenario counts its responses as it places the patients in time, and a
stage ends one cycle after its last patient's arrival. No course is stored, no flag word, no
record: the state of a trial stays in registers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numba import njit

from simtrial.engine._driver import NEVER_BOUND, _time_bin
from simtrial.engine._patients import (
    BIG_CYCLES,
    MODE_DRAW,
    R_CAP,
    R_INV_BIN_WIDTH,
    R_N_RDI_BINS,
    R_N_TIME_BINS,
    S_ASSESS,
    S_CYCLE_LEN,
    S_D0,
    S_HAS_SURV,
    S_MAX_C,
    S_N_ADM,
    S_ONE_LEVEL,
    S_REPLACE,
    S_RESP_THR,
    S_WD_MODE,
    _first_event,
)
from simtrial.engine._rng import V_ARRIVAL, V_RESPONSE, V_TOX0, draw, exponential_from, replicate_seed, run_key, u53_of
from simtrial.engine.outcomes import (
    C_FUTILE_INTERIM,
    C_NOT_PROMISING_FINAL,
    C_PROMISING_FINAL,
    C_PROMISING_INTERIM,
    COUNT_SLOTS,
    FLOAT_SLOTS,
    N_CATEGORIES,
    SLOT,
)
from simtrial.engine.simulate import CHUNK_SIZE

__all__ = ["specialised_run", "check_class"]

CHUNK = CHUNK_SIZE  # the engine's, so that float totals are summed in the same order
ACC_KEYS = ("cat", "cnt", "fs", "dur", "accr", "rdi", "pair")


# The kernel writes the record's outcomes in the schema's order; a change to the schema must show here.
assert COUNT_SLOTS == tuple(SLOT[k] for k in ("enrolled", "evaluable", "responses", "tox_patients", "deaths"))
assert FLOAT_SLOTS == tuple(SLOT[k] for k in ("duration_days", "rdi_sum", "dose_sum"))


def check_class(model, des) -> None:
    """Raise ``ValueError`` unless the packed model and design are of the class this kernel simulates."""
    si = model.si
    checks = {
        "one open-ended accrual rate": model.rate_end.shape[0] == 1,
        "no accrual cap": np.isinf(model.rf[R_CAP]),
        "two looks, paused": bool(np.all(des.n_looks == 2) and np.all(des.pause == 1)),
        "no toxicity bound": bool(np.all(des.tox[:, :2] == NEVER_BOUND)),
        "no toxicity rule": bool(np.all(des.monitored == 0)),
        "one step of treatment": bool(np.all(si[:, S_ONE_LEVEL] == 1)),
        "no survival": bool(np.all(si[:, S_HAS_SURV] == 0)),
        "no withdrawal": bool(np.all(si[:, S_WD_MODE] == BIG_CYCLES)),
        "assessed after cycle 1": bool(np.all(si[:, S_ASSESS] == 1)),
        "no replacement": bool(np.all(si[:, S_REPLACE] == 0)),
        "a drawn toxicity at the starting dose": bool(np.all(model.tox_mode[:, 0] == MODE_DRAW)),
        "the same course in every scenario": bool(np.all(model.sf[:, [S_CYCLE_LEN, S_D0]] == model.sf[0, [S_CYCLE_LEN, S_D0]])
                                                  and np.all(si[:, [S_MAX_C, S_N_ADM]] == si[0, [S_MAX_C, S_N_ADM]])),
    }
    missing = [k for k, ok in checks.items() if not ok]
    if missing:
        raise ValueError("not the reference model's class: " + ", ".join(missing))


@njit(cache=True, inline="always")
def _tox_cycle(seed, k, s, tox_thr, max_c):
    """Patient ``k``'s cycle of the first toxicity at the starting dose in scenario ``s``."""
    return _first_event(draw(seed, k, V_TOX0), tox_thr, s, 0, max_c)


@njit(cache=True, inline="always")
def _form(seed, k0, k1, s, tox_thr, rate_inv, max_c, gap, ur, tc):
    """Patients ``k0 .. k1 - 1``: arrival gap (days), response draw (top 53 bits), cycle of the first toxicity."""
    for k in range(k0, k1):
        gap[k] = exponential_from(draw(seed, k, V_ARRIVAL)) * rate_inv
        ur[k] = u53_of(draw(seed, k, V_RESPONSE))
        tc[k] = _tox_cycle(seed, k, s, tox_thr, max_c)


@njit(cache=True, nogil=True, _nrt=False)
def _block(key, lo, hi, thr, same_tox, tox_thr, cf, ci_, bounds, pairs, acc, scratch):
    """Replicates ``lo .. hi - 1`` into the chunk's totals ``acc`` (see the module docstring).

    ``thr[s]`` is scenario ``s``'s response threshold and ``same_tox[s]`` 1 when it has the toxicity
    table of the scenario before it; ``cf`` = (1 / accrual rate, cycle length, 1 / time-bin width,
    starting dose), ``ci_`` = (cycles, doses per cycle, time bins, dose-intensity bins); ``bounds[d]``
    = (n1, r1, e1, n, r) of design ``d`` (``e1`` the stage-1 efficacy bound, huge if none); ``pairs``
    the units whose paired sums are kept, as the engine's.
    """
    cat, cnt, fs, dur, accr, rdi, pair = acc
    gap, ur, tc, times, yv = scratch
    rate_inv, clen, inv_width, d0 = cf
    max_c, n_adm, n_tb, n_rb = ci_
    n_s = thr.shape[0]
    n_d = bounds.shape[0]
    for rep in range(lo, hi):
        seed = replicate_seed(key, rep)
        gen = 0
        for s in range(n_s):
            if not same_tox[s]:
                # Another toxicity rate: the patients' toxicity cycles again, from the same draws.
                for k in range(gen):
                    tc[k] = _tox_cycle(seed, k, s, tox_thr, max_c)
            th = thr[s]
            for d in range(n_d):
                u = s * n_d + d
                n1, r1, e1, n, r = bounds[d, 0], bounds[d, 1], bounds[d, 2], bounds[d, 3], bounds[d, 4]
                if gen < n1:
                    _form(seed, gen, n1, s, tox_thr, rate_inv, max_c, gap, ur, tc)
                    gen = n1
                x = 0
                t = 0.0
                for i in range(n1):
                    t = t + gap[i]
                    times[i] = t
                    x += ur[i] < th
                end = t + clen  # every patient evaluable at the end of cycle 1
                if x <= r1:
                    cat_u, look, m = C_FUTILE_INTERIM, 1, n1
                elif x >= e1:
                    cat_u, look, m = C_PROMISING_INTERIM, 1, n1
                else:
                    if gen < n:
                        _form(seed, gen, n, s, tox_thr, rate_inv, max_c, gap, ur, tc)
                        gen = n
                    t = end
                    for i in range(n1, n):
                        t = t + gap[i]
                        times[i] = t
                        x += ur[i] < th
                    end = t + clen
                    cat_u, look, m = (C_PROMISING_FINAL if x > r else C_NOT_PROMISING_FINAL), 2, n
                n_tox = 0
                dose = 0.0
                ar = accr[u]
                for i in range(m):
                    tox = tc[i] <= max_c
                    n_tox += tox
                    dose += d0 * ((tc[i] if tox else max_c) * n_adm)
                    ar[_time_bin(times[i], inv_width, n_tb)] += 1
                cat[u, cat_u, look] += 1
                # The count outcomes in schema order: enrolled, evaluable (all), responses, with toxicity, deaths.
                cnt[u, 0, m] += 1
                cnt[u, 1, m] += 1
                cnt[u, 2, x] += 1
                cnt[u, 3, n_tox] += 1
                cnt[u, 4, 0] += 1
                fm = float(m)
                fs[u, 0, 0] += end
                fs[u, 0, 1] += end * end
                fs[u, 0, 2] += end * fm
                # Every patient at full intensity: the dose-intensity sum is the number enrolled.
                fs[u, 1, 0] += fm
                fs[u, 1, 1] += fm * fm
                fs[u, 1, 2] += fm * fm
                fs[u, 2, 0] += dose
                fs[u, 2, 1] += dose * dose
                fs[u, 2, 2] += dose * fm
                dur[u, _time_bin(end, inv_width, n_tb)] += 1
                rdi[u, n_rb - 1] += m
                yv[u, 0] = 1.0 if cat_u == C_PROMISING_FINAL or cat_u == C_PROMISING_INTERIM else 0.0
                yv[u, 1] = fm
                yv[u, 2] = end
                yv[u, 3] = n_tox
        for p in range(pairs.shape[0]):
            a = pairs[p, 0]
            b = pairs[p, 1]
            for j in range(4):
                pair[p, j] += yv[a, j] * yv[b, j]


def specialised_run(config: Any, n_sim: int, seed: int | None = None, *, threads: int = 1) -> dict[str, np.ndarray]:
    """The reference model's totals over ``n_sim`` replicates, as the engine's ``_run`` returns them.

    Chunks of :data:`CHUNK` replicates run on ``threads`` threads; their rows are added in chunk order.
    """
    from simtrial.engine.pack import most_enrolled, pack_designs, pack_model
    from simtrial.engine.simulate import _pairs

    designs = config.resolved_designs()
    n_max = most_enrolled(config, designs)
    model = pack_model(config, n_max, designs)
    des = pack_designs(config, designs)
    check_class(model, des)
    key = run_key(config.simulation.seed if seed is None else seed)
    n_s = model.sf.shape[0]
    n_tb = int(model.ri[R_N_TIME_BINS])
    n_rb = int(model.ri[R_N_RDI_BINS])
    k_max = des.looks.shape[1]
    pairs = _pairs(config, designs)
    n_u = n_s * len(designs)
    shapes = {"cat": ((n_u, N_CATEGORIES, k_max + 1), np.int64), "cnt": ((n_u, len(COUNT_SLOTS), n_max + 1), np.int64),
              "fs": ((n_u, len(FLOAT_SLOTS), 3), np.float64), "dur": ((n_u, n_tb + 1), np.int64),
              "accr": ((n_u, n_tb + 1), np.int64), "rdi": ((n_u, n_rb), np.int64),
              "pair": ((max(pairs.shape[0], 1), 4), np.float64)}
    los = list(range(0, n_sim, CHUNK))
    thr = model.si[:, S_RESP_THR].copy()
    same_tox = np.array([s > 0 and np.array_equal(model.tox_thr[s, 0], model.tox_thr[s - 1, 0]) for s in range(n_s)],
                        dtype=np.int64)
    cf = (float(model.rate_inv[0]), float(model.sf[0, S_CYCLE_LEN]), float(model.rf[R_INV_BIN_WIDTH]),
          float(model.sf[0, S_D0]))
    ci_ = (int(model.si[0, S_MAX_C]), int(model.si[0, S_N_ADM]), n_tb, n_rb)
    bounds = np.stack([des.looks[:, 0], des.fut[:, 0], des.eff[:, 0], des.looks[:, 1], des.fut[:, 1]], axis=1)

    def chunk(lo: int) -> dict[str, np.ndarray]:
        # Each chunk has arrays of its own (no two threads write into one cache line).
        acc = {k: np.zeros(shp, dtype=dt) for k, (shp, dt) in shapes.items()}
        scratch = (np.empty(n_max), np.empty(n_max, dtype=np.int64), np.empty(n_max, dtype=np.int64), np.empty(n_max),
                   np.empty((n_u, 4)))
        _block(key, lo, min(lo + CHUNK, n_sim), thr, same_tox, model.tox_thr, cf, ci_, bounds, pairs,
               tuple(acc[k] for k in ACC_KEYS), scratch)
        return acc

    if threads <= 1:
        parts = [chunk(lo) for lo in los]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(chunk, los))
    tot = {k: np.zeros(shp, dtype=dt) for k, (shp, dt) in shapes.items()}
    for part in parts:  # in chunk order, as the engine adds its chunks
        for k in tot:
            tot[k] += part[k]
    return tot
