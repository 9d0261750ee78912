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

__all__ = ["atomic_write", "write_text", "write_json", "write_bytes", "read_text"]


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
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


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
