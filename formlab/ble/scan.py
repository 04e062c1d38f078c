"""``formlab devices``: scan for BLE sensors formlab can record from."""

from __future__ import annotations

from dataclasses import dataclass

from bleak import BleakScanner
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import BleakError
from rich.console import Console
from rich.table import Table

from formlab.ble.adapter import adapter_for
from formlab.errors import CommandError


NO_BLUETOOTH_HINT = "is a Bluetooth adapter present and on, and on Linux bluetoothd running?"


class BluetoothUnavailable(CommandError):
    """No usable Bluetooth adapter or stack (BlueZ not running, adapter off, no permission)."""


def bluetooth_unavailable(exc: BaseException) -> BluetoothUnavailable:
    """One line that says why scanning failed, without the operating system's raw error text where
    it only means "no Bluetooth stack here" (on Linux: no D-Bus socket to reach BlueZ)."""
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == 2:
        why = "no Bluetooth stack found (on Linux: BlueZ's D-Bus service is not reachable)"
    else:
        why = str(exc) or type(exc).__name__
    return BluetoothUnavailable(f"cannot scan for Bluetooth devices: {why}; {NO_BLUETOOTH_HINT}")


@dataclass(frozen=True)
class FoundDevice:
    """One sensor seen in a scan."""

    name: str
    address: str
    rssi_dbm: int
    kind: str  # the adapter's protocol name, e.g. "formlab IMU profile"
    streams: str  # what it can stream, e.g. "acc+gyro"


async def scan_devices(timeout_s: float = 5.0, backend: type[BaseBleakScanner] | None = None) -> list[FoundDevice]:
    """Scan for ``timeout_s`` and return the sensors a registered adapter recognises,
    strongest signal first. ``backend``: a bleak scanner backend class (None = the platform's).
    Raises :class:`BluetoothUnavailable` (one line) when there is no Bluetooth to scan with."""
    try:
        seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, backend=backend)
    except (BleakError, OSError) as exc:
        raise bluetooth_unavailable(exc) from exc
    found = []
    for device, adv in seen.values():
        name = adv.local_name or device.name
        adapter = adapter_for(name, adv.service_uuids)
        if adapter is not None:
            found.append(FoundDevice(name or "", device.address, int(adv.rssi), adapter.kind, adapter.streams))
    return sorted(found, key=lambda d: (-d.rssi_dbm, d.address))


def print_devices(devices: list[FoundDevice], console: Console | None = None) -> None:
    """The scan result as a table (or one line saying nothing was found)."""
    console = console or Console()
    if not devices:
        console.print("no formlab-compatible sensors found (is the sensor on and not connected elsewhere?)")
        return
    table = Table("name", "address", "signal", "kind", "streams")
    for d in devices:
        table.add_row(d.name or "?", d.address, f"{d.rssi_dbm} dBm", d.kind, d.streams)
    console.print(table)
