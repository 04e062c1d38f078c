"""Per-step running metrics (their labels, units and bands are in :mod:`formlab.registry`).

Every step runs from its initial contact (IC) to the next IC of the same bout; a stride is two
steps. Accelerations are rotated from the pelvis frame into a level frame with the pelvis angles
when a gyroscope exists (``docs/body-frame.md``), so that anterior tilt does not leak gravity into
"forward". Models, per metric:

* ``contact_ms``: toe-off minus IC (:mod:`formlab.steps`).
* ``impact_g``: peak vertical specific force in the first ``IMPACT_WINDOW_S`` (50 ms) of contact,
  at most to mid-stance, as sampled: the landing transient lasts 10–20 ms and the force plate's
  impact peak falls in the first 50 ms (Lafortune 1996), so any filter beyond the sensor's own
  anti-alias filter would shave it (a 30 Hz low-pass read 7 % low on the simulator). Taken from
  IC to mid-stance instead, a transient smaller than the active peak was missed: an independent
  simulator's runner whose landing transients differ 7 vs 18 m/s² read 3.1 % impact asymmetry.
* ``loading_rate_gps``: the average loading rate of that window, the force-plate convention
  (average slope between 20 % and 80 % of the impact peak; Ueda et al. 2016 review it), on the
  vertical specific force from the flight level (0 g): 0.6 × peak / (t80 − t20), g/s.
* ``braking_mps``: forward speed lost while braking: ∫ max(−a_forward, 0) dt from IC to
  mid-stance, with a_forward the 20 Hz low-passed level-frame forward acceleration minus its
  mean over the step (steady treadmill speed: no net change over a step). Needs the pelvis
  angles: without them the pelvis' tilt swing (±3°) leaks ±0.13 g of the stance force into
  "forward", and braking on the simulator was off by −31 % to +56 %; it is then not measured.
* ``vertical_oscillation_cm``: peak-to-peak vertical displacement within the step by double
  integration with drift control: in steady running the vertical motion repeats every stride, so
  velocity and position are each their running integral minus its moving mean over one stride
  (Zijlstra & Hof 2003 use the same periodicity constraints; Watari 2016 for accuracy). Per step
  it does not repeat when the two sides differ (the pelvis is higher at one side's contact than
  at the other's); forcing each step to start and end at the same height read −2.9 mm on the
  simulator (per step −13…+8 mm, split by side).
* ``pelvic_tilt_deg``: mean tilt over the step relative to standing; stride ranges of tilt and
  rotation.
* ``pelvic_drop_deg``: contralateral drop (``docs/body-frame.md``), the obliquity change from the
  standing posture to the stance's extreme (left stance: the highest obliquity, right side down;
  right stance: minus the lowest), as the clinical drop is measured from a level standing pelvis
  (Bramah et al. 2018). Without a standing moment the reference is the mean obliquity over the
  stride that starts at the contact; that mean lies between the two sides' extremes, so it pulls
  an asymmetry together (a 3° / 8° runner read 4.5° / 6.4° on an independent simulator), and the
  analysis notes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formlab.frames import G_MPS2, quat_onto_up_wxyz, quat_rotate_wxyz, rotate_by_angles_deg
from formlab.windows import Windows
from formlab.filters import lowpass

STEPS_COLUMNS = [
    "t_ic_s", "t_fc_s", "side", "side_confidence", "step_time_s", "contact_ms", "impact_g",
    "braking_mps", "vertical_oscillation_cm", "pelvic_tilt_deg", "pelvic_drop_deg", "valid",
]
EXTRA_STEP_COLUMNS = ["bout", "activity", "flight", "loading_rate_gps", "pelvic_tilt_range_deg",
                      "pelvic_rotation_range_deg"]
"""More per-step columns in ``Analysis.steps`` (the analysis adds ``speed_mps``, the belt speed)."""


IMPACT_WINDOW_S = 0.05
"""The landing transient is looked for in this much of each contact (module doc)."""

GRAVITY_LOWPASS_HZ = 0.3
"""Without a gyroscope the level frame follows the specific force low-passed here (~3 s)."""


def level_frame_acc_g(acc_body_g: np.ndarray, angles_deg: np.ndarray | None,
                      sample_rate_hz: float) -> np.ndarray:
    """Specific force in the level frame (z up, x the running direction, heading kept).

    With the pelvis angles: ``R(rotation, tilt, obliquity) @ f_body``. Without them (no
    gyroscope) the running tilt is taken from the data: averaged over whole strides, the specific
    force of steady running points straight up (the fact :mod:`formlab.calibration` and the
    orientation drift correction use), so each sample is turned by the shortest rotation that
    takes the ``GRAVITY_LOWPASS_HZ`` low-passed force onto vertical. This removes the mean
    running tilt (up to 15° from standing, which put 26 % of the forward swing into "vertical"
    and read the vertical 3 % short), not its within-stride swing (±1-4°).
    """
    if angles_deg is None:
        return quat_rotate_wxyz(quat_onto_up_wxyz(lowpass(acc_body_g, GRAVITY_LOWPASS_HZ, sample_rate_hz)),
                                acc_body_g)
    return rotate_by_angles_deg(acc_body_g, angles_deg[:, 2], angles_deg[:, 0], angles_deg[:, 1])


def loading_rate_per_s(t_s: np.ndarray, force: np.ndarray, i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
    """Average loading rate of each window ``[i0, i1)``: 0.6 × its peak over the time the signal
    takes from 20 % to 80 % of that peak (first upward crossings, interpolated between samples),
    per second, in the unit of ``force`` (g for the sensor, body weights for a force plate); NaN
    where the rise is not resolved."""
    w = Windows(np.asarray(i0), np.asarray(i1))
    x = w.take(force)
    peak = np.maximum.reduceat(x, w.starts)

    def first_above(fraction: float) -> np.ndarray:
        level = fraction * peak
        k = np.minimum.reduceat(np.where(x >= w.spread(level), w.pos, w.len.max()), w.starts)
        j = np.minimum(w.i0 + np.clip(k, 1, np.maximum(w.len - 1, 1)), force.size - 1)
        a, b = force[j - 1], force[j]
        step = np.clip((level - a) / np.where(b != a, b - a, 1.0), 0.0, 1.0)
        return t_s[j - 1] + step * (t_s[j] - t_s[j - 1])

    rise_s = first_above(0.8) - first_above(0.2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((rise_s > 0) & (peak > 0), 0.6 * peak / rise_s, np.nan)


def vertical_oscillation_cm(t_s: np.ndarray, acc_up_g: np.ndarray, sample_rate_hz: float,
                            t_ic_s: np.ndarray, t_next_s: np.ndarray) -> np.ndarray:
    """Peak-to-peak vertical displacement of each step ``[t_ic_s, t_next_s]`` (module doc).

    Model: the vertical motion is periodic per stride (two steps), not per step: with unequal
    left and right stances the pelvis height at a left contact differs from that at a right one.
    Velocity and position are each the running integral minus its centred moving mean over one
    local stride, which removes the integration constant and any drift that is locally linear (a
    gravity or scale offset, noise random walk) and leaves every stride-periodic component
    unchanged (Zijlstra & Hof 2003 periodicity constraint, applied per stride). The integrals are
    trapezoid rules; twice applied they read an oscillation low by (ω dt)² / 6 (0.5 % at 3 Hz
    and 104 Hz), which the Euler–Maclaurin term −dt² a / 6 of the double integral restores.
    Extremes between samples are not interpolated except at the two contacts, where the peak of
    a step may sit.
    ``t_ic_s``/``t_next_s``: steps in time order; the local stride is the step plus half of each
    neighbouring step (twice the step at a bout's ends).
    """
    dt_s = 1.0 / sample_rate_hz
    step_s = t_next_s - t_ic_s
    linked_next = np.r_[t_next_s[:-1] == t_ic_s[1:], False]
    linked_prev = np.r_[False, linked_next[:-1]]
    next_s = np.where(linked_next, np.r_[step_s[1:], 0.0], step_s)
    prev_s = np.where(linked_prev, np.r_[0.0, step_s[:-1]], step_s)
    stride_s = step_s + 0.5 * (next_s + prev_s)
    half_stride_s = 0.5 * np.interp(t_s, t_ic_s + 0.5 * step_s, stride_s)

    def integral(x: np.ndarray) -> np.ndarray:  # trapezoid rule
        return np.concatenate([[0.0], np.cumsum((x[1:] + x[:-1]) * (0.5 * dt_s))])

    ahead_s = np.minimum(t_s + half_stride_s, t_s[-1])  # the recording's ends: a shorter mean
    behind_s = np.maximum(t_s - half_stride_s, t_s[0])
    span_s = ahead_s - behind_s
    ahead, behind = _grid_position(ahead_s, t_s[0], dt_s, t_s.size), _grid_position(behind_s, t_s[0], dt_s, t_s.size)

    def minus_stride_mean(x: np.ndarray) -> np.ndarray:
        total = integral(x)
        return x - (_at(total, *ahead) - _at(total, *behind)) / span_s

    acc_mps2 = (acc_up_g - 1.0) * G_MPS2
    vel_mps = minus_stride_mean(integral(acc_mps2))
    pos_m = minus_stride_mean(integral(vel_mps)) - dt_s**2 / 6.0 * acc_mps2  # Euler–Maclaurin correction
    w = Windows(np.searchsorted(t_s, t_ic_s), np.searchsorted(t_s, t_next_s))
    ends_m = np.interp(t_ic_s, t_s, pos_m), np.interp(t_next_s, t_s, pos_m)  # the extremes may sit at a contact
    return (np.maximum(w.max(pos_m), np.maximum(*ends_m)) - np.minimum(w.min(pos_m), np.minimum(*ends_m))) * 100.0


def _grid_position(t_s: np.ndarray, t0_s: float, dt_s: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample index below each time on the uniform grid ``t0_s + k dt_s`` and the fraction beyond it."""
    u = np.clip((t_s - t0_s) / dt_s, 0.0, n - 1.0)
    i = np.minimum(u.astype(np.int64), n - 2)
    return i, u - i


def _at(x: np.ndarray, i: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """``x`` linearly interpolated at grid positions from :func:`_grid_position`."""
    return x[i] + frac * (x[i + 1] - x[i])


def measure_steps(t_s: np.ndarray, acc_body_g: np.ndarray, acc_level_g: np.ndarray, sample_rate_hz: float,
                  contacts: pd.DataFrame, side: np.ndarray, side_confidence: np.ndarray,
                  angles_deg: np.ndarray | None, tilt_available: bool, braking_available: bool) -> pd.DataFrame:
    """The steps table (``STEPS_COLUMNS`` + ``EXTRA_STEP_COLUMNS``) from contacts on a uniform grid.

    ``acc_level_g``: :func:`level_frame_acc_g` of ``acc_body_g``; ``angles_deg``: (n, 3) tilt,
    obliquity, rotation on the same grid, or None (no gyroscope). ``braking_available``: the
    forward axis is known and the pelvis angles remove tilt from it (module doc).
    """
    n = len(contacts)
    fs = sample_rate_hz
    steps = pd.DataFrame({
        "t_ic_s": contacts["t_ic_s"].to_numpy(float), "t_fc_s": contacts["t_fc_s"].to_numpy(float),
        "side": side, "side_confidence": np.round(side_confidence, 3), "bout": contacts["bout"].to_numpy(int),
        "activity": contacts["activity"].to_numpy(object) if "activity" in contacts else "running",
        "flight": contacts["flight"].to_numpy(bool) if "flight" in contacts else True,  # a flight follows
    })
    for col in STEPS_COLUMNS[4:-1] + EXTRA_STEP_COLUMNS[3:]:
        steps[col] = np.nan
    steps["valid"] = False
    if n < 2:
        return steps[STEPS_COLUMNS + EXTRA_STEP_COLUMNS]

    t_ic = steps["t_ic_s"].to_numpy()
    t_fc = steps["t_fc_s"].to_numpy()
    bout = steps["bout"].to_numpy()
    same_bout_next = np.r_[bout[1:] == bout[:-1], False]
    step_time = np.where(same_bout_next, np.r_[np.diff(t_ic), np.nan], np.nan)
    steps["step_time_s"] = step_time
    steps["contact_ms"] = (t_fc - t_ic) * 1000.0

    # steps with a following IC in the same bout: the windows every metric uses
    has_next = np.isfinite(step_time)
    k = np.flatnonzero(has_next)
    i_ic = np.searchsorted(t_s, t_ic)
    i_next = np.searchsorted(t_s, np.r_[t_ic[1:], t_ic[-1]])
    t_mid = np.where(np.isfinite(t_fc), 0.5 * (t_ic + t_fc), t_ic)  # no toe-off: no stance metrics
    i_mid = np.maximum(np.searchsorted(t_s, t_mid), i_ic + 1)

    if k.size:
        i_impact = np.minimum(i_ic[k] + max(2, int(round(IMPACT_WINDOW_S * fs))), i_mid[k])
        steps.loc[k, "impact_g"] = Windows(i_ic[k], i_impact).max(acc_body_g[:, 2])
        steps.loc[k, "loading_rate_gps"] = loading_rate_per_s(t_s, acc_body_g[:, 2], i_ic[k], i_impact)
        if braking_available:
            fwd = lowpass(acc_level_g[:, 0], 20.0, fs)
            step_mean = Windows(i_ic[k], i_next[k]).mean(fwd)
            brake_w = Windows(i_ic[k], i_mid[k])
            decel = np.maximum(-(brake_w.take(fwd) - brake_w.spread(step_mean)), 0.0)
            steps.loc[k, "braking_mps"] = np.add.reduceat(decel, brake_w.starts) / fs * G_MPS2
        steps.loc[k, "vertical_oscillation_cm"] = vertical_oscillation_cm(t_s, acc_level_g[:, 2], fs,
                                                                          t_ic[k], t_ic[k + 1])

    if angles_deg is not None:
        _pelvis_per_step(steps, angles_deg, i_ic, i_next, t_s, t_fc, has_next, tilt_available)

    median_step = steps.groupby("bout")["step_time_s"].transform("median")
    steps["valid"] = (
        (steps["activity"] == "running").to_numpy() & has_next & np.isfinite(t_fc) & (step_time >= 0.22) & (step_time <= 0.6)
        & (np.abs(step_time - median_step) <= 0.3 * median_step)
    )
    return steps[STEPS_COLUMNS + EXTRA_STEP_COLUMNS]


def _pelvis_per_step(steps, angles_deg, i_ic, i_next, t_s, t_fc, has_next, tilt_available) -> None:
    tilt, obliquity, rotation = angles_deg[:, 0], angles_deg[:, 1], angles_deg[:, 2]
    k = np.flatnonzero(has_next)
    if k.size == 0:
        return
    if tilt_available:
        steps.loc[k, "pelvic_tilt_deg"] = Windows(i_ic[k], i_next[k]).mean(tilt)
    # strides: this IC to the IC two steps later, in the same bout
    bout = steps["bout"].to_numpy()
    has_stride = np.r_[has_next[:-1] & has_next[1:] & (bout[1:] == bout[:-1]), False]
    s = np.flatnonzero(has_stride)
    if s.size == 0:
        return
    i_stride_end = i_next[s + 1]
    stride = Windows(i_ic[s], i_stride_end)
    steps.loc[s, "pelvic_tilt_range_deg"] = stride.max(tilt) - stride.min(tilt)
    steps.loc[s, "pelvic_rotation_range_deg"] = stride.max(rotation) - stride.min(rotation)
    # obliquity is relative to the standing posture when there was one (module doc)
    reference = np.zeros(s.size) if tilt_available else stride.mean(obliquity)
    i_fc = np.maximum(np.searchsorted(t_s, t_fc[s]), i_ic[s] + 1)
    stance = Windows(i_ic[s], np.minimum(i_fc, i_stride_end))
    side = steps["side"].to_numpy()[s]
    drop_left = stance.max(obliquity) - reference
    drop_right = reference - stance.min(obliquity)
    drop = np.where(side == "left", drop_left, np.where(side == "right", drop_right, np.nan))
    steps.loc[s, "pelvic_drop_deg"] = drop
