"""The roster and the athlete history page as a coach opens them on a phone: offline, in a real
headless Chromium at 390 px (Debian's /usr/bin/chromium driven by Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chromium import block_network, needs_chromium
from formlab.history.payload import session_record
from formlab.history.roster import write_roster
from formlab.history.store import Store

from .conftest import dated

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def roster(tmp_path_factory, short_analysis):
    folder = tmp_path_factory.mktemp("roster")
    with Store(folder / "store" / "history.sqlite") as store:
        for day in (1, 3, 6, 8, 13, 15, 16):
            store.save(session_record(dated(short_analysis, f"2026-10-{day:02d}T07:00:00+00:00")),
                       "Ana <b>Long-Name-Without-Any-Spaces-At-All</b>")
        store.save(session_record(dated(short_analysis, "2026-10-02T07:00:00+00:00")), "Ben")
        store.set_plan_start("Ben", "2026-08-31")
        written = write_roster(store, folder / "out" / "roster.html")
    return folder / "out", written


def _open_on_phone(browser, path: Path, screenshot: str) -> dict:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    fetched = block_network(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    result = page.evaluate("({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
                           " links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),"
                           " svgs: document.querySelectorAll('.plotly-graph-div svg.main-svg').length})")
    result["text"] = page.inner_text("body")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    context.close()
    return {**result, "fetched": fetched, "errors": errors}


def test_roster_on_a_phone(browser, roster):
    folder, written = roster
    r = _open_on_phone(browser, folder / "roster.html", "roster-390.png")
    assert r["inner"] == 390 and r["scroll"] <= r["inner"], r
    assert r["fetched"] == [] and r["errors"] == []
    assert "Ana <b>Long-Name-Without-Any-Spaces-At-All</b>" in r["text"]  # shown as text, never markup
    pages = [link for link in r["links"] if not link.startswith("#")]
    assert {p for p in pages if p.startswith("session-")} == {"session-7.html", "session-8.html"}
    assert all((folder / p).exists() for p in pages)
    assert "→" in r["text"]          # Ana: the last run against a baseline of the same run
    assert "no baseline yet" in r["text"]  # Ben: one run


def test_athlete_history_page_on_a_phone(browser, roster):
    folder, _ = roster
    r = _open_on_phone(browser, folder / "athlete-1.html", "athlete-history-390.png")
    assert r["scroll"] <= r["inner"], r
    assert r["fetched"] == [] and r["errors"] == []
    assert r["svgs"] >= 2  # the trend chart at 3.3 m/s and the weekly volume chart
    assert "At 3.3 m/s" in r["text"]
    assert re.search(r"Gradually Increase Mileage", r["text"])
    assert "session-7.html" in r["links"]
