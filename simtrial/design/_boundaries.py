"""The boundary table of a design for the protocol: one row per look, and the rule in words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table

    from simtrial.design.families import FamilyDesign
    from simtrial.design.tables import DecisionTable


def boundary_rows(table: DecisionTable) -> list[tuple[str, str, str, str, str]]:
    """``(look, n, stop if responses <=, stop if responses >=, stop if toxicities >=)`` as text, ``-`` for none.

    At the last look the futility column holds the bound under which the
    drug is not declared promising.

    Examples
    --------
    >>> from simtrial.design.tables import DecisionTable
    >>> boundary_rows(DecisionTable((10, 29), (1, 5)))
    [('1', '10', '1', '-', '-'), ('2', '29', '5', '-', '-')]
    """
    tox = table.toxicity or (None,) * table.n_looks

    def show(v: int | None) -> str:
        return "-" if v is None or v < 0 else str(v)

    return [(str(k + 1), str(n), show(a), show(b), show(t))
            for k, (n, a, b, t) in enumerate(zip(table.looks, table.futility, table.efficacy, tox))]


def boundary_table(design: FamilyDesign) -> Table:
    """A rich table of the design's boundaries."""
    from rich import box
    from rich.table import Table

    tab = design.table
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Boundaries of the {design.kind} design ({tab})")
    for col in ("look", "n", "stop if responses <=", "stop if responses >=", "stop if toxicities >="):
        t.add_column(col, justify="right")
    for row in boundary_rows(tab):
        t.add_row(*row)
    return t


def print_boundaries(con: Any, design: FamilyDesign) -> None:
    """Print the boundary table of ``design`` and, below it, the rule in words a protocol can quote."""
    from simtrial._terminal import print_table

    print_table(con, boundary_table(design))
    for line in design.table.describe():
        con.print(line, soft_wrap=True)
