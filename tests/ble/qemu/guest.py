"""Runs inside the QEMU VM (see test_bluez_qemu.py): bleak's real BlueZ backend end to end.

A bumble controller is attached to the guest kernel's /dev/vhci, so BlueZ (bluetoothd) sees an
ordinary adapter; the virtual formlab sensor sits on a second bumble controller on the same
LocalLink. ``scan_devices`` and ``record`` then run with bleak's platform (BlueZ/D-Bus) backend,
unchanged. Prints one line ``QEMU-RESULT {json}`` for the host test.
"""

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bumble.controller import Controller  # noqa: E402
from bumble.link import LocalLink  # noqa: E402
from bumble.transport import open_transport  # noqa: E402
from virtual_sensor import SENSOR_NAME, SampleSource, start_sensor  # noqa: E402

from formlab.ble.collector import record  # noqa: E402
from formlab.ble.scan import scan_devices  # noqa: E402
from formlab.recording import read_recording  # noqa: E402


async def main() -> dict:
    link = LocalLink()
    async with await open_transport("vhci") as (source, sink):
        Controller("vhci", host_source=source, host_sink=sink, link=link)  # no public address (notes)
        sensor = await start_sensor(link, SampleSource.synthetic(200 * 120, 200))
        await asyncio.sleep(2.0)  # bluetoothd registers the new adapter ...
        power = await asyncio.create_subprocess_exec("bluetoothctl", "power", "on")  # ... which starts off
        await power.wait()
        found = await scan_devices(5.0)
        stats = await record(SENSOR_NAME, "/tmp/bluez.csv", duration_s=10.0, scan_timeout_s=10.0)
        rec = read_recording("/tmp/bluez.csv")
        g, _ = sensor.delivered_rows()
        return {
            "found": [(d.name, d.kind) for d in found],
            "rows": rec.n_samples,
            "delivered": int(g.size),
            "rows_are_delivered_samples": bool(
                rec.n_samples == g.size
                and (SampleSource.sample_number(rec.gyr_dps) == g % 32768).all()
            ),
            "samples_lost": stats.samples_lost,
            "packets_lost": stats.packets_lost,
            "ended_by": stats.ended_by,
        }


if __name__ == "__main__":
    try:
        result = asyncio.run(main())
    except Exception as exc:  # report any failure to the host in the one line it reads
        result = {"error": f"{type(exc).__name__}: {exc}"}
    print("QEMU-RESULT " + json.dumps(result), flush=True)
