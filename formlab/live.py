"""Live form dashboard: rolling metrics, link quality and rule alerts while the runner runs.

The samples arrive from the BLE collector (:func:`formlab.ble.collector.record`, which also
writes them to disk as they come) or, with ``--replay``, from a recording fed at ``--replay-speed``
times real time. Every refresh (1–2 s) the last ``RULES_WINDOW_S`` seconds are analysed with the
offline pipeline (:func:`formlab.analysis.analyze`): there is no second implementation of any
metric. The calibration (mount, standing posture, gyro bias) is learned once, as soon as the
buffer holds a standing moment and some running, and reused for every window, so posture-relative
tilt stays available mid-run. Tiles show medians over the last ``METRICS_WINDOW_S`` seconds;
alerts are the rules layer's findings on the last minute; the run's settled steps are kept, so the
dashboard shows the form drift of the run so far (formlab's one fatigue definition). When the run ends, the whole recording
is analysed offline and the HTML report written.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from formlab.analysis import analyze
from formlab.ble.stream import SampleBlock
from formlab.calibration import Calibration, calibrate
from formlab.registry import METRICS, band_of, clock, headline
from formlab.rules import status_lines
from formlab.recording import Recording, read_recording
from formlab.segmentation import segment
from formlab.summary import DRIFT_WINDOW_S, drift_windows, form_drift, side_medians, summary_metrics
from formlab.summary_view import metric_cells

METRICS_WINDOW_S = 30.0
SETTLE_S = 3.0
"""Steps closer than this to the newest sample may still change (their next contact is not in);
the run's history takes them at a later refresh."""
RULES_WINDOW_S = 60.0
CALIBRATION_MIN_S = 20.0
_STYLE = {"purple": "magenta", "blue": "blue", "green": "green", "orange": "dark_orange", "red": "red"}
LIVE_ROWS = ("cadence_spm", "ground_contact_ms", "ground_contact_balance_left_pct",
             "vertical_oscillation_cm", "impact_g", "braking_mps", "pelvic_tilt_deg",
             "pelvic_drop_deg")
"""The dashboard's metrics (labels, units, decimals and headlines: the registry)."""


class RollingBuffer:
    """The most recent samples (``keep_s`` seconds), plus loss accounting from the sample index."""

    def __init__(self, keep_s: float = RULES_WINDOW_S + 10.0, metadata: dict[str, str] | None = None):
        self.keep_s = keep_s
        self.metadata = dict(metadata or {})
        self._blocks: list[SampleBlock] = []
        self.samples_received = 0
        self.samples_lost = 0
        self.gaps = 0
        self._last_index: int | None = None
        self.last_arrival_s: float | None = None
        self.head: list[SampleBlock] = []  # the first samples, kept for the calibration
        self._head_s = 0.0

    def append(self, block: SampleBlock) -> None:
        if block.n == 0:
            return
        first = int(block.sample_index[0])
        if self._last_index is not None and first > self._last_index + 1:
            self.samples_lost += first - self._last_index - 1
            self.gaps += 1
        self._last_index = int(block.sample_index[-1])
        self.samples_received += block.n
        self.last_arrival_s = time.monotonic()
        self._blocks.append(block)
        if self._head_s < 2 * CALIBRATION_MIN_S:
            self.head.append(block)
            self._head_s = float(block.t_s[-1] - self.head[0].t_s[0])
        t_end = float(block.t_s[-1])
        while self._blocks and float(self._blocks[0].t_s[-1]) < t_end - self.keep_s:
            self._blocks.pop(0)

    def recording(self, last_s: float | None = None, blocks: list[SampleBlock] | None = None) -> Recording | None:
        """The buffered samples (or the last ``last_s`` seconds of them) as a Recording.

        Works on a one-pass copy of the block list: :meth:`append` runs on the event loop while
        the dashboard analyses in a worker thread, so the list may grow between the column
        concatenations.
        """
        blocks = list(blocks if blocks is not None else self._blocks)
        if not blocks:
            return None
        b = SampleBlock.concat(blocks)
        keep = slice(None)
        if last_s is not None:
            keep = b.t_s >= b.t_s[-1] - last_s
        rate = self.metadata.get("sample_rate_hz")
        return Recording(t_s=b.t_s[keep], acc_g=b.acc_g[keep], gyr_dps=None if b.gyr_dps is None else b.gyr_dps[keep],
                         sample_index=b.sample_index[keep], host_time_s=b.host_time_s[keep],
                         metadata=dict(self.metadata), sample_rate_hz=float(rate) if rate else 0.0, path="live")


@dataclass
class DashboardState:
    """What the dashboard shows; recomputed from the buffer at every refresh."""

    elapsed_s: float = 0.0
    metrics: dict = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    status: list[str] = field(default_factory=list)  # which guidance checks ran (rules.status_lines)
    drift: dict | None = None  # form drift of the run so far (summary.form_drift)
    steps_in_window: int = 0
    calibration: str = "waiting for a standing moment and some running"
    samples_received: int = 0
    samples_lost: int = 0
    gaps: int = 0
    latency_s: float | None = None
    newest_t_s: float | None = None  # sensor time of the newest sample this state includes


class LiveAnalyzer:
    """Rolling-window analysis over a :class:`RollingBuffer` (module doc)."""

    def __init__(self, buffer: RollingBuffer, speed_mps: float | None = None):
        self.buffer = buffer
        self.speed_mps = speed_mps
        self.calibration: Calibration | None = None
        self.history: pd.DataFrame | None = None  # every settled running step seen so far

    def remember(self, steps: pd.DataFrame, settled_until_s: float) -> dict | None:
        """Add the running steps of a window that started before ``settled_until_s`` (later
        ones may still change with the next samples) to the run's history, once each; returns
        the run's form drift so far (:func:`formlab.summary.form_drift`: last drift window minus
        the first, as the report and the rules define it), or None before two windows exist."""
        last_s = -np.inf if self.history is None else float(self.history["t_ic_s"].max())
        new = steps[(steps["t_ic_s"] > last_s + 1e-6) & (steps["t_ic_s"] < settled_until_s)]
        if len(new):
            self.history = new.copy() if self.history is None else \
                pd.concat([self.history, new], ignore_index=True)
        if self.history is None:
            return None
        windows = drift_windows(self.history)
        return form_drift(windows) if len(windows) >= 2 else None

    def _calibrate(self, window: Recording | None) -> None:
        """From the first samples (standing start, then running); if the runner stood longer
        than those hold, from the latest window once it holds running."""
        for candidate in (self.buffer.recording(blocks=self.buffer.head), window):
            if candidate is None or candidate.duration_s < CALIBRATION_MIN_S:
                continue
            bouts = segment(candidate)
            if (bouts["activity"] == "running").any():
                self.calibration = calibrate(candidate, bouts)
                return

    def update(self) -> DashboardState:
        buf = self.buffer
        state = DashboardState(samples_received=buf.samples_received, samples_lost=buf.samples_lost, gaps=buf.gaps)
        if buf.last_arrival_s is not None:
            state.latency_s = time.monotonic() - buf.last_arrival_s
        window = buf.recording(last_s=RULES_WINDOW_S)
        if self.calibration is None:
            self._calibrate(window)
        if window is None:
            return state
        state.newest_t_s = float(window.t_s[-1])
        state.elapsed_s = float(window.t_s[-1] - buf.head[0].t_s[0]) if buf.head else 0.0
        if self.calibration is None or window.duration_s < 5.0:
            return state
        cal = self.calibration
        state.calibration = ("standing posture learned; " if cal.standing_found else "no standing moment: tilt unavailable; ") + cal.mount
        analysis = analyze(window, speed_mps=self.speed_mps, calibration=cal)
        recent = analysis.running_steps
        recent = recent[recent["t_ic_s"] >= window.t_s[-1] - METRICS_WINDOW_S]
        state.steps_in_window = int(len(recent))
        state.metrics = window_metrics(recent)
        state.drift = self.remember(analysis.running_steps, float(window.t_s[-1]) - SETTLE_S)
        state.alerts = [f for f in analysis.summary.get("findings", []) if f["severity"] in ("watch", "flag")]
        state.status = status_lines(analysis.summary)
        return state


def window_metrics(steps) -> dict:
    """The dashboard's numbers for the steps of its window: SUMMARY.json ``metrics`` from the one
    estimator (:func:`formlab.summary.side_medians`), so they match every other output."""
    return summary_metrics(side_medians(steps)) if len(steps) else {}


def drift_text(drift: dict | None) -> str:
    """The run's form drift in one line ("Cadence −3 spm · Ground contact time +5 ms · …")."""
    if drift is None:
        return f"shown once the run holds two drift windows of {DRIFT_WINDOW_S / 60:.0f} minutes"
    parts = []
    for key, change in drift["change"].items():
        if change is not None:
            m = METRICS[key]
            unit = m.difference_unit if m.unit == "%" else m.unit
            parts.append(f"{m.label} {m.fmt(change, sign=True)}{'' if unit == '°' else ' '}{unit}")
    return " · ".join(parts) or "no metric measured in both windows"


def render(state: DashboardState) -> Group:
    """The dashboard as rich renderables (also used by the tests, through a recording Console)."""
    m = state.metrics
    table = Table(title=f"last {METRICS_WINDOW_S:.0f} s · {state.steps_in_window} steps", expand=True)
    for col in ("metric", "value", "left / right"):
        table.add_column(col)

    for key in LIVE_ROWS:
        label, value, sides = metric_cells(m, key)
        band = band_of(key, headline(m, key))
        if band:
            value = f"[{_STYLE[band.colour]}]{value}[/]"
        table.add_row(label, value, sides)

    lost_pct = 100.0 * state.samples_lost / max(state.samples_received + state.samples_lost, 1)
    latency = "—" if state.latency_s is None else f"{state.latency_s:.1f} s"
    link = (f"received {state.samples_received} samples · lost {state.samples_lost} ({lost_pct:.2f} %) in "
            f"{state.gaps} gaps · last packet {latency} ago")
    alerts = [escape(line) for line in state.status if not line.startswith("Nothing flagged")]
    alerts += [f"[{'red' if a['severity'] == 'flag' else 'dark_orange'}]{a['severity']}[/] "
               f"{escape(a['title'])}: {escape(a['message'])}" for a in state.alerts]
    if not state.alerts:
        alerts += [escape(line) for line in state.status if line.startswith("Nothing flagged")]
    return Group(
        Panel(f"{clock(state.elapsed_s)} · {state.calibration}", title="formlab live"),
        table,
        Panel(drift_text(state.drift), title="form drift: the last drift window against the first"),
        Panel(link, title="link"),
        Panel("\n".join(alerts) if alerts else "waiting for enough running to run the guidance checks",
              title="alerts (form feedback, never a diagnosis)"),
    )


async def replay_blocks(path: str, speed: float, on_samples, block_s: float = 0.1) -> Recording:
    """Feed a recording to ``on_samples`` in blocks, ``speed`` times faster than real time."""
    rec = read_recording(path)
    index = rec.sample_index if rec.sample_index is not None else np.arange(rec.n_samples)
    host = rec.host_time_s if rec.host_time_s is not None else rec.t_s.copy()
    edges = np.searchsorted(rec.t_s, np.arange(rec.t_s[0], rec.t_s[-1] + block_s, block_s))
    edges = np.unique(np.r_[edges, rec.n_samples])
    for a, b in zip(edges[:-1], edges[1:]):
        on_samples(SampleBlock(rec.t_s[a:b], rec.acc_g[a:b], None if rec.gyr_dps is None else rec.gyr_dps[a:b],
                               index[a:b], host[a:b]))
        await asyncio.sleep(block_s / speed)
    return rec


async def run_dashboard(source, buffer: RollingBuffer, analyzer: LiveAnalyzer, console: Console,
                        refresh_s: float = 1.0, on_state=None) -> DashboardState:
    """Run ``source`` (a coroutine producing samples) while refreshing the dashboard.

    ``on_state`` is called with each new :class:`DashboardState` (benchmarks time it).
    """
    task = asyncio.ensure_future(source)
    state = DashboardState()
    with Live(render(state), console=console, refresh_per_second=4, transient=False) as live:
        try:
            next_refresh = time.monotonic() + refresh_s
            while not task.done():
                await asyncio.sleep(max(0.0, next_refresh - time.monotonic()))
                next_refresh += refresh_s  # a fixed period: analysis time does not stretch it
                state = await asyncio.get_running_loop().run_in_executor(None, analyzer.update)
                live.update(render(state))
                if on_state is not None:
                    on_state(state)
        except asyncio.CancelledError:
            task.cancel()
        finally:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # the capture failed: say so, never end as if the run were recorded
    return state


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--device", metavar="NAME_OR_ADDRESS", help="stream from this sensor")
    source.add_argument("--replay", metavar="RUN.csv", help="feed a recording through the live pipeline")
    parser.add_argument("--replay-speed", type=float, default=1.0, metavar="N",
                        help="with --replay: play N times faster than real time (default 1)")
    parser.add_argument("--out", metavar="RUN.csv",
                        help="with --device (required): the new recording, written as samples arrive")
    parser.add_argument("--html", metavar="REPORT.html", help="write the HTML report when the run ends")
    parser.add_argument("--treadmill-speed", type=float, metavar="MPS", help="treadmill belt speed, m/s")
    parser.add_argument("--rate", type=float, metavar="HZ", help="with --device: stream rate where the device offers a choice")
    parser.add_argument("--force", action="store_true", help="replace an existing --html file")


def run_live(args: argparse.Namespace, console: Console | None = None) -> int:
    from formlab.errors import InputError
    from formlab.output_files import check_outputs

    console = console or Console()
    metadata = {"treadmill_speed_mps": str(args.treadmill_speed)} if args.treadmill_speed else {}
    if args.replay and args.rate is not None:
        raise InputError("--rate", None, "--rate sets a sensor's stream rate: it works with --device, not --replay")
    if args.device and args.replay_speed != 1.0:
        raise InputError("--replay-speed", None, "--replay-speed works with --replay, not --device")
    if args.replay and args.out:
        raise InputError("--out", None, "names the recording a sensor writes; with --replay the recording "
                                        "already exists (use --html for the report)")
    if args.device and not args.out:
        raise InputError("--out", None, "live capture needs --out RUN.csv: every sample is written to disk")
    check_outputs({"--out": args.out, "--html": args.html}, inputs=[args.replay] if args.replay else [],
                  force=args.force, never_replace=("--out",))
    if args.replay:
        header = read_recording(args.replay)  # fail early, one line, on a bad file
        buffer = RollingBuffer(metadata={**header.metadata, **metadata, "sample_rate_hz": f"{header.sample_rate_hz:g}"})
        source = replay_blocks(args.replay, args.replay_speed, buffer.append)
        final_path = args.replay
    else:
        from formlab.ble.collector import find_device, print_stats, record

        # find the sensor before the dashboard opens: no sensor or no Bluetooth is one line, exit 1
        target = asyncio.run(find_device(args.device, 10.0))
        buffer = RollingBuffer(metadata=metadata)

        async def source_coro():
            stats = await record(target, args.out, rate_hz=args.rate, metadata=metadata, on_samples=buffer.append)
            print_stats(stats, console)

        source = source_coro()
        final_path = args.out
    analyzer = LiveAnalyzer(buffer, speed_mps=args.treadmill_speed)
    try:
        asyncio.run(run_dashboard(source, buffer, analyzer, console))
    except KeyboardInterrupt:
        console.print("stopped")
    if args.html and Path(final_path).exists():
        from formlab.report.html import write_report

        final = analyze(read_recording(final_path), speed_mps=args.treadmill_speed)
        write_report([final], args.html)
        console.print(f"wrote {args.html}")
    return 0
