"""Sweep output directory: a manifest, one parquet file per finished cell, the assembled table.

Layout of ``out_dir``::

    manifest.json        the plan: fingerprint, seed, axes, every cell's id, values and seed
    cells/<id>.parquet   one file per finished cell, written atomically
    sweep.parquet        the tidy table of all cells (written at the end)
    sweep.csv            the same table as CSV

A cell file is written under a temporary name and renamed, so it either exists
complete or not at all: a cell counts as finished exactly when its file
exists (and its embedded id, seed, sweep fingerprint and code version match
the plan and this process). Killing a worker or the
driver loses only the cells in flight.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from simtrial.errors import ConfigError
from simtrial.sweep.grid import Cell
from simtrial.sweep.spec import SweepSpec

__all__ = ["SweepStore", "MANIFEST", "TABLE_COLUMNS", "load_sweep_outcome", "read_manifest", "cell_file_info"]

MANIFEST = "manifest.json"
_FORMAT = 1
_META_KEY = b"simtrial.cell"
#: Columns of every cell's rows besides the axis columns (which follow ``cell_seed``).
TABLE_COLUMNS = ("cell_id", "cell_seed", "scenario", "metric", "value", "se", "exact")


class SweepStore:
    """Reads and writes one sweep's output directory.

    Parameters
    ----------
    out_dir : path-like
    spec : SweepSpec
    """

    def __init__(self, out_dir: str | os.PathLike[str], spec: SweepSpec) -> None:
        self.out_dir = Path(out_dir)
        self.cells_dir = self.out_dir / "cells"
        self.spec = spec

    # -- manifest ---------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.out_dir / MANIFEST

    def manifest(self) -> dict[str, Any]:
        """The manifest document of this sweep."""
        from simtrial import __version__
        from simtrial._provenance import code_version

        return {
            "format": _FORMAT,
            "fingerprint": self.spec.fingerprint,
            "source": self.spec.source,
            "seed": self.spec.seed,
            "mode": self.spec.sweep.mode,
            "axes": {a: list(self.spec.sweep.axis_values(a)) for a in self.spec.axes},
            "fixed": dict(self.spec.sweep.fixed),
            "simtrial_version": __version__,
            "code_version": code_version(),
            "n_cells": len(self.spec.cells),
            "cells": [{"id": c.id, "seed": c.seed, "values": c.as_dict()} for c in self.spec.cells],
        }

    def open(self, *, resume: bool) -> None:
        """Prepare the directory: write the manifest, or check it on resume.

        Raises
        ------
        ConfigError
            If the directory already holds a sweep and ``resume`` is False,
            or holds a different sweep (other config, axes or seed).
        """
        from simtrial.io import write_json

        self._lock()
        if self.manifest_path.exists():
            try:
                old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise ConfigError("--out", f"{self.manifest_path} is unreadable; choose another --out") from None
            fresh = old.get("fingerprint") == self.spec.fingerprint and not any(self.cells_dir.glob("*.parquet"))
            if not resume and not fresh:  # a plan with no finished cell has nothing to lose
                raise ConfigError(
                    "--out", f"{self.out_dir} already holds a sweep; pass --resume to continue it or choose another --out"
                )
            if old.get("fingerprint") != self.spec.fingerprint:
                raise ConfigError(
                    "--resume",
                    f"{self.out_dir} holds a different sweep (its config, axes or seed differ); choose another --out",
                )
            self._check_code(old)
        else:
            self.cells_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.manifest_path, self.manifest())
        self.cells_dir.mkdir(parents=True, exist_ok=True)
        # Temporary files of writes interrupted by a kill; their cells are simply recomputed.
        for tmp in self.cells_dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def _check_code(self, old: dict[str, Any]) -> None:
        """Refuse to resume a sweep begun by other code: its cells and new ones could differ."""
        from simtrial import __version__
        from simtrial._provenance import code_version

        theirs = old.get("code_version") or old.get("simtrial_version")
        mine = code_version() if "code_version" in old else __version__
        if theirs != mine:
            raise ConfigError(
                "--resume",
                f"{self.out_dir} was begun by simtrial {theirs} and this is {mine}; finished cells and new ones "
                "could differ, so finish it with that simtrial or choose another --out",
            )

    def _lock(self) -> None:
        """Hold an exclusive lock on the directory while this sweep runs.

        Two drivers on one directory would delete each other's in-flight
        temporary files; the lock (:class:`simtrial.io.FolderLock`) turns that
        into a clear error.
        """
        from simtrial.io import FolderLock

        busy = f"another sweep is running in {self.out_dir}; wait for it or choose another --out"
        self._folder_lock = FolderLock(self.out_dir, key="--out", busy=busy).acquire()

    def close(self) -> None:
        """Release the directory lock."""
        lock = getattr(self, "_folder_lock", None)
        if lock is not None:
            lock.release()
            self._folder_lock = None

    # -- cells ------------------------------------------------------------
    def cell_path(self, cell: Cell) -> Path:
        return self.cells_dir / f"{cell.id}.parquet"

    def is_done(self, cell: Cell) -> bool:
        """True when the cell's file exists and belongs to this cell and seed."""
        import pyarrow.parquet as pq

        path = self.cell_path(cell)
        if not path.exists():
            return False
        try:
            meta = pq.read_schema(path).metadata or {}
            info = json.loads(meta[_META_KEY])
        except Exception:  # an unreadable file is recomputed, never trusted
            return False
        from simtrial._provenance import code_version

        # The sweep and the code too: a cell file left from another sweep or
        # other code (a lost manifest) is recomputed, not mixed in.
        return (info.get("id") == cell.id and info.get("seed") == cell.seed and info.get("identity") == cell.identity
                and info.get("fingerprint") == self.spec.fingerprint and info.get("code_version") == code_version())

    def cell_frame(self, cell: Cell, frame: pd.DataFrame) -> pd.DataFrame:
        """The cell's rows of the sweep table from ``SimulationResult.to_frame()`` output."""
        out = pd.DataFrame({"cell_id": cell.id, "cell_seed": cell.seed}, index=range(len(frame)))
        for axis, value in cell.values:
            out[axis] = [self.spec.axis_column(axis, value)] * len(frame)
        for col in ("scenario", "metric"):
            out[col] = frame[col].astype(str).to_numpy()
        for col in ("value", "se"):
            out[col] = frame[col].to_numpy(dtype="float64")
        out["exact"] = pd.to_numeric(frame["exact"], errors="raise").astype("float64").to_numpy()
        return out

    def write_cell(self, cell: Cell, frame: pd.DataFrame, info: dict[str, Any]) -> Path:
        """Atomically write a finished cell (``frame`` as from :meth:`cell_frame`)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from simtrial._provenance import code_version
        from simtrial.io import atomic_write

        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(
            {"id": cell.id, "identity": cell.identity, "seed": cell.seed, "fingerprint": self.spec.fingerprint,
             "code_version": code_version(), "finished_at": time.time(), **info},
            default=str,
        ).encode("utf-8")
        table = table.replace_schema_metadata(meta)
        return atomic_write(self.cell_path(cell), lambda p: pq.write_table(table, p))

    def read_cell(self, cell: Cell) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return pq.read_table(self.cell_path(cell)).to_pandas()

    def cell_info(self, cell: Cell) -> dict[str, Any]:
        """The metadata stored with a finished cell (seed, n_sim, elapsed, version ...)."""
        import pyarrow.parquet as pq

        return json.loads((pq.read_schema(self.cell_path(cell)).metadata or {})[_META_KEY])

    # -- table ------------------------------------------------------------
    def assemble(self) -> pd.DataFrame:
        """All cells' rows in grid order (every cell must be finished)."""
        frames = [self.read_cell(c) for c in self.spec.cells]
        return pd.concat(frames, ignore_index=True)

    def write_table(self, table: pd.DataFrame) -> tuple[Path, Path]:
        """Atomically write ``sweep.parquet`` and ``sweep.csv``."""
        from simtrial.io import atomic_write

        pq_path = atomic_write(self.out_dir / "sweep.parquet", lambda p: table.to_parquet(p, index=False))
        csv_path = atomic_write(self.out_dir / "sweep.csv", lambda p: table.to_csv(p, index=False))
        return pq_path, csv_path


def load_sweep_outcome(out_dir: str | os.PathLike[str]) -> Any:
    """Read a finished sweep directory back as a :class:`~simtrial.sweep.SweepOutcome`.

    Parameters
    ----------
    out_dir : path-like
        A directory written by :func:`simtrial.sweep.run_sweep`.

    Returns
    -------
    SweepOutcome
        ``table`` from ``sweep.parquet``; every cell counts as ``skipped``
        (nothing was computed by this call); ``elapsed_seconds`` is the sum
        of the cells' simulation times.

    Raises
    ------
    ConfigError
        If there is no readable manifest, or the sweep is unfinished (no
        ``sweep.parquet`` yet, or a table that does not hold every planned
        cell): the message says how to finish it with ``--resume``.
    """
    from simtrial.sweep.run import SweepOutcome  # run.py imports this module

    out = Path(out_dir)
    manifest = read_manifest(out)
    ids = [c["id"] for c in manifest.get("cells", [])]
    done = sum((out / "cells" / f"{i}.parquet").exists() for i in ids)
    resume = f"finish it with `simtrial sweep {manifest.get('source') or 'SPEC'} --out {out} --resume`"
    if not (out / "sweep.parquet").exists():
        raise ConfigError("", f"{out} holds an unfinished sweep ({done} of {len(ids)} cells done); {resume}")
    table = pd.read_parquet(out / "sweep.parquet")
    if list(dict.fromkeys(table["cell_id"].astype(str))) != ids:
        raise ConfigError("", f"{out / 'sweep.parquet'} does not match the cells in {MANIFEST}; {resume}")
    elapsed = sum(float(cell_file_info(out / "cells" / f"{i}.parquet").get("elapsed_seconds", 0.0)) for i in ids)
    return SweepOutcome(
        out_dir=out, table=table, n_cells=len(ids), computed=(), skipped=tuple(ids), elapsed_seconds=elapsed
    )


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``manifest.json`` of a sweep directory (ConfigError when missing or unreadable)."""
    from simtrial.io import read_text

    path = Path(out_dir) / MANIFEST
    try:
        data = json.loads(read_text(path))
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError("", f"{path} is not valid JSON") from None
    if not isinstance(data, dict) or "cells" not in data or "axes" not in data:
        raise ConfigError("", f"{path} is not a sweep manifest")
    return data


def cell_file_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata stored in a finished cell file (id, seed, n_sim, elapsed_seconds, version); {} if absent."""
    import pyarrow.parquet as pq

    try:
        return json.loads((pq.read_schema(path).metadata or {})[_META_KEY])
    except (OSError, KeyError, ValueError):
        return {}
