"""Run every benchmark of simtrial: design search and engine (what ``make bench`` runs).

Run: ``.venv/bin/python benchmarks/run_all.py [--quick]``

Each script prints its own tables, ratios measured in the same run and a
PASS/MISS verdict per target; this driver runs them one after another in
fresh processes and prints a one-line summary each. ``--quick`` is a smoke
run (smaller sizes, fewer repeats; the verdicts then mean little).
The exit code is 0 only when every target passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes, few repeats")
    args = ap.parse_args(argv)
    scripts = {
        "bench_search.py": ["--quick", "--repeat", "1", "--cli-runs", "1"] if args.quick else [],
        "bench_bayesian.py": ["--repeat", "1"] if args.quick else [],
        "bench_engine.py": ["--quick"] if args.quick else [],
        "bench_scaling.py": ["--max", "1e6", "--thread-n", "1e5"] if args.quick else [],
        "bench_startup.py": ["--runs", "3"] if args.quick else [],
    }
    summary = []
    for script, extra in scripts.items():
        print(f"\n{'=' * 78}\n$ python benchmarks/{script} {' '.join(extra)}\n{'=' * 78}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / script), *extra])
        summary.append((script, rc, time.perf_counter() - t0))
    print("\nSummary")
    for script, rc, dt in summary:
        verdict = {0: "all targets PASS", 1: "some targets MISS"}.get(rc, f"FAILED (exit {rc})")
        print(f"  {script:18s} {verdict:20s} {dt:7.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
