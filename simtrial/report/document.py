"""A report as a list of blocks, rendered to self-contained HTML, to Markdown or to one PDF.

Keeping one structure for every format guarantees that the HTML, the
Markdown and the PDF say the same thing. Text is plain Unicode (no markup inside
paragraphs), so it can be pasted into a protocol as it stands.
"""

from __future__ import annotations

import base64
import functools
import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Heading", "Paragraph", "Table", "Figure", "Document", "render_html", "render_markdown", "render_pdf"]


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


# ---------------------------------------------------------------------------
# PDF: pages laid out with matplotlib (no browser, no system package)
# ---------------------------------------------------------------------------

_PAGE = (8.27, 11.69)  # A4 portrait, inches
_MARGIN = 0.85  # leaves 6.57 in of text width, the width the figures are drawn at
_TEXT_PT = 10.0
_HEADING_PT = {1: 16.0, 2: 13.0, 3: 11.0}
_LEADING = 1.35  # line height / font size
_TABLE_PT = (8.0, 5.5)  # largest and smallest table font; a table too wide at the first is set smaller


class _PdfLayout:
    """Blocks flowed top to bottom onto A4 pages of a ``PdfPages`` file, a new page when one is full."""

    def __init__(self, pdf: Any, title: str) -> None:
        self.pdf = pdf
        self.title = title
        self.width = _PAGE[0] - 2 * _MARGIN
        self.page = 0
        self.fig: Any = None
        self.y = 0.0  # inches below the top margin

    # -- pages --------------------------------------------------------------
    def _new_page(self) -> None:
        from matplotlib.figure import Figure as MplFigure

        self._finish_page()
        self.page += 1
        self.fig = MplFigure(figsize=_PAGE)
        self.y = 0.0

    def _finish_page(self) -> None:
        if self.fig is None:
            return
        footer = f"{self.title} \u2014 page {self.page}"
        self._text(footer, _MARGIN, _PAGE[1] - _MARGIN / 2, 8.0, color="#555555")
        self.pdf.savefig(self.fig)
        self.fig = None

    def close(self) -> None:
        self._finish_page()

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        if self.fig is None or (self.y > 0 and self.y + height > _PAGE[1] - 2 * _MARGIN):
            self._new_page()

    # -- drawing --------------------------------------------------------------
    def _text(self, text: str, x: float, y_from_top: float, size: float, **kwargs: Any) -> None:
        """Draw one line with its top at ``y_from_top`` inches from the page's top edge."""
        self.fig.text(x / _PAGE[0], 1 - y_from_top / _PAGE[1], text, fontsize=size, va="top", ha="left",
                      family="DejaVu Sans", **kwargs)

    def lines(self, lines: list[str], size: float, *, indent: float = 0.0, **kwargs: Any) -> None:
        step = size * _LEADING / 72
        for line in lines:
            self.room(step)
            self._text(line, _MARGIN + indent, _MARGIN + self.y, size, **kwargs)
            self.y += step

    def gap(self, points: float) -> None:
        self.y += points / 72

    def heading(self, text: str, level: int) -> None:
        size = _HEADING_PT.get(level, _HEADING_PT[3])
        # Keep a heading with at least three lines of what follows.
        self.room(size * _LEADING / 72 + 3 * _TEXT_PT * _LEADING / 72)
        self.gap(size * 0.6 if self.y > 0 else 0)
        self.lines(_wrap(text, size, self.width, bold=True), size, weight="bold")
        self.gap(size * 0.3)

    def paragraph(self, text: str, title: str = "") -> None:
        if title:
            self.lines(_wrap(title + ".", _TEXT_PT, self.width, bold=True), _TEXT_PT, weight="bold")
        self.lines(_wrap(text, _TEXT_PT, self.width), _TEXT_PT)
        self.gap(_TEXT_PT * 0.6)

    def table(self, t: Table) -> None:
        df = t.frame
        header = [str(c) for c in df.columns]
        rows = [[str(v) for v in row] for row in df.itertuples(index=False)]
        size, widths = _table_font(header, rows, self.width)
        pad = size * 0.8 / 72
        step = size * _LEADING / 72
        self.room(3 * step + 2 * _TEXT_PT * _LEADING / 72)
        self.lines(_wrap(t.caption, _TEXT_PT - 1, self.width, bold=True), _TEXT_PT - 1, weight="bold")
        self.gap(2)

        def row_line(cells: list[str], **kwargs: Any) -> None:
            self.room(step)
            x = _MARGIN
            for i, (cell, w) in enumerate(zip(cells, widths)):
                # First column left-aligned, numbers right-aligned, as in the HTML.
                left = x if i == 0 else x + w - _width(cell, size, bold=kwargs.get("weight") == "bold") / 72
                self._text(cell, left, _MARGIN + self.y, size, **kwargs)
                x += w + pad
            self.y += step

        # Long column names wrap onto several header lines, bottom-aligned.
        wrapped = [_wrap(h, size, w, bold=True) for h, w in zip(header, widths)]
        depth = max(len(w) for w in wrapped)
        header_lines = [[w[k - depth + len(w)] if k >= depth - len(w) else "" for w in wrapped] for k in range(depth)]

        def header_rows() -> None:
            self.room(depth * step)
            for line in header_lines:
                row_line(line, weight="bold")

        header_rows()
        for cells in rows:
            if self.y + step > _PAGE[1] - 2 * _MARGIN:  # a table split across pages repeats its header
                self._new_page()
                header_rows()
            row_line(cells)
        if t.note:
            self.gap(2)
            self.lines(_wrap(t.note, _TEXT_PT - 2, self.width), _TEXT_PT - 2, style="italic")
        self.gap(_TEXT_PT * 0.8)

    def figure(self, f: Figure) -> None:
        import io as _io

        import matplotlib.image as mpimg

        image = mpimg.imread(_io.BytesIO(f.png), format="png")
        w = self.width
        h = w * image.shape[0] / image.shape[1]
        caption = _wrap(f.caption, _TEXT_PT - 1, self.width)
        self.room(h + len(caption) * (_TEXT_PT - 1) * _LEADING / 72 + 0.1)
        top = _MARGIN + self.y
        ax = self.fig.add_axes((_MARGIN / _PAGE[0], 1 - (top + h) / _PAGE[1], w / _PAGE[0], h / _PAGE[1]))
        # "none": the PDF embeds the PNG's own pixels (200 dpi) and the viewer scales them.
        ax.imshow(image, interpolation="none")
        ax.set_axis_off()
        self.y += h + 0.08
        self.lines(caption, _TEXT_PT - 1)
        self.gap(_TEXT_PT)


@functools.lru_cache(maxsize=2)
def _font(bold: bool) -> Any:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    return get_font(findfont(FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")))


@functools.lru_cache(maxsize=65536)
def _width(text: str, size: float, *, bold: bool = False) -> float:
    """Width of ``text`` set in DejaVu Sans at ``size`` points, in points (FreeType's layout, as the PDF draws it)."""
    font = _font(bold)
    font.set_size(size, 72)  # at 72 dpi a pixel is a point
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64  # 26.6 fixed point


def _wrap(text: str, size: float, width_in: float, *, bold: bool = False) -> list[str]:
    """Greedy word wrap of ``text`` to ``width_in`` inches, measured in the font it is set in."""
    limit = width_in * 72
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split():
            candidate = f"{line} {word}" if line else word
            if line and _width(candidate, size, bold=bold) > limit:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _table_font(header: list[str], rows: list[list[str]], width_in: float) -> tuple[float, list[float]]:
    """The largest table font (within _TABLE_PT) at which the columns fit, and the column widths in inches.

    A column is at least as wide as its widest cell and the longest word of
    its name; names wrap onto several lines where the page is too narrow.
    """
    big, small = _TABLE_PT
    size = big
    while True:
        widths = [
            max([_width(word, size, bold=True) for word in header[j].split()] + [_width(r[j], size) for r in rows])
            / 72
            for j in range(len(header))
        ]
        total = sum(widths) + (len(widths) - 1) * size * 0.8 / 72
        if total <= width_in or size <= small:
            break
        # Widths grow in proportion to the size, up to rounding: shrink a little past the proportional size,
        # so that the loop ends rather than creep towards it in ever smaller steps.
        size = max(small, size * width_in / total * 0.995)
    # Room left over lets names wrap less: unwrap the names that need the least extra width first.
    spare = width_in - total
    natural = [max(widths[j], _width(header[j], size, bold=True) / 72) for j in range(len(header))]
    for j in sorted(range(len(header)), key=lambda j: natural[j] - widths[j]):
        extra = min(spare, natural[j] - widths[j])
        if extra > 0:
            widths[j] += extra
            spare -= extra
    return size, widths


def render_pdf(doc: Document) -> bytes:
    """Render ``doc`` as one PDF: every heading, paragraph, table and figure, on A4 pages.

    Laid out with matplotlib alone, so no browser or system package is
    needed. Text is real text (TrueType fonts embedded: it can be searched
    and copied); figures are their 200 dpi PNG renderings, each with its
    caption. The creation date is left out, so the same report gives the
    same bytes.

    Parameters
    ----------
    doc : Document

    Returns
    -------
    bytes
        The PDF file.
    """
    import io as _io

    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    buf = _io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf, metadata={"Title": doc.title,
                                                                               "CreationDate": None}) as pdf:
        layout = _PdfLayout(pdf, doc.title)
        for b in doc.blocks:
            if isinstance(b, Heading):
                layout.heading(b.text, b.level)
            elif isinstance(b, Paragraph):
                layout.paragraph(b.text, b.title)
            elif isinstance(b, Table):
                layout.table(b)
            elif isinstance(b, Figure):
                layout.figure(b)
        layout.close()
    return buf.getvalue()
