"""Command-line glue for ``formlab report``: the lead's cli.py calls these two functions."""

from __future__ import annotations

import argparse


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``formlab report REC [REC_B] --html REPORT.html``."""
    parser.add_argument("recordings", nargs="+", metavar="REC",
                        help="recording CSV; give two to compare the second against the first")
    parser.add_argument("--html", required=True, metavar="REPORT.html",
                        help="where to write the self-contained HTML report")
    parser.add_argument("--athlete", metavar="NAME", help="the runner's name for the report's header "
                        "(default: the recording's athlete metadata)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", type=_iso_date,
                        help="the session's date for the header (default: the recording's start time)")
    from formlab.cli import add_common_analysis_arguments

    add_common_analysis_arguments(parser)


def _iso_date(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text[:40]!r}") from None


def run_report(args: argparse.Namespace) -> int:
    """Analyse the recordings and write the report; returns the process exit code."""
    from formlab.analysis import analyze
    from formlab.errors import InputError
    from formlab.output_files import check_outputs
    from formlab.recording import read_recording
    from formlab.report.html import write_report
    from formlab.rules import load_catalogue

    if len(args.recordings) > 2:
        raise InputError(args.recordings[2], None, "a report compares at most two recordings: give one or two")
    check_outputs({"--html": args.html}, inputs=args.recordings, force=args.force)
    catalogue = load_catalogue(overrides_path=args.rules) if args.rules else None
    recordings = [read_recording(p, columns=args.columns) for p in args.recordings]
    for rec in recordings:  # the header's athlete and date, when given here
        rec.metadata.update({k: v for k, v in (("athlete", args.athlete), ("date", args.date)) if v})
    analyses = [analyze(rec, speed_mps=args.treadmill_speed, calibration_dir=args.calibration_dir,
                        catalogue=catalogue) for rec in recordings]
    out = write_report(analyses, args.html)
    from formlab.summary_view import headline_finding

    print(f"wrote {out}")
    top = headline_finding(list((analyses[-1].summary or {}).get("findings") or []))
    if top:
        print(f"Most important{' in the second session' if len(analyses) == 2 else ''}: {top}")
    print(f"open {out}")
    return 0
