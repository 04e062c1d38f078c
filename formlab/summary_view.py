"""The terminal view of an analysis: a progress display while it runs, then a readable summary."""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from formlab.metrics import METRICS, band_of
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


def _fmt(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def print_summary(analysis, written: list[str] = (), console: Console | None = None) -> None:
    """Metrics with left/right split and population band, findings, notes."""
    console = console or Console()
    s = analysis.summary
    m = s["metrics"]
    run = s["running"]
    console.print(f"[bold]{analysis.recording.name}[/]: {s['recording']['duration_s']:.0f} s recorded, "
                  f"{run['duration_s']:.0f} s running, {run['steps']} steps, sides known for {run['sides_known_pct']:.0f} %")
    table = Table(show_header=True, header_style="bold")
    for col in ("metric", "value", "left / right", "population band"):
        table.add_column(col)

    def row(metric: str, value, unit: str, lr: str = "", digits: int = 1):
        band = band_of(metric, value)
        band_text = f"[{_BAND_STYLE[band.colour]}]{band.colour} ({band.label})[/]" if band else ""
        table.add_row(METRICS[metric].label if metric in METRICS else metric, f"{_fmt(value, digits)} {unit}", lr, band_text)

    ct = m["ground_contact_ms"]
    bal = m["ground_contact_balance_left_pct"]
    row("cadence_spm", m["cadence_spm"], "spm")
    row("ground_contact_ms", ct["mean"], "ms", f"{_fmt(ct['left'], 0)} / {_fmt(ct['right'], 0)} ms", 0)
    row("ground_contact_balance_left_pct", bal, "% left",
        "" if bal is None else f"{bal:.1f} L / {100 - bal:.1f} R")
    row("vertical_oscillation_cm", m["vertical_oscillation_cm"], "cm")
    row("vertical_ratio_pct", m["vertical_ratio_pct"], "%")
    row("impact_g", m["impact_g"]["mean"], "g", f"{_fmt(m['impact_g']['left'], 2)} / {_fmt(m['impact_g']['right'], 2)} g", 2)
    row("impact_asymmetry_pct", m["impact_asymmetry_pct"], "%")
    row("braking_mps", m["braking_mps"]["mean"], "m/s", f"{_fmt(m['braking_mps']['left'], 2)} / {_fmt(m['braking_mps']['right'], 2)}", 2)
    row("pelvic_tilt_deg", m["pelvic_tilt_deg"]["mean"], "°", f"range {_fmt(m['pelvic_tilt_deg']['range'])}°")
    row("pelvic_drop_deg", None if m["pelvic_drop_deg"]["left"] is None else max(m["pelvic_drop_deg"]["left"], m["pelvic_drop_deg"]["right"] or 0), "°",
        f"{_fmt(m['pelvic_drop_deg']['left'])} / {_fmt(m['pelvic_drop_deg']['right'])}°")
    row("pelvic_rotation_deg", m["pelvic_rotation_deg"]["range"], "° range")
    row("step_length_m", m["step_length_m"], "m", digits=2)
    console.print(table)
    console.print("[dim]Bands are population percentiles (Garmin running dynamics), a comparison, not a verdict.[/]")
    findings = s.get("findings", [])
    if findings:
        console.print("[bold]Findings[/] (`formlab report` shows the advice and sources):")
        for f in findings:
            colour = {"flag": "red", "watch": "dark_orange"}.get(f["severity"], "blue")
            console.print(f"  [{colour}]{f['severity']:>5}[/] {f['message']}")
    print_standing_notes(console)
    for note in s.get("notes", []):
        console.print(f"  [dim]note: {note}[/]")
    for path in written:
        console.print(f"wrote {path}")
