"""Polar H10 and Verity Sense end to end: virtual PMD sensor -> bumble -> bleak -> collector -> CSV.

The virtual sensor (``virtual_polar.py``) streams a simulated run (:mod:`formlab.simulate`);
the production collector records it through bleak's public API over the bumble test backend,
on a virtual clock (``virtual_time.py``), so a 60 s stream takes a few seconds. The recording
is then analysed with :func:`formlab.analysis.analyze` and its cadence compared with the
simulated one; loss is compared with what the sensor actually dropped.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from bumble_backend import bumble_backend, bumble_scanner_backend
from virtual_polar import H10, VERITY_SENSE, advertised_name, make_polar_radio, polar_ble_device
from virtual_sensor import SampleSource
from virtual_time import run_virtual

from formlab.analysis import analyze
from formlab.ble.collector import CaptureError, record
from formlab.ble.polar import MeasurementType as M
from formlab.ble.scan import scan_devices
from formlab.recording import read_recording
from formlab.simulate import Runner, mount_from_euler_deg, simulate, treadmill_params

CADENCE_SPM = 172.0


def simulated_source(rate_hz: float, seconds: float = 75.0) -> tuple[SampleSource, float]:
    """A standing start then steady running at CADENCE_SPM, sensor clipped on turned and tilted."""
    params = treadmill_params(
        Runner(cadence_spm=CADENCE_SPM, speed_mps=3.3),
        duration_s=seconds - 10.0,
        standing_s=10.0,
        rate_hz=rate_hz,
        R_sensor_from_body=mount_from_euler_deg(90.0, 10.0, 180.0),
    )
    sim = simulate(params, seed=3)
    rec = sim.recording
    return SampleSource(rec.acc_g, rec.gyr_dps), float(sim.truth_summary["metrics"]["cadence_spm"])


async def capture(model, source, out: Path, duration_s: float, during=None, **sensor_options):
    central, sensor = await make_polar_radio(source, model, **sensor_options)
    task = asyncio.ensure_future(
        record(polar_ble_device(model), out, duration_s=duration_s, backend=bumble_backend(central),
               metadata={"placement": "sacrum"})
    )
    if during is not None:
        await during(sensor)
    stats = await task
    return stats, sensor


@pytest.mark.parametrize("model, rate_hz", [(H10, 200.0), (VERITY_SENSE, 208.0)])
def test_60_s_stream_analyses_to_the_simulated_cadence(tmp_path, monkeypatch, model, rate_hz):
    source, true_cadence = simulated_source(rate_hz)
    out = tmp_path / "run.csv"
    stats, sensor = run_virtual(capture(model, source, out, 60.0, drift_ppm=35.0), monkeypatch)

    rec = read_recording(out)
    assert rec.metadata["sample_rate_hz"] == f"{rate_hz:g}"
    assert rec.metadata["device"] == ("Polar H10" if model is H10 else "Polar Verity Sense")
    assert rec.metadata["firmware"] == model.firmware
    assert rec.metadata["manufacturer"] == "Polar Electro Oy"
    assert (rec.gyr_dps is not None) == (model is VERITY_SENSE)
    assert stats.samples_lost == 0 and stats.malformed_packets == 0
    assert not sensor.streaming and not sensor.in_sdk_mode  # stopped, SDK mode left at the end
    assert 59.0 < rec.t_s[-1] - rec.t_s[0] < 60.5
    # the sensor clock runs 35 ppm fast: the device->host fit sees it (frames arrive with
    # 7.5-15 ms latency, Verity batches wait for their partner frame: a few ppm over 60 s)
    assert stats.clock_drift_ppm == pytest.approx(35.0, abs=15.0)
    # every sample the sensor sent is in the file, in g, on the sensor's axes (±1 mG quantization)
    rows = sensor.sent_rows(M.ACC)
    if model is VERITY_SENSE:  # a sample is written once both halves arrived
        rows = np.intersect1d(rows, sensor.sent_rows(M.GYRO))
    assert rec.n_samples == rows.size
    np.testing.assert_allclose(rec.acc_g, source.acc_g[rows], atol=0.0006)
    if model is VERITY_SENSE:
        np.testing.assert_allclose(rec.gyr_dps, source.gyr_dps[rows], atol=2000 / 32768)

    analysis = analyze(rec)
    cadence = analysis.summary["metrics"]["cadence_spm"]
    assert cadence == pytest.approx(true_cadence, abs=1.0)
    assert true_cadence == pytest.approx(CADENCE_SPM, abs=1.0)


@pytest.mark.parametrize("model, rate_hz", [(H10, 200.0), (VERITY_SENSE, 208.0)])
def test_dropped_frames_are_counted_exactly(tmp_path, monkeypatch, model, rate_hz):
    source, _ = simulated_source(rate_hz, seconds=30.0)
    drops = {(M.ACC, 20), (M.ACC, 21), (M.ACC, 57)}
    if model is VERITY_SENSE:
        drops |= {(M.GYRO, 40), (M.GYRO, 90)}
    out = tmp_path / "lossy.csv"
    stats, sensor = run_virtual(
        capture(model, source, out, 20.0, drop_frames=frozenset(drops), corrupt_frames=frozenset({(M.ACC, 70)})),
        monkeypatch,
    )
    lost = sensor.lost_rows()
    expected = len(lost)
    assert expected > 0
    assert stats.malformed_packets == 1  # the frame cut short
    assert stats.samples_lost == expected
    rec = read_recording(out)
    assert rec.sample_index is not None
    assert rec.sample_index[-1] - rec.sample_index[0] + 1 == rec.n_samples + expected
    assert sum(g.missing_samples for g in rec.gaps) == expected


@pytest.mark.parametrize("model, rate_hz", [(H10, 200.0), (VERITY_SENSE, 208.0)])
def test_forced_disconnect_reconnects_and_marks_the_gap(tmp_path, monkeypatch, model, rate_hz):
    source, _ = simulated_source(rate_hz, seconds=30.0)
    out = tmp_path / "gap.csv"

    async def drop_once(sensor):
        await asyncio.sleep(8.0)
        await sensor.drop_link()

    stats, sensor = run_virtual(capture(model, source, out, 20.0, during=drop_once), monkeypatch)
    assert stats.disconnects == 1 and stats.reconnects == 1
    assert sensor.starts == (2 if model is H10 else 4)  # every stream started again
    (gap,) = stats.gaps
    assert gap.reason == "reconnect"
    # the hole in what the sensor sent is the gap, on the sensor's clock (±1 sample)
    rows = sensor.sent_rows(M.ACC)
    if model is VERITY_SENSE:
        rows = np.intersect1d(rows, sensor.sent_rows(M.GYRO))
    (k,) = np.flatnonzero(np.diff(rows) > 1)
    assert gap.start_s == pytest.approx((rows[k] - rows[0]) / rate_hz, abs=1e-3)
    assert gap.end_s == pytest.approx((rows[k + 1] - rows[0]) / rate_hz, abs=1.5 / rate_hz)
    assert abs(gap.missing_samples - (rows[k + 1] - rows[k] - 1)) <= 1
    assert 5.0 < gap.start_s < 8.0  # the link dropped 8 s into the capture (connecting took ~1 s)
    rec = read_recording(out)
    (file_gap,) = [g for g in rec.gaps if g.missing_samples > 10]
    assert file_gap.start_s == pytest.approx(gap.start_s)
    # every written row is a sample the sensor sent, once, in order: no loss, no duplicate
    assert rec.n_samples == rows.size
    np.testing.assert_allclose(rec.acc_g, source.acc_g[rows], atol=0.5e-3 + 1e-6)  # sent as whole mg
    if model is VERITY_SENSE:
        np.testing.assert_allclose(rec.gyr_dps, source.gyr_dps[rows], atol=0.1)


@pytest.mark.parametrize(
    "model, kind, streams, rate_hz",
    [(H10, "Polar H10", "acc (25-200 Hz)", 100),
     (VERITY_SENSE, "Polar Verity Sense", "acc+gyro (26-416 Hz in SDK mode)", 104)],
)
def test_devices_scan_recognises_it_and_record_finds_it_by_name(tmp_path, virtual_run, model, kind, streams, rate_hz):
    """What ``formlab devices`` lists, and ``formlab record --device "<name>"`` as a coach types it."""
    source, _ = simulated_source(200.0, seconds=20.0)
    out = tmp_path / "by_name.csv"

    async def main():
        central, sensor = await make_polar_radio(source, model)
        found = await scan_devices(2.0, backend=bumble_scanner_backend(central))
        stats = await record(advertised_name(model), out, rate_hz=rate_hz, duration_s=4.0,
                             backend=bumble_backend(central), scanner_backend=bumble_scanner_backend(central))
        return found, stats

    found, stats = virtual_run(main())
    assert [(d.name, d.kind, d.streams) for d in found] == [(advertised_name(model), kind, streams)]
    assert stats.rate_hz == rate_hz and stats.kind == kind and stats.samples_lost == 0
    rec = read_recording(out)
    assert rec.sample_rate_hz == rate_hz
    np.testing.assert_allclose(np.diff(rec.t_s), 1 / rate_hz, atol=1e-6)


def test_unsupported_rate_is_refused_naming_the_supported_ones(tmp_path, virtual_run):
    source, _ = simulated_source(208.0, seconds=20.0)

    async def main():
        central, sensor = await make_polar_radio(source, VERITY_SENSE)
        return await record(polar_ble_device(VERITY_SENSE), tmp_path / "x.csv", rate_hz=100, duration_s=2.0,
                            backend=bumble_backend(central))

    with pytest.raises(CaptureError, match="rate 100 Hz not supported; supported: 26, 52, 104, 208, 416 Hz"):
        virtual_run(main())


def test_verity_sense_without_sdk_mode_streams_at_the_52_hz_it_offers(tmp_path, virtual_run):
    """Firmware older than 1.1.5 has no SDK mode: formlab takes the 52 Hz it offers and says so."""
    old_firmware = dataclasses.replace(VERITY_SENSE, sdk_mode=False, firmware="1.1.4")
    source, _ = simulated_source(52.0, seconds=20.0)

    async def main():
        central, sensor = await make_polar_radio(source, old_firmware)
        stats = await record(polar_ble_device(old_firmware), tmp_path / "old.csv", duration_s=4.0,
                             backend=bumble_backend(central))
        return stats, sensor

    stats, sensor = virtual_run(main())
    assert stats.rate_hz == 52 and stats.samples_written > 2 * 52 and not sensor.in_sdk_mode
    rec = read_recording(tmp_path / "old.csv")
    assert rec.metadata["firmware"] == "1.1.4" and "polar_sdk_mode" not in rec.metadata
    assert rec.gyr_dps is not None
