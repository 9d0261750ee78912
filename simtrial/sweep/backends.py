"""Execution backends: joblib processes locally, dask.distributed on a cluster.

Both yield finished cells as they complete, in whatever order; the driver
stores each one as it arrives. Results do not depend on the backend or on the
number of workers, because every cell's random streams derive from its own
seed only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from simtrial.errors import ConfigError, RunError
from simtrial.sweep._worker import init_worker, run_cell
from simtrial.sweep.grid import Cell

__all__ = ["BACKENDS", "DEFAULT_WORKER_TIMEOUT", "run_local", "run_dask", "slurm_cluster"]

BACKENDS = ("local", "dask")
#: Seconds a dask scheduler may have no worker before the sweep gives up (``--worker-timeout``).
DEFAULT_WORKER_TIMEOUT = 60.0
# How often the driver looks at the scheduler's workers while it waits for cells.
_POLL_SECONDS = 0.25

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
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
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
    worker_timeout : float
        Seconds the scheduler may have no worker at all (none has joined
        yet, or all have left) before the sweep gives up.

    Yields
    ------
    (Cell, pandas.DataFrame, dict)
        As cells finish. A task whose worker dies is rerun elsewhere by dask.

    Raises
    ------
    RunError
        When the scheduler has had no worker for ``worker_timeout`` seconds:
        without workers a dask sweep would otherwise wait for ever.
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
        _wait_for_a_worker(client, scheduler, worker_timeout)
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
        for future in _as_completed_while_workers(client, as_completed(futures), scheduler, worker_timeout):
            outcome = future.result()
            future.release()
            yield outcome
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _no_worker_error(scheduler: str | None, timeout: float, what: str) -> RunError:
    where = f"the dask scheduler at {scheduler}" if scheduler else "the local dask cluster"
    start = f"start workers (`dask worker {scheduler} --nthreads 1`)" if scheduler else "check the cluster"
    return RunError(f"{where} {what} for {timeout:g} s; {start} or raise --worker-timeout")


def _wait_for_a_worker(client: Any, scheduler: str | None, timeout: float) -> None:
    """Return once the scheduler has a worker; RunError after ``timeout`` seconds without one."""
    import asyncio

    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, asyncio.TimeoutError):
        raise _no_worker_error(scheduler, timeout, "has had no worker") from None


def _as_completed_while_workers(client: Any, pending: Any, scheduler: str | None, timeout: float) -> Iterator[Any]:
    """Futures of ``pending`` (an ``as_completed``) as they finish; RunError once no worker is left for ``timeout`` s.

    Dask reruns a lost worker's tasks elsewhere, but with no worker left the
    tasks wait for ever: the workers are counted while nothing is ready.
    """
    alone_since: float | None = None
    while not pending.is_empty():
        if pending.has_ready():
            yield from pending.next_batch(block=False)
            continue
        if client.nthreads():
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > timeout:
            raise _no_worker_error(scheduler, timeout, "has had no worker left")
        time.sleep(_POLL_SECONDS)


def slurm_cluster(*, cores: int = 1, memory: str = "2GB", walltime: str = "02:00:00", python: str | None = None,
                  **kwargs: Any) -> Any:
    """A dask-jobqueue ``SLURMCluster`` set up for simtrial sweeps: one single-threaded worker per core.

    Each SLURM job asks for ``cores`` CPUs and runs that many worker
    processes of one thread each, with ``NUMBA_NUM_THREADS=1`` exported
    before the worker starts (one level of parallelism: cells across
    workers). Pass the cluster's ``scheduler_address`` to
    :func:`simtrial.sweep.run_sweep` (``backend="dask"``): every worker,
    including those whose jobs start later, then warms its numba cache
    once when it joins, as on any dask cluster. Needs the ``slurm`` extra
    (``pip install "simtrial-phase2[slurm]"``).

    Parameters
    ----------
    cores : int
        CPUs per SLURM job, and so worker processes per job.
    memory : str
        Memory per job, e.g. ``"8GB"``.
    walltime : str
        Time limit per job, ``HH:MM:SS``.
    python : str, optional
        The Python that runs the workers on the compute nodes; default: this
        interpreter (right when the nodes share the file system and its
        virtual environment).
    **kwargs
        Passed to ``dask_jobqueue.SLURMCluster`` (``account``, ``queue``,
        ``interface``, ``job_extra_directives``, ``job_script_prologue``
        lines run after the export, ...).

    Returns
    -------
    dask_jobqueue.SLURMCluster
        No job is submitted until ``cluster.scale(jobs=N)``.
    """
    import sys

    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ConfigError(
            "--backend", 'a SLURM cluster needs dask-jobqueue: pip install "simtrial-phase2[slurm]"'
        ) from None
    prologue = ["export NUMBA_NUM_THREADS=1", *kwargs.pop("job_script_prologue", [])]
    return SLURMCluster(cores=cores, processes=cores, memory=memory, walltime=walltime,
                        python=python or sys.executable, job_script_prologue=prologue, **kwargs)
