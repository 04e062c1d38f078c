"""The report as a coach opens it: from disk, offline, in a real headless Chromium.

Needs Debian's /usr/bin/chromium (driven by Playwright's Python package; no browser download).
Writes test-artifacts/report.png (git-ignored) to look at.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from chromium import block_network, needs_chromium
from formlab.analysis import analyze
from formlab.report import write_report
from formlab.simulate import Phase, Runner, SimParams, simulate

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = needs_chromium


def _session(with_gyro: bool = True, seed: int = 1, contact_ms: float = 248.0):
    runner = Runner(cadence_spm=170.0, contact_ms=contact_ms, contact_diff_ms=8.0,
                    drop_left_deg=5.0, drop_right_deg=6.5, speed_mps=3.2)
    tired = dataclasses.replace(runner, cadence_spm=166.0, contact_ms=contact_ms + 8.0)
    params = SimParams(phases=[Phase(8.0, "standing"), Phase(240.0, "running", runner, tired)],
                       rate_hz=100.0, with_gyro=with_gyro,
                       metadata={"athlete": "Sam <b>Test</b>", "notes": "<script>x()</script>"})
    return analyze(simulate(params, seed=seed).recording)


@pytest.fixture(scope="module")
def session():
    return _session()


def open_offline(browser, path: Path, screenshot: Path | None = None) -> dict:
    """Open ``path`` with networking off; return figure status, errors and attempted fetches."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    fetched = block_network(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    figures = page.evaluate(
        "[...document.querySelectorAll('.plotly-graph-div')].map(d => ({id: d.id,"
        " svg: d.querySelectorAll('svg.main-svg').length,"
        " traces: d.querySelectorAll('g.trace, g.boxlayer path').length}))")
    text = page.inner_text("body")
    alerts = page.evaluate("typeof window.x")
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    context.close()
    return {"figures": figures, "errors": errors, "fetched": fetched, "text": text,
            "alerts": alerts}


def test_report_renders_offline_without_errors(browser, session, tmp_path):
    path = write_report([session], tmp_path / "report.html")
    result = open_offline(browser, path, ARTIFACTS / "report.png")
    groups = list(dict.fromkeys(f["id"].rsplit("-", 1)[0] for f in result["figures"]))
    assert groups == ["s1-timeline", "s1-leftright", "s1-cycle"]
    for fig in result["figures"]:
        assert fig["svg"] >= 1 and fig["traces"] >= 1, fig
    assert result["errors"] == []
    assert result["fetched"] == []
    # metadata shown as text, never run
    assert "Sam <b>Test</b>" in result["text"] and "<script>x()</script>" in result["text"]
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_report_without_gyroscope_renders_placeholders(browser, tmp_path):
    path = write_report([_session(with_gyro=False)], tmp_path / "nogyro.html")
    result = open_offline(browser, path, ARTIFACTS / "report-nogyro.png")
    assert {f["id"].rsplit("-", 1)[0] for f in result["figures"]} == {"s1-timeline"}
    assert all(f["svg"] >= 1 for f in result["figures"])
    assert "Left against right: not measurable from this recording" in result["text"]
    assert result["errors"] == [] and result["fetched"] == []


@pytest.mark.slow
def test_comparison_report_renders(browser, session, tmp_path):
    path = write_report([session, _session(seed=2, contact_ms=262.0)], tmp_path / "compare.html")
    result = open_offline(browser, path, ARTIFACTS / "report-compare.png")
    groups = list(dict.fromkeys(f["id"].rsplit("-", 1)[0] for f in result["figures"]))
    assert groups == ["compare-run-charts"] and all(f["svg"] >= 1 for f in result["figures"])
    assert "matched treadmill speed (3.20 m/s)" in result["text"]
    assert result["errors"] == [] and result["fetched"] == []
