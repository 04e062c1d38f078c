"""Mount calibration (sensor frame → body frame) and per-device sensor calibration files.

Mount model (``docs/body-frame.md``): the sensor is rigidly clipped to the pelvis in an unknown
orientation. Three directions are found from the data:

* **up** - the direction of the mean specific force while standing still (gravity; the tilt
  correction of Moe-Nilssen 1998, "A new method for evaluating motor control in gait under
  real-life environmental conditions", Clin Biomech 13:320). The last quiet-standing moment of
  at least ``MIN_STANDING_S`` before the first running bout is preferred (the posture right
  before running). Without one, up is the mean specific force over whole running strides: at
  steady speed the mean acceleration over a stride is zero, so the mean specific force is
  gravity (the same idea as scikit-digital-health / mobgap's gravity-axis detection, which take
  the axis of largest mean acceleration).
* **forward** - from running (walking if there is no running). In stance the vertical force
  rises to a mid-stance peak and falls again while the forward force first brakes, then
  propels, so the forward acceleration is approximately ``-k · d(f_up)/dt`` with ``k > 0``
  (Cavagna 1964; Lee et al. 2010 on trunk accelerometry in running). The covariance of the
  horizontal acceleration with ``d(f_up)/dt`` therefore points backwards; its opposite gives the
  anteroposterior axis *and* its sign. Mediolateral acceleration alternates sign from left to
  right step and cancels in the covariance. This is the AP-by-correlation-with-vertical idea of
  scikit-digital-health and mobgap, made sign-aware with the braking/propulsion pattern.
  Walking at the lower back shows the opposite phase (checked on the seven
  ``lowerback-walking-indip`` recordings against mobgap's sensor axes and the sideways push of
  each stance), so a forward direction taken from walking is reversed.
* **left** = up × forward closes the right-handed frame.

Nothing is assumed about the mount: upside down, rotated, tilted by any angle are all fine.

Gyroscope bias: the mean angular rate while standing; without standing, the bias that makes the
integrated orientation return to itself over whole strides of running (the pelvis repeats its
orientation every stride on a straight course; the plain mean rate would not do, because a coning
pelvis has a non-zero mean body-frame rate), and ``notes`` says so.

Device calibration: ``DeviceCalibration`` (accelerometer bias and scale per axis, gyroscope bias)
is fitted from a six-position routine (each sensor axis held up and down, see
``calibration/README.md``) by least squares on ``|f| = 1 g`` (the standard multi-position
accelerometer calibration, e.g. Skog & Händel 2006; Frosio et al. 2009 without cross-axis
terms). It is stored as TOML named after the recording's ``device`` metadata and applied first.
"""

from __future__ import annotations

import argparse
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage, optimize, signal
from scipy.spatial.transform import Rotation

from formlab.errors import InputError
from formlab.filters import lowpass
from formlab.frames import unit
from formlab.segmentation import segment

MIN_STANDING_S = 2.0
"""Shortest standing moment used for gravity and gyro bias, s."""

MAX_POSTURE_DIFF_DEG = 30.0
"""A still moment whose vertical is further than this from the running (or walking) posture's
mean vertical is not upright standing (sitting, lying, sensor off the body) and is not used."""

DEAD_AXIS_STD_G = 1e-6
"""An accelerometer axis whose readings vary less than this (g) carries no signal."""

MIN_FORWARD_CORRELATION = 0.1
"""Below this correlation between horizontal acceleration and d(f_up)/dt, forward is not found."""

REPO_CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "calibration"

SENSOR_AXES = ("x", "y", "z")


@dataclass
class DeviceCalibration:
    """Per-device sensor errors: ``acc_measured = acc_scale * acc_true + acc_bias_g`` per axis.

    ``gyr_bias_dps`` is the gyroscope reading at rest (None without a gyroscope).
    """

    device: str
    acc_bias_g: np.ndarray
    acc_scale: np.ndarray
    gyr_bias_dps: np.ndarray | None = None
    positions: int = 0
    residual_g: float = 0.0
    source: str = ""

    def correct_acc(self, acc_g: np.ndarray) -> np.ndarray:
        """Remove bias and scale error from raw accelerometer readings (n, 3), g."""
        return (np.asarray(acc_g, dtype=float) - self.acc_bias_g) / self.acc_scale

    def to_toml(self) -> str:
        def vec(v):
            return "[" + ", ".join(f"{x:.6f}" for x in v) + "]"

        lines = [
            "# formlab device calibration (six-position routine, see calibration/README.md)",
            f'device = "{_toml_escape(self.device)}"',
            f'source = "{_toml_escape(self.source)}"',
            f"positions = {self.positions}",
            f"residual_g = {self.residual_g:.6f}",
            f"acc_bias_g = {vec(self.acc_bias_g)}",
            f"acc_scale = {vec(self.acc_scale)}",
        ]
        if self.gyr_bias_dps is not None:
            lines.append(f"gyr_bias_dps = {vec(self.gyr_bias_dps)}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "DeviceCalibration":
        """Read a calibration TOML file; any problem is an ``InputError`` naming the file."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(str(path), None, f"cannot read calibration file: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            raise InputError(str(path), line, f"not valid TOML: {exc}") from None

        def vector(key, required=True):
            if key not in data:
                if required:
                    raise InputError(str(path), None, f"missing key '{key}'")
                return None
            v = data[key]
            if not (isinstance(v, list) and len(v) == 3 and all(isinstance(x, (int, float)) for x in v)):
                raise InputError(str(path), None, f"'{key}' must be a list of three numbers")
            return np.asarray(v, dtype=float)

        scale = vector("acc_scale")
        if np.any(np.abs(scale - 1.0) > 0.5):
            raise InputError(str(path), None, f"acc_scale {scale.tolist()} is implausible (expected near 1)")
        return cls(
            device=str(data.get("device", "")),
            acc_bias_g=vector("acc_bias_g"),
            acc_scale=scale,
            gyr_bias_dps=vector("gyr_bias_dps", required=False),
            positions=int(data.get("positions", 0)),
            residual_g=float(data.get("residual_g", 0.0)),
            source=str(data.get("source", "")),
        )


@dataclass
class Calibration:
    """How the sensor sits on the pelvis, and what was corrected. See the module docstring."""

    standing_found: bool
    standing_span_s: tuple[float, float] | None
    gyro_bias_dps: np.ndarray | None
    gyro_bias_source: str
    up_sensor: np.ndarray
    R_body_from_sensor: np.ndarray
    forward_found: bool
    mount: str
    notes: list[str] = field(default_factory=list)
    device_calibration: DeviceCalibration | None = None
    dead_axes: list[str] = field(default_factory=list)

    @property
    def device_calibration_applied(self) -> bool:
        return self.device_calibration is not None


@dataclass
class BodySignals:
    """Signals in the body frame: ``acc_g`` columns forward, left, up; gyro bias removed."""

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    standing_found: bool
    sample_rate_hz: float
    gaps: list = field(default_factory=list)


def device_file_name(device: str) -> str:
    """File name of a device's calibration: the device name, lowercase, ``[a-z0-9-]`` only."""
    slug = re.sub(r"[^a-z0-9]+", "-", device.strip().lower())[:64].strip("-")  # a file name stays short
    return f"{slug or 'device'}.toml"


def find_device_calibration(rec, calibration_dir: str | Path | None = None) -> DeviceCalibration | None:
    """The calibration file for ``rec.metadata['device']`` from ``calibration_dir`` or the repo's
    ``calibration/`` folder, or None when there is none."""
    device = (rec.metadata or {}).get("device") if getattr(rec, "metadata", None) else None
    if not device:
        return None
    dirs = [Path(calibration_dir)] if calibration_dir else []
    dirs.append(REPO_CALIBRATION_DIR)
    for d in dirs:
        candidate = d / device_file_name(device)
        if candidate.is_file():
            return DeviceCalibration.load(candidate)
    return None


def calibrate(rec, bouts: pd.DataFrame | None = None, calibration_dir: str | Path | None = None) -> Calibration:
    """Find the mount (``R_body_from_sensor``), gyro bias and standing moment of a recording.

    ``bouts`` is the output of :func:`formlab.segmentation.segment` (computed when omitted).
    """
    notes: list[str] = []
    device_cal = find_device_calibration(rec, calibration_dir)
    acc_g = np.asarray(rec.acc_g, dtype=float)
    if device_cal is not None:
        acc_g = device_cal.correct_acc(acc_g)
        notes.append(f"device calibration for '{device_cal.device}' applied")
    gyr_dps = None if rec.gyr_dps is None else np.asarray(rec.gyr_dps, dtype=float)
    t_s = np.asarray(rec.t_s, dtype=float)
    if bouts is None:
        bouts = segment(rec)

    dead = [SENSOR_AXES[k] for k in range(3) if np.std(acc_g[:, k]) < DEAD_AXIS_STD_G]
    if dead:
        notes.append(
            "accelerometer axis " + ", ".join(dead) + " carries no signal (constant): "
            "the sensor measures in a plane only"
        )

    running = bouts[bouts.activity == "running"]
    walking = bouts[bouts.activity == "walking"]
    moving = running if len(running) else walking
    moving_name = "running" if len(running) else "walking"
    moving_sel = _whole_strides_mask(t_s, acc_g, moving) if len(moving) else None
    moving_up = _gravity_direction(rec, acc_g[moving_sel]) if moving_sel is not None and moving_sel.any() else None

    standing = None
    rejected = []
    for span in _standing_candidates(bouts):
        sel = _still_core(t_s, acc_g, gyr_dps, span)
        up = _gravity_direction(rec, acc_g[sel])
        if moving_up is not None and np.degrees(np.arccos(np.clip(up @ moving_up, -1, 1))) > MAX_POSTURE_DIFF_DEG:
            rejected.append(span)
            continue
        standing = span
        break
    if rejected:
        notes.append(
            f"{len(rejected)} still moment(s) (first at {rejected[0][0]:.1f}-{rejected[0][1]:.1f} s) not used as "
            f"standing: their vertical differs from the {moving_name} posture by more than "
            f"{MAX_POSTURE_DIFF_DEG:.0f}° (sitting or lying?)"
        )

    if standing is None and moving_up is not None:
        sel = moving_sel
        up = moving_up
        notes.append(f"no standing moment found: vertical taken from the mean specific force over {moving_name}")
    elif standing is None:
        sel = np.ones(t_s.size, dtype=bool)
        up = _gravity_direction(rec, acc_g)
        notes.append("no standing moment and no walking or running found: vertical is the mean specific force")

    gyro_bias = None
    gyro_bias_source = "none (no gyroscope)"
    if gyr_dps is not None:
        if standing is not None:
            gyro_bias = gyr_dps[sel].mean(axis=0)
            gyro_bias_source = "standing"
        elif len(moving):
            gyro_bias = _closing_gyro_bias(t_s, gyr_dps, _whole_strides_mask(t_s, acc_g, moving, max_bout_s=60.0))
            gyro_bias_source = f"whole strides of {moving_name}"
            notes.append(
                f"gyroscope bias estimated from whole strides of {moving_name} "
                "(no standing moment; a curved course biases it)"
            )
        elif device_cal is not None and device_cal.gyr_bias_dps is not None:
            gyro_bias = device_cal.gyr_bias_dps
            gyro_bias_source = "device calibration file"
        else:
            gyro_bias = np.zeros(3)
            gyro_bias_source = "not estimated (assumed zero)"
            notes.append("gyroscope bias could not be estimated: assumed zero")

    forward, corr = (None, 0.0)
    if len(moving):
        forward, corr = _forward_from_gait(t_s, acc_g, up, moving)
        if forward is not None and moving_name == "walking":
            # Walking loads in the opposite phase: on all 7 lower-back walking recordings with a
            # reference (lowerback-walking-indip) the running rule picked backward, which the
            # mediolateral push (toward the swing side in stance) and mobgap's axes both contradict.
            forward = -forward
    forward_found = forward is not None and corr >= MIN_FORWARD_CORRELATION
    if not forward_found:
        forward = _any_horizontal(up)
        notes.append(
            "forward direction not found (no running or walking with a clear braking/propulsion "
            "pattern): forward and left are arbitrary horizontal axes"
        )
    elif not len(running):
        notes.append("forward direction taken from walking (no running found)")

    left = np.cross(up, forward)
    R = np.vstack([forward, left, up])
    if gyr_dps is None and dead:
        ml = abs(R[1] @ np.eye(3)[[SENSOR_AXES.index(a) for a in dead]].T).max()
        if ml > 0.7:
            notes.append(
                "no gyroscope and no mediolateral accelerometer signal: left/right sides and "
                "pelvic angles cannot be measured"
            )
    elif gyr_dps is None:
        notes.append("no gyroscope: pelvic angles cannot be measured")

    return Calibration(
        standing_found=standing is not None,
        standing_span_s=standing,
        gyro_bias_dps=gyro_bias,
        gyro_bias_source=gyro_bias_source,
        up_sensor=up,
        R_body_from_sensor=R,
        forward_found=forward_found,
        mount=describe_mount(R, forward_found),
        notes=notes,
        device_calibration=device_cal,
        dead_axes=dead,
    )


def to_body(rec, cal: Calibration) -> BodySignals:
    """Rotate the recording into the body frame (and apply device calibration and gyro bias)."""
    acc_g = np.asarray(rec.acc_g, dtype=float)
    if cal.device_calibration is not None:
        acc_g = cal.device_calibration.correct_acc(acc_g)
    acc_body = acc_g @ cal.R_body_from_sensor.T
    gyr_body = None
    if rec.gyr_dps is not None:
        bias = cal.gyro_bias_dps if cal.gyro_bias_dps is not None else np.zeros(3)
        gyr_body = (np.asarray(rec.gyr_dps, dtype=float) - bias) @ cal.R_body_from_sensor.T
    return BodySignals(
        t_s=np.asarray(rec.t_s, dtype=float),
        acc_g=acc_body,
        gyr_dps=gyr_body,
        standing_found=cal.standing_found,
        sample_rate_hz=float(rec.sample_rate_hz) if getattr(rec, "sample_rate_hz", 0) else
        1.0 / float(np.median(np.diff(rec.t_s))),
        gaps=list(getattr(rec, "gaps", []) or []),
    )


def describe_mount(R: np.ndarray, forward_found: bool = True) -> str:
    """Short text: where the sensor axes point on the body, e.g.
    ``"sensor -y → up, +x → forward (upside down; tilted 18° from the nearest axis)"``."""
    # column j of R is sensor axis j in body coordinates
    up_axis = int(np.argmax(np.abs(R[2])))
    up_sign = np.sign(R[2, up_axis])
    parts = [f"sensor {'+' if up_sign > 0 else '-'}{SENSOR_AXES[up_axis]} → up"]
    tilt = math.degrees(math.acos(min(1.0, abs(R[2, up_axis]))))
    if forward_found:
        rest = [k for k in range(3) if k != up_axis]
        fwd_axis = rest[int(np.argmax(np.abs(R[0, rest])))]
        s = np.sign(R[0, fwd_axis])
        parts.append(f"{'+' if s > 0 else '-'}{SENSOR_AXES[fwd_axis]} → forward")
    extra = []
    if up_axis == 2 and up_sign < 0:
        extra.append("upside down")
    extra.append(f"vertical axis tilted {tilt:.0f}°")
    if not forward_found:
        extra.append("forward unknown")
    return ", ".join(parts) + " (" + "; ".join(extra) + ")"


def _gravity_direction(rec, acc_g: np.ndarray) -> np.ndarray:
    """Unit direction of the mean specific force; an ``InputError`` when it is far from 1 g
    (a dead accelerometer, or values in the wrong unit)."""
    mean = acc_g.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if not 0.5 < norm < 3.0:
        raise InputError(
            getattr(rec, "path", None), None,
            f"the accelerometer's mean specific force is {norm:.3f} g, not about 1 g: "
            "a dead sensor or a wrong unit in the column names",
        )
    return mean / norm


def _standing_candidates(bouts: pd.DataFrame) -> list[tuple[float, float]]:
    """Standing bouts ≥ MIN_STANDING_S in order of preference: the last one before the first
    running bout first (the posture right before running), then the others, longest first."""
    st = bouts[(bouts.activity == "standing") & (bouts.end_s - bouts.start_s >= MIN_STANDING_S)]
    if st.empty:
        return []
    spans = [(float(a), float(b)) for a, b in zip(st.start_s, st.end_s)]
    run = bouts[bouts.activity == "running"]
    first = []
    if len(run):
        before = [sp for sp in spans if sp[1] <= run.start_s.min() + 1e-9]
        first = before[-1:]
    rest = sorted((sp for sp in spans if sp not in first), key=lambda sp: sp[0] - sp[1])
    return first + rest


STILL_ANGLE_DEG = 1.5
STILL_GYR_DPS = 3.0


def _still_core(t_s, acc_g, gyr_dps, span) -> np.ndarray:
    """The quiet part of a standing bout: samples whose 0.2 s-averaged specific force lies within
    ``STILL_ANGLE_DEG`` of the bout's median direction and whose rate is within
    ``STILL_GYR_DPS`` of the median rate. People shift and lean into the first step before
    ``|f|`` changes, so the bout's edges are not trusted."""
    i0, i1 = np.searchsorted(t_s, span[0]), np.searchsorted(t_s, span[1], side="right")
    fs = 1.0 / float(np.median(np.diff(t_s)))
    acc = ndimage.uniform_filter1d(acc_g[i0:i1], max(1, int(round(0.2 * fs))), axis=0, mode="nearest")
    direction = acc / np.maximum(np.linalg.norm(acc, axis=1, keepdims=True), 1e-9)
    median_dir = unit(np.median(direction, axis=0))
    quiet = direction @ median_dir > np.cos(np.deg2rad(STILL_ANGLE_DEG))
    if gyr_dps is not None:
        rate = gyr_dps[i0:i1]
        quiet &= np.linalg.norm(rate - np.median(rate, axis=0), axis=1) < STILL_GYR_DPS
    sel = np.zeros(t_s.size, dtype=bool)
    sel[i0:i1] = quiet if quiet.sum() >= max(3, int(0.5 * fs)) else True
    return sel


ALIGN_MAX_S = 120.0


def _step_period_s(mag: np.ndarray, fs: float) -> float | None:
    """Step period from the autocorrelation peak of ``|f|`` between 0.25 and 0.85 s."""
    x = mag - mag.mean()
    if x.size < int(1.0 * fs):
        return None
    ac = signal.correlate(x, x, mode="full", method="fft")[x.size - 1:]
    lo, hi = int(0.25 * fs), min(int(0.85 * fs), x.size - 2)
    if hi <= lo + 2 or ac[0] <= 0:
        return None
    lag = lo + int(np.argmax(ac[lo:hi]))
    return lag / fs


def _whole_strides_mask(t_s, acc_g, bouts, max_bout_s: float | None = None) -> np.ndarray:
    """Samples of the bouts, each cut to a whole number of strides.

    The first and last second of a bout longer than 6 s are dropped (speed changes). The span
    is the lag near ``k`` strides at which the 3-axis acceleration best repeats itself
    (autocorrelation maximum), so it is a whole number of strides to the sample. Bouts longer
    than ``ALIGN_MAX_S`` are used as they are (a partial stride changes their mean by < 0.5 %).
    ``max_bout_s`` caps the length used from each bout.
    """
    fs = 1.0 / float(np.median(np.diff(t_s)))
    sel = np.zeros(t_s.size, dtype=bool)
    for a, b in zip(bouts.start_s, bouts.end_s):
        if b - a > 6.0:
            a, b = a + 1.0, b - 1.0
        if max_bout_s is not None:
            b = min(b, a + max_bout_s)
        i0, i1 = np.searchsorted(t_s, a), np.searchsorted(t_s, b, side="right")
        idx = np.arange(i0, i1)
        if idx.size < 3:
            continue
        if b - a > ALIGN_MAX_S:
            sel[idx] = True
            continue
        period = _step_period_s(np.linalg.norm(acc_g[idx], axis=1), fs)
        if period is not None:
            stride = 2 * period * fs
            k = int(idx.size // stride) - 1
            if k >= 1:
                x = acc_g[idx] - acc_g[idx].mean(axis=0)
                ac = sum(
                    signal.correlate(x[:, j], x[:, j], mode="full", method="fft")[idx.size - 1:] for j in range(3)
                )
                lo = int(k * stride - period * fs / 2)
                hi = min(int(k * stride + period * fs / 2), idx.size - 1)
                if hi > lo:
                    idx = idx[: lo + int(np.argmax(ac[lo:hi]))]
        sel[idx] = True
    return sel


def _closing_gyro_bias(t_s, gyr_dps, sel, iterations: int = 3) -> np.ndarray:
    """Gyro bias ``b`` such that ``Π exp((ω_i - b) dt_i)`` over each selected span is identity.

    Each contiguous run of ``sel`` must span whole strides. The product of the per-sample
    rotations is formed by pairwise reduction (log2(n) vectorised steps); Newton steps update
    ``b`` by the remaining rotation vector divided by the total duration.
    """
    edges = np.diff(np.concatenate([[0], sel.astype(np.int8), [0]]))
    spans = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
    bias = np.zeros(3)
    total_s = sum(t_s[i1 - 1] - t_s[i0] for i0, i1 in spans)
    if total_s <= 0:
        return bias
    for _ in range(iterations):
        residual = np.zeros(3)
        for i0, i1 in spans:
            dt = np.diff(t_s[i0:i1])
            steps = Rotation.from_rotvec(np.deg2rad(gyr_dps[i0:i1 - 1] - bias) * dt[:, None])
            residual += np.rad2deg(_compose(steps).as_rotvec())
        bias = bias + residual / total_s
    return bias


def _compose(steps: Rotation) -> Rotation:
    """``steps[0] * steps[1] * ... * steps[-1]`` by pairwise reduction."""
    while len(steps) > 1:
        n_even = len(steps) - len(steps) % 2
        paired = steps[0:n_even:2] * steps[1:n_even:2]
        steps = Rotation.concatenate([paired, steps[n_even:]]) if n_even < len(steps) else paired
    return steps[0]


FORWARD_LOWPASS_HZ = 10.0
"""Low-pass applied before the forward search (keeps the stance pattern, drops wobble)."""


def _forward_from_gait(t_s, acc_g, up, bouts) -> tuple[np.ndarray | None, float]:
    """Forward axis and sign from ``cov(horizontal acc, d f_up / dt)``, bout by bout.

    Both signals are low-passed at ``FORWARD_LOWPASS_HZ``. Each bout gives a unit forward
    vector (sensor frame, perpendicular to ``up``) and the correlation that supports it; bouts
    with a correlation below ``MIN_FORWARD_CORRELATION`` (turning, irregular walking) are left
    out and the others are averaged with weights correlation² × duration. Returns the forward
    vector and the weighted mean correlation, or ``(None, 0)``.

    A narrow band around the step frequency was tried and rejected: at the fundamental the
    forward and vertical patterns are not in quadrature, and the simulator grid's forward error
    rose from ≤ 4° to > 60°.
    """
    fs = 1.0 / float(np.median(np.diff(t_s)))
    total = np.zeros(3)
    weights = 0.0
    weighted_corr = 0.0
    for s, e in zip(bouts.start_s, bouts.end_s):
        i0, i1 = np.searchsorted(t_s, s), np.searchsorted(t_s, e, side="right")
        if i1 - i0 < 30:
            continue
        seg = lowpass(acc_g[i0:i1], FORWARD_LOWPASS_HZ, fs)
        f_up = seg @ up
        horiz = seg - np.outer(f_up, up)
        horiz = horiz - horiz.mean(axis=0)
        d_up = np.gradient(f_up, t_s[i0:i1])
        d_up = d_up - d_up.mean()
        cov = horiz.T @ d_up
        scale = math.sqrt(float((horiz**2).sum()) * float((d_up**2).sum()))
        if scale == 0.0 or np.linalg.norm(cov) == 0.0:
            continue
        corr = float(np.linalg.norm(cov)) / scale
        if corr < MIN_FORWARD_CORRELATION:
            continue
        weight = corr**2 * (e - s)
        total += weight * (-cov / np.linalg.norm(cov))
        weights += weight
        weighted_corr += weight * corr
    if weights == 0.0 or np.linalg.norm(total) < 1e-9:
        return None, 0.0
    return unit(total - (total @ up) * up), weighted_corr / weights


def _any_horizontal(up: np.ndarray) -> np.ndarray:
    """The sensor axis most perpendicular to ``up``, projected onto the horizontal plane."""
    axis = np.eye(3)[int(np.argmin(np.abs(up)))]
    return unit(axis - (axis @ up) * up)


# ---------------------------------------------------------------- six-position device calibration


SIX_STILL_WINDOW_S = 1.0
SIX_STILL_STD_G = 0.01
SIX_MIN_HOLD_S = 2.0


def fit_six_position(rec) -> DeviceCalibration:
    """Fit accelerometer bias and scale per axis (and gyro bias) from a six-position recording.

    The sensor is held still for a few seconds with each axis pointing up and down in turn.
    Static holds are found as runs of at least ``SIX_MIN_HOLD_S`` where every accelerometer axis
    varies by less than ``SIX_STILL_STD_G`` over a 1 s window. Each hold's mean reading ``m`` is
    modelled as ``m = s ⊙ u + b`` with ``|u| = 1 g``; ``s`` and ``b`` start from the per-axis
    ±1 g means and are refined by least squares on ``|(m - b) / s| = 1`` over all holds (robust
    to holds that are a few degrees off-axis).
    """
    path = getattr(rec, "path", None) or "<recording>"
    t_s = np.asarray(rec.t_s, dtype=float)
    acc_g = np.asarray(rec.acc_g, dtype=float)
    if t_s.size < 10:
        raise InputError(path, None, "too short for a six-position calibration")
    fs = 1.0 / float(np.median(np.diff(t_s)))
    win = max(3, int(round(SIX_STILL_WINDOW_S * fs)))
    m = ndimage.uniform_filter1d(acc_g, win, axis=0, mode="nearest")
    v = ndimage.uniform_filter1d(acc_g**2, win, axis=0, mode="nearest") - m**2
    still = np.all(np.sqrt(np.clip(v, 0, None)) < SIX_STILL_STD_G, axis=1)
    if rec.gyr_dps is not None:
        gm = ndimage.uniform_filter1d(rec.gyr_dps, win, axis=0, mode="nearest")
        gv = ndimage.uniform_filter1d(np.asarray(rec.gyr_dps) ** 2, win, axis=0, mode="nearest") - gm**2
        still &= np.sqrt(np.clip(gv, 0, None).sum(axis=1)) < 3.0
    edges = np.diff(np.concatenate([[0], still.astype(np.int8), [0]]))
    on, off = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    holds, hold_idx = [], []
    for i0, i1 in zip(on, off):
        if (i1 - i0) / fs >= SIX_MIN_HOLD_S:
            core = np.arange(i0 + win // 2, i1 - win // 2)
            if core.size:
                holds.append(acc_g[core].mean(axis=0))
                hold_idx.append(core)
    holds = np.asarray(holds).reshape(-1, 3)
    found = set()
    for h in holds:
        k = int(np.argmax(np.abs(h)))
        if abs(h[k]) > 0.8 * np.linalg.norm(h):
            found.add((k, int(np.sign(h[k]))))
    missing = [f"{'+' if s > 0 else '-'}{SENSOR_AXES[k]}" for k in range(3) for s in (1, -1) if (k, s) not in found]
    if missing:
        raise InputError(
            path, None,
            f"six-position calibration found {len(holds)} still holds but no hold with "
            f"{', '.join(missing)} up (hold each axis up and down for at least {SIX_MIN_HOLD_S:.0f} s)",
        )
    up_mean = np.zeros(3)
    down_mean = np.zeros(3)
    for k in range(3):
        dom = np.argmax(np.abs(holds), axis=1) == k
        up_mean[k] = holds[dom & (holds[:, k] > 0), k].mean()
        down_mean[k] = holds[dom & (holds[:, k] < 0), k].mean()
    scale0 = (up_mean - down_mean) / 2.0
    bias0 = (up_mean + down_mean) / 2.0

    def residual(p):
        return np.linalg.norm((holds - p[:3]) / p[3:], axis=1) - 1.0

    fit = optimize.least_squares(residual, np.concatenate([bias0, scale0]), method="lm")
    bias, scale = fit.x[:3], fit.x[3:]
    gyr_bias = None
    if rec.gyr_dps is not None:
        gyr_bias = np.asarray(rec.gyr_dps)[np.concatenate(hold_idx)].mean(axis=0)
    return DeviceCalibration(
        device=(getattr(rec, "metadata", None) or {}).get("device", ""),
        acc_bias_g=bias,
        acc_scale=scale,
        gyr_bias_dps=gyr_bias,
        positions=len(holds),
        residual_g=float(np.sqrt(np.mean(fit.fun**2))),
        source=str(Path(path).name),
    )


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``formlab calibrate``."""
    parser.add_argument("recording", help="recording CSV of the six-position routine (calibration/README.md)")
    parser.add_argument(
        "--out",
        help="calibration TOML to write (default: calibration/<device>.toml in the repository)",
    )


def run_calibrate(args: argparse.Namespace) -> int:
    """``formlab calibrate REC.csv [--out FILE]``: fit and write a device calibration file."""
    from formlab.recording import read_recording

    rec = read_recording(args.recording)
    cal = fit_six_position(rec)
    if args.out:
        out = Path(args.out)
    else:
        if not cal.device:
            raise InputError(args.recording, None, "no '# device:' metadata line: give --out FILE")
        out = REPO_CALIBRATION_DIR / device_file_name(cal.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    cal.save(out)
    print(
        f"{out}: {cal.positions} holds, residual {cal.residual_g * 1000:.1f} mg, "
        f"bias {np.round(cal.acc_bias_g, 4).tolist()} g, scale {np.round(cal.acc_scale, 4).tolist()}"
    )
    return 0


def _toml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
