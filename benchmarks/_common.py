"""Shared helpers of the benchmark scripts: timing, memory, machine, tables.

Every benchmark prints ratios measured in the same run: the machine is shared
and noisy, so a ratio of two timings taken minutes apart proves little, and an
absolute time alone proves less. Each timing is the minimum over several
repeats, because noise from other processes only ever adds time.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
REFERENCE_CONFIG = BENCH_DIR / "reference.yaml"
LEN_DEX_CONFIG = ROOT / "configs" / "len_dex.yaml"

# Make ``import baselines`` work however a script is launched.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))


def best_time(fn: Callable[[], object], *, repeats: int = 3, min_repeats: int = 1) -> float:
    """Minimum wall time of ``fn()`` over ``repeats`` calls (seconds).

    The minimum, not the mean: other processes on a shared machine can only
    slow a run down, so the fastest repeat is the best estimate of the cost.
    """
    times = []
    for _ in range(max(repeats, min_repeats)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_times_interleaved(fns: dict[str, Callable[[], object]], *, repeats: int = 3) -> dict[str, tuple[float, float]]:
    """Minimum wall time and minimum process CPU time of each function, over ``repeats`` rounds.

    Within a round every function is called once, in turn, so a busy spell
    on the shared machine slows one call of each rather than every repeat of
    one, and ratios between them (1 vs 2 threads, engine vs floor) are not
    skewed by when each was measured. CPU time (all threads of this process)
    is what a single-threaded comparison should use on a loaded machine:
    time spent waiting for a core that another process holds is wall time
    but not CPU time.
    """
    walls: dict[str, list[float]] = {k: [] for k in fns}
    cpus: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            walls[k].append(time.perf_counter() - t0)
            cpus[k].append(time.process_time() - c0)
    return {k: (min(walls[k]), min(cpus[k])) for k in fns}


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (falls back to platform.processor())."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    import numba
    import numpy

    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return {
        "cpu": cpu_model(),
        "cores (nproc)": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def print_machine() -> None:
    """Print the machine block every benchmark starts with."""
    info = machine_info()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str = "") -> None:
    """Print a GitHub-flavoured Markdown table (pasteable into benchmarks/README.md)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}\n")
    for k, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print()


def _fmt(x: object) -> str:
    if isinstance(x, float):
        if x == 0 or 1e-3 <= abs(x) < 1e6:
            return f"{x:.4g}" if abs(x) < 100 else f"{x:,.0f}"
        return f"{x:.3g}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


@dataclass(frozen=True)
class Target:
    """One claim of the performance issue and the measurement that tests it."""

    claim: str
    measured: float
    threshold: float
    unit: str = "x"
    higher_is_better: bool = True

    @property
    def passed(self) -> bool:
        if self.higher_is_better:
            return self.measured >= self.threshold
        return self.measured <= self.threshold

    def row(self) -> list[object]:
        op = ">=" if self.higher_is_better else "<="
        return [self.claim, f"{_fmt(self.measured)} {self.unit}".strip(), f"{op} {_fmt(self.threshold)} {self.unit}".strip(),
                "PASS" if self.passed else "MISS"]


def print_targets(targets: Sequence[Target], *, title: str = "Targets") -> bool:
    """Print the PASS/MISS table; return True when every target passed."""
    print_table(["claim", "measured", "target", "verdict"], [t.row() for t in targets], title=title)
    return all(t.passed for t in targets)


def run_child(code: str, *, env: dict[str, str] | None = None, timeout: float | None = None) -> dict:
    """Run ``code`` in a fresh Python process; it must print one JSON line last.

    A fresh process per measurement gives each its own peak RSS and keeps a
    large run from inheriting memory held by an earlier one.
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=str(ROOT),
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
