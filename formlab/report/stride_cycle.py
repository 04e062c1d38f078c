"""The mean pelvic-angle cycle over one stride, left initial contact to the next.

Model: a stride starts at a left initial contact and ends at the next one, with exactly one right
step between them. Each stride's angles (``analysis.angles``, body-frame conventions of
``docs/body-frame.md``) are linearly interpolated onto 0..100 % of the stride and averaged over
strides (ensemble average, the usual way gait laboratories show kinematics, e.g. Winter,
*Biomechanics and Motor Control of Human Movement*, ch. 1). Obliquity and rotation are shown
relative to each stride's mean, because their absolute level drifts with the heading and the
mount; tilt stays relative to the standing posture. Stance phases are the mean contact of each
side expressed in % of the stride.

Strides longer or shorter than 0.7-1.3x the median stride, or overlapping a recording gap, are
left out (a missed or extra contact would smear the average).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formlab.report.step_metrics import sides, valid_steps

N_POINTS = 101
ANGLE_COLUMNS = ("tilt_deg", "obliquity_deg", "rotation_deg")


@dataclass
class StrideCycle:
    pct: np.ndarray                      # (N_POINTS,) 0..100 % of the stride
    mean_deg: dict[str, np.ndarray]      # angle column -> mean curve
    sd_deg: dict[str, np.ndarray]        # angle column -> standard deviation across strides
    strides: int
    left_stance_pct: tuple[float, float]
    right_stance_pct: tuple[float, float]


def stride_cycle(angles: pd.DataFrame, steps: pd.DataFrame, gaps=()) -> StrideCycle | None:
    """Mean angle cycle over strides; None when fewer than 5 usable strides exist."""
    ordered = valid_steps(steps)
    side = sides(ordered)
    t_ic = ordered["t_ic_s"].to_numpy(dtype=float)
    t_fc = ordered["t_fc_s"].to_numpy(dtype=float)
    rows = []
    for i in range(len(ordered) - 2):
        if side[i] == "left" and side[i + 1] == "right" and side[i + 2] == "left":
            rows.append((t_ic[i], t_fc[i], t_ic[i + 1], t_fc[i + 1], t_ic[i + 2]))
    if not rows:
        return None
    s = np.array(rows)
    duration = s[:, 4] - s[:, 0]
    typical = np.median(duration)
    keep = (duration > 0.7 * typical) & (duration < 1.3 * typical)
    for gap in gaps:
        keep &= ~((s[:, 0] < gap.end_s) & (s[:, 4] > gap.start_s))
    t_angles = angles["t_s"].to_numpy(dtype=float)
    keep &= (s[:, 0] >= t_angles[0]) & (s[:, 4] <= t_angles[-1])
    s, duration = s[keep], duration[keep]
    if len(s) < 5:
        return None
    frac = np.linspace(0.0, 1.0, N_POINTS)
    query = s[:, :1] + duration[:, None] * frac[None, :]
    mean_deg, sd_deg = {}, {}
    for col in ANGLE_COLUMNS:
        curves = np.interp(query.ravel(), t_angles, angles[col].to_numpy(dtype=float))
        curves = curves.reshape(query.shape)
        if col != "tilt_deg":
            curves = curves - curves.mean(axis=1, keepdims=True)
        mean_deg[col] = curves.mean(axis=0)
        sd_deg[col] = curves.std(axis=0)
    pct = lambda t: float(np.mean(t / duration) * 100.0)  # noqa: E731
    left = (0.0, pct(s[:, 1] - s[:, 0]))
    right = (pct(s[:, 2] - s[:, 0]), pct(s[:, 3] - s[:, 0]))
    return StrideCycle(frac * 100.0, mean_deg, sd_deg, len(s), left, right)
