"""Where numba caches the compiled kernels: one folder per version of the engine's source.

numba checks a cached kernel against the source file that defines it, but
every kernel here inlines functions from the other engine modules: after a
change to one of those alone (a ``git pull`` into an editable install) numba
would load a kernel compiled from the old code. The cache therefore lives in
a folder named after a hash of all the engine's sources and numba's version:
new code, new folder, fresh compilation. ``NUMBA_CACHE_DIR``, when set, is
used as given.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["configure", "cache_root"]


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/simtrial/numba`` (``~/.cache/simtrial/numba`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "simtrial" / "numba"


def configure() -> None:
    """Point numba's cache at this engine source's folder (before any kernel is decorated)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    import numba

    here = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=8)
    h.update(numba.__version__.encode())
    for path in sorted(here.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    numba.config.CACHE_DIR = str(cache_root() / h.hexdigest())
