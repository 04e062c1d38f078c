"""The coach's roster and each athlete's history page: self-contained HTML that opens offline.

``roster.html``: one row per athlete (last run, its findings, trend arrows of the key metrics
against the athlete's baseline at that run's belt speed, the latest week-over-week volume change
with the 10 % rule). Beside it: ``athlete-<n>.html`` (trend charts per belt speed, weekly
volume, every session) and ``session-<id>.html``, the ordinary session report of each athlete's
last run, analysed again from the stored recording. Pages use the session report's template
(``formlab.report.page``) and, where there are charts, plotly.js inlined once.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from formlab.history.guidance import baseline_settings, volume_rule
from formlab.history.trends import KEY_METRICS, compare_to_baseline, speed_groups
from formlab.history.volume import plan_note, plan_week, volume_findings, weekly_volume
from formlab.report.html import PLOTLY_CONFIG
from formlab.report.page import esc, page, section

NARROW_STYLE = """<style>
table.rows td { overflow-wrap:anywhere; }
.arrow { font-size:18px; font-weight:700; }
.up { color:#c0392b; } .down { color:#2c5d8f; } .same { color:#5d6b7a; }
@media (max-width: 700px) {
  header.top, nav { padding-left:14px; padding-right:14px; }
  main { padding:4px 8px 24px; }
  section { padding:12px 12px; }
  table.rows thead { display:none; }
  table.rows tr { display:block; border-bottom:2px solid var(--line); padding:6px 0; }
  table.rows td { display:block; border:none; padding:2px 4px; text-align:left; }
  table.rows td::before { content:attr(data-label) ": "; color:var(--muted); font-weight:600; }
}
</style>"""


def _rows_table(header: list[str], rows: list[list[str]]) -> str:
    """A table (cells already escaped) that turns into labelled blocks on a phone."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td data-label="{esc(h)}">{c}</td>' for h, c in zip(header, r)) + "</tr>"
                   for r in rows)
    return f'<table class="rows"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _findings_cell(findings: list[dict]) -> str:
    if not findings:
        return "none"
    return "<br>".join(f"<strong>{esc(f.get('severity', ''))}</strong> {esc(f.get('title', ''))}" for f in findings)


def _arrow_cell(comparisons) -> str:
    if not comparisons:
        return '<span class="muted">no baseline yet</span>'
    c = comparisons[0]
    css = {"↑": "up", "↓": "down", "→": "same"}[c.arrow]
    d, unit = c.metric.decimals, c.metric.unit
    return (f'<span class="arrow {css}" title="{esc(c.message())}">{c.arrow}</span> '
            f"{c.value:.{d}f} {esc(unit)} <span class=\"muted\">(baseline {c.baseline:.{d}f})</span>")


def _cites(sources) -> str:
    return "; ".join(f"{esc(s['document'])}, “{esc(s['section'])}”" for s in sources)


def _volume_cell(weekly, findings) -> str:
    if weekly.empty:
        return "–"
    last = weekly.iloc[-1]
    text = f"week of {last['week_start']}: {last['runs']} runs, {last['running_min']:.0f} min"
    if last["change_pct"] == last["change_pct"]:  # not NaN
        text += f", {last['change_pct']:+.0f} % {'distance' if last['measure'] == 'distance' else 'time'}"
    if findings and findings[-1]["week_start"] == last["week_start"].isoformat():
        text = f"<strong>{esc(text)}</strong> (10 % rule)"
    else:
        text = esc(text)
    return text


def write_session_report(store, row, path) -> Path:
    """The session report of a stored run, analysed again from its stored recording."""
    import gzip

    from formlab.analysis import analyze
    from formlab.recording import parse_recording
    from formlab.report.html import write_report

    raw = gzip.decompress(store.recording_path(row).read_bytes())
    rec = parse_recording(raw, row.source_name or f"session {row.id}")
    return write_report([analyze(rec, speed_mps=store.speed_override(row.id))], path)


def _figure(fig, div_id: str) -> str:
    return '<div class="fig">' + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                                             config=PLOTLY_CONFIG) + "</div>"


def _trend_figures(store, athlete: str, frames: dict) -> str:
    settings = baseline_settings()
    speeds = speed_groups(frames[KEY_METRICS[0]]["speed_mps"].dropna().unique(), settings.speed_tolerance_mps)
    if not speeds:
        return '<p class="muted">No run with a known belt speed yet: trends compare runs at the same speed only.</p>'
    parts = []
    for i, speed in enumerate(speeds):
        fig = make_subplots(rows=len(KEY_METRICS), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                            subplot_titles=[settings.metrics[m].label + f" ({settings.metrics[m].unit})"
                                            for m in KEY_METRICS])
        for r, metric in enumerate(KEY_METRICS, start=1):
            f = frames[metric]
            f = f[((f["speed_mps"] - speed).abs() <= settings.speed_tolerance_mps + 1e-9) & f["value"].notna()]
            fig.add_trace(go.Scatter(x=f["start_utc"].str[:16], y=f["value"], mode="lines+markers",
                                     name=settings.metrics[metric].label, showlegend=False), row=r, col=1)
        fig.update_layout(height=170 * len(KEY_METRICS), margin=dict(l=40, r=10, t=30, b=30), autosize=True)
        parts.append(f"<h3>At {speed:g} m/s (runs within ±{settings.speed_tolerance_mps:g} m/s)</h3>"
                     + _figure(fig, f"trend-{i}"))
    return "".join(parts)


def _volume_figure(weekly) -> str:
    fig = go.Figure(go.Bar(x=[w.isoformat() for w in weekly["week_start"]], y=weekly["running_min"],
                           name="running minutes"))
    fig.update_layout(height=260, margin=dict(l=40, r=10, t=20, b=40), yaxis_title="running min / week")
    return _figure(fig, "volume-chart")


def _athlete_page(store, athlete: str, plan_start: str | None, sessions, weekly, findings, reports: dict,
                  path: Path) -> None:
    frames = {m: store.stage_metric(athlete, m) for m in KEY_METRICS}
    rule = volume_rule()
    volume_rows = [[esc(w.week_start), str(w.runs), f"{w.running_min:.0f}", str(w.steps),
                    "–" if w.distance_km != w.distance_km else f"{w.distance_km:.1f}",
                    "–" if w.change_pct != w.change_pct else f"{w.change_pct:+.0f} % ({w.measure})"]
                   for w in weekly.itertuples(index=False)]
    notes = "".join(
        f'<div class="finding"><span class="sev">{esc(f["severity"])}</span><span class="msg">{esc(f["message"])}</span>'
        f'<ul>{"".join(f"<li>{esc(a)}</li>" for a in f["advice"])}</ul>'
        + (f'<p>{esc(f["plan_note"]["message"])}</p><p class="sources">Source: {_cites(f["plan_note"]["sources"])}</p>'
           if "plan_note" in f else "")
        + f'<p class="sources">Sources: {_cites(f["sources"])}</p></div>' for f in findings)
    session_rows = []
    for s in reversed(sessions):
        date = esc(s.start_utc[:16].replace("T", " "))
        if s.id in reports:
            date = f'<a href="{esc(reports[s.id])}">{date}</a>'
        speeds = " → ".join(f"{v:g}" for _, v in s.speed_stages) if s.speed_stages else "?"
        session_rows.append([date, str(s.id), esc(speeds), f"{s.running_s / 60:.1f}",
                             _findings_cell(s.summary.get("findings", []))])
    plan = f"training plan started {plan_start}" if plan_start else "no training plan start recorded"
    note = plan_note(weekly.iloc[-1]["week_start"], plan_start) if len(weekly) else None
    if note is not None and not (findings and "plan_note" in findings[-1]
                                 and findings[-1]["week_start"] == weekly.iloc[-1]["week_start"].isoformat()):
        notes += (f'<div class="note"><p>{esc(note["message"])}</p>'
                  f'<p class="sources">Source: {_cites(note["sources"])}</p></div>')
    volume_html = (_volume_figure(weekly) + notes
                   + _rows_table(["week of", "runs", "running min", "steps", "km", "change"], volume_rows)
                   + f'<p class="muted">The {rule.threshold_pct:g} % rule: {_cites(rule.sources)}. '
                   "formlab counts only the runs it recorded.</p>")
    body = NARROW_STYLE + section("trends", "Trends at matched belt speed", _trend_figures(store, athlete, frames),
                                  "Each chart compares runs at one belt speed only: form changes with pace.")
    body += section("volume", "Weekly volume", volume_html, plan)
    body += section("sessions", "Sessions", _rows_table(["date (UTC)", "session", "speed m/s", "running min",
                                                         "findings"], session_rows))
    nav = [("trends", "Trends"), ("volume", "Weekly volume"), ("sessions", "Sessions")]
    path.write_text(page(f"Running history — {athlete}", f"{len(sessions)} runs", nav, body, get_plotlyjs()),
                    encoding="utf-8")


def write_roster(store, path, all_reports: bool = False) -> list[Path]:
    """Write the roster to ``path`` and, beside it, each athlete's page and the report of each
    athlete's last run (of every run with ``all_reports``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = baseline_settings()
    written, rows = [path], []
    for n, (athlete, plan_start) in enumerate(store.athletes(), start=1):
        sessions = store.sessions(athlete)
        if not sessions:
            continue
        last = sessions[-1]
        reports = {}
        for session in sessions if all_reports else [last]:
            report = write_session_report(store, session, path.parent / f"session-{session.id}.html")
            reports[session.id] = report.name
            written.append(report)
        weekly = weekly_volume(sessions)
        findings = volume_findings(weekly, plan_start)
        athlete_path = path.parent / f"athlete-{n}.html"
        _athlete_page(store, athlete, plan_start, sessions, weekly, findings, reports, athlete_path)
        written.append(athlete_path)
        arrows = [_arrow_cell(compare_to_baseline(store.stage_metric(athlete, m), last.id, settings.metrics[m], settings))
                  for m in KEY_METRICS]
        week = plan_week(weekly.iloc[-1]["week_start"], plan_start) if plan_start else None
        plan = f"<br><span class=\"muted\">plan week {week}</span>" if week else ""
        rows.append([f'<a href="{esc(athlete_path.name)}">{esc(athlete)}</a>{plan}',
                     f'<a href="{esc(reports[last.id])}">{esc(last.start_utc[:16].replace("T", " "))}</a>',
                     _findings_cell(last.summary.get("findings", [])), *arrows, _volume_cell(weekly, findings)])
    header = ["athlete", "last run (UTC)", "its findings",
              *[f"{settings.metrics[m].label}" for m in KEY_METRICS], "weekly volume"]
    lead = (f"Arrows: the last run against the athlete's baseline at the same belt speed (the median of runs in "
            f"the {settings.weeks} weeks before it within ±{settings.speed_tolerance_mps:g} m/s; shown once there are "
            f"{settings.min_sessions}). ↑ / ↓ a change beyond the usual run-to-run spread, → within it.")
    body = NARROW_STYLE + section("roster", "Athletes", _rows_table(header, rows) if rows else
                                  '<p class="muted">No sessions stored yet.</p>', lead)
    path.write_text(page("Roster", f"{len(rows)} athletes", [("roster", "Athletes")], body, ""), encoding="utf-8")
    return written
