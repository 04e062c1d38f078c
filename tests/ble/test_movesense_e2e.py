"""Movesense end to end: virtual GSP sensor -> bumble -> bleak -> collector -> CSV -> analysis.

The virtual sensor (``virtual_movesense.py``) streams a simulated run (:mod:`formlab.simulate`)
as ``/Meas/IMU6/208``, splitting each 16-sample message over two notifications; the production
collector records it through bleak's public API over the bumble test backend on a virtual
clock (``virtual_time.py``), so a 60 s stream takes a few seconds.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from bumble_backend import bumble_backend, bumble_scanner_backend
from virtual_movesense import FIRMWARE, MODEL, NAME, make_movesense_radio, movesense_ble_device
from virtual_sensor import SampleSource
from virtual_time import run_virtual

from formlab.analysis import analyze
from formlab.ble.collector import CaptureError, record
from formlab.ble.scan import scan_devices
from formlab.recording import read_recording
from formlab.simulate import Runner, mount_from_euler_deg, simulate, treadmill_params

CADENCE_SPM = 166.0
RATE_HZ = 208


def simulated_source(seconds: float = 75.0) -> tuple[SampleSource, float]:
    params = treadmill_params(
        Runner(cadence_spm=CADENCE_SPM, speed_mps=3.0),
        duration_s=seconds - 10.0,
        standing_s=10.0,
        rate_hz=float(RATE_HZ),
        R_sensor_from_body=mount_from_euler_deg(-90.0, 5.0, 0.0),
    )
    sim = simulate(params, seed=5)
    return SampleSource(sim.recording.acc_g, sim.recording.gyr_dps), float(sim.truth_summary["metrics"]["cadence_spm"])


async def capture(source, out: Path, duration_s: float, during=None, rate_hz=None, **sensor_options):
    central, sensor = await make_movesense_radio(source, **sensor_options)
    task = asyncio.ensure_future(
        record(movesense_ble_device(), out, rate_hz=rate_hz, duration_s=duration_s, backend=bumble_backend(central))
    )
    if during is not None:
        await during(sensor)
    return await task, sensor


def test_60_s_stream_analyses_to_the_simulated_cadence(tmp_path, monkeypatch):
    source, true_cadence = simulated_source()
    out = tmp_path / "run.csv"
    stats, sensor = run_virtual(capture(source, out, 60.0, drift_ppm=-40.0), monkeypatch)

    assert sensor.subscriptions == ["/Meas/IMU6/208"]
    rec = read_recording(out)
    assert rec.metadata["sample_rate_hz"] == "208"
    assert (rec.metadata["device"], rec.metadata["firmware"]) == (MODEL, FIRMWARE)
    assert stats.samples_lost == 0 and stats.malformed_packets == 0
    assert 59.0 < rec.t_s[-1] - rec.t_s[0] < 60.5  # across the u32 millisecond wrap at 20 s
    assert stats.clock_drift_ppm == pytest.approx(-40.0, abs=15.0)
    rows = sensor.sent_rows()
    assert rec.n_samples == rows.size
    np.testing.assert_allclose(rec.acc_g, source.acc_g[rows], rtol=1e-6, atol=1e-5)  # CSV keeps 5 decimals of g
    np.testing.assert_allclose(rec.gyr_dps, source.gyr_dps[rows], rtol=1e-6, atol=1e-4)  # 4 decimals of dps

    cadence = analyze(rec).summary["metrics"]["cadence_spm"]
    assert cadence == pytest.approx(true_cadence, abs=1.0)
    assert true_cadence == pytest.approx(CADENCE_SPM, abs=1.0)


def test_lost_messages_are_counted_exactly(tmp_path, monkeypatch):
    source, _ = simulated_source(seconds=30.0)
    out = tmp_path / "lossy.csv"
    stats, sensor = run_virtual(
        capture(source, out, 20.0, drop_messages=frozenset({30, 31, 32, 200}), drop_second_parts=frozenset({100})),
        monkeypatch,
    )
    expected = sum(m.n for m in sensor.sent if not m.delivered)
    assert expected == 5 * 16
    assert stats.samples_lost == expected and stats.malformed_packets == 0
    rec = read_recording(out)
    assert rec.sample_index is not None
    assert rec.sample_index[-1] - rec.sample_index[0] + 1 == rec.n_samples + expected
    assert sum(g.missing_samples for g in rec.gaps) == expected
    delivered = sensor.sent_rows(delivered_only=True)
    np.testing.assert_allclose(rec.acc_g, source.acc_g[delivered], rtol=1e-6, atol=1e-5)  # CSV: 5 decimals of g


def test_forced_disconnect_reconnects_and_marks_the_gap(tmp_path, monkeypatch):
    source, _ = simulated_source(seconds=30.0)
    out = tmp_path / "gap.csv"

    async def drop_once(sensor):
        await asyncio.sleep(8.0)
        await sensor.drop_link()

    stats, sensor = run_virtual(capture(source, out, 20.0, during=drop_once), monkeypatch)
    assert stats.disconnects == 1 and stats.reconnects == 1
    assert sensor.subscriptions == ["/Meas/IMU6/208"] * 2
    (gap,) = stats.gaps
    assert gap.reason == "reconnect"
    rows = sensor.sent_rows(delivered_only=True)  # what reached the central, in the order it was sent
    (k,) = np.flatnonzero(np.diff(rows) > 1)
    assert gap.start_s == pytest.approx((rows[k] - rows[0]) / RATE_HZ, abs=2e-3)
    assert gap.missing_samples == rows[k + 1] - rows[k] - 1  # the gap is exactly what the sensor did not send
    rec = read_recording(out)
    # every written row is a sample the sensor sent, once, in order: no loss, no duplicate
    assert rec.n_samples == rows.size == stats.samples_written
    np.testing.assert_array_equal(rec.sample_index - rec.sample_index[0], rows - rows[0])
    np.testing.assert_allclose(rec.acc_g, source.acc_g[rows], rtol=1e-6, atol=1e-5)  # CSV: 5 decimals of g
    np.testing.assert_allclose(rec.gyr_dps, source.gyr_dps[rows], atol=0.1)  # the sensor's own float32 + 4 decimals


def test_rate_option_and_unsupported_rate(tmp_path, monkeypatch):
    source, _ = simulated_source(seconds=20.0)
    stats, sensor = run_virtual(capture(source, tmp_path / "slow.csv", 5.0, rate_hz=52), monkeypatch)
    assert sensor.subscriptions == ["/Meas/IMU6/52"] and stats.rate_hz == 52
    with pytest.raises(CaptureError, match="rate 100 Hz not supported; supported: 13, 26, 52, 104, 208"):
        run_virtual(capture(source, tmp_path / "bad.csv", 5.0, rate_hz=100), monkeypatch)


def test_devices_scan_recognises_it_and_record_finds_it_by_name(tmp_path, virtual_run):
    """What ``formlab devices`` lists, and ``formlab record --device "<name>"`` as a coach types it."""
    source, _ = simulated_source(seconds=20.0)
    out = tmp_path / "by_name.csv"

    async def main():
        central, sensor = await make_movesense_radio(source)
        found = await scan_devices(2.0, backend=bumble_scanner_backend(central))
        stats = await record(NAME, out, duration_s=4.0, backend=bumble_backend(central),
                             scanner_backend=bumble_scanner_backend(central))
        return found, stats

    found, stats = virtual_run(main())
    assert [(d.name, d.kind, d.streams) for d in found] == [
        (NAME, "Movesense (gatt_sensordata_app)", "acc+gyro (IMU6, 13-1666 Hz)")]
    assert stats.rate_hz == 208 and stats.samples_lost == 0 and stats.samples_written > 2 * 208
