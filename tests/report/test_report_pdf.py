"""The whole report as one PDF: every heading, paragraph, table and figure (issue 16, section 6)."""

from __future__ import annotations

import re

import pytest

from simtrial.report import build_report, render_pdf, write_report

pypdf = pytest.importorskip("pypdf", reason="pypdf (the test extra) reads the PDF back")


def _words(text: str) -> str:
    """Text with whitespace and line breaks collapsed, for comparing wrapped text."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def written(len_dex_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return build_report(len_dex_result), write_report(len_dex_result, out)


def test_the_pdf_holds_the_text_tables_and_figures(written):
    from simtrial.report.document import Figure, Heading, Paragraph, Table

    doc, paths = written
    assert paths["pdf"].name == "report.pdf" and paths["pdf"].read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(paths["pdf"])
    # Each page ends with the footer "<title> - page N"; a paragraph may run across it.
    pages = [page.extract_text() for page in reader.pages]
    for i, page in enumerate(pages, 1):
        assert f"{doc.title} \u2014 page {i}" in page
    text = _words(" ".join(page.replace(f"{doc.title} \u2014 page {i}", "") for i, page in enumerate(pages, 1)))
    for block in doc.blocks:
        if isinstance(block, Heading | Paragraph):
            assert _words(block.text) in text, block.text[:60]
        elif isinstance(block, Table):
            assert _words(block.caption) in text
            assert all(str(v) in text for v in block.frame.iloc[:, 0])  # every row is there
        elif isinstance(block, Figure):
            assert _words(block.caption) in text
    # One embedded image per figure (matplotlib shares one resource dictionary between pages).
    images = {(img.name, img.image.size) for page in reader.pages for img in page.images}
    assert len(images) == len(doc.figures) >= 7
    sizes = sorted(img[1] for img in images)
    assert all(w >= 1200 for w, _ in sizes)  # the figures' own 200 dpi pixels, not a screen-resolution copy
    assert len(reader.pages) >= 4 and reader.metadata.title == doc.title


def test_the_pdf_is_the_same_for_the_same_report(written):
    doc, paths = written
    assert render_pdf(doc) == paths["pdf"].read_bytes()


def test_a_long_table_continues_on_the_next_page_with_its_header():
    import pandas as pd

    from simtrial.report.document import Document, Heading, Table

    frame = pd.DataFrame({"Cell": [f"cell {i:03d}" for i in range(150)], "P(promising)": ["0.500 (0.0050)"] * 150})
    doc = Document("long", (Heading("long", 1), Table("t", "Table 1. Many rows.", frame)))
    reader = pypdf.PdfReader(__import__("io").BytesIO(render_pdf(doc)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    assert all("P(promising)" in p for p in pages)
    assert re.findall(r"cell \d{3}", " ".join(pages)) == [f"cell {i:03d}" for i in range(150)]
