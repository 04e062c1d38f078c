"""A virtual Polar sensor (H10 or Verity Sense): a bumble GATT peripheral speaking PMD.

It serves the PMD service (control point: feature map on read, commands on write, answers as
indications; data notifications), Device Information, and answers like the SDK describes:
the H10 offers accelerometer 25-200 Hz, ±2/4/8 g, and sends raw int16 milli-g frames (type
0x01); the Verity Sense offers 52 Hz normally and 26-416 Hz in SDK mode, sends the
accelerometer as delta-compressed type 1 (0x81, milli-g) and the gyroscope as delta-compressed
type 0 (0x80) whose scale factor it returns in the start answer. Frames carry the sensor clock
(ns since 2000-01-01) at their last sample; the clock runs ``drift_ppm`` fast. The two streams
use different frame sizes, so the adapter has to pair them by time.

It streams a :class:`~virtual_sensor.SampleSource` (row g = sample g since boot), can drop
chosen frames and the link, and records what it sent, so tests know the exact loss.
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

from formlab.ble import polar
from formlab.ble.polar import MeasurementType as M
from formlab.ble.polar import SettingType as S

SENSOR_ADDRESS = "F0:F0:F0:F0:F0:11"
CENTRAL_ADDRESS = "F0:F0:F0:F0:F0:12"
H10_DEFAULT_CLOCK_NS = 599_616_000_000_000_000  # 2019-01-01, the H10's time after power-up


@dataclass(frozen=True)
class Model:
    """What one Polar model offers and how it packs its frames."""

    name: str  # advertised name prefix and DIS model number
    firmware: str
    features: frozenset[M]
    sdk_mode: bool
    normal: dict[M, dict[S, tuple[int, ...]]]  # settings outside SDK mode
    sdk: dict[M, dict[S, tuple[int, ...]]]  # settings in SDK mode
    frame_type: dict[M, int]  # PMD frame type byte per stream
    samples_per_frame: dict[M, int]


H10 = Model(
    name="Polar H10",
    firmware="3.1.1",
    features=frozenset({M.ECG, M.ACC}),
    sdk_mode=False,
    normal={M.ACC: {S.SAMPLE_RATE: (25, 50, 100, 200), S.RESOLUTION: (16,), S.RANGE: (2, 4, 8)}},
    sdk={},
    frame_type={M.ACC: 0x01},
    samples_per_frame={M.ACC: 36},
)

_VERITY_ACC = {S.RESOLUTION: (16,), S.RANGE: (2, 4, 8, 16), S.CHANNELS: (3,)}
_VERITY_GYR = {S.RESOLUTION: (16,), S.RANGE: (250, 500, 1000, 2000), S.CHANNELS: (3,)}
VERITY_SENSE = Model(
    name="Polar Sense",
    firmware="2.1.0",
    features=frozenset({M.PPG, M.ACC, M.PPI, M.GYRO, M.MAG}),
    sdk_mode=True,
    normal={
        M.ACC: {S.SAMPLE_RATE: (52,), S.RESOLUTION: (16,), S.RANGE: (8,), S.CHANNELS: (3,)},
        M.GYRO: {S.SAMPLE_RATE: (52,), S.RESOLUTION: (16,), S.RANGE: (2000,), S.CHANNELS: (3,)},
    },
    sdk={
        M.ACC: {S.SAMPLE_RATE: (26, 52, 104, 208, 416), **_VERITY_ACC},
        M.GYRO: {S.SAMPLE_RATE: (26, 52, 104, 208, 416), **_VERITY_GYR},
    },
    frame_type={M.ACC: 0x81, M.GYRO: 0x80},
    samples_per_frame={M.ACC: 36, M.GYRO: 25},
)


@dataclass
class SentFrame:
    measurement: M
    number: int  # frame number of this stream since boot
    g0: int  # source row of the first sample
    n: int
    delivered: bool


@dataclass
class VirtualPolar:
    """The peripheral; build it with :func:`make_polar_radio`."""

    device: Device
    source: SampleSource
    model: Model = H10
    drift_ppm: float = 0.0
    clock_start_ns: int = H10_DEFAULT_CLOCK_NS
    latency_s: tuple[float, float] = (0.0075, 0.015)
    drop_frames: frozenset[tuple[M, int]] = frozenset()  # (stream, frame number) never sent
    corrupt_frames: frozenset[tuple[M, int]] = frozenset()  # sent cut short
    seed: int = 0
    sent: list[SentFrame] = field(default_factory=list)
    starts: int = 0

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)
        self._boot_s = asyncio.get_running_loop().time()
        self._tasks: dict[M, asyncio.Task[None]] = {}
        self._frame_no: dict[M, int] = {}
        self._in_sdk_mode = False
        feature_map = polar.encode_features(self.model.features)
        if self.model.sdk_mode:
            feature_map = feature_map[:2] + bytes([polar.SDK_MODE_FEATURE_BIT])
        props = Characteristic.Properties
        self.control = Characteristic(
            polar.PMD_CP_UUID,
            props.READ | props.WRITE | props.INDICATE,
            Characteristic.READABLE | Characteristic.WRITEABLE,
            AttributeValue(read=lambda _c: feature_map, write=self._on_control),
        )
        self.data = Characteristic(polar.PMD_DATA_UUID, props.NOTIFY, Characteristic.READABLE, b"")
        self.device.add_service(Service(polar.PMD_SERVICE_UUID, [self.control, self.data]))
        self.device.add_service(
            DeviceInformationService(
                manufacturer_name="Polar Electro Oy",
                model_number=self.model.name.replace("Polar Sense", "Polar Verity Sense"),
                serial_number="B5A24E2B",
                firmware_revision=self.model.firmware,
            )
        )
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)

    @property
    def streaming(self) -> bool:
        return bool(self._tasks)

    @property
    def in_sdk_mode(self) -> bool:
        return self._in_sdk_mode

    # -- the sensor's clock ---------------------------------------------------------------
    def _host_s_of_sample(self, g: int, rate_hz: int) -> float:
        return self._boot_s + g / rate_hz / (1 + self.drift_ppm * 1e-6)

    def _now_sample(self, rate_hz: int) -> int:
        elapsed = asyncio.get_running_loop().time() - self._boot_s
        return int(np.ceil(elapsed * (1 + self.drift_ppm * 1e-6) * rate_hz))

    def stamp_ns(self, g: int, rate_hz: int) -> int:
        """Sensor time of sample g."""
        return self.clock_start_ns + round(g * 1e9 / rate_hz)

    # -- control point ----------------------------------------------------------------------
    def _settings(self, kind: M) -> dict[S, tuple[int, ...]] | None:
        table = self.model.sdk if self._in_sdk_mode else self.model.normal
        return table.get(kind)

    def _on_connection(self, connection: Connection) -> None:
        connection.on(connection.EVENT_DISCONNECTION, lambda _reason: self._stop_all())

    def _on_control(self, connection: Connection, value: bytes) -> None:
        answer = self._answer(connection, bytes(value))
        asyncio.get_running_loop().call_soon(
            lambda: asyncio.ensure_future(self.device.indicate_subscriber(connection, self.control, answer))
        )

    def _answer(self, connection: Connection, value: bytes) -> bytes:
        try:
            command = polar.parse_command(value)
        except polar.PacketError:
            return polar.encode_response(value[0] if value else 0, 0, 4)  # invalid length
        op, kind = command.op, command.measurement
        if op not in (polar.ControlOp.GET_SETTINGS, polar.ControlOp.START, polar.ControlOp.STOP):
            return polar.encode_response(op, kind, 1)
        if kind == polar.SDK_MODE_TYPE and op != polar.ControlOp.GET_SETTINGS and self.model.sdk_mode:
            on = op == polar.ControlOp.START
            if on == self._in_sdk_mode:
                return polar.encode_response(op, kind, polar.STATUS_ALREADY_IN_STATE)
            self._stop_all()  # switching mode closes every stream
            self._in_sdk_mode = on
            return polar.encode_response(op, kind)
        if kind not in [int(k) for k in self.model.features]:
            return polar.encode_response(op, kind, 2)
        offered = self._settings(M(kind))
        if offered is None:
            return polar.encode_response(op, kind, 3)
        if op == polar.ControlOp.GET_SETTINGS:
            return polar.encode_response(op, kind, 0, polar.encode_settings(offered))
        if op == polar.ControlOp.STOP:
            self._stop(M(kind))
            return polar.encode_response(op, kind)
        if M(kind) in self._tasks:
            return polar.encode_response(op, kind, polar.STATUS_ALREADY_IN_STATE)
        chosen = {k: v[0] for k, v in command.settings.items()}
        for setting, status in ((S.SAMPLE_RATE, 8), (S.RESOLUTION, 7), (S.RANGE, 9), (S.CHANNELS, 11)):
            if setting in offered and chosen.get(setting) not in offered[setting]:
                return polar.encode_response(op, kind, status)
        factor = chosen.get(S.RANGE, 1) / 32768 if M(kind) is M.GYRO else None
        self.starts += 1
        self._tasks[M(kind)] = asyncio.ensure_future(
            self._stream(connection, M(kind), chosen[S.SAMPLE_RATE], chosen.get(S.RANGE, 8), factor)
        )
        params = polar.encode_settings({S.FACTOR: (factor,)}) if factor is not None else b""
        return polar.encode_response(op, kind, 0, params)

    def _stop(self, kind: M) -> None:
        task = self._tasks.pop(kind, None)
        if task is not None:
            task.cancel()

    def _stop_all(self) -> None:
        for kind in list(self._tasks):
            self._stop(kind)

    # -- streaming --------------------------------------------------------------------------
    def _frame_bytes(self, kind: M, g0: int, n: int, rate_hz: int, range_: int, factor: float | None) -> bytes:
        stamp = self.stamp_ns(g0 + n - 1, rate_hz)
        frame_type = self.model.frame_type[kind]
        if kind is M.ACC:
            counts = np.clip(np.rint(self.source.acc_g[g0 : g0 + n] * 1000), -1000 * range_, 1000 * range_)
        else:
            assert factor is not None
            counts = np.clip(np.rint(self.source.gyr_dps[g0 : g0 + n] / factor), -32768, 32767)
        counts = counts.astype(np.int64)
        if frame_type & polar.COMPRESSED_BIT:
            return polar.encode_compressed_frame(kind, stamp, frame_type & 0x7F, counts)
        return polar.encode_raw_frame(kind, stamp, frame_type, counts)

    async def _stream(
        self, connection: Connection, kind: M, rate_hz: int, range_: int, factor: float | None
    ) -> None:
        loop = asyncio.get_running_loop()
        room = connection.att_mtu - 3
        g = self._now_sample(rate_hz)
        while True:
            n = self.model.samples_per_frame[kind]
            if g + n > len(self.source.acc_g):
                return
            payload = self._frame_bytes(kind, g, n, rate_hz, range_, factor)
            while len(payload) > room:  # a burst of large deltas: send fewer samples
                n = max(1, n // 2)
                payload = self._frame_bytes(kind, g, n, rate_hz, range_, factor)
            due = self._host_s_of_sample(g + n - 1, rate_hz) + self._rng.uniform(*self.latency_s)
            await asyncio.sleep(max(0.0, due - loop.time()))
            number = self._frame_no.get(kind, 0)
            self._frame_no[kind] = number + 1
            key = (kind, number)
            if key in self.corrupt_frames:
                payload = payload[:-3]
            if key not in self.drop_frames:
                await self.device.notify_subscriber(connection, self.data, payload)
            delivered = key not in self.drop_frames and key not in self.corrupt_frames
            self.sent.append(SentFrame(kind, number, g, n, delivered))
            g += n

    async def drop_link(self) -> None:
        """Lose the radio link (supervision timeout) from the sensor's side."""
        for connection in list(self.device.connections.values()):
            await connection.disconnect(HCI_CONNECTION_TIMEOUT_ERROR)

    def lost_rows(self) -> set[int]:
        """Source rows sent in frames that never arrived whole (in any stream)."""
        return {g for f in self.sent if not f.delivered for g in range(f.g0, f.g0 + f.n)}

    def sent_rows(self, kind: M) -> np.ndarray:
        return np.concatenate([np.arange(f.g0, f.g0 + f.n) for f in self.sent if f.measurement is kind])


def advertised_name(model: Model) -> str:
    return f"{model.name} B5A24E2B"


async def make_polar_radio(source: SampleSource, model: Model = H10, **options) -> tuple[Device, VirtualPolar]:
    """Two bumble controllers on one LocalLink: (central device, advertising virtual Polar)."""
    link = LocalLink()
    c_sensor = Controller("polar", link=link)
    c_central = Controller("central", link=link)
    name = advertised_name(model)
    peripheral = Device(name=name, address=Address(SENSOR_ADDRESS), host=Host(c_sensor, AsyncPipeSink(c_sensor)))
    central = Device(name="central", address=Address(CENTRAL_ADDRESS), host=Host(c_central, AsyncPipeSink(c_central)))
    sensor = VirtualPolar(peripheral, source, model, **options)
    # Polar sensors advertise their name and the Heart Rate service, not PMD: found by name
    peripheral.advertising_data = bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
                (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, bytes([0x0D, 0x18])),
            ]
        )
    )
    await peripheral.power_on()
    await central.power_on()
    await peripheral.start_advertising(auto_restart=True)
    return central, sensor


def polar_ble_device(model: Model = H10) -> BLEDevice:
    """What a scan would have returned for the virtual sensor."""
    return BLEDevice(SENSOR_ADDRESS, advertised_name(model), None)
