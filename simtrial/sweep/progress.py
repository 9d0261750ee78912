"""A progress bar over sweep cells with an estimate of the time left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["cell_progress"]


@contextmanager
def cell_progress(*, enabled: bool = True, console: Any = None) -> Iterator[Any]:
    """Context manager yielding a ``progress(finished, total)`` callback for :func:`run_sweep`.

    The bar starts at the cells already finished (on resume), so its
    time-left estimate reflects only the cells computed in this run. It is
    drawn on stderr, leaving stdout for tables and JSON, from the first call
    on: an error raised before then (``run_sweep`` checks its options and
    directory first) is printed alone, not after an empty bar.

    Parameters
    ----------
    enabled : bool
        False gives a callback that does nothing.
    console : rich.console.Console, optional
        Where to draw (default: stderr).
    """
    if not enabled:
        yield lambda finished, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cells"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    state: dict[str, Any] = {}

    def update(finished: int, total: int) -> None:
        if "task" not in state:
            bar.start()
            state["task"] = bar.add_task("sweep", total=total, completed=finished)
        else:
            bar.update(state["task"], completed=finished)

    try:
        yield update
    finally:
        if "task" in state:
            bar.stop()
