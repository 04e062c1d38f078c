"""Benchmark: the HTML report of one hour of 200 Hz running: file size, write time, load time.

    python benchmarks/bench_report.py [--repeat 3] [--no-browser]

Uses the one-hour 200 Hz recording of ``bench_analyze.py`` (simulated once and cached in the temp
directory), analyses it once, then times ``write_report([analysis], path)`` (best of
``--repeat``) and measures the file: total size, the inlined plotly.js, and the rest (figures and
text). With Debian's /usr/bin/chromium present it also opens the file offline in headless
Chromium and times navigation until every figure has drawn its SVG (best of ``--repeat``
fresh pages), next to the load time of a page holding plotly.js alone, so the cost of the data
is visible apart from the cost of the library on this machine. Targets: file < 8 MB; opening
in a couple of seconds on a laptop.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_analyze import cached_recording  # noqa: E402

TARGET_MB = 8.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
DRAWN = ("() => [...document.querySelectorAll('.plotly-graph-div')]"
         ".every(d => d.querySelector('svg.main-svg'))")


def browser_load_s(paths: list[Path], repeat: int) -> list[float]:
    """Best-of-``repeat`` seconds from navigation start until every figure is drawn."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in paths:
            best = float("inf")
            for _ in range(repeat):
                context = browser.new_context(offline=True, viewport={"width": 1280,
                                                                      "height": 900})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(path.resolve().as_uri())
                page.wait_for_function(DRAWN)
                best = min(best, time.perf_counter() - t0)
                context.close()
            out.append(best)
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    from plotly.offline import get_plotlyjs

    from formlab.analysis import analyze
    from formlab.recording import read_recording
    from formlab.report import write_report

    recording = cached_recording()
    t0 = time.perf_counter()
    analysis = analyze(read_recording(recording))
    print(f"analysed {recording.name} in {time.perf_counter() - t0:.1f} s: "
          f"{len(analysis.steps)} steps, {analysis.recording.sample_rate_hz:g} Hz")

    folder = Path(tempfile.mkdtemp(prefix="formlab-bench-report-"))
    report = folder / "report.html"
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        write_report([analysis], report)
        best = min(best, time.perf_counter() - t0)
    size_mb = report.stat().st_size / 1e6
    js = get_plotlyjs()
    js_mb = len(js.encode("utf-8")) / 1e6
    print(f"write_report: {best:.2f} s (best of {args.repeat})")
    print(f"file: {size_mb:.2f} MB = plotly.js {js_mb:.2f} MB + figures and text "
          f"{size_mb - js_mb:.2f} MB; target < {TARGET_MB:g} MB: "
          f"{'met' if size_mb < TARGET_MB else 'MISSED'}")

    if args.no_browser or not os.path.exists(CHROMIUM):
        print("browser load time: skipped" + ("" if args.no_browser else f" ({CHROMIUM} missing)"))
        return
    library_only = folder / "plotly-only.html"
    library_only.write_text(f"<!DOCTYPE html><html><head><script>{js}</script></head>"
                            "<body><div class='plotly-graph-div'><svg class='main-svg'></svg>"
                            "</div></body></html>", encoding="utf-8")
    report_s, library_s = browser_load_s([report, library_only], args.repeat)
    load = os.getloadavg()[0]
    print(f"headless Chromium, offline, --disable-gpu, load average {load:.1f} on "
          f"{os.cpu_count()} cores: report drawn in {report_s:.2f} s; "
          f"plotly.js alone {library_s:.2f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
