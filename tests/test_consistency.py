"""One number per metric: every headline number is identical, at its displayed decimals, in the
terminal summary, SUMMARY.json, the HTML report (read from the DOM Chromium renders), the
comparison table and the live dashboard, for the bundled session, the real sacral clip and a
simulated asymmetric runner.

The live dashboard is given the same samples' steps as its final window (its numbers come from
``formlab.live.window_metrics``, the function the dashboard calls on every refresh)."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path

import pytest
from chromium import CHROMIUM
from rich.console import Console

from formlab.analysis import analyze
from formlab.live import LIVE_ROWS, DashboardState, render, window_metrics
from formlab.registry import METRICS, SIDES, headline, side_value
from formlab.report import write_report
from formlab.report.compare import compare
from formlab.report.tiles import TILE_KEYS
from formlab.summary import HEADLINE_KEYS
from formlab.summary_view import TERMINAL_ROWS, print_summary

sys.path.insert(0, str(Path(__file__).resolve().parent / "snapshots"))
from sessions import SESSIONS  # noqa: E402

NUMBER = re.compile(r"[−+-]?\d+(?:\.\d+)?|—")


@pytest.fixture(scope="module", params=sorted(SESSIONS))
def session(request):
    return request.param, analyze(SESSIONS[request.param]())


def shown(analysis, key: str) -> str:
    """The headline of ``key`` as SUMMARY.json gives it, at the registry's display decimals."""
    return METRICS[key].fmt(headline(analysis.summary["metrics"], key))


def first_number(text: str) -> str:
    found = NUMBER.search(text)
    return found.group(0).replace("−", "-") if found else "—"


def table_rows(text: str) -> dict[str, list[str]]:
    """Cells of each row of a rich table printed as text, by its first cell."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) >= 2 and cells[0]:
            rows[cells[0]] = cells[1:]
    return rows


def terminal_rows(analysis) -> dict[str, list[str]]:
    console = Console(file=io.StringIO(), record=True, width=250)
    print_summary(analysis, console=console)
    return table_rows(console.export_text())


def live_rows(analysis) -> dict[str, list[str]]:
    steps = analysis.steps[analysis.steps["valid"]]
    console = Console(file=io.StringIO(), record=True, width=250)
    console.print(render(DashboardState(metrics=window_metrics(steps))))
    return table_rows(console.export_text())


def test_terminal_shows_the_summary_json_numbers(session):
    _, a = session
    rows = terminal_rows(a)
    for key in TERMINAL_ROWS:
        label = METRICS[key].label
        assert first_number(rows[label][0]) == shown(a, key), (key, rows[label])
        if METRICS[key].per_side:
            expected = [METRICS[key].fmt(side_value(a.summary["metrics"], key, s)) for s in SIDES]
            if "—" in expected:
                assert "not measurable" in rows[label][1], (key, rows[label])
            else:
                assert NUMBER.findall(rows[label][1])[:2] == expected, (key, rows[label])


def test_live_dashboard_final_window_shows_the_same_numbers(session):
    _, a = session
    terminal, live = terminal_rows(a), live_rows(a)
    for key in LIVE_ROWS:
        label = METRICS[key].label
        assert first_number(live[label][0]) == shown(a, key), (key, live[label])
        assert live[label][1] == terminal[label][1], (key, live[label], terminal[label])


def test_comparison_table_gives_each_session_its_summary_numbers(session):
    _, a = session
    rows = {r.metric.key: r for r in compare(a, a).rows}
    for key in HEADLINE_KEYS:
        if key in rows:
            assert METRICS[key].fmt(rows[key].a) == shown(a, key), key
            assert METRICS[key].fmt(rows[key].b) == shown(a, key), key
        else:
            assert headline(a.summary["metrics"], key) is None or \
                a.summary["running"]["steps"] < 10, key


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"Debian chromium is not installed at {CHROMIUM}")
def test_html_report_dom_shows_the_same_numbers(session, tmp_path, browser):
    name, a = session
    single = write_report([a], tmp_path / f"{name}.html")
    path = write_report([a, a], tmp_path / f"{name}-compare.html")
    page = browser.new_page()
    page.goto(single.resolve().as_uri())
    tiles = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#s1-glance .tile')].map(t => "
        "[t.dataset.metric, t.querySelector('.value').childNodes[0].textContent]))")
    page.goto(path.resolve().as_uri())
    comparison = page.evaluate(
        "[...document.querySelectorAll('#compare tbody tr')].map(r => "
        "[...r.querySelectorAll('td')].map(c => c.innerText))")
    page.close()
    for key in TILE_KEYS:
        text = tiles[key]
        expected = shown(a, key)
        assert (first_number(text) if expected != "—" else "—" if "not measurable" in text
                else text) == expected, (key, text)
    by_label = {row[0]: row for row in comparison}
    for key in HEADLINE_KEYS:
        m = METRICS[key]
        head = f"{m.label} ({m.unit})" if m.unit else m.label
        if head in by_label:
            assert by_label[head][1] == shown(a, key) == by_label[head][2], (key, by_label[head])


def test_every_output_says_first_that_the_checks_could_not_run(tmp_path):
    """The real sacral clip holds 12 running steps: terminal, report and dashboard say so before
    anything else about findings, and none says nothing was flagged."""
    a = analyze(SESSIONS["shimmer_sacrum"]())
    said = "9 of 9 guidance checks could not run: 12 running steps, they need 30."
    console = Console(file=io.StringIO(), record=True, width=250)
    print_summary(a, console=console)
    terminal = console.export_text()
    assert said in terminal and "Findings" not in terminal
    html = write_report([a], tmp_path / "clip.html").read_text(encoding="utf-8")
    findings = html.split('id="s1-findings"')[1].split("</section>")[0]
    assert findings.index(said) < findings.index("not a medical diagnosis")
    live = Console(file=io.StringIO(), record=True, width=250)
    from formlab.rules import status_lines
    live.print(render(DashboardState(status=status_lines(a.summary))))
    assert said in live.export_text()
    for text in (terminal, findings, live.export_text()):
        assert "nothing flagged" not in text.lower() and "no guidance rule flagged" not in text.lower()
