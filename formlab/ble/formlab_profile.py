"""Device adapter for the open formlab IMU GATT profile (``docs/ble-profile.md``).

The reference adapter: the device sends an exact sample counter (``sample_index``), a packet
counter (``seq``) and its clock in µs at the first sample of every packet, so loss accounting is
exact and the device→host time fit has one anchor per packet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from formlab.ble import protocol
from formlab.ble.adapter import (
    DecodedBatch,
    DeviceAdapter,
    PayloadCallback,
    StreamInfo,
    read_device_information,
    register_adapter,
)

if TYPE_CHECKING:
    from bleak import BleakClient


@register_adapter
class FormlabProfileAdapter(DeviceAdapter):
    """Streams acc (+ gyro when INFO says so) from any firmware implementing the profile.

    Rate: ``--rate`` is sent in START as asked (the profile has no list of supported rates; the
    firmware may refuse by not streaming); without it, the sensor's own INFO ``odr_hz``.
    """

    kind = "formlab IMU profile"
    streams = "acc+gyro"

    def __init__(self) -> None:
        self._info: protocol.Info | None = None
        self._rate_hz = 0

    @classmethod
    def matches(cls, name: str | None, service_uuids: Iterable[str]) -> bool:
        return protocol.SERVICE_UUID in {u.lower() for u in service_uuids}

    async def configure(self, client: BleakClient, rate_hz: float | None) -> StreamInfo:
        info = protocol.decode_info(bytes(await client.read_gatt_char(protocol.INFO_UUID)))
        if rate_hz is not None and not (0 < rate_hz < 65536 and float(rate_hz).is_integer()):
            raise ValueError(f"rate {rate_hz:g} Hz: the formlab profile takes a whole number of Hz")
        self._info = info
        self._rate_hz = int(rate_hz) if rate_hz is not None else info.odr_hz
        dis = await read_device_information(client)
        extra = {k: v for k, v in dis.items() if k not in ("model", "firmware")}
        extra["clock_hz"] = str(info.clock_hz)
        return StreamInfo(
            rate_hz=float(self._rate_hz),
            has_gyro=info.has_gyro,
            clock_hz=float(info.clock_hz),
            clock_modulus=protocol.CLOCK_MODULUS,
            sample_index_modulus=protocol.SAMPLE_INDEX_MODULUS,
            seq_modulus=protocol.SEQ_MODULUS,
            device=dis.get("model") or f"formlab IMU {client.address}",
            firmware=dis.get("firmware"),
            metadata=extra,
        )

    async def start(self, client: BleakClient, on_payload: PayloadCallback) -> None:
        await client.start_notify(protocol.DATA_UUID, lambda _char, data: on_payload(bytes(data)))
        await client.write_gatt_char(protocol.CONTROL_UUID, protocol.encode_start(self._rate_hz, 0), response=True)

    async def stop(self, client: BleakClient) -> None:
        await client.write_gatt_char(protocol.CONTROL_UUID, protocol.encode_stop(), response=True)
        await client.stop_notify(protocol.DATA_UUID)

    def decode(self, payload: bytes) -> list[DecodedBatch]:
        if self._info is None:
            raise RuntimeError("decode() before configure()")
        packet = protocol.decode_data(payload)
        raw = packet.raw.astype(np.float64)
        acc_g = raw[:, :3] * self._info.accel_g_per_lsb
        gyr_dps = raw[:, 3:] * self._info.gyro_dps_per_lsb if self._info.has_gyro else None
        return [
            DecodedBatch(
                acc_g=acc_g,
                gyr_dps=gyr_dps,
                sample_index=packet.sample_index,
                device_ticks=packet.t_first_us,
                ticks_at=0,
                packet_seq=packet.seq,
            )
        ]
