"""Write the self-contained HTML report of one session, or of two sessions compared.

The file embeds plotly.js once, in the page head, so it opens offline on any machine; each
figure is a plotly snippet without the library.
"""

from __future__ import annotations

from pathlib import Path

import plotly.io as pio
from plotly.offline import get_plotlyjs

from formlab.report import figures
from formlab.report.compare import compare
from formlab.report.fatigue import fatigue
from formlab.report.page import esc, not_measurable, page, section
from formlab.report.quality import athlete_of, quality
from formlab.rules import status_lines
from formlab.report.sections import (comparison_html, fatigue_html, findings_html,
                                     quality_html, tiles_html)
from formlab.treadmill import session_stages
from formlab.report.step_metrics import STEP_METRICS, is_measured, valid_steps
from formlab.report.stride_cycle import stride_cycle
from formlab.report.tiles import tiles

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
def session_label(analysis) -> str:
    """A short human label: athlete, start time or file name."""
    rec = analysis.recording
    meta = rec.metadata or {}
    parts = [p for p in (athlete_of(analysis), meta.get("start_time_utc"),
                         Path(rec.path).name if rec.path else None) if p]
    return " · ".join(parts) if parts else "recording built in memory"


def _figure_html(fig, div_id: str) -> str:
    return ('<div class="fig">'
            + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                          config=PLOTLY_CONFIG)
            + "</div>")


def _over_the_run(analysis, stages, prefix: str) -> str:
    steps = valid_steps(analysis.steps)
    fig = figures.timeline_figure(analysis, stages)
    if fig is None:
        return not_measurable("Metrics over the run", "no valid running steps were found.")
    missing = [m.label for m in STEP_METRICS if not is_measured(steps, m.name)]
    out = _figure_html(fig, f"{prefix}-timeline")
    if missing:
        why = ("the recording has no gyroscope" if analysis.angles is None
               else "see the data-quality notes above")
        out += not_measurable(", ".join(missing), why + ".")
    return out


def _left_right(analysis, prefix: str, has_sides: bool) -> str:
    if not has_sides:
        return not_measurable(
            "Left against right",
            "the side of each step (left or right foot) could not be told apart, so contact "
            "time, impact and pelvic drop cannot be split by side and the stance phases of the "
            "pelvic cycle cannot be marked.")
    fig, missing = figures.left_right_figure(analysis)
    out = "<h3>Contact time, impact and pelvic drop by side</h3>"
    out += (_figure_html(fig, f"{prefix}-leftright") if fig is not None else "")
    if missing:
        why = ("the recording has no gyroscope" if analysis.angles is None
               else "fewer than 5 valid steps on one side")
        out += not_measurable(", ".join(missing) + " by side", why + ".")
    out += "<h3>Pelvic angles over one stride</h3>"
    if analysis.angles is None:
        return out + not_measurable("Pelvic angle cycle (tilt, drop, rotation)",
                                    "the recording has no gyroscope.")
    cycle = stride_cycle(analysis.angles, analysis.steps, analysis.recording.gaps)
    if cycle is None:
        return out + not_measurable("Pelvic angle cycle",
                                    "fewer than 5 complete left-right strides were found.")
    out += ('<p class="muted">Mean over strides from one left initial contact to the next. '
            "Obliquity positive: the left hip is higher (during left stance a rise means the "
            "right, swinging hip drops). Shaded: stance of each foot.</p>")
    return out + _figure_html(figures.stride_cycle_figure(cycle), f"{prefix}-cycle")


def session_html(analysis, findings: list[dict], prefix: str, heading: str | None) -> str:
    """All sections of one session."""
    q = quality(analysis)
    parts = [f'<h2 class="session-title" id="{esc(prefix)}">{esc(heading)}</h2>'
             if heading else ""]
    parts.append(section(f"{prefix}-session", "Session and data quality",
                         quality_html(q, analysis.recording.metadata or {})))
    parts.append(section(f"{prefix}-glance", "At a glance",
                         tiles_html(tiles(analysis.summary)),
                         "Median of all valid running steps; where a metric has sides, the "
                         "mean of the two side medians, with both sides beside it."))
    parts.append(section(f"{prefix}-findings", "What to work on", findings_html(findings, (analysis.summary or {}).get("rules_notes"),
                                       status_lines(analysis.summary or {}))))
    stages = session_stages(analysis)
    parts.append(section(f"{prefix}-run", "Over the run", _over_the_run(analysis, stages, prefix),
                         "Each dot is one step (thinned out on long runs; the statistics use "
                         "every step); the black line is the rolling median. Coloured "
                         "backgrounds are the population bands"
                         + ("; grey backgrounds mark treadmill speed stages." if stages else
                            ". The treadmill speed is not known, so speed stages are not "
                            "marked.")))
    parts.append(section(f"{prefix}-sides", "Left against right",
                         _left_right(analysis, prefix, q.has_sides),
                         "Boxes: middle half of the steps, line at the median, whiskers from "
                         "the 10th to the 90th percentile."))
    parts.append(section(f"{prefix}-fatigue", "Fatigue", fatigue_html(fatigue(analysis))))
    return "".join(parts)


def _findings_per_session(analyses: list, findings) -> list[list[dict]]:
    if findings is None:
        return [list((a.summary or {}).get("findings") or []) for a in analyses]
    findings = list(findings)
    if len(analyses) == 1 and all(isinstance(f, dict) for f in findings):
        return [findings]
    if len(findings) != len(analyses) or not all(isinstance(f, list) for f in findings):
        raise ValueError("findings: give one list of findings per analysis")
    return findings


def _subtitle(analysis) -> str:
    q = dict(quality(analysis).facts)
    device = (analysis.recording.metadata or {}).get("device")
    parts = [q.get("Started (UTC)"), device, q.get("Duration"),
             "running " + q["Running"] if "Running" in q else None]
    return " · ".join(p for p in parts if p)


def write_report(analyses: list, path, *, findings=None) -> Path:
    """Write the HTML report of one analysis, or of two compared (B against A), to ``path``.

    ``findings`` overrides the findings in each ``analysis.summary``: a list of finding dicts
    for one analysis, or one such list per analysis.
    """
    analyses = list(analyses)
    if len(analyses) not in (1, 2):
        raise ValueError("write_report: give one analysis, or two to compare")
    per_session = _findings_per_session(analyses, findings)
    if len(analyses) == 1:
        a = analyses[0]
        athlete = athlete_of(a)
        title = "Running form report" + (f" — {athlete}" if athlete else "")
        nav = [("s1-session", "Session"), ("s1-glance", "At a glance"),
               ("s1-findings", "What to work on"), ("s1-run", "Over the run"),
               ("s1-sides", "Left vs right"), ("s1-fatigue", "Fatigue")]
        body = session_html(a, per_session[0], "s1", None)
        subtitle = _subtitle(a)
    else:
        a, b = analyses
        label_a, label_b = session_label(a), session_label(b)
        title = "Running form: two sessions compared"
        nav = [("compare", "Comparison"), ("sA", "Session A"), ("sB", "Session B")]
        body = section("compare", "Session B against session A",
                       comparison_html(compare(a, b), label_a, label_b))
        body += session_html(a, per_session[0], "sA", f"Session A: {label_a}")
        body += session_html(b, per_session[1], "sB", f"Session B: {label_b}")
        subtitle = f"A: {label_a} — B: {label_b}"
    out = Path(path)
    out.write_text(page(title, subtitle, nav, body, get_plotlyjs()), encoding="utf-8")
    return out

