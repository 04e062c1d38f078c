"""Movesense GSP codec: the vendor's own bytes, hand-assembled IMU6 frames, round trips, fuzz.

Vendor bytes come from the Movesense device library, ``samples/gatt_sensordata_app``:
``GATTSensorDataClient.cpp`` (the HELLO answer ``01 ref "Hello"``, the full-table error
``01 ref 01 FB`` = 507) and ``python_client/movesense_sensor_data.py`` (subscribe
``01 63 "/Meas/Acc/13"``, unsubscribe ``02 63``). The vendor publishes no captured data
notifications, so the IMU6 frame below is assembled by hand from the documented layout
(timestamp u32 ms, then the accelerometer block, then the gyroscope block, float32 LE).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formlab.ble import movesense as ms
from formlab.ble.adapter import PacketError
from formlab.frames import G_MPS2

# ts = 1000 ms; acc (1.0, -2.0, 9.5), (0.0, 0.0, 1.0) m/s²; gyro (0.5, 10.0, -20.0), (0, 0, 2.0) dps
IMU6_TWO_SAMPLES = bytes.fromhex(
    "E8 03 00 00"
    "00 00 80 3F 00 00 00 C0 00 00 18 41" "00 00 00 00 00 00 00 00 00 00 80 3F"
    "00 00 00 3F 00 00 20 41 00 00 A0 C1" "00 00 00 00 00 00 00 00 00 00 00 40"
)


def configured_adapter() -> ms.MovesenseAdapter:
    """An adapter in the state configure() leaves it in (no BLE needed to decode)."""
    adapter = ms.MovesenseAdapter()
    adapter._rate_hz, adapter._configured = 104, True
    return adapter


def test_vendor_command_bytes():
    assert ms.encode_subscribe(99, "/Meas/Acc/13") == bytes([1, 99]) + b"/Meas/Acc/13"
    assert ms.encode_unsubscribe(99) == bytes([2, 99])
    assert ms.encode_hello(7) == bytes([0, 7])
    assert ms.encode_subscribe(ms.STREAM_REF, ms.imu6_path(208)) == b"\x01\x63/Meas/IMU6/208"
    command = ms.parse_command(b"\x01\x63/Meas/IMU6/104")
    assert (command.command, command.ref, command.path) == (ms.Command.SUBSCRIBE, 0x63, "/Meas/IMU6/104")


def test_vendor_command_results():
    hello = ms.parse_notification(bytes([1, 7]) + b"Hello")
    assert (hello.kind, hello.ref, ms.result_status(hello.body)) == (ms.Reply.COMMAND_RESULT, 7, None)
    full = ms.parse_notification(bytes([1, 7, 0x01, 0xFB]))
    assert ms.result_status(full.body) == 507
    assert ms.encode_result(7, 507) == bytes([1, 7, 0x01, 0xFB])
    adapter = configured_adapter()
    assert adapter.decode(bytes([1, 0x63]) + b"Hello") == []
    with pytest.raises(PacketError, match="refused subscription 99: HTTP status 507"):
        adapter.decode(bytes([1, 0x63, 0x01, 0xFB]))


def test_hand_assembled_imu6_frame():
    batch = ms.decode_imu6(IMU6_TWO_SAMPLES)
    assert batch.timestamp_ms == 1000
    np.testing.assert_array_equal(batch.acc_mps2, [[1.0, -2.0, 9.5], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(batch.gyr_dps, [[0.5, 10.0, -20.0], [0.0, 0.0, 2.0]])
    assert ms.encode_imu6(1000, batch.acc_mps2, batch.gyr_dps) == IMU6_TWO_SAMPLES
    (out,) = configured_adapter().decode(bytes([2, 0x63]) + IMU6_TWO_SAMPLES)
    np.testing.assert_allclose(out.acc_g, batch.acc_mps2 / G_MPS2)
    np.testing.assert_array_equal(out.gyr_dps, batch.gyr_dps)
    assert (out.device_ticks, out.ticks_at, out.sample_index) == (1000, 0, None)


def test_split_message_is_reassembled():
    rng = np.random.default_rng(1)
    body = ms.encode_imu6(4_294_967_000, rng.normal(size=(8, 3)), rng.normal(size=(8, 3)) * 100)
    parts = ms.encode_notifications(ms.Reply.DATA, 0x63, body, max_bytes=158)  # ATT MTU 161
    assert [p[0] for p in parts] == [2, 3] and len(parts[0]) == 158
    adapter = configured_adapter()
    assert adapter.decode(parts[0]) == []
    (out,) = adapter.decode(parts[1])
    expected = ms.decode_imu6(body)
    assert out.device_ticks == 4_294_967_000 and out.n == 8
    np.testing.assert_array_equal(out.gyr_dps, expected.gyr_dps)
    # a first part whose continuation was lost is dropped; the next message decodes
    assert adapter.decode(parts[0]) == []
    (again,) = adapter.decode(bytes([2, 0x63]) + IMU6_TWO_SAMPLES)
    assert again.n == 2
    with pytest.raises(PacketError, match="continuation .* without the first part"):
        adapter.decode(parts[1])


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x02", "1 bytes needs a kind and a reference"),
        (b"\x07\x63", "kind 7 is not 1, 2 or 3"),
        (bytes([2, 0x64]) + IMU6_TWO_SAMPLES, "reference 100, not our stream 99"),
        (bytes([3, 0x63]) + IMU6_TWO_SAMPLES, "without the first part"),
        (bytes([1, 0x63, 1]), "neither Hello nor a status"),
    ],
)
def test_malformed_notifications_are_rejected(payload, message):
    with pytest.raises(PacketError, match=message):
        configured_adapter().decode(payload)


@pytest.mark.parametrize(
    "body, message",
    [
        (IMU6_TWO_SAMPLES[:4], "4 bytes is not a 4-byte timestamp plus 24-byte samples"),
        (IMU6_TWO_SAMPLES[:-1], "51 bytes"),
        (IMU6_TWO_SAMPLES[:4] + np.array([np.nan] * 6, "<f4").tobytes(), "non-finite"),
    ],
)
def test_malformed_imu6_bodies_are_rejected(body, message):
    with pytest.raises(PacketError, match=message):
        ms.decode_imu6(body)


def test_bad_commands_are_rejected():
    with pytest.raises(PacketError, match="needs a command and a reference"):
        ms.parse_command(b"\x01")
    with pytest.raises(PacketError, match="command 9"):
        ms.parse_command(b"\x09\x01")
    with pytest.raises(PacketError, match="not ASCII"):
        ms.parse_command(b"\x01\x01\xff")


@settings(max_examples=50, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    arrays(np.float32, st.tuples(st.integers(1, 20), st.just(6)), elements=st.floats(-1e4, 1e4, width=32)),
    st.integers(30, 250),
)
def test_round_trip_imu6_through_notifications(ts, values, max_bytes):
    # notifications whose first part could end on a sample boundary are ambiguous by protocol
    # (see movesense.is_whole_imu6); no common MTU gives one
    assume((max_bytes - 2 - 4) % 24 != 0)
    body = ms.encode_imu6(ts, values[:, :3], values[:, 3:])
    try:
        parts = ms.encode_notifications(ms.Reply.DATA, ms.STREAM_REF, body, max_bytes)
    except ValueError:  # needs more than two notifications: not a GSP message
        assert len(body) > 2 * (max_bytes - 2)
        return
    adapter = configured_adapter()
    batches = [b for p in parts for b in adapter.decode(p)]
    assert len(batches) == 1 and batches[0].device_ticks == ts
    np.testing.assert_array_equal(batches[0].gyr_dps, values[:, 3:].astype(np.float64))
    np.testing.assert_allclose(batches[0].acc_g * G_MPS2, values[:, :3].astype(np.float64), rtol=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=6))
def test_fuzz_payload_sequences_decode_or_raise_packet_error(payloads):
    adapter = configured_adapter()
    for payload in payloads:
        try:
            batches = adapter.decode(payload)
        except PacketError as exc:
            assert "\n" not in str(exc)
            continue
        for batch in batches:
            assert np.all(np.isfinite(batch.acc_g)) and np.all(np.isfinite(batch.gyr_dps))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_fuzz_command_and_body_parsers(data):
    for parse in (ms.parse_command, ms.parse_notification, ms.decode_imu6, ms.result_status):
        try:
            parse(data)
        except PacketError:
            pass
