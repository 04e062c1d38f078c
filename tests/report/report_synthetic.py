"""Hand-made Analysis-like sessions for the report tests: known steps, angles and summary.

A steady run at a known cadence with alternating sides, contact time slightly longer on the
left, a slow cadence drift, and sinusoidal pelvic angles at stride frequency, so the tests can
assert the numbers the report shows.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from formlab.summary import drift_windows

CADENCE_SPM = 172.0
CONTACT_LEFT_MS = 250.0
CONTACT_RIGHT_MS = 240.0


def make_session(duration_s: float = 600.0, sample_rate_hz: float = 100.0, *, gyro: bool = True,
                 sided: bool = True, metadata: dict | None = None,
                 speed_stages: list[tuple[float, float, float]] | None = None,
                 cadence_drift_spm_per_10min: float = 2.0, seed: int = 1):
    """An Analysis-shaped namespace for a run from 30 s to ``duration_s`` - 10 s."""
    rng = np.random.default_rng(seed)
    t_s = np.arange(0.0, duration_s, 1.0 / sample_rate_hz)
    start_s, end_s = 30.0, duration_s - 10.0
    ics = [start_s]
    while ics[-1] < end_s:
        cadence = CADENCE_SPM + cadence_drift_spm_per_10min * (ics[-1] - start_s) / 600.0
        ics.append(ics[-1] + 60.0 / cadence)
    t_ic = np.array(ics[:-1])
    n = len(t_ic)
    side = np.where(np.arange(n) % 2 == 0, "left", "right") if sided else np.full(n, "")
    contact_ms = np.where(side == "left", CONTACT_LEFT_MS, CONTACT_RIGHT_MS) if sided \
        else np.full(n, (CONTACT_LEFT_MS + CONTACT_RIGHT_MS) / 2)
    contact_ms = contact_ms + rng.normal(0, 6, n)
    steps = pd.DataFrame({
        "t_ic_s": t_ic,
        "t_fc_s": t_ic + contact_ms / 1000.0,
        "side": side,
        "side_confidence": np.full(n, 0.95 if sided else 0.0),
        "step_time_s": np.diff(np.r_[t_ic, t_ic[-1] + 60.0 / CADENCE_SPM]),
        "contact_ms": contact_ms,
        "impact_g": np.where(side == "left", 2.4, 2.6) + rng.normal(0, 0.1, n),
        "braking_mps": 0.10 + rng.normal(0, 0.01, n),
        "vertical_oscillation_cm": 8.5 + rng.normal(0, 0.3, n),
        "pelvic_tilt_deg": (12.0 + rng.normal(0, 0.5, n)) if gyro else np.full(n, np.nan),
        "pelvic_drop_deg": (np.where(side == "left", 5.0, 6.0) + rng.normal(0, 0.4, n))
        if gyro and sided else np.full(n, np.nan),
        "valid": np.ones(n, dtype=bool),
    })
    steps.loc[5, "valid"] = False
    if speed_stages:
        speed = np.full(n, np.nan)
        for a, b, v in speed_stages:
            speed[(t_ic >= a) & (t_ic < b)] = v
        steps["speed_mps"] = speed

    angles = None
    if gyro:
        # one cycle per stride, phase 0 at each left initial contact
        phase = 2 * np.pi * np.interp(t_s, t_ic[::2], np.arange(len(t_ic[::2])),
                                      left=0.0, right=0.0)
        angles = pd.DataFrame({"t_s": t_s, "tilt_deg": 12.0 + 2.0 * np.sin(2 * phase),
                               "obliquity_deg": 5.0 * np.sin(phase),
                               "rotation_deg": 6.0 * np.cos(phase)})
    v = steps[steps["valid"]]
    left, right = v[v["side"] == "left"], v[v["side"] == "right"]
    med = lambda s: float(np.median(s)) if len(s) and np.isfinite(s).any() else None  # noqa
    summary = {
        "format": "formlab-summary/1",
        "recording": {"path": None, "duration_s": duration_s, "sample_rate_hz": sample_rate_hz,
                      "gaps": 1, "lost_s": 0.5},
        "running": {"start_s": start_s, "end_s": end_s, "steps": int(len(v))},
        "calibration": {"standing_found": True, "mount": "x up, y left, z back"},
        "metrics": {
            "cadence_spm": med(60.0 / v["step_time_s"]),
            "vertical_oscillation_cm": med(v["vertical_oscillation_cm"]),
            "ground_contact_ms": {"left": med(left["contact_ms"]) if sided else None,
                                  "right": med(right["contact_ms"]) if sided else None,
                                  "mean": med(v["contact_ms"])},
            "ground_contact_balance_left_pct": (100 * med(left["contact_ms"]) /
                                                (med(left["contact_ms"]) +
                                                 med(right["contact_ms"]))) if sided else None,
            "impact_g": {"left": med(left["impact_g"]) if sided else None,
                         "right": med(right["impact_g"]) if sided else None},
            "impact_asymmetry_pct": 8.0 if sided else None,
            "braking_mps": {"left": med(left["braking_mps"]) if sided else None,
                            "right": med(right["braking_mps"]) if sided else None,
                            "mean": med(v["braking_mps"])},
            "pelvic_tilt_deg": {"mean": 12.0 if gyro else None, "range": 4.0 if gyro else None},
            "pelvic_drop_deg": {"left": 5.0 if gyro and sided else None,
                                "right": 6.0 if gyro and sided else None},
            "pelvic_rotation_deg": {"range": 12.0 if gyro else None},
            "step_length_m": None,
            "vertical_ratio_pct": None,
        },
        "drift": {"window_s": 120,
                  "cadence_spm_per_10min": cadence_drift_spm_per_10min},
        "findings": [{
            "rule": "pelvic_drop", "severity": "watch", "metric": "pelvic_drop_right_deg",
            "label": "Pelvic drop, right stance", "unit": "degrees",
            "value": 6.0, "threshold": 5.0, "span_s": [start_s, end_s],
            "message": "Right-side pelvic drop is larger than typical",
            "advice": ["Add single-leg strength work for the hip abductors."],
            "sources": [{"document": "Why You Experience Lower Back Pain When Running and "
                                     "What to Do About It",
                         "section": "Work on Glutes and Hips"}],
        }] if gyro and sided else [],
        "notes": ([] if gyro else ["no gyroscope: pelvic angles are not measured"])
        + ([] if sided else ["step sides unknown: left/right metrics are null"]),
        "rules_not_evaluated": [],
    }
    recording = SimpleNamespace(
        path="synthetic.csv",
        metadata={"formlab-recording": "1", "device": "waist-imu-07", "placement": "sacrum",
                  "start_time_utc": "2026-11-21T07:30:00Z", "athlete": "Alex Runner",
                  **(metadata or {})},
        t_s=t_s, sample_rate_hz=sample_rate_hz,
        gaps=[SimpleNamespace(start_s=200.0, end_s=200.5, missing_samples=50)], warnings=[])
    calibration = SimpleNamespace(standing_found=True, mount="x up, y left, z back", notes=[])
    windows = drift_windows(steps)
    bouts = pd.DataFrame({"start_s": [start_s], "end_s": [end_s], "activity": ["running"]})
    return SimpleNamespace(recording=recording, calibration=calibration, body=None,
                           angles=angles, bouts=bouts, steps=steps, windows=windows,
                           summary=summary)
