"""Screenshots of the coach's report for the README: desktop and phone, one session and a comparison.

    python tools/screenshots.py [--out docs/screenshots]

Analyses the bundled 10-minute session (and, for the comparison, a simulated second session of the
same runner at the same speed, a little more tired), writes the reports to a temporary folder and
photographs them in Debian's headless Chromium (``/usr/bin/chromium``, driven by Playwright).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from formlab.analysis import analyze
from formlab.recording import read_recording
from formlab.report import write_report
from formlab.simulate import demo_params, simulate

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
DESKTOP = dict(viewport={"width": 1440, "height": 900})
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)


def reports(folder: Path) -> dict[str, Path]:
    session = analyze(read_recording(REPO / "firmware_recordings" / "simulated_treadmill_10min.csv"))
    single = write_report([session], folder / "single.html")
    params = demo_params()
    later = dataclasses.replace(params, phases=[dataclasses.replace(p, duration_s=min(p.duration_s, 240.0))
                                                for p in params.phases])
    other = analyze(simulate(later, seed=7).recording)
    comparison = write_report([session, other], folder / "comparison.html")
    return {"single": single, "comparison": comparison}


def shoot(pages: dict[str, Path], out: Path) -> list[Path]:
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, path in pages.items():
            for device, options in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(offline=True, **options)
                page = context.new_page()
                page.goto(path.as_uri())
                page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
                target = out / f"report-{name}-{device}.png"
                page.screenshot(path=str(target))
                written.append(target)
                context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for path in shoot(reports(Path(tmp)), out):
            print(path)


if __name__ == "__main__":
    main()
