"""The formlab profile codec: every field, wrap-around, malformed input (spec/ble-profile.md)."""

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formlab.ble import protocol
from formlab.ble.protocol import PacketError


def test_data_packet_fields_decode_little_endian():
    samples = [(1, -2, 3, -4, 5, -6), (32767, -32768, 0, 100, -100, 7)]
    payload = struct.pack("<BBHII", 1, 2, 0xBEEF, 0x01020304, 0xA0B0C0D0) + struct.pack("<12h", *sum(samples, ()))
    packet = protocol.decode_data(payload)
    assert packet.seq == 0xBEEF
    assert packet.sample_index == 0x01020304
    assert packet.t_first_us == 0xA0B0C0D0
    assert packet.n == 2
    assert packet.raw.tolist() == [list(s) for s in samples]


def test_encode_wraps_counters_and_round_trips():
    raw = np.arange(19 * 6, dtype=np.int16).reshape(19, 6) - 50
    payload = protocol.encode_data(seq=65_536 + 3, sample_index=(1 << 32) + 7, t_first_us=(1 << 32) + 11, raw=raw)
    assert len(payload) == 12 + 12 * 19 == 240  # fits one notification at MTU 247
    packet = protocol.decode_data(payload)
    assert (packet.seq, packet.sample_index, packet.t_first_us) == (3, 7, 11)
    np.testing.assert_array_equal(packet.raw, raw)


def test_empty_packet_is_allowed():
    packet = protocol.decode_data(protocol.encode_data(5, 0, 0, np.zeros((0, 6))))
    assert packet.n == 0 and packet.seq == 5


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "shorter than the 12-byte header"),
        (bytes([1, 0, 0, 0, 0]), "shorter than the 12-byte header"),
        (struct.pack("<BBHII", 2, 0, 0, 0, 0), "version 2, expected 1"),
        (struct.pack("<BBHII", 1, 2, 0, 0, 0) + bytes(12), "announces 2 samples (36 bytes) but has 24 bytes"),
        (struct.pack("<BBHII", 1, 1, 0, 0, 0) + bytes(13), "announces 1 samples (24 bytes) but has 25 bytes"),
    ],
)
def test_malformed_data_packets_say_what_is_wrong(payload, message):
    with pytest.raises(PacketError, match=message.replace("(", r"\(").replace(")", r"\)")):
        protocol.decode_data(payload)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_packet_error(payload):
    try:
        packet = protocol.decode_data(payload)
    except PacketError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert len(payload) == 12 + 12 * packet.n
        assert protocol.encode_data(packet.seq, packet.sample_index, packet.t_first_us, packet.raw) == payload


@given(
    seq=st.integers(0, 2**16 - 1),
    index=st.integers(0, 2**32 - 1),
    t_us=st.integers(0, 2**32 - 1),
    raw=st.lists(st.tuples(*[st.integers(-32768, 32767)] * 6), max_size=19),
)
def test_round_trip_any_valid_packet(seq, index, t_us, raw):
    arr = np.array(raw, dtype=np.int16).reshape(-1, 6)
    packet = protocol.decode_data(protocol.encode_data(seq, index, t_us, arr))
    assert (packet.seq, packet.sample_index, packet.t_first_us) == (seq, index, t_us)
    np.testing.assert_array_equal(packet.raw, arr)


def test_info_round_trip_and_size():
    info = protocol.Info(flags=3, odr_hz=208, accel_g_per_lsb=16 / 32768, gyro_dps_per_lsb=2000 / 32768,
                         clock_hz=1_000_000, max_samples_per_packet=19)
    payload = protocol.encode_info(info)
    assert len(payload) == protocol.INFO_SIZE == 20
    decoded = protocol.decode_info(payload)
    assert decoded.odr_hz == 208 and decoded.clock_hz == 1_000_000 and decoded.max_samples_per_packet == 19
    assert decoded.accel_g_per_lsb == pytest.approx(16 / 32768) and decoded.gyro_dps_per_lsb == pytest.approx(2000 / 32768)
    assert decoded.has_gyro


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((2, 3, 200, 0.001, 0.06, 10**6, 19, 0), "INFO version 2"),
        ((1, 2, 200, 0.001, 0.06, 10**6, 19, 0), "no accelerometer"),
        ((1, 3, 0, 0.001, 0.06, 10**6, 19, 0), "odr_hz is 0"),
        ((1, 3, 200, -0.001, 0.06, 10**6, 19, 0), "accel_g_per_lsb -0.001"),
        ((1, 3, 200, 0.001, float("nan"), 10**6, 19, 0), "gyro_dps_per_lsb nan"),
        ((1, 3, 200, 0.001, 0.06, 0, 19, 0), "clock_hz is 0"),
        ((1, 3, 200, 0.001, 0.06, 10**6, 0, 0), "max_samples_per_packet is 0"),
    ],
)
def test_bad_info_is_rejected(fields, message):
    with pytest.raises(PacketError, match=message):
        protocol.decode_info(struct.pack("<BBHffIBB", *fields) + bytes(2))


def test_short_info_is_rejected():
    with pytest.raises(PacketError, match="INFO of 10 bytes, expected 20"):
        protocol.decode_info(bytes(10))


def test_control_commands_round_trip():
    assert protocol.encode_start(200, 10) == bytes([0x01, 200, 0, 10])
    start = protocol.decode_command(protocol.encode_start(1000, 0))
    assert (start.opcode, start.odr_hz, start.samples_per_packet) == (protocol.OP_START, 1000, 0)
    assert protocol.decode_command(protocol.encode_stop()).opcode == protocol.OP_STOP
    assert protocol.decode_command(protocol.encode_sync()).opcode == protocol.OP_SYNC


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty CONTROL write"),
        (bytes([0x01, 200]), "START of 2 bytes, expected 4"),
        (bytes([0x01, 0, 0, 0]), "START with odr_hz 0"),
        (bytes([0x02, 0]), "takes no arguments"),
        (bytes([0x7F]), "unknown CONTROL opcode 0x7f"),
    ],
)
def test_bad_commands_are_rejected(payload, message):
    with pytest.raises(PacketError, match=message):
        protocol.decode_command(payload)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40))
def test_any_bytes_as_info_or_command_raise_only_packet_error(payload):
    for decode in (protocol.decode_info, protocol.decode_command):
        try:
            decode(payload)
        except PacketError:
            pass
