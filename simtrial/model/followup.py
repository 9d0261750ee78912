"""The ``followup:`` block of a config (sizing the next trial)."""

from __future__ import annotations

from simtrial.model._base import StrictModel

__all__ = ["FollowupConfig"]


class FollowupConfig(StrictModel):
    """Follow-up trial sizing specification."""
