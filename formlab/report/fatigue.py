"""The report's fatigue table: form drift, the last drift window against the first.

Form drift is formlab's one fatigue definition (:func:`formlab.summary.form_drift`): each metric
of the first and the last drift window, each window's numbers from
:func:`formlab.summary.side_medians`, the same as SUMMARY.json ``drift`` and the rules' change
checks. When the treadmill speed changed between the two windows the comparison mixes fatigue with
pace; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formlab.registry import METRICS, Metric
from formlab.summary import DRIFT_WINDOW_S, form_drift
from formlab.treadmill import SPEED_TOLERANCE_MPS, running_span_s, session_stages, stage_speed_at


@dataclass
class FatigueRow:
    metric: Metric
    first: float
    last: float

    @property
    def change(self) -> float:
        return self.last - self.first


@dataclass
class Fatigue:
    first_s: tuple[float, float]
    last_s: tuple[float, float]
    rows: list[FatigueRow]
    speed_changed: bool


def fatigue(analysis) -> Fatigue | str:
    """First-versus-last drift window, or the reason why there is none."""
    if running_span_s(analysis) is None:
        return "no running steps were found"
    windows = analysis.windows
    if windows is None or len(windows) < 2:
        return (f"the run holds fewer than two drift windows of {DRIFT_WINDOW_S / 60:.0f} minutes "
                "with enough steps")
    drift = form_drift(windows)
    rows = [FatigueRow(METRICS[key], first, drift["last"][key])
            for key, first in drift["first"].items()
            if first is not None and drift["last"][key] is not None]
    if not rows:
        return "no metric was measured in both the first and the last drift window"
    first, last = tuple(drift["first_s"]), tuple(drift["last_s"])
    speeds = stage_speed_at(session_stages(analysis), np.array([*first, *last]))
    speed_changed = bool(np.isfinite(speeds).all() and np.ptp(speeds) > SPEED_TOLERANCE_MPS)
    return Fatigue(first, last, rows, speed_changed)
