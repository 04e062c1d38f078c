"""Physical plausibility of the accelerometer and gyroscope samples, whatever file they came from.

Model: a waist-worn IMU measures gravity plus the body's motion. Standing, walking or running,
the median |specific force| is about 1 g (0.93-1.82 g on every recording the team has, ankle
included), and a pelvis turns at a 99th-percentile rate of 50-330 deg/s while moving. So the
values give their unit away, like the accelerometer's gravity check: a column in m/s² under a
``_g`` name raises the median |acc| to 2.6 g or more even when only one horizontal axis is
wrong; deg/s under ``_rads`` multiplies the gyro by 57 (p99 > 2000 deg/s), rad/s under ``_dps``
divides it by 57 (p99 < 8 "deg/s" while the accelerometer shows movement).
Values beyond any body-worn sensor's range (``ACC_LIMIT_G``, ``GYR_LIMIT_DPS``: a glitch, a
corrupted field) are replaced by linear interpolation between their neighbours when isolated
(a few samples), and refused when common. A gyroscope axis that never changes while the body
moves is dead: the gyroscope is dropped rather than read as "no pelvic motion".
Each repair is a note; each refusal an :class:`~formlab.errors.InputError`.
"""

from __future__ import annotations

import numpy as np

from formlab.errors import InputError
from formlab.frames import G_MPS2

ACC_MEDIAN_G = (0.4, 2.2)  # plausible median |acc| in g (gravity ± motion)
ACC_LIMIT_G = 64.0  # 4× the ±16 g of IMU accelerometers; a running pelvis stays under ~10 g
GYR_LIMIT_DPS = 5000.0  # MEMS gyroscopes stop at ±4000 deg/s
GYR_P99_MAX_DPS = 2000.0  # above this the values are deg/s written as rad/s
GYR_P99_MIN_DPS = 8.0  # below this, while moving, the values are rad/s written as deg/s
MOVING_ACC_STD_G = 0.25  # std of |acc| above this: walking or running, not standing
DEAD_AXIS_STD_DPS = 0.01  # a working gyroscope's noise alone is ~0.05 deg/s
DEAD_MIN_SAMPLES = 200  # judge an axis dead over at least this many samples
MAX_OUTLIERS = 0.001  # at most this share of samples may be repaired (and at least 3)

RAD_TO_DEG = 180.0 / np.pi


def check_accelerometer_unit(acc_g: np.ndarray, unit: str, name: str, path: str, line: int) -> None:
    """Raise when the median |acc| says the column's unit is wrong."""
    median_g = float(np.median(np.linalg.norm(acc_g, axis=1)))
    if unit == "g" and median_g > ACC_MEDIAN_G[1]:
        widest = "xyz"[int(np.argmax(np.subtract(*np.percentile(acc_g, [95, 5], axis=0))))]
        hint = ("the values look like m/s²; use acc_*_mps2" if median_g > 4.0
                else f"more than gravity and motion give: is one axis (acc_{widest}?) in m/s²?")
        raise InputError(path, line, f"{name} says g but the median |acc| is {median_g:.2f} g "
                         f"(≈ {median_g / G_MPS2:.2f} if read as m/s²): {hint}")
    if unit == "mps2" and median_g < ACC_MEDIAN_G[0]:
        raise InputError(path, line, f"{name} says m/s² but the median |acc| is {median_g * G_MPS2:.2f} m/s²: "
                         "the values look like g; use acc_*_g")


def infer_accelerometer_unit(acc: np.ndarray, path: str, line: int) -> str:
    """``'g'`` or ``'mps2'`` for unlabelled accelerometer values, from gravity; raise if neither fits."""
    median = float(np.median(np.linalg.norm(acc, axis=1)))
    if ACC_MEDIAN_G[0] <= median <= ACC_MEDIAN_G[1]:
        return "g"
    if ACC_MEDIAN_G[0] * G_MPS2 <= median <= ACC_MEDIAN_G[1] * G_MPS2:
        return "mps2"
    raise InputError(path, line, f"the accelerometer's median magnitude is {median:.3g}: neither g (≈ 1) nor m/s² "
                     "(≈ 9.8); is gravity removed (use the total acceleration) or a column mapped wrongly?")


def _moving(acc_g: np.ndarray) -> bool:
    return float(np.std(np.linalg.norm(acc_g, axis=1))) > MOVING_ACC_STD_G


def check_gyroscope_unit(gyr_dps: np.ndarray, acc_g: np.ndarray, unit: str, name: str, path: str, line: int) -> None:
    """Raise when the rates' size says the column's unit is wrong (``gyr_dps`` already converted)."""
    p99_dps = float(np.percentile(np.linalg.norm(gyr_dps, axis=1), 99))
    if unit == "rads" and GYR_P99_MAX_DPS < p99_dps <= GYR_LIMIT_DPS * RAD_TO_DEG:  # beyond: outliers, not a unit
        raise InputError(path, line, f"{name} says rad/s but 99 % of |gyro| is under {p99_dps / RAD_TO_DEG:.4g} rad/s "
                         f"({p99_dps:.4g} deg/s), beyond a pelvis: the values look like deg/s; use gyr_*_dps")
    if unit == "dps" and p99_dps < GYR_P99_MIN_DPS and _moving(acc_g) and p99_dps > 0:
        raise InputError(path, line, f"{name} says deg/s but 99 % of |gyro| is under {p99_dps:.3g} deg/s while the "
                         "accelerometer shows walking or running: the values look like rad/s; use gyr_*_rads")


def infer_gyroscope_unit(gyr: np.ndarray, acc_g: np.ndarray) -> str:
    """``'dps'`` or ``'rads'`` for unlabelled gyroscope values, from their size while moving."""
    p99 = float(np.percentile(np.linalg.norm(gyr, axis=1), 99))
    return "rads" if _moving(acc_g) and p99 < 2.5 * GYR_P99_MIN_DPS else "dps"


def repair_outliers(values: np.ndarray, limit: float, names: list[str], unit: str, path: str,
                    first_line: int, notes: list[str]) -> np.ndarray:
    """Replace the few samples beyond ``limit`` (any axis) by interpolation between their
    neighbours, with a note; raise when they are more than ``MAX_OUTLIERS`` of the samples."""
    bad = np.any(np.abs(values) > limit, axis=1)
    n_bad = int(bad.sum())
    if not n_bad:
        return values
    rows = np.flatnonzero(bad)
    first = int(rows[0])
    axis = int(np.argmax(np.abs(values[first])))
    where = f"line {first_line + first}: {names[axis]} = {values[first, axis]:.3g}"
    if n_bad > max(3, MAX_OUTLIERS * values.shape[0]) or n_bad == values.shape[0]:
        raise InputError(path, first_line + first, f"{names[axis]} = {values[first, axis]:.3g} is beyond any "
                         f"body-worn sensor's range (±{limit:g} {unit}), and so are {n_bad - 1} more samples")
    good = np.flatnonzero(~bad)
    fixed = values.copy()
    for k in range(values.shape[1]):
        fixed[rows, k] = np.interp(rows, good, values[good, k])
    notes.append(f"{n_bad} isolated sample(s) beyond ±{limit:g} {unit} ({where}) replaced by interpolation "
                 "between their neighbours")
    return fixed


def dead_gyroscope_axes(gyr_dps: np.ndarray, acc_g: np.ndarray) -> list[str]:
    """Axes whose rate never changes (or, while the body moves, barely does)."""
    if gyr_dps.shape[0] < DEAD_MIN_SAMPLES:
        return []
    std = np.std(gyr_dps, axis=0)
    threshold = DEAD_AXIS_STD_DPS if _moving(acc_g) else 0.0
    return ["xyz"[k] for k in range(3) if std[k] <= threshold]
