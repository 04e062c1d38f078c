"""Per-second, per-lap and per-session running-dynamics values for a FIT activity.

Every value is :func:`formlab.summary.side_medians` (the one estimator behind SUMMARY.json)
applied to a set of valid running steps: for the session all of them, for a lap those of its
speed stage, for the record of second ``k`` those whose initial contact falls in the window
``[k - window_s/2, k + window_s/2)`` centred on that second. The window is 10 s by default: at
150-190 steps/min it holds 25-32 steps, 12 or more per side, so each side's median stands on
enough steps to be steady, while a change of pace still shows within a few seconds (Garmin's
running dynamics are smoothed over a few seconds as well). A second whose window holds fewer than
``min_steps`` valid steps is not running: it gets a timestamp and zero speed, no dynamics.

Derived from those estimates, with the same formulas as SUMMARY.json: step length is the median
of belt speed × step time (only where the treadmill speed is known) and vertical ratio is
oscillation / step length. Stance time percent (a FIT field SUMMARY.json has not) is contact time
as a share of the step time implied by the cadence: ``100 × contact_ms × cadence_spm / 60000``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from formlab.summary import side_medians
from formlab.treadmill import speed_at

WINDOW_S = 10.0
MIN_STEPS = 6

VALUE_COLUMNS = [  # the per-second / lap / session values, in the units of their names
    "cadence_spm", "contact_ms", "stance_time_pct", "ground_contact_balance_left_pct", "vertical_oscillation_cm",
    "vertical_ratio_pct", "step_length_m", "pelvic_tilt_deg", "pelvic_drop_left_deg", "pelvic_drop_right_deg",
    "pelvic_rotation_range_deg", "braking_mps", "impact_left_g", "impact_right_g", "impact_asymmetry_pct",
]


@dataclass
class FitSource:
    """What an export needs, whatever it comes from (an analysed recording, a stored session).

    ``steps``: formlab's steps table (``valid``, ``side``, ``t_ic_s``, ``step_time_s``, ``speed_mps``
    and the per-step metrics); ``start_utc``: wall-clock time of ``t_s = 0`` (timezone-aware);
    ``duration_s``: length of the recording; ``stages``: ``[(start_s, speed_mps), ...]`` treadmill
    speed stages or None when the speed is unknown; ``notes``: said to the user after the export."""

    steps: pd.DataFrame
    start_utc: datetime
    duration_s: float
    stages: list[tuple[float, float]] | None
    notes: list[str] = field(default_factory=list)


def values(steps: pd.DataFrame) -> dict[str, float | None]:
    """The exported values for one set of valid steps (see the module docstring)."""
    m = side_medians(steps)
    step_length_m = m["step_length_m"]  # the summary's estimator: median over strides
    vo, cadence, contact = m["vertical_oscillation_cm"], m["cadence_spm"], m["contact_ms"]
    out = {k: m[k] for k in VALUE_COLUMNS if k in m}
    out["step_length_m"] = step_length_m
    out["vertical_ratio_pct"] = None if step_length_m is None or vo is None else vo / step_length_m
    out["stance_time_pct"] = None if cadence is None or contact is None else contact * cadence / 600.0
    return out


def per_second(source: FitSource, window_s: float = WINDOW_S, min_steps: int = MIN_STEPS) -> pd.DataFrame:
    """One row per whole second of the recording: ``t_s, running, speed_mps, distance_m`` and
    :data:`VALUE_COLUMNS` (NaN where not running or not measurable)."""
    valid = source.steps[source.steps["valid"]].sort_values("t_ic_s", kind="stable")
    t_ic = valid["t_ic_s"].to_numpy(float)
    t_s = np.arange(0.0, np.floor(source.duration_s) + 1.0)
    lo = np.searchsorted(t_ic, t_s - window_s / 2, side="left")
    hi = np.searchsorted(t_ic, t_s + window_s / 2, side="left")
    rows = []
    for a, b in zip(lo, hi):
        if b - a < min_steps:
            rows.append({})
            continue
        rows.append({k: np.nan if v is None else v for k, v in values(valid.iloc[a:b]).items()})
    table = pd.DataFrame(rows, columns=VALUE_COLUMNS, dtype=float)
    running = hi - lo >= min_steps
    belt = speed_at(source.stages, t_s)
    speed = np.where(running, np.nan_to_num(belt, nan=0.0), 0.0)
    table.insert(0, "t_s", t_s)
    table.insert(1, "running", running)
    table.insert(2, "speed_mps", speed if source.stages else np.nan)
    # each record's speed holds over the second before it, so distance is the running sum
    table.insert(3, "distance_m", np.cumsum(np.r_[0.0, speed[1:]]) if source.stages else np.nan)
    return table


def laps(source: FitSource) -> list[tuple[float, float]]:
    """``[(start_s, end_s), ...]``: one lap per treadmill speed stage that starts inside the
    recording (one lap for the whole recording without stages)."""
    inner = sorted(s for s, _ in source.stages or [] if 0.0 < s < source.duration_s)
    edges = [0.0, *inner, float(source.duration_s)]
    return list(zip(edges[:-1], edges[1:]))


def span_values(source: FitSource, start_s: float = -np.inf, end_s: float = np.inf) -> dict[str, float | None]:
    """:func:`values` over the valid steps whose initial contact is in ``[start_s, end_s)``; over
    the whole session these are SUMMARY.json's numbers before rounding."""
    steps = source.steps
    inside = steps[steps["valid"] & (steps["t_ic_s"] >= start_s) & (steps["t_ic_s"] < end_s)]
    return values(inside)
