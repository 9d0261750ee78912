"""The report files: tables from the result, every figure as PNG and PDF, HTML that needs no network."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess

import pytest

from simtrial.design import simon_search
from simtrial.report import build_report, conduct_table, designs_compared_table, oc_table, write_report
from simtrial.report.tables import fmt_estimate

EXPECTED_FIGURES = ["oc", "pet_en", "designs", "accrual", "duration", "toxicity", "rdi", "survival"]
EXPECTED_TABLES = ["design", "designs", "oc", "conduct"]


@pytest.fixture(scope="module")
def written(len_dex_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return out, write_report(len_dex_result, out)


def test_oc_table_shows_each_estimate_with_its_se(len_dex_result):
    df = oc_table(len_dex_result)
    assert df["Scenario"].tolist() == [s.name for s in len_dex_result.scenarios]
    for row, s in zip(df.itertuples(index=False), len_dex_result.scenarios):
        m = s.metrics["p_promising"]
        assert row[df.columns.get_loc("P(promising)")] == f"{m.value:.3f} ({m.se:.4f})"
    conduct = conduct_table(len_dex_result)
    med = len_dex_result.scenarios[0].metrics["duration_median_months"]
    assert conduct.loc[0, "Median duration (months)"] == fmt_estimate(med, 1)


def test_designs_table_lists_minimax_admissible_optimal():
    search = simon_search(0.1, 0.3, 0.05, 0.2)
    df = designs_compared_table(search)
    assert df["Design"].tolist() == ["minimax", "admissible", "admissible", "optimal"]
    # Simon (1989) and Jung et al. (2004) for p0 = 0.1, p1 = 0.3, alpha 0.05, beta 0.2.
    assert df["r1/n1"].tolist() == ["1/15", "1/12", "1/11", "1/10"]
    assert df["r/n"].tolist() == ["5/25", "5/26", "5/27", "5/29"]
    assert df.loc[3, "E(N | p0)"] == f"{search.optimal.en0:.2f}" == "15.01"


def test_write_report_writes_every_file(written, len_dex_result):
    out, paths = written
    assert paths["html"] == out / "report.html" and paths["markdown"] == out / "report.md"
    for name in EXPECTED_FIGURES:
        assert paths[f"{name}.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert paths[f"{name}.pdf"].read_bytes()[:5] == b"%PDF-"
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.startswith("# len_dex: statistical design")
    assert md.index("## Statistical considerations") < md.index("## The design")
    assert re.findall(r"!\[[^\]]*\]\((figures/[a-z_]+\.png)\)", md) == [f"figures/{n}.png" for n in EXPECTED_FIGURES]
    assert md.count("**Table ") == len(EXPECTED_TABLES)
    # No temporary files are left behind by the atomic writes.
    assert not [p for p in out.rglob("*.tmp")]


def test_html_is_self_contained(written):
    _, paths = written
    html = paths["html"].read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", html), "every resource must be inline"
    assert "url(" not in html and "@import" not in html
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(uris) == len(EXPECTED_FIGURES)
    for (name, png) in zip(EXPECTED_FIGURES, uris):
        assert base64.b64decode(png) == paths[f"{name}.png"].read_bytes()
    for t in EXPECTED_TABLES:
        assert f'<table id="table-{t}">' in html


def test_build_report_without_a_search_has_no_designs_comparison(binomial_result):
    # binomial.yaml gives the design explicitly, without alpha and beta: nothing to search.
    doc = build_report(binomial_result)
    assert [t.name for t in doc.tables] == ["design", "oc", "conduct"]
    names = [f.name for f in doc.figures]
    assert "designs" not in names and "survival" not in names  # no survival model: every patient censored


# --- headless browser ------------------------------------------------------------

_CHECK = """<script>
window.__errors = [];
document.addEventListener('securitypolicyviolation', e => window.__errors.push('csp:' + e.blockedURI));
window.addEventListener('error', e => window.__errors.push('error:' + (e.message || (e.target && e.target.src))), true);
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-check', JSON.stringify({
    images: imgs.filter(i => i.complete && i.naturalWidth > 0).map(i => i.closest('figure').id),
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
    tables: [...document.querySelectorAll('table')].map(t => t.id),
    errors: window.__errors}));
});
</script>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser_check(html: str, tmp_path) -> dict:
    """Load ``html`` in headless Chromium with name resolution disabled; return what the page saw."""
    # Only the test copy may run a script: the CSP gains script-src for the checker.
    html = html.replace("style-src 'unsafe-inline'", "style-src 'unsafe-inline'; script-src 'unsafe-inline'", 1)
    html = html.replace("<title>", _CHECK + "<title>", 1)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    cmd = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000", "--dump-dom", page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r'<body data-check="([^"]*)"', proc.stdout)
    assert m, "the page did not finish loading"
    import html as html_mod

    return json.loads(html_mod.unescape(m.group(1)))


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (Debian: apt-get install chromium)")
def test_html_renders_offline_in_headless_chromium(written, tmp_path):
    _, paths = written
    seen = _browser_check(paths["html"].read_text(encoding="utf-8"), tmp_path)
    assert seen["errors"] == []
    assert seen["broken"] == 0
    assert seen["images"] == [f"figure-{n}" for n in EXPECTED_FIGURES]
    assert seen["tables"] == [f"table-{t}" for t in EXPECTED_TABLES]


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (Debian: apt-get install chromium)")
def test_browser_check_catches_an_external_resource(written, tmp_path):
    # The check itself must fail on a report that reaches out to the network.
    _, paths = written
    html = paths["html"].read_text(encoding="utf-8")
    html = html.replace("</body>", '<figure id="figure-x"><img src="https://example.org/x.png"></figure></body>')
    seen = _browser_check(html, tmp_path)
    assert seen["broken"] == 1
    assert any("example.org" in e for e in seen["errors"])


def test_exact_columns_only_when_some_scenario_has_exact_values(len_dex_result, binomial_result):
    assert "P(promising) exact" not in oc_table(len_dex_result).columns
    df = oc_table(binomial_result)
    for row, s in zip(df.itertuples(index=False), binomial_result.scenarios):
        assert row[df.columns.get_loc("P(promising) exact")] == f"{s.metrics['p_promising'].exact:.4f}"
        assert row[df.columns.get_loc("PET exact")] == f"{s.metrics['pet'].exact:.4f}"
