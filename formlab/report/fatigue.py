"""Fatigue as drift of form over the run: first against last running segment of equal length.

Model: form that changes with fatigue shows as a shift of the per-step medians between the start
and the end of the run at the same effort (the convention of Garmin Connect and Runalyze, see
``notes/anchors.md``). The segment length is a third of the running span, at most 5 minutes, so
the two segments never overlap; runs shorter than 2 minutes get no comparison. The change per 10
minutes is the analysis' own drift estimate (``summary['drift']``), shown as is.

When the treadmill speed changed between the two segments the comparison mixes fatigue with
pace; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formlab.report.speed import running_span_s, speed_at, speed_stages
from formlab.report.step_metrics import STEP_METRICS, StepMetric, step_values, valid_steps

MIN_SPAN_S = 120.0
MAX_SEGMENT_S = 300.0


@dataclass
class FatigueRow:
    metric: StepMetric
    first: float
    last: float
    per_10min: float | None

    @property
    def change(self) -> float:
        return self.last - self.first


@dataclass
class Fatigue:
    first_s: tuple[float, float]
    last_s: tuple[float, float]
    rows: list[FatigueRow]
    speed_changed: bool


def drift_per_10min(summary: dict, metric: StepMetric) -> float | None:
    """The analysis' drift of ``metric`` per 10 minutes, if the summary has it."""
    drift = (summary or {}).get("drift") or {}
    for key in (metric.name, metric.band_metric):
        if key and drift.get(f"{key}_per_10min") is not None:
            return float(drift[f"{key}_per_10min"])
    return None


def fatigue(analysis) -> Fatigue | str:
    """First-versus-last comparison, or the reason why there is none."""
    span = running_span_s(analysis)
    if span is None:
        return "no running steps were found"
    length_s = min(MAX_SEGMENT_S, (span[1] - span[0]) / 3.0)
    if span[1] - span[0] < MIN_SPAN_S:
        return f"the run is shorter than {MIN_SPAN_S / 60:.0f} minutes"
    first = (span[0], span[0] + length_s)
    last = (span[1] - length_s, span[1])
    steps = valid_steps(analysis.steps)
    t_s = steps["t_ic_s"].to_numpy(dtype=float)
    in_first = (t_s >= first[0]) & (t_s < first[1])
    in_last = (t_s > last[0]) & (t_s <= last[1])
    rows = []
    for metric in STEP_METRICS:
        values = step_values(steps, metric.name)
        a, b = values[in_first], values[in_last]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) < 10 or len(b) < 10:
            continue
        rows.append(FatigueRow(metric, float(np.median(a)), float(np.median(b)),
                               drift_per_10min(analysis.summary, metric)))
    if not rows:
        return "too few valid steps at the start or the end of the run"
    stages = speed_stages(analysis)
    speeds = speed_at(stages, np.array([first[0], first[1], last[0], last[1]]))
    speed_changed = bool(np.isfinite(speeds).all() and np.ptp(speeds) > 0.05)
    return Fatigue(first, last, rows, speed_changed)
