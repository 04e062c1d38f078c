"""A virtual Movesense running ``gatt_sensordata_app``: a bumble GATT peripheral speaking GSP.

It serves the GSP service (write: commands; notify: results and data) and Device Information,
answers HELLO with ``"Hello"``, refuses an unknown path with a status, and streams
``/Meas/IMU6/{rate}`` as the firmware does: per notification a u32 millisecond timestamp of the
first sample, then the accelerometer block (m/s², float32) and the gyroscope block (deg/s).
It sends ``rate / 13`` samples per message (16 at 208 Hz, 388 bytes) and splits a message
that does not fit one notification into DATA + DATA_PART2. Its millisecond clock starts 20 s
before it wraps and runs ``drift_ppm`` fast.

It streams a :class:`~virtual_sensor.SampleSource` (row g = sample g since boot), can drop
chosen messages (or only their second part) and the link, and records what it sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
from bleak.backends.device import BLEDevice
from bumble.att import AttributeValue
from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, Service
from bumble.hci import HCI_CONNECTION_TIMEOUT_ERROR, Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.profiles.device_information_service import DeviceInformationService
from bumble.transport.common import AsyncPipeSink
from virtual_sensor import SampleSource

from formlab.ble import movesense as ms
from formlab.frames import G_MPS2

SENSOR_ADDRESS = "F0:F0:F0:F0:F0:21"
CENTRAL_ADDRESS = "F0:F0:F0:F0:F0:22"
NAME = "Movesense 233830000816"
MODEL = "Movesense MD"
FIRMWARE = "2.3.1"


@dataclass
class SentMessage:
    number: int  # message number since boot
    g0: int
    n: int
    delivered: bool


@dataclass
class VirtualMovesense:
    """The peripheral; build it with :func:`make_movesense_radio`."""

    device: Device
    source: SampleSource
    drift_ppm: float = 0.0
    clock_start_ms: int = 2**32 - 20_000  # the u32 ms clock wraps 20 s after boot
    latency_s: tuple[float, float] = (0.0075, 0.015)
    drop_messages: frozenset[int] = frozenset()  # message numbers never sent
    drop_second_parts: frozenset[int] = frozenset()  # messages whose DATA_PART2 is lost
    seed: int = 0
    sent: list[SentMessage] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._boot_s = asyncio.get_running_loop().time()
        self._task: asyncio.Task[None] | None = None
        self._message_no = 0
        props = Characteristic.Properties
        self.notify = Characteristic(ms.GSP_NOTIFY_UUID, props.NOTIFY, Characteristic.READABLE, b"")
        write = Characteristic(
            ms.GSP_WRITE_UUID, props.WRITE, Characteristic.WRITEABLE, AttributeValue(write=self._on_command)
        )
        self.device.add_service(Service(ms.GSP_SERVICE_UUID, [write, self.notify]))
        self.device.add_service(
            DeviceInformationService(manufacturer_name="Movesense", model_number=MODEL,
                                     serial_number="233830000816", firmware_revision=FIRMWARE)
        )
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    def _host_s_of_sample(self, g: int, rate_hz: int) -> float:
        return self._boot_s + g / rate_hz / (1 + self.drift_ppm * 1e-6)

    def _now_sample(self, rate_hz: int) -> int:
        elapsed = asyncio.get_running_loop().time() - self._boot_s
        return int(np.ceil(elapsed * (1 + self.drift_ppm * 1e-6) * rate_hz))

    def _on_connection(self, connection: Connection) -> None:
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._stop())

    def _on_command(self, connection: Connection, value: bytes) -> None:
        command = ms.parse_command(bytes(value))
        reply: bytes | None = None
        if command.command is ms.Command.HELLO:
            reply = ms.encode_result(command.ref, None)
        elif command.command is ms.Command.SUBSCRIBE:
            rate = self._imu6_rate(command.path)
            if rate is None:
                reply = ms.encode_result(command.ref, 404)
            else:
                self._stop()
                self.subscriptions.append(command.path)
                self._task = asyncio.ensure_future(self._stream(connection, command.ref, rate))
        else:
            self._stop()
        if reply is not None:
            asyncio.get_running_loop().call_soon(
                lambda: asyncio.ensure_future(self.device.notify_subscriber(connection, self.notify, reply))
            )

    @staticmethod
    def _imu6_rate(path: str) -> int | None:
        prefix = "/Meas/IMU6/"
        tail = path[len(prefix):] if path.startswith(prefix) else ""
        return int(tail) if tail.isdigit() and int(tail) in ms.IMU6_RATES_HZ else None

    def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self, connection: Connection, ref: int, rate_hz: int) -> None:
        loop = asyncio.get_running_loop()
        n = max(1, rate_hz // 13)
        g = self._now_sample(rate_hz)
        while g + n <= len(self.source.acc_g):
            due = self._host_s_of_sample(g + n - 1, rate_hz) + self._rng.uniform(*self.latency_s)
            await asyncio.sleep(max(0.0, due - loop.time()))
            stamp_ms = (self.clock_start_ms + round(g * 1000 / rate_hz)) % 2**32
            body = ms.encode_imu6(stamp_ms, self.source.acc_g[g : g + n] * G_MPS2, self.source.gyr_dps[g : g + n])
            parts = ms.encode_notifications(ms.Reply.DATA, ref, body, connection.att_mtu - 3)
            number = self._message_no
            self._message_no += 1
            if number in self.drop_second_parts:
                parts = parts[:1]
            if number not in self.drop_messages:
                for part in parts:
                    await self.device.notify_subscriber(connection, self.notify, part)
            delivered = number not in self.drop_messages and number not in self.drop_second_parts
            self.sent.append(SentMessage(number, g, n, delivered))
            g += n

    async def drop_link(self) -> None:
        """Lose the radio link (supervision timeout) from the sensor's side."""
        for connection in list(self.device.connections.values()):
            await connection.disconnect(HCI_CONNECTION_TIMEOUT_ERROR)

    def sent_rows(self, delivered_only: bool = False) -> np.ndarray:
        return np.concatenate(
            [np.arange(m.g0, m.g0 + m.n) for m in self.sent if m.delivered or not delivered_only]
        )


async def make_movesense_radio(source: SampleSource, **options) -> tuple[Device, VirtualMovesense]:
    """Two bumble controllers on one LocalLink: (central device, advertising virtual Movesense)."""
    link = LocalLink()
    c_sensor = Controller("movesense", link=link)
    c_central = Controller("central", link=link)
    peripheral = Device(name=NAME, address=Address(SENSOR_ADDRESS), host=Host(c_sensor, AsyncPipeSink(c_sensor)))
    central = Device(name="central", address=Address(CENTRAL_ADDRESS), host=Host(c_central, AsyncPipeSink(c_central)))
    sensor = VirtualMovesense(peripheral, source, **options)
    # the GSP service is not advertised: a Movesense is found by its name
    peripheral.advertising_data = bytes(
        AdvertisingData([(AdvertisingData.FLAGS, bytes([0x06])), (AdvertisingData.COMPLETE_LOCAL_NAME, NAME.encode())])
    )
    await peripheral.power_on()
    await central.power_on()
    await peripheral.start_advertising(auto_restart=True)
    return central, sensor


def movesense_ble_device() -> BLEDevice:
    """What a scan would have returned for the virtual sensor."""
    return BLEDevice(SENSOR_ADDRESS, NAME, None)
