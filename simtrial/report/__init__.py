"""Protocol-ready report: "Statistical considerations", tables and figures.

:func:`write_report` writes a self-contained HTML file (figures embedded,
opens offline), the same report as Markdown with PNG figures, the whole
report as one PDF, and every figure as PDF for print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from simtrial.report.build import build_report, search_for
from simtrial.report.document import (
    Document,
    Figure,
    Heading,
    Paragraph,
    Table,
    render_html,
    render_markdown,
    render_pdf,
)
from simtrial.report.statistical import statistical_considerations
from simtrial.report.sweep import FinishedSweep, build_sweep_report, is_sweep_dir, load_finished_sweep
from simtrial.report.tables import conduct_table, design_table, designs_compared_table, oc_table

__all__ = [
    "write_report",
    "write_sweep_report",
    "build_sweep_report",
    "load_finished_sweep",
    "is_sweep_dir",
    "FinishedSweep",
    "build_report",
    "search_for",
    "render_html",
    "render_markdown",
    "render_pdf",
    "statistical_considerations",
    "design_table",
    "designs_compared_table",
    "oc_table",
    "conduct_table",
    "Document",
    "Heading",
    "Paragraph",
    "Table",
    "Figure",
]

FIGURE_DIR = "figures"


def write_report(result: Any, out_dir: str | os.PathLike[str], *, search: Any = None) -> dict[str, Path]:
    """Write the report of a simulation into ``out_dir``.

    Files: ``report.html`` (self-contained), ``report.md`` with
    ``figures/<name>.png``, ``report.pdf`` (the whole report in one file) and
    ``figures/<name>.pdf`` for print. Every file is written atomically.

    Parameters
    ----------
    result : SimulationResult
    out_dir : path-like
        Created if missing.
    search : SimonSearchResult, optional
        Designs to compare with (searched from the config when omitted).

    Returns
    -------
    dict of str to pathlib.Path
        ``"html"``, ``"markdown"``, ``"pdf"`` and ``"<figure>.png"`` / ``"<figure>.pdf"``.
    """
    return _write_document(build_report(result, search=search), out_dir)


def write_sweep_report(sweep: FinishedSweep, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the report of a finished sweep into ``out_dir``.

    The same files as :func:`write_report`: ``report.html`` (self-contained),
    ``report.md`` with ``figures/<name>.png``, ``report.pdf`` and
    ``figures/<name>.pdf``.

    Parameters
    ----------
    sweep : FinishedSweep
        From :func:`load_finished_sweep`.
    out_dir : path-like
        Created if missing.

    Returns
    -------
    dict of str to pathlib.Path
        ``"html"``, ``"markdown"``, ``"pdf"`` and ``"<figure>.png"`` / ``"<figure>.pdf"``.
    """
    return _write_document(build_sweep_report(sweep), out_dir)


def _write_document(doc: Document, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    from simtrial.io import write_bytes, write_text

    out = Path(out_dir)
    paths: dict[str, Path] = {}
    for fig in doc.figures:
        paths[f"{fig.name}.png"] = write_bytes(out / FIGURE_DIR / f"{fig.name}.png", fig.png)
        paths[f"{fig.name}.pdf"] = write_bytes(out / FIGURE_DIR / f"{fig.name}.pdf", fig.pdf)
    paths["markdown"] = write_text(out / "report.md", render_markdown(doc, FIGURE_DIR))
    paths["html"] = write_text(out / "report.html", render_html(doc))
    paths["pdf"] = write_bytes(out / "report.pdf", render_pdf(doc))
    return paths
