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


# ----------------------------------------------------------------------------- adapters

SDK_MODE_TYPE = 9
"""PMD measurement type that switches a Verity Sense into SDK mode (``SdkModeExplained.md``)."""
SDK_MODE_FEATURE_BIT = 0x02
"""Bit of feature-map byte 2 saying the sensor has an SDK mode (``PmdMeasurementType.kt``)."""
STATUS_ALREADY_IN_STATE = 6
CONTROL_TIMEOUT_S = 5.0
PERIOD_TOLERANCE = 0.25
"""A frame whose implied sample period is off the running estimate by more than this
fraction follows lost frames (or a clock step)."""
PERIOD_SMOOTHING = 0.05
"""Weight of each frame's implied period in the running estimate (follows crystal drift)."""
PAIRING_BUFFER_S = 2.0
"""An accelerometer (or gyroscope) sample waits at most this long for its partner."""


class _PolarPmdAdapter(DeviceAdapter):
    """Accelerometer (+ gyroscope when the sensor has one) over PMD.

    configure: read the Device Information strings and the PMD feature map, switch a sensor
    that has an SDK mode into it (the Verity Sense offers 26-416 Hz only there), ask each
    stream for its settings, pick one rate both streams support (``--rate`` or the highest
    ≤ 208 Hz) and the widest range and resolution. start: subscribe to PMD data, then start
    the streams; the start answers carry each stream's scale factor. decode: frames to g and
    deg/s; accelerometer and gyroscope samples, which arrive in separate frames, are paired
    by their device times (within half a sample period) and emitted together. A sample whose
    partner was lost is dropped; the gap shows in the device timestamps.
    """

    name_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._responses: asyncio.Queue[bytes] = asyncio.Queue()
        self._measurements: list[MeasurementType] = []
        self._selected: dict[MeasurementType, dict[SettingType, int]] = {}
        self._sdk_mode = False
        self._rate_hz = 0.0
        self._reset_decoding()

    def _reset_decoding(self) -> None:
        self._factor: dict[MeasurementType, float] = {}
        self._previous_ns: dict[MeasurementType, int] = {}
        self._period_ns: dict[MeasurementType, float] = {}
        self._pending_t: dict[MeasurementType, np.ndarray] = {}
        self._pending_v: dict[MeasurementType, np.ndarray] = {}

    @classmethod
    def matches(cls, name: str | None, service_uuids: Iterable[str]) -> bool:
        return bool(name) and name.startswith(cls.name_prefixes)

    # -- control point ------------------------------------------------------------------

    def _on_control(self, _char: object, data: bytearray) -> None:
        self._responses.put_nowait(bytes(data))

    async def _command(self, client: BleakClient, command: bytes) -> ControlResponse:
        """Write a control point command and wait for its answer (other indications skipped)."""
        await client.write_gatt_char(PMD_CP_UUID, command, response=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONTROL_TIMEOUT_S
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"Polar PMD: no answer to control command {command.hex(' ')}")
            raw = await asyncio.wait_for(self._responses.get(), remaining)
            if not raw or raw[0] != CP_RESPONSE_CODE:
                continue  # e.g. the sensor announcing that it stopped a stream
            response = parse_response(raw)
            if response.op == command[0] and response.measurement == command[1]:
                return response

    async def _set_sdk_mode(self, client: BleakClient, on: bool) -> ControlResponse:
        command = bytes([ControlOp.START if on else ControlOp.STOP, SDK_MODE_TYPE])
        return await self._command(client, command)

    # -- DeviceAdapter --------------------------------------------------------------------

    async def configure(self, client: BleakClient, rate_hz: float | None) -> StreamInfo:
        self._reset_decoding()
        self._responses = asyncio.Queue()
        dis = await read_device_information(client)
        feature_map = bytes(await client.read_gatt_char(PMD_CP_UUID))
        features = parse_features(feature_map)
        if MeasurementType.ACC not in features:
            raise ValueError("this Polar sensor offers no accelerometer stream")
        self._measurements = [MeasurementType.ACC]
        if MeasurementType.GYRO in features:
            self._measurements.append(MeasurementType.GYRO)
        await client.start_notify(PMD_CP_UUID, self._on_control)
        self._sdk_mode = len(feature_map) > 2 and bool(feature_map[2] & SDK_MODE_FEATURE_BIT)
        if self._sdk_mode:
            response = await self._set_sdk_mode(client, True)
            if not response.ok and response.status != STATUS_ALREADY_IN_STATE:
                raise ValueError(response.describe())
        available: dict[MeasurementType, Settings] = {}
        for kind in self._measurements:
            response = await self._command(client, encode_get_settings(kind))
            if not response.ok:
                raise ValueError(response.describe())
            available[kind] = parse_settings(response.parameters)
        rate_sets = [set(available[k].get(SettingType.SAMPLE_RATE, ())) for k in self._measurements]
        common = sorted(set.intersection(*rate_sets))
        if not common:
            raise ValueError("Polar sensor reports no sample rate its streams share")
        self._rate_hz = choose_rate(common, rate_hz)
        self._selected = {}
        for kind in self._measurements:
            chosen = {SettingType.SAMPLE_RATE: int(self._rate_hz)}
            for setting, values in available[kind].items():
                if setting in (SettingType.RESOLUTION, SettingType.RANGE, SettingType.CHANNELS):
                    chosen[setting] = int(max(values))
            self._selected[kind] = chosen
        metadata = {k: v for k, v in dis.items() if k not in ("model", "firmware")}
        metadata["clock"] = "Polar sensor time, ns since 2000-01-01 (device setting)"
        acc_range = self._selected[MeasurementType.ACC].get(SettingType.RANGE)
        if acc_range is not None:
            metadata["acc_range_g"] = str(acc_range)
        gyro = self._selected.get(MeasurementType.GYRO, {})
        if SettingType.RANGE in gyro:
            metadata["gyro_range_dps"] = str(gyro[SettingType.RANGE])
        if self._sdk_mode:
            metadata["polar_sdk_mode"] = "on"
        return StreamInfo(
            rate_hz=self._rate_hz,
            has_gyro=MeasurementType.GYRO in self._measurements,
            clock_hz=1e9,
            clock_modulus=None,
            sample_index_modulus=None,
            seq_modulus=None,
            device=dis.get("model") or self.kind,
            firmware=dis.get("firmware"),
            metadata=metadata,
        )

    async def start(self, client: BleakClient, on_payload: PayloadCallback) -> None:
        await client.start_notify(PMD_DATA_UUID, lambda _char, data: on_payload(bytes(data)))
        for kind in self._measurements:
            command = encode_start(kind, self._selected[kind])
            response = await self._command(client, command)
            if response.status == STATUS_ALREADY_IN_STATE:  # left running by an earlier session
                await self._command(client, encode_stop(kind))
                response = await self._command(client, command)
            if not response.ok:
                raise ValueError(response.describe())
            factors = parse_settings(response.parameters).get(SettingType.FACTOR, (1.0,))
            self._factor[kind] = float(factors[0])

    async def stop(self, client: BleakClient) -> None:
        # a refusal here (e.g. "already in state") leaves nothing running: not an error
        for kind in self._measurements:
            await self._command(client, encode_stop(kind))
        if self._sdk_mode:
            await self._set_sdk_mode(client, False)
        await client.stop_notify(PMD_DATA_UUID)
        await client.stop_notify(PMD_CP_UUID)

    def decode(self, payload: bytes) -> list[DecodedBatch]:
        if not self._measurements:
            raise RuntimeError("decode() before configure()")
        frame = parse_frame(payload)
        kind = frame.measurement
        if kind not in self._measurements or kind not in self._factor:
            raise PacketError(f"PMD {kind.name} frame arrived but that stream was not started")
        samples = frame_samples(frame, self._factor[kind])
        times = self._frame_times(kind, frame.timestamp_ns, samples.shape[0])
        if MeasurementType.GYRO not in self._measurements:
            return [
                DecodedBatch(samples, None, None, frame.timestamp_ns, ticks_at=samples.shape[0] - 1)
            ]
        self._pending_t[kind] = np.concatenate([self._pending_t.get(kind, np.empty(0)), times])
        self._pending_v[kind] = np.vstack([self._pending_v.get(kind, np.empty((0, 3))), samples])
        return self._pair()

    def _frame_times(self, kind: MeasurementType, timestamp_ns: int, n: int) -> np.ndarray:
        """Sensor times of a frame's samples: the SDK's even spread since the previous frame,
        unless frames were lost in between (the spread would stretch this frame over the lost
        ones): then back from the frame's stamp at the stream's running period estimate."""
        previous = self._previous_ns.get(kind)
        if previous is not None and timestamp_ns < previous:  # the sensor clock restarted
            self._previous_ns[kind] = timestamp_ns
        period = self._period_ns.get(kind, 1e9 / self._rate_hz)
        if previous is not None and timestamp_ns > previous:
            implied = (timestamp_ns - previous) / n
            if abs(implied - period) > PERIOD_TOLERANCE * period:
                previous = None  # frames lost (or a clock step): do not spread over them
            else:
                self._period_ns[kind] = period + PERIOD_SMOOTHING * (implied - period)
        times = sample_times_ns(previous, timestamp_ns, n, 1e9 / period)
        self._previous_ns[kind] = timestamp_ns
        return times

    def _pair(self) -> list[DecodedBatch]:
        """Match accelerometer and gyroscope samples by device time; emit runs of pairs."""
        acc, gyr = MeasurementType.ACC, MeasurementType.GYRO
        at, av = self._pending_t.get(acc, np.empty(0)), self._pending_v.get(acc, np.empty((0, 3)))
        gt, gv = self._pending_t.get(gyr, np.empty(0)), self._pending_v.get(gyr, np.empty((0, 3)))
        period_ns = 1e9 / self._rate_hz
        i = j = 0
        pairs: list[tuple[int, int]] = []
        while i < at.size and j < gt.size:
            offset = at[i] - gt[j]
            if abs(offset) <= period_ns / 2:
                pairs.append((i, j))
                i, j = i + 1, j + 1
            elif offset < 0:
                i += 1  # its gyroscope partner was lost
            else:
                j += 1  # its accelerometer partner was lost
        # keep what is still waiting, but never more than PAIRING_BUFFER_S of one stream alone
        newest = max(at[-1] if at.size else -np.inf, gt[-1] if gt.size else -np.inf)
        keep_from = newest - PAIRING_BUFFER_S * 1e9
        i = max(i, int(np.searchsorted(at, keep_from)))
        j = max(j, int(np.searchsorted(gt, keep_from)))
        self._pending_t[acc], self._pending_v[acc] = at[i:], av[i:]
        self._pending_t[gyr], self._pending_v[gyr] = gt[j:], gv[j:]
        if not pairs:
            return []
        ia, ig = (np.array(p) for p in zip(*pairs, strict=True))
        t = at[ia]
        breaks = np.flatnonzero(np.diff(t) > 1.5 * period_ns) + 1
        batches = []
        for run in np.split(np.arange(t.size), breaks):
            batches.append(
                DecodedBatch(
                    acc_g=av[ia[run]],
                    gyr_dps=gv[ig[run]],
                    sample_index=None,
                    device_ticks=int(round(t[run[-1]])),
                    ticks_at=run.size - 1,
                )
            )
        return batches


@register_adapter
class PolarVeritySenseAdapter(_PolarPmdAdapter):
    """Polar Verity Sense (and OH1): accelerometer + gyroscope over PMD."""

    kind = "Polar Verity Sense"
    streams = "acc+gyro (26-416 Hz in SDK mode)"
    name_prefixes = ("Polar Sense", "Polar OH1")

    @classmethod
    def matches(cls, name: str | None, service_uuids: Iterable[str]) -> bool:
        """By name; or, once connected, any PMD sensor that is not an H10 (the feature map
        read in ``configure`` says whether it has a gyroscope)."""
        if super().matches(name, service_uuids):
            return True
        has_pmd = PMD_SERVICE_UUID in {u.lower() for u in service_uuids}
        return has_pmd and not (name or "").startswith(PolarH10Adapter.name_prefixes)


@register_adapter
class PolarH10Adapter(_PolarPmdAdapter):
    """Polar H10 chest strap: accelerometer only over PMD (worn on the waistband)."""

    kind = "Polar H10"
    streams = "acc (25-200 Hz)"
    name_prefixes = ("Polar H10",)
