"""Treadmill belt speed over a recording: one speed, or stages (the one speed-stage module).

Sources, first found wins: ``--treadmill-speed`` (one speed for the whole recording); the metadata line
``treadmill_speed_stages: 0:2.8, 300:3.3, 600:3.6`` (sensor time in seconds : belt speed in m/s,
each stage lasting until the next); the metadata line ``treadmill_speed_mps: 3.3``. Step length
(speed × step time), vertical ratio and braking as a share of speed need it. The analysis writes
each step's belt speed (``speed_mps``); :func:`session_stages` reads the stages of an analysis
back from those steps, for the report, the comparison, the fatigue table and the rules. Nothing is
inferred from the signals: without a source the speed is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formlab.errors import InputError

SPEED_RANGE_MPS = (0.1, 12.5)  # a belt crawling at 0.1 m/s up to the fastest human sprint
STAGES_KEY = "treadmill_speed_stages"
SPEED_KEY = "treadmill_speed_mps"
SPEED_TOLERANCE_MPS = 0.05
"""Belt speeds closer than this are the same pace (stages, comparison, fatigue), formlab default:
treadmill displays step in 0.1 km/h (0.03 m/s)."""


def speed_stages(rec, speed_mps: float | None = None) -> list[tuple[float, float]] | None:
    """``[(start_s, speed_mps), ...]`` in time order, or None when the speed is unknown."""
    if speed_mps is not None:
        if not SPEED_RANGE_MPS[0] <= speed_mps <= SPEED_RANGE_MPS[1]:
            raise InputError("--treadmill-speed", None, f"treadmill speed must be {SPEED_RANGE_MPS[0]:g} to "
                             f"{SPEED_RANGE_MPS[1]:g} m/s, got {speed_mps:g}")
        return [(-np.inf, float(speed_mps))]
    meta = rec.metadata
    if STAGES_KEY in meta:
        return _parse_stages(meta[STAGES_KEY], rec.path)
    if SPEED_KEY in meta:
        try:
            value = float(meta[SPEED_KEY])
        except ValueError:
            value = float("nan")
        if not SPEED_RANGE_MPS[0] <= value <= SPEED_RANGE_MPS[1]:
            raise InputError(rec.path, None, f"metadata {SPEED_KEY} must be a positive number from {SPEED_RANGE_MPS[0]:g} to "
                             f"{SPEED_RANGE_MPS[1]:g} m/s, got {meta[SPEED_KEY]!r}")
        return [(-np.inf, value)]
    return None


def _parse_stages(text: str, path) -> list[tuple[float, float]]:
    stages = []
    for item in text.split(","):
        start, sep, speed = item.partition(":")
        try:
            stage = (float(start), float(speed))
        except ValueError:
            stage = None
        if not sep or stage is None or not SPEED_RANGE_MPS[0] <= stage[1] <= SPEED_RANGE_MPS[1]:
            raise InputError(path, None, f"metadata {STAGES_KEY}: {item.strip()!r} is not 'start_s:speed_mps' "
                             f"with a speed of {SPEED_RANGE_MPS[0]:g} to {SPEED_RANGE_MPS[1]:g} m/s")
        stages.append(stage)
    if any(b[0] <= a[0] for a, b in zip(stages, stages[1:])):
        raise InputError(path, None, f"metadata {STAGES_KEY}: stage start times must increase")
    return stages


def speed_at(stages: list[tuple[float, float]] | None, t_s: np.ndarray) -> np.ndarray:
    """Belt speed (m/s) at each time; NaN when unknown or before the first stage."""
    t_s = np.asarray(t_s, dtype=float)
    if not stages:
        return np.full(t_s.shape, np.nan)
    starts = np.array([s for s, _ in stages])
    speeds = np.array([v for _, v in stages])
    k = np.searchsorted(starts, t_s, side="right") - 1
    return np.where(k >= 0, speeds[np.clip(k, 0, None)], np.nan)


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


def session_stages(analysis) -> list[SpeedStage]:
    """Constant-speed stages of an analysed session, in time order; empty when the speed is
    unknown. From the steps' ``speed_mps`` (runs of steps within :data:`SPEED_TOLERANCE_MPS`),
    else the metadata ``treadmill_speed_mps`` over the running span."""
    steps = analysis.steps
    if steps is not None and "speed_mps" in steps.columns and len(steps):
        ordered = steps.sort_values("t_ic_s")
        speed = pd.to_numeric(ordered["speed_mps"], errors="coerce").to_numpy(dtype=float)
        t_s = ordered["t_ic_s"].to_numpy(dtype=float)
        known = np.isfinite(speed)
        speed, t_s = speed[known], t_s[known]
        if len(speed):
            change = np.flatnonzero(np.abs(np.diff(speed)) > SPEED_TOLERANCE_MPS) + 1
            starts = np.r_[0, change]
            ends = np.r_[change, len(speed)]
            return [SpeedStage(float(t_s[a]), float(t_s[b - 1]), float(np.median(speed[a:b])))
                    for a, b in zip(starts, ends)]
    value = (analysis.recording.metadata or {}).get(SPEED_KEY)
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


def stage_speed_at(stages: list[SpeedStage], t_s: np.ndarray) -> np.ndarray:
    """Stage speed at each time (NaN outside every stage)."""
    out = np.full(len(t_s), np.nan)
    for stage in stages:
        out[(t_s >= stage.start_s) & (t_s <= stage.end_s)] = stage.speed_mps
    return out
