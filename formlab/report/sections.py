"""HTML of each report section, from the numbers the other report modules compute.

All text from recordings and the analysis is escaped with ``page.esc``.
"""

from __future__ import annotations

import numpy as np

from formlab.report.bands import BAND_COLOURS_HEX, band_ranges, band_source
from formlab.report.compare import Comparison
from formlab.report.fatigue import Fatigue
from formlab.report.page import SEVERITY_COLOURS, SEVERITY_ICONS, esc, severity_rank, table
from formlab.registry import METRICS, clock
from formlab.report.quality import Quality
from formlab.report.tiles import Tile

BANDS_NOTE = ("The colour bands compare this runner with a population of runners; they are not "
              "targets.")
STANDING_NOTE = (
    "This report is feedback on running form from one sensor worn at the waist. It is not a "
    "medical assessment and cannot diagnose an injury. " + BANDS_NOTE + " See a "
    "physiotherapist, sports physician or doctor if pain lasts more than a few days, gets worse during or after "
    "running, makes you change the way you run, or comes with swelling, numbness or pain at "
    "rest.")

def _num(value, decimals: int = 2) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return esc(value)
    return esc(f"{v:.{decimals}f}") if np.isfinite(v) else "—"


def signed(x: float, decimals: int) -> str:
    """``x`` with its sign (typographic minus); a value that rounds to zero gets none."""
    if round(x, decimals) == 0:
        return f"{0.0:.{decimals}f}"
    return f"{x:+.{decimals}f}".replace("-", "−")


def gauge_html(key: str, value: float | None) -> str:
    """A thin bar of the metric's population bands with a mark where ``value`` sits (empty for a
    metric without bands). The bar spans the finite band limits plus one band width either side."""
    m = METRICS.get(key)
    if m is None or not m.bands or value is None:
        return ""
    uppers = [b.upper for b in m.bands if np.isfinite(b.upper)]
    if m.symmetric_about is not None:
        c, reach = m.symmetric_about, uppers[-1] + (uppers[-1] - (uppers[-2] if len(uppers) > 1 else 0.0))
        lo, hi = c - reach, c + reach
    else:
        width = (uppers[-1] - uppers[0]) / max(len(uppers) - 1, 1)
        lo, hi = uppers[0] - width, uppers[-1] + width
    segments = "".join(
        f'<span style="width:{100 * (y1 - y0) / (hi - lo):.2f}%;background:{BAND_COLOURS_HEX[colour]}"></span>'
        for y0, y1, colour in sorted(band_ranges(key, lo, hi)))
    at = 100 * (min(max(value, lo), hi) - lo) / (hi - lo)
    return (f'<div class="gauge" aria-hidden="true">{segments}'
            f'<i style="left:calc({at:.1f}% - 1px)"></i></div>')


def tiles_html(tiles: list[Tile]) -> str:
    parts = []
    for t in tiles:
        if t.value is None:
            parts.append(f'<div class="tile na" data-metric="{esc(t.key)}">'
                         f'<div class="name">{esc(t.title)}</div>'
                         '<div class="value">not measurable from this recording</div>'
                         f'<div class="detail">{esc(t.why)}</div></div>')
            continue
        colour = BAND_COLOURS_HEX.get(t.band or "", "#c5ced8")
        band = (f'<div class="band"><span class="dot" style="background:{colour}"></span>'
                f"population band: {esc(t.band_note)}</div>" if t.band else "")
        mark = ""
        if t.severity in ("flag", "watch"):
            sev_colour = SEVERITY_COLOURS[t.severity]
            mark = (f'<span class="tile-sev" style="background:{sev_colour}">'
                    f'{esc(SEVERITY_ICONS[t.severity])} {esc(t.severity)}</span>')
        parts.append(
            f'<div class="tile{" marked" if mark else ""}" data-metric="{esc(t.key)}" '
            f'data-severity="{esc(t.severity or "")}" title="{esc(t.how)}" '
            f'style="border-left-color:{colour}">'
            f'<div class="name">{mark}{esc(t.title)}</div>'
            f'<div class="value{" long" if len(t.value) > 8 else ""}">{esc(t.value)}'
            f'<span class="unit">{esc(t.unit)}</span></div>'
            f'<div class="detail">{esc(t.detail)}</div>{band}{gauge_html(t.key, t.number)}</div>')
    legend = " ".join(f'<span class="dot" style="background:{hexc}"></span>{esc(name)}'
                      for name, hexc in BAND_COLOURS_HEX.items())
    return (f'<div class="grid">{"".join(parts)}</div>'
            f'<p class="muted">Bands: {legend}. They are '
            f"{esc(band_source('cadence_spm'))}: where a value falls among other runners, "
            "a population comparison and not a verdict on form. "
            "Purple and red are the outer 5 % at each end, blue and orange the next 25 %, green "
            "the middle 40 %.</p>")


def _span_text(span) -> str:
    if isinstance(span, (list, tuple)) and len(span) == 2:
        return f" · from {clock(float(span[0]))} to {clock(float(span[1]))}"
    if isinstance(span, (int, float)):
        return f" · over {clock(float(span))}"
    return ""


def citations_html(sources) -> str:
    """Cited sections grouped by document (SUMMARY.json cites each by title and heading):
    Title, sections “section”, “section”."""
    by_doc: dict[str, list[str]] = {}
    for src in sources or []:
        doc = str(src.get("document", "")) if isinstance(src, dict) else str(src)
        sect = str(src.get("section", "")) if isinstance(src, dict) else ""
        by_doc.setdefault(doc, [])
        if sect and sect not in by_doc[doc]:
            by_doc[doc].append(sect)
    items = []
    for doc, sects in by_doc.items():
        where = (", sections " if len(sects) > 1 else ", section ") + ", ".join(
            f"“{esc(x)}”" for x in sects) if sects else ""
        items.append(f"<li><cite>{esc(doc)}</cite>{where}</li>")
    return f'<ul class="cites">{"".join(items)}</ul>'


def standing_note_html(rules_notes: dict | None) -> str:
    """When this is not enough and whom to see: the rules catalogue's notes (with their
    sources) when the analysis ran the rules, else the report's own note."""
    notes = rules_notes or {}
    texts, sources = [], []
    for note in notes.values():
        if isinstance(note, dict):
            texts.append(str(note.get("text", "")))
            sources += note.get("sources") or []
        else:
            texts.append(str(note))
    if not texts:
        return f'<div class="note">{esc(STANDING_NOTE)}</div>'
    cited = (f'<div class="sources">Guidance: {citations_html(sources)}</div>'
             if sources else "")
    return ('<div class="note">' + "".join(f"<p>{esc(t)}</p>" for t in texts if t)
            + f"<p>{esc(BANDS_NOTE)}</p>{cited}</div>")


TOP_FINDINGS = 3
"""What to work on first: at most this many findings in full, the rest folded away."""


def _finding_card(f: dict) -> str:
    sev = str(f.get("severity", "info")).lower()
    colour = SEVERITY_COLOURS.get(sev, SEVERITY_COLOURS["info"])
    label = str(f.get("label") or f.get("metric", ""))
    unit = str(f.get("unit") or "")
    measured = ""
    if f.get("value") is not None:
        value = f.get("value_text") or f"{_num(f.get('value'))} {unit}"
        measured = f"Measured: {esc(label)} {esc(value)}"
        if f.get("threshold") is not None:
            threshold = f.get("threshold_text") or f"{_num(f.get('threshold'))} {unit}"
            measured += f"; the {esc(sev)} level starts at {esc(threshold)}"
            if f.get("threshold_source"):
                measured += f" ({esc(f['threshold_source'])})"
    measured += esc(_span_text(f.get("span_s")))
    advice = f.get("advice") or []
    if isinstance(advice, str):
        advice = [advice]
    advice_html = ""
    if advice:  # one thing to try first; the rest folded
        advice_html = f'<p class="try"><strong>Try:</strong> {esc(advice[0])}</p>'
        if len(advice) > 1:
            advice_html += ("<details><summary>More advice</summary><ul>"
                            + "".join(f"<li>{esc(a)}</li>" for a in advice[1:]) + "</ul></details>")
    sources_html = (f'<div class="sources">Guidance: {citations_html(f.get("sources"))}'
                    "</div>" if f.get("sources") else "")
    return (f'<div class="finding" data-severity="{esc(sev)}" style="border-left-color:{colour}">'
            f'<span class="sev" style="background:{colour}">{esc(SEVERITY_ICONS.get(sev, ""))} {esc(sev)}</span>'
            f'<span class="msg">{esc(f.get("title") or f.get("rule", ""))}</span>'
            f'<p>{esc(f.get("message", ""))}</p>'
            f'<div class="measured">{measured}</div>{advice_html}{sources_html}</div>')


def findings_html(findings: list[dict], rules_notes: dict | None = None,
                  status: list[str] | None = None) -> str:
    """The guidance checks' status first (which could not run and why; "nothing flagged" only
    with what was checked), then the most severe findings (at most :data:`TOP_FINDINGS`) in full,
    each with one thing to try, and the others folded away."""
    lead = "".join(f'<p class="status">{esc(line)}</p>' for line in status or [])
    if not findings:
        body = lead or ('<p class="status">The guidance checks did not run on this session.</p>')
    else:
        ordered = sorted(findings, key=lambda f: severity_rank(f.get("severity", "info")))
        body = lead + "".join(_finding_card(f) for f in ordered[:TOP_FINDINGS])
        rest = ordered[TOP_FINDINGS:]
        if rest:
            body += (f'<details class="more-findings"><summary>{len(rest)} more finding'
                     f'{"s" if len(rest) > 1 else ""}</summary>' + "".join(_finding_card(f) for f in rest)
                     + "</details>")
    return body + standing_note_html(rules_notes)


def fatigue_html(result: Fatigue | str) -> str:
    if isinstance(result, str):
        return (f'<div class="na-panel"><strong>No fatigue comparison:</strong> '
                f"{esc(result)}.</div>")
    f0, f1 = result.first_s, result.last_s
    rows = []
    for r in result.rows:
        m = r.metric
        rows.append([esc(_metric_head(m)), esc(m.fmt(r.first)), esc(m.fmt(r.last)),
                     esc(_difference(m, r.change))])
    lead = (f"<p class=\"lead\">Form drift: the first drift window ({esc(clock(f0[0]))}–"
            f"{esc(clock(f0[1]))}) against the last ({esc(clock(f1[0]))}–{esc(clock(f1[1]))}), "
            "each window's numbers as in the summary (per-side metrics: the mean of the two "
            "side medians).</p>")
    warn = ('<p class="warn">The treadmill speed differed between the two windows: part of '
            "the change is pace, not fatigue.</p>" if result.speed_changed else "")
    return lead + warn + table(["metric", "first", "last", "change"], rows)


def _difference(m, value: float) -> str:
    """A change of metric ``m`` as every output shows it (SUMMARY.json ``drift.change``, the
    rules): the difference of the unrounded values at the display decimals, with its sign;
    percentages change by points."""
    text = signed(m.shown(value), m.decimals)
    return f"{text} {m.difference_unit}" if m.unit == "%" else text


def _metric_head(m) -> str:
    return f"{m.label} ({m.unit})" if m.unit else m.label


def quality_html(q: Quality, metadata: dict) -> str:
    facts = ('<table class="facts"><tbody>'
             + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in q.facts)
             + "</tbody></table>")
    parts = [facts]
    if q.not_measured:
        parts.append("<h3>Not measured, and why</h3><ul class=\"plain\">"
                     + "".join(f"<li>{esc(x)}</li>" for x in q.not_measured) + "</ul>")
    if q.warnings:
        parts.append("<h3>Notes from the analysis</h3><ul class=\"plain\">"
                     + "".join(f"<li>{esc(x)}</li>" for x in q.warnings) + "</ul>")
    if q.rules_skipped:
        parts.append(f"<details><summary>Guidance checks that could not run "
                     f"({len(q.rules_skipped)})</summary><ul class=\"plain\">"
                     + "".join(f"<li>{esc(x)}</li>" for x in q.rules_skipped)
                     + "</ul></details>")
    if metadata:
        meta = table(["key", "value"], [[esc(k), esc(v)] for k, v in metadata.items()],
                     numeric_from=9)
        parts.append(f"<details><summary>All recording metadata ({len(metadata)} entries)"
                     f"</summary>{meta}</details>")
    return "".join(parts)


VERDICT_COLOURS = {"better": "#1a7f37", "worse": "#a50026"}
"""A change in the metric's good direction (registry ``direction``) and in its bad one."""


def comparison_html(cmp: Comparison, label_a: str, label_b: str) -> str:
    """Every registry metric: A, B, the signed change coloured by the metric's direction (and
    named, for grey print), a relative change only on ratio scales, and why a row has none."""
    if cmp.matched_speeds_mps:
        speeds = ", ".join(METRICS["treadmill_speed_mps"].with_unit(v)
                           for v in cmp.matched_speeds_mps)
        lead = f"Each session's numbers at matched treadmill speed ({esc(speeds)})."
    else:
        lead = "Each session's numbers over the whole run."
    parts = [f'<p class="lead">{lead} Session A: {esc(label_a)}; session B: {esc(label_b)}.</p>']
    if cmp.caveat:
        parts.append(f'<p class="warn">{esc(cmp.caveat[0].upper() + cmp.caveat[1:])}.</p>')
    if not cmp.rows:
        parts.append('<p class="warn">Fewer than 10 valid running steps to compare in one of the sessions.</p>')
        return "".join(parts)
    rows = []
    for r in cmp.rows:
        m = r.metric
        if r.delta is None:
            change = f'<span class="muted">{esc(r.note)}</span>'
        else:
            change = esc(_difference(m, r.delta))
            if r.delta_pct is not None:
                change += f" ({esc(signed(r.delta_pct, 1))} %)"
            if r.verdict:
                change = (f'<span class="verdict" style="color:{VERDICT_COLOURS[r.verdict]}">{change} '
                          f"{esc(r.verdict)}</span>")
            if r.note:
                change += f'<br><span class="muted">{esc(r.note)}</span>'
        rows.append([esc(_metric_head(m)), esc(m.fmt(r.a)), esc(m.fmt(r.b)), change])
    parts.append(table(["metric", "A", "B", "B − A"], rows))
    return "".join(parts)


def findings_diff_html(diff: dict) -> str:
    """Findings of B against A: new, resolved and persisting, one line each."""
    def line(f: dict | None) -> str:
        if f is None:
            return ""
        sev = str(f.get("severity", "info")).lower()
        return (f'<span class="sev-word" style="color:{SEVERITY_COLOURS.get(sev, SEVERITY_COLOURS["info"])}">'
                f'{esc(SEVERITY_ICONS.get(sev, ""))} {esc(sev)}</span> {esc(f.get("title") or f.get("rule", ""))}')
    groups = (("new", "New in B", lambda a, b: line(b)), ("resolved", "Resolved since A", lambda a, b: line(a)),
              ("persisting", "In both", lambda a, b: f"{line(b)} <span class=\"muted\">(A: "
                                                     f"{esc(str(a.get('severity', '')))})</span>"))
    out = []
    for key, title, render in groups:
        items = diff.get(key) or []
        body = ("<ul class=\"plain\">" + "".join(f"<li>{render(a, b)}</li>" for a, b in items) + "</ul>"
                if items else '<p class="muted">none</p>')
        out.append(f'<div class="diff-col"><h3>{esc(title)} ({len(items)})</h3>{body}</div>')
    return f'<div class="diff-grid">{"".join(out)}</div>'
