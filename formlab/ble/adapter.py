"""The device-adapter contract: what one BLE sensor protocol must provide.

A *device adapter* knows exactly one sensor protocol (the open formlab profile, Polar PMD,
Movesense, ...). It does only four things:

1. **recognise** its device from what a scan advertises (:meth:`DeviceAdapter.matches`);
2. **configure** the stream over a connected :class:`bleak.BleakClient` — choose the rate,
   read what the device reports about itself — and say what it configured (:class:`StreamInfo`);
3. **start / stop** the stream (subscribe to notifications *first*, then send the start command;
   bleak issue #374: fast devices lose their first packets otherwise);
4. **decode** one notification payload into :class:`DecodedBatch` es of samples in g and deg/s,
   each tagged with an exact device sample counter and/or a device clock reading.

Everything after that is shared and lives in the collector (:mod:`formlab.ble.collector`) and
:mod:`formlab.ble.timesync`: host timestamps, loss accounting, counter unwrapping, the
drift-aware device→host time fit, gaps, reconnects, writing the recording, the live dashboard.
An adapter never touches the clock of the host, a file, or a queue.

Call order, per connection (the collector reconnects after a link loss and repeats 1-3)::

    adapter = AdapterClass()              # one instance per recording
    info = await adapter.configure(client, rate_hz)   # 1. after every (re)connection
    await adapter.start(client, on_payload)           # 2. subscribe, then START
    ... adapter.decode(payload) for every payload, in arrival order (consumer task) ...
    await adapter.stop(client)                        # 3. only when ending while connected

Timing and counters are reported *raw* (as the device sent them, wrapped); :class:`StreamInfo`
gives their moduli and the collector unwraps them. Adapters register themselves with
:func:`register_adapter` so that scanning and ``formlab record`` find them.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from formlab.ble.protocol import PacketError

if TYPE_CHECKING:
    from bleak import BleakClient

__all__ = [
    "MAX_AUTO_RATE_HZ",
    "DecodedBatch",
    "DeviceAdapter",
    "PacketError",
    "StreamInfo",
    "adapter_classes",
    "adapter_for",
    "choose_rate",
    "read_device_information",
    "register_adapter",
]

#: Without ``--rate`` an adapter picks the highest supported rate not above this (Hz).
MAX_AUTO_RATE_HZ = 208.0

#: Callback an adapter hands every raw notification payload to. It must be called with the
#: payload bytes only, straight from the bleak notification callback, without decoding.
PayloadCallback = Callable[[bytes], None]


@dataclass(frozen=True)
class DecodedBatch:
    """Consecutive samples decoded from one notification (or one frame inside it).

    Attributes:
        acc_g: (n, 3) float64, accelerometer in the sensor's own axes, g (specific force:
            +1 g up when still).
        gyr_dps: (n, 3) float64 gyroscope in deg/s for the *same* n samples, or None when
            the stream has no gyroscope. A device that sends accelerometer and gyroscope in
            separate frames (Polar) pairs them inside its adapter and emits a batch only
            when both halves are there.
        sample_index: the device's own counter of the **first** sample of the batch, raw
            (wrapped modulo ``StreamInfo.sample_index_modulus``), or None when the device
            has no sample counter. Exact loss accounting uses it when present.
        device_ticks: a reading of the device clock, raw (wrapped modulo
            ``StreamInfo.clock_modulus``), in ticks of ``StreamInfo.clock_hz``, taken at the
            sample ``ticks_at`` of this batch; None when the device sends no timestamp.
        ticks_at: which sample ``device_ticks`` belongs to: 0 = the first sample of the batch
            (formlab profile), n-1 = the last (Polar PMD frames). Always explicit.
        packet_seq: raw per-notification packet counter (wrapped modulo
            ``StreamInfo.seq_modulus``), or None when the protocol has none.

    At least one of ``sample_index`` and ``device_ticks`` is not None. Without a sample
    counter the collector infers lost samples from ``device_ticks`` and the sample period.
    """

    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    sample_index: int | None
    device_ticks: int | None
    ticks_at: int = 0
    packet_seq: int | None = None

    def __post_init__(self) -> None:
        n = self.acc_g.shape[0]
        if self.acc_g.ndim != 2 or self.acc_g.shape[1] != 3:
            raise ValueError(f"acc_g must be (n, 3), got {self.acc_g.shape}")
        if self.gyr_dps is not None and self.gyr_dps.shape != (n, 3):
            raise ValueError(f"gyr_dps must be ({n}, 3), got {self.gyr_dps.shape}")
        if self.sample_index is None and self.device_ticks is None:
            raise ValueError("a batch needs a sample_index or device_ticks")
        if n and not 0 <= self.ticks_at < n:
            raise ValueError(f"ticks_at {self.ticks_at} outside the batch of {n} samples")

    @property
    def n(self) -> int:
        """Number of samples in the batch."""
        return int(self.acc_g.shape[0])


@dataclass(frozen=True)
class StreamInfo:
    """What :meth:`DeviceAdapter.configure` set up; goes into the recording's metadata.

    Attributes:
        rate_hz: nominal output data rate that was configured, Hz.
        has_gyro: whether batches carry ``gyr_dps``.
        clock_hz: ticks per second of ``DecodedBatch.device_ticks`` (1e6 for µs).
        clock_modulus: ``device_ticks`` wraps modulo this (2**32 for a u32), None if it never
            wraps in practice (a u64 ns counter).
        sample_index_modulus: ``sample_index`` wraps modulo this; None when the device has
            no sample counter.
        seq_modulus: ``packet_seq`` wraps modulo this; None when the protocol has none.
        device: model name for the ``device`` metadata key (Device Information service
            Model Number, else the advertised name).
        firmware: firmware revision (Device Information service), None if unknown.
        metadata: further ``key: value`` pairs for the recording (manufacturer, serial,
            ranges, ...). Keys are lower_snake_case.
    """

    rate_hz: float
    has_gyro: bool
    clock_hz: float
    clock_modulus: int | None
    sample_index_modulus: int | None
    seq_modulus: int | None
    device: str
    firmware: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class DeviceAdapter(abc.ABC):
    """One BLE sensor protocol. Subclass, fill the class attributes, decorate with
    :func:`register_adapter`.

    Class attributes:
        kind: short human name of the protocol/device family, shown by ``formlab devices``.
        streams: what it can stream, e.g. ``"acc+gyro"`` or ``"acc"``.

    An instance lives for one recording and may keep decoding state (e.g. the previous frame's
    timestamp), which :meth:`configure` resets on every (re)connection.
    """

    kind: ClassVar[str]
    streams: ClassVar[str]

    @classmethod
    @abc.abstractmethod
    def matches(cls, name: str | None, service_uuids: Iterable[str]) -> bool:
        """True if a device advertising ``name`` and ``service_uuids`` speaks this protocol.

        ``service_uuids`` are lower-case 128-bit UUID strings, from the advertisement when
        scanning or from service discovery after connecting. The name is given too because
        some devices (Polar, Movesense) do not advertise their data service.
        """

    @abc.abstractmethod
    async def configure(self, client: BleakClient, rate_hz: float | None) -> StreamInfo:
        """Prepare the stream on a connected client and describe it; no data flows yet.

        ``rate_hz`` is the requested rate (``--rate``); None means the highest supported
        rate ≤ :data:`MAX_AUTO_RATE_HZ` (use :func:`choose_rate`). A rate the device cannot
        do raises :class:`ValueError` naming the supported ones. Called after every
        (re)connection; resets decoding state.
        """

    @abc.abstractmethod
    async def start(self, client: BleakClient, on_payload: PayloadCallback) -> None:
        """Subscribe to the data notifications (handing each raw payload to ``on_payload``),
        **then** command the device to start streaming."""

    @abc.abstractmethod
    async def stop(self, client: BleakClient) -> None:
        """Command the device to stop streaming and unsubscribe."""

    @abc.abstractmethod
    def decode(self, payload: bytes) -> list[DecodedBatch]:
        """Decode one notification payload into zero or more batches, in sample order.

        Raises :class:`PacketError` (one line saying what is wrong) for a malformed payload;
        the collector counts it and goes on. Never any other exception for bad bytes.
        Payloads that carry no samples (e.g. a clock reply) give ``[]``.
        """


def choose_rate(
    supported_hz: Sequence[float],
    requested_hz: float | None = None,
    max_auto_hz: float = MAX_AUTO_RATE_HZ,
) -> float:
    """Pick a stream rate: the requested one if supported, else the highest ≤ ``max_auto_hz``.

    Raises ValueError if the requested rate is not supported, or if no rate is ≤ the cap.
    """
    rates = sorted(float(r) for r in supported_hz)
    if requested_hz is not None:
        for r in rates:
            if abs(r - requested_hz) < 1e-6 * max(1.0, r):
                return r
        listed = ", ".join(f"{r:g}" for r in rates)
        raise ValueError(f"rate {requested_hz:g} Hz not supported; supported: {listed} Hz")
    below = [r for r in rates if r <= max_auto_hz]
    if not below:
        raise ValueError(f"no supported rate at or below {max_auto_hz:g} Hz: {rates}")
    return below[-1]


#: Device Information service (0x180A) characteristics -> metadata keys.
_DIS_FIELDS = {
    "00002a24-0000-1000-8000-00805f9b34fb": "model",
    "00002a25-0000-1000-8000-00805f9b34fb": "serial_number",
    "00002a26-0000-1000-8000-00805f9b34fb": "firmware",
    "00002a27-0000-1000-8000-00805f9b34fb": "hardware",
    "00002a29-0000-1000-8000-00805f9b34fb": "manufacturer",
}


async def read_device_information(client: BleakClient) -> dict[str, str]:
    """Read the standard Device Information service strings the device exposes.

    Returns a dict with any of ``model``, ``serial_number``, ``firmware``, ``hardware``,
    ``manufacturer``; characteristics that are absent are left out.
    """
    found: dict[str, str] = {}
    services = client.services
    for uuid, key in _DIS_FIELDS.items():
        char = services.get_characteristic(uuid) if services is not None else None
        if char is None:
            continue
        raw = await client.read_gatt_char(char)
        text = bytes(raw).split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
        if text:
            found[key] = text
    return found


_REGISTRY: list[type[DeviceAdapter]] = []

#: Modules whose import registers an adapter. formlab_profile first: it is the reference.
ADAPTER_MODULES = ("formlab.ble.formlab_profile", "formlab.ble.polar", "formlab.ble.movesense")


def register_adapter(cls: type[DeviceAdapter]) -> type[DeviceAdapter]:
    """Class decorator: make an adapter known to scanning and recording."""
    if cls not in _REGISTRY:
        _REGISTRY.append(cls)
    return cls


def adapter_classes() -> list[type[DeviceAdapter]]:
    """All registered adapters (importing the adapter modules registers them)."""
    for module in ADAPTER_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY)


def adapter_for(name: str | None, service_uuids: Iterable[str]) -> type[DeviceAdapter] | None:
    """The first registered adapter that recognises this device, or None."""
    uuids = [u.lower() for u in service_uuids]
    for cls in adapter_classes():
        if cls.matches(name, uuids):
            return cls
    return None
