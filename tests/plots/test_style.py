"""The print style is applied around each plot function without undoing other settings."""

from __future__ import annotations

import matplotlib
import pytest

from simtrial.plots._style import rc_params, style_context, styled


@pytest.fixture
def interactive_off():
    was = matplotlib.is_interactive()
    matplotlib.interactive(False)
    yield
    matplotlib.interactive(was)


def test_a_switch_to_interactive_mode_inside_a_plot_survives_it(interactive_off):
    # In Jupyter the inline backend is picked when the first figure is made, inside the
    # first plot function, and turns interactive mode on. Restoring the whole rc on the way
    # out (matplotlib.rc_context) turned it off again, and later figures were never shown.
    @styled
    def draw_first_figure() -> None:
        matplotlib.interactive(True)
        assert matplotlib.rcParams["font.size"] == rc_params()["font.size"]

    draw_first_figure()
    assert matplotlib.is_interactive()


def test_the_style_is_undone_afterwards():
    before = {k: matplotlib.rcParams[k] for k in rc_params()}
    with matplotlib.rc_context({"font.size": 13.0}):
        with style_context():
            assert matplotlib.rcParams["font.size"] == rc_params()["font.size"]
        assert matplotlib.rcParams["font.size"] == 13.0
    with pytest.raises(RuntimeError):
        with style_context():
            raise RuntimeError("a plot that fails")
    assert {k: matplotlib.rcParams[k] for k in rc_params()} == before
