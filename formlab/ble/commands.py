"""Command-line glue for ``formlab devices`` and ``formlab record`` over the BLE collector."""

from __future__ import annotations

import argparse
import asyncio
import sys


def add_devices_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan for this many seconds (default 5)")


def run_devices(args: argparse.Namespace) -> int:
    from formlab.ble.scan import BluetoothUnavailable, print_devices, scan_devices

    try:
        devices = asyncio.run(scan_devices(args.timeout))
    except BluetoothUnavailable as exc:
        print(f"formlab: {exc}", file=sys.stderr)
        return 1
    print_devices(devices)
    return 0


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", required=True, metavar="NAME_OR_ADDRESS", help="sensor's advertised name or address")
    parser.add_argument("--out", required=True, metavar="RUN.csv", help="recording to write (appended and flushed as it arrives)")
    parser.add_argument("--rate", type=float, metavar="HZ", help="stream rate where the device offers a choice (default: highest ≤ 208 Hz)")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                        help="metadata line for the recording, e.g. --meta treadmill_speed_mps=3.3 (repeatable)")


def parse_meta(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs from the command line into recording metadata."""
    from formlab.errors import InputError

    meta = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--meta", None, f"expected KEY=VALUE, got {item!r}")
        meta[key.strip()] = value.strip()
    return meta


def run_record(args: argparse.Namespace) -> int:
    from formlab.ble.collector import CaptureError, print_stats, record

    try:
        stats = asyncio.run(record(args.device, args.out, rate_hz=args.rate, duration_s=args.duration,
                                   metadata=parse_meta(args.meta)))
    except CaptureError as exc:
        print(f"formlab: {exc}")
        return 1
    print_stats(stats)
    return 0
