"""What a run will cost, told before it starts: memory and disk for per-replicate output, and time.

``simtrial run --replicates`` keeps one row per scenario x replicate in
memory and writes them to ``replicates.parquet``; a run that cannot hold or
store them is refused with one line instead of failing part-way with a numpy
traceback. A run expected to take more than a few minutes says so first.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simtrial.errors import ConfigError

__all__ = [
    "LONG_RUN_SECONDS",
    "ReplicatesSize",
    "record_columns",
    "replicates_size",
    "available_memory",
    "free_disk",
    "check_replicates_fit",
    "estimate_seconds",
    "describe_seconds",
]

#: A run expected to take longer than this is announced before it starts.
LONG_RUN_SECONDS = 180.0
#: Only runs of at least this many trials (replicates x scenarios) are timed by a pilot first: smaller ones
#: finish within seconds on any model this package ships, and a pilot would cost more than it tells.
PILOT_MIN_TRIALS = 2_000_000
#: Replicates per scenario in the pilot: large enough that the kernel's fixed costs are a small share.
PILOT_REPLICATES = 20_000

# Per-replicate rows exist three times at the peak: the kernel's records, one frame per scenario and the
# concatenated frame. Measured: 344 bytes per row for 16 columns of 8 bytes (3.2 x 128), so 3 x 8 bytes per
# column is the estimate, and the uncompressed size is an upper bound for the parquet file (measured 23 bytes).
_BYTES_PER_VALUE = 8
_COPIES_IN_MEMORY = 3
_EXTRA_COLUMNS = ("scenario", "design", "replicate", "promising")


def record_columns() -> tuple[str, ...]:
    """The per-replicate record columns the engine writes to ``replicates.parquet`` (besides the keys).

    The one place that asks the engine for its record layout, so that the
    estimate follows the engine when its outcome schema changes.
    """
    from simtrial.engine.outcomes import OUTCOMES

    return tuple(o.name for o in OUTCOMES)


@dataclass(frozen=True)
class ReplicatesSize:
    """Estimated size of a run's per-replicate output.

    Attributes
    ----------
    rows : int
        Scenarios x replicates.
    memory_bytes : int
        Peak memory the rows need while the run builds them.
    disk_bytes : int
        Upper bound of ``replicates.parquet`` (uncompressed columns).
    """

    rows: int
    memory_bytes: int
    disk_bytes: int


def replicates_size(n_scenarios: int, n_sim: int) -> ReplicatesSize:
    """Estimate the memory and disk that ``n_scenarios x n_sim`` per-replicate rows need.

    Parameters
    ----------
    n_scenarios, n_sim : int

    Returns
    -------
    ReplicatesSize
    """
    rows = int(n_scenarios) * int(n_sim)
    row_bytes = (len(record_columns()) + len(_EXTRA_COLUMNS)) * _BYTES_PER_VALUE
    return ReplicatesSize(rows=rows, memory_bytes=rows * row_bytes * _COPIES_IN_MEMORY, disk_bytes=rows * row_bytes)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation without swapping, or None when unknown.

    psutil when installed; else Linux's ``MemAvailable`` (free memory plus
    reclaimable cache); else the free pages from ``os.sysconf``.
    """
    try:
        import psutil
    except ImportError:
        pass
    else:
        return int(psutil.virtual_memory().available)
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def free_disk(folder: str | os.PathLike[str]) -> int:
    """Bytes free on the file system that holds ``folder`` (or its nearest existing parent)."""
    import shutil

    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return int(shutil.disk_usage(path).free)


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_replicates_fit(n_scenarios: int, n_sim: int, folder: str | os.PathLike[str]) -> ReplicatesSize:
    """Refuse per-replicate output that would not fit in available memory or on disk.

    Parameters
    ----------
    n_scenarios, n_sim : int
    folder : path-like
        Where ``replicates.parquet`` would be written.

    Returns
    -------
    ReplicatesSize
        The estimate, when it fits.

    Raises
    ------
    ConfigError
        Naming ``--replicates``, the estimate and what is available.
    """
    size = replicates_size(n_scenarios, n_sim)
    need = f"{n_scenarios} scenario(s) x {n_sim:,} replicates = {size.rows:,} rows"
    memory = available_memory()
    if memory is not None and size.memory_bytes > memory:
        raise ConfigError(
            "--replicates",
            f"{need} need about {_gb(size.memory_bytes)} of memory and {_gb(memory)} is available; "
            "lower --n-sim or leave out --replicates (the summary alone needs no memory per replicate)",
        )
    disk = free_disk(folder)
    if size.disk_bytes > disk:
        raise ConfigError(
            "--replicates",
            f"{need} need up to {_gb(size.disk_bytes)} on disk and {_gb(disk)} is free for {folder}; "
            "lower --n-sim, free some space or choose another --out",
        )
    return size


def estimate_seconds(config: Any, *, n_sim: int, seed: int, threads: int | None) -> tuple[float, float] | None:
    """Time a small pilot of the run and extrapolate to the whole run.

    Runs ``simulate`` twice on :data:`PILOT_REPLICATES` replicates per
    scenario: the first call loads (or compiles) the kernels, which the run
    itself would otherwise do, the second is timed. The estimate scales that
    time linearly with the number of replicates, which slightly overstates a
    long run (the pilot's fixed costs are counted again per pilot-sized slice).

    Parameters
    ----------
    config : TrialConfig
    n_sim, seed : int
    threads : int or None

    Returns
    -------
    (float, float) or None
        (expected seconds, trials per second), or None for runs smaller than
        :data:`PILOT_MIN_TRIALS` trials, which are not timed.
    """
    from simtrial.engine import simulate

    trials = n_sim * len(config.scenarios)
    if trials < PILOT_MIN_TRIALS:
        return None
    pilot = min(n_sim, PILOT_REPLICATES)
    simulate(config, n_sim=pilot, seed=seed, threads=threads)
    t0 = time.perf_counter()
    simulate(config, n_sim=pilot, seed=seed, threads=threads)
    rate = pilot * len(config.scenarios) / max(time.perf_counter() - t0, 1e-9)
    return trials / rate, rate


def describe_seconds(seconds: float) -> str:
    """``"12 minutes"``, ``"2.5 hours"``: a duration in the unit a person would use."""
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
