"""What runs on a worker: one cell, start to finish.

Module-level functions only, so joblib's loky processes and dask workers can
unpickle them by reference.
"""

from __future__ import annotations

import time
from typing import Any

from simtrial.sweep.grid import Cell

__all__ = ["run_cell", "init_worker"]

_initialised = False


def init_worker(*, single_thread: bool = True) -> None:
    """Once per process: numba cache warmed and, in a worker, one numba thread.

    A sweep parallelises over cells, so each worker uses a single numba
    thread (one level of parallelism). Warming compiles the kernels, or loads
    them from numba's on-disk cache, before the first cell instead of inside it.

    Parameters
    ----------
    single_thread : bool
        Pin numba to one thread for the rest of the process (worker
        processes); False only warms (the driver, whose own thread setting
        is left alone; each cell runs with ``threads=1`` anyway).
    """
    global _initialised
    if single_thread:
        import numba

        numba.set_num_threads(1)
    if _initialised:
        return
    from simtrial import engine

    warm = getattr(engine, "warmup", None)
    if callable(warm):
        warm()
    _initialised = True


def run_cell(base: dict[str, Any], cell: Cell, source: str = "") -> tuple[Cell, Any, dict[str, Any]]:
    """Simulate one cell.

    Parameters
    ----------
    base : dict
        Raw base config (with ``sweep.fixed`` applied).
    cell : Cell
    source : str
        For messages.

    Returns
    -------
    (Cell, pandas.DataFrame, dict)
        The cell, ``SimulationResult.to_frame()`` and run information
        (``n_sim``, ``elapsed_seconds``, ``version``).
    """
    init_worker(single_thread=False)
    from simtrial.engine import simulate
    from simtrial.model import parse_config
    from simtrial.sweep.paths import apply_overrides

    raw, _ = apply_overrides(base, cell.as_dict())
    cfg = parse_config(raw, source=f"{source} [cell {cell.id}]")
    t0 = time.perf_counter()
    result = simulate(cfg, seed=cell.seed, threads=1)
    info = {
        "n_sim": int(result.n_sim),
        "elapsed_seconds": time.perf_counter() - t0,
        "version": result.version,
    }
    return cell, result.to_frame(), info
