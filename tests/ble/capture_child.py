"""A capture process for the Ctrl-C and crash tests: the collector against the virtual sensor,
on the real clock, printing ``written N`` (flushed) after every batch it wrote.

Usage: python capture_child.py OUT.csv
"""

import asyncio
import sys

from bumble_backend import bumble_backend
from virtual_sensor import SampleSource, make_radio, sensor_ble_device

from formlab.ble.collector import print_stats, record


async def main(out: str) -> None:
    central, _sensor = await make_radio(SampleSource.synthetic(200 * 120, 200))
    written = 0

    def on_samples(block) -> None:
        nonlocal written
        written += block.n
        print(f"written {written}", flush=True)

    stats = await record(sensor_ble_device(), out, on_samples=on_samples, backend=bumble_backend(central))
    print_stats(stats)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
