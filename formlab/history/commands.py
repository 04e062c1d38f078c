"""The command line of the history store: ``formlab history``, ``formlab roster``, ``formlab batch``."""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from pathlib import Path

from formlab.errors import InputError


def _db_argument(p: argparse.ArgumentParser, **default) -> None:
    p.add_argument("--db", metavar="PATH", help="history store file (default: $FORMLAB_DB, else the user data folder)",
                   **default)


def _refuse_existing(path: str | Path) -> Path:
    path = Path(path)
    if path.exists():
        raise InputError(str(path), None, "already exists: formlab does not overwrite it (choose another name)")
    return path


# ------------------------------------------------------------------------------------------------ history

def add_history_arguments(p: argparse.ArgumentParser) -> None:
    _db_argument(p)
    p.add_argument("--athlete", metavar="NAME", help="only this runner")
    sub = p.add_subparsers(dest="action", metavar="ACTION", title="actions (without one: the list of sessions)")
    show = sub.add_parser("show", help="one session: facts, metrics per speed, findings, analysis versions")
    show.add_argument("session", type=int, metavar="SESSION")
    show.add_argument("--html", metavar="REPORT.html", help="also write its report (re-analysed from the stored recording)")
    again = sub.add_parser("reanalyze", help="run the current pipeline again on stored recordings (earlier results are kept)")
    again.add_argument("--all", action="store_true", help="also sessions already analysed by this formlab version")
    export = sub.add_parser("export", help="summaries and steps as CSV or Parquet")
    export.add_argument("--csv", metavar="DIR", help="write DIR/summaries.csv and DIR/steps.csv")
    export.add_argument("--parquet", metavar="DIR", help="write DIR/summaries.parquet and DIR/steps.parquet (needs pyarrow)")
    trend = sub.add_parser("trend", help="one metric over time, runs at matched belt speed only, per speed")
    trend.add_argument("metric", metavar="METRIC", help="e.g. cadence_spm, contact_right_ms, vertical_oscillation_cm")
    trend.add_argument("--treadmill-speed", type=float, metavar="MPS", help="only this belt speed (default: every speed)")
    plan = sub.add_parser("plan", help="record the day an athlete's training plan started (for the six-week note)")
    plan.add_argument("name", metavar="NAME")
    plan.add_argument("start", metavar="YYYY-MM-DD")
    backup = sub.add_parser("backup", help="copy the whole store folder to a new folder")
    backup.add_argument("dest", metavar="DEST")
    for child in (show, again, export, trend, plan, backup):
        _db_argument(child, default=argparse.SUPPRESS)  # keeps a --db given before the action
        child.set_defaults(athlete_filter=None)
    again.add_argument("--athlete", dest="athlete_filter", metavar="NAME", help="only this runner")
    export.add_argument("--athlete", dest="athlete_filter", metavar="NAME", help="only this runner")
    trend.add_argument("--athlete", dest="athlete_filter", metavar="NAME", help="the runner (needed)")


def run_history(args: argparse.Namespace) -> int:
    from formlab.history.store import Store

    with Store(args.db) as store:
        action = args.action or "list"
        athlete = getattr(args, "athlete_filter", None) or args.athlete
        if action == "list":
            return _list(store, athlete)
        if action == "show":
            return _show(store, args.session, args.html)
        if action == "reanalyze":
            return _reanalyze(store, athlete, args.all)
        if action == "export":
            return _export(store, athlete, args.csv, args.parquet)
        if action == "trend":
            return _trend(store, athlete, args.metric, args.treadmill_speed)
        if action == "plan":
            return _plan(store, args.name, args.start)
        return _backup(store, args.dest)


def _metric(summary: dict, *path: str):
    value = summary.get("metrics", {})
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _fmt(value, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _speeds(stages) -> str:
    return " → ".join(f"{v:g}" for _, v in stages) if stages else "?"


def _list(store, athlete: str | None) -> int:
    from rich.console import Console
    from rich.table import Table

    rows = store.sessions(athlete)
    if athlete and not rows:
        raise InputError("--athlete", None, f"no sessions stored for {athlete!r}")
    table = Table(title=f"{len(rows)} sessions in {store.path}")
    for name, justify in (("id", "right"), ("date (UTC)", "left"), ("athlete", "left"), ("speed m/s", "left"),
                          ("running min", "right"), ("steps", "right"), ("cadence spm", "right"),
                          ("contact L/R ms", "right"), ("osc. cm", "right"), ("findings", "right")):
        table.add_column(name, justify=justify)
    for r in rows:
        s = r.summary
        table.add_row(str(r.id), r.start_utc[:16].replace("T", " "), r.athlete, _speeds(r.speed_stages),
                      _fmt(r.running_s / 60, 1), str(r.running_steps), _fmt(_metric(s, "cadence_spm"), 1),
                      f"{_fmt(_metric(s, 'ground_contact_ms', 'left'))}/{_fmt(_metric(s, 'ground_contact_ms', 'right'))}",
                      _fmt(_metric(s, "vertical_oscillation_cm"), 1), str(len(s.get("findings", []))))
    console = Console()
    console.print(table)
    if athlete:
        _print_volume(console, store, athlete, rows)
    return 0


def _print_volume(console, store, athlete: str, rows) -> None:
    """Weekly volume with week-over-week change, the 10 % rule's findings and the plan note."""
    from rich.table import Table

    from formlab.history.volume import plan_note, volume_findings, weekly_volume

    plan_start = dict(store.athletes()).get(athlete)
    weekly = weekly_volume(rows)
    table = Table(title=f"weekly volume of {athlete} (runs formlab recorded)")
    for name in ("week of", "runs", "running min", "steps", "km", "change"):
        table.add_column(name, justify="left" if name == "week of" else "right")
    for w in weekly.itertuples(index=False):
        table.add_row(w.week_start.isoformat(), str(w.runs), f"{w.running_min:.0f}", str(w.steps),
                      "–" if w.distance_km != w.distance_km else f"{w.distance_km:.1f}",
                      "–" if w.change_pct != w.change_pct else f"{w.change_pct:+.0f} % ({w.measure})")
    console.print(table)
    for f in volume_findings(weekly, plan_start):
        console.print(f"[{f['severity']}] {f['message']}", markup=False)
        console.print("  sources: " + "; ".join(f"{s['document']}, \"{s['section']}\"" for s in f["sources"]),
                      markup=False)
    note = plan_note(weekly["week_start"].iloc[-1], plan_start) if len(weekly) else None
    if note is not None:
        console.print(note["message"], markup=False)
        console.print("  source: " + "; ".join(f"{s['document']}, \"{s['section']}\"" for s in note["sources"]),
                      markup=False)


def _session(store, session_id: int):
    rows = store.sessions(session_id=session_id)
    if not rows:
        raise InputError("SESSION", None, f"no session {session_id} in {store.path}")
    return rows[0]


def _show(store, session_id: int, html: str | None) -> int:
    from formlab.history.trends import baseline_findings

    r = _session(store, session_id)
    print(f"session {r.id}: {r.athlete}, {r.start_utc} ({r.source_name or 'no file name'})")
    print(f"  {r.duration_s / 60:.1f} min recorded, {r.running_s / 60:.1f} min running, {r.running_steps} steps, "
          f"belt speed {_speeds(r.speed_stages)} m/s"
          + (f", {r.distance_m / 1000:.2f} km" if r.distance_m is not None else ""))
    print(f"  device {r.device or '?'}; device calibration {'applied' if r.calibration_applied else 'not applied'}; "
          f"recording sha256 {r.sha256[:16]}…")
    for aid, version, when, current in store.analysis_versions(r.id):
        print(f"  analysis {aid}: formlab {version} on {when}{' (current)' if current else ''}")
    print("  metrics per belt speed (medians over that speed's steps):")
    metrics = ("cadence_spm", "contact_left_ms", "contact_right_ms", "vertical_oscillation_cm", "braking_mps")
    frames = {m: store.stage_metric(r.athlete, m) for m in metrics}
    for speed, group in frames["cadence_spm"][frames["cadence_spm"]["session_id"] == r.id].groupby(
            frames["cadence_spm"]["speed_mps"].fillna(-1)):
        label = "speed unknown" if speed < 0 else f"{speed:g} m/s"
        values = []
        for m in metrics:
            f = frames[m]
            v = f[(f["session_id"] == r.id) & (f["speed_mps"].fillna(-1) == speed)]["value"]
            values.append(f"{m} {_fmt(v.iloc[0] if len(v) and v.notna().iloc[0] else None, 2)}")
        print(f"    {label} ({int(group['steps'].iloc[0])} steps): " + ", ".join(values))
    findings = r.summary.get("findings", [])
    print(f"  findings: {len(findings)}")
    for f in findings:
        print(f"    [{f.get('severity')}] {f.get('title')}: {f.get('message')}")
    for c in baseline_findings(store, r.athlete, r.id):
        print(f"  against baseline: {c.message()}")
    if html:
        from formlab.history.roster import write_session_report

        write_session_report(store, r, _refuse_existing(html))
        print(f"  report: {html}")
    return 0


def _trend(store, athlete: str | None, metric: str, speed_mps: float | None) -> int:
    from formlab.history.guidance import baseline_settings
    from formlab.history.trends import matched, speed_groups

    if not athlete:
        raise InputError("trend", None, "give the runner with --athlete NAME")
    frame = store.stage_metric(athlete, metric)
    if frame.empty:
        known = sorted({m for (m,) in store.conn.execute("SELECT DISTINCT metric FROM stage_metrics")})
        raise InputError("trend", None, f"no {metric!r} stored for {athlete!r} (metrics: {', '.join(known) or 'none yet'})")
    tolerance = baseline_settings().speed_tolerance_mps
    speeds = [speed_mps] if speed_mps else speed_groups(frame["speed_mps"].dropna().unique(), tolerance)
    for speed in speeds:
        rows = matched(frame, speed, tolerance)
        print(f"{metric} of {athlete} at {speed:g} m/s (runs within ±{tolerance:g} m/s): {len(rows)} runs")
        for r in rows.itertuples(index=False):
            print(f"  {r.start_utc[:16].replace('T', ' ')}  session {r.session_id:>4}  {r.speed_mps:g} m/s  "
                  f"{r.steps:>5} steps  {r.value:.2f}")
    if frame["speed_mps"].isna().any():
        print(f"{int(frame['speed_mps'].isna().sum())} runs of unknown belt speed are left out (no matched speed)")
    return 0


def _reanalyze(store, athlete: str | None, everything: bool) -> int:
    from formlab import __version__
    from formlab.analysis import analyze
    from formlab.history.payload import session_record
    from formlab.recording import parse_recording

    done = kept = 0
    for r in store.sessions(athlete):
        if r.formlab_version == __version__ and not everything:
            kept += 1
            continue
        path = store.recording_path(r)
        raw = gzip.decompress(path.read_bytes())
        rec = parse_recording(raw, r.source_name or path.name)
        override = store.speed_override(r.id)
        record = session_record(analyze(rec, speed_mps=override), override, raw)
        store.add_analysis(r.id, record)
        done += 1
        print(f"session {r.id} ({r.athlete}, {r.start_utc[:10]}): analysed again with formlab {__version__} "
              f"(earlier analysis by {r.formlab_version} kept)")
    print(f"{done} re-analysed, {kept} already analysed by formlab {__version__} (use --all to redo them)")
    return 0


def _export(store, athlete: str | None, csv_dir: str | None, parquet_dir: str | None) -> int:
    import pandas as pd

    if not csv_dir and not parquet_dir:
        raise InputError("export", None, "choose --csv DIR or --parquet DIR")
    if parquet_dir:
        try:
            import pyarrow  # noqa: F401  (pandas writes Parquet through it)
        except ImportError:
            raise InputError("--parquet", None, "needs pyarrow: pip install 'formlab[parquet]'") from None
    rows = store.sessions(athlete)
    summaries = pd.json_normalize([{
        "session_id": r.id, "athlete": r.athlete, "start_utc": r.start_utc, "duration_s": r.duration_s,
        "device": r.device, "speed_stages": json.dumps(r.speed_stages), "calibration_applied": r.calibration_applied,
        "recording_sha256": r.sha256, "formlab_version": r.formlab_version, "running_s": r.running_s,
        "running_steps": r.running_steps, "distance_m": r.distance_m, "findings": len(r.summary.get("findings", [])),
        "metrics": r.summary.get("metrics", {})} for r in rows])
    steps = pd.concat([store.steps(r.analysis_id).assign(session_id=r.id) for r in rows], ignore_index=True) \
        if rows else pd.DataFrame()
    for folder, suffix in ((csv_dir, "csv"), (parquet_dir, "parquet")):
        if not folder:
            continue
        out = Path(folder)
        targets = [_refuse_existing(out / f"summaries.{suffix}"), _refuse_existing(out / f"steps.{suffix}")]
        out.mkdir(parents=True, exist_ok=True)
        for frame, target in zip((summaries, steps), targets):
            if suffix == "csv":
                frame.to_csv(target, index=False)
            else:
                frame.to_parquet(target, index=False)
        print(f"wrote {targets[0]} ({len(summaries)} sessions) and {targets[1]} ({len(steps)} steps)")
    return 0


def _plan(store, name: str, start: str) -> int:
    from datetime import date

    try:
        date.fromisoformat(start)
    except ValueError:
        raise InputError("plan", None, f"the plan start must be a date YYYY-MM-DD, got {start!r}") from None
    if name not in {athlete for athlete, _ in store.athletes()}:
        raise InputError("plan", None, f"no athlete {name!r} in {store.path} (save a run for them first)")
    store.set_plan_start(name, start)
    print(f"{name}: training plan started on {start}")
    return 0


def _backup(store, dest: str) -> int:
    target = _refuse_existing(dest)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the .sqlite file alone holds everything
    shutil.copytree(store.folder, target)
    print(f"copied {store.folder} to {target} (a plain copy: point --db at {target / store.path.name})")
    return 0


# ------------------------------------------------------------------------------------------------ roster

def add_roster_arguments(p: argparse.ArgumentParser) -> None:
    _db_argument(p)
    p.add_argument("--html", metavar="ROSTER.html", required=True,
                   help="the roster page; each athlete's history page and last session's report are written beside it")
    p.add_argument("--all-reports", action="store_true", help="write the report of every stored session, not only the last")


def run_roster(args: argparse.Namespace) -> int:
    from formlab.history.roster import write_roster
    from formlab.history.store import Store

    with Store(args.db) as store:
        written = write_roster(store, args.html, all_reports=args.all_reports)
    print(f"wrote {args.html} and {len(written) - 1} pages beside it")
    return 0


# ------------------------------------------------------------------------------------------------ batch

def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recordings", metavar="FOLDER_OR_GLOB", help="a folder of recording CSVs, or a glob ('runs/**/*.csv')")
    p.add_argument("--athlete", metavar="NAME", help="the runner of every recording (needed with --save)")
    p.add_argument("--save", action="store_true", help="save each run to the history store (already stored ones are skipped)")
    _db_argument(p)
    p.add_argument("--treadmill-speed", type=float, metavar="MPS", help="belt speed of every recording, m/s (overrides the metadata)")
    p.add_argument("--workers", type=int, metavar="N", help="processes (default: one per core)")
    p.add_argument("--dask", metavar="ADDRESS", help="run on this Dask scheduler (tcp://host:8786) instead of local processes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run_batch_command(args: argparse.Namespace) -> int:
    from formlab.history.batch import find_recordings, print_result, run_batch
    from formlab.history.store import Store

    if args.save and not args.athlete:
        raise InputError("--save", None, "give the runner's name with --athlete NAME")
    paths = find_recordings(args.recordings)
    store = Store(args.db) if args.save else None
    try:
        result = run_batch(paths, args.athlete, store, args.workers, args.dask, args.treadmill_speed,
                           progress=not args.quiet)
    finally:
        if store is not None:
            store.close()
    print_result(result, saving=store is not None)
    return 1 if result.failed else 0
