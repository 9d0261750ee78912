"""Engine speed against plain Python, chunked numpy and the random-number floor, and the Engine 2 targets.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--quick]``

Everything is measured in this one run, as the minimum of several repeats
in which the implementations of a group are timed in turn, and reported as
ratios (the machine is shared, so absolute times alone say little). A
"trial" is one replicate of one scenario of one design: the reference config
has two scenarios, so ``n_sim`` replicates simulate ``2 n_sim`` trials.

Measured:

* per core (1 thread, CPU time): the engine (``simulate``, end to end), the
  plain-Python and numpy baselines (``benchmarks/baselines.py``) and the
  random-number floor (``benchmarks/floor.py``: the engine's counter-based
  draws, consumed raw), on the reference model;
* trials per second at 2 threads for the reference model and for
  ``configs/len_dex.yaml``, and the speed-up from 1 to 2 threads;
* the general per-patient path: the reference model with its closed-form
  one-step course switched off, so every patient goes through the
  level-by-level walk that deaths, withdrawal and dose steps need;
* three designs on one cohort (Simon's optimal and minimax designs and
  Mander & Thompson's) against one design, the same replicates;
* a kernel written for the reference model alone (``benchmarks/specialised.py``:
  the same draws and exactly the engine's totals, nothing general), timed
  with the engine and the floor, with one design and with the three: what
  the engine's generality costs, and where the targets stand against a
  kernel that has none.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    LEN_DEX_CONFIG,
    REFERENCE_CONFIG,
    Target,
    best_times_interleaved,
    print_machine,
    print_table,
    print_targets,
)

THREE_DESIGNS = [
    {"name": "optimal", "r1": 1, "n1": 10, "r": 5, "n": 29},
    {"name": "minimax", "r1": 1, "n1": 15, "r": 5, "n": 25},
    {"name": "mander_thompson", "family": "mander-thompson", "p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2},
]


def three_designs(config):
    """The reference model with three designs on one cohort (the first is the reference's own design)."""
    from simtrial.model import parse_config

    raw = copy.deepcopy(config.to_dict())
    del raw["design"]
    raw["designs"] = THREE_DESIGNS
    return parse_config(raw)


def general_path(config):
    """``run(n, threads)`` of the reference model forced through the level-by-level course walk."""
    from simtrial.engine._patients import S_ONE_LEVEL
    from simtrial.engine._rng import run_key
    from simtrial.engine.pack import most_enrolled, pack_designs, pack_model
    from simtrial.engine.simulate import _pairs, _run

    designs = config.resolved_designs()
    model = pack_model(config, most_enrolled(config, designs), designs)
    walk = model._replace(si=model.si.copy())
    walk.si[:, S_ONE_LEVEL] = 0
    des = pack_designs(config, designs)
    pairs = _pairs(config, designs)
    key = run_key(config.simulation.seed)

    def run(n: int, threads: int, m=model) -> None:
        _run(m, des, key, n, False, None, pairs, threads)

    return lambda n, th: run(n, th, walk), lambda n, th: run(n, th, model)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer replicates and repeats (a smoke run)")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    import numba

    from baselines import ReferenceModel, numpy_simulate, python_simulate
    from floor import floor_run, patients_per_replicate
    from specialised import specialised_run
    from simtrial.engine import simulate
    from simtrial.engine._rng import run_key
    from simtrial.model import load_config

    q = 10 if args.quick else 1
    reps = 1 if args.quick else args.repeats
    n_engine = 600_000 // q
    n_numpy = 400_000 // q
    n_python = 20_000 // q
    n_lendex = 100_000 // q

    print_machine()
    cfg = load_config(REFERENCE_CONFIG)
    n_sc = len(cfg.scenarios)
    models = [ReferenceModel.from_config(cfg, i) for i in range(n_sc)]
    max_threads = numba.config.NUMBA_NUM_THREADS
    two = min(2, max_threads)
    print(f"reference model: {REFERENCE_CONFIG.name}, design {cfg.resolved_designs()[0].label}, {n_sc} scenarios; "
          f"cores available: {max_threads}")

    # Compile / load every kernel before timing anything.
    three = three_designs(cfg)
    general, lean = general_path(cfg)
    for c in (cfg, three):
        simulate(c, n_sim=100, threads=1)
    general(100, 1)
    specialised_run(cfg, 100)
    specialised_run(three, 100)
    count = patients_per_replicate(cfg, 20_000 // q, cfg.simulation.seed)
    key = int(run_key(cfg.simulation.seed))
    floor_run(key, 100, count.num, count.den)
    print(f"patients drawn per replicate (the most any scenario enrols, measured): {count.mean:.3f}")

    def engine(threads: int, n: int, config=cfg):
        return lambda: simulate(config, n_sim=n, threads=threads)

    groups = [
        {"python": (1, n_python, n_sc, lambda: [python_simulate(m, n_python, 1) for m in models]),
         "numpy": (1, n_numpy, n_sc, lambda: [numpy_simulate(m, n_numpy, 1) for m in models])},
        {"engine": (1, n_engine, n_sc, engine(1, n_engine)),
         "floor": (1, n_engine, n_sc, lambda: floor_run(key, n_engine, count.num, count.den)),
         "engine2": (two, n_engine, n_sc, engine(two, n_engine)),
         "floor2": (two, n_engine, n_sc, lambda: floor_run(key, n_engine, count.num, count.den, threads=two)),
         "special": (1, n_engine, n_sc, lambda: specialised_run(cfg, n_engine)),
         "special2": (two, n_engine, n_sc, lambda: specialised_run(cfg, n_engine, threads=two))},
        {"lean": (1, n_engine, n_sc, lambda: lean(n_engine, 1)),
         "general": (1, n_engine, n_sc, lambda: general(n_engine, 1)),
         "one design": (1, n_engine, n_sc, engine(1, n_engine)),
         "three designs": (1, n_engine, 3 * n_sc, engine(1, n_engine, three)),
         "special one": (1, n_engine, n_sc, lambda: specialised_run(cfg, n_engine)),
         "special three": (1, n_engine, 3 * n_sc, lambda: specialised_run(three, n_engine))},
    ]
    rows: dict[str, tuple[int, int, float, float]] = {}
    for calls in groups:
        times = best_times_interleaved({k: fn for k, (_, _, _, fn) in calls.items()}, repeats=reps)
        rows.update({k: (th, n * per, *times[k]) for k, (th, n, per, _) in calls.items()})

    labels = {
        "python": "plain Python (random.Random)",
        "numpy": "numpy, chunks of 65,536",
        "engine": "simtrial simulate()",
        "floor": "random-number floor",
        "engine2": "simtrial simulate()",
        "floor2": "random-number floor",
        "special": "specialised kernel (reference model only)",
        "special2": "specialised kernel (reference model only)",
        "lean": "kernel, closed-form one-step course",
        "general": "kernel, level-by-level walk forced",
        "one design": "simulate(), one design",
        "three designs": "simulate(), three designs on one cohort",
        "special one": "specialised kernel, one design",
        "special three": "specialised kernel, three designs on one cohort",
    }
    # Per-core rates use CPU time (robust to other processes holding a core);
    # multi-thread rates use wall time (what a user waits for).
    wall_rate = {k: m / w for k, (_, m, w, _) in rows.items()}
    cpu_rate = {k: m / c for k, (_, m, _, c) in rows.items()}
    print_table(["implementation", "threads", "trials", "wall (s)", "CPU (s)", "trials/s (wall)",
                 "trials/s per CPU-second"],
                [[labels[k], th, m, w, c, wall_rate[k], cpu_rate[k]] for k, (th, m, w, c) in rows.items()],
                title=f"Reference model, best of {reps} repeats")

    lendex_rate = float("nan")
    if LEN_DEX_CONFIG.exists():
        ld = load_config(LEN_DEX_CONFIG)
        simulate(ld, n_sim=100, threads=1)
        m = n_lendex * len(ld.scenarios)
        ld_times = best_times_interleaved({1: engine(1, n_lendex, ld), two: engine(two, n_lendex, ld)}, repeats=reps)
        (w1, c1), (w2, c2) = ld_times[1], ld_times[two]
        lendex_rate = m / w2
        print_table(["config", "threads", "trials", "wall (s)", "CPU (s)", "trials/s (wall)"],
                    [["len_dex.yaml", 1, m, w1, c1, m / w1], ["len_dex.yaml", two, m, w2, c2, lendex_rate]],
                    title=f"configs/len_dex.yaml ({len(ld.scenarios)} scenarios)")

    # Three designs: the cost of the run per replicate, three designs against one.
    per_rep = {k: rows[k][3] for k in ("one design", "three designs")}
    targets = [
        Target("engine vs numpy, per core (CPU time)", cpu_rate["engine"] / cpu_rate["numpy"], 5.5),
        Target(f"reference model trials/s, {two} threads (wall)", wall_rate["engine2"] / 1e6, 15.0, unit="M/s"),
        Target("general path / closed-form path, reference model (CPU time)",
               rows["general"][3] / rows["lean"][3], 1.6, higher_is_better=False),
        Target(f"len_dex.yaml trials/s, {two} threads (wall)", lendex_rate / 1e6, 2.5, unit="M/s"),
        Target("three designs on one cohort / one design (CPU time per replicate)",
               per_rep["three designs"] / per_rep["one design"], 1.6, higher_is_better=False),
    ]
    ok = print_targets(targets)
    print_table(["figure", "measured"], [
        ["engine vs plain Python, per core (CPU time)", f"{cpu_rate['engine'] / cpu_rate['python']:.1f}x"],
        ["engine / random-number floor, 1 thread (CPU time)", f"{rows['engine'][3] / rows['floor'][3]:.2f}x"],
        [f"engine / random-number floor, {two} threads (wall)", f"{rows['engine2'][2] / rows['floor2'][2]:.2f}x"],
        [f"speed-up 1 -> {two} threads (simulate, wall)", f"{rows['engine'][2] / rows['engine2'][2]:.2f}x"],
        [f"floor speed-up 1 -> {two} threads (what the machine allowed)", f"{rows['floor'][2] / rows['floor2'][2]:.2f}x"],
        ["engine / specialised kernel, 1 thread (CPU time)", f"{rows['engine'][3] / rows['special'][3]:.2f}x"],
        ["specialised kernel / random-number floor, 1 thread (CPU time)",
         f"{rows['special'][3] / rows['floor'][3]:.2f}x"],
        ["specialised kernel vs numpy, per core (CPU time; target for the engine 5.5x)",
         f"{cpu_rate['special'] / cpu_rate['numpy']:.2f}x"],
        [f"specialised kernel trials/s, {two} threads (wall; target for the engine 15 M/s)",
         f"{wall_rate['special2'] / 1e6:.2f} M/s"],
        ["specialised kernel, three designs / one design (CPU time per replicate; target for the engine 1.6x)",
         f"{rows['special three'][3] / rows['special one'][3]:.3f}x"],
    ], title="Other figures")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
