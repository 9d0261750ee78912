"""The top-level package re-exports the public API, lazily."""

from __future__ import annotations

import subprocess
import sys

import simtrial


def test_every_export_resolves_and_is_documented():
    for name in simtrial.__all__:
        obj = getattr(simtrial, name)
        if name != "__version__":
            assert obj.__doc__, f"{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error():
    try:
        simtrial.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_is_light():
    # The command line imports simtrial first; heavy libraries must wait until needed.
    code = "import sys, simtrial; print(sorted(m for m in ('numba', 'scipy', 'matplotlib', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
