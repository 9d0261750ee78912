"""Where the engine's kernel spends its time on the reference model.

Run: ``.venv/bin/python benchmarks/profile_kernel.py [--n 200000]``

Two kinds of evidence, CPU time per trial on one thread (min of 3):

1. **Ablations.** Copies of ``simtrial/engine/_kernels.py`` are written to a
   temporary directory with one more piece of the bookkeeping removed each
   (the source tree is not touched), and driven exactly as ``simulate``
   drives the real one; the last row also drops the ziggurat's rare paths
   (a diagnostic: its variates are then not exponential). When the kernel
   has changed so that a patch no longer applies, that row says so.

2. **A specialised kernel** of the reference model only, drawing the same
   numbers in the same order as the engine (per patient the arrival, then
   one number for response and toxicity together), checked to reproduce
   the engine's totals exactly. It is what the same draws and transforms
   cost without the general machinery: a realistic lower bound for the
   engine on this model. Toxicity within the course is one comparison with
   the joint law's threshold; and, as a diagnostic only (its arrivals are
   not exponential), a variant without the arrival's exponential transform
   shows what that transform costs against the floor.

The table ends with two floors timed in the same run (``benchmarks/floor.py``):
the engine's measured draws turned into the model's variates (a ziggurat
exponential and a uniform per patient) and summed, and the random-number
floor itself (the draws alone), so every row can be read as a ratio to
either. A last table splits each time into a cost per patient and a cost
per trial, from the two scenarios' different mean trial sizes.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REFERENCE_CONFIG, ROOT, print_machine, print_table  # noqa: E402

from simtrial.engine._rng import next_double, next_exponential, seed_stream  # noqa: E402

# (label, regex of the code removed or replaced, replacement); applied
# cumulatively to copies of the kernel module.
_PATCHES = [
    ("- accrual histogram (per patient)",
     r"(?m)^( +)accr\[_time_bin\(enroll, inv_width, n_tb\)\] \+= 1\n", ""),
    ("  diagnostic: ... and the ziggurat's rare paths (not the model)",
     r"from simtrial\.engine\._rng import exponential_of, ",
     "from _zig_fast import exponential_of\nfrom simtrial.engine._rng import "),
]  # fmt: skip

# Diagnostic only: the ziggurat's common path for every variate, so not an
# exponential distribution; shows what the rare-path branch costs.
_ZIG_FAST = """
from numba import njit
from simtrial.engine._rng import ZIG_WE, _layer_uniform

@njit(inline="always")
def exponential_of(x, s0, s1):
    idx, u = _layer_uniform(x)
    return float(u) * ZIG_WE[idx], s0, s1
"""


@njit(inline="always")
def _stage(state, t, m, rate, p, q, linear):
    """``m`` patients: arrival, then response and toxicity within the course from one number.

    Responders are ``u < p``; a responder has toxicity within the course
    when ``u < p F``, a non-responder when ``u < p + (1 - p) F`` (``F`` the
    probability of toxicity within the course), the engine's joint law;
    ``q = (p + (1 - p) F, p F)`` is read by the response, not branched on
    (a branch on a random event mispredicts).
    ``linear`` (diagnostic only, not the model) makes the arrival gap a
    linear function of the uniform, to show what the exponential costs.
    """
    x = 0
    tox = 0
    for _ in range(m):
        if linear:
            t = t + 2.0 * next_double(state) / rate
        else:
            t = t + next_exponential(state, 1.0) * (1.0 / rate)
        u = next_double(state)
        resp = u < p
        x += resp
        tox += u < q[np.int64(resp)]
    return t, x, tox


@njit
def specialised(key, n, rate, p, q, clen, n1, r1, n2, r, linear, out):
    """Reference model only; ``out`` = (duration sum, promising, toxic patients)."""
    state = np.empty(2, np.uint64)
    s_dur = 0.0
    s_prom = 0
    s_tox = 0
    for i in range(n):
        seed_stream(state, key, i)
        t, x1, tox = _stage(state, 0.0, n1, rate, p, q, linear)
        dur = t + clen
        if x1 > r1:
            t, x2, tox2 = _stage(state, dur, n2, rate, p, q, linear)
            tox += tox2
            dur = t + clen
            s_prom += (x1 + x2) > r
        s_dur += dur
        s_tox += tox
    out[0] = s_dur
    out[1] = s_prom
    out[2] = s_tox


def _cpu(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        fn()
        best = min(best, time.process_time() - c0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000, help="replicates per scenario and variant")
    args = ap.parse_args(argv)
    n = args.n

    import numba

    from simtrial.engine._rng import scenario_key
    from simtrial.engine.pack import R_DURATION, R_ENROLLED, R_PROMISING, R_TOXPAT, first_event_cdf, pack_scenario
    from simtrial.engine.simulate import _run_scenario
    from simtrial.model import load_config

    print_machine()
    cfg = load_config(REFERENCE_CONFIG)
    design = cfg.resolved_design()
    packs = [pack_scenario(cfg, design, i) for i in range(len(cfg.scenarios))]
    keys = [scenario_key(cfg.simulation.seed, i) for i in range(len(cfg.scenarios))]
    numba.set_num_threads(1)

    src = (ROOT / "simtrial" / "engine" / "_kernels.py").read_text().replace("cache=True", "cache=False")
    src = src.replace("inline='always'", 'inline="always"')
    variants = [("engine kernel as it is", src)]
    cur = src
    for label, pattern, new in _PATCHES:
        cur, hits = re.subn(pattern, new, cur, count=1)
        variants.append((label, cur) if hits else (label + " [no longer applies]", None))

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        Path(tmp, "_zig_fast.py").write_text(_ZIG_FAST)
        for k, (label, code) in enumerate(variants):
            if code is None:
                rows.append([label, "-", "-", "-"])
                continue
            name = f"_kernel_variant_{k}"
            Path(tmp, f"{name}.py").write_text(code)
            try:
                mod = importlib.import_module(name)
                for p, key in zip(packs, keys):
                    _run_scenario(mod.run_chunks, p, key, 1000, False, None)
            except Exception as exc:  # the kernel changed under the patch
                rows.append([f"{label} [does not compile: {type(exc).__name__}]", "-", "-", "-"])
                continue
            per = []
            for p, key in zip(packs, keys):
                per.append(_cpu(lambda: _run_scenario(mod.run_chunks, p, key, n, False, None)) / n * 1e9)
            rows.append([label, per[0], per[1], float(np.mean(per))])
            print(f"  {label}: {per[0]:.0f} / {per[1]:.0f} ns per trial", flush=True)

    # Specialised kernels, checked against the engine's totals.
    from simtrial.engine._kernels import run_chunks

    # The engine's totals per scenario: what the specialised kernel must
    # reproduce, and the mean trial size for the split below.
    engine_sums = [_run_scenario(run_chunks, p, key, n, False, None)[0]["sum"] for p, key in zip(packs, keys)]
    recs_ok = []
    for linear in (False, True):
        per = []
        for i, (p, key) in enumerate(zip(packs, keys)):
            sc = cfg.scenarios[i]
            max_c = int(cfg.treatment.max_cycles)
            # F: toxicity within the course, as the engine's tables compute it.
            f = float(first_event_cdf(min(1.0, sc.p_tox * cfg.toxicity.cycle1_factor), sc.p_tox, max_c)[max_c])
            q = float(sc.p_response)
            args_ = (key, n, float(p.rate_val[0]), q, np.array([q + (1.0 - q) * f, q * f]),
                     float(cfg.treatment.cycle_length), design.n1, design.r1, design.n - design.n1, design.r, linear)
            out = np.zeros(3)
            specialised(*args_, out)
            per.append(_cpu(lambda: specialised(*args_, out)) / n * 1e9)
            if not linear:
                eng = engine_sums[i][[R_DURATION, R_PROMISING, R_TOXPAT]]
                recs_ok.append(abs(out[0] - eng[0]) <= 1e-9 * abs(eng[0]) and out[1] == eng[1] and out[2] == eng[2])
        label = ("  diagnostic: the same without the arrival's exponential transform (not the model)" if linear
                 else "specialised kernel, same draws (toxicity within the course by one comparison)")
        rows.append([label, per[0], per[1], float(np.mean(per))])
    # The random-number floors of this run: the engine's measured draws, then
    # the same draws turned into the model's variates, nothing else.
    from bench_engine import engine_parts
    from floor import floor_run, measure_draws, measure_patients, variate_floor_run

    floors = {"raw": [], "variates": []}
    for i, key in enumerate(keys):
        run_one = engine_parts(cfg, i)[2]
        dc = measure_draws(run_one, key, 20_000)
        pc = measure_patients(run_one, key, 20_000)
        floor_run(key, 100, dc.num, dc.den)
        variate_floor_run(key, 100, pc.num, pc.den)
        floors["raw"].append(_cpu(lambda: floor_run(key, n, dc.num, dc.den)) / n * 1e9)
        floors["variates"].append(_cpu(lambda: variate_floor_run(key, n, pc.num, pc.den)) / n * 1e9)
    rows.append(["random-number floor of the variates (exponential gap + uniform per patient, summed)",
                 *floors["variates"], float(np.mean(floors["variates"]))])
    rows.append(["random-number floor (the engine's draws, summed)", *floors["raw"], float(np.mean(floors["raw"]))])
    print_table(["variant (1 thread, CPU time)", "null ns/trial", "alternative ns/trial", "mean ns/trial"], rows,
                title=f"Kernel cost on the reference model ({n:,} replicates per scenario)")
    print("specialised kernels reproduce the engine's totals (duration sum to 1e-9 relative, promising and "
          f"toxic-patient counts exactly): {all(recs_ok)}")
    # Two scenarios, two mean trial sizes: the line through them splits each
    # time into a cost per patient and a cost per trial.
    patients = [sums[R_ENROLLED] / n for sums in engine_sums]
    split = []
    for label, per in (("engine kernel", rows[0][1:3]), ("floor of the variates", floors["variates"]),
                       ("random-number floor", floors["raw"])):
        slope = (per[1] - per[0]) / (patients[1] - patients[0])
        split.append([label, slope, per[0] - slope * patients[0]])
    print_table(["kernel", "ns per patient", "ns per trial besides"], split,
                title=f"Per patient and per trial (mean patients per trial: {patients[0]:.2f} null, "
                      f"{patients[1]:.2f} alternative)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
