"""bleak client and scanner backends over a bumble central: bleak's public API without a radio.

``BleakClient(device, backend=bumble_backend(central))`` then connects, exchanges the MTU,
discovers services, reads, writes and subscribes through a real in-process HCI/L2CAP/ATT/GATT
exchange between two bumble controllers on one ``LocalLink`` (``notes/ble-testing.md``). The
production collector runs against it unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str
from bumble.core import AdvertisingData, BaseBumbleError
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.hci import Address

MTU = 247


def _uuid(bumble_uuid: Any) -> str:
    return normalize_uuid_str(bumble_uuid.to_hex_str("-"))


class BumbleBleakClient(BaseBleakClient):
    """bleak backend whose "adapter" is the bumble ``Device`` in ``central``."""

    central: ClassVar[Device]

    def __init__(self, address_or_ble_device: Any, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        try:
            connection = await self.central.connect(Address(self.address), timeout=self._timeout)
            connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
            self._connection = connection
            self._peer = Peer(connection)
            await self._peer.request_mtu(MTU)
            await self._peer.discover_all()
        except (BaseBumbleError, TimeoutError) as exc:
            self._connection = None
            raise BleakError(f"bumble connect failed: {exc}") from exc
        self.services = self._service_collection()

    def _service_collection(self) -> BleakGATTServiceCollection:
        assert self._peer is not None
        collection = BleakGATTServiceCollection()
        for service in self._peer.services:
            bleak_service = BleakGATTService(service, service.handle, _uuid(service.uuid))
            collection.add_service(bleak_service)
            for char in service.characteristics:
                props = [p.name.lower().replace("_", "-") for p in type(char.properties) if p & char.properties and p.name]
                bleak_char = BleakGATTCharacteristic(
                    char, char.handle, _uuid(char.uuid), props, lambda: self.mtu_size - 3, bleak_service
                )
                collection.add_characteristic(bleak_char)
                for desc in char.descriptors:
                    collection.add_descriptor(BleakGATTDescriptor(desc, desc.handle, _uuid(desc.type), bleak_char))
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def disconnect(self) -> None:
        if self._connection is not None:
            await self._connection.disconnect()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not part of the virtual sensor")

    async def unpair(self) -> None:
        raise BleakError("pairing is not part of the virtual sensor")

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        return bytearray(await self._require_peer().read_value(characteristic.obj))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        return bytearray(await self._require_peer().read_value(descriptor.obj))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        await self._require_peer().write_value(characteristic.obj, bytes(data), with_response=response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._require_peer().write_value(descriptor.obj, bytes(data), with_response=True)

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any) -> None:
        await self._require_peer().subscribe(characteristic.obj, lambda value: callback(bytearray(value)))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        await self._require_peer().unsubscribe(characteristic.obj)


def bumble_backend(central: Device) -> type[BumbleBleakClient]:
    """A backend class bound to one bumble central device."""
    return type("BumbleBleakClientBound", (BumbleBleakClient,), {"central": central})


class BumbleBleakScanner(BaseBleakScanner):
    """bleak scanner backend: reports what the bumble ``central`` hears advertised."""

    central: ClassVar[Device]

    def __init__(self, detection_callback: Any, service_uuids: Any, scanning_mode: str = "active", **kwargs: Any):
        super().__init__(detection_callback, service_uuids)

    def _on_advertisement(self, adv: Advertisement) -> None:
        uuids = adv.data.get(AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS) or []
        name = adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME)
        data = AdvertisementData(
            local_name=name,
            manufacturer_data={},
            service_data={},
            service_uuids=[_uuid(u) for u in uuids],
            tx_power=None,
            rssi=adv.rssi,
            platform_data=(adv,),
        )
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = str(adv.address).split("/")[0]
        device = self.create_or_update_device(address, address, name, None, data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        self.seen_devices = {}
        self.central.on(self.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self.central.start_scanning()

    async def stop(self) -> None:
        await self.central.stop_scanning()
        self.central.remove_listener(self.central.EVENT_ADVERTISEMENT, self._on_advertisement)


def bumble_scanner_backend(central: Device) -> type[BumbleBleakScanner]:
    """A scanner backend class bound to one bumble central device."""
    return type("BumbleBleakScannerBound", (BumbleBleakScanner,), {"central": central})
