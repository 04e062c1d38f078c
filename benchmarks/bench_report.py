"""Benchmark: the coach's HTML report: file sizes and how fast Chromium shows it.

    python benchmarks/bench_report.py [--repeat 5] [--no-browser]

Sizes of three reports: the bundled 10-minute session, one hour of 200 Hz running (the cached
recording of ``bench_analyze.py``) and the comparison of two 10-minute sessions; the time
``write_report`` takes for the hour (best of ``--repeat``). With Debian's /usr/bin/chromium it
opens each file offline in headless Chromium and reads Chromium's own clock
(``performance.now()`` since navigation start) at the load event and when every chart has drawn
its SVG, best of ``--repeat`` fresh pages, beside a blank page opened in the same run, so the
report's cost is seen apart from the browser's own start on this machine. Writes its section of
``docs/benchmarks.md``. Targets: one hour's report ≤ 2 MB.
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
from generated_sections import REPO, provenance, write_section  # noqa: E402

TARGET_HOUR_MB = 2.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
DRAWN = "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg.main-svg'))"
TIMES = "[performance.getEntriesByType('navigation')[0].loadEventEnd, performance.now()]"


def browser_times_ms(paths: dict[str, Path], repeat: int) -> dict[str, tuple[float, float]]:
    """Best-of-``repeat`` (load event, all charts drawn) in ms of Chromium's clock, per page."""
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in paths.items():
            runs = []
            for _ in range(repeat):
                context = browser.new_context(offline=True, viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.goto(path.resolve().as_uri(), wait_until="load")
                page.wait_for_function(DRAWN, polling="raf")
                runs.append(tuple(page.evaluate(TIMES)))
                context.close()
            out[name] = min(runs, key=lambda r: r[1])
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    from formlab.analysis import analyze
    from formlab.recording import read_recording
    from formlab.report import write_report
    from formlab.report.html import plotly_js

    folder = Path(tempfile.mkdtemp(prefix="formlab-bench-report-"))
    ten = analyze(read_recording(REPO / "firmware_recordings" / "simulated_treadmill_10min.csv"))
    hour = analyze(read_recording(cached_recording()))
    reports = {"10-minute session (bundled)": write_report([ten], folder / "ten.html"),
               "comparison of two 10-minute sessions": write_report([ten, ten], folder / "compare.html")}
    best_write = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        reports["one hour at 200 Hz"] = write_report([hour], folder / "hour.html")
        best_write = min(best_write, time.perf_counter() - t0)
    library_mb = len(plotly_js().encode("utf-8")) / 1e6
    hour_mb = reports["one hour at 200 Hz"].stat().st_size / 1e6
    lines = [
        "## The HTML report: size and time to show",
        "",
        provenance("benchmarks/bench_report.py"),
        "",
        f"Every report inlines the plotly.js cartesian bundle ({library_mb:.2f} MB) once; charts are thinned "
        "to at most 500 points per series (the statistics use every step).",
        "",
        "| report | steps | file size | of which figures and text |",
        "|---|---|---|---|",
        *[f"| {name} | {len((hour if 'hour' in name else ten).steps)}{' × 2' if 'comparison' in name else ''} | "
          f"{path.stat().st_size / 1e6:.2f} MB | {path.stat().st_size / 1e6 - library_mb:.2f} MB |"
          for name, path in reports.items()],
        "",
        f"One hour's report: {hour_mb:.2f} MB against a target of ≤ {TARGET_HOUR_MB:g} MB: "
        f"**{'PASS' if hour_mb <= TARGET_HOUR_MB else 'FAIL'}**; `write_report` took {best_write:.2f} s "
        f"(best of {args.repeat}).",
    ]
    if args.no_browser or not os.path.exists(CHROMIUM):
        lines += ["", "Chromium timing: skipped" + ("." if args.no_browser else f" ({CHROMIUM} missing).")]
    else:
        blank = folder / "blank.html"
        blank.write_text("<!DOCTYPE html><html><head><title>blank</title></head><body></body></html>", encoding="utf-8")
        times = browser_times_ms({"blank page": blank, **reports}, args.repeat)
        lines += ["", f"Headless Chromium (offline, `--disable-gpu`, 1440 × 900), Chromium's own clock from navigation "
                      f"start, best of {args.repeat} fresh pages:", "",
                  "| page | load event | all charts drawn | drawn, beyond the blank page |", "|---|---|---|---|"]
        base = times["blank page"][1]
        lines += [f"| {name} | {load:.0f} ms | {drawn:.0f} ms | {drawn - base:+.0f} ms |"
                  for name, (load, drawn) in times.items()]
    write_section("report", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
