"""Treadmill belt speed over a recording: one speed, or stages.

Sources, first found wins: ``--speed`` (one speed for the whole recording); the metadata line
``treadmill_speed_stages: 0:2.8, 300:3.3, 600:3.6`` (sensor time in seconds : belt speed in m/s,
each stage lasting until the next); the metadata line ``treadmill_speed_mps: 3.3``. Step length
(speed × step time) and vertical ratio need it; the report shades the stages.
"""

from __future__ import annotations

import numpy as np

from formlab.errors import InputError

SPEED_RANGE_MPS = (0.1, 12.5)  # a belt crawling at 0.1 m/s up to the fastest human sprint
STAGES_KEY = "treadmill_speed_stages"
SPEED_KEY = "treadmill_speed_mps"


def speed_stages(rec, speed_mps: float | None = None) -> list[tuple[float, float]] | None:
    """``[(start_s, speed_mps), ...]`` in time order, or None when the speed is unknown."""
    if speed_mps is not None:
        if not SPEED_RANGE_MPS[0] <= speed_mps <= SPEED_RANGE_MPS[1]:
            raise InputError("--speed", None, f"treadmill speed must be {SPEED_RANGE_MPS[0]:g} to "
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
