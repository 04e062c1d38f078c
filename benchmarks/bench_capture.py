"""Benchmark: CPU use of live capture at 200 Hz, and latency from packet arrival to written row.

    python benchmarks/bench_capture.py [--seconds 30]

Three measurements, each on the real clock:

1. **capture**: ``formlab.ble.collector.record`` streaming from the virtual formlab sensor
   (``tests/ble/virtual_sensor.py``, 200 Hz, 19 samples per notification) through bleak and
   the in-process bumble radio, writing the CSV with a flush + fsync per batch. CPU is the
   process CPU time (``time.process_time``) over the wall time: it includes the virtual
   sensor and *both* bumble stacks, so it is an upper bound for the collector.
2. **baseline**: the same radio and stream, but a bare bleak subscriber that discards the
   payloads. capture − baseline is what the collector itself costs (queue, decode, loss
   accounting, time fit, CSV writing).
3. **pipeline**: the collector's consumer alone (adapter decode → sample assembler →
   RecordingAppender) fed 60 s of packets as fast as it goes: CPU per second of 200 Hz data.

Latency: per packet, host time at the notification callback (``time.monotonic_ns``) to the end
of the flush of the batch that holds it; p50 / p95 / max over the capture. Target: collector
CPU < 15 % of one core at 200 Hz.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "ble"))

from bleak import BleakClient  # noqa: E402
from bumble_backend import bumble_backend  # noqa: E402
from virtual_sensor import SampleSource, make_radio, sensor_ble_device  # noqa: E402

from formlab.ble import protocol  # noqa: E402
from formlab.ble.adapter import StreamInfo  # noqa: E402
from formlab.ble.collector import record  # noqa: E402
from formlab.ble.formlab_profile import FormlabProfileAdapter  # noqa: E402
from formlab.ble.stream import SampleAssembler  # noqa: E402
from formlab.recording import RecordingAppender  # noqa: E402

RATE_HZ = 200
PER_PACKET = 19


async def _capture(seconds: float, out: Path):
    central, _ = await make_radio(SampleSource.synthetic(int(RATE_HZ * (seconds + 30)), RATE_HZ))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    stats = await record(sensor_ble_device(), out, duration_s=seconds, backend=bumble_backend(central))
    return stats, time.process_time() - cpu0, time.perf_counter() - wall0


async def _baseline(seconds: float):
    central, _ = await make_radio(SampleSource.synthetic(int(RATE_HZ * (seconds + 30)), RATE_HZ))
    received = 0

    def discard(_char, _data) -> None:
        nonlocal received
        received += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with BleakClient(sensor_ble_device(), backend=bumble_backend(central)) as client:
        await client.start_notify(protocol.DATA_UUID, discard)
        await client.write_gatt_char(protocol.CONTROL_UUID, protocol.encode_start(RATE_HZ, 0), response=True)
        await asyncio.sleep(seconds)
        await client.write_gatt_char(protocol.CONTROL_UUID, protocol.encode_stop(), response=True)
    return received, time.process_time() - cpu0, time.perf_counter() - wall0


async def _configured_adapter() -> tuple[FormlabProfileAdapter, StreamInfo]:
    central, _ = await make_radio(SampleSource.synthetic(RATE_HZ, RATE_HZ))
    adapter = FormlabProfileAdapter()
    async with BleakClient(sensor_ble_device(), backend=bumble_backend(central)) as client:
        info = await adapter.configure(client, None)
    return adapter, info


def _pipeline(out: Path, seconds: float = 60.0) -> float:
    """CPU seconds to decode, assemble and write ``seconds`` of 200 Hz packets."""
    adapter, info = asyncio.run(_configured_adapter())
    source = SampleSource.synthetic(int(RATE_HZ * seconds), RATE_HZ)
    n_packets = int(RATE_HZ * seconds) // PER_PACKET
    payloads = [
        protocol.encode_data(p, p * PER_PACKET, p * PER_PACKET * 5000, source.raw(p * PER_PACKET, PER_PACKET))
        for p in range(n_packets)
    ]
    asm = SampleAssembler(epoch_offset_s=0.0)
    asm.new_segment(info, 0)
    cpu0 = time.process_time()
    with RecordingAppender(out, {"sample_rate_hz": str(RATE_HZ)}, has_gyro=True) as appender:
        for p, payload in enumerate(payloads):
            host_ns = int((p + 1) * PER_PACKET / RATE_HZ * 1e9) + 10_000_000
            for batch in adapter.decode(payload):
                block = asm.add(host_ns, batch)
                appender.append(block.t_s, block.acc_g, block.gyr_dps, block.sample_index, block.host_time_s)
    return time.process_time() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the live captures (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats, cpu_cap, wall_cap = asyncio.run(_capture(args.seconds, Path(tmp) / "capture.csv"))
        received, cpu_base, wall_base = asyncio.run(_baseline(args.seconds))
        cpu_pipe = _pipeline(Path(tmp) / "pipeline.csv")

    capture_pct = 100 * cpu_cap / wall_cap
    base_pct = 100 * cpu_base / wall_base
    print(f"capture  : {stats.samples_written} samples in {wall_cap:.1f} s, lost {stats.samples_lost}, "
          f"CPU {capture_pct:.1f} % of one core (process: virtual sensor + 2 bumble stacks + collector)")
    print(f"baseline : {received} packets in {wall_base:.1f} s, CPU {base_pct:.1f} % (same radio, bare subscriber)")
    print(f"collector: {capture_pct - base_pct:.1f} % of one core (capture - baseline); target < 15 %")
    print(f"pipeline : {100 * cpu_pipe / 60.0:.2f} % of one core (decode + assemble + write with fsync, per s of data)")
    print(f"latency  : packet arrival -> row flushed: p50 {stats.latency_percentile_ms(50):.2f} ms, "
          f"p95 {stats.latency_percentile_ms(95):.2f} ms, max {max(stats.latency_ms):.2f} ms")


if __name__ == "__main__":
    main()
