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

__all__ = [
    "atomic_write",
    "write_text",
    "write_json",
    "write_bytes",
    "read_text",
    "FolderLock",
    "replace_folder",
    "save_run",
    "load_run",
]


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
        os.chmod(tmp_path, 0o666 & ~_umask())
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


class FolderLock:
    """An exclusive lock on an output folder while one command writes into it.

    Two commands writing one folder would replace each other's files and
    delete each other's temporary ones; the second to start is refused
    instead. The lock is ``flock`` on ``FOLDER/.lock``, which the OS
    releases when the process ends, however it ends (a stale lock file is
    harmless). Runs and sweeps use the same lock, so they exclude each other.

    Parameters
    ----------
    folder : path-like
        Created (with its parents) by :meth:`acquire` if missing.
    key, busy : str
        The :class:`~simtrial.errors.ConfigError` raised when another process
        holds the lock: the option it names and its message.
    """

    NAME = ".lock"

    def __init__(self, folder: str | os.PathLike[str], *, key: str, busy: str) -> None:
        self.folder = Path(folder)
        self.key = key
        self.busy = busy
        self.created = False
        self._fh: Any = None

    def acquire(self) -> FolderLock:
        """Take the lock (non-blocking).

        Returns
        -------
        FolderLock
            ``self``.

        Raises
        ------
        ConfigError
            If another process holds it.
        """
        from simtrial.errors import ConfigError

        self.created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return self
        fh = open(self.folder / self.NAME, "w")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise ConfigError(self.key, self.busy) from None
        self._fh = fh
        return self

    def release(self, *, remove_unused: bool = False) -> None:
        """Release the lock.

        Parameters
        ----------
        remove_unused : bool
            Also remove the folder if :meth:`acquire` created it and nothing
            but the lock file was written there (a run that was interrupted
            or refused leaves no trace).
        """
        if self._fh is None:
            return
        try:
            if remove_unused and self.created and [p.name for p in self.folder.iterdir()] == [self.NAME]:
                (self.folder / self.NAME).unlink()
                self.folder.rmdir()
        finally:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


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
#: The report that ``simtrial run --report`` writes inside a run folder.
REPORT_DIR = "report"


class InterruptedAfterSave(KeyboardInterrupt):
    """Ctrl-C arrived while a run's files were moved into place; they all were, so the run is complete."""


def run_config(config: dict[str, Any], *, n_sim: int, seed: int, threads: int | None) -> dict[str, Any]:
    """A run's config as it ran: ``simulation`` set to the replicates, seed and threads used.

    A config's ``simulation`` block holds defaults that the command line can
    override; the saved config must hold what was used, so that running it
    again reproduces the run.

    Parameters
    ----------
    config : dict
        The resolved config (``TrialConfig.model_dump(mode="json")``).
    n_sim, seed : int
    threads : int or None
        None: all cores.

    Returns
    -------
    dict
        A copy of ``config``.
    """
    import copy

    out = copy.deepcopy(config)
    out["simulation"] = {**(out.get("simulation") or {}), "n_sim": int(n_sim), "seed": int(seed),
                         "threads": None if threads is None else int(threads)}
    return out


def run_identity(config: dict[str, Any], *, replicates: bool) -> str:
    """A digest of everything that determines a run's files, but the thread count.

    Two runs with the same identity write the same numbers (results do not
    depend on threads): replacing one with the other loses nothing.

    Parameters
    ----------
    config : dict
        From :func:`run_config`.
    replicates : bool
        Whether ``replicates.parquet`` is written.

    Returns
    -------
    str
        32 hex digits.
    """
    import hashlib

    from simtrial._provenance import code_version

    sim = {k: v for k, v in (config.get("simulation") or {}).items() if k != "threads"}
    doc = {"config": {**config, "simulation": sim}, "replicates": bool(replicates), "code": code_version()}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def held_run(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``metadata.json`` of the run a folder holds, ``{}`` if unreadable, None when it holds no run."""
    out = Path(out_dir)
    if not any((out / name).exists() for name in (*_RUN_FILES, "result.json")):
        return None
    try:
        meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def check_run_folder(out_dir: str | os.PathLike[str], identity: str, *, overwrite: bool) -> None:
    """Refuse a folder that holds a different run, unless ``overwrite``.

    The same run (same :func:`run_identity`) may be written again: its
    numbers are the same.

    Raises
    ------
    ConfigError
        Naming ``--out``, the run found and ``--overwrite``.
    """
    from simtrial.errors import ConfigError

    held = held_run(out_dir)
    if held is None or overwrite or held.get("run_identity") == identity:
        return
    what = "another run"
    if held.get("seed") is not None and held.get("n_sim") is not None:
        what = (f"a run of {held.get('config_name') or 'another config'} (seed {held['seed']}, "
                f"{int(held['n_sim']):,} replicates per scenario, written {held.get('written_utc', '?')})")
    raise ConfigError("--out", f"{out_dir} already holds {what}; pass --overwrite to replace it or choose another --out")


def save_run(result: Any, out_dir: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Write a :class:`~simtrial.engine.result.SimulationResult` to a folder.

    Files: ``summary.csv`` (one row per scenario x metric: value, se, exact),
    ``config.yaml`` (the config as it ran, the replicates, seed and threads
    used included: ``simtrial run config.yaml`` reproduces the run),
    ``metadata.json`` (version, seed, replicates, threads, wall time,
    design, Python and dependency versions, platform, git commit),
    ``result.json`` (everything :func:`load_run` needs, histograms and
    curves included) and ``replicates.parquet`` when per-replicate output
    was requested.

    Every file is first written to a temporary folder inside ``out_dir``
    (an interruption there changes nothing), then moved into place with
    ``result.json`` last: it names the other files with their digests and is
    the run's commit point. A folder that held an earlier run never passes
    that run's files off as this one's: an earlier ``replicates.parquet`` is
    removed (and ignored by :func:`load_run` should a kill come first), and
    the earlier run's ``report/`` folder is removed before anything is moved.
    Ctrl-C while the files are moved is held until they all are, then
    raised as :class:`InterruptedAfterSave`.

    Parameters
    ----------
    result : SimulationResult
    out_dir : path-like
        Created if missing.
    overwrite : bool
        False: refuse (ConfigError) a folder that holds a different run (see
        :func:`check_run_folder`), as the command line does without
        ``--overwrite``. True: replace it.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    import shutil

    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = run_config(result.config, n_sim=result.n_sim, seed=result.seed, threads=result.threads)
    identity = run_identity(config, replicates=result.replicates is not None)
    check_run_folder(out, identity, overwrite=overwrite)
    same_run = (held_run(out) or {}).get("run_identity") == identity
    _remove_leftovers(out)
    stage = Path(tempfile.mkdtemp(prefix=".run-", suffix=".tmp", dir=out))
    try:
        files: dict[str, str] = {}

        def put(name: str, writer: Callable[[Path], None]) -> None:
            writer(stage / name)
            files[name] = _digest(stage / name)

        if result.replicates is not None:
            put("replicates.parquet", lambda p: result.replicates.to_parquet(p, index=False))
        text = {
            "summary.csv": _summary_csv(result),
            "config.yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
            "metadata.json": _json_text(_run_metadata(result, identity)),
        }
        for name, body in text.items():
            put(name, lambda p, body=body: p.write_bytes(body.encode("utf-8")))
        (stage / "result.json").write_text(_json_text({**_run_to_dict(result, config), "files": files}), "utf-8")
        _set_file_mode(stage)
        with _interrupt_held() as interrupted:
            if not same_run:  # an earlier run's report must never sit beside these results
                shutil.rmtree(out / REPORT_DIR, ignore_errors=True)
            for name in (*files, "result.json"):
                os.replace(stage / name, out / name)
            if result.replicates is None:
                (out / "replicates.parquet").unlink(missing_ok=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if interrupted:
        raise InterruptedAfterSave()
    return out


def replace_folder(path: str | os.PathLike[str], writer: Callable[[Path], Any]) -> Any:
    """Write a whole folder atomically: ``writer`` fills a temporary sibling, which then replaces ``path``.

    An interruption inside ``writer`` leaves ``path`` as it was.

    Parameters
    ----------
    path : path-like
        The folder to (re)place; its parent is created if missing.
    writer : callable
        ``writer(tmp_folder)`` writes the complete folder.

    Returns
    -------
    object
        What ``writer`` returned, with paths inside the temporary folder
        pointed at ``path`` (for a dict of paths).
    """
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent))
    try:
        made = writer(stage)
        _set_file_mode(stage)
        os.chmod(stage, 0o777 & ~_umask())
        with _interrupt_held() as interrupted:
            old = None
            if path.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}-old-", suffix=".tmp", dir=path.parent))
                os.replace(path, old / path.name)
            os.replace(stage, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if interrupted:
        raise InterruptedAfterSave()
    if isinstance(made, dict):
        return {k: path / Path(v).relative_to(stage) if isinstance(v, Path) else v for k, v in made.items()}
    return made


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _set_file_mode(folder: Path) -> None:
    """Give files written under a ``mkdtemp`` folder the permissions a plain ``open()`` would."""
    mode = 0o666 & ~_umask()
    for p in folder.rglob("*"):
        if p.is_file():
            os.chmod(p, mode)


def _remove_leftovers(out: Path) -> None:
    """Temporary files and folders of saves interrupted by a kill (see atomic_write, save_run)."""
    import shutil

    for name in (*_RUN_FILES, "result.json"):
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    for tmp in out.glob(".run-*.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)


class _interrupt_held:
    """Hold Ctrl-C (SIGINT) for a few renames, so that they happen all or not at all.

    ``with _interrupt_held() as interrupted:`` -- after the block,
    ``interrupted`` is true when a SIGINT arrived meanwhile. Outside the main
    thread (where Python delivers signals) nothing is held.
    """

    def __init__(self) -> None:
        self.arrived = False
        self._old: Any = None

    def __enter__(self) -> _interrupt_held:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._hold)
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        self.arrived = True

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)

    def __bool__(self) -> bool:
        return self.arrived


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


def _run_metadata(result: Any, identity: str) -> dict[str, Any]:
    import datetime

    from simtrial._provenance import environment

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
        "run_identity": identity,
        **environment(),
    }


def _arr(a: Any) -> dict[str, Any]:
    import numpy as np

    a = np.asarray(a)
    return {"dtype": str(a.dtype), "data": a.tolist()}


def _unarr(d: dict[str, Any]) -> Any:
    import numpy as np

    return np.asarray(d["data"], dtype=d["dtype"])


def _run_to_dict(result: Any, config: dict[str, Any]) -> dict[str, Any]:
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
        "config": config,
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
