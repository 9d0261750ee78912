"""Printing rich tables whole, in a terminal of any width or into a pipe."""

from __future__ import annotations

from typing import Any

__all__ = ["natural_width", "print_table"]


def natural_width(con: Any, renderable: Any) -> int:
    """Columns ``renderable`` takes when nothing limits its width."""
    from rich.measure import Measurement

    return Measurement.get(con, con.options.update_width(10_000), renderable).maximum


def print_table(con: Any, table: Any) -> None:
    """Print a rich table whole, whatever the output.

    To a file or pipe the console is widened to the table's natural width
    (no line is cut). In a terminal narrower than the table, cells wrap
    inside their columns instead of being cut with an ellipsis or wrapped
    by the terminal across the box drawing.
    """
    natural = natural_width(con, table)
    if con.is_terminal:
        if natural > con.width:
            for column in table.columns:
                column.no_wrap = False
                column.overflow = "fold"
    else:
        con.width = max(con.width, natural)
    con.print(table)
