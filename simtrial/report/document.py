"""A report as a list of blocks, rendered to self-contained HTML or to Markdown.

Keeping one structure for both formats guarantees that the HTML and the
Markdown say the same thing. Text is plain Unicode (no markup inside
paragraphs), so it can be pasted into a protocol as it stands.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Heading", "Paragraph", "Table", "Figure", "Document", "render_html", "render_markdown"]


@dataclass(frozen=True)
class Heading:
    """A section heading; ``level`` 1 is the title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text, optionally starting with a bold run-in title."""

    text: str
    title: str = ""


@dataclass(frozen=True)
class Table:
    """A table with a caption and an optional footnote.

    ``frame`` is a :class:`pandas.DataFrame` whose cells are already
    formatted as strings (formatting is a statistical decision, made once
    where the table is built).
    """

    name: str
    caption: str
    frame: Any
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure: PNG (screen, Markdown) and PDF (print) renderings with a caption."""

    name: str
    caption: str
    png: bytes = field(repr=False)
    pdf: bytes = field(repr=False)


Block = Heading | Paragraph | Table | Figure


@dataclass(frozen=True)
class Document:
    """An ordered list of blocks with a title."""

    title: str
    blocks: tuple[Block, ...]

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The figures, in order of appearance."""
        return tuple(b for b in self.blocks if isinstance(b, Figure))

    @property
    def tables(self) -> tuple[Table, ...]:
        """The tables, in order of appearance."""
        return tuple(b for b in self.blocks if isinstance(b, Table))


CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_CSS = """
body { font-family: "DejaVu Serif", Georgia, "Times New Roman", serif; font-size: 11pt;
       line-height: 1.45; max-width: 7.2in; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-size: 17pt; margin-bottom: 0.2em; }
h2 { font-size: 14pt; margin-top: 1.6em; border-bottom: 1px solid #999; }
h3 { font-size: 12pt; margin-top: 1.2em; }
p.meta { color: #444; font-size: 10pt; }
table { border-collapse: collapse; margin: 0.6em 0 0.3em 0; font-size: 9.5pt; }
caption { caption-side: top; text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border-top: 1px solid #bbb; border-bottom: 1px solid #bbb; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
p.note { font-size: 9pt; color: #333; margin-top: 0.2em; }
figure { margin: 1em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; max-width: 6.5in; height: auto; }
figcaption { font-size: 9.5pt; }
@media print { body { max-width: none; margin: 0; } h2 { page-break-after: avoid; } }
"""


def _html_table(t: Table) -> str:
    df = t.frame
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    note = f'<p class="note">{html.escape(t.note)}</p>' if t.note else ""
    return (
        f'<table id="table-{html.escape(t.name)}"><caption>{html.escape(t.caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"
    )


def render_html(doc: Document) -> str:
    """Render ``doc`` as one self-contained HTML page (figures as data: URIs, no external resources)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # The page needs nothing from outside: forbid every fetch but inline images and style.
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(doc.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    for b in doc.blocks:
        if isinstance(b, Heading):
            parts.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, Paragraph):
            title = f"<strong>{html.escape(b.title)}.</strong> " if b.title else ""
            parts.append(f"<p>{title}{html.escape(b.text)}</p>")
        elif isinstance(b, Table):
            parts.append(_html_table(b))
        elif isinstance(b, Figure):
            data = base64.b64encode(b.png).decode("ascii")
            parts.append(
                f'<figure id="figure-{html.escape(b.name)}"><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(b.caption)}"><figcaption>{html.escape(b.caption)}</figcaption></figure>'
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> str:
    df = t.frame
    lines = [f"**{t.caption}**", ""]
    lines.append("| " + " | ".join(_md_cell(c) for c in df.columns) + " |")
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(df.columns) - 1)) + "|")
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    if t.note:
        lines += ["", f"*{t.note}*"]
    return "\n".join(lines)


def render_markdown(doc: Document, figure_dir: str = "figures") -> str:
    """Render ``doc`` as Markdown; figures link to ``<figure_dir>/<name>.png``."""
    out: list[str] = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, Paragraph):
            out.append((f"**{b.title}.** " if b.title else "") + b.text)
        elif isinstance(b, Table):
            out.append(_md_table(b))
        elif isinstance(b, Figure):
            out.append(f"![{b.caption}]({figure_dir}/{b.name}.png)\n\n*{b.caption}*")
    return "\n\n".join(out) + "\n"
