"""A simulated six-position calibration routine, to try ``formlab calibrate`` and to test it.

Model: the sensor rests on a table with each axis up and then down in turn (a few degrees off
vertical, as a hand-held box edge leaves it), each hold ``hold_s`` long with 2 mg of white noise,
then is moved for ``move_s`` (0.3 g noise). The true specific force ``u`` (|u| = 1 g) is read as
``scale * u + bias`` per axis (the model :func:`formlab.calibration.fit_six_position` fits); the
gyroscope reads a constant bias plus 0.02 deg/s of noise.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from formlab.recording import Recording

ALL_POSITIONS = ((0, 1), (0, -1), (1, 1), (1, -1), (2, 1), (2, -1))
"""(axis index, sign) of the axis pointing up in each hold: +x, -x, +y, -y, +z, -z."""


def six_position_recording(acc_bias_g, acc_scale, gyr_bias_dps=(0.4, -0.3, 0.2), rate_hz: float = 100.0,
                           hold_s: float = 4.0, move_s: float = 1.5, off_axis_deg: float = 3.0, seed: int = 1,
                           positions=ALL_POSITIONS, device: str = "Test IMU #7", path: str = "six.csv") -> Recording:
    """A six-position recording with known accelerometer bias (g) and scale and gyro bias (deg/s)."""
    rng = np.random.default_rng(seed)
    chunks = []
    for axis, sign in positions:
        u = np.zeros(3)
        u[axis] = sign
        u = Rotation.from_rotvec(rng.normal(size=3) * np.deg2rad(off_axis_deg) / np.sqrt(3)).apply(u)
        n_hold, n_move = int(hold_s * rate_hz), int(move_s * rate_hz)
        chunks.append(np.tile(u, (n_hold, 1)) + rng.normal(0, 0.002, (n_hold, 3)))
        chunks.append(np.tile(u, (n_move, 1)) + rng.normal(0, 0.3, (n_move, 3)))
    acc_g = np.vstack(chunks) * np.asarray(acc_scale, float) + np.asarray(acc_bias_g, float)
    t_s = np.arange(acc_g.shape[0]) / rate_hz
    gyr_dps = np.tile(np.asarray(gyr_bias_dps, float), (t_s.size, 1)) + rng.normal(0, 0.02, (t_s.size, 3))
    return Recording(t_s=t_s, acc_g=acc_g, gyr_dps=gyr_dps, metadata={"device": device}, sample_rate_hz=rate_hz,
                     path=path)
