"""Scaling table: time and peak memory versus replicates, and versus threads.

Run: ``.venv/bin/python benchmarks/bench_scaling.py [--max 1e8] [--threads 2]``

Each measurement runs in a fresh process (so each has its own peak RSS):
the process loads the reference config, runs a tiny warm-up simulation (so
compilation and cache loading are not timed), records its resident memory,
then simulates ``n_sim`` replicates of every scenario and records wall time,
CPU time and peak RSS. Memory must not grow with ``n_sim``: the last column
is the peak RSS of the big run minus that of the warm-up.

The thread table runs in one more fresh process: each thread count in turn,
five times, keeping the fastest, so a busy spell on the shared machine slows
one run of each rather than all runs of one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REFERENCE_CONFIG, Target, print_machine, print_table, print_targets, run_child  # noqa: E402

_CHILD = """
import json, resource, time
from simtrial.engine import simulate
from simtrial.model import load_config
cfg = load_config({config!r})
simulate(cfg, n_sim=1000, threads={threads})
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
c0, t0 = time.process_time(), time.perf_counter()
res = simulate(cfg, n_sim={n_sim}, threads={threads})
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
p = res.scenarios[0].metrics["p_promising"]
print(json.dumps({{"wall": wall, "cpu": cpu, "rss_warm": rss0, "rss_peak": rss1,
                   "n_scenarios": len(res.scenarios), "p_promising0": p.value, "se0": p.se}}))
"""


_THREADS_CHILD = """
import json, time
import numba
from simtrial.engine import simulate
from simtrial.model import load_config
cfg = load_config({config!r})
counts = list(range(1, numba.config.NUMBA_NUM_THREADS + 1))
for th in counts:
    simulate(cfg, n_sim=1000, threads=th)
best = {{th: [float("inf"), float("inf")] for th in counts}}
for _ in range({repeats}):
    for th in counts:
        c0, t0 = time.process_time(), time.perf_counter()
        res = simulate(cfg, n_sim={n_sim}, threads=th)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        best[th] = [min(best[th][0], wall), min(best[th][1], cpu)]
print(json.dumps({{"n_scenarios": len(res.scenarios),
                   "runs": {{str(th): {{"wall": w, "cpu": c}} for th, (w, c) in best.items()}}}}))
"""


def measure_threads(n_sim: int, repeats: int = 5, config: Path = REFERENCE_CONFIG) -> dict:
    """Fastest of ``repeats`` interleaved runs per thread count, in one fresh process."""
    return run_child(_THREADS_CHILD.format(config=str(config), n_sim=int(n_sim), repeats=int(repeats)))


def measure(n_sim: int, threads: int, config: Path = REFERENCE_CONFIG) -> dict:
    """One fresh-process measurement (see module docstring)."""
    return run_child(_CHILD.format(config=str(config), n_sim=int(n_sim), threads=int(threads)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=float, default=1e8, help="largest n_sim (a power of ten; default 1e8)")
    ap.add_argument("--threads", type=int, default=2, help="threads for the replicate sweep (default 2)")
    ap.add_argument("--thread-n", type=float, default=2e6, help="n_sim of the thread sweep (default 2e6)")
    args = ap.parse_args(argv)

    import numba

    print_machine()
    sizes = [10**k for k in range(4, 9) if 10**k <= args.max]
    rows, results = [], {}
    base = None
    for n in sizes:
        r = measure(n, args.threads)
        results[n] = r
        trials = n * r["n_scenarios"]
        if base is None:
            base = r
        rows.append([f"{n:.0e}", args.threads, trials, r["wall"], r["cpu"], trials / r["wall"], trials / r["cpu"],
                     r["rss_warm"], r["rss_peak"], r["rss_peak"] - r["rss_warm"]])
        print(f"  n_sim {n:.0e}: {r['wall']:.2f} s, peak RSS {r['rss_peak']:.0f} MiB", flush=True)
    print_table(["n_sim", "threads", "trials", "wall (s)", "CPU (s)", "trials/s (wall)", "trials per CPU-s",
                 "RSS after warm-up (MiB)", "peak RSS (MiB)", "growth (MiB)"], rows,
                title=f"Replicates ({REFERENCE_CONFIG.name}; fresh process per row; warm-up excluded)")

    max_threads = numba.config.NUMBA_NUM_THREADS
    tn = int(args.thread_n)
    tr = measure_threads(tn)
    tres = {int(th): r for th, r in tr["runs"].items()}
    trow = []
    for th, r in sorted(tres.items()):
        trials = tn * tr["n_scenarios"]
        trow.append([th, trials, r["wall"], r["cpu"], trials / r["wall"], tres[1]["wall"] / r["wall"]])
    print_table(["threads", "trials", "wall (s)", "CPU (s)", "trials/s (wall)", "speed-up vs 1 thread"], trow,
                title=f"Threads (n_sim = {tn:.0e}; fastest of 5 interleaved runs each)")

    targets = []
    big = max(results)
    # Constant memory: within the process, the run of the largest n_sim may
    # not raise the peak RSS more than a few MiB above the warmed-up process
    # (allocator noise), far below what per-replicate storage would take
    # (14 float64 per replicate: 1.1 GB at 1e7). Compared within one process
    # because the baseline of separate processes moves with imports.
    growth = results[big]["rss_peak"] - results[big]["rss_warm"]
    targets.append(Target(f"peak RSS growth during the n_sim = {big:.0e} run", growth, 16.0, unit="MiB",
                          higher_is_better=False))
    if big >= 10**8:
        targets.append(Target("1e8 replicates completed", 1.0, 1.0, unit=""))
    if max_threads >= 2:
        targets.append(Target("speed-up 1 -> 2 threads (wall)", tres[1]["wall"] / tres[2]["wall"], 1.8))
    ok = print_targets(targets)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
