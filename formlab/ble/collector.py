"""Live capture over Bluetooth LE with bleak: connect, stream, write, reconnect, report.

Design (lessons from bleak issues #374, #1343 and #1502):

* The notification callback only stamps the host clock (``time.monotonic_ns``) and enqueues the
  raw payload. A consumer task decodes (the device adapter), accounts for loss and maps time
  (:class:`formlab.ble.stream.SampleAssembler`) and appends the rows with one flush per wake-up
  (:class:`formlab.recording.RecordingAppender`), so a crash loses at most that last batch.
* Subscribe before START (the adapter's ``start`` does it in that order).
* Connections go through ``bleak_retry_connector.establish_connection`` (BlueZ's transient
  errors, per-attempt backoff). On a link loss what was written stays; the collector reconnects
  with exponential backoff, configures and starts again, and the assembler marks the gap.
* Ctrl-C (task cancellation), the duration running out, or giving up on reconnecting all end the
  same way: STOP if still connected, the queue drained, the file closed, :class:`CaptureStats`
  returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError
from bleak_retry_connector import establish_connection
from rich.console import Console

from formlab.ble.adapter import DeviceAdapter, StreamInfo, adapter_for
from formlab.ble.protocol import PacketError
from formlab.ble.scan import bluetooth_unavailable
from formlab.ble.stream import CaptureGap, SampleAssembler, SampleBlock
from formlab.errors import CommandError
from formlab.recording import RecordingAppender

log = logging.getLogger(__name__)

#: Seconds to wait between reconnect attempts: doubles from the first value up to the last.
RECONNECT_BACKOFF_S = (0.5, 8.0)
#: STOP/disconnect at the end may not hang the exit longer than this.
SHUTDOWN_TIMEOUT_S = 3.0
#: How often the streaming watch looks for a stall (s).
STALL_CHECK_S = 0.5
#: Give up when this many (re)starts in a row brought no data at all.
MAX_FRUITLESS_STARTS = 5


class CaptureError(CommandError):
    """Capture could not start (device not found, no adapter for it, bad rate). One line."""


@dataclass
class CaptureStats:
    """What a capture did; printed by :func:`print_stats`."""

    device: str = ""
    address: str = ""
    kind: str = ""
    out_path: str = ""
    rate_hz: float = 0.0
    samples_written: int = 0
    samples_lost: int = 0
    samples_in_gaps: int = 0
    packets_received: int = 0
    packets_lost: int = 0
    duplicate_samples: int = 0
    malformed_packets: int = 0
    first_malformed: str | None = None
    device_restarts: int = 0
    time_anomalies: int = 0
    disconnects: int = 0  # link losses and stalls, each followed by a reconnect attempt
    reconnects: int = 0
    stalls: int = 0  # connected but silent for stall_timeout_s
    gaps: list[CaptureGap] = field(default_factory=list)
    duration_s: float = 0.0
    clock_drift_ppm: float | None = None
    latency_ms: list[float] = field(default_factory=list)  # packet arrival -> row flushed
    callback_errors: int = 0
    ended_by: str = ""  # "duration" | "cancelled" | "link lost"

    @property
    def loss_fraction(self) -> float:
        """Lost samples (counted and in reconnect gaps) over all samples the device produced."""
        lost = self.samples_lost + self.samples_in_gaps
        total = self.samples_written + lost
        return lost / total if total else 0.0

    def latency_percentile_ms(self, q: float) -> float | None:
        return float(np.percentile(self.latency_ms, q)) if self.latency_ms else None


SamplesCallback = Callable[[SampleBlock], None]

_SEGMENT = "segment"
_END = "end"


class _Consumer:
    """Decodes queued payloads, assembles rows, writes them; runs as one task."""

    def __init__(
        self,
        adapter: DeviceAdapter,
        appender: RecordingAppender,
        stats: CaptureStats,
        on_samples: SamplesCallback | None,
    ) -> None:
        self.adapter = adapter
        self.appender = appender
        self.stats = stats
        self.on_samples = on_samples
        self.queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.last_arrival_ns = 0  # host time of the last payload processed
        self.assembler = SampleAssembler(epoch_offset_s=(time.time_ns() - time.monotonic_ns()) * 1e-9)

    def on_payload(self, payload: bytes) -> None:
        """The notification callback: timestamp and enqueue, nothing else."""
        self.queue.put_nowait((time.monotonic_ns(), payload))

    def mark_segment(self, info: StreamInfo) -> None:
        self.queue.put_nowait((_SEGMENT, info, time.monotonic_ns()))

    async def run(self) -> None:
        ending = False
        while not ending:
            items = [await self.queue.get()]
            while not self.queue.empty():
                items.append(self.queue.get_nowait())
            blocks: list[SampleBlock] = []
            arrivals: list[int] = []
            for item in items:
                if item[0] == _END:
                    ending = True
                elif item[0] == _SEGMENT:
                    self.assembler.new_segment(item[1], item[2])
                else:
                    self._process(item[0], item[1], blocks)
                    arrivals.append(item[0])
                    self.last_arrival_ns = item[0]
            if blocks:
                self._write(SampleBlock.concat(blocks))
            done_ns = time.monotonic_ns()
            self.stats.latency_ms.extend((done_ns - a) * 1e-6 for a in arrivals)

    def _process(self, host_ns: int, payload: bytes, blocks: list[SampleBlock]) -> None:
        self.stats.packets_received += 1
        try:
            batches = self.adapter.decode(payload)
        except PacketError as exc:
            self.stats.malformed_packets += 1
            if self.stats.first_malformed is None:
                self.stats.first_malformed = str(exc)
            log.warning("malformed packet dropped: %s", exc)
            return
        for batch in batches:
            block = self.assembler.add(host_ns, batch)
            if block is not None:
                blocks.append(block)

    def _write(self, block: SampleBlock) -> None:
        self.appender.append(block.t_s, block.acc_g, block.gyr_dps, block.sample_index, block.host_time_s)
        self.stats.samples_written += block.n
        self.stats.duration_s = float(block.t_s[-1])
        if self.on_samples is not None:
            try:
                self.on_samples(block)
            except Exception:  # the dashboard must never stop the capture
                self.stats.callback_errors += 1
                log.exception("on_samples callback failed")

    def finish_stats(self) -> None:
        loss = self.assembler.loss
        s = self.stats
        s.samples_lost, s.samples_in_gaps, s.packets_lost = loss.samples_lost, loss.samples_in_gaps, loss.packets_lost
        s.duplicate_samples, s.device_restarts = loss.duplicate_samples, loss.device_restarts
        s.time_anomalies, s.gaps = loss.time_anomalies, list(loss.gaps)
        if self.assembler.clock.points >= 2:
            s.clock_drift_ppm = self.assembler.clock.drift_ppm


async def find_device(
    device: str, timeout_s: float, scanner_backend: type[BaseBleakScanner] | None = None
) -> BLEDevice:
    """Scan for a device by address (case-insensitive) or advertised name; CaptureError if absent."""
    wanted = device.lower()
    try:
        found = await BleakScanner.find_device_by_filter(
            lambda d, adv: d.address.lower() == wanted or (adv.local_name or d.name or "").lower() == wanted,
            timeout=timeout_s,
            backend=scanner_backend,
        )
    except (BleakError, OSError) as exc:
        raise bluetooth_unavailable(exc) from exc
    if found is None:
        raise CaptureError(f"no BLE device named or addressed {device!r} found in {timeout_s:g} s")
    return found


async def record(
    device: str | BLEDevice,
    out_path: str | os.PathLike,
    *,
    rate_hz: float | None = None,
    duration_s: float | None = None,
    on_samples: SamplesCallback | None = None,
    backend: type[BaseBleakClient] | None = None,
    scanner_backend: type[BaseBleakScanner] | None = None,
    metadata: dict[str, str] | None = None,
    scan_timeout_s: float = 10.0,
    reconnect_timeout_s: float = 300.0,
    stall_timeout_s: float = 5.0,
) -> CaptureStats:
    """Record a formlab recording from a BLE sensor until ``duration_s``, Ctrl-C or link loss.

    ``device``: advertised name or address (scanned for), or a :class:`BLEDevice`.
    ``rate_hz``: requested stream rate; None = the adapter's highest ≤ 208 Hz.
    ``on_samples``: called with every :class:`SampleBlock` right after it is written.
    ``backend``/``scanner_backend``: bleak backend classes (None = the platform's).
    ``metadata``: extra ``key: value`` lines (placement, subject_height_cm, ...).
    ``reconnect_timeout_s``: after a link loss, give up reconnecting after this long.
    ``stall_timeout_s``: connected but no packet for this long: reconnect and start again.
    Cancelling the task (Ctrl-C) ends cleanly and returns the stats.
    Raises :class:`CaptureError` if the first connection cannot be made or configured.
    """
    session = _Session(rate_hz, backend, reconnect_timeout_s, stall_timeout_s)
    try:
        target = device if isinstance(device, BLEDevice) else await find_device(device, scan_timeout_s, scanner_backend)
        await session.open(target, out_path, metadata or {}, on_samples)
        session.stats.ended_by = await session.stream(duration_s)
    except asyncio.CancelledError:
        session.stats.ended_by = "cancelled"
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    finally:
        await session.shutdown()
    return session.stats


class _Session:
    """One capture: the connection (replaced on reconnect), the adapter, the consumer task."""

    def __init__(
        self,
        rate_hz: float | None,
        backend: type[BaseBleakClient] | None,
        reconnect_timeout_s: float,
        stall_timeout_s: float,
    ):
        self.rate_hz = rate_hz
        self.backend = backend
        self.reconnect_timeout_s = reconnect_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.stats = CaptureStats()
        self.target: BLEDevice | None = None
        self.client: BleakClient | None = None
        self.adapter: DeviceAdapter | None = None
        self.info: StreamInfo | None = None
        self.consumer: _Consumer | None = None
        self.consumer_task: asyncio.Task[None] | None = None
        self.appender: RecordingAppender | None = None
        self.lost = asyncio.Event()
        self.closing = False

    def _on_disconnect(self, client: BleakClient) -> None:
        if not self.closing and client is self.client:
            self.lost.set()

    async def _connect(self) -> None:
        assert self.target is not None
        self.lost.clear()
        self.client = await establish_connection(
            BleakClient,
            self.target,
            self.target.name or self.target.address,
            self._on_disconnect,
            max_attempts=3,
            backend=self.backend,
        )

    async def open(
        self, target: BLEDevice, out_path: str | os.PathLike, metadata: dict[str, str], on_samples: SamplesCallback | None
    ) -> None:
        """First connection: pick the adapter, configure, open the file, start the consumer."""
        self.target = target
        self.stats.address, self.stats.out_path = target.address, str(out_path)
        try:
            await self._connect()
        except (BleakError, asyncio.TimeoutError, OSError) as exc:
            raise CaptureError(f"cannot connect to {target.address}: {exc or type(exc).__name__}") from exc
        assert self.client is not None
        uuids = [s.uuid for s in self.client.services]
        adapter_cls = adapter_for(target.name, uuids)
        if adapter_cls is None:
            raise CaptureError(f"{target.address} speaks no protocol formlab knows (services: {', '.join(uuids)})")
        self.adapter = adapter_cls()
        try:
            self.info = await self.adapter.configure(self.client, self.rate_hz)
        except (ValueError, PacketError) as exc:
            raise CaptureError(f"{target.address}: {exc}") from exc
        self.stats.device, self.stats.kind, self.stats.rate_hz = self.info.device, self.adapter.kind, self.info.rate_hz
        self.appender = RecordingAppender(
            out_path, _metadata(self.info, self.adapter, target, metadata), has_gyro=self.info.has_gyro
        )
        self.consumer = _Consumer(self.adapter, self.appender, self.stats, on_samples)
        self.consumer_task = asyncio.create_task(self.consumer.run())

    async def stream(self, duration_s: float | None) -> str:
        """Start streaming; on link loss or a stall reconnect and start again. Returns why it ended."""
        assert self.adapter is not None and self.consumer is not None and self.info is not None
        loop = asyncio.get_running_loop()
        deadline = None if duration_s is None else loop.time() + duration_s
        info: StreamInfo | None = self.info
        fruitless = 0  # (re)starts in a row that brought no data
        while True:
            received_before = self.stats.packets_received
            try:
                if info is None:
                    info = await self.adapter.configure(self.client, self.rate_hz)
                    self._check_same_stream(info)
                self.consumer.mark_segment(info)
                started_ns = time.monotonic_ns()
                await self.adapter.start(self.client, self.consumer.on_payload)
                outcome = await self._watch(deadline, started_ns)
                if outcome == "duration":
                    return outcome
                if outcome == "stalled":
                    self.stats.stalls += 1
                    log.warning("no data for %.0f s: restarting the stream", self.stall_timeout_s)
            except (BleakError, asyncio.TimeoutError, EOFError) as exc:
                log.warning("link problem: %s", exc)
            info = None
            fruitless = fruitless + 1 if self.stats.packets_received == received_before else 0
            if fruitless >= MAX_FRUITLESS_STARTS:
                raise CaptureError(f"{self.stats.address} sent no data after {fruitless} (re)starts")
            self.stats.disconnects += 1
            outcome = await self._reconnect(deadline)
            if outcome != "reconnected":
                return outcome
            self.stats.reconnects += 1

    def _check_same_stream(self, info: StreamInfo) -> None:
        first = self.info
        assert first is not None
        if (info.rate_hz, info.has_gyro) != (first.rate_hz, first.has_gyro):
            raise CaptureError(
                f"the device changed its stream on reconnect: {info.rate_hz:g} Hz gyro={info.has_gyro}, "
                f"was {first.rate_hz:g} Hz gyro={first.has_gyro}"
            )

    async def _watch(self, deadline: float | None, started_ns: int) -> str:
        """Wait while streaming: "duration" when the deadline passes, "lost" when the link drops,
        "stalled" after ``stall_timeout_s`` without a packet. Re-raises a consumer crash."""
        assert self.consumer is not None and self.consumer_task is not None
        loop = asyncio.get_running_loop()
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            while True:
                timeout = STALL_CHECK_S if deadline is None else min(STALL_CHECK_S, max(0.0, deadline - loop.time()))
                done, _ = await asyncio.wait({lost, self.consumer_task}, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                if self.consumer_task in done:
                    self.consumer_task.result()
                    raise RuntimeError("the capture consumer stopped unexpectedly")
                if lost in done:
                    return "lost"
                if deadline is not None and loop.time() >= deadline:
                    return "duration"
                last_ns = max(started_ns, self.consumer.last_arrival_ns)
                if time.monotonic_ns() - last_ns > self.stall_timeout_s * 1e9:
                    return "stalled"
        finally:
            lost.cancel()

    async def _reconnect(self, deadline: float | None) -> str:
        """Drop the dead client and connect again with exponential backoff."""
        loop = asyncio.get_running_loop()
        await self._drop_client()
        delay, max_delay = RECONNECT_BACKOFF_S
        give_up = loop.time() + self.reconnect_timeout_s
        while True:
            if deadline is not None and loop.time() + delay >= deadline:
                await asyncio.sleep(max(0.0, deadline - loop.time()))
                return "duration"
            await asyncio.sleep(delay)
            try:
                await self._connect()
                return "reconnected"
            except (BleakError, asyncio.TimeoutError, EOFError) as exc:
                log.warning("reconnect failed: %s", exc)
            if loop.time() >= give_up:
                return "link lost"
            delay = min(2 * delay, max_delay)

    async def _drop_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            with contextlib.suppress(BleakError, asyncio.TimeoutError, EOFError, OSError):
                await asyncio.wait_for(client.disconnect(), SHUTDOWN_TIMEOUT_S)

    async def shutdown(self) -> None:
        """STOP if connected, disconnect, drain and stop the consumer, close the file."""
        self.closing = True
        try:
            if self.client is not None and self.client.is_connected and self.adapter is not None:
                try:
                    await asyncio.wait_for(self.adapter.stop(self.client), SHUTDOWN_TIMEOUT_S)
                except (BleakError, asyncio.TimeoutError, EOFError, OSError) as exc:
                    log.warning("STOP failed: %s", exc)
            await self._drop_client()
            if self.consumer is not None and self.consumer_task is not None:
                if not self.consumer_task.done():
                    self.consumer.queue.put_nowait((_END,))
                await self.consumer_task
        finally:
            if self.consumer is not None:
                self.consumer.finish_stats()
            if self.appender is not None:
                self.appender.close()


def _metadata(info: StreamInfo, adapter: DeviceAdapter, target: BLEDevice, extra: dict[str, str]) -> dict[str, str]:
    meta = {
        "sample_rate_hz": f"{info.rate_hz:g}",
        "device": info.device,
        "start_time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": f"formlab record, BLE {adapter.kind}",
        "ble_address": target.address,
    }
    if info.firmware:
        meta["firmware"] = info.firmware
    meta.update(info.metadata)
    meta.update(extra)
    return meta


def print_stats(stats: CaptureStats, console: Console | None = None) -> None:
    """One short rich line with what was captured and lost."""
    console = console or Console()
    lat = stats.latency_percentile_ms(50)
    parts = [
        f"[bold]{stats.samples_written}[/] samples ({stats.duration_s:.1f} s @ {stats.rate_hz:g} Hz) -> {stats.out_path}",
        f"lost {stats.samples_lost} in link + {stats.samples_in_gaps} in {len(stats.gaps)} gap(s)"
        f" ({100 * stats.loss_fraction:.2f}%)",
        f"packets lost {stats.packets_lost}, malformed {stats.malformed_packets}, duplicates {stats.duplicate_samples}",
        f"reconnects {stats.reconnects}" + (f" ({stats.stalls} after a stall)" if stats.stalls else ""),
    ]
    if stats.clock_drift_ppm is not None:
        parts.append(f"clock drift {stats.clock_drift_ppm:+.0f} ppm")
    if lat is not None:
        parts.append(f"latency p50 {lat:.1f} ms")
    parts.append(f"ended: {stats.ended_by}")
    style = "green" if stats.loss_fraction == 0 and stats.malformed_packets == 0 else "yellow"
    console.print(f"[{style}]capture[/] " + " · ".join(parts))
