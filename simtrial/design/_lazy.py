"""Deferred imports, so ``simtrial run`` does not pay for scipy at start-up."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stand-in for a module that is imported on first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


stats = LazyModule("scipy.stats")
optimize = LazyModule("scipy.optimize")
special = LazyModule("scipy.special")
