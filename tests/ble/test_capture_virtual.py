"""End to end: the production collector over bleak's public API against a virtual sensor.

bleak.BleakClient(..., backend=<bumble backend>) talks real ATT/GATT to a bumble peripheral that
serves the formlab profile (tests/ble/virtual_sensor.py). The sensor runs on a virtual clock, so
a 60 s stream takes a couple of real seconds; one test runs on the real clock.
"""

import asyncio

import numpy as np
import pytest
from bumble_backend import bumble_backend, bumble_scanner_backend
from virtual_sensor import (
    ACC_G_PER_LSB,
    GYR_DPS_PER_LSB,
    SENSOR_ADDRESS,
    SENSOR_NAME,
    SampleSource,
    make_radio,
    sensor_ble_device,
)

from formlab.analysis import analyze
from formlab.ble.collector import CaptureError, CaptureStats, print_stats, record
from formlab.ble.scan import scan_devices
from formlab.recording import read_recording
from formlab.simulate import Runner, simulate, treadmill_params

RATE = 200


async def capture(out, *, source=None, duration_s=None, drop_link_at_s=(), cancel_at_s=None, rate_hz=None,
                  **sensor_options):
    """Run the collector against a fresh virtual sensor; returns (stats, sensor)."""
    central, sensor = await make_radio(source or SampleSource.synthetic(RATE * 90, RATE), **sensor_options)
    task = asyncio.create_task(record(sensor_ble_device(), out, duration_s=duration_s, rate_hz=rate_hz,
                                      backend=bumble_backend(central), metadata={"placement": "sacrum"}))
    elapsed = 0.0
    for at in drop_link_at_s:
        await asyncio.sleep(at - elapsed)
        elapsed = at
        await sensor.drop_link()
    if cancel_at_s is not None:
        await asyncio.sleep(cancel_at_s - elapsed)
        task.cancel()
    stats = await task
    return stats, sensor


def assert_every_delivered_sample_once_in_order(rec, sensor):
    g, raw = sensor.delivered_rows()
    assert rec.n_samples == g.size
    np.testing.assert_allclose(rec.acc_g, raw[:, :3] * ACC_G_PER_LSB, atol=6e-6)
    np.testing.assert_allclose(rec.gyr_dps, raw[:, 3:] * GYR_DPS_PER_LSB, atol=6e-5)
    # the recording's sample_index is the sensor's own sample number, also across gaps
    np.testing.assert_array_equal(rec.sample_index - rec.sample_index[0], g - g[0])


def test_60s_stream_every_delivered_sample_appears_once_in_order(tmp_path, virtual_run):
    out = tmp_path / "run.csv"
    stats, sensor = virtual_run(capture(out, duration_s=60.0))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert 60 * RATE - 19 <= rec.n_samples <= 60 * RATE + 19
    assert stats.samples_written == rec.n_samples and stats.ended_by == "duration"
    assert (stats.samples_lost, stats.packets_lost, stats.malformed_packets, stats.reconnects) == (0, 0, 0, 0)
    assert rec.gaps == [] and rec.sample_rate_hz == RATE
    np.testing.assert_allclose(np.diff(rec.t_s), 1 / RATE, atol=1.5e-6)
    assert rec.metadata["device"] == "virtual-imu" and rec.metadata["firmware"] == "1.2.3"
    assert rec.metadata["placement"] == "sacrum" and rec.metadata["ble_address"] == SENSOR_ADDRESS
    assert not sensor.streaming  # the collector sent STOP


def test_injected_drops_and_corrupt_packets_are_counted_exactly(tmp_path, virtual_run):
    out = tmp_path / "lossy.csv"
    stats, sensor = virtual_run(capture(out, duration_s=20.0, drop_packets=frozenset({5, 40, 41, 100}),
                                        corrupt_packets=frozenset({60, 61})))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert stats.malformed_packets == 2
    assert "announces 19 samples (240 bytes) but has 235 bytes" in stats.first_malformed
    assert stats.packets_lost == 6
    assert stats.samples_lost == 6 * 19
    assert [g.missing_samples for g in rec.gaps] == [19, 38, 38, 19]
    assert [g.missing_samples for g in stats.gaps] == [19, 38, 38, 19]


def test_3000_ppm_clock_drift_is_recovered(tmp_path, virtual_run):
    out = tmp_path / "drift.csv"
    stats, sensor = virtual_run(capture(out, duration_s=60.0, drift_ppm=3000.0))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert abs(stats.clock_drift_ppm - 3000.0) < 100.0  # 1e-4
    # t_s is the sensor's clock: exactly 1/200 s apart; host time runs 3000 ppm slower
    np.testing.assert_allclose(np.diff(rec.t_s), 1 / RATE, atol=1.5e-6)
    host_per_device = (rec.host_time_s[-1] - rec.host_time_s[0]) / (rec.t_s[-1] - rec.t_s[0])
    assert host_per_device == pytest.approx(1 / 1.003, abs=1e-4)


def test_link_loss_reconnects_and_marks_the_gap(tmp_path, virtual_run):
    out = tmp_path / "reconnect.csv"
    stats, sensor = virtual_run(capture(out, duration_s=30.0, drop_link_at_s=(10.0,)))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert (stats.disconnects, stats.reconnects, sensor.starts) == (1, 1, 2)
    assert stats.samples_lost == 0 and stats.packets_lost == 0
    (gap,) = stats.gaps
    assert gap.reason == "reconnect"
    g, _ = sensor.delivered_rows()
    jump = int(np.max(np.diff(g)))
    assert gap.missing_samples == jump - 1 == stats.samples_in_gaps
    assert 0.5 * RATE < jump < 10 * RATE  # backoff 0.5 s + reconnection + START
    assert [g.missing_samples for g in rec.gaps] == [jump - 1]
    assert rec.t_s[-1] > 28.0


def test_a_silent_stream_is_restarted(tmp_path, virtual_run):
    out = tmp_path / "stall.csv"
    stats, sensor = virtual_run(capture(out, duration_s=30.0, hang_at_packet=60))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert (stats.stalls, stats.reconnects, sensor.starts) == (1, 1, 2)
    (gap,) = stats.gaps
    assert gap.reason == "reconnect" and 5.0 < gap.end_s - gap.start_s < 8.0  # 5 s stall timeout + reconnect


def test_a_sensor_that_never_streams_is_given_up(tmp_path, virtual_run):
    with pytest.raises(CaptureError, match="sent no data after 5 \\(re\\)starts"):
        virtual_run(capture(tmp_path / "mute.csv", source=SampleSource.synthetic(10, RATE), duration_s=300.0))


def test_cancel_ends_cleanly_with_the_file_closed(tmp_path, virtual_run):
    out = tmp_path / "ctrl_c.csv"
    stats, sensor = virtual_run(capture(out, cancel_at_s=5.0))
    assert isinstance(stats, CaptureStats) and stats.ended_by == "cancelled"
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert rec.warnings == []  # no truncated last line: the file was closed
    assert 3.5 < rec.t_s[-1] < 5.0  # 5 s after the task started, minus connecting
    assert not sensor.streaming


def test_requested_rate_and_device_found_by_name(tmp_path, virtual_run):
    out = tmp_path / "by_name.csv"

    async def main():
        central, sensor = await make_radio(SampleSource.synthetic(RATE * 30, RATE), odr_hz=100)
        found = await scan_devices(2.0, backend=bumble_scanner_backend(central))
        stats = await record(SENSOR_NAME, out, rate_hz=100, duration_s=5.0, backend=bumble_backend(central),
                             scanner_backend=bumble_scanner_backend(central))
        return found, stats

    found, stats = virtual_run(main())
    assert [(d.name, d.address, d.kind, d.streams) for d in found] == [
        (SENSOR_NAME, SENSOR_ADDRESS, "formlab IMU profile", "acc+gyro")]
    rec = read_recording(out)
    assert rec.sample_rate_hz == 100 and stats.rate_hz == 100
    np.testing.assert_allclose(np.diff(rec.t_s), 0.01, atol=1.5e-6)


def test_unknown_device_name_is_a_one_line_error(tmp_path, virtual_run):
    async def main():
        central, _ = await make_radio(SampleSource.synthetic(RATE * 10, RATE))
        await record("waist-imu-99", tmp_path / "x.csv", scan_timeout_s=2.0, backend=bumble_backend(central),
                     scanner_backend=bumble_scanner_backend(central))

    with pytest.raises(CaptureError, match="^no BLE device named or addressed 'waist-imu-99' found in 2 s$"):
        virtual_run(main())
    assert not (tmp_path / "x.csv").exists()


def test_real_clock_capture(tmp_path, capsys):
    """Same path on the real asyncio clock (3 s), with a measured arrival -> written latency."""
    out = tmp_path / "real.csv"
    stats, sensor = asyncio.run(capture(out, duration_s=3.0))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert rec.n_samples > 2.5 * RATE
    assert 0 < stats.latency_percentile_ms(50) < 50
    print_stats(stats)
    printed = capsys.readouterr().out
    assert f"{stats.samples_written} samples" in printed and "ended: duration" in printed


def test_streamed_recording_analyses_to_the_simulated_cadence(tmp_path, virtual_run):
    """The virtual sensor streams a simulated run; the captured CSV analyses to its cadence."""
    sim = simulate(treadmill_params(Runner(cadence_spm=172.0), duration_s=45.0, standing_s=10.0, rate_hz=RATE),
                   seed=3)
    out = tmp_path / "simulated_run.csv"
    stats, sensor = virtual_run(capture(out, source=SampleSource(sim.recording.acc_g, sim.recording.gyr_dps),
                                        duration_s=sim.params.duration_s + 5.0))
    rec = read_recording(out)
    assert_every_delivered_sample_once_in_order(rec, sensor)
    assert rec.t_s[-1] > 50.0
    cadence_spm = analyze(rec).summary["metrics"]["cadence_spm"]
    assert cadence_spm == pytest.approx(172.0, abs=1.0)
    assert cadence_spm == pytest.approx(sim.truth_summary["metrics"]["cadence_spm"], abs=0.5)
