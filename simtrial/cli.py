"""The ``simtrial`` command line: one thin command per verb.

A command body is load -> validate -> call -> write. User errors
(:class:`simtrial.errors.SimtrialError`) become one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Annotated, Any

import typer

from simtrial.errors import SimtrialError

class _App(typer.Typer):
    """A Typer app whose commands turn :class:`SimtrialError` into exit code 2.

    Wrapping at registration (rather than in :func:`main`) means the same
    behaviour holds under ``typer.testing.CliRunner``.
    """

    def command(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        register = super().command(*args, **kwargs)

        def decorator(func):
            @functools.wraps(func)
            def wrapper(*a: Any, **k: Any) -> Any:
                try:
                    return func(*a, **k)
                except SimtrialError as exc:
                    fail(str(exc))

            register(wrapper)
            return func

        return decorator


app = _App(
    name="simtrial",
    help="Design, simulate and justify Simon two-stage phase 2 oncology trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout instead of a table.")]


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (numpy scalars and arrays allowed)."""
    from simtrial.io import _json_default

    typer.echo(json.dumps(obj, indent=2, default=_json_default))


def console():
    """A rich console on stdout for human-readable tables."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def fail(message: str) -> None:
    """Abort with one line on stderr and exit code 2."""
    typer.echo(f"simtrial: error: {message}", err=True)
    raise typer.Exit(code=2)


# ---------------------------------------------------------------------------
# design / oc / infer  (exact two-stage toolkit)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# run / warmup  (patient-level simulation)
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# sweep
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# size  (follow-up trial)
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning user errors into exit 2."""
    try:
        app(args=argv, standalone_mode=True)
    except SimtrialError as exc:
        typer.echo(f"simtrial: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
