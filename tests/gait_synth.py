"""Small, exact synthetic waist-IMU sessions for unit and property tests.

Kinematics are written in the world frame (x = initial forward heading, y left, z up); the pelvis
orientation is ``Rz(rotation) Ry(tilt) Rx(obliquity)`` of prescribed angle curves; the sensor is
mounted with a chosen ``R_sensor_from_body``. Specific force and angular rate follow exactly:
``f_body = R_world_from_body^T (a_world + g_up)``, ``ω_body`` from consecutive orientations.

Running: stance lasts ``contact_s`` of each ``step_s``; the vertical specific force is a half
sine whose mean over the step is 1 g (so the mean acceleration over a stride is zero), with no
force in flight; the forward force is one full sine over stance (braking, then propulsion) and
the lateral force a half sine towards the stance side. Walking: a gentle sinusoid at 1.8 Hz.
Standing: 1 g and small sway. It is not the project simulator (``formlab.simulate``), only a
signal with known answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from formlab.recording import Gap, Recording


@dataclass
class Session:
    recording: Recording
    boundaries_s: list[float]          # times where the activity changes
    activities: list[tuple[str, float, float]]
    acc_body_g: np.ndarray             # truth, body frame (standing posture at rotation 0)
    gyr_body_dps: np.ndarray
    angles_deg: np.ndarray             # (n, 3) rotation, tilt, obliquity of the pelvis vs standing


def synth_session(
    plan=(("standing", 5.0), ("running", 20.0)),
    rate_hz: float = 200.0,
    R_sensor_from_body: np.ndarray | None = None,
    gyro: bool = True,
    seed: int = 0,
    step_s: float = 0.36,
    contact_s: float = 0.24,
    noise_g: float = 0.003,
    tilt_amp_deg: float = 2.0,
    drop_amp_deg: float = 4.0,
    rot_amp_deg: float = 5.0,
    turn_deg_per_s: float = 0.0,
    gap: tuple[float, float] | None = None,
    device: str = "",
) -> Session:
    rng = np.random.default_rng(seed)
    total = sum(d for _, d in plan)
    t = np.arange(0.0, total, 1.0 / rate_hz)
    n = t.size
    a_world = np.zeros((n, 3))          # body acceleration in g, world frame (without gravity)
    rot = np.zeros(n)
    tilt = np.zeros(n)
    obl = np.zeros(n)
    boundaries, acts = [], []
    t0 = 0.0
    for k, (act, dur) in enumerate(plan):
        sel = (t >= t0) & (t < t0 + dur)
        tt = t[sel] - t0
        if act == "running":
            phase = tt % step_s
            step_no = np.floor(tt / step_s).astype(int)
            side = np.where(step_no % 2 == 0, 1.0, -1.0)   # +1 left stance
            stance = phase < contact_s
            peak = np.pi * step_s / (2 * contact_s)
            s = np.where(stance, np.sin(np.pi * phase / contact_s), 0.0)
            a_world[sel, 2] = peak * s - 1.0
            a_world[sel, 0] = -0.5 * np.where(stance, np.sin(2 * np.pi * phase / contact_s), 0.0)
            a_world[sel, 1] = 0.25 * side * s
            a_world[sel, 1] -= a_world[sel, 1].mean()
            stride = 2 * step_s
            w = 2 * np.pi / stride
            ramp = np.clip(tt / 0.5, 0, 1) * np.clip((dur - tt) / 0.5, 0, 1)
            tilt[sel] = ramp * tilt_amp_deg * np.sin(2 * w * tt)
            obl[sel] = ramp * drop_amp_deg * np.sin(w * tt)
            rot[sel] = ramp * rot_amp_deg * np.sin(w * tt + 0.5)
        elif act == "walking":
            f = 1.8
            a_world[sel, 2] = 0.2 * np.sin(2 * np.pi * f * tt)
            a_world[sel, 0] = 0.1 * np.sin(2 * np.pi * f * tt + 1.2)
            a_world[sel, 1] = 0.08 * np.sin(np.pi * f * tt)
            obl[sel] = 2.0 * np.sin(np.pi * f * tt)
        elif act == "standing":
            tilt[sel] = 0.3 * np.sin(2 * np.pi * 0.2 * tt)
        else:
            raise ValueError(act)
        if k:
            boundaries.append(t0)
        acts.append((act, t0, t0 + dur))
        t0 += dur
    rot = rot + turn_deg_per_s * t
    R_wb = Rotation.from_euler("ZYX", np.column_stack([rot, tilt, obl]), degrees=True)
    f_body = R_wb.inv().apply(a_world + np.array([0.0, 0.0, 1.0]))
    rel = (R_wb[:-1].inv() * R_wb[1:]).as_rotvec() * rate_hz
    omega = np.vstack([rel, rel[-1:]])
    gyr_body = np.rad2deg(omega)
    R_sb = np.eye(3) if R_sensor_from_body is None else np.asarray(R_sensor_from_body)
    acc_s = f_body @ R_sb.T + rng.normal(0.0, noise_g, (n, 3))
    gyr_s = gyr_body @ R_sb.T + rng.normal(0.0, 0.05, (n, 3))
    gaps = []
    if gap is not None:
        keep = (t < gap[0]) | (t >= gap[1])
        t, acc_s, gyr_s, f_body, gyr_body = t[keep], acc_s[keep], gyr_s[keep], f_body[keep], gyr_body[keep]
        rot, tilt, obl = rot[keep], tilt[keep], obl[keep]
        i = int(np.flatnonzero(np.diff(t) > 1.5 / rate_hz)[0])
        gaps = [Gap(float(t[i]), float(t[i + 1]), int(round((t[i + 1] - t[i]) * rate_hz)) - 1)]
    rec = Recording(
        t_s=t,
        acc_g=acc_s,
        gyr_dps=gyr_s if gyro else None,
        metadata={"device": device} if device else {},
        sample_rate_hz=rate_hz,
        gaps=gaps,
    )
    return Session(rec, boundaries, acts, f_body, gyr_body, np.column_stack([rot, tilt, obl]))
