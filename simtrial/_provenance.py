"""Which code produced a result: simtrial's version, a hash of its source, and what it ran on."""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["code_version", "environment", "git_commit"]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """simtrial's version and a hash of its source files, as seen by this process.

    Bit-identical results need identical code; the hash also catches two
    checkouts or installs that carry the same version number but differ.
    Recorded with sweeps (a resume must run the same code) and compared
    across dask workers.

    Returns
    -------
    str
        ``"<version> (source <12 hex digits>)"``.
    """
    import hashlib
    from pathlib import Path

    import simtrial

    root = Path(simtrial.__file__).parent
    h = hashlib.blake2b(digest_size=6)
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return f"{simtrial.__version__} (source {h.hexdigest()})"


#: Packages whose versions can change simulated numbers or their speed.
_DEPENDENCIES = ("numpy", "numba", "scipy")


@functools.lru_cache(maxsize=1)
def git_commit() -> tuple[str, bool] | None:
    """The git commit of simtrial's source and whether the tree has uncommitted changes.

    Returns
    -------
    (str, bool) or None
        ``(commit, dirty)`` when simtrial runs from a git checkout and git is
        installed; None for an installed wheel, a copy without ``.git`` or a
        machine without git (the source hash of :func:`code_version` still
        identifies the code).
    """
    import subprocess
    from pathlib import Path

    import simtrial

    root = Path(simtrial.__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--", ".")
    return commit.strip(), bool(status and status.strip())


def environment() -> dict[str, Any]:
    """What a result was computed with: Python, numpy, numba and scipy versions, the platform, the code.

    Returns
    -------
    dict
        ``python``, ``numpy``, ``numba``, ``scipy`` (version strings),
        ``platform`` (``platform.platform()``), ``machine``, ``code_version``
        (:func:`code_version`), ``git_commit`` and ``git_dirty`` (None when
        the source is not a git checkout; see :func:`git_commit`).
    """
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:  # pragma: no cover - a dependency always is
            return None

    git = git_commit()
    return {
        "python": platform.python_version(),
        **{name: installed(name) for name in _DEPENDENCIES},
        "platform": platform.platform(),
        "machine": platform.machine(),
        "code_version": code_version(),
        "git_commit": None if git is None else git[0],
        "git_dirty": None if git is None else git[1],
    }
