"""The ``formlab`` command line: a thin layer over the library, an example in every command's help.

Bad input ends with one line on stderr (``file:line: problem``) and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from formlab.errors import CommandError, InputError

EXAMPLES = {
    "analyze": "formlab analyze firmware_recordings/simulated_treadmill_10min.csv --json out/summary.json --steps out/steps.csv --html out/report.html",
    "report": "formlab report run_monday.csv --html monday.html\n  formlab report run_monday.csv run_friday.csv --html compare.html",
    "simulate": "formlab simulate --out demo.csv --truth demo.truth.csv --cadence-spm 165 --duration-s 300",
    "calibrate": "formlab calibrate six_positions.csv --out calibration/waist-imu-07.toml",
    "rules": "formlab rules\n  formlab rules --rules my_thresholds.toml",
    "devices": "formlab devices --timeout 8",
    "record": "formlab record --device waist-imu-07 --out run.csv",
    "live": "formlab live --device waist-imu-07 --out run.csv --html run.html\n  formlab live --replay run.csv --replay-speed 10",
    "export": "formlab export firmware_recordings/simulated_treadmill_10min.csv --fit out/run.fit",
    "import-fit": "formlab import-fit garmin_run.fit --csv garmin_run_1hz.csv",
    "compare-garmin": "formlab compare-garmin run.csv garmin_run.fit --html cmp.html --treadmill-speed 3.3",
    "convert": "formlab convert phyphox_export.csv --out run.csv\n  formlab convert log.csv --columns \"t=timestamp:ms,ax=ax:g,ay=ay:g,az=az:g\" --out run.csv",
    "history": "formlab history --athlete Sam\n  formlab history show 12\n  formlab history trend contact_right_ms --athlete Sam\n  formlab history reanalyze --all\n  formlab history export --csv out/history",
    "roster": "formlab roster --html out/roster.html",
    "batch": "formlab batch runs/ --athlete Sam --save\n  formlab batch 'runs/*.csv' --athlete Sam --save --dask tcp://scheduler:8786",
}


def _analyze_command():
    return _add_analyze_arguments, _run_analyze


def _convert_command():
    from formlab.convert import add_convert_arguments, run_convert
    return add_convert_arguments, run_convert


def _report_command():
    from formlab.report.cli import add_report_arguments, run_report
    return add_report_arguments, run_report


def _simulate_command():
    from formlab.simulate import add_simulate_arguments, run_simulate
    return add_simulate_arguments, run_simulate


def _calibrate_command():
    from formlab.calibration import add_calibrate_arguments, run_calibrate
    return add_calibrate_arguments, run_calibrate


def _rules_command():
    from formlab.rules.cli_table import add_rules_arguments, run_rules
    return add_rules_arguments, run_rules


def _devices_command():
    from formlab.ble.commands import add_devices_arguments, run_devices
    return add_devices_arguments, run_devices


def _record_command():
    from formlab.ble.commands import add_record_arguments, run_record
    return add_record_arguments, run_record


def _live_command():
    from formlab.live import add_live_arguments, run_live
    return add_live_arguments, run_live


def _fit_command(name: str):
    def loader():
        from formlab.fit import commands
        return getattr(commands, f"add_{name}_arguments"), getattr(commands, f"run_{name}")
    return loader


def _history_command():
    from formlab.history.commands import add_history_arguments, run_history
    return add_history_arguments, run_history


def _roster_command():
    from formlab.history.commands import add_roster_arguments, run_roster
    return add_roster_arguments, run_roster


def _batch_command():
    from formlab.history.commands import add_batch_arguments, run_batch_command
    return add_batch_arguments, run_batch_command


COMMANDS = {  # name: (help, loader of (add_arguments, run)); only the chosen command's module is imported
    "analyze": ("Measure running form step by step from a recording.", _analyze_command),
    "report": ("Write the HTML form report for one recording, or compare two.", _report_command),
    "simulate": ("Write a simulated waist-IMU running recording with its truth (demos, teaching, tests).", _simulate_command),
    "calibrate": ("Fit accelerometer bias/scale and gyro bias from a six-position recording.", _calibrate_command),
    "rules": ("List the guidance catalogue: rules, metrics, thresholds and their sources.", _rules_command),
    "devices": ("Scan for sensors formlab can stream from (formlab profile, Polar, Movesense).", _devices_command),
    "record": ("Record a run from a BLE sensor to a CSV, writing as it goes.", _record_command),
    "live": ("Record with a live form dashboard, or replay a recording through it.", _live_command),
    "export": ("Export the running dynamics as a FIT activity (Garmin Connect, GoldenCheetah, ...).", _fit_command("export")),
    "import-fit": ("Read a Garmin running-dynamics FIT file into a 1 Hz table.", _fit_command("import")),
    "compare-garmin": ("Compare a recording with a Garmin FIT file of the same run (Bland-Altman).", _fit_command("compare")),
    "convert": ("Convert a recording from another app or CSV layout to the formlab recording format.", _convert_command),
    "history": ("The athlete history store: sessions, re-analysis, export, backup.", _history_command),
    "roster": ("Write the coach's roster page: every athlete's last run, trends and weekly volume.", _roster_command),
    "batch": ("Analyse many recordings in parallel and save them to the history store.", _batch_command),
}


def _parser(argv: list[str]) -> argparse.ArgumentParser:
    from formlab import __version__

    parser = argparse.ArgumentParser(prog="formlab", description="Running-form analysis from one waist-worn IMU.")
    parser.add_argument("--version", action="version", version=f"formlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (help_text, loader) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog="example:\n  " + EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        if name == chosen:
            add_arguments, run = loader()
            add_arguments(p)
            p.set_defaults(run=run)
    return parser


def _add_analyze_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recording", metavar="REC", help="recording: formlab CSV, Phyphox, Sensor Logger, or any CSV "
                   "with --columns (docs/recording-format.md)")
    p.add_argument("--json", metavar="SUMMARY.json", help="write the summary (docs/output-files.md)")
    p.add_argument("--steps", metavar="STEPS.csv", help="write one row per detected step (docs/output-files.md)")
    p.add_argument("--html", metavar="REPORT.html", help="also write the self-contained HTML report")
    add_common_analysis_arguments(p)
    p.add_argument("--quiet", action="store_true", help="no terminal summary")
    from formlab.history.save import add_save_arguments
    add_save_arguments(p)


def add_common_analysis_arguments(p: argparse.ArgumentParser) -> None:
    """The options every command that analyses a recording takes, with one meaning each."""
    p.add_argument("--treadmill-speed", type=float, metavar="MPS", help="treadmill belt speed, m/s (overrides the metadata)")
    p.add_argument("--rules", metavar="FILE", help="coach's rule overrides (TOML): thresholds, rules switched off")
    p.add_argument("--calibration-dir", metavar="DIR",
                   help="folder of device calibration files (searched first; then $FORMLAB_CALIBRATION_DIR, "
                        "./calibration and the user's formlab config folder)")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")
    p.add_argument("--columns", metavar="MAP", help="column mapping for other CSVs: 't=timestamp:ms,ax=ax:g,…' or a "
                   ".toml file (docs/recording-format.md)")


def _run_analyze(args: argparse.Namespace) -> int:
    from formlab.analysis import analyze
    from formlab.output_files import check_outputs
    from formlab.recording import read_recording
    from formlab.rules import load_catalogue
    from formlab.summary_view import print_summary, stage_progress

    check_outputs({"--json": args.json, "--steps": args.steps, "--html": args.html}, inputs=[args.recording],
                  force=args.force)
    catalogue = load_catalogue(overrides_path=args.rules) if args.rules else None
    with stage_progress(Path(args.recording).name, quiet=args.quiet) as progress:
        progress("reading")
        rec = read_recording(args.recording, columns=args.columns)
        if args.athlete:  # the report's header names the runner too
            rec.metadata["athlete"] = args.athlete
        analysis = analyze(rec, speed_mps=args.treadmill_speed, calibration_dir=args.calibration_dir,
                           catalogue=catalogue, progress=progress)
        if args.html:
            progress("report")
            from formlab.report.html import write_report

            write_report([analysis], args.html)
    if args.json:
        Path(args.json).write_text(json.dumps(analysis.summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    if args.steps:
        from formlab.metrics import STEPS_COLUMNS
        from formlab.summary import steps_table

        steps_table(analysis.steps, STEPS_COLUMNS).to_csv(args.steps, index=False)
    if not args.quiet:
        print_summary(analysis, written=[p for p in (args.json, args.steps, args.html) if p],
                      report=args.html)
    from formlab.history.save import save_if_requested
    save_if_requested(args, analysis)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"formlab: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"formlab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("formlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
