"""Reading and writing files. Every write is atomic: temporary name, then rename.

Only this module and :mod:`simtrial.cli` touch paths, so a killed run never
leaves a half-written output behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "write_text", "write_json", "write_bytes", "read_text", "save_run", "load_run"]


def atomic_write(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> Path:
    """Write a file atomically.

    ``writer`` receives a temporary path in the same directory and must create
    the file there; it is then renamed over ``path`` (``os.replace`` is atomic
    on POSIX when both names are on the same filesystem).

    Parameters
    ----------
    path : path-like
        Final destination.
    writer : callable
        ``writer(tmp_path)`` writes the complete file to ``tmp_path``.

    Returns
    -------
    pathlib.Path
        The final path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically write ``data`` to ``path``."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically write UTF-8 ``text`` to ``path``."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically write ``obj`` as indented JSON."""
    return write_text(path, _json_text(obj))


def _json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n"


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file, turning OS errors into a one-line :class:`ConfigError`."""
    from simtrial.errors import ConfigError

    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", f"file not found: {p}") from None
    except IsADirectoryError:
        raise ConfigError("", f"expected a file, got a directory: {p}") from None
    except (PermissionError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError("", f"cannot read {p}: {exc.__class__.__name__}") from None


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


# ---------------------------------------------------------------------------
# simulation runs: save_run / load_run
# ---------------------------------------------------------------------------

RUN_FORMAT = 2
# Files of a run folder besides result.json (see save_run).
_RUN_FILES = ("replicates.parquet", "summary.csv", "config.yaml", "metadata.json")


def save_run(result: Any, out_dir: str | os.PathLike[str]) -> Path:
    """Write a :class:`~simtrial.engine.result.SimulationResult` to a folder.

    Files: ``summary.csv`` (one row per scenario x metric: value, se, exact),
    ``config.yaml`` (the resolved config, loadable again), ``metadata.json``
    (version, seed, replicates, threads, wall time, design), ``result.json``
    (everything :func:`load_run` needs, histograms and curves included) and
    ``replicates.parquet`` when per-replicate output was requested.

    ``result.json`` is written last and names the other files with their
    digests: it is the run's commit point. A folder that held an earlier run
    never passes that run's files off as this one's: an earlier
    ``replicates.parquet`` is removed (and ignored by :func:`load_run`
    should a kill come first), and a kill part-way through leaves
    ``result.json`` of the earlier run, which :func:`load_run` checks the
    replicates against.

    Parameters
    ----------
    result : SimulationResult
    out_dir : path-like
        Created if missing; existing files of the same names are replaced.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in (*_RUN_FILES, "result.json"):
        # Temporary files of writes interrupted by a kill (see atomic_write).
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    files: dict[str, str] = {}

    def put(name: str, writer: Callable[[Path], None]) -> None:
        files[name] = _digest(atomic_write(out / name, writer))

    # The largest file first: the long write happens while the folder is
    # still wholly the earlier run's.
    if result.replicates is not None:
        put("replicates.parquet", lambda p: result.replicates.to_parquet(p, index=False))
    text = {
        "summary.csv": _summary_csv(result),
        "config.yaml": yaml.safe_dump(result.config, sort_keys=False, allow_unicode=True),
        "metadata.json": _json_text(_run_metadata(result)),
    }
    for name, body in text.items():
        put(name, lambda p, body=body: p.write_bytes(body.encode("utf-8")))
    write_json(out / "result.json", {**_run_to_dict(result), "files": files})
    if result.replicates is None:
        (out / "replicates.parquet").unlink(missing_ok=True)
    return out


def _digest(path: Path) -> str:
    """BLAKE2b digest (16 bytes, hex) of a file's bytes, read in blocks."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def load_run(out_dir: str | os.PathLike[str]) -> Any:
    """Rebuild the :class:`~simtrial.engine.result.SimulationResult` saved by :func:`save_run`.

    ``replicates`` is read back from ``replicates.parquet`` when the run
    wrote one (a file left by an earlier run in the same folder is ignored).

    Raises
    ------
    ConfigError
        If ``result.json`` is not valid JSON, or ``replicates.parquet`` is
        not the file this run wrote (a later run into the same folder was
        interrupted while writing it).
    """
    from simtrial.errors import ConfigError

    out = Path(out_dir)
    try:
        data = json.loads(read_text(out / "result.json"))
    except json.JSONDecodeError as exc:
        raise ConfigError("", f"{out / 'result.json'} is not valid JSON: {exc.msg}") from None
    path = out / "replicates.parquet"
    files = data.get("files") if isinstance(data, dict) else None
    # Folders written before result.json named its files: take what is there.
    wanted = path.exists() if files is None else "replicates.parquet" in files
    reps = None
    if wanted:
        if files is not None and (not path.exists() or _digest(path) != files["replicates.parquet"]):
            raise ConfigError(
                "", f"{path} is not the file written with {out / 'result.json'} (a later run into this folder was "
                f"interrupted); run `simtrial run` again with --out {out}"
            )
        import pandas as pd

        reps = pd.read_parquet(path)
    return _run_from_dict(data, reps)


def _summary_csv(result: Any) -> str:
    """``scenario,design,metric,value,se,exact`` rows (the csv module: no pandas import at start-up)."""
    import csv
    import io as _io

    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["scenario", "design", "metric", "value", "se", "exact"])
    for s in result.units:
        for k, e in s.metrics.items():
            w.writerow([s.name, s.design, k, repr(float(e.value)), repr(float(e.se)),
                        "" if e.exact is None else repr(float(e.exact))])
    return buf.getvalue()


def _run_metadata(result: Any) -> dict[str, Any]:
    import datetime

    return {
        "simtrial_version": result.version,
        "config_name": result.config.get("name"),
        "seed": result.seed,
        "n_sim": result.n_sim,
        "threads": result.threads,
        "elapsed_seconds": result.elapsed_seconds,
        "design": result.design.to_dict(),
        "designs": [d.to_dict() for d in result.designs],
        "scenarios": [s.name for s in result.scenarios],
        "replicates_file": result.replicates is not None,
        "written_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _arr(a: Any) -> dict[str, Any]:
    import numpy as np

    a = np.asarray(a)
    return {"dtype": str(a.dtype), "data": a.tolist()}


def _unarr(d: dict[str, Any]) -> Any:
    import numpy as np

    return np.asarray(d["data"], dtype=d["dtype"])


def _run_to_dict(result: Any) -> dict[str, Any]:
    units = []
    for s in result.units:
        units.append(
            {
                "name": s.name,
                "design": s.design,
                "truth": dict(s.truth),
                "metrics": {k: {"value": e.value, "se": e.se, "exact": e.exact} for k, e in s.metrics.items()},
                "decisions": _arr(s.decisions),
                "duration_hist": [_arr(x) for x in s.duration_hist],
                "enrolled_counts": _arr(s.enrolled_counts),
                "evaluable_counts": _arr(s.evaluable_counts),
                "accrual_curve": [_arr(x) for x in s.accrual_curve],
                "survival_sample": [_arr(x) for x in s.survival_sample],
                "tox_counts": _arr(s.tox_counts),
                "rdi_hist": [_arr(x) for x in s.rdi_hist],
            }
        )
    return {
        "format": RUN_FORMAT,
        "config": result.config,
        "designs": [d.to_dict() for d in result.designs],
        "seed": result.seed,
        "n_sim": result.n_sim,
        "threads": result.threads,
        "version": result.version,
        "elapsed_seconds": result.elapsed_seconds,
        "units": units,
        "differences": [d.to_dict() for d in result.differences],
    }


def _run_from_dict(data: dict[str, Any], replicates: Any) -> Any:
    from simtrial.engine.result import Estimate, PairedDifference, ScenarioResult, SimulationResult
    from simtrial.errors import ConfigError
    from simtrial.model.designs import design_from_dict

    if data["format"] != RUN_FORMAT:
        raise ConfigError("", f"result.json is in format {data.get('format')!r}, this simtrial reads format "
                          f"{RUN_FORMAT}; run `simtrial run` again to rewrite the folder")

    def est(m: dict[str, Any]) -> Estimate:
        # JSON has no NaN literal by default; None marks a missing se.
        se = m["se"] if m["se"] is not None else float("nan")
        return Estimate(m["value"] if m["value"] is not None else float("nan"), se, m["exact"])

    units = tuple(
        ScenarioResult(
            name=s["name"],
            design=s["design"],
            truth=s["truth"],
            metrics={k: est(m) for k, m in s["metrics"].items()},
            decisions=_unarr(s["decisions"]),
            duration_hist=tuple(_unarr(x) for x in s["duration_hist"]),
            enrolled_counts=_unarr(s["enrolled_counts"]),
            evaluable_counts=_unarr(s["evaluable_counts"]),
            accrual_curve=tuple(_unarr(x) for x in s["accrual_curve"]),
            survival_sample=tuple(_unarr(x) for x in s["survival_sample"]),
            tox_counts=_unarr(s["tox_counts"]),
            rdi_hist=tuple(_unarr(x) for x in s["rdi_hist"]),
        )
        for s in data["units"]
    )
    return SimulationResult(
        config=data["config"],
        designs=tuple(design_from_dict(d) for d in data["designs"]),
        seed=data["seed"],
        n_sim=data["n_sim"],
        threads=data["threads"],
        version=data["version"],
        elapsed_seconds=data["elapsed_seconds"],
        units=units,
        differences=tuple(PairedDifference(**d) for d in data.get("differences", [])),
        replicates=replicates,
    )
