"""What the report can say about the session and how far to trust it: metadata, duration,
running span, gaps, calibration, and every metric or rule that could not be measured and why.

Everything here is read from the ``Analysis``; nothing is recomputed from the samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formlab.registry import METRICS, clock
from formlab.rules import load_catalogue
from formlab.treadmill import running_span_s
from formlab.report.step_metrics import has_sides

ATHLETE_KEYS = ("athlete", "athlete_name", "runner", "subject")
"""Metadata keys that may name the runner (not in the recording spec: passed-through keys)."""


def athlete_of(analysis) -> str | None:
    """The runner's name from the recording metadata, if any key gives one."""
    meta = analysis.recording.metadata or {}
    for key in ATHLETE_KEYS:
        if meta.get(key):
            return str(meta[key])
    return None


@dataclass
class Quality:
    facts: list[tuple[str, str]]
    not_measured: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rules_skipped: list[str] = field(default_factory=list)
    has_gyroscope: bool = True
    has_sides: bool = True


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_is_missing(v) for v in value.values())
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _rule_text(item) -> str:
    """A check that could not run, by its rule's title (the id when the catalogue has no such
    rule), and why."""
    if isinstance(item, dict):
        rule_id = item.get("rule", "rule")
        titles = {r.id: r.title for r in load_catalogue().rules}
        name = titles.get(rule_id, rule_id)
        reason = item.get("reason", "")
        return f"{name}: {reason}" if reason else str(name)
    return str(item)


def quality(analysis) -> Quality:
    """Collect the data-quality facts of one analysed session."""
    rec, summary = analysis.recording, analysis.summary or {}
    meta = rec.metadata or {}
    facts: list[tuple[str, str]] = []
    athlete = athlete_of(analysis)
    if athlete:
        facts.append(("Athlete", athlete))
    if meta.get("notes"):
        facts.append(("Notes", str(meta["notes"])))
    device = meta.get("device", "not given")
    if meta.get("firmware"):
        device += f" (firmware {meta['firmware']})"
    facts.append(("Device", device))
    if meta.get("placement"):
        facts.append(("Placement", meta["placement"]))
    if meta.get("start_time_utc"):
        facts.append(("Started (UTC)", meta["start_time_utc"]))
    t_s = np.asarray(rec.t_s, dtype=float)
    duration_s = float(t_s[-1] - t_s[0]) if len(t_s) > 1 else 0.0
    facts.append(("Duration", f"{clock(duration_s)} at {rec.sample_rate_hz:g} Hz"))
    span = running_span_s(analysis)
    steps = analysis.steps
    n_valid = int(steps["valid"].astype(bool).sum()) if "valid" in steps else len(steps)
    if span is None:
        facts.append(("Running", "no running found"))
    else:
        facts.append(("Running", f"{clock(span[0])} – {clock(span[1])} "
                                 f"({clock(span[1] - span[0])}), {n_valid} valid steps"
                                 + (f" of {len(steps)}" if n_valid != len(steps) else "")))
    lost_s = (summary.get("recording") or {}).get("lost_s")
    if lost_s is None:
        lost_s = sum(float(g.end_s - g.start_s) for g in rec.gaps)
    facts.append(("Gaps", f"{len(rec.gaps)} gap{'s' if len(rec.gaps) != 1 else ''}, "
                          f"{lost_s:.1f} s lost" if rec.gaps else "none"))
    cal = analysis.calibration
    facts.append(("Calibration", ("standing moment found" if cal.standing_found else
                                  "no standing moment: posture angles are not referenced")
                  + (f"; mount: {cal.mount}" if getattr(cal, "mount", None) else "")))
    if meta.get("treadmill_speed_mps"):
        facts.append((METRICS["treadmill_speed_mps"].label,
                      METRICS["treadmill_speed_mps"].with_unit(float(meta["treadmill_speed_mps"]))))
    if meta.get("incline_pct"):
        facts.append(("Incline", f"{meta['incline_pct']} {METRICS['incline_pct'].unit}"))

    not_measured = []
    has_gyro = analysis.angles is not None
    if not has_gyro:
        not_measured.append("pelvic angles (tilt, drop, rotation): the recording has no gyroscope")
    sided = has_sides(steps)
    if not sided:
        not_measured.append("left/right differences: the side of each step could not be told")
    said = set()  # metrics already explained by the two lines above
    if not has_gyro:
        said |= {"pelvic_tilt_deg", "pelvic_drop_deg", "pelvic_rotation_deg"}
    if not sided:
        said |= {"ground_contact_balance_left_pct", "impact_asymmetry_pct", "pelvic_drop_deg"}
    for key, value in (summary.get("metrics") or {}).items():
        if _is_missing(value) and key not in said:
            definition = METRICS.get(key)
            not_measured.append(f"{definition.label}: needs {definition.needs}" if definition
                                else f"{key}: see the notes from the analysis")
    rules_skipped = [_rule_text(r) for r in summary.get("rules_not_evaluated") or []]
    warnings = [str(w) for w in (getattr(rec, "warnings", None) or [])]
    cal_notes = getattr(cal, "notes", None) or []
    warnings += [cal_notes] if isinstance(cal_notes, str) else [str(n) for n in cal_notes]
    warnings += [str(n) for n in summary.get("notes") or []]
    return Quality(facts, not_measured, list(dict.fromkeys(warnings)), rules_skipped,
                   has_gyro, sided)
