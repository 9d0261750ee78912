"""The base class of every config model: frozen, strict about unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["StrictModel"]


class StrictModel(BaseModel):
    """Frozen pydantic model that rejects unknown keys (``extra="forbid"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
