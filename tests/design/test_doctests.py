"""Run the doctest examples of the exact functions."""

from __future__ import annotations

import doctest

import pytest

import simtrial.design._boundaries
import simtrial.design.bayesian
import simtrial.design.bop2
import simtrial.design.curtail
import simtrial.design.inference
import simtrial.design.interim
import simtrial.design.joint
import simtrial.design.multistage
import simtrial.design.predictive
import simtrial.design.search
import simtrial.design.simon
import simtrial.design.tables
import simtrial.design.thall_simon


@pytest.mark.parametrize("module", [simtrial.design.simon, simtrial.design.search, simtrial.design.inference, simtrial.design.tables,
                                    simtrial.design.bayesian, simtrial.design.bop2, simtrial.design.predictive,
                                    simtrial.design.thall_simon, simtrial.design._boundaries,
                                    simtrial.design.interim, simtrial.design.joint, simtrial.design.multistage,
                                    simtrial.design.curtail])
def test_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
