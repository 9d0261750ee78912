"""Running a sweep: skip finished cells, run the rest, store each, assemble the table."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simtrial.errors import ConfigError, RunError
from simtrial.sweep.backends import BACKENDS, DEFAULT_WORKER_TIMEOUT, run_dask, run_local
from simtrial.sweep.spec import SweepSpec
from simtrial.sweep.store import SweepStore

__all__ = ["SweepOutcome", "run_sweep", "DEFAULT_WORKER_TIMEOUT"]


@dataclass(frozen=True)
class SweepOutcome:
    """What one :func:`run_sweep` call did.

    Attributes
    ----------
    out_dir : pathlib.Path
    table : pandas.DataFrame
        Tidy table, one row per cell x scenario x metric: ``cell_id``,
        ``cell_seed``, one column per axis (named by its dotted path),
        ``scenario``, ``metric``, ``value``, ``se``, ``exact`` (NaN where no
        exact value exists). Also written to ``sweep.parquet`` and ``sweep.csv``.
    n_cells : int
    computed : tuple of str
        Ids of the cells computed by this call, in completion order.
    skipped : tuple of str
        Ids of cells found finished and not recomputed (``resume=True``).
    elapsed_seconds : float
    """

    out_dir: Path
    table: pd.DataFrame
    n_cells: int
    computed: tuple[str, ...]
    skipped: tuple[str, ...]
    elapsed_seconds: float

    def wide(self) -> pd.DataFrame:
        """One row per cell x scenario, one column per metric (values only)."""
        keys = [c for c in self.table.columns if c not in ("metric", "value", "se", "exact")]
        wide = self.table.pivot(index=keys, columns="metric", values="value").reset_index()
        metrics = list(dict.fromkeys(self.table["metric"]))
        # pivot sorts; merging onto the keys in table order restores grid order.
        order = self.table[keys].drop_duplicates()
        return order.merge(wide, on=keys, how="left")[[*keys, *metrics]].rename_axis(columns=None)


def run_sweep(
    spec: SweepSpec,
    out_dir: str | os.PathLike[str],
    *,
    n_jobs: int = 1,
    backend: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT,
) -> SweepOutcome:
    """Run every unfinished cell of ``spec`` and assemble the sweep table.

    Parameters
    ----------
    spec : SweepSpec
        From :func:`simtrial.sweep.load_sweep`.
    out_dir : path-like
        Output directory (see :mod:`simtrial.sweep.store` for its layout).
    n_jobs : int
        Local worker processes, or LocalCluster workers for ``backend="dask"``
        without a scheduler. ``-1``: one per core.
    backend : {"local", "dask"}
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running dask scheduler (``backend="dask"`` only).
    resume : bool
        Continue a sweep in ``out_dir``: finished cells are kept, not rerun.
    progress : callable, optional
        ``progress(finished, total)`` is called once before any cell runs
        (``finished`` = cells already done) and after every finished cell.
    worker_timeout : float
        ``backend="dask"``: seconds the scheduler may have no worker before
        the sweep stops with :class:`~simtrial.errors.RunError`.

    Returns
    -------
    SweepOutcome

    Raises
    ------
    ConfigError
        For an unknown backend, a bad ``n_jobs``, a scheduler without the dask
        backend, or an ``out_dir`` that holds another sweep.
    RunError
        When a local worker process dies, or a dask scheduler has no worker
        for ``worker_timeout`` seconds; finished cells are saved.

    Notes
    -----
    Each cell runs ``simulate(config, seed=cell.seed, threads=1)``; the cell
    seed depends only on the sweep seed and the cell's parameter values, so
    the table is bit-identical for any ``n_jobs``, backend, or number of
    interruptions and resumptions.
    """
    if backend not in BACKENDS:
        raise ConfigError("--backend", f"must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ConfigError("--scheduler", "needs --backend dask")
    if n_jobs == 0 or n_jobs < -1:
        raise ConfigError("--n-jobs", f"must be a positive integer or -1 (all cores), got {n_jobs}")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if not worker_timeout > 0:  # also refuses nan
        raise ConfigError("--worker-timeout", f"must be a number of seconds > 0, got {worker_timeout}")

    t0 = time.perf_counter()
    store = SweepStore(out_dir, spec)
    store.open(resume=resume)
    try:
        return _run(spec, store, out_dir, n_jobs, backend, scheduler, resume, progress, t0, worker_timeout)
    finally:
        store.close()


def _run(
    spec: SweepSpec,
    store: SweepStore,
    out_dir: str | os.PathLike[str],
    n_jobs: int,
    backend: str,
    scheduler: str | None,
    resume: bool,
    progress: Callable[[int, int], None] | None,
    t0: float,
    worker_timeout: float,
) -> SweepOutcome:
    done = {c.id for c in spec.cells if store.is_done(c)} if resume else set()
    pending = [c for c in spec.cells if c.id not in done]
    total = len(spec.cells)
    finished = total - len(pending)
    if progress is not None:
        progress(finished, total)

    if backend == "dask":
        outcomes = run_dask(
            spec.base, pending, n_workers=n_jobs, scheduler=scheduler, source=spec.source, fingerprint=spec.fingerprint,
            worker_timeout=worker_timeout,
        )
    else:
        outcomes = run_local(spec.base, pending, n_jobs=n_jobs, source=spec.source)

    computed: list[str] = []
    try:
        for cell, frame, info in outcomes:
            store.write_cell(cell, store.cell_frame(cell, frame), info)
            computed.append(cell.id)
            finished += 1
            if progress is not None:
                progress(finished, total)
    except RunError as exc:
        raise RunError(f"{exc}; {finished} of {total} cells are saved in {out_dir}; rerun with --resume to continue") from None
    except Exception as exc:
        if type(exc).__name__ != "TerminatedWorkerError":
            raise
        # A local worker process died (killed, out of memory): what finished is on disk.
        raise RunError(
            f"a worker process died ({exc.__class__.__name__}); {finished} of {total} cells are saved "
            f"in {out_dir}; rerun with --resume to continue"
        ) from None
    finally:
        close = getattr(outcomes, "close", None)
        if close is not None:  # stop the workers promptly when interrupted
            close()

    table = store.assemble()
    store.write_table(table)
    return SweepOutcome(
        out_dir=Path(out_dir),
        table=table,
        n_cells=total,
        computed=tuple(computed),
        skipped=tuple(c.id for c in spec.cells if c.id in done),
        elapsed_seconds=time.perf_counter() - t0,
    )
