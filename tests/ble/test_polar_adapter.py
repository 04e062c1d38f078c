"""Polar adapter decoding without a radio: frame timing, accelerometer/gyroscope pairing, loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formlab.ble import polar
from formlab.ble.adapter import PacketError
from formlab.ble.polar import MeasurementType as M

RATE_HZ = 208
T0_NS = 700_000_000_000_000_000


def stamp(g: int) -> int:
    return T0_NS + round(g * 1e9 / RATE_HZ)


def started_adapter(streams=(M.ACC, M.GYRO)) -> polar.PolarVeritySenseAdapter:
    """The adapter as configure() + start() leave it (no BLE needed to decode)."""
    adapter = polar.PolarVeritySenseAdapter()
    adapter._measurements, adapter._rate_hz = list(streams), float(RATE_HZ)
    adapter._factor = {kind: 1.0 for kind in streams}
    return adapter


def interleaved_frames(n_acc=20, n_gyr=28, acc_size=36, gyr_size=25):
    """ACC frames of 36 samples and GYRO frames of 25, in arrival order. Sample g carries
    acceleration g mG and angular rate g deg/s on every axis, so a wrong pairing shows."""
    values = np.repeat(np.arange(1000)[:, None], 3, axis=1)
    frames = []
    for kind, count, size, frame_type, lag in ((M.ACC, n_acc, acc_size, 1, 0.0), (M.GYRO, n_gyr, gyr_size, 0, 0.5)):
        for k in range(count):
            g0 = k * size
            data = polar.encode_compressed_frame(kind, stamp(g0 + size - 1), frame_type, values[g0 : g0 + size])
            frames.append((g0 + size + lag, kind, k, data))
    return sorted(frames, key=lambda f: f[0])


def decode_all(adapter, frames, drop=()):
    batches = []
    for _, kind, number, data in frames:
        if (kind, number) not in drop:
            batches += adapter.decode(data)
    return batches


def rows_of(batch) -> np.ndarray:
    """Source rows of a batch from its device timestamp (last sample at ticks_at)."""
    last = round((batch.device_ticks - T0_NS) * RATE_HZ / 1e9)
    return np.arange(last - batch.ticks_at, last + batch.n - batch.ticks_at)


@pytest.mark.parametrize("drop", [(), ((M.ACC, 2),), ((M.GYRO, 3), (M.GYRO, 4)), ((M.ACC, 5), (M.GYRO, 9))])
def test_pairs_by_time_and_drops_only_what_lost_its_partner(drop):
    batches = decode_all(started_adapter(), interleaved_frames(), drop)
    rows = np.concatenate([rows_of(b) for b in batches])
    for b in batches:  # acceleration and angular rate of one sample belong together
        np.testing.assert_allclose(b.acc_g * 1000, b.gyr_dps)
        np.testing.assert_allclose(b.acc_g[:, 0] * 1000, rows_of(b))
    size = {M.ACC: 36, M.GYRO: 25}
    lost = {g for kind, k in drop for g in range(k * size[kind], (k + 1) * size[kind])}
    expected = np.array(sorted(set(range(700)) - lost))  # gyro frames cover rows 0..699
    np.testing.assert_array_equal(rows, expected)


def test_acc_only_stream_gives_one_batch_per_frame_stamped_at_its_last_sample():
    adapter = started_adapter((M.ACC,))
    frame = polar.encode_raw_frame(M.ACC, stamp(35), 1, np.zeros((36, 3)))
    (batch,) = adapter.decode(frame)
    assert (batch.n, batch.ticks_at, batch.device_ticks, batch.gyr_dps) == (36, 35, stamp(35), None)


def test_frames_of_streams_not_started_are_rejected():
    adapter = started_adapter((M.ACC,))
    gyro = polar.encode_compressed_frame(M.GYRO, stamp(10), 0, np.zeros((5, 3)))
    with pytest.raises(PacketError, match="GYRO frame arrived but that stream was not started"):
        adapter.decode(gyro)


def test_repeated_or_backward_timestamps_are_rejected_then_decoding_goes_on():
    adapter = started_adapter((M.ACC,))
    first = polar.encode_raw_frame(M.ACC, stamp(35), 1, np.zeros((36, 3)))
    adapter.decode(first)
    with pytest.raises(PacketError, match="does not advance"):
        adapter.decode(first)
    restarted = polar.encode_raw_frame(M.ACC, stamp(0), 1, np.zeros((36, 3)))
    with pytest.raises(PacketError, match="does not advance"):
        adapter.decode(restarted)
    (after,) = adapter.decode(polar.encode_raw_frame(M.ACC, stamp(36), 1, np.zeros((36, 3))))
    assert after.n == 36


def test_name_matching():
    assert polar.PolarH10Adapter.matches("Polar H10 B5A24E2B", [])
    assert polar.PolarVeritySenseAdapter.matches("Polar Sense B5A24E2B", [])
    assert not polar.PolarVeritySenseAdapter.matches("Polar H10 B5A24E2B", [])
    assert not polar.PolarH10Adapter.matches(None, [polar.PMD_SERVICE_UUID])
    # connected by address, no name: the PMD service found by discovery is enough
    assert polar.PolarVeritySenseAdapter.matches(None, [polar.PMD_SERVICE_UUID.upper()])
    assert not polar.PolarVeritySenseAdapter.matches("Polar H10 B5A24E2B", [polar.PMD_SERVICE_UUID])
    assert not polar.PolarVeritySenseAdapter.matches("Garmin HRM", ["0000180d-0000-1000-8000-00805f9b34fb"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=60), st.sampled_from([f[3] for f in interleaved_frames(3, 4)])),
                max_size=12))
def test_fuzz_payload_sequences_decode_or_raise_packet_error(payloads):
    adapter = started_adapter()
    for payload in payloads:
        try:
            batches = adapter.decode(payload)
        except PacketError as exc:
            assert "\n" not in str(exc)
            continue
        for b in batches:
            assert b.gyr_dps is not None and b.gyr_dps.shape == b.acc_g.shape
            assert np.all(np.isfinite(b.acc_g)) and 0 <= b.ticks_at < b.n
