"""The ``sweep:`` block of a config (parameter grids)."""

from __future__ import annotations

from simtrial.model._base import StrictModel

__all__ = ["SweepConfig"]


class SweepConfig(StrictModel):
    """Parameter sweep specification."""
