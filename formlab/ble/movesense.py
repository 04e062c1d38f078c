"""Movesense GATT SensorData Protocol (GSP): codec and the Movesense device adapter.

Facts follow the Movesense device library's ``samples/gatt_sensordata_app``
(``GATTSensorDataClient.cpp``, its ``python_client``), the Movesense API definitions
(IMU data: ``Timestamp`` u32 ms of the *first* sample, ``ArrayAcc`` m/s², ``ArrayGyro`` deg/s)
and the public GSP description (movesense.com/docs/esw/gatt_sensordata_protocol). The sensor
needs the ``gatt_sensordata_app`` firmware (or one built with its GSP service). Our own code.

Wire format:

* **Commands** (write ``GSP_WRITE_UUID``): ``00 ref`` HELLO, ``01 ref path`` SUBSCRIBE to an
  ASCII resource path such as ``/Meas/IMU6/104`` (rate in the path), ``02 ref`` UNSUBSCRIBE.
  ``ref`` is a non-zero byte the client chooses.
* **Notifications** (``GSP_NOTIFY_UUID``): ``01 ref body`` a command result (HELLO answers
  ``"Hello"``; errors carry a big-endian HTTP status u16, e.g. ``01 FB`` = 507 no free
  subscription),
  ``02 ref body`` DATA, ``03 ref body`` the second part of a DATA message that did not fit one
  notification (newer firmware).
* **IMU6 body**: ``timestamp u32 · n × (x y z float32) acceleration · n × (x y z float32)
  angular rate`` — the accelerometer block first, then the gyroscope block.

Reassembly rule: a DATA body whose length is a whole IMU6 message (4 + 24·n bytes) is decoded
at once; any other length waits for its ``03`` continuation. (A first part that happened to be
exactly 4 + 24·n bytes long would be mistaken for a whole message; with the usual ATT MTUs
23, 158, 161, 185, 247, 251, 517 no first part has such a length.)

Time: the timestamp is the sensor's millisecond clock at the batch's first sample; the
samples follow at the sensor's sample period, which the collector fits from the timestamps
(crystal drift included). A batch missing from the timestamps is counted as lost samples by
the collector.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

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
from formlab.frames import G_MPS2

if TYPE_CHECKING:
    from bleak import BleakClient

GSP_SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
GSP_WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
GSP_NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

IMU6_RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)
"""Rates ``/Meas/IMU6/{rate}`` accepts."""
IMU6_SAMPLE_BYTES = 24  # 3 × float32 acceleration + 3 × float32 angular rate
TIMESTAMP_BYTES = 4
STREAM_REF = 0x63  # the reference byte the vendor's own example client uses (99)


class Command(IntEnum):
    HELLO = 0
    SUBSCRIBE = 1
    UNSUBSCRIBE = 2


class Reply(IntEnum):
    COMMAND_RESULT = 1
    DATA = 2
    DATA_PART2 = 3


def imu6_path(rate_hz: int) -> str:
    """Resource path of the 6-axis IMU stream at ``rate_hz``."""
    return f"/Meas/IMU6/{int(rate_hz)}"


def encode_hello(ref: int) -> bytes:
    return bytes([Command.HELLO, ref])


def encode_subscribe(ref: int, path: str) -> bytes:
    return bytes([Command.SUBSCRIBE, ref]) + path.encode("ascii")


def encode_unsubscribe(ref: int) -> bytes:
    return bytes([Command.UNSUBSCRIBE, ref])


@dataclass(frozen=True)
class GspCommand:
    """A command write as the sensor sees it."""

    command: Command
    ref: int
    path: str


def parse_command(data: bytes) -> GspCommand:
    """Decode a command write (used by the virtual sensor). Raises PacketError."""
    data = bytes(data)
    if len(data) < 2:
        raise PacketError(f"GSP command of {len(data)} bytes needs a command and a reference")
    try:
        command = Command(data[0])
    except ValueError:
        raise PacketError(f"GSP command {data[0]} is not HELLO, SUBSCRIBE or UNSUBSCRIBE") from None
    try:
        path = data[2:].decode("ascii")
    except UnicodeDecodeError:
        raise PacketError("GSP subscribe path is not ASCII") from None
    return GspCommand(command, data[1], path)


@dataclass(frozen=True)
class Notification:
    """One notification: reply kind, the client's reference, the body."""

    kind: Reply
    ref: int
    body: bytes


def parse_notification(data: bytes) -> Notification:
    """Split a notification into kind, reference and body. Raises PacketError."""
    data = bytes(data)
    if len(data) < 2:
        raise PacketError(f"GSP notification of {len(data)} bytes needs a kind and a reference")
    try:
        kind = Reply(data[0])
    except ValueError:
        raise PacketError(f"GSP notification kind {data[0]} is not 1, 2 or 3") from None
    return Notification(kind, data[1], data[2:])


def encode_notifications(kind: Reply, ref: int, body: bytes, max_bytes: int) -> list[bytes]:
    """The notifications carrying ``body``: one, or DATA + DATA_PART2 when it is too long.

    ``max_bytes`` is the largest notification (ATT MTU − 3).
    """
    room = max_bytes - 2
    if room < 1:
        raise ValueError(f"notifications of {max_bytes} bytes cannot carry a GSP header")
    if len(body) <= room:
        return [bytes([kind, ref]) + body]
    if kind is not Reply.DATA or len(body) > 2 * room:
        raise ValueError(f"a {len(body)}-byte body does not fit two {max_bytes}-byte notifications")
    return [bytes([Reply.DATA, ref]) + body[:room], bytes([Reply.DATA_PART2, ref]) + body[room:]]


def result_status(body: bytes) -> int | None:
    """HTTP status of a command-result body, or None for the HELLO answer ``"Hello"``.

    The status is big-endian: the firmware answers a full subscription table with
    ``01 FB`` for 507 (``GATTSensorDataClient.cpp``).
    """
    if body == b"Hello":
        return None
    if len(body) != 2:
        raise PacketError(f"GSP command result body {body.hex(' ')} is neither Hello nor a status")
    return int.from_bytes(body, "big")


def encode_result(ref: int, status: int | None) -> bytes:
    """A command-result notification: ``"Hello"`` when ``status`` is None, else the status."""
    body = b"Hello" if status is None else status.to_bytes(2, "big")
    return bytes([Reply.COMMAND_RESULT, ref]) + body


@dataclass(frozen=True)
class Imu6Batch:
    """One IMU6 message: timestamp of the first sample and the samples."""

    timestamp_ms: int
    acc_mps2: np.ndarray  # (n, 3) float64
    gyr_dps: np.ndarray  # (n, 3) float64


def is_whole_imu6(body: bytes) -> bool:
    """True when ``body`` has the length of a complete IMU6 message with 1+ samples.

    Known limit: a split message whose first part ends exactly on a sample boundary (notification
    room − 2-byte header − 4-byte timestamp a multiple of 24 bytes, i.e. ATT MTU = 9 + 24·k) reads
    as whole; its continuation is then rejected and counted. The common MTUs (23, 185, 247, 512)
    never do this.
    """
    size = len(body) - TIMESTAMP_BYTES
    return size > 0 and size % IMU6_SAMPLE_BYTES == 0


def decode_imu6(body: bytes) -> Imu6Batch:
    """Decode an IMU6 data body. Raises PacketError for a bad length or non-finite values."""
    body = bytes(body)
    if not is_whole_imu6(body):
        raise PacketError(
            f"IMU6 body of {len(body)} bytes is not a 4-byte timestamp plus 24-byte samples"
        )
    n = (len(body) - TIMESTAMP_BYTES) // IMU6_SAMPLE_BYTES
    timestamp_ms = int.from_bytes(body[:TIMESTAMP_BYTES], "little")
    values = np.frombuffer(body, dtype="<f4", offset=TIMESTAMP_BYTES).astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise PacketError("IMU6 body holds non-finite values")
    return Imu6Batch(timestamp_ms, values[: 3 * n].reshape(n, 3), values[3 * n :].reshape(n, 3))


def encode_imu6(timestamp_ms: int, acc_mps2: np.ndarray, gyr_dps: np.ndarray) -> bytes:
    """Inverse of :func:`decode_imu6` (values rounded to float32)."""
    acc = np.asarray(acc_mps2, dtype="<f4").reshape(-1, 3)
    gyr = np.asarray(gyr_dps, dtype="<f4").reshape(-1, 3)
    if acc.shape != gyr.shape or acc.shape[0] == 0:
        raise ValueError("IMU6 needs as many (1+) gyroscope samples as accelerometer samples")
    return struct.pack("<I", timestamp_ms % 2**32) + acc.tobytes() + gyr.tobytes()


@register_adapter
class MovesenseAdapter(DeviceAdapter):
    """Movesense (HR+, HR2, Flash, MD) running ``gatt_sensordata_app``: IMU6 acc + gyro.

    configure: check the GSP service is there (else the sensor runs other firmware), read the
    Device Information strings, pick the rate (``--rate`` or the highest ≤ 208 Hz of
    13…1666 Hz). start: subscribe to the notify characteristic, then SUBSCRIBE to
    ``/Meas/IMU6/{rate}``. decode: reassemble split messages, convert m/s² to g.
    """

    kind = "Movesense (gatt_sensordata_app)"
    streams = "acc+gyro (IMU6, 13-1666 Hz)"

    def __init__(self) -> None:
        self._rate_hz = 0
        self._pending: bytes | None = None
        self._configured = False

    @classmethod
    def matches(cls, name: str | None, service_uuids: Iterable[str]) -> bool:
        if GSP_SERVICE_UUID in {u.lower() for u in service_uuids}:
            return True
        return bool(name) and name.startswith("Movesense")

    async def configure(self, client: BleakClient, rate_hz: float | None) -> StreamInfo:
        services = client.services
        if services is None or services.get_service(GSP_SERVICE_UUID) is None:
            raise ValueError(
                "this Movesense has no GATT SensorData service: flash the gatt_sensordata_app "
                "firmware (Movesense device library, samples/gatt_sensordata_app)"
            )
        self._rate_hz = int(choose_rate(IMU6_RATES_HZ, rate_hz))
        self._pending = None
        self._configured = True
        dis = await read_device_information(client)
        metadata = {k: v for k, v in dis.items() if k not in ("model", "firmware")}
        metadata["clock"] = "Movesense sensor time, ms (u32)"
        return StreamInfo(
            rate_hz=float(self._rate_hz),
            has_gyro=True,
            clock_hz=1000.0,
            clock_modulus=2**32,
            sample_index_modulus=None,
            seq_modulus=None,
            device=dis.get("model") or "Movesense",
            firmware=dis.get("firmware"),
            metadata=metadata,
        )

    async def start(self, client: BleakClient, on_payload: PayloadCallback) -> None:
        await client.start_notify(GSP_NOTIFY_UUID, lambda _char, data: on_payload(bytes(data)))
        command = encode_subscribe(STREAM_REF, imu6_path(self._rate_hz))
        await client.write_gatt_char(GSP_WRITE_UUID, command, response=True)

    async def stop(self, client: BleakClient) -> None:
        await client.write_gatt_char(GSP_WRITE_UUID, encode_unsubscribe(STREAM_REF), response=True)
        await client.stop_notify(GSP_NOTIFY_UUID)

    def decode(self, payload: bytes) -> list[DecodedBatch]:
        if not self._configured:
            raise RuntimeError("decode() before configure()")
        note = parse_notification(payload)
        if note.kind is Reply.COMMAND_RESULT:
            status = result_status(note.body)
            if status is not None and status >= 400:
                raise PacketError(f"Movesense refused subscription {note.ref}: HTTP status {status}")
            return []
        if note.ref != STREAM_REF:
            raise PacketError(f"GSP data for reference {note.ref}, not our stream {STREAM_REF}")
        if note.kind is Reply.DATA:
            # a first part still waiting here lost its continuation: its samples are a gap
            self._pending = None
            if not is_whole_imu6(note.body):
                self._pending = note.body
                return []
            body = note.body
        else:
            if self._pending is None:
                raise PacketError("GSP continuation (03) without the first part of its message")
            body, self._pending = self._pending + note.body, None
        batch = decode_imu6(body)
        return [
            DecodedBatch(
                acc_g=batch.acc_mps2 / G_MPS2,
                gyr_dps=batch.gyr_dps,
                sample_index=None,
                device_ticks=batch.timestamp_ms,
                ticks_at=0,
            )
        ]
