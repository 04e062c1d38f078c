"""From the steps table to SUMMARY.json (``spec/analysis-output.md``) and the drift windows.

Every metric is the median over valid running steps (robust to the odd mis-detected step), per
side where the metric has sides; the "mean" of a sided metric is the mean of its two side
medians. Cadence and vertical oscillation, which have no per-side value, and the "mean" of a sided
metric whose sides are not labelled (no gyroscope) are medians over strides (two consecutive
steps), so a runner whose sides differ gets the middle of the two rather than one side's value.
A metric that the recording cannot give is ``None`` (JSON null) and a note says why. Drift (fatigue) is the least-squares slope of window medians against time,
per 10 minutes, over windows of ``window_s`` seconds (default 120 s) of running.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SUMMARY_FORMAT = "formlab-summary/1"
DRIFT_WINDOW_S = 120.0
WINDOW_COLUMNS = [
    "cadence_spm", "contact_ms", "contact_left_ms", "contact_right_ms", "ground_contact_balance_left_pct",
    "impact_left_g", "impact_right_g", "impact_asymmetry_pct", "braking_mps", "vertical_oscillation_cm",
    "pelvic_tilt_deg", "pelvic_drop_left_deg", "pelvic_drop_right_deg", "pelvic_rotation_range_deg",
]
DRIFT_KEYS = {  # summary drift key -> window column
    "cadence_spm_per_10min": "cadence_spm",
    "ground_contact_ms_per_10min": "contact_ms",
    "ground_contact_balance_left_pct_per_10min": "ground_contact_balance_left_pct",
    "impact_asymmetry_pct_per_10min": "impact_asymmetry_pct",
    "vertical_oscillation_cm_per_10min": "vertical_oscillation_cm",
    "pelvic_tilt_deg_per_10min": "pelvic_tilt_deg",
    "braking_mps_per_10min": "braking_mps",
}


def _median(values) -> float | None:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _consecutive(steps: pd.DataFrame) -> np.ndarray:
    """For each step but the last: does the next row follow it directly (same bout, no step missed)?"""
    step_s = steps["step_time_s"].to_numpy(float)
    t_ic = steps["t_ic_s"].to_numpy(float)
    return np.isclose(t_ic[:-1] + step_s[:-1], t_ic[1:], atol=1e-6)


def cadence_spm(steps: pd.DataFrame) -> float | None:
    """Steps per minute from the median stride (two consecutive steps): a median of single step
    times falls on one side's value when left and right step times differ."""
    step_s = steps["step_time_s"].to_numpy(float)
    if step_s.size == 0:
        return None
    stride_s = (step_s[:-1] + step_s[1:])[_consecutive(steps)]
    stride_s = stride_s[np.isfinite(stride_s)]
    if stride_s.size:
        return 120.0 / float(np.median(stride_s))
    single = _median(step_s)
    return None if single is None else 60.0 / single


def stride_median(steps: pd.DataFrame, column: str) -> float | None:
    """Median over strides of the mean of two consecutive steps' ``column``.

    A runner whose left and right steps differ (one stance longer or harder) gives two clusters of
    per-step values; their plain median lands on one cluster or jumps across the gap as one or two
    steps come or go (on the simulated grid: up to 2 cm of vertical oscillation from two steps).
    Each stride holds one step of each side, so the median of stride means is the middle of the two
    sides whether or not the sides are labelled. Without any consecutive pair: the plain median."""
    values = steps[column].to_numpy(float)
    if values.size < 2:
        return _median(values)
    pair_means = (0.5 * (values[:-1] + values[1:]))[_consecutive(steps)]
    pair_means = pair_means[np.isfinite(pair_means)]
    return float(np.median(pair_means)) if pair_means.size else _median(values)


def _both_sides(steps: pd.DataFrame, column: str, left: float | None, right: float | None) -> float | None:
    """The middle of the two sides: the mean of the side medians where both sides are labelled,
    else :func:`stride_median` (the plain median of unlabelled steps lands on one side's cluster)."""
    if left is not None and right is not None:
        return 0.5 * (left + right)
    return stride_median(steps, column)


def side_medians(steps: pd.DataFrame) -> dict[str, float | None]:
    """Medians per side and the derived balance / asymmetry for one set of steps."""
    side = steps["side"].to_numpy()
    left, right = side == "left", side == "right"

    def col(name: str) -> np.ndarray:
        return steps[name].to_numpy(float)

    contact, impact, braking, drop = col("contact_ms"), col("impact_g"), col("braking_mps"), col("pelvic_drop_deg")
    out: dict[str, float | None] = {
        "cadence_spm": cadence_spm(steps),
        "contact_left_ms": _median(contact[left]),
        "contact_right_ms": _median(contact[right]),
        "impact_left_g": _median(impact[left]),
        "impact_right_g": _median(impact[right]),
        "braking_left_mps": _median(braking[left]),
        "braking_right_mps": _median(braking[right]),
        "vertical_oscillation_cm": stride_median(steps, "vertical_oscillation_cm"),
        "pelvic_tilt_deg": _median(col("pelvic_tilt_deg")),
        "pelvic_tilt_range_deg": _mean(col("pelvic_tilt_range_deg")),
        "pelvic_drop_left_deg": _median(drop[left]),
        "pelvic_drop_right_deg": _median(drop[right]),
        "pelvic_rotation_range_deg": _mean(col("pelvic_rotation_range_deg")),
    }
    out["contact_ms"] = _both_sides(steps, "contact_ms", out["contact_left_ms"], out["contact_right_ms"])
    out["impact_g"] = _both_sides(steps, "impact_g", out["impact_left_g"], out["impact_right_g"])
    out["braking_mps"] = _both_sides(steps, "braking_mps", out["braking_left_mps"], out["braking_right_mps"])
    cl, cr = out["contact_left_ms"], out["contact_right_ms"]
    out["ground_contact_balance_left_pct"] = None if cl is None or cr is None else 100.0 * cl / (cl + cr)
    il, ir = out["impact_left_g"], out["impact_right_g"]
    out["impact_asymmetry_pct"] = None if il is None or ir is None else 100.0 * abs(ir - il) / (0.5 * (il + ir))
    return out


def _mean(values) -> float | None:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.mean(values)) if values.size else None


def drift_windows(steps: pd.DataFrame, window_s: float = DRIFT_WINDOW_S) -> pd.DataFrame:
    """Equal windows of at least ``window_s`` over the running span: ``start_s, end_s, steps``, a
    median per metric."""
    valid = steps[steps["valid"]]
    columns = ["start_s", "end_s", "steps", *WINDOW_COLUMNS]
    if valid.empty:
        return pd.DataFrame(columns=columns)
    t0, t1 = valid["t_ic_s"].min(), valid["t_ic_s"].max() + 1e-9
    # equal windows of at least window_s (a short run gives one window): no remainder window
    # twice as long as the others diluting what changed at the end
    edges = np.linspace(t0, t1, max(1, int((t1 - t0) // window_s)) + 1)
    valid = valid.sort_values("t_ic_s", kind="stable")
    bounds = np.searchsorted(valid["t_ic_s"].to_numpy(float), edges, side="left")
    rows = []
    for start, end, a, b in zip(edges[:-1], edges[1:], bounds[:-1], bounds[1:]):
        inside = valid.iloc[a:b]
        if len(inside) < 10:
            continue
        m = side_medians(inside)
        rows.append({"start_s": start, "end_s": end, "steps": len(inside), **{c: m[c] for c in WINDOW_COLUMNS}})
    return pd.DataFrame(rows, columns=columns)


def drift_per_10min(windows: pd.DataFrame) -> dict[str, float | None]:
    """Least-squares slope of each window median against window centre, per 10 minutes."""
    out: dict[str, float | None] = {}
    centre_s = 0.5 * (windows["start_s"] + windows["end_s"]).to_numpy(float) if len(windows) else np.zeros(0)
    for key, col in DRIFT_KEYS.items():
        y = windows[col].to_numpy(float) if len(windows) else np.zeros(0)
        ok = np.isfinite(y)
        out[key] = None if ok.sum() < 3 else float(np.polyfit(centre_s[ok], y[ok], 1)[0] * 600.0)
    return out


def summarize(recording, calibration, bouts: pd.DataFrame, steps: pd.DataFrame, windows: pd.DataFrame,
              notes: list[str]) -> dict:
    """SUMMARY.json as a dict (findings are filled by the rules layer)."""
    valid = steps[steps["valid"]]
    m = side_medians(valid)  # all None without valid steps
    running = bouts[bouts["activity"] == "running"]
    notes = list(notes)
    sides_known = (valid["side"] != "").mean() if len(valid) else 0.0
    if len(valid) and sides_known < 0.5 and recording.has_gyro:
        notes.append("the side of most steps could not be told (weak or inconsistent left/right cues): "
                     "per-side metrics are null")

    if "flight" in valid and len(valid) and not valid["flight"].all():
        grounded = int((~valid["flight"].astype(bool)).sum())
        ended_by = "the end of propulsion" if calibration.forward_found else "the vertical rule, cut at the next contact"
        notes.append(f"no flight found after {grounded} of {len(valid)} running steps: their toe-off is {ended_by}, "
                     "and their contact time is less certain")

    step_length = _median(valid["speed_mps"] * valid["step_time_s"])
    vo = m["vertical_oscillation_cm"]
    if step_length is None and len(valid):
        notes.append("treadmill speed unknown (--speed, or metadata treadmill_speed_mps or treadmill_speed_stages): "
                     "step length and vertical ratio are null")

    metrics = {
        "cadence_spm": _round(m["cadence_spm"], 1),
        "vertical_oscillation_cm": _round(vo, 2),
        "ground_contact_ms": {"left": _round(m["contact_left_ms"], 1), "right": _round(m["contact_right_ms"], 1),
                              "mean": _round(m["contact_ms"], 1)},
        "ground_contact_balance_left_pct": _round(m["ground_contact_balance_left_pct"], 2),
        "impact_g": {"left": _round(m["impact_left_g"], 2), "right": _round(m["impact_right_g"], 2),
                     "mean": _round(m["impact_g"], 2)},
        "impact_asymmetry_pct": _round(m["impact_asymmetry_pct"], 1),
        "braking_mps": {"left": _round(m["braking_left_mps"], 3), "right": _round(m["braking_right_mps"], 3),
                        "mean": _round(m["braking_mps"], 3)},
        "pelvic_tilt_deg": {"mean": _round(m["pelvic_tilt_deg"], 1),
                            "range": _round(m["pelvic_tilt_range_deg"], 1) if m["pelvic_tilt_deg"] is not None else None},
        "pelvic_drop_deg": {"left": _round(m["pelvic_drop_left_deg"], 1), "right": _round(m["pelvic_drop_right_deg"], 1)},
        "pelvic_rotation_deg": {"range": _round(m["pelvic_rotation_range_deg"], 1)},
        "step_length_m": _round(step_length, 3),
        "vertical_ratio_pct": None if step_length is None or vo is None else round(vo / (step_length * 100.0) * 100.0, 2),
    }
    drift = {"window_s": DRIFT_WINDOW_S, "windows": int(len(windows)), **{
        k: _round(v, 3) for k, v in drift_per_10min(windows).items()}}
    return {
        "format": SUMMARY_FORMAT,
        "recording": {
            "path": recording.path, "duration_s": round(recording.duration_s, 3),
            "sample_rate_hz": round(recording.sample_rate_hz, 3), "gaps": len(recording.gaps),
            "lost_s": round(recording.lost_s, 3), "has_gyroscope": recording.has_gyro,
            "metadata": dict(recording.metadata),
        },
        "running": {
            "start_s": None if running.empty else round(float(running["start_s"].min()), 3),
            "end_s": None if running.empty else round(float(running["end_s"].max()), 3),
            "duration_s": round(float((running["end_s"] - running["start_s"]).sum()), 3),
            "bouts": int(len(running)),
            "steps": int(len(valid)),
            "sides_known_pct": round(100.0 * float(sides_known), 1),
        },
        "calibration": {
            "standing_found": bool(calibration.standing_found),
            "forward_found": bool(calibration.forward_found),
            "mount": calibration.mount,
            "device_calibration_applied": bool(calibration.device_calibration_applied),
            "device_calibration_file": calibration.device_calibration_file,
        },
        "metrics": metrics,
        "drift": drift,
        "findings": [],
        "notes": notes,
    }
