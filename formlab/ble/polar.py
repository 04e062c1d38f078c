"""Polar Measurement Data (PMD) service: frame codec and the Polar device adapters.

Facts follow the public Polar BLE SDK (github.com/polarofficial/polar-ble-sdk), Android sources
``api/ble/model/gatt/client/pmd/`` (``PmdDataFrame.kt``, ``BlePMDClient.kt``, ``PmdSetting.kt``,
``PmdControlPointResponse.kt``, ``model/AccData.kt``, ``model/GyrData.kt``,
``model/PmdTimeStampUtils.kt``) and their unit tests, which ``tests/ble/test_polar_codec.py``
replays byte for byte. The code here is our own.

Wire format (all little-endian):

* **Data frame** (notification on ``PMD_DATA``): ``type u8 · timestamp u64 · frame_type u8 ·
  payload``. ``timestamp`` is the sensor clock in ns since 2000-01-01 at the frame's *last*
  sample; bit 7 of ``frame_type`` marks a delta-compressed frame, bits 0-6 the frame type.
  Raw frames hold samples back to back (int8 / int16 / int24 per channel for accelerometer
  types 0 / 1 / 2). Compressed frames hold one reference sample (channels × whole bytes), then
  blocks ``width u8 · count u8 · count × channels deltas of width bits``, bit-packed LSB
  first, two's complement, each block padded to a whole byte; every sample is the previous
  one plus its delta. For IEEE-754 channels the delta is added to the float's bit pattern.
* **Control point** (write, indicate on ``PMD_CP``): ``01 type`` asks for the settings,
  ``02 type settings…`` starts, ``03 type`` stops. Settings are ``id u8 · count u8 ·
  count × value`` with value sizes by id (rate 2, resolution 2, range 2, range in milli-units
  4, channels 1, factor 4 = float32). The answer is ``F0 op type status more parameters…``;
  a read of the control point gives the feature map ``0F bitmask…``.

Units: accelerometer raw frames and compressed type 1 are milli-g (compressed type 1 times the
start response's factor when there is one); compressed type 0 is g after the factor
(``AccData.kt``). Gyroscope frames are deg/s after the factor (``GyrData.kt``).

Sample times (``PmdTimeStampUtils.kt``): the n samples of a frame are spread evenly over the
interval from the previous frame's timestamp (exclusive) to this frame's (inclusive); for the
first frame after a start, at the nominal period ending at the frame's timestamp. This follows
the sensor clock, drift included, frame by frame.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from formlab.ble.adapter import (
    DecodedBatch,
    DeviceAdapter,
    PacketError,
    PayloadCallback,
    StreamInfo,
    choose_rate,
    read_device_information,
    register_adapter,
)

if TYPE_CHECKING:
    from bleak import BleakClient

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CP_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

HEADER_BYTES = 10
"""Type (1) + timestamp (8) + frame type (1)."""
CP_RESPONSE_CODE = 0xF0
FEATURE_READ_CODE = 0x0F
COMPRESSED_BIT = 0x80
POLAR_EPOCH_UNIX_S = 946_684_800
"""2000-01-01T00:00:00Z in Unix seconds: the epoch of Polar sensor time."""


class MeasurementType(IntEnum):
    """PMD measurement types (``PmdMeasurementType.kt``)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6


#: Feature-map bit of each measurement type in byte 1 of the control-point read.
FEATURE_BITS = {
    MeasurementType.ECG: 0x01,
    MeasurementType.PPG: 0x02,
    MeasurementType.ACC: 0x04,
    MeasurementType.PPI: 0x08,
    MeasurementType.GYRO: 0x20,
    MeasurementType.MAG: 0x40,
}


class SettingType(IntEnum):
    """Measurement setting ids (``PmdSetting.kt``)."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


SETTING_BYTES = {
    SettingType.SAMPLE_RATE: 2,
    SettingType.RESOLUTION: 2,
    SettingType.RANGE: 2,
    SettingType.RANGE_MILLIUNIT: 4,
    SettingType.CHANNELS: 1,
    SettingType.FACTOR: 4,
}


class ControlOp(IntEnum):
    """Client-to-sensor control point commands (``PmdControlPointCommand.kt``)."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3


#: Control point status codes (``PmdControlPointResponse.kt``).
STATUS_TEXT = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "device in charger",
    14: "disk full",
}

Settings = dict[SettingType, tuple[float, ...]]


# ----------------------------------------------------------------------------- data frames


@dataclass(frozen=True)
class PmdFrame:
    """One PMD data frame, header decoded, payload still packed."""

    measurement: MeasurementType
    timestamp_ns: int
    frame_type: int
    compressed: bool
    payload: bytes


@dataclass(frozen=True)
class _Layout:
    """How the samples of one (measurement, compressed, frame type) are packed."""

    channel_bits: int  # resolution of the reference / raw sample per channel
    is_float: bool  # IEEE-754 float32 channels (deltas added to the bit pattern)
    unit_scale: float  # physical value = raw (× factor) × unit_scale, in g or deg/s


#: Frame layouts the SDK defines for the streams formlab uses (``AccData.kt``, ``GyrData.kt``).
LAYOUTS: dict[tuple[MeasurementType, bool, int], _Layout] = {
    (MeasurementType.ACC, False, 0): _Layout(8, False, 1e-3),  # int8, mG
    (MeasurementType.ACC, False, 1): _Layout(16, False, 1e-3),  # int16, mG
    (MeasurementType.ACC, False, 2): _Layout(24, False, 1e-3),  # int24, mG
    (MeasurementType.ACC, True, 0): _Layout(16, False, 1.0),  # × factor = g
    (MeasurementType.ACC, True, 1): _Layout(16, False, 1e-3),  # (× factor) mG
    (MeasurementType.GYRO, True, 0): _Layout(16, False, 1.0),  # × factor = deg/s
    (MeasurementType.GYRO, True, 1): _Layout(32, True, 1.0),  # float32 × factor = deg/s
}
CHANNELS = 3


def parse_frame(data: bytes) -> PmdFrame:
    """Split a PMD data notification into header fields and payload.

    Raises PacketError for a frame shorter than the header, an unknown measurement type or a
    frame layout the SDK does not define for accelerometer / gyroscope.
    """
    data = bytes(data)
    if len(data) < HEADER_BYTES:
        raise PacketError(f"PMD frame of {len(data)} bytes is shorter than its 10-byte header")
    try:
        measurement = MeasurementType(data[0])
    except ValueError:
        raise PacketError(f"PMD frame has unknown measurement type {data[0]}") from None
    timestamp_ns = int.from_bytes(data[1:9], "little")
    compressed = bool(data[9] & COMPRESSED_BIT)
    frame_type = data[9] & 0x7F
    if (measurement, compressed, frame_type) not in LAYOUTS:
        kind = "compressed" if compressed else "raw"
        raise PacketError(
            f"PMD {measurement.name} {kind} frame type {frame_type} is not a defined layout"
        )
    return PmdFrame(measurement, timestamp_ns, frame_type, compressed, data[HEADER_BYTES:])


def encode_frame(frame: PmdFrame) -> bytes:
    """The notification bytes of ``frame`` (inverse of :func:`parse_frame`)."""
    type_byte = (COMPRESSED_BIT if frame.compressed else 0) | frame.frame_type
    return (
        bytes([int(frame.measurement)])
        + frame.timestamp_ns.to_bytes(8, "little")
        + bytes([type_byte])
        + frame.payload
    )


def _layout(frame: PmdFrame) -> _Layout:
    return LAYOUTS[(frame.measurement, frame.compressed, frame.frame_type)]


def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement sign extension of unsigned ``bits``-wide integers (int64 array)."""
    values = values.astype(np.int64)
    return np.where(values >= (1 << (bits - 1)), values - (1 << bits), values)


def _little_endian_ints(buf: bytes, n_values: int, n_bytes: int) -> np.ndarray:
    """``n_values`` unsigned little-endian integers of ``n_bytes`` each."""
    b = np.frombuffer(buf, dtype=np.uint8, count=n_values * n_bytes).reshape(n_values, n_bytes)
    weights = (1 << (8 * np.arange(n_bytes, dtype=np.int64))).astype(np.int64)
    return (b.astype(np.int64) * weights).sum(axis=1)


def _decode_raw(payload: bytes, layout: _Layout) -> np.ndarray:
    step = layout.channel_bits // 8 * CHANNELS
    if not payload or len(payload) % step:
        raise PacketError(
            f"raw PMD payload of {len(payload)} bytes is not a whole number of {step}-byte samples"
        )
    n = len(payload) // step
    ints = _little_endian_ints(payload, n * CHANNELS, layout.channel_bits // 8)
    return _signed(ints, layout.channel_bits).reshape(n, CHANNELS)


def _decode_compressed(payload: bytes, layout: _Layout) -> np.ndarray:
    """Reference sample plus delta blocks -> (n, 3) int64 (float32 bit patterns for floats)."""
    ref_bytes = -(-layout.channel_bits // 8)
    offset = ref_bytes * CHANNELS
    if len(payload) < offset:
        raise PacketError(
            f"compressed PMD payload of {len(payload)} bytes is shorter than its "
            f"{offset}-byte reference sample"
        )
    ref = _little_endian_ints(payload, CHANNELS, ref_bytes)
    modulus = 1 << 32 if layout.is_float else None
    if not layout.is_float:
        ref = _signed(ref, ref_bytes * 8)
    blocks = [ref.reshape(1, CHANNELS)]
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise PacketError(f"compressed PMD payload ends inside a delta block header at byte {offset}")
        width, count = payload[offset], payload[offset + 1]
        offset += 2
        if not 1 <= width <= 32:
            raise PacketError(f"delta width {width} bits outside 1..32 at payload byte {offset - 2}")
        n_bits = width * count * CHANNELS
        n_bytes = -(-n_bits // 8)
        if offset + n_bytes > len(payload):
            raise PacketError(
                f"delta block of {count} samples × {width} bits needs {n_bytes} bytes, "
                f"only {len(payload) - offset} left"
            )
        bits = np.unpackbits(
            np.frombuffer(payload, dtype=np.uint8, count=n_bytes, offset=offset),
            bitorder="little",
        )[:n_bits].reshape(count * CHANNELS, width)
        unsigned = (bits.astype(np.int64) << np.arange(width, dtype=np.int64)).sum(axis=1)
        blocks.append(_signed(unsigned, width).reshape(count, CHANNELS))
        offset += n_bytes
    values = np.cumsum(np.concatenate(blocks), axis=0)
    if modulus is not None:
        values %= modulus
    return values


def frame_values(frame: PmdFrame) -> np.ndarray:
    """The frame's samples as the device counted them: (n, 3) int64, before any factor.

    For float32 layouts the int64 holds each float's IEEE-754 bit pattern.
    Raises PacketError for a payload that does not follow the layout.
    """
    layout = _layout(frame)
    if frame.compressed:
        return _decode_compressed(frame.payload, layout)
    return _decode_raw(frame.payload, layout)


def frame_samples(frame: PmdFrame, factor: float = 1.0) -> np.ndarray:
    """The frame's samples in physical units: (n, 3) float64, g (ACC) or deg/s (GYRO).

    ``factor`` is the FACTOR setting the start response returned (1.0 when none).
    Raises PacketError for a malformed payload or non-finite values.
    """
    layout = _layout(frame)
    values = frame_values(frame)
    if layout.is_float:
        physical = values.astype(np.uint32).view(np.float32).astype(np.float64)
    else:
        physical = values.astype(np.float64)
    physical = physical * (factor * layout.unit_scale)
    if not np.all(np.isfinite(physical)):
        raise PacketError(f"PMD {frame.measurement.name} frame decodes to non-finite values")
    return physical


def sample_times_ns(
    previous_ns: int | None, timestamp_ns: int, n: int, rate_hz: float
) -> np.ndarray:
    """Device times (ns) of the n samples of a frame whose last sample is at ``timestamp_ns``.

    Evenly spread over (previous_ns, timestamp_ns]; without a previous frame, at the nominal
    period 1/rate_hz ending at ``timestamp_ns`` (``PmdTimeStampUtils.kt``). Float64 ns.
    Raises PacketError when the timestamp does not advance.
    """
    if n < 1:
        raise PacketError("a PMD frame without samples has no sample times")
    if previous_ns is None:
        step = 1e9 / rate_hz
        if timestamp_ns < step * (n - 1):
            raise PacketError(
                f"PMD timestamp {timestamp_ns} ns is too early for {n} samples at {rate_hz:g} Hz"
            )
        return timestamp_ns - step * np.arange(n - 1, -1, -1, dtype=np.float64)
    if timestamp_ns <= previous_ns:
        raise PacketError(
            f"PMD timestamp {timestamp_ns} ns does not advance past the previous {previous_ns} ns"
        )
    step = (timestamp_ns - previous_ns) / n
    times = previous_ns + step * np.arange(1, n + 1, dtype=np.float64)
    times[-1] = timestamp_ns  # exactly the frame's stamp, no rounding
    return times


def encode_raw_frame(
    measurement: MeasurementType, timestamp_ns: int, frame_type: int, values: np.ndarray
) -> bytes:
    """A raw (uncompressed) frame of integer samples (n, 3), for tests and virtual devices."""
    layout = LAYOUTS[(MeasurementType(measurement), False, frame_type)]
    n_bytes = layout.channel_bits // 8
    lo, hi = -(1 << (layout.channel_bits - 1)), (1 << (layout.channel_bits - 1)) - 1
    values = np.asarray(values, dtype=np.int64).reshape(-1, CHANNELS)
    if values.size == 0 or values.min() < lo or values.max() > hi:
        raise ValueError(f"raw frame values must be 1+ samples within {lo}..{hi}")
    payload = b"".join(int(v).to_bytes(n_bytes, "little", signed=True) for v in values.ravel())
    return encode_frame(PmdFrame(MeasurementType(measurement), timestamp_ns, frame_type, False, payload))


def _pack_deltas(deltas: np.ndarray, width: int) -> bytes:
    """Bit-pack signed deltas LSB first, ``width`` bits each, padded to a whole byte."""
    unsigned = deltas.astype(np.int64) & ((1 << width) - 1)
    bits = ((unsigned[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(np.uint8)
    return np.packbits(bits.ravel(), bitorder="little").tobytes()


def encode_compressed_frame(
    measurement: MeasurementType,
    timestamp_ns: int,
    frame_type: int,
    values: np.ndarray,
    block_samples: int = 255,
) -> bytes:
    """A delta-compressed frame of samples (n, 3), for tests and virtual devices.

    Integer layouts take int samples; the float32 layout takes the IEEE-754 bit patterns
    (as from ``np.float32(x).view(np.uint32)``). Each block of at most ``block_samples``
    deltas uses the smallest width that holds them (at least 1 bit).
    """
    layout = LAYOUTS[(MeasurementType(measurement), True, frame_type)]
    values = np.asarray(values, dtype=np.int64).reshape(-1, CHANNELS)
    if values.shape[0] == 0 or not 1 <= block_samples <= 255:
        raise ValueError("need 1+ samples and 1..255 samples per delta block")
    ref_bytes = -(-layout.channel_bits // 8)
    parts = [
        b"".join(
            int(v).to_bytes(ref_bytes, "little", signed=not layout.is_float) for v in values[0]
        )
    ]
    deltas = np.diff(values, axis=0)
    if layout.is_float:  # float deltas act on 32-bit patterns, wrapping
        deltas = (deltas + (1 << 31)) % (1 << 32) - (1 << 31)
    for start in range(0, deltas.shape[0], block_samples):
        block = deltas[start : start + block_samples]
        biggest = int(np.max(np.maximum(block, -block - 1)))
        width = max(1, biggest.bit_length() + 1)
        if width > 32:
            raise ValueError(f"delta needs {width} bits, more than 32")
        parts.append(bytes([width, block.shape[0]]) + _pack_deltas(block.ravel(), width))
    return encode_frame(
        PmdFrame(MeasurementType(measurement), timestamp_ns, frame_type, True, b"".join(parts))
    )


# ----------------------------------------------------------------------------- control point


def parse_settings(data: bytes) -> Settings:
    """Settings ``id · count · values…`` -> {SettingType: values}; FACTOR values are floats.

    Raises PacketError for an unknown id or a truncated list.
    """
    data = bytes(data)
    settings: Settings = {}
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise PacketError(f"PMD settings end inside a setting header at byte {offset}")
        try:
            kind = SettingType(data[offset])
        except ValueError:
            raise PacketError(f"PMD settings have unknown setting id {data[offset]} at byte {offset}") from None
        count = data[offset + 1]
        size = SETTING_BYTES[kind]
        offset += 2
        if offset + count * size > len(data):
            raise PacketError(f"PMD setting {kind.name} with {count} values is truncated")
        chunk = data[offset : offset + count * size]
        if kind is SettingType.FACTOR:
            values: tuple[float, ...] = struct.unpack(f"<{count}f", chunk)
        else:
            signed = kind is SettingType.RANGE_MILLIUNIT  # int32 in the SDK's own test
            values = tuple(
                int.from_bytes(chunk[i * size : (i + 1) * size], "little", signed=signed)
                for i in range(count)
            )
        settings[kind] = values
        offset += count * size
    return settings


def encode_settings(settings: Mapping[SettingType, Iterable[float]]) -> bytes:
    """Inverse of :func:`parse_settings` (settings in id order)."""
    out = bytearray()
    for kind in sorted(settings):
        values = list(settings[kind])
        out += bytes([int(kind), len(values)])
        size = SETTING_BYTES[SettingType(kind)]
        for value in values:
            if kind is SettingType.FACTOR:
                out += struct.pack("<f", value)
            else:
                signed = kind is SettingType.RANGE_MILLIUNIT
                out += int(value).to_bytes(size, "little", signed=signed)
    return bytes(out)


def encode_get_settings(measurement: MeasurementType) -> bytes:
    """Control point command asking which settings a measurement supports."""
    return bytes([ControlOp.GET_SETTINGS, int(measurement)])


def encode_start(measurement: MeasurementType, selected: Mapping[SettingType, int]) -> bytes:
    """Control point command starting a measurement with one value per setting."""
    chosen = {k: (v,) for k, v in selected.items() if k is not SettingType.FACTOR}
    return bytes([ControlOp.START, int(measurement)]) + encode_settings(chosen)


def encode_stop(measurement: MeasurementType) -> bytes:
    """Control point command stopping a measurement."""
    return bytes([ControlOp.STOP, int(measurement)])


@dataclass(frozen=True)
class ControlCommand:
    """A control point write as the sensor sees it."""

    op: int
    measurement: int
    settings: Settings


def parse_command(data: bytes) -> ControlCommand:
    """Decode a control point write (used by the virtual sensor)."""
    data = bytes(data)
    if len(data) < 2:
        raise PacketError(f"PMD control command of {len(data)} bytes needs op and type")
    settings = parse_settings(data[2:]) if data[0] == ControlOp.START else {}
    return ControlCommand(data[0], data[1], settings)


@dataclass(frozen=True)
class ControlResponse:
    """A control point answer ``F0 op type status more parameters…``."""

    op: int
    measurement: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    def describe(self) -> str:
        """One line: which command failed and why."""
        status = STATUS_TEXT.get(self.status, f"status {self.status}")
        try:
            op = ControlOp(self.op).name
        except ValueError:
            op = f"op {self.op}"
        try:
            kind = MeasurementType(self.measurement).name
        except ValueError:
            kind = f"type {self.measurement}"
        return f"Polar PMD {op} {kind}: {status}"


def parse_response(data: bytes) -> ControlResponse:
    """Decode a control point indication. Raises PacketError if it is not a response."""
    data = bytes(data)
    if len(data) < 4 or data[0] != CP_RESPONSE_CODE:
        raise PacketError(f"not a PMD control point response: {data.hex(' ')}")
    status = data[3]
    more = status == 0 and len(data) > 4 and data[4] != 0
    parameters = data[5:] if status == 0 else b""
    return ControlResponse(data[1], data[2], status, more, parameters)


def encode_response(
    op: int, measurement: int, status: int = 0, parameters: bytes = b"", more: bool = False
) -> bytes:
    """Inverse of :func:`parse_response`."""
    head = bytes([CP_RESPONSE_CODE, op, measurement, status])
    return head + bytes([1 if more else 0]) + parameters if status == 0 else head + b"\x00"


def parse_features(data: bytes) -> set[MeasurementType]:
    """The measurement types a sensor offers, from a read of the control point."""
    data = bytes(data)
    if len(data) < 2 or data[0] != FEATURE_READ_CODE:
        raise PacketError(f"not a PMD feature map: {data.hex(' ')}")
    return {kind for kind, bit in FEATURE_BITS.items() if data[1] & bit}


def encode_features(kinds: Iterable[MeasurementType]) -> bytes:
    """Inverse of :func:`parse_features` (second feature byte zero)."""
    mask = 0
    for kind in kinds:
        mask |= FEATURE_BITS[MeasurementType(kind)]
    return bytes([FEATURE_READ_CODE, mask, 0])
