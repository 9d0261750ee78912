"""Which code produced a result: simtrial's version and a hash of its source."""

from __future__ import annotations

import functools

__all__ = ["code_version"]


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
