"""The terminal view of an analysis: a progress display while it runs, then a readable summary."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rich.markup import escape

from formlab.registry import METRICS, band_of, headline
from formlab.report.tiles import balance_text, sides_text
from formlab.rules import status_lines
from formlab.rules.cli_table import print_standing_notes

_BAND_STYLE = {"purple": "magenta", "blue": "blue", "green": "green", "orange": "dark_orange", "red": "red"}


STAGES = ("reading", "segmenting", "calibrating", "orientation", "steps", "metrics", "rules", "report")


@contextmanager
def stage_progress(name: str, quiet: bool = False):
    """Yield a ``progress(stage)`` callback driving a progress bar over the analysis stages (stderr)."""
    if quiet:
        yield lambda stage: None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[stage]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(name, total=len(STAGES), stage="starting")

        def progress(stage: str) -> None:
            done = STAGES.index(stage) if stage in STAGES else 0
            bar.update(task, completed=done, stage=stage)

        yield progress


TERMINAL_ROWS = ("cadence_spm", "ground_contact_ms", "ground_contact_balance_left_pct",
                 "vertical_oscillation_cm", "vertical_ratio_pct", "impact_g", "impact_asymmetry_pct",
                 "braking_mps", "braking_pct", "pelvic_tilt_deg", "pelvic_drop_deg",
                 "pelvic_rotation_deg", "step_length_m")
"""The metrics of the terminal table, in order (labels, units and decimals: the registry)."""


def metric_cells(metrics: dict, key: str) -> tuple[str, str, str]:
    """(label, headline with unit, both sides) of one metric as every text output shows them."""
    m = METRICS[key]
    value = headline(metrics, key)
    if key == "ground_contact_balance_left_pct":
        return m.label, m.with_unit(value), balance_text(value) or ""
    sides = sides_text(metrics, key) if m.per_side else ""
    if key == "pelvic_tilt_deg" and isinstance(metrics.get(key), dict):
        rng = metrics[key].get("range")
        sides = "" if rng is None else f"range {m.with_unit(rng)}"
    return m.label, m.with_unit(value), sides


def headline_finding(findings: list[dict]) -> str | None:
    """The most important finding in one line (findings come most severe first)."""
    if not findings:
        return None
    f = findings[0]
    return f"{f['severity']}: {f.get('title', f.get('rule', ''))}: {f['message']}"


def print_summary(analysis, written: list[str] = (), console: Console | None = None,
                  report: str | None = None) -> None:
    """Metrics with left/right split and population band, what the guidance checks could and
    could not do, findings, notes; ends with the most important finding and how to open the
    report."""
    console = console or Console()
    s = analysis.summary
    m = s["metrics"]
    run = s["running"]
    console.print(f"[bold]{escape(analysis.recording.name)}[/]: {s['recording']['duration_s']:.0f} s recorded, "
                  f"{run['duration_s']:.0f} s running, {run['steps']} steps, sides known for {run['sides_known_pct']:.0f} %")
    table = Table(show_header=True, header_style="bold")
    for col in ("metric", "value", "left / right", "population band"):
        table.add_column(col)
    for key in TERMINAL_ROWS:
        label, value, sides = metric_cells(m, key)
        band = band_of(key, headline(m, key))
        band_text = f"[{_BAND_STYLE[band.colour]}]{band.colour} ({band.label})[/]" if band else ""
        table.add_row(label, value, sides, band_text)
    console.print(table)
    console.print("[dim]Bands are population percentiles (Garmin running dynamics), a comparison, not a verdict.[/]")
    for line in status_lines(s):
        console.print(f"[bold]{escape(line)}[/]")
    findings = s.get("findings", [])
    if findings:
        console.print("[bold]Findings[/] (`formlab report` shows the advice and sources):")
        for f in findings:
            colour = {"flag": "red", "watch": "dark_orange"}.get(f["severity"], "blue")
            console.print(f"  [{colour}]{f['severity']:>5}[/] {escape(f['title'])}: {escape(f['message'])}")
    print_standing_notes(console)
    for note in s.get("notes", []):
        console.print(f"  [dim]note: {escape(str(note))}[/]")
    for path in written:
        console.print(f"wrote {escape(str(path))}")
    top = headline_finding(findings)
    if top:
        console.print(f"[bold]Most important:[/] {escape(top)}")
    if report:
        console.print(f"open {escape(str(report))}")
