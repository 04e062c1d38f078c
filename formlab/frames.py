"""Units and rotations for formlab's frames.

The frames themselves are defined once, in ``docs/body-frame.md``: the sensor frame is the IMU's
own right-handed axes; the body (pelvis) frame is x forward, y left, z up as it is during quiet
standing. Rotation matrices here are *active* and map vectors between frames as
``v_body = R_body_from_sensor @ v_sensor``.

Pelvic angles are Tait-Bryan ``z-y-x`` angles (rotation about up, tilt about left, obliquity
about forward) of the pelvis orientation relative to standing: ``R = Rz(rotation) @ Ry(tilt) @
Rx(obliquity)``. With the right-hand rule this gives the signs of ``docs/body-frame.md``:
positive tilt pitches the forward axis down (anterior tilt), positive obliquity raises the left
side, positive rotation turns the pelvis to the left.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

G_MPS2 = 9.80665
"""Standard gravity, m/s² per g (ISO 80000-3)."""


def g_to_mps2(acc_g: np.ndarray | float) -> np.ndarray | float:
    """Convert specific force from g to m/s²."""
    return np.asarray(acc_g) * G_MPS2


def mps2_to_g(acc_mps2: np.ndarray | float) -> np.ndarray | float:
    """Convert specific force from m/s² to g."""
    return np.asarray(acc_mps2) / G_MPS2


def dps_to_rads(gyr_dps: np.ndarray | float) -> np.ndarray | float:
    """Convert angular rate from degrees per second to radians per second."""
    return np.deg2rad(gyr_dps)


def rads_to_dps(gyr_rads: np.ndarray | float) -> np.ndarray | float:
    """Convert angular rate from radians per second to degrees per second."""
    return np.rad2deg(gyr_rads)


def unit(v: np.ndarray) -> np.ndarray:
    """Return ``v`` scaled to length one (along the last axis); raise on a zero vector."""
    v = np.asarray(v, dtype=float)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    if np.any(norm < 1e-12):
        raise ValueError("cannot normalise a zero-length vector")
    return v / norm


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation matrix ``R`` with ``R @ unit(a) == unit(b)``.

    Rotates about ``a × b`` by the angle between the vectors (Rodrigues). Antiparallel vectors
    are turned by 180° about any axis perpendicular to ``a``.
    """
    a = unit(a)
    b = unit(b)
    axis = np.cross(a, b)
    sin_angle = np.linalg.norm(axis)
    cos_angle = float(np.dot(a, b))
    if sin_angle < 1e-12:
        if cos_angle > 0:
            return np.eye(3)
        helper = np.eye(3)[np.argmin(np.abs(a))]
        perp = unit(np.cross(a, helper))
        return Rotation.from_rotvec(np.pi * perp).as_matrix()
    angle = np.arctan2(sin_angle, cos_angle)
    return Rotation.from_rotvec(axis / sin_angle * angle).as_matrix()


def matrix_from_angles_deg(rotation_deg, tilt_deg, obliquity_deg) -> np.ndarray:
    """Rotation matrix (or stack of them) ``Rz(rotation) @ Ry(tilt) @ Rx(obliquity)``.

    Angles in degrees, scalars or equal-length arrays; see ``docs/body-frame.md``.
    """
    psi, theta, phi = (np.radians(a) for a in np.broadcast_arrays(rotation_deg, tilt_deg, obliquity_deg))
    cz, sz, cy, sy, cx, sx = np.cos(psi), np.sin(psi), np.cos(theta), np.sin(theta), np.cos(phi), np.sin(phi)
    # written out element by element: scipy's Rotation.from_euler took 0.85 s for an hour at 200 Hz
    return np.stack([
        np.stack([cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx], axis=-1),
        np.stack([sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx], axis=-1),
        np.stack([-sy, cy * sx, cy * cx], axis=-1),
    ], axis=-2)


def rotate_by_angles_deg(vectors: np.ndarray, rotation_deg, tilt_deg, obliquity_deg) -> np.ndarray:
    """``matrix_from_angles_deg(...) @ v`` for each row of ``vectors`` (n, 3), without building the
    matrices: Rx, then Ry, then Rz applied in turn (a few arrays instead of n 3×3 matrices)."""
    x, y, z = (np.asarray(vectors, dtype=float)[:, k] for k in range(3))
    phi, theta, psi = np.radians(obliquity_deg), np.radians(tilt_deg), np.radians(rotation_deg)
    c, s = np.cos(phi), np.sin(phi)
    y, z = c * y - s * z, s * y + c * z
    c, s = np.cos(theta), np.sin(theta)
    x, z = c * x + s * z, c * z - s * x
    c, s = np.cos(psi), np.sin(psi)
    x, y = c * x - s * y, s * x + c * y
    return np.column_stack([x, y, z])


def angles_deg_from_matrix(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse of :func:`matrix_from_angles_deg`: ``(rotation_deg, tilt_deg, obliquity_deg)``.

    Accepts one 3×3 matrix or a stack ``(n, 3, 3)``. Tilt lies in [-90°, 90°].
    """
    angles = Rotation.from_matrix(matrix).as_euler("ZYX", degrees=True)
    return angles[..., 0], angles[..., 1], angles[..., 2]


def angles_deg_from_quaternion_wxyz(q_wxyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tait-Bryan z-y-x angles ``(rotation, tilt, obliquity)`` in degrees from quaternions.

    ``q_wxyz`` is ``(4,)`` or ``(n, 4)``, unit, scalar first (the order imufusion uses), the
    rotation ``R = Rz(rotation) Ry(tilt) Rx(obliquity)``. Closed form, vectorised.
    """
    q = np.asarray(q_wxyz, dtype=float)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    sin_tilt = np.clip(2.0 * (w * y - z * x), -1.0, 1.0)
    rotation = np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    tilt = np.arcsin(sin_tilt)
    obliquity = np.arctan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    # at tilt ±90° only rotation ∓ obliquity is defined: put it all in rotation
    locked = np.abs(sin_tilt) > 1.0 - 1e-12
    rotation = np.where(locked, np.arctan2(-2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z)), rotation)
    obliquity = np.where(locked, 0.0, obliquity)
    return np.rad2deg(rotation), np.rad2deg(tilt), np.rad2deg(obliquity)


def quat_multiply_wxyz(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hamilton product ``p ⊗ q`` of scalar-first quaternions (broadcasting over leading axes);
    as rotations: ``q`` first, then ``p``."""
    pw, px, py, pz = np.moveaxis(np.asarray(p, dtype=float), -1, 0)
    qw, qx, qy, qz = np.moveaxis(np.asarray(q, dtype=float), -1, 0)
    return np.stack(
        [
            pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
        ],
        axis=-1,
    )


def quat_rotate_wxyz(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (…, 3) by unit quaternions ``q`` (…, 4), scalar first."""
    q = np.asarray(q, dtype=float)
    v = np.asarray(v, dtype=float)
    u = q[..., 1:]
    t = 2.0 * np.cross(u, v)
    return v + q[..., :1] * t + np.cross(u, t)


def quat_onto_up_wxyz(f: np.ndarray) -> np.ndarray:
    """Unit quaternions (n, 4), scalar first, of the shortest rotations taking each vector of
    ``f`` (n, 3) onto +z (its length kept); the identity where ``f`` is zero or points straight
    down. By the half-angle identity the quaternion is proportional to ``(|f| + f·z, f × z)`` =
    ``(|f| + fz, fy, -fx, 0)``: no axis, arctangent or rotation vector needed."""
    q = np.zeros((f.shape[0], 4))
    q[:, 0] = np.linalg.norm(f, axis=1) + f[:, 2]
    q[:, 1] = f[:, 1]
    q[:, 2] = -f[:, 0]
    size = np.linalg.norm(q, axis=1, keepdims=True)
    return np.where(size > 1e-12, q / np.maximum(size, 1e-12), np.array([1.0, 0.0, 0.0, 0.0]))


def quat_from_rotvec_wxyz(rotvec: np.ndarray) -> np.ndarray:
    """Unit quaternions (…, 4), scalar first, from rotation vectors (…, 3) in radians."""
    rotvec = np.asarray(rotvec, dtype=float)
    angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(half)/angle, with its limit 1/2 at zero
    scale = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return np.concatenate([np.cos(half), rotvec * scale], axis=-1)
