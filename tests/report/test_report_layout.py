"""The report as a coach sees it, in a real headless Chromium: desktop (1440 px) and phone (390 px,
device emulation), on paper (A4 PDF), and offline.

Needs Debian's /usr/bin/chromium, driven by Playwright's Python package (no browser download).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chromium import block_network, needs_chromium
from formlab.analysis import analyze
from formlab.recording import read_recording
from formlab.report import write_report

BUNDLED = Path(__file__).resolve().parents[2] / "firmware_recordings" / "simulated_treadmill_10min.csv"
DEVICES = {
    "desktop": dict(viewport={"width": 1440, "height": 900}),
    "phone": dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True),
}
PAPER_MM = {"A4": (210, 297), "Letter": (215.9, 279.4)}


def printable_px(paper: str) -> tuple[int, int]:
    """The printable area of a page in CSS px, with the report's 12 mm margins (page.py)."""
    w, h = PAPER_MM[paper]
    return round((w - 24) / 25.4 * 96), round((h - 24) / 25.4 * 96)

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def bundled():
    return analyze(read_recording(BUNDLED))


@pytest.fixture(scope="module")
def reports(bundled, tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    return {"single": write_report([bundled], folder / "single.html"),
            "comparison": write_report([bundled, bundled], folder / "comparison.html")}


def _open(browser, path: Path, device: str):
    context = browser.new_context(offline=True, **DEVICES[device])
    requested = block_network(context)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.plotly-graph-div').length === "
                           "document.querySelectorAll('.plotly-graph-div .main-svg').length / 2 || "
                           "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))")
    return context, page, requested


BOXES_JS = """sel => [...document.querySelectorAll(sel)].map(e => { const r = e.getBoundingClientRect();
  return [r.left, r.top, r.right, r.bottom, e.textContent.slice(0, 40)]; })"""


def _overlapping(boxes) -> list:
    hits = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5:
                hits.append((a[4], b[4]))
    return hits


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("report", ["single", "comparison"])
def test_no_horizontal_overflow_and_no_title_collisions(browser, reports, device, report):
    context, page, requested = _open(browser, reports[report], device)
    width, view = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= view, f"page {width} px wide in a {view} px viewport"
    titles = page.evaluate(BOXES_JS, "figcaption, h2, h3, .gtitle")
    assert _overlapping(titles) == []
    plots = page.evaluate(BOXES_JS, ".fig .plotly-graph-div")
    captions = page.evaluate(BOXES_JS, "figcaption")
    assert _overlapping(plots + captions) == []  # a chart never covers a title, nor another chart
    assert requested == []
    context.close()


@pytest.mark.parametrize("device", DEVICES)
def test_the_first_screen_shows_what_to_work_on(browser, reports, device):
    context, page, _ = _open(browser, reports["single"], device)
    top, view = page.evaluate("[document.querySelector('#s1-findings h2').getBoundingClientRect().bottom, "
                              "window.innerHeight]")
    assert top < view, "'What to work on' is below the first screen"
    first_card = page.evaluate("document.querySelector('#s1-findings .finding').getBoundingClientRect().top")
    assert first_card < view
    context.close()


def test_severity_reads_at_a_glance(browser, bundled, tmp_path):
    findings = [{"rule": r, "title": f"a {s} finding", "severity": s, "message": "m"}
                for r, s in (("a", "flag"), ("b", "watch"), ("c", "info"))]
    path = write_report([bundled], tmp_path / "sev.html", findings=findings)
    context, page, _ = _open(browser, path, "desktop")
    badges = page.evaluate("[...document.querySelectorAll('.finding .sev')].map(e => "
                           "[e.textContent.trim().toLowerCase(), getComputedStyle(e).backgroundColor])")
    colours = {text.split()[-1]: colour for text, colour in badges}
    assert {text.split()[0] for text, _ in badges} == {"▲▲", "▲", "●"}  # a shape as well as a word
    assert set(colours) >= {"flag", "watch", "info"}  # the word is there for grey print
    assert len({colours["flag"], colours["watch"], colours["info"]}) == 3

    def luma(colour: str) -> float:
        r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
        return 0.299 * r + 0.587 * g + 0.114 * b

    assert luma(colours["flag"]) < luma(colours["watch"]) < luma(colours["info"])  # flag darkest in grey
    context.close()


@pytest.mark.parametrize("paper", PAPER_MM)
def test_print_is_compact_and_never_splits_a_chart(browser, reports, paper):
    width_px, height_px = printable_px(paper)
    context, page, requested = _open(browser, reports["single"], "desktop")
    page.set_viewport_size({"width": width_px, "height": height_px})
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # what a print dialog does first
    figs = page.evaluate("[...document.querySelectorAll('figure.fig')].map(f => [f.getBoundingClientRect().height,"
                         " getComputedStyle(f).breakInside, f.getBoundingClientRect().right])")
    for height, break_inside, right in figs:
        assert break_inside == "avoid" and height < height_px  # each chart fits on one page whole
        assert right <= width_px + 1  # and in its column
    toolbar = page.evaluate("document.querySelectorAll('.modebar-container .modebar-btn').length")
    assert toolbar == 0
    pdf = page.pdf(format=paper, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 5, f"{pages} {paper} pages"
    assert requested == []
    context.close()


def test_what_to_work_on_shows_the_three_most_severe_first(bundled, tmp_path):
    findings = [{"rule": f"r{i}", "title": f"finding {i}", "severity": sev, "message": "m",
                 "advice": ["first drill", "second drill"]}
                for i, sev in enumerate(["info", "watch", "info", "flag", "watch"])]
    html = write_report([bundled], tmp_path / "top.html", findings=findings).read_text(encoding="utf-8")
    section = html.split('id="s1-findings"')[1].split("</section>")[0]
    shown, _, folded = section.partition('<details class="more-findings">')
    assert re.findall(r'data-severity="(\w+)"', shown) == ["flag", "watch", "watch"]
    assert re.findall(r'data-severity="(\w+)"', folded) == ["info", "info"] and "2 more findings" in folded
    assert shown.count("<strong>Try:</strong> first drill") == 3
