"""Treadmill speed stages of a session, when the recording says what they were.

Sources, first found wins:
1. a per-step ``speed_mps`` column in the steps table (constant-speed runs of steps become
   stages);
2. the recording's ``treadmill_speed_mps`` metadata (one stage over the running span).
Nothing is inferred from the signals: without either source the speed is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SPEED_MATCH_TOLERANCE_MPS = 0.05
"""Two stages run at the same speed when their speeds differ by no more than this."""


@dataclass(frozen=True)
class SpeedStage:
    start_s: float
    end_s: float
    speed_mps: float


def running_span_s(analysis) -> tuple[float, float] | None:
    """(start_s, end_s) of running from the summary, else from the steps; None without steps."""
    running = (analysis.summary or {}).get("running") or {}
    start, end = running.get("start_s"), running.get("end_s")
    if start is not None and end is not None and end > start:
        return float(start), float(end)
    steps = analysis.steps
    if steps is None or len(steps) == 0:
        return None
    return float(steps["t_ic_s"].min()), float(steps["t_ic_s"].max())


def speed_stages(analysis) -> list[SpeedStage]:
    """Constant-speed stages of the session, in time order; empty when the speed is unknown."""
    steps = analysis.steps
    if steps is not None and "speed_mps" in steps.columns and len(steps):
        ordered = steps.sort_values("t_ic_s")
        speed = pd.to_numeric(ordered["speed_mps"], errors="coerce").to_numpy(dtype=float)
        t_s = ordered["t_ic_s"].to_numpy(dtype=float)
        known = np.isfinite(speed)
        speed, t_s = speed[known], t_s[known]
        if len(speed):
            change = np.flatnonzero(np.abs(np.diff(speed)) > SPEED_MATCH_TOLERANCE_MPS) + 1
            starts = np.r_[0, change]
            ends = np.r_[change, len(speed)]
            return [
                SpeedStage(float(t_s[a]), float(t_s[b - 1]), float(np.median(speed[a:b])))
                for a, b in zip(starts, ends)
            ]
    value = (analysis.recording.metadata or {}).get("treadmill_speed_mps")
    span = running_span_s(analysis)
    if value is None or span is None:
        return []
    try:
        speed_mps = float(value)
    except ValueError:
        return []
    if not np.isfinite(speed_mps) or speed_mps <= 0:
        return []
    return [SpeedStage(span[0], span[1], speed_mps)]


def speed_at(stages: list[SpeedStage], t_s: np.ndarray) -> np.ndarray:
    """Stage speed at each time (NaN outside every stage)."""
    out = np.full(len(t_s), np.nan)
    for stage in stages:
        out[(t_s >= stage.start_s) & (t_s <= stage.end_s)] = stage.speed_mps
    return out
