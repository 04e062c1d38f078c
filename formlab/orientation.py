"""Pelvic angles (tilt, obliquity, rotation) from body-frame gyroscope and accelerometer.

Model: the pelvis orientation relative to an Earth frame whose z is up and whose x is the forward
direction of the standing posture is tracked with x-io's Fusion AHRS (``imufusion``), the revised
Madgwick complementary filter (Madgwick 2014, PhD thesis ch. 7): gyroscope integration plus a
gain-weighted correction towards the measured gravity direction. Inputs are the body-frame
signals of :func:`formlab.calibration.to_body` (gyro in °/s, bias removed; acc in g), so the
filter's quaternion is ``R_earth_from_pelvis`` directly and standing is the identity.

Running is hard on an accelerometer-aided filter: impacts reach 3-5 g and the specific force
points far from vertical for most of the stance. Settings, chosen on the simulator's truth:

* gain ``GAIN`` (low: the accelerometer only corrects slow drift),
* acceleration rejection ``ACC_REJECTION_DEG`` with a ``REJECTION_TIMEOUT_S`` recovery timeout,
* gyroscope range ``GYRO_RANGE_DPS`` (angular-rate recovery on overrange),
* the start-up (high gain) phase skipped, the initial orientation set from the first second.

Drift correction: at steady speed the mean acceleration over whole strides is zero, so the
stride-averaged specific force expressed in the Earth frame must be vertical (the same fact
:mod:`formlab.calibration` uses for ``up``). The filter's remaining tilt error is the rotation
that takes the low-passed (``DRIFT_LOWPASS_HZ``) Earth-frame specific force onto vertical; it is
removed sample by sample. This cancels the bias that the filter's per-sample normalised
accelerometer feedback leaves in running (braking and propulsion are not symmetric). It assumes
steady running in a straight line: speed changes and the centripetal acceleration of a turn tilt
the estimate (about 1° per 0.17 m/s² sustained over the 3 s filter window); the segmentation cuts
turns out of running bouts, so step metrics are not taken there.

Angles are Tait-Bryan z-y-x (``docs/body-frame.md``): tilt is relative to the standing posture
(the body frame is defined by it) when standing was found; otherwise it is relative to the mean
running posture, which the caller must not report as tilt (``attrs['tilt_available']`` is
False). Obliquity is relative to the level pelvis of the standing posture (or the running mean);
steps use it relative to the stride mean. Rotation (heading) has no absolute reference without a
magnetometer: it is reported relative to its own 0.5 Hz low-pass, i.e. the within-stride yaw.

The loop over ``imufusion`` is the only per-sample loop (imufusion 1.3 has no array API); it
runs in C (:func:`_filter_quaternions`), about 0.8 µs per update with float32 inputs. From 200 Hz
up it runs on blocks of samples at ~100 Hz (:func:`_run_filter`), so an hour at 200 Hz costs
about 0.3 s of filter updates on this project's 2-core benchmark machine; the rest is vectorised
numpy quaternion algebra (``formlab.frames``).

Measured on the simulator (``formlab.simulate``, standing then running, random mounts, gyro bias
±3 °/s): the plain filter's mean running tilt is biased by +1.4 to +6.7°; with the drift
correction the bias is -0.1 to -0.3° (rms 0.2-0.4°), obliquity rms 0.1-0.4°, per-side
contralateral drop within 0.25°.
"""

from __future__ import annotations

from itertools import repeat, starmap
from operator import itemgetter

import imufusion
import numpy as np
import pandas as pd
from scipy.spatial.transform import Rotation

from formlab.filters import lowpass
from formlab.frames import (
    angles_deg_from_quaternion_wxyz,
    quat_multiply_wxyz,
    quat_onto_up_wxyz,
    quat_rotate_wxyz,
    unit,
)

GAIN = 0.5
ACC_REJECTION_DEG = 10.0
REJECTION_TIMEOUT_S = 5.0
GYRO_RANGE_DPS = 2000.0
DRIFT_LOWPASS_HZ = 0.3
DRIFT_CHUNK = 65536  # samples per chunk of the drift correction's rotation maths
ROTATION_HIGHPASS_HZ = 0.5
GAP_RESTART_S = 0.25
FILTER_RATE_HZ = 100.0  # the AHRS runs at rate // this blocks of samples (see _run_filter)


def pelvis_angles(body, drift_correction: bool = True) -> pd.DataFrame | None:
    """DataFrame ``[t_s, tilt_deg, obliquity_deg, rotation_deg]`` of the pelvis, or None without
    a gyroscope. ``attrs``: ``tilt_available`` (tilt relative to standing), ``tilt_reference``."""
    if body.gyr_dps is None:
        return None
    t_s = np.asarray(body.t_s, dtype=float)
    acc_g = np.asarray(body.acc_g, dtype=float)
    gyr_dps = np.asarray(body.gyr_dps, dtype=float)
    n = t_s.size
    if n < 2:
        return None
    fs = float(body.sample_rate_hz) if body.sample_rate_hz else 1.0 / float(np.median(np.diff(t_s)))

    segments = _segments(t_s, fs)
    quat_wxyz = np.empty((n, 4))
    for i0, i1 in segments:
        quat_wxyz[i0:i1] = _run_filter(t_s[i0:i1], acc_g[i0:i1], gyr_dps[i0:i1], fs)
    if drift_correction:
        quat_wxyz = _drift_corrected(quat_wxyz, acc_g, segments, fs)

    rotation, tilt, obliquity = angles_deg_from_quaternion_wxyz(quat_wxyz)
    rotation_rel = np.empty(n)
    for i0, i1 in segments:
        yaw = np.unwrap(np.deg2rad(rotation[i0:i1]))
        rotation_rel[i0:i1] = np.rad2deg(yaw - lowpass(yaw, ROTATION_HIGHPASS_HZ, fs))
    out = pd.DataFrame(
        {"t_s": t_s, "tilt_deg": tilt, "obliquity_deg": obliquity, "rotation_deg": rotation_rel}
    )
    out.attrs["tilt_available"] = bool(body.standing_found)
    out.attrs["tilt_reference"] = "standing" if body.standing_found else "mean running posture"
    return out


def _segments(t_s: np.ndarray, fs: float) -> list[tuple[int, int]]:
    """Index ranges without a gap longer than ``GAP_RESTART_S``; the filter restarts after one."""
    cut = np.flatnonzero(np.diff(t_s) > GAP_RESTART_S) + 1
    edges = np.concatenate([[0], cut, [t_s.size]])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _initial_quaternion_wxyz(acc_g: np.ndarray, fs: float) -> np.ndarray:
    """Orientation whose gravity matches the mean specific force of the first second (yaw 0)."""
    first = acc_g[: max(1, int(round(fs)))].mean(axis=0)
    if np.linalg.norm(first) < 1e-6:
        return np.array([1.0, 0.0, 0.0, 0.0])
    up_in_body = unit(first)
    # smallest rotation taking body 'up_in_body' to Earth up, then remove its yaw
    axis = np.cross(up_in_body, [0.0, 0.0, 1.0])
    angle = np.arctan2(np.linalg.norm(axis), up_in_body[2])
    rot = Rotation.from_rotvec(unit(axis) * angle) if np.linalg.norm(axis) > 1e-9 else Rotation.identity()
    yaw, pitch, roll = rot.as_euler("ZYX")
    q = Rotation.from_euler("ZYX", [0.0, pitch, roll]).as_quat()
    return q[[3, 0, 1, 2]]


def _run_filter(t_s, acc_g, gyr_dps, fs) -> np.ndarray:
    """Fusion AHRS over one gap-free segment; returns quaternions (n, 4) scalar first.

    At ``2 × FILTER_RATE_HZ`` and above the filter runs on block means of ``k = rate // FILTER_RATE_HZ``
    samples (the mean rate over the block is the exact rotation rate for a constant rate, and the
    pelvis turns at under 10 Hz) and its orientation at each block end is interpolated to every
    sample (:func:`_to_samples`). On 200 Hz grid sessions this changed per-step tilt and drop by at
    most a few hundredths of a degree (``docs/validation.md``) and halves the cost of the loop.
    """
    ahrs = imufusion.Ahrs()
    k = max(1, int(fs // FILTER_RATE_HZ))
    ahrs.set_settings(
        imufusion.AhrsSettings(
            sample_rate=fs / k,
            convention=imufusion.CONVENTION_NWU,
            gain=GAIN,
            gyroscope_range=GYRO_RANGE_DPS,
            acceleration_rejection=ACC_REJECTION_DEG,
            magnetic_rejection=0.0,
            rejection_timeout=REJECTION_TIMEOUT_S,
        )
    )
    ahrs.skip_startup()
    q_start = _initial_quaternion_wxyz(acc_g, fs)
    ahrs.set_quaternion(q_start)
    nominal = 1.0 / fs
    dt = np.diff(t_s, prepend=t_s[0] - nominal)
    # runs of samples with the same period (within 1 %): short packet losses change it
    breaks = np.flatnonzero(np.abs(np.diff(dt)) > 0.01 * nominal) + 1
    edges = np.concatenate([[0], breaks, [t_s.size]])
    # blocks of k samples within each run (a shorter block at its end); one filter update each
    starts = np.concatenate([np.arange(a, b, k) for a, b in zip(edges[:-1], edges[1:])])
    counts = [len(range(a, b, k)) for a, b in zip(edges[:-1], edges[1:])]
    ends = np.minimum(starts + k, np.repeat(edges[1:], counts))
    # Fusion computes in float32 and its wrapper converted every float64 row on each call; one
    # conversion up front gives the same quaternions bit for bit and halves the cost of a call
    gyr = np.ascontiguousarray(np.add.reduceat(gyr_dps, starts, axis=0) / (ends - starts)[:, None], dtype=np.float32)
    acc = np.ascontiguousarray(np.add.reduceat(acc_g, starts, axis=0) / (ends - starts)[:, None], dtype=np.float32)
    period = dt[np.repeat(edges[:-1], counts)] * (ends - starts)  # each run's own period
    quats = np.empty((starts.size, 4))
    group_edges = np.concatenate([[0], np.flatnonzero(np.diff(period)) + 1, [period.size]])
    for a, b in zip(group_edges[:-1].tolist(), group_edges[1:].tolist()):  # blocks of one period
        ahrs.set_sample_period(float(period[a]))
        quats[a:b] = _filter_quaternions(ahrs, gyr[a:b], acc[a:b])
    if k == 1:
        return quats
    return _to_samples(t_s, t_s[ends - 1], quats, t_s[0] - nominal, q_start)


def _filter_quaternions(ahrs, gyr_dps: np.ndarray, acc_g: np.ndarray) -> np.ndarray:
    """One filter update per row of the float32 arrays; the quaternion (n, 4) after each.

    The per-row loop runs in C: ``zip`` pulls an update (``map``) and then a ``get_quaternion``
    call (``starmap`` over empty argument tuples) for every row, and ``numpy.fromiter`` copies
    each quaternion into one preallocated array. The same calls in the same order as a Python
    ``for`` loop, so the same quaternions bit for bit, without the interpreter's per-row work
    (about a third of the filter's time) and without a list of small arrays (~90 MB an hour).
    """
    updates = map(ahrs.update_no_magnetometer, gyr_dps, acc_g)
    quaternions = starmap(ahrs.get_quaternion, repeat(()))
    after_each = map(itemgetter(1), zip(updates, quaternions))
    return np.fromiter(after_each, dtype=np.dtype((np.float32, 4)), count=gyr_dps.shape[0])


def _to_samples(t_s, t_knots_s, quats_wxyz, t_start_s, q_start_wxyz) -> np.ndarray:
    """Quaternions at the knots (after the start orientation) interpolated to every sample:
    component-wise between neighbours made sign-consistent, then normalised (for rotations a
    few tenths of a degree apart this equals slerp to well below 0.001°)."""
    knots_t = np.concatenate([[t_start_s], t_knots_s])
    knots_q = np.vstack([q_start_wxyz, quats_wxyz])
    flips = np.sign(np.einsum("ij,ij->i", knots_q[1:], knots_q[:-1]))
    knots_q[1:] *= np.cumprod(np.where(flips == 0, 1.0, flips))[:, None]
    out = np.column_stack([np.interp(t_s, knots_t, knots_q[:, c]) for c in range(4)])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _drift_corrected(quat_wxyz, acc_g, segments, fs) -> np.ndarray:
    """Tilt the orientations so the low-passed Earth-frame specific force is vertical.

    Computed column by column and in chunks into preallocated arrays: the same arithmetic, but
    for an hour at 200 Hz the temporaries went from 165 MB to a few MB. The correcting rotation
    is :func:`formlab.frames.quat_onto_up_wxyz` of the low-passed force.
    """
    n = quat_wxyz.shape[0]
    chunks = [(a, min(a + DRIFT_CHUNK, n)) for a in range(0, n, DRIFT_CHUNK)]
    mean_f = np.empty_like(acc_g)
    for a, b in chunks:
        mean_f[a:b] = quat_rotate_wxyz(quat_wxyz[a:b], acc_g[a:b])
    for i0, i1 in segments:
        for k in range(3):
            mean_f[i0:i1, k] = lowpass(mean_f[i0:i1, k], DRIFT_LOWPASS_HZ, fs)
    out = np.empty_like(quat_wxyz)
    for a, b in chunks:
        out[a:b] = quat_multiply_wxyz(quat_onto_up_wxyz(mean_f[a:b]), quat_wxyz[a:b])
    return out
