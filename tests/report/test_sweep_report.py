"""The report of a finished sweep: every figure and table, numbers tied to the sweep table, offline HTML."""

from __future__ import annotations

import base64
import re
import shutil

import numpy as np
import pytest
import yaml

from simtrial.errors import ConfigError
from simtrial.report import build_sweep_report, is_sweep_dir, load_finished_sweep, write_sweep_report
from simtrial.report.sweep import reference_scenarios, sweep_figures, sweep_metrics_table

# Browser helpers of the run report's test (same directory, so importable by module name).
from test_write_report import _browser_check, _chromium

SWEEP_SEED = 20261123  # explicit: module-scoped fixtures cannot use the `seed` fixture
P_ALT = [0.1, 0.4]
RATES = [1, 3]
# Two axes, product: line plots against each numeric axis and two heatmaps.
EXPECTED_FIGURES = [
    "p_promising_vs_scenarios_alt_p_response",
    "duration_mean_months_vs_scenarios_alt_p_response",
    "p_promising_vs_enrollment_rates_0_per_month",
    "duration_mean_months_vs_enrollment_rates_0_per_month",
    "heatmap_p_promising",
    "heatmap_duration_mean_months",
]
EXPECTED_TABLES = ["axes", "cells"]

# Simon (1989) optimal design for p0 = 0.05, p1 = 0.25, alpha = 0.10, beta = 0.10 is searched per cell.
# No survival model and no toxicity in "alt", so that scenario reduces to the binomial design (exact values).
BASE = {
    "schema_version": 1,
    "name": "sweep report trial",
    "enrollment": {"rates": [{"per_month": 2.0}]},
    "treatment": {
        "cycle_length": "28 days",
        "max_cycles": 3,
        "drugs": [{"name": "lenalidomide", "dose": 25, "days": "1-21", "reductions": [15, 10]}],
    },
    "design": {"p0": 0.05, "p1": 0.25, "alpha": 0.10, "beta": 0.10, "kind": "optimal"},
    "scenarios": [
        {"name": "null", "p_response": 0.05, "p_tox": 0.1},
        {"name": "alt", "p_response": 0.25},
    ],
    "simulation": {"n_sim": 300, "seed": 5},
    "sweep": {
        "mode": "product",
        "seed": SWEEP_SEED,
        "axes": {"scenarios.alt.p_response": P_ALT, "enrollment.rates.0.per_month": RATES},
    },
}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A small real sweep, run once for the module."""
    from simtrial.sweep import load_sweep, run_sweep

    root = tmp_path_factory.mktemp("sweep")
    spec_path = root / "trial.yaml"
    spec_path.write_text(yaml.safe_dump(BASE, sort_keys=False), encoding="utf-8")
    # An absolute source path: the report finds the config from any working directory.
    run_sweep(load_sweep(spec_path), root / "out")
    return root / "out"


@pytest.fixture(scope="module")
def finished(sweep_dir):
    return load_finished_sweep(sweep_dir)


@pytest.fixture(scope="module")
def doc(finished):
    return build_sweep_report(finished)


@pytest.fixture(scope="module")
def written(finished, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, write_sweep_report(finished, out)


def test_loads_the_finished_sweep_with_its_config(finished, sweep_dir):
    assert is_sweep_dir(sweep_dir)
    assert finished.spec is not None and finished.spec_note == ""
    assert finished.axes == ("scenarios.alt.p_response", "enrollment.rates.0.per_month")
    assert finished.n_sim == (300,)
    assert finished.outcome.n_cells == len(P_ALT) * len(RATES)
    assert finished.scenarios == ("null", "alt")
    assert reference_scenarios(finished) == ("alt", "null")


def test_writes_every_figure_and_table(written):
    out, paths = written
    assert paths["html"] == out / "report.html" and paths["markdown"] == out / "report.md"
    for name in EXPECTED_FIGURES:
        assert paths[f"{name}.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert paths[f"{name}.pdf"].read_bytes()[:5] == b"%PDF-"
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.startswith("# sweep report trial: parameter sweep")
    assert md.index("## What was swept") < md.index("## Statistical considerations") < md.index("## Figures")
    assert re.findall(r"!\[[^\]]*\]\((figures/[a-z0-9_]+\.png)\)", md) == [f"figures/{n}.png" for n in EXPECTED_FIGURES]
    assert md.count("**Table ") == len(EXPECTED_TABLES)
    assert not list(out.rglob("*.tmp"))


def test_html_is_self_contained_like_the_run_report(written):
    _, paths = written
    html = paths["html"].read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html), "every resource must be inline"
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == len(EXPECTED_FIGURES)
    for name, png in zip(EXPECTED_FIGURES, uris):
        assert base64.b64decode(png) == paths[f"{name}.png"].read_bytes()
    for t in EXPECTED_TABLES:
        assert f'<table id="table-{t}">' in html


def test_axes_table_lists_what_was_swept(finished, doc):
    axes = next(t for t in doc.tables if t.name == "axes").frame
    assert axes["Axis (config path)"].tolist() == list(finished.axes)
    assert axes["Values"].tolist() == ["0.1, 0.4", "1, 3"]
    text = " ".join(b.text for b in doc.blocks if hasattr(b, "text"))
    assert f"sweep seed {SWEEP_SEED}" in text and "300 simulated trials per scenario in each cell" in text
    assert "every combination" in text and "0/9, 2/24" in text  # the searched optimal design


def test_metrics_table_shows_each_cell_and_scenario_with_its_se(finished):
    df = sweep_metrics_table(finished)
    t = finished.table
    assert len(df) == finished.outcome.n_cells * 2
    for row in df.itertuples(index=False):
        cells = dict(zip(df.columns, row))
        same = [t[a].map(lambda v: f"{v:g}") == cells[a] for a in finished.axes]
        match = t[(t["metric"] == "p_promising") & (t["scenario"] == cells["Scenario"]) & same[0] & same[1]]
        assert len(match) == 1, cells
        value, se = float(match["value"].iloc[0]), float(match["se"].iloc[0])
        assert cells["P(promising)"] == f"{value:.3f} ({se:.4f})"
        if cells["Scenario"] == "alt":
            # The exact power of the searched design at the cell's true response rate.
            from simtrial.design import SimonDesign

            exact = float(SimonDesign(0, 9, 2, 24).p_reject(float(cells["scenarios.alt.p_response"])))
            assert cells["P(promising) exact"] == f"{exact:.4f}"


def test_heatmap_cell_values_equal_the_table(finished):
    import matplotlib.pyplot as plt

    fig = next(f for f in sweep_figures(finished) if f.name == "heatmap_p_promising")
    _, ax = plt.subplots()
    fig.draw(ax)
    image = np.ma.getdata(ax.images[0].get_array())
    xs = [float(t.get_text()) for t in ax.get_xticklabels()]
    ys = [float(t.get_text()) for t in ax.get_yticklabels()]
    assert xs == P_ALT and ys == RATES
    table = sweep_metrics_table(finished)
    alt = table[table["Scenario"] == "alt"]
    for (r, c), v in np.ndenumerate(image):
        x_axis, y_axis = finished.axes
        row = alt[(alt[x_axis] == f"{xs[c]:g}") & (alt[y_axis] == f"{ys[r]:g}")]
        assert row["P(promising)"].iloc[0].split(" ")[0] == f"{v:.3f}"
        t = finished.table
        raw = t[(t["metric"] == "p_promising") & (t["scenario"] == "alt")
                & (t["scenarios.alt.p_response"] == xs[c]) & (t["enrollment.rates.0.per_month"] == ys[r])]
        assert v == float(raw["value"].iloc[0])  # the same number, not a re-estimate
    # The annotation written in each cell is that value too.
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(f"{v:.3f}" for v in image.ravel())


def test_statistical_text_follows_the_table(finished, doc):
    paras = {b.title: b.text for b in doc.blocks if getattr(b, "title", "")}
    t = finished.table
    alt = t[(t["metric"] == "p_promising") & (t["scenario"] == "alt")]
    lo, hi = alt.loc[alt["value"].idxmin()], alt.loc[alt["value"].idxmax()]
    assert f"lowest, {lo['value']:.3f} (SE {lo['se']:.4f})" in paras["Power"]
    assert f"highest, {hi['value']:.3f} (SE {hi['se']:.4f})" in paras["Power"]
    # Tripling the accrual rate shortens the trial far beyond Monte Carlo error.
    assert "As the accrual rate goes from 1 to 3, the mean duration (months) decreases:" in paras["Expected duration"]
    null = t[(t["metric"] == "p_promising") & (t["scenario"] == "null")]
    assert f"ranges from {null['value'].min():.3f} to {null['value'].max():.3f}" in paras["Type I error"]
    # Every exact value in the table is checked against its simulated value within 4 SE.
    ex = t[np.isfinite(t["exact"])]
    # A probability is judged with the SE its exact value implies when that is larger (an event seen in no
    # replicate has an estimated SE of 0).
    from simtrial.engine.outcomes import is_probability

    is_p = ex["metric"].map(is_probability)
    binom_se = np.sqrt((ex["exact"] * (1 - ex["exact"])).where(is_p, 0.0) / 300)
    se = np.where(is_p, np.maximum(ex["se"], binom_se), ex["se"])
    z = np.abs(ex["value"] - ex["exact"]) / np.where(se > 0, se, np.nan)
    assert (np.nan_to_num(z) <= 4).all()
    assert f"All {len(ex)} simulated quantities that have an exact binomial counterpart" in paras["Monte Carlo error"]


def test_unfinished_sweep_is_refused_with_resume_hint(sweep_dir, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(sweep_dir, partial)
    (partial / "sweep.parquet").unlink()
    next((partial / "cells").glob("*.parquet")).unlink()
    with pytest.raises(ConfigError, match=r"unfinished sweep \(3 of 4 cells done\).*--resume"):
        load_finished_sweep(partial)


def test_missing_config_is_said_not_fatal(sweep_dir, tmp_path):
    import json

    moved = tmp_path / "moved"
    shutil.copytree(sweep_dir, moved)
    manifest = json.loads((moved / "manifest.json").read_text())
    manifest["source"] = str(tmp_path / "gone.yaml")
    (moved / "manifest.json").write_text(json.dumps(manifest))
    sw = load_finished_sweep(moved)
    assert sw.spec is None and "was not found" in sw.spec_note
    doc = build_sweep_report(sw)
    assert [t.name for t in doc.tables] == EXPECTED_TABLES
    assert "Design r1/n1, r/n" not in doc.tables[1].frame.columns


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (Debian: apt-get install chromium)")
def test_html_renders_offline_in_headless_chromium(written, tmp_path):
    _, paths = written
    seen = _browser_check(paths["html"].read_text(encoding="utf-8"), tmp_path)
    assert seen["errors"] == []
    assert seen["broken"] == 0
    assert seen["images"] == [f"figure-{n}" for n in EXPECTED_FIGURES]
    assert seen["tables"] == [f"table-{t}" for t in EXPECTED_TABLES]
