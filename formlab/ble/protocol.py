"""Byte codec of the formlab IMU GATT profile, version 1 (``docs/ble-profile.md``).

Pure functions, no I/O: DATA notifications, the INFO characteristic and CONTROL commands, both
directions (the collector decodes DATA/INFO and encodes CONTROL; the virtual sensor in the tests
does the reverse). All fields are little-endian. Malformed bytes raise :class:`PacketError` with
one line that says what is wrong; nothing else is raised for bad input.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

SERVICE_UUID = "7a1e0001-6b1d-4f3c-9b8e-2c5d3f4a5b6c"
DATA_UUID = "7a1e0002-6b1d-4f3c-9b8e-2c5d3f4a5b6c"
CONTROL_UUID = "7a1e0003-6b1d-4f3c-9b8e-2c5d3f4a5b6c"
INFO_UUID = "7a1e0004-6b1d-4f3c-9b8e-2c5d3f4a5b6c"

PROFILE_VERSION = 1
SEQ_MODULUS = 1 << 16
SAMPLE_INDEX_MODULUS = 1 << 32
CLOCK_MODULUS = 1 << 32

OP_START = 0x01
OP_STOP = 0x02
OP_SYNC = 0x03

_DATA_HEADER = struct.Struct("<BBHII")  # version, n, seq, sample_index, t_first_us
_SAMPLE_BYTES = 12  # ax ay az gx gy gz, int16 each
_INFO = struct.Struct("<BBHffIBB")
INFO_SIZE = 20  # the spec's size: the 18 defined bytes padded with reserved zeros
_START = struct.Struct("<BHB")

FLAG_ACC = 0x01
FLAG_GYRO = 0x02


class PacketError(ValueError):
    """A BLE payload that does not follow its protocol. ``str()`` is one line."""


@dataclass(frozen=True)
class DataPacket:
    """One decoded DATA notification; ``raw`` is (n, 6) int16 counts ax ay az gx gy gz."""

    seq: int
    sample_index: int
    t_first_us: int
    raw: np.ndarray

    @property
    def n(self) -> int:
        return int(self.raw.shape[0])


@dataclass(frozen=True)
class Info:
    """The INFO characteristic: static configuration of the sensor."""

    flags: int
    odr_hz: int
    accel_g_per_lsb: float
    gyro_dps_per_lsb: float
    clock_hz: int
    max_samples_per_packet: int

    @property
    def has_gyro(self) -> bool:
        return bool(self.flags & FLAG_GYRO)


@dataclass(frozen=True)
class Command:
    """A decoded CONTROL write. ``odr_hz``/``samples_per_packet`` only for START."""

    opcode: int
    odr_hz: int | None = None
    samples_per_packet: int | None = None


def decode_data(payload: bytes) -> DataPacket:
    """Decode a DATA notification; PacketError if version, length or count are wrong."""
    if len(payload) < _DATA_HEADER.size:
        raise PacketError(f"DATA packet of {len(payload)} bytes, shorter than the 12-byte header")
    version, n, seq, sample_index, t_first_us = _DATA_HEADER.unpack_from(payload)
    if version != PROFILE_VERSION:
        raise PacketError(f"DATA packet version {version}, expected {PROFILE_VERSION}")
    expected = _DATA_HEADER.size + _SAMPLE_BYTES * n
    if len(payload) != expected:
        raise PacketError(f"DATA packet announces {n} samples ({expected} bytes) but has {len(payload)} bytes")
    raw = np.frombuffer(payload, dtype="<i2", offset=_DATA_HEADER.size).reshape(n, 6)
    return DataPacket(seq=seq, sample_index=sample_index, t_first_us=t_first_us, raw=raw)


def encode_data(seq: int, sample_index: int, t_first_us: int, raw: np.ndarray) -> bytes:
    """Encode a DATA notification (the sensor side). Counters are wrapped here."""
    raw = np.asarray(raw)
    if raw.ndim != 2 or raw.shape[1] != 6 or raw.shape[0] > 255:
        raise ValueError(f"raw samples must be (n <= 255, 6), got {raw.shape}")
    header = _DATA_HEADER.pack(
        PROFILE_VERSION,
        raw.shape[0],
        seq % SEQ_MODULUS,
        sample_index % SAMPLE_INDEX_MODULUS,
        t_first_us % CLOCK_MODULUS,
    )
    return header + raw.astype("<i2").tobytes()


def decode_info(payload: bytes) -> Info:
    """Decode the INFO characteristic; PacketError for a wrong version or impossible values."""
    if len(payload) < _INFO.size:
        raise PacketError(f"INFO of {len(payload)} bytes, expected {INFO_SIZE}")
    version, flags, odr, acc_lsb, gyr_lsb, clock_hz, max_n, _reserved = _INFO.unpack_from(payload)
    if version != PROFILE_VERSION:
        raise PacketError(f"INFO version {version}, expected {PROFILE_VERSION}")
    if not flags & FLAG_ACC:
        raise PacketError("INFO flags say the sensor has no accelerometer")
    if odr == 0:
        raise PacketError("INFO odr_hz is 0")
    if not (math.isfinite(acc_lsb) and acc_lsb > 0):
        raise PacketError(f"INFO accel_g_per_lsb {acc_lsb} is not a positive number")
    if flags & FLAG_GYRO and not (math.isfinite(gyr_lsb) and gyr_lsb > 0):
        raise PacketError(f"INFO gyro_dps_per_lsb {gyr_lsb} is not a positive number")
    if clock_hz == 0:
        raise PacketError("INFO clock_hz is 0")
    if max_n == 0:
        raise PacketError("INFO max_samples_per_packet is 0")
    return Info(flags, odr, acc_lsb, gyr_lsb, clock_hz, max_n)


def encode_info(info: Info) -> bytes:
    """Encode the INFO characteristic (the sensor side), padded to :data:`INFO_SIZE`."""
    packed = _INFO.pack(
        PROFILE_VERSION,
        info.flags,
        info.odr_hz,
        info.accel_g_per_lsb,
        info.gyro_dps_per_lsb,
        info.clock_hz,
        info.max_samples_per_packet,
        0,
    )
    return packed + bytes(INFO_SIZE - len(packed))


def encode_start(odr_hz: int, samples_per_packet: int = 0) -> bytes:
    """CONTROL START: reset ``sample_index`` and stream at ``odr_hz`` (0 per packet = fill)."""
    return _START.pack(OP_START, odr_hz, samples_per_packet)


def encode_stop() -> bytes:
    return bytes([OP_STOP])


def encode_sync() -> bytes:
    return bytes([OP_SYNC])


def decode_command(payload: bytes) -> Command:
    """Decode a CONTROL write (the sensor side); PacketError for unknown or short commands."""
    if not payload:
        raise PacketError("empty CONTROL write")
    op = payload[0]
    if op == OP_START:
        if len(payload) != _START.size:
            raise PacketError(f"START of {len(payload)} bytes, expected {_START.size}")
        _, odr, per_packet = _START.unpack(payload)
        if odr == 0:
            raise PacketError("START with odr_hz 0")
        return Command(op, odr, per_packet)
    if op in (OP_STOP, OP_SYNC):
        if len(payload) != 1:
            raise PacketError(f"CONTROL opcode {op:#04x} takes no arguments, got {len(payload) - 1} bytes")
        return Command(op)
    raise PacketError(f"unknown CONTROL opcode {op:#04x}")
