"""A virtual formlab IMU: a bumble GATT peripheral serving the formlab profile.

It streams a given signal (``SampleSource``) as the profile says, on its own crystal clock
(``drift_ppm``, a µs counter that starts near its wrap), with a realistic notification latency
(one to two 7.5 ms connection intervals), and can drop or corrupt chosen packets and drop the
link. It records what it sent, so tests compare the CSV with the truth.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
from bleak.backends.device import BLEDevice
from bumble.att import AttributeValue
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, Service
from bumble.hci import HCI_CONNECTION_TIMEOUT_ERROR, Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.profiles.device_information_service import DeviceInformationService
from bumble.transport.common import AsyncPipeSink

from formlab.ble import protocol

SENSOR_ADDRESS = "F0:F0:F0:F0:F0:01"
CENTRAL_ADDRESS = "F0:F0:F0:F0:F0:02"
SENSOR_NAME = "formlab-virtual"
ACC_G_PER_LSB = 16.0 / 32768
GYR_DPS_PER_LSB = 2000.0 / 32768


@dataclass(frozen=True)
class SampleSource:
    """The motion the sensor measures: sample g (since the sensor booted) is row g."""

    acc_g: np.ndarray
    gyr_dps: np.ndarray

    @classmethod
    def synthetic(cls, n: int, rate_hz: float, cadence_spm: float = 170.0) -> SampleSource:
        """A deterministic running-like signal; gyro z counts the sample number (see ``sample_number``)."""
        t = np.arange(n) / rate_hz
        f = cadence_spm / 60.0
        acc = np.column_stack([0.3 * np.sin(2 * np.pi * f * t), 0.2 * np.sin(np.pi * f * t), 1 + 0.9 * np.cos(2 * np.pi * f * t)])
        counter = (np.arange(n) % 32768 - 16384) * GYR_DPS_PER_LSB
        gyr = np.column_stack([40 * np.sin(np.pi * f * t), 30 * np.cos(np.pi * f * t), counter])
        return cls(acc, gyr)

    @staticmethod
    def sample_number(gyr_dps: np.ndarray) -> np.ndarray:
        """Which sample (mod 32768) rows of a ``synthetic`` signal are, from their gyro z."""
        return (np.rint(gyr_dps[:, 2] / GYR_DPS_PER_LSB).astype(np.int64) + 16384) % 32768

    def raw(self, g0: int, n: int) -> np.ndarray:
        """Quantized int16 counts of samples g0..g0+n-1 as the sensor sends them."""
        acc = np.rint(self.acc_g[g0 : g0 + n] / ACC_G_PER_LSB)
        gyr = np.rint(self.gyr_dps[g0 : g0 + n] / GYR_DPS_PER_LSB)
        return np.clip(np.hstack([acc, gyr]), -32768, 32767).astype(np.int16)


@dataclass
class SentPacket:
    seq: int
    sample_index: int
    g0: int  # source row of the first sample
    n: int
    delivered: bool


@dataclass
class VirtualFormlabSensor:
    """The peripheral; build it with :func:`make_radio`."""

    device: Device
    source: SampleSource
    odr_hz: int = 200
    drift_ppm: float = 0.0
    clock_start_us: int = (1 << 32) - 1_500_000  # the µs counter wraps 1.5 s after boot
    first_seq: int = 65_530  # the u16 packet counter wraps after 6 packets
    latency_s: tuple[float, float] = (0.0075, 0.015)
    drop_packets: frozenset[int] = frozenset()  # packet numbers (since boot) never sent
    corrupt_packets: frozenset[int] = frozenset()  # packet numbers sent truncated
    hang_at_packet: int | None = None  # the firmware silently stops streaming here (until START)
    seed: int = 0
    sent: list[SentPacket] = field(default_factory=list)
    starts: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._boot_s = asyncio.get_running_loop().time()
        self._seq = self.first_seq
        self._packet_no = 0
        self._task: asyncio.Task[None] | None = None
        self.data = Characteristic(protocol.DATA_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b"")
        info = protocol.Info(
            flags=protocol.FLAG_ACC | protocol.FLAG_GYRO,
            odr_hz=self.odr_hz,
            accel_g_per_lsb=ACC_G_PER_LSB,
            gyro_dps_per_lsb=GYR_DPS_PER_LSB,
            clock_hz=1_000_000,
            max_samples_per_packet=19,
        )
        control = Characteristic(
            protocol.CONTROL_UUID,
            Characteristic.Properties.WRITE,
            Characteristic.WRITEABLE,
            AttributeValue(write=self._on_control),
        )
        info_char = Characteristic(
            protocol.INFO_UUID, Characteristic.Properties.READ, Characteristic.READABLE, protocol.encode_info(info)
        )
        self.device.add_service(Service(protocol.SERVICE_UUID, [self.data, control, info_char]))
        self.device.add_service(
            DeviceInformationService(manufacturer_name="formlab", model_number="virtual-imu", firmware_revision="1.2.3")
        )
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    # -- the sensor's clock -------------------------------------------------------------------
    def _host_s_of_sample(self, g: int, odr_hz: int) -> float:
        """Host (loop) time at which source sample g is taken on the drifting clock."""
        return self._boot_s + g / odr_hz / (1 + self.drift_ppm * 1e-6)

    def _now_sample(self, odr_hz: int) -> int:
        elapsed = asyncio.get_running_loop().time() - self._boot_s
        return int(np.ceil(elapsed * (1 + self.drift_ppm * 1e-6) * odr_hz))

    # -- GATT events ---------------------------------------------------------------------------
    def _on_connection(self, connection: Connection) -> None:
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._stop())

    def _on_control(self, connection: Connection, value: bytes) -> None:
        command = protocol.decode_command(bytes(value))
        if command.opcode == protocol.OP_START:
            self._stop()
            self.starts += 1
            assert command.odr_hz is not None and command.samples_per_packet is not None
            per_packet = min(command.samples_per_packet or 19, (connection.att_mtu - 15) // 12)
            self._task = asyncio.create_task(self._stream(command.odr_hz, per_packet))
        elif command.opcode == protocol.OP_STOP:
            self._stop()

    @property
    def streaming(self) -> bool:
        return self._task is not None and not self._task.done()

    def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self, odr_hz: int, per_packet: int) -> None:
        loop = asyncio.get_running_loop()
        g0 = self._now_sample(odr_hz)
        k = 0
        while True:
            g_last = g0 + k + per_packet - 1
            if g_last >= len(self.source.acc_g):
                return
            due = self._host_s_of_sample(g_last, odr_hz) + self._rng.uniform(*self.latency_s)
            await asyncio.sleep(max(0.0, due - loop.time()))
            t_first_us = self.clock_start_us + round((g0 + k) * 1e6 / odr_hz)
            payload = protocol.encode_data(self._seq, k, t_first_us, self.source.raw(g0 + k, per_packet))
            number = self._packet_no
            if number == self.hang_at_packet:
                self.hang_at_packet = None  # one hang; the next START streams again
                return
            delivered = number not in self.drop_packets and number not in self.corrupt_packets
            if number in self.corrupt_packets:
                payload = payload[:-5]
            if number not in self.drop_packets:
                await self.device.notify_subscribers(self.data, payload)
            self.sent.append(SentPacket(self._seq % protocol.SEQ_MODULUS, k, g0 + k, per_packet, delivered))
            self._seq += 1
            self._packet_no += 1
            k += per_packet

    async def drop_link(self) -> None:
        """Lose the radio link (supervision timeout) from the sensor's side."""
        for connection in list(self.device.connections.values()):
            await connection.disconnect(HCI_CONNECTION_TIMEOUT_ERROR)

    def delivered_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(source rows g, int16 raw samples) of every delivered sample, in order."""
        rows = [np.arange(p.g0, p.g0 + p.n) for p in self.sent if p.delivered]
        g = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
        return g, self.source.raw(0, len(self.source.acc_g))[g]


async def start_sensor(link: LocalLink, source: SampleSource, **sensor_options) -> VirtualFormlabSensor:
    """The virtual sensor on its own controller on ``link``, powered on and advertising."""
    controller = Controller("sensor", link=link)
    peripheral = Device(name=SENSOR_NAME, address=Address(SENSOR_ADDRESS), host=Host(controller, AsyncPipeSink(controller)))
    sensor = VirtualFormlabSensor(peripheral, source, **sensor_options)
    peripheral.advertising_data = bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LOCAL_NAME, SENSOR_NAME.encode()),
                (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS, UUID(protocol.SERVICE_UUID).to_bytes()),
            ]
        )
    )
    await peripheral.power_on()
    await peripheral.start_advertising(auto_restart=True)
    return sensor


async def make_radio(source: SampleSource, **sensor_options) -> tuple[Device, VirtualFormlabSensor]:
    """Two bumble controllers on one LocalLink: (central device, advertising virtual sensor)."""
    link = LocalLink()
    controller = Controller("central", link=link)
    central = Device(name="central", address=Address(CENTRAL_ADDRESS), host=Host(controller, AsyncPipeSink(controller)))
    await central.power_on()
    sensor = await start_sensor(link, source, **sensor_options)
    return central, sensor


def sensor_ble_device() -> BLEDevice:
    """What a scan would have returned for the virtual sensor."""
    return BLEDevice(SENSOR_ADDRESS, SENSOR_NAME, None)
