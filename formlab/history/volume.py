"""Weekly running volume and the 10 % rule.

Per calendar week (Monday to Sunday, UTC): runs, running time, running steps and, when the belt
speed of every run is known, distance (the sum of step lengths, belt speed × step time). The
week-over-week change is of distance where both weeks have it, else of running time. A week more
than the rule's threshold (10 %) above the week before gives a finding of the
``weekly_volume_increase`` rule (``history_rules.toml``: the guidance's 10 % rule), with the
"six weeks into a plan" note when the athlete's plan start is recorded and the week falls in
weeks 5 to 7 of it. formlab sees only the runs it recorded; the finding says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from formlab.history.guidance import VolumeRule, volume_rule

COLUMNS = ["week_start", "runs", "running_min", "steps", "distance_km", "measure", "change_pct"]
"""``change_pct``: NaN for the first week and after a week without runs."""


def weekly_volume(sessions) -> pd.DataFrame:
    """One row per week from the first run's week to the last's (weeks without runs included)."""
    if not sessions:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.DataFrame({
        "week_start": [_monday(s.start_utc) for s in sessions],
        "running_min": [s.running_s / 60.0 for s in sessions],
        "steps": [s.running_steps for s in sessions],
        "distance_km": [np.nan if s.distance_m is None else s.distance_m / 1000.0 for s in sessions],
    })
    weeks = pd.date_range(rows["week_start"].min(), rows["week_start"].max(), freq="7D").date
    grouped = rows.groupby("week_start")
    out = pd.DataFrame({"week_start": weeks})
    out["runs"] = [int(grouped.size().get(w, 0)) for w in weeks]
    out["running_min"] = [float(grouped["running_min"].sum().get(w, 0.0)) for w in weeks]
    out["steps"] = [int(grouped["steps"].sum().get(w, 0)) for w in weeks]
    # distance only when every run of the week has it (sum(min_count) keeps NaN otherwise)
    distance = grouped["distance_km"].apply(lambda d: d.sum() if d.notna().all() else np.nan)
    out["distance_km"] = [float(distance.get(w, 0.0)) for w in weeks]
    measures, changes = [None], [np.nan]
    for prev, cur in zip(out.itertuples(index=False), list(out.itertuples(index=False))[1:]):
        use_distance = np.isfinite(prev.distance_km) and np.isfinite(cur.distance_km) and prev.distance_km > 0
        a, b = (prev.distance_km, cur.distance_km) if use_distance else (prev.running_min, cur.running_min)
        measures.append("distance" if use_distance else "time")
        changes.append(np.nan if a <= 0 else 100.0 * (b - a) / a)
    out["measure"] = measures
    out["change_pct"] = changes
    return out[COLUMNS]


def _monday(start_utc: str) -> date:
    day = datetime.fromisoformat(start_utc).date()
    return day - timedelta(days=day.weekday())


def plan_week(week_start: date, plan_start: str | None) -> int | None:
    """Week number of the plan (1 = the week with its first day) of the week starting ``week_start``."""
    if not plan_start:
        return None
    first = date.fromisoformat(plan_start)
    first_monday = first - timedelta(days=first.weekday())
    return (week_start - first_monday).days // 7 + 1


def volume_findings(weekly: pd.DataFrame, plan_start: str | None = None, rule: VolumeRule | None = None) -> list[dict]:
    """A finding (catalogue-shaped dict) for every week above the rule's threshold."""
    rule = rule or volume_rule()
    found = []
    for row in weekly.itertuples(index=False):
        if not row.change_pct > rule.threshold_pct:  # NaN (no runs the week before) is not
            continue
        measure = "distance" if row.measure == "distance" else "time"
        finding = {
            "rule": rule.id, "title": rule.title, "severity": "watch",
            "metric": "weekly_volume_change_pct", "value": round(float(row.change_pct), 1), "unit": "%",
            "threshold": rule.threshold_pct, "direction": "above", "threshold_source": rule.threshold_source,
            "week_start": row.week_start.isoformat(), "measure": measure,
            "message": rule.message.format(measure=measure, week=row.week_start.isoformat(),
                                           value=f"{row.change_pct:.0f}", threshold=f"{rule.threshold_pct:g}"),
            "advice": list(rule.advice), "sources": [dict(s) for s in rule.sources],
        }
        note = plan_note(row.week_start, plan_start, rule)
        if note is not None:
            finding["plan_note"] = note
        found.append(finding)
    return found


def plan_note(week_start: date, plan_start: str | None, rule: VolumeRule | None = None) -> dict | None:
    """The "six weeks into a plan" note (message and sources) for a week in the rule's plan weeks."""
    rule = rule or volume_rule()
    week = plan_week(week_start, plan_start)
    if week is None or not rule.plan_weeks[0] <= week <= rule.plan_weeks[1]:
        return None
    return {"plan_week": week, "message": rule.plan_message.format(plan_week=week, plan_start=plan_start),
            "sources": [dict(s) for s in rule.plan_sources]}
