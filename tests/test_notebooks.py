"""The worked notebook runs from top to bottom and is stored without outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture
def kernel_name(tmp_path, monkeypatch) -> str:
    """A kernel spec that runs this very interpreter, so a fresh venv needs no registration step."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "simtrial-test"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "simtrial test",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # The kernel picks its plotting backend as in Jupyter (inline), not the tests' off-screen Agg.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    return "simtrial-test"


def test_the_walkthrough_exists():
    assert NOTEBOOKS / "len_dex_walkthrough.ipynb" in NOTEBOOK_FILES


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_executes(path, kernel_name, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # Runs in notebooks/ like a user would; any exception (including the notebook's own asserts) fails here.
    NotebookClient(nb, timeout=300, kernel_name=kernel_name, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "In stage 1, 10 evaluable patients are treated." in text
    # Every cell that draws shows its figure (four used to show nothing under ipykernel).
    figure_cells = [c for c in nb.cells if c.cell_type == "code" and _draws(c.source)]
    assert len(figure_cells) >= 7
    blank = [c.source.splitlines()[0] for c in figure_cells
             if not any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert not blank, f"figure cells without an image: {blank}"


def _draws(source: str) -> bool:
    """True for a cell that calls a plot function or makes a pyplot figure (imports do not count)."""
    import re

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("import", "from")))
    return bool(re.search(r"\bplot_\w+\(|\bplt\.(subplots|figure)\(", code))


def test_figure_cells_are_recognised():
    assert _draws("fig, axes = plt.subplots(1, 2)\nplot_oc(result, ax=axes[0]);")
    assert _draws("plot_designs(search);")
    assert not _draws("from simtrial.plots import (plot_oc,\n    plot_rdi)\nx = 1")
