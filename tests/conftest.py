"""Shared fixtures. No test reseeds a global generator: seeds are passed explicitly."""

from __future__ import annotations

import os

import pytest

# Figures are drawn off-screen in tests.
os.environ.setdefault("MPLBACKEND", "Agg")

SEED = 20261123


@pytest.fixture(scope="session")
def seed() -> int:
    """The fixed seed every seeded test uses."""
    return SEED
