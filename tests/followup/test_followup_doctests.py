"""The doctest examples of the exact follow-up functions run and hold."""

from __future__ import annotations

import doctest

import pytest

import simtrial.followup.assurance
import simtrial.followup.closed


@pytest.mark.parametrize("module", [simtrial.followup.closed, simtrial.followup.assurance])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
