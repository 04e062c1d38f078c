"""Units and rotation helpers, including the angle sign conventions of docs/body-frame.md."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from formlab.frames import (
    G_MPS2,
    angles_deg_from_matrix,
    angles_deg_from_quaternion_wxyz,
    dps_to_rads,
    g_to_mps2,
    matrix_from_angles_deg,
    mps2_to_g,
    quat_from_rotvec_wxyz,
    quat_multiply_wxyz,
    quat_rotate_wxyz,
    rads_to_dps,
    rotation_between,
)

finite = st.floats(-1.0, 1.0, allow_nan=False)
vectors = st.tuples(finite, finite, finite).filter(lambda v: np.linalg.norm(v) > 1e-3)


def test_unit_conversions():
    assert G_MPS2 == 9.80665
    assert g_to_mps2(2.0) == pytest.approx(19.6133)
    assert mps2_to_g(9.80665) == pytest.approx(1.0)
    assert dps_to_rads(180.0) == pytest.approx(np.pi)
    assert rads_to_dps(np.pi / 2) == pytest.approx(90.0)


@given(vectors, vectors)
def test_rotation_between_maps_a_onto_b(a, b):
    R = rotation_between(np.array(a), np.array(b))
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(R) == pytest.approx(1.0)
    ua, ub = np.array(a) / np.linalg.norm(a), np.array(b) / np.linalg.norm(b)
    assert np.allclose(R @ ua, ub, atol=1e-9)


def test_rotation_between_antiparallel():
    R = rotation_between(np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, -2.0]))
    assert np.allclose(R @ [0, 0, 1], [0, 0, -1])


def test_rotation_between_rejects_zero():
    with pytest.raises(ValueError):
        rotation_between(np.zeros(3), np.ones(3))


def test_angle_signs_follow_body_frame_doc():
    # anterior tilt: the forward axis pitches down
    assert (matrix_from_angles_deg(0, 10, 0) @ [1, 0, 0])[2] < -0.17
    # positive obliquity: the left side rises
    assert (matrix_from_angles_deg(0, 0, 10) @ [0, 1, 0])[2] > 0.17
    # positive rotation: the pelvis turns to the left
    assert (matrix_from_angles_deg(10, 0, 0) @ [1, 0, 0])[1] > 0.17


def test_z_y_x_order():
    R = matrix_from_angles_deg(30, 20, 10)
    c, s = np.cos, np.sin
    a, b, g = np.deg2rad([30, 20, 10])
    Rz = np.array([[c(a), -s(a), 0], [s(a), c(a), 0], [0, 0, 1]])
    Ry = np.array([[c(b), 0, s(b)], [0, 1, 0], [-s(b), 0, c(b)]])
    Rx = np.array([[1, 0, 0], [0, c(g), -s(g)], [0, s(g), c(g)]])
    assert np.allclose(R, Rz @ Ry @ Rx)


@settings(max_examples=50)
@given(st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179))
def test_angles_round_trip(rot, tilt, obl):
    R = matrix_from_angles_deg(rot, tilt, obl)
    r, t, o = angles_deg_from_matrix(R)
    assert (r, t, o) == pytest.approx((rot, tilt, obl), abs=1e-6)


def test_quaternion_angles_scalar_first():
    half = np.deg2rad(15.0) / 2  # 15° about up
    r, t, o = angles_deg_from_quaternion_wxyz(np.array([[np.cos(half), 0, 0, np.sin(half)]]))
    assert r[0] == pytest.approx(15.0) and t[0] == pytest.approx(0.0) and o[0] == pytest.approx(0.0)


quats = st.tuples(*[st.floats(-1, 1)] * 4).filter(lambda q: np.linalg.norm(q) > 0.1)


@settings(max_examples=50)
@given(quats, quats, st.tuples(finite, finite, finite))
def test_quaternion_helpers_agree_with_scipy(p, q, v):
    p = np.array(p) / np.linalg.norm(p)
    q = np.array(q) / np.linalg.norm(q)
    sp = Rotation.from_quat(p[[1, 2, 3, 0]])
    sq = Rotation.from_quat(q[[1, 2, 3, 0]])
    prod = quat_multiply_wxyz(p, q)
    assert np.allclose((sp * sq).as_matrix(), Rotation.from_quat(prod[[1, 2, 3, 0]]).as_matrix(), atol=1e-9)
    assert np.allclose(quat_rotate_wxyz(q, np.array(v)), sq.apply(v), atol=1e-9)
    rotvec = sq.as_rotvec()
    back = quat_from_rotvec_wxyz(rotvec)
    assert np.allclose(Rotation.from_quat(back[[1, 2, 3, 0]]).as_matrix(), sq.as_matrix(), atol=1e-9)
    r, t, o = angles_deg_from_quaternion_wxyz(q)
    assert np.allclose(matrix_from_angles_deg(r, t, o), sq.as_matrix(), atol=1e-6)


def test_quat_from_zero_rotvec_is_identity():
    assert np.allclose(quat_from_rotvec_wxyz(np.zeros((2, 3))), [[1, 0, 0, 0], [1, 0, 0, 0]])


def test_rotating_by_angles_equals_the_matrix_product():
    from formlab.frames import matrix_from_angles_deg, rotate_by_angles_deg

    rng = np.random.default_rng(7)
    v = rng.normal(size=(50, 3))
    rot, tilt, obl = rng.uniform(-180, 180, 50), rng.uniform(-80, 80, 50), rng.uniform(-180, 180, 50)
    expected = np.einsum("nij,nj->ni", matrix_from_angles_deg(rot, tilt, obl), v)
    np.testing.assert_allclose(rotate_by_angles_deg(v, rot, tilt, obl), expected, atol=1e-12)
