"""From the steps table to SUMMARY.json and the drift windows: formlab's one estimator.

Every number formlab shows for a set of steps (the whole run, a drift window, the live dashboard's
last seconds, a comparison at matched speed) comes from :func:`side_medians`: the median over
valid running steps (robust to the odd mis-detected step), per side where the metric has sides;
the headline ("mean") of a sided metric is the mean of its two side medians. Cadence and vertical
oscillation, which have no per-side value, and the headline of a sided metric whose sides are not
labelled (no gyroscope) are medians over strides (two consecutive steps), so a runner whose sides
differ gets the middle of the two rather than one side's value. A metric that the recording
cannot give is ``None`` (JSON null) and a note says why. Decimals kept in SUMMARY.json are the
metric registry's (:mod:`formlab.registry`).

Fatigue is *form drift*: the last drift window minus the first (windows of ``window_s`` seconds,
default 120 s, of at least :data:`DRIFT_MIN_STEPS` valid steps), each window's numbers from
:func:`side_medians` (Garmin Connect and Runalyze compare first and last segments the same way).
The summary, the rules, the report and the live dashboard all use this one definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formlab.registry import METRICS, metric

SUMMARY_FORMAT = "formlab-summary/1"
DRIFT_WINDOW_S = 120.0
DRIFT_MIN_STEPS = 20
"""A drift window with fewer valid steps is left out (formlab default: a 2-minute window of
running holds about 340 steps, so 20 only drops fragments next to a pause)."""
WINDOW_COLUMNS = [
    "cadence_spm", "contact_ms", "contact_left_ms", "contact_right_ms", "ground_contact_balance_left_pct",
    "impact_g", "impact_left_g", "impact_right_g", "impact_asymmetry_pct", "braking_mps", "braking_pct",
    "vertical_oscillation_cm", "pelvic_tilt_deg", "pelvic_drop_deg", "pelvic_drop_left_deg",
    "pelvic_drop_right_deg", "pelvic_rotation_range_deg",
]
HEADLINE_KEYS = {  # registry metric -> its side_medians key (also the drift-window column)
    "cadence_spm": "cadence_spm",
    "ground_contact_ms": "contact_ms",
    "ground_contact_balance_left_pct": "ground_contact_balance_left_pct",
    "impact_g": "impact_g",
    "impact_asymmetry_pct": "impact_asymmetry_pct",
    "braking_mps": "braking_mps",
    "vertical_oscillation_cm": "vertical_oscillation_cm",
    "pelvic_tilt_deg": "pelvic_tilt_deg",
    "pelvic_drop_deg": "pelvic_drop_deg",
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
    """Medians per side, headlines and the derived balance / asymmetry for one set of steps.

    Keys: ``cadence_spm``, ``vertical_oscillation_cm``, ``pelvic_tilt_deg``,
    ``pelvic_tilt_range_deg``, ``pelvic_rotation_range_deg``; per side ``contact_{left,right}_ms``,
    ``impact_{left,right}_g``, ``braking_{left,right}_mps``, ``pelvic_drop_{left,right}_deg`` and
    their headlines ``contact_ms``, ``impact_g``, ``braking_mps``, ``pelvic_drop_deg`` (mean of the
    side medians; pelvic drop only when both sides are known);
    ``ground_contact_balance_left_pct``, ``impact_asymmetry_pct``; with a ``speed_mps`` column
    ``step_length_m`` (median over strides) and ``braking_pct`` (braking per step as a share of
    the belt speed), else None."""
    side = steps["side"].to_numpy()
    left, right = side == "left", side == "right"

    def col(name: str) -> np.ndarray:
        if name not in steps.columns:  # a table without the column: not measured
            return np.full(len(steps), np.nan)
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
        "braking_pct_left": _median(_braking_share(steps)[left]),
        "braking_pct_right": _median(_braking_share(steps)[right]),
    }
    out["contact_ms"] = _both_sides(steps, "contact_ms", out["contact_left_ms"], out["contact_right_ms"])
    out["impact_g"] = _both_sides(steps, "impact_g", out["impact_left_g"], out["impact_right_g"])
    out["braking_mps"] = _both_sides(steps, "braking_mps", out["braking_left_mps"], out["braking_right_mps"])
    out["step_length_m"] = _step_length_m(steps)
    out["braking_pct"] = _braking_pct(steps, out["braking_pct_left"], out["braking_pct_right"])
    del out["braking_pct_left"], out["braking_pct_right"]
    dl, dr = out["pelvic_drop_left_deg"], out["pelvic_drop_right_deg"]
    out["pelvic_drop_deg"] = None if dl is None or dr is None else 0.5 * (dl + dr)
    cl, cr = out["contact_left_ms"], out["contact_right_ms"]
    out["ground_contact_balance_left_pct"] = None if cl is None or cr is None else 100.0 * cl / (cl + cr)
    il, ir = out["impact_left_g"], out["impact_right_g"]
    out["impact_asymmetry_pct"] = None if il is None or ir is None else 100.0 * abs(ir - il) / (0.5 * (il + ir))
    return out


def _step_length_m(steps: pd.DataFrame) -> float | None:
    """Median over strides of belt speed × step time (None when the speed is unknown)."""
    if "speed_mps" not in steps.columns:
        return None
    return stride_median(steps.assign(step_length_m=steps["speed_mps"] * steps["step_time_s"]),
                         "step_length_m")


def _braking_share(steps: pd.DataFrame) -> np.ndarray:
    """Each step's braking as a percentage of its belt speed (NaN where the speed is unknown)."""
    if "speed_mps" not in steps.columns:
        return np.full(len(steps), np.nan)
    speed = steps["speed_mps"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(speed > 0, 100.0 * steps["braking_mps"].to_numpy(float) / speed, np.nan)


def _braking_pct(steps: pd.DataFrame, left: float | None, right: float | None) -> float | None:
    """Speed lost per step as a share of running speed (Garmin's step speed loss %), side-balanced
    like braking itself."""
    if left is not None and right is not None:
        return 0.5 * (left + right)
    return stride_median(steps.assign(braking_pct=_braking_share(steps)), "braking_pct")


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
        if len(inside) < DRIFT_MIN_STEPS:
            continue
        m = side_medians(inside)
        rows.append({"start_s": start, "end_s": end, "steps": len(inside), **{c: m[c] for c in WINDOW_COLUMNS}})
    return pd.DataFrame(rows, columns=columns)


def form_drift(windows: pd.DataFrame) -> dict:
    """Form drift (fatigue): each metric's last drift window minus its first.

    ``{"first_s": [start, end] | None, "last_s": [...] | None, "first": {key: value},
    "last": {key: value}, "change": {key: value}}`` over :data:`HEADLINE_KEYS`; a metric whose first
    or last window has no value, or a run with fewer than two windows, gives ``None``."""
    out: dict = {"first_s": None, "last_s": None, "first": {}, "last": {}, "change": {}}
    if len(windows) < 2:
        out.update({part: {k: None for k in HEADLINE_KEYS} for part in ("first", "last", "change")})
        return out
    first, last = windows.iloc[0], windows.iloc[-1]
    out["first_s"] = [float(first["start_s"]), float(first["end_s"])]
    out["last_s"] = [float(last["start_s"]), float(last["end_s"])]
    for key, col in HEADLINE_KEYS.items():
        a, b = _finite(first[col]), _finite(last[col])
        out["first"][key], out["last"][key] = a, b
        out["change"][key] = None if a is None or b is None else b - a
    return out


def _finite(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def summary_metrics(m: dict, step_length_m: float | None = None) -> dict:
    """SUMMARY.json ``metrics`` from :func:`side_medians` output ``m`` (and the median step length
    when the speed is known), at the decimals of the metric registry. Per-side metrics are
    ``{"left", "right", "mean"}``, the mean being the headline (mean of the side medians)."""
    step_length, kept = step_length_m, _kept

    def sided(key: str, left: str, right: str, mean: str) -> dict:
        return {"left": kept(key, m[left]), "right": kept(key, m[right]), "mean": kept(key, m[mean])}

    vo = m["vertical_oscillation_cm"]
    vertical_ratio = None if step_length is None or vo is None else vo / (step_length * 100.0) * 100.0
    metrics = {
        "cadence_spm": kept("cadence_spm", m["cadence_spm"]),
        "vertical_oscillation_cm": kept("vertical_oscillation_cm", vo),
        "ground_contact_ms": sided("ground_contact_ms", "contact_left_ms", "contact_right_ms", "contact_ms"),
        "ground_contact_balance_left_pct": kept("ground_contact_balance_left_pct",
                                                m["ground_contact_balance_left_pct"]),
        "impact_g": sided("impact_g", "impact_left_g", "impact_right_g", "impact_g"),
        "impact_asymmetry_pct": kept("impact_asymmetry_pct", m["impact_asymmetry_pct"]),
        "braking_mps": sided("braking_mps", "braking_left_mps", "braking_right_mps", "braking_mps"),
        "braking_pct": kept("braking_pct", m["braking_pct"]),
        "pelvic_tilt_deg": {"mean": kept("pelvic_tilt_deg", m["pelvic_tilt_deg"]),
                            "range": kept("pelvic_tilt_deg", m["pelvic_tilt_range_deg"])
                            if m["pelvic_tilt_deg"] is not None else None},
        "pelvic_drop_deg": sided("pelvic_drop_deg", "pelvic_drop_left_deg", "pelvic_drop_right_deg",
                                 "pelvic_drop_deg"),
        "pelvic_rotation_deg": {"range": kept("pelvic_rotation_deg", m["pelvic_rotation_range_deg"])},
        "step_length_m": kept("step_length_m", step_length),
        "vertical_ratio_pct": kept("vertical_ratio_pct", vertical_ratio),
    }
    return metrics


def _kept(key: str, value: float | None) -> float | None:
    return _round(value, METRICS[key].stored_decimals)


STEP_TIME_DECIMALS = 4
"""Decimals of STEPS.csv times (t_ic_s, t_fc_s, step_time_s): 0.1 ms."""


def steps_table(steps: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """STEPS.csv: ``columns`` of the steps table, each metric column at the decimals SUMMARY.json
    keeps for that metric (the registry's), times at :data:`STEP_TIME_DECIMALS`."""
    out = steps[columns].copy()
    for column in columns:
        if out[column].dtype.kind != "f":
            continue
        try:
            decimals = metric(column).stored_decimals
        except KeyError:
            decimals = STEP_TIME_DECIMALS
        out[column] = out[column].round(decimals)
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

    step_length = m["step_length_m"]
    if step_length is None and len(valid):
        notes.append("treadmill speed unknown (--treadmill-speed, or metadata treadmill_speed_mps or treadmill_speed_stages): "
                     "step length, vertical ratio and braking as a share of speed are null")

    metrics = summary_metrics(m, step_length)
    drift_values = form_drift(windows)
    drift = {"window_s": DRIFT_WINDOW_S, "windows": int(len(windows)),
             "min_steps": DRIFT_MIN_STEPS,
             "first_s": drift_values["first_s"], "last_s": drift_values["last_s"],
             **{part: {k: _kept(k, v) for k, v in drift_values[part].items()}
                for part in ("first", "last", "change")}}
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
