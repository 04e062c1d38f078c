"""Write the self-contained HTML report of one session, or of two sessions compared.

The file embeds plotly.js (the cartesian partial bundle vendored in ``vendor/``) once, in the
page head, so it opens offline on any machine; each figure is a plotly snippet without the library.
"""

from __future__ import annotations

from pathlib import Path

import plotly.io as pio

from formlab.report import figures
from formlab.report.compare import compare, findings_diff
from formlab.report.fatigue import fatigue
from formlab.report.page import esc, not_measurable, page, section
from formlab.report.quality import athlete_of, quality
from formlab.registry import METRICS
from formlab.rules import status_lines
from formlab.report.sections import (comparison_html, fatigue_html, findings_diff_html, findings_html,
                                     quality_html, tiles_html)
from formlab.treadmill import session_stages
from formlab.report.step_metrics import STEP_METRICS, is_measured, valid_steps
from formlab.report.stride_cycle import stride_cycle
from formlab.report.tiles import tiles

PLOTLY_BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-cartesian.min.js"


def plotly_js() -> str:
    """The vendored plotly.js cartesian bundle (``vendor/README.md``): 1.5 MB instead of 4.8."""
    return PLOTLY_BUNDLE.read_text(encoding="utf-8")


PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
"""No toolbar: it covered the legend on a phone and was printed; zoom by dragging, reset by a
double click."""


def session_label(analysis) -> str:
    """A short human label: athlete, start time or file name."""
    rec = analysis.recording
    meta = rec.metadata or {}
    parts = [p for p in (athlete_of(analysis), meta.get("start_time_utc"),
                         Path(rec.path).name if rec.path else None) if p]
    return " · ".join(parts) if parts else "recording built in memory"


def _figure_html(fig, div_id: str, title: str) -> str:
    return (f'<figure class="fig"><figcaption>{esc(title)}</figcaption>'
            + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                          config=PLOTLY_CONFIG)
            + "</figure>")


def _figure_grid(group_id: str, figures_with_titles) -> str:
    """Small charts in a grid: two or three across on a desktop, one on a phone, two per row on
    paper; each keeps its title outside the plot so titles never collide with plot labels."""
    return (f'<div class="fig-grid" id="{esc(group_id)}">'
            + "".join(_figure_html(fig, f"{group_id}-{i}", title) for i, (title, fig) in enumerate(figures_with_titles))
            + "</div>")


def _over_the_run(analysis, stages, prefix: str) -> str:
    steps = valid_steps(analysis.steps)
    charts = figures.timeline_figures(analysis, stages)
    if not charts:
        return not_measurable("Metrics over the run", "no valid running steps were found.")
    missing = [m.label for m in STEP_METRICS if not is_measured(steps, m.name)]
    legend = ('<p class="legend"><span class="key left">●</span> left steps and their trend '
              '<span class="key right">◆</span> right steps and their trend (dashed)'
              '<span class="key unknown">○</span> side unknown</p>')
    out = legend + _figure_grid(f"{prefix}-timeline", [(f"{m.label} ({m.unit})", fig) for m, fig in charts])
    if missing:
        why = ("the recording has no gyroscope" if analysis.angles is None
               else "see the data-quality notes")
        out += not_measurable(", ".join(missing), why + ".")
    return out


def _left_right(analysis, prefix: str, has_sides: bool) -> str:
    if not has_sides:
        return not_measurable(
            "Left against right",
            "the side of each step (left or right foot) could not be told apart, so contact "
            "time, impact and pelvic drop cannot be split by side and the stance phases of the "
            "pelvic cycle cannot be marked.")
    charts, missing = figures.left_right_figures(analysis)
    out = "<h3>Contact time, impact and pelvic drop by side</h3>"
    if charts:
        out += _figure_grid(f"{prefix}-leftright", [(f"{m.label} ({m.unit})", fig) for m, fig in charts])
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
    return out + _figure_grid(f"{prefix}-cycle", figures.stride_cycle_figures(cycle))


SESSION_SECTIONS = (("findings", "What to work on"), ("glance", "At a glance"), ("run", "Over the run"),
                    ("sides", "Left vs right"), ("fatigue", "Fatigue"), ("session", "Data quality"))
"""The order a coach reads a session in: what to work on first, sensor and data quality last."""


def session_html(analysis, findings: list[dict], prefix: str, heading: str | None) -> str:
    """All sections of one session, in :data:`SESSION_SECTIONS` order."""
    q = quality(analysis)
    parts = [f'<h2 class="session-title" id="{esc(prefix)}">{esc(heading)}</h2>'
             if heading else ""]
    parts.append(section(f"{prefix}-findings", "What to work on",
                         findings_html(findings, (analysis.summary or {}).get("rules_notes"),
                                       status_lines(analysis.summary or {}))))
    parts.append(section(f"{prefix}-glance", "At a glance",
                         tiles_html(tiles(analysis.summary, findings)),
                         "Median of all valid running steps; where a metric has sides, the "
                         "mean of the two side medians, with both sides beside it."))
    stages = session_stages(analysis)
    parts.append(section(f"{prefix}-run", "Over the run", _over_the_run(analysis, stages, prefix),
                         "Each mark is one step (thinned out on long runs; the statistics use "
                         "every step); the lines are each side's rolling median. Pale backgrounds "
                         "are the population bands, labelled on the right"
                         + ("; grey backgrounds mark treadmill speed stages." if stages else
                            ". The treadmill speed is not known, so speed stages are not "
                            "marked.")))
    parts.append(section(f"{prefix}-sides", "Left against right",
                         _left_right(analysis, prefix, q.has_sides),
                         "Boxes: middle half of the steps, line at the median, whiskers from "
                         "the 10th to the 90th percentile."))
    parts.append(section(f"{prefix}-fatigue", "Fatigue", fatigue_html(fatigue(analysis))))
    parts.append(section(f"{prefix}-session", "Session, sensor and data quality",
                         quality_html(q, analysis.recording.metadata or {})))
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
    """Date, duration, running time and treadmill speed: what a coach needs to place the session."""
    q = dict(quality(analysis).facts)
    meta = analysis.recording.metadata or {}
    stages = session_stages(analysis)
    speed = " / ".join(METRICS["treadmill_speed_mps"].with_unit(s.speed_mps) for s in stages) if stages else None
    parts = [meta.get("date") or q.get("Started (UTC)"), q.get("Duration"),
             "running " + q["Running"] if "Running" in q else None, speed, meta.get("device")]
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
        nav = [(f"s1-{anchor}", label) for anchor, label in SESSION_SECTIONS]
        body = session_html(a, per_session[0], "s1", None)
        subtitle = _subtitle(a)
    else:
        a, b = analyses
        label_a, label_b = session_label(a), session_label(b)
        title = "Running form: two sessions compared"
        nav = [("compare", "Comparison"), ("compare-findings", "Findings"), ("compare-run", "Over the run"),
               ("sA-session", "Session A data"), ("sB-session", "Session B data")]
        body = section("compare", "Session B against session A", comparison_html(compare(a, b), label_a, label_b))
        body += section("compare-findings", "Findings: new, resolved, in both",
                        findings_diff_html(findings_diff(per_session[0], per_session[1])))
        charts = figures.comparison_figures(a, b)
        body += section("compare-run", "Over the run, A and B on one axis",
                        ('<p class="legend">Session A thin and dotted, session B bold; '
                         '<span class="key left">●</span> left steps <span class="key right">◆</span> right steps '
                         '(each side\'s rolling median)</p>'
                         + _figure_grid("compare-run-charts", [(f"{m.label} ({m.unit})", fig) for m, fig in charts]))
                        if charts else not_measurable("Metrics over the run", "no metric is measured in both sessions."))
        for prefix, label, analysis in (("sA", label_a, a), ("sB", label_b, b)):
            body += section(f"{prefix}-session", f"Session {prefix[1]}: {label}",
                            quality_html(quality(analysis), analysis.recording.metadata or {}))
        subtitle = f"A: {label_a} — B: {label_b}"
    out = Path(path)
    out.write_text(page(title, subtitle, nav, body, plotly_js()), encoding="utf-8")
    return out

