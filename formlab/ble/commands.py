"""Command-line glue for ``formlab devices`` and ``formlab record`` over the BLE collector."""

from __future__ import annotations

import argparse
import asyncio


def add_devices_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan for this many seconds (default 5)")


def run_devices(args: argparse.Namespace) -> int:
    from formlab.ble.scan import print_devices, scan_devices

    print_devices(asyncio.run(scan_devices(args.timeout)))
    return 0


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", required=True, metavar="NAME_OR_ADDRESS", help="sensor's advertised name or address")
    parser.add_argument("--out", required=True, metavar="RUN.csv",
                        help="new recording to write, flushed as samples arrive (an existing file is never replaced)")
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
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise InputError("--meta", None, f"expected KEY=VALUE, got {item[:80]!r}")
        if any(c in key for c in ":#\r\n") or any(c in value for c in "\r\n"):
            raise InputError("--meta", None, f"{key[:40]!r}: a metadata key has no ':', '#' or line break, "
                                             "and a value is one line")
        meta[key] = value
    return meta


def run_record(args: argparse.Namespace) -> int:
    from formlab.ble.collector import print_stats, record
    from formlab.output_files import check_outputs

    metadata = parse_meta(args.meta)
    check_outputs({"--out": args.out}, never_replace=("--out",))
    stats = asyncio.run(record(args.device, args.out, rate_hz=args.rate, duration_s=args.duration, metadata=metadata))
    print_stats(stats)
    return 0
