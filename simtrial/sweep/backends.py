"""Execution backends: joblib processes locally, dask.distributed on a cluster.

Both yield finished cells as they complete, in whatever order; the driver
stores each one as it arrives. Results do not depend on the backend or on the
number of workers, because every cell's random streams derive from its own
seed only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from simtrial.errors import ConfigError
from simtrial.sweep._worker import init_worker, run_cell
from simtrial.sweep.grid import Cell

__all__ = ["BACKENDS", "run_local", "run_dask"]

BACKENDS = ("local", "dask")

Outcome = tuple[Cell, Any, dict[str, Any]]


def run_local(base: dict[str, Any], cells: Iterable[Cell], *, n_jobs: int = 1, source: str = "") -> Iterator[Outcome]:
    """Run cells in this process (``n_jobs == 1``) or in joblib loky worker processes.

    Parameters
    ----------
    base : dict
        Raw base config with ``sweep.fixed`` applied.
    cells : iterable of Cell
    n_jobs : int
        Worker processes (``-1``: one per core).
    source : str
        For messages.

    Yields
    ------
    (Cell, pandas.DataFrame, dict)
        As cells finish (unordered when ``n_jobs > 1``).
    """
    cells = list(cells)
    if not cells:
        return
    if n_jobs == 1:
        for cell in cells:
            yield run_cell(base, cell, source)
        return
    from joblib import Parallel, delayed, parallel_config

    # Compile (or load) the kernels once here, so the on-disk numba cache is
    # filled before the workers start and they only load it.
    init_worker(single_thread=False)
    # inner_max_num_threads=1 sets NUMBA_NUM_THREADS=1 (and the BLAS ones)
    # in each loky worker before it imports numba; each worker warms its
    # cache on its first cell (init_worker runs once per process).
    with parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1, pre_dispatch="2*n_jobs")
        yield from parallel(delayed(run_cell)(base, cell, source) for cell in cells)


def _worker_version() -> str:
    """:func:`simtrial._provenance.code_version` in this process (run on every dask worker)."""
    from simtrial._provenance import code_version

    return code_version()


def _make_plugin() -> Any:
    from distributed.diagnostics.plugin import WorkerPlugin

    class SweepWorkerSetup(WorkerPlugin):
        """Runs :func:`init_worker` on every worker, including ones that join later."""

        name = "simtrial-sweep-setup"

        def setup(self, worker: Any) -> None:
            init_worker()

    return SweepWorkerSetup()


def run_dask(
    base: dict[str, Any],
    cells: Iterable[Cell],
    *,
    n_workers: int = 2,
    scheduler: str | None = None,
    source: str = "",
    fingerprint: str = "",
) -> Iterator[Outcome]:
    """Run cells on dask.distributed workers.

    Parameters
    ----------
    base : dict
    cells : iterable of Cell
    n_workers : int
        Workers of the LocalCluster started when ``scheduler`` is None
        (ignored with a scheduler: its workers are used).
    scheduler : str, optional
        Address of a running scheduler, ``tcp://HOST:PORT``.
    source : str
    fingerprint : str
        Sweep fingerprint: part of each task key, so only identical cells of
        identical sweeps can ever share a result on a shared scheduler.

    Yields
    ------
    (Cell, pandas.DataFrame, dict)
        As cells finish. A task whose worker dies is rerun elsewhere by dask.
    """
    cells = list(cells)
    if not cells:
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=max(1, n_workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": "1"},
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError("--scheduler", f"cannot connect to {scheduler}: {exc}") from None
    try:
        versions = set(client.run(_worker_version).values())
        expected = _worker_version()
        if versions - {expected}:
            raise ConfigError(
                "--scheduler",
                f"workers run simtrial {', '.join(sorted(versions - {expected}))} but this is {expected}; "
                "install the same simtrial on every machine",
            )
        client.register_plugin(_make_plugin())
        futures = [
            client.submit(run_cell, base, cell, source, pure=False, key=f"simtrial-cell-{fingerprint[:12]}-{cell.id}")
            for cell in cells
        ]
        for future in as_completed(futures):
            outcome = future.result()
            future.release()
            yield outcome
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
