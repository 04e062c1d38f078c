"""Polar PMD codec: the SDK's own test vectors byte for byte, round trips, malformed frames.

Test vectors are transcribed from the public Polar BLE SDK (github.com/polarofficial/
polar-ble-sdk), Android unit tests under
``sources/Android/android-communications/library/src/test/java/com/polar/androidcommunications/
api/ble/model/gatt/client/pmd/``: ``model/AccDataTest.kt``, ``model/GyrDataTest.kt``,
``model/PmdTimeStampUtilsTest.kt``, ``PmdSettingTest.kt``, ``BlePmdClientControlPointResponseTest.kt``,
``BlePmdClientParsersTest.kt`` and ``PmdDataFrameValidationTest.kt``. Each test names the SDK test it
replays; the hex is copied from the SDK test's comments and byte arrays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formlab.ble import polar
from formlab.ble.adapter import PacketError
from formlab.ble.polar import MeasurementType as M
from formlab.ble.polar import SettingType as S

# AccDataTest `process acc raw data frame type 1`: header, then 36 samples int16 x y z (mG).
ACC_RAW_TYPE1 = bytes.fromhex(
    "02 00 94 35 77 00 00 00 00 01"
    "F7 FF FF FF E7 03 F8 FF FE FF E5 03 F9 FF FF FF E5 03 FA FF FF FF E6 03 FA FF FE FF E6 03"
    "F9 FF FF FF E5 03 F8 FF FF FF E6 03 F8 FF FE FF E6 03 FA FF FF FF E5 03 FA FF FF FF E7 03"
    "FA FF FF FF E5 03 F8 FF FF FF E6 03 F7 FF FF FF E6 03 F8 FF FE FF E6 03 F9 FF FE FF E7 03"
    "F9 FF 00 00 E6 03 F9 FF FF FF E6 03 F7 FF FE FF E5 03 F9 FF FF FF E5 03 F9 FF FF FF E5 03"
    "FA FF 00 00 E6 03 F9 FF FE FF E6 03 F8 FF FF FF E6 03 F8 FF FF FF E5 03 F9 FF FF FF E6 03"
    "F9 FF FF FF E5 03 FA FF FF FF E6 03 F9 FF FF FF E5 03 F9 FF FF FF E5 03 F8 FF FE FF E6 03"
    "F9 FF FF FF E6 03 F9 FF FF FF E6 03 F9 FF 00 00 E5 03 F9 FF FE FF E6 03 F8 FF FE FF E6 03"
    "F7 FF FE FF E6 03"
)

# AccDataTest `process acc compressed data type 0`: reference sample + one 10-bit block of 56.
ACC_COMPRESSED_TYPE0 = bytes.fromhex(
    "02 00 94 35 77 00 00 00 00 80"
    "71 07 F0 6A 9E 8D 0A 38 BE 5C BE BA 2F 96 B3 EE 4B E5 AD FB 42 B9 EB BE 4C FE BA 2F 92 BF"
    "EE 4B E4 B1 FB 12 B9 EC BD 3C 3E BB 2F 8F D3 DE 4B E3 B5 F7 D2 B8 ED BD 30 7E 7B 2F 8B E3"
    "CE 8B E2 BA F7 A2 B8 EE BC 20 BE 7B 2F 88 F3 CE CB E1 BD EF 52 F8 EF BC 18 FE 3B 2F 84 03"
    "BF CB E0 C2 EF 32 B8 F0 BB 04 4E BC 2E 81 13 AF 0B E0 C6 EF F2 F7 F1 B9 FC 7D BC 2E 7D 27"
    "9F 4B DF CA EB C2 F7 F2 B8 EC CD 7C 2E 7B 37 8F 4B DE CE E3 92 F7 F3 B8 E0 0D FD 2D 77 4B"
    "7F CB DD D2 DF 62 37 F5 B7 D4 4D BD 2D 74 5B 6F CB DC D7 D7 32 37 F6 B5 C8 8D 7D 2D 71 6B"
    "4F 4B DC DC D3 F2 36 F7 B4 BC DD FD 2C 6F 7B 3F 4B DB E0 CF D2 36 F8 B2 B0 2D BE 2C 6C 8F"
    "1F CB DA E3 C7 A2 76 F9"
)

# AccDataTest `process acc compressed data type 1`: timestamp 101, one 6-bit delta block.
ACC_COMPRESSED_TYPE1 = bytes.fromhex("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08")

# GyrDataTest `process gyro compressed data type 0`: timestamp 2^63-1, one 3-bit delta block.
GYR_COMPRESSED_TYPE0 = bytes.fromhex("05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00")

# GyrDataTest `process gyro compressed data type 1`: float32 reference, one 28-bit block.
GYR_COMPRESSED_TYPE1 = bytes.fromhex(
    "05 00 94 35 77 00 00 00 00 81"
    "00 00 80 3F 00 00 20 41 00 00 A0 41 1C 01 00 00 A0 01 00 00 08 CD CC EC 0D"
)


# BlePmdClientParsersTest `test_parseDeltaFrameAllSamples_multipleDeltas`: 16-bit reference,
# ten delta blocks of 3 and 4 bits (payload only; here behind an ACC compressed type 1 header).
MULTI_BLOCK_16BIT_PAYLOAD = bytes.fromhex(
    "C9 FF 12 00 11 00 03 09 41 FE 2B 0F 9C 0B BF 15 00 4F 00 04 1E F1 EF 00 F0 C1 23 E4 ED F4"
    "D1 F1 F1 F5 FF 22 DE 31 00 F1 FE 21 02 1F 0E 2B 1F 00 E2 20 00 0E 02 E1 1E 20 FF F1 F1 02"
    "C5 D0 02 E0 E1 02 03 0A 31 2E FB BA 90 2B AA 0E 23 40 9E 03 04 14 E3 EF F3 0F 02 1F 01 E0"
    "0F 04 9E 13 E2 D0 04 E2 22 E2 C2 0E 20 0F 20 02 FE 00 0F 1C 32 EE 03 0A 89 00 07 08 7C 00"
    "CE 2F E8 3A 9E 03 04 1E 01 00 11 19 4F 00 2F 12 FD 13 FF 0E 10 00 00 F1 C0 12 E4 EF 21 00"
    "00 01 F1 FF FF 02 10 10 2B 51 0B 4E 31 FC 2E BF 31 14 EC 0E 2F 52 EF 03 0A 06 9E 04 0E 02"
    "A8 88 EE E0 07 9A 00 04 0A 1F 21 1E 4E 2E FE C6 C0 02 EF 03 01 02 EE 11 03 0A F8 13 00 00"
    "F0 40 BF A5 E7 00 76 00"
)

# BlePmdClientParsersTest `test_parseDeltaFrameAllSamples_withResolution32_realVector1`: float32
# reference, blocks of 28 and 32 bits, twice (payload only; here behind a GYRO type 1 header).
_BLOCK_28 = (
    "1C 06 00 00 A0 01 00 00 08 CD CC EC 0D 00 00 08 CD CC EC 3D 33 33 1A CD CC EC 3D 33 33 1A"
    "00 00 C0 30 33 33 1A 00 00 C0 A0 99 99 DA 00 00 C0 A0 99 99 DA 66 66 A6 A1 99 99 DA 66 66"
    "A6 01 00 00 0E"
)
_BLOCK_32 = (
    "20 03 66 66 A6 01 00 00 E0 00 42 6C 45 0E 00 00 E0 00 42 6C 45 0E 2B F8 ED 21 00 00 60 FD"
    "BE 93 BA F0 93 9B 4C CF"
)
FLOAT_REAL_VECTOR_PAYLOAD = bytes.fromhex(
    "00 00 80 3F 00 00 20 41 00 00 A0 41" + _BLOCK_28 + _BLOCK_32 + _BLOCK_28 + _BLOCK_32
)

# BlePmdClientParsersTest `test_parseDeltaFrameAllSamples_withResolution32`: one 32-bit block of 17.
FLOAT_32BIT_BLOCK_PAYLOAD = bytes.fromhex(
    "02 00 00 00 19 32 99 E9 00 DA FE FF 20 11 17 32 99 E9 E7 A7 65 16 38 DB 06 46 E7 A7 65 16"
    "38 DB 06 46 73 41 3B B8 7A 26 04 01 C9 0A FF 59 77 07 D1 32 87 BF 01 9F 21 3E 0D 91 E5 01"
    "76 AD 21 3E 0D 91 E5 01 76 AD 92 01 38 CD E5 01 76 AD 92 01 38 CD 00 54 84 87 92 01 38 CD"
    "00 54 84 87 78 CB EE 40 00 54 84 87 78 CB EE 40 F1 DE CC 8B 78 CB EE 40 F1 DE CC 8B 17 32"
    "99 E9 F1 DE CC 8B 17 32 99 E9 E7 A7 65 16 17 32 99 E9 E7 A7 65 16 38 DB 06 46 E7 A7 65 16"
    "38 DB 06 46 73 41 3B B8 7A 26 04 01 C9 0A FF 59 77 07 D1 32 87 BF 01 9F 21 3E 0D 91 E5 01"
    "76 AD 21 3E 0D 91 E5 01 76 AD 92 01 38 CD E5 01 76 AD 92 01 38 CD 00 54 84 87 92 01 38 CD"
    "00 54 84 87 78 CB EE 40"
)
ACC_TYPE1_HEADER = bytes.fromhex("02 00 00 00 00 00 00 00 01 81")
GYR_TYPE1_HEADER = bytes.fromhex("05 00 00 00 00 00 00 00 01 81")


def f32(bits: int) -> float:
    return float(np.array([bits], dtype=np.uint32).view(np.float32)[0])


# --------------------------------------------------------------------------- SDK test vectors


def test_sdk_acc_raw_type1():
    frame = polar.parse_frame(ACC_RAW_TYPE1)
    assert (frame.measurement, frame.compressed, frame.frame_type) == (M.ACC, False, 1)
    assert frame.timestamp_ns == 2_000_000_000
    values = polar.frame_values(frame)
    assert values.shape == (36, 3)  # 216 bytes / 2 bytes / 3 channels
    np.testing.assert_array_equal(values[:2], [[-9, -1, 999], [-8, -2, 997]])
    acc_g = polar.frame_samples(frame)
    np.testing.assert_allclose(acc_g[0], [-0.009, -0.001, 0.999])
    # the SDK's first frame at 52 Hz: the last sample carries the frame timestamp
    t_ns = polar.sample_times_ns(None, frame.timestamp_ns, 36, 52.0)
    assert t_ns[-1] == 2_000_000_000


def test_sdk_acc_compressed_type0():
    frame = polar.parse_frame(ACC_COMPRESSED_TYPE0)
    assert (frame.measurement, frame.compressed, frame.frame_type) == (M.ACC, True, 0)
    values = polar.frame_values(frame)
    assert values.shape == (57, 3)  # reference + 56 deltas
    np.testing.assert_array_equal(values[0], [1905, 27376, -29282])
    np.testing.assert_array_equal(values[1], [1905 + 190, 27376 - 105, -29282 - 85])
    factor = np.float32(2.44e-4)
    mg = polar.frame_samples(frame, float(factor)) * 1000.0
    np.testing.assert_array_equal(np.trunc(mg[:2]).astype(int), np.trunc(values[:2] * factor * 1000))
    assert np.all(np.abs(mg) <= 8 * 1000)  # the SDK's range check for 8 g
    prev = 100
    t_ns = polar.sample_times_ns(prev, frame.timestamp_ns, 57, 0.0)
    assert round(t_ns[0]) == round(prev + (2_000_000_000 - prev) / 57)
    assert t_ns[-1] == 2_000_000_000


def test_sdk_acc_compressed_type1():
    frame = polar.parse_frame(ACC_COMPRESSED_TYPE1)
    values = polar.frame_values(frame)
    np.testing.assert_array_equal(values, [[-15, 20, 1008], [-20, 17, 1008]])
    t_ns = polar.sample_times_ns(100, frame.timestamp_ns, 2, 0.0)
    np.testing.assert_array_equal(np.round(t_ns), [100, 101])  # Kotlin round(): half to even


def test_sdk_gyro_compressed_type0():
    frame = polar.parse_frame(GYR_COMPRESSED_TYPE0)
    assert frame.timestamp_ns == 9_223_372_036_854_775_807
    np.testing.assert_array_equal(polar.frame_values(frame), [[-22, 8, 13], [-23, 11, 16]])
    np.testing.assert_array_equal(polar.frame_samples(frame, 1.0), [[-22, 8, 13], [-23, 11, 16]])


def test_sdk_gyro_compressed_type1_and_factor():
    frame = polar.parse_frame(GYR_COMPRESSED_TYPE1)
    expected = [
        [f32(0x3F800000), f32(0x41200000), f32(0x41A00000)],
        [f32(0x3F800000 + 0x1A00000), f32(0x41200000 + 0x0800000), f32((0x41A00000 + 0xFDECCCCD) % 2**32)],
    ]
    np.testing.assert_array_equal(polar.frame_samples(frame, 1.0), expected)
    np.testing.assert_array_equal(polar.frame_samples(frame, 0.5), 0.5 * np.array(expected))
    assert expected[1] == [10.0, 20.0, f32(0x3F8CCCCD)]


def test_sdk_multiple_delta_blocks():
    values = polar.frame_values(polar.parse_frame(ACC_TYPE1_HEADER + MULTI_BLOCK_16BIT_PAYLOAD))
    assert values.shape == (1 + 9 + 30 + 10 + 20 + 10 + 30 + 10 + 10 + 10, 3)
    np.testing.assert_array_equal(values[:2], [[-55, 18, 17], [-54, 18, 18]])


def test_sdk_float_delta_blocks_of_28_and_32_bits():
    values = polar.frame_values(polar.parse_frame(GYR_TYPE1_HEADER + FLOAT_REAL_VECTOR_PAYLOAD))
    assert values.shape == (1 + 6 + 3 + 6 + 3, 3)
    np.testing.assert_array_equal(values[0], [0x3F800000, 0x41200000, 0x41A00000])
    np.testing.assert_array_equal(
        values[1], [0x3F800000 + 0x1A00000, 0x41200000 + 0x0800000, (0x41A00000 + 0xFDECCCCD) % 2**32]
    )
    values = polar.frame_values(polar.parse_frame(GYR_TYPE1_HEADER + FLOAT_32BIT_BLOCK_PAYLOAD))
    assert values.shape == (18, 3)
    np.testing.assert_array_equal(values[0], [0x00000002, 0xE9993219, 0xFFFEDA00])
    np.testing.assert_array_equal(  # int32 addition of the bit patterns, wrapping
        values[1], [(0x2 + 0xE9993217) % 2**32, (0xE9993219 + 0x1665A7E7) % 2**32, (0xFFFEDA00 + 0x4606DB38) % 2**32]
    )


def test_sdk_sample_times():
    # PmdTimeStampUtilsTest: from the rate when there is no previous frame
    np.testing.assert_array_equal(
        polar.sample_times_ns(None, 10_000_000_000, 10, 1.0), np.arange(1, 11) * 1e9
    )
    np.testing.assert_array_equal(polar.sample_times_ns(None, 1_000_000_000, 1, 1.0), [1e9])
    # ... and from the previous frame's timestamp
    np.testing.assert_array_equal(
        polar.sample_times_ns(1_000_000_000, 11_000_000_000, 10, 1.0), np.arange(2, 12) * 1e9
    )
    t = polar.sample_times_ns(100, 2_000_000_000, 3, 1.0)
    np.testing.assert_array_equal(np.round(t), [round(666666733.33), round(1333333366.66), 2e9])
    np.testing.assert_array_equal(polar.sample_times_ns(1_000_000_000, 2_000_000_000, 1, 1.0), [2e9])
    # `assert on invalid input, time stamps are negative`
    with pytest.raises(PacketError, match="too early"):
        polar.sample_times_ns(None, 100_000, 100, 52.0)


def test_sdk_settings():
    # PmdSettingTest testPmdSettingsWithRange
    data = bytes.fromhex("00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03")
    assert polar.parse_settings(data) == {
        S.SAMPLE_RATE: (52,),
        S.RESOLUTION: (16,),
        S.RANGE: (245, 500, 1000, 2000),
        S.CHANNELS: (3,),
    }
    # testPmdSettingWithRangeMilliUnit
    data = bytes.fromhex("03 02 FF FF FF FF FF 00 00 00 01 01 0E 00")
    assert polar.parse_settings(data) == {S.RANGE_MILLIUNIT: (-1, 0xFF), S.RESOLUTION: (14,)}
    # testPmdSelectedSerialization: what is serialized comes back, FACTOR is never sent
    selected = {S.SAMPLE_RATE: 0x7FFF, S.RESOLUTION: 0, S.RANGE: 15, S.CHANNELS: 4, S.FACTOR: 15}
    command = polar.parse_command(polar.encode_start(M.ACC, selected))
    assert command.settings == {S.SAMPLE_RATE: (0x7FFF,), S.RESOLUTION: (0,), S.RANGE: (15,), S.CHANNELS: (4,)}


def test_sdk_control_point_responses():
    # BlePmdClientControlPointResponseTest
    ok = polar.parse_response(bytes.fromhex("F0 01 02 00 00 FF FF FF"))
    assert (ok.op, ok.measurement, ok.status, ok.more, ok.parameters) == (1, 2, 0, False, b"\xff\xff\xff")
    bad = polar.parse_response(bytes.fromhex("F0 01 06 07 00"))
    assert (bad.op, bad.measurement, bad.status, bad.more, bad.parameters) == (1, 6, 7, False, b"")
    assert bad.describe() == "Polar PMD GET_SETTINGS MAG: invalid resolution"


def test_documented_start_commands():
    # H10 accelerometer 200 Hz, 16 bit, 8 g (Polar Measurement Data specification example)
    assert polar.encode_start(M.ACC, {S.SAMPLE_RATE: 200, S.RESOLUTION: 16, S.RANGE: 8}) == bytes.fromhex(
        "02 02 00 01 C8 00 01 01 10 00 02 01 08 00"
    )
    # Verity Sense accelerometer 52 Hz, 16 bit, 8 g, 3 channels (polar-ble-sdk issue #331)
    command = {S.SAMPLE_RATE: 52, S.RESOLUTION: 16, S.RANGE: 8, S.CHANNELS: 3}
    assert polar.encode_start(M.ACC, command) == bytes.fromhex(
        "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"
    )


def test_sdk_frame_too_short():
    # PmdDataFrameValidationTest: 9 bytes is one short of the header
    with pytest.raises(PacketError, match="9 bytes is shorter than its 10-byte header"):
        polar.parse_frame(bytes(9))
    with pytest.raises(PacketError, match="0 bytes"):
        polar.parse_frame(b"")


# --------------------------------------------------------------------------- malformed frames


@pytest.mark.parametrize(
    "frame, message",
    [
        (bytes([4]) + bytes(9), "unknown measurement type 4"),
        (bytes([5]) + bytes(8) + b"\x00" + bytes(6), "GYRO raw frame type 0 is not a defined layout"),
        (bytes([2]) + bytes(8) + b"\x83" + bytes(6), "ACC compressed frame type 3"),
        (ACC_RAW_TYPE1[:-1], "not a whole number of 6-byte samples"),
        (ACC_RAW_TYPE1[:10], "not a whole number"),
        (ACC_COMPRESSED_TYPE1[:14], "shorter than its 6-byte reference sample"),
        (ACC_COMPRESSED_TYPE1[:17], "ends inside a delta block header"),
        (ACC_COMPRESSED_TYPE1[:-1], "needs 3 bytes, only 2 left"),
        (ACC_COMPRESSED_TYPE1[:16] + b"\x00\x01\x00", "delta width 0 bits outside 1..32"),
        (ACC_COMPRESSED_TYPE1[:16] + b"\x28\x01" + bytes(15), "delta width 40 bits"),
    ],
)
def test_malformed_frames_are_rejected_with_a_clear_message(frame, message):
    with pytest.raises(PacketError, match=message):
        polar.frame_samples(polar.parse_frame(frame))


def test_non_finite_floats_are_rejected():
    nan_bits = np.array([[0x7FC00000, 0, 0]], dtype=np.int64)
    frame = polar.parse_frame(polar.encode_compressed_frame(M.GYRO, 10**9, 1, nan_bits))
    with pytest.raises(PacketError, match="non-finite"):
        polar.frame_samples(frame)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_decode_or_raise_packet_error(data):
    try:
        frame = polar.parse_frame(data)
        samples = polar.frame_samples(frame, 0.5)
    except PacketError as exc:
        assert "\n" not in str(exc)
        return
    assert samples.ndim == 2 and samples.shape[1] == 3 and np.all(np.isfinite(samples))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(GYR_COMPRESSED_TYPE1) - 1), st.integers(0, 255))
def test_fuzz_single_byte_corruption(position, value):
    data = bytearray(ACC_COMPRESSED_TYPE0 if position % 2 else GYR_COMPRESSED_TYPE1)
    data[position] = value
    try:
        polar.frame_samples(polar.parse_frame(bytes(data)))
    except PacketError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_fuzz_control_point_parsers(data):
    for parse in (polar.parse_settings, polar.parse_response, polar.parse_features, polar.parse_command):
        try:
            parse(data)
        except PacketError:
            pass


# --------------------------------------------------------------------------- round trips


def int_samples(bits: int):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return arrays(np.int64, st.tuples(st.integers(1, 80), st.just(3)), elements=st.integers(lo, hi))


@settings(max_examples=60, deadline=None)
@given(int_samples(8), int_samples(16), int_samples(24), st.integers(1, 2**62))
def test_round_trip_raw_accelerometer(v8, v16, v24, ts):
    for frame_type, values in ((0, v8), (1, v16), (2, v24)):
        frame = polar.parse_frame(polar.encode_raw_frame(M.ACC, ts, frame_type, values))
        assert frame.timestamp_ns == ts
        np.testing.assert_array_equal(polar.frame_values(frame), values)
        np.testing.assert_allclose(polar.frame_samples(frame), values * 1e-3)


@settings(max_examples=60, deadline=None)
@given(int_samples(16), st.integers(1, 255), st.integers(1, 2**62))
def test_round_trip_compressed_integer_frames(values, block, ts):
    for measurement, frame_type in ((M.ACC, 0), (M.ACC, 1), (M.GYRO, 0)):
        data = polar.encode_compressed_frame(measurement, ts, frame_type, values, block_samples=block)
        frame = polar.parse_frame(data)
        assert (frame.measurement, frame.compressed, frame.frame_type) == (measurement, True, frame_type)
        np.testing.assert_array_equal(polar.frame_values(frame), values)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float32, st.tuples(st.integers(1, 40), st.just(3)),
           elements=st.floats(-4000, 4000, width=32)),
    st.integers(1, 255),
)
def test_round_trip_compressed_float_gyroscope(dps, block):
    bits = dps.view(np.uint32).astype(np.int64)
    frame = polar.parse_frame(polar.encode_compressed_frame(M.GYRO, 5, 1, bits, block_samples=block))
    np.testing.assert_array_equal(polar.frame_samples(frame), dps.astype(np.float64))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([S.SAMPLE_RATE, S.RESOLUTION, S.RANGE, S.CHANNELS]),
        st.lists(st.integers(0, 255), min_size=1, max_size=6).map(tuple),
    ),
    st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=2).map(tuple),
)
def test_round_trip_settings(settings_map, factors):
    full = dict(settings_map)
    full[S.FACTOR] = factors
    assert polar.parse_settings(polar.encode_settings(full)) == full


def test_round_trip_control_point_messages():
    for kinds in ({M.ACC}, {M.ECG, M.ACC}, {M.PPG, M.ACC, M.PPI, M.GYRO, M.MAG}):
        assert polar.parse_features(polar.encode_features(kinds)) == kinds
    params = polar.encode_settings({S.FACTOR: (0.061,)})
    response = polar.parse_response(polar.encode_response(2, 5, 0, params))
    assert response.ok and polar.parse_settings(response.parameters)[S.FACTOR][0] == pytest.approx(0.061)
    failed = polar.parse_response(polar.encode_response(2, 2, 8))
    assert not failed.ok and failed.describe() == "Polar PMD START ACC: invalid sample rate"
    stop = polar.parse_command(polar.encode_stop(M.GYRO))
    assert (stop.op, stop.measurement, stop.settings) == (3, 5, {})
