"""Start-up: ``simtrial run`` of a small config in a fresh process, warm numba cache.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs 10]``

The numba cache goes to a fresh temporary directory (``NUMBA_CACHE_DIR``),
so the figures do not depend on what earlier runs left in the source tree:

0. ``simtrial run configs/len_dex.yaml`` with an empty cache: the CPU
   seconds of the main job's first run, compiling what it needs;
1. ``simtrial warmup`` with another empty cache: the one-off compile cost that
   the command exists to pay once (in a cluster or CI image);
2. then, with that warm cache, fresh processes of ``simtrial run`` on the
   reference model with ``n_sim = 2000``, timed by hyperfine when installed
   (``apt-get install hyperfine``), else by repeated subprocess timing;
   compared in the same run with ``python -c "import numpy"`` and
   ``python -c "import simtrial.cli"`` (the interpreter and import floor).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LEN_DEX_CONFIG, REFERENCE_CONFIG, ROOT, Target, print_machine, print_table, print_targets  # noqa: E402

SMALL_N_SIM = 2000


def _time_commands(commands: dict[str, str], env: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    """Median / min / mean wall time of each shell command over ``runs`` fresh runs."""
    hyperfine = shutil.which("hyperfine")
    if hyperfine:
        with tempfile.TemporaryDirectory() as tmp:
            export = Path(tmp) / "hf.json"
            cmd = [hyperfine, "--warmup", "1", "--runs", str(runs), "--style", "none", "--export-json", str(export)]
            for name, c in commands.items():
                cmd += ["--command-name", name, c]
            subprocess.run(cmd, env=env, cwd=str(ROOT), check=True, stdout=subprocess.DEVNULL)
            data = json.loads(export.read_text())
        return {
            r["command"]: {"median": r["median"], "min": r["min"], "mean": r["mean"], "tool": "hyperfine"}
            for r in data["results"]
        }
    out = {}
    for name, c in commands.items():
        subprocess.run(c, shell=True, env=env, cwd=str(ROOT), check=True, capture_output=True)  # warm-up run
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(c, shell=True, env=env, cwd=str(ROOT), check=True, capture_output=True)
            ts.append(time.perf_counter() - t0)
        out[name] = {"median": statistics.median(ts), "min": min(ts), "mean": statistics.fmean(ts), "tool": "subprocess"}
    return out


def _run(cmd: list[str], env: dict[str, str]) -> float:
    """Run ``cmd`` once; wall seconds. A failure shows the command's own stderr."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t0


def _cpu_of(cmd: list[str], env: dict[str, str]) -> float:
    """Run ``cmd`` once; CPU seconds (user + system) of the process and its threads."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _run(cmd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args(argv)

    print_machine()
    py = sys.executable
    simtrial = str(Path(py).with_name("simtrial"))
    with tempfile.TemporaryDirectory() as tmp:
        # The main job's first run: an empty cache, compiling what it needs.
        cold_env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "cold-cache"))
        cold_run = _cpu_of([simtrial, "run", str(LEN_DEX_CONFIG), "--out", str(Path(tmp) / "cold-out")], cold_env)
        env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba-cache"))
        cold_warmup = _run([simtrial, "warmup"], env)
        warm_warmup = _run([simtrial, "warmup"], env)

        out_dir = Path(tmp) / "out"
        run_cmd = (f"{shlex.quote(simtrial)} run {shlex.quote(str(REFERENCE_CONFIG))} --n-sim {SMALL_N_SIM} "
                   f"--out {shlex.quote(str(out_dir))}")
        commands = {
            "python -c 'import numpy'": f"{shlex.quote(py)} -c 'import numpy'",
            "python -c 'import simtrial.cli'": f"{shlex.quote(py)} -c 'import simtrial.cli'",
            f"simtrial run reference.yaml --n-sim {SMALL_N_SIM}": run_cmd,
        }
        res = _time_commands(commands, env, args.runs)

    tool = next(iter(res.values()))["tool"]
    base = res["python -c 'import numpy'"]["median"]
    rows = [[name, r["median"], r["min"], r["mean"], r["median"] / base] for name, r in res.items()]
    print_table(["command (fresh process, warm cache)", "median (s)", "min (s)", "mean (s)", "vs import numpy"], rows,
                title=f"Start-up, {args.runs} runs each ({tool})")
    print_table(["step", "wall (s)"], [["simtrial warmup, empty numba cache (compile everything)", cold_warmup],
                                       ["simtrial warmup, warm cache", warm_warmup]], title="Warm-up")
    print_table(["step", "CPU (s)"], [["simtrial run configs/len_dex.yaml, empty numba cache", cold_run]],
                title="Cold start of the main job")
    run = res[f"simtrial run reference.yaml --n-sim {SMALL_N_SIM}"]["median"]
    ok = print_targets([
        Target("simtrial run, small config, warm cache (median)", run, 2.0, unit="s", higher_is_better=False),
        Target("simtrial run configs/len_dex.yaml, empty cache (CPU)", cold_run, 30.0, unit="s",
               higher_is_better=False),
        Target("simtrial warmup, empty cache (wall)", cold_warmup, 45.0, unit="s", higher_is_better=False),
    ])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
