"""Command-line glue for ``formlab export``, ``formlab import-fit`` and ``formlab compare-garmin``."""

from __future__ import annotations

import argparse
from pathlib import Path

from formlab.errors import CommandError, InputError

FIT_EXTRA = "pip install 'formlab[fit]'"


def _check_output(flag: str, out: str | None, inputs: list[str], force: bool) -> Path | None:
    """The output path after :func:`formlab.output_files.check_outputs` (None when not asked for)."""
    from formlab.output_files import check_outputs

    check_outputs({flag: out}, inputs=inputs, force=force)
    return None if out is None else Path(out)


def _analysed_source(recording: str, speed_mps: float | None):
    """``(analysis, export source)`` of a recording."""
    from formlab.analysis import analyze
    from formlab.fit.source import source_from_analysis
    from formlab.recording import read_recording

    analysis = analyze(read_recording(recording), speed_mps=speed_mps)
    return analysis, source_from_analysis(analysis, speed_mps)


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recording", metavar="REC", nargs="?", help="recording (docs/recording-format.md); or --session")
    p.add_argument("--session", type=int, metavar="ID", help="export a session of the athlete history store instead")
    p.add_argument("--db", metavar="PATH", help="with --session: the history store (default: $FORMLAB_DB, else the "
                                                "user data folder)")
    p.add_argument("--fit", required=True, metavar="RUN.fit", help="write a FIT activity file of the running dynamics")
    p.add_argument("--treadmill-speed", type=float, metavar="MPS",
                   help="treadmill speed, m/s (overrides the metadata); gives speed, distance, step length")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")


def run_export(args: argparse.Namespace) -> int:
    from formlab.fit.export import fit_bytes

    try:
        import fit_tool  # noqa: F401  (only to say how to install it when missing)
    except ImportError:
        raise CommandError(f"writing FIT files needs fit-tool: {FIT_EXTRA}") from None
    if (args.recording is None) == (args.session is None):
        raise InputError("export", None, "give a recording or --session ID (one of them)")
    if args.session is not None and args.treadmill_speed is not None:
        raise InputError("--treadmill-speed", None, "a stored session keeps the speed it was saved with: "
                                                    "reanalyse it to change the speed")
    out = _check_output("--fit", args.fit, [args.recording] if args.recording else [], args.force)
    if args.session is not None:
        from formlab.fit.source import source_from_store

        source = source_from_store(args.session, args.db)
    else:
        _, source = _analysed_source(args.recording, args.treadmill_speed)
    data = fit_bytes(source)
    out.write_bytes(data)
    for note in source.notes:
        print(f"note: {note}")
    print(f"wrote {out} ({len(data) // 1024} KiB)")
    return 0


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("fit", metavar="GARMIN.fit", help="FIT activity with running dynamics (HRM-Pro, HRM 600, RD Pod)")
    p.add_argument("--csv", metavar="OUT.csv", help="write the 1 Hz table here")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")


def run_import(args: argparse.Namespace) -> int:
    from formlab.fit.garmin_import import COLUMNS, import_fit

    out = _check_output("--csv", args.csv, [args.fit], args.force)
    table = import_fit(args.fit)
    print(f"{args.fit}: {len(table)} s from {table['time_utc'].iloc[0].isoformat()}")
    for column in COLUMNS[2:]:
        values = table[column].dropna()
        if len(values):
            print(f"  {column:34s} median {values.median():9.3f}  ({len(values)} s)")
    if out is not None:
        table.to_csv(out, index=False, float_format="%.4f", date_format="%Y-%m-%dT%H:%M:%SZ")
        print(f"wrote {out}")
    return 0


def add_compare_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recording", metavar="REC.csv", help="formlab recording of the run")
    p.add_argument("fit", metavar="GARMIN.fit", help="Garmin FIT activity of the same run, with running dynamics")
    p.add_argument("--html", required=True, metavar="CMP.html", help="write the self-contained comparison page")
    p.add_argument("--treadmill-speed", type=float, metavar="MPS", help="treadmill speed, m/s (overrides the metadata)")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")


def run_compare(args: argparse.Namespace) -> int:
    from formlab.fit.compare import METRICS, GarminComparer, NoOverlapError, with_epoch
    from formlab.fit.compare_html import comparison_html
    from formlab.fit.garmin_import import import_fit
    from formlab.fit.records import per_second
    from formlab.fit.source import START_KEY

    out = _check_output("--html", args.html, [args.recording, args.fit], args.force)
    garmin = with_epoch(import_fit(args.fit))
    analysis, source = _analysed_source(args.recording, args.treadmill_speed)
    notes = []
    start = source.start_utc.timestamp()
    if START_KEY not in analysis.recording.metadata:  # start the search at the FIT file's first record
        start = float(garmin["epoch_s"].iloc[0])
        notes.append("the recording has no start_time_utc: its start was placed at the FIT file's first record "
                     "and the clock shift searched from there")
    ours = with_epoch(per_second(source), start)
    try:
        comparison = GarminComparer().compare(ours, garmin)
    except NoOverlapError as exc:
        raise InputError(args.fit, None, str(exc)) from None
    out.write_text(comparison_html(comparison, Path(args.recording).name, Path(args.fit).name, notes),
                   encoding="utf-8")
    al = comparison.alignment
    print(f"clock shift {al.shift_s:+d} s (Garmin − formlab, from {al.signal}, r = {al.r:.3f})")
    for r in comparison.agreement.itertuples():
        label, unit, d = METRICS[r.metric]
        if r.minutes:
            print(f"  {label:24s} bias {r.bias:+.{d}f} {unit}, limits {r.loa_low:.{d}f} to {r.loa_high:.{d}f}"
                  f" ({r.minutes} min)")
    print(f"wrote {out}")
    return 0
