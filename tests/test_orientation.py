"""Pelvic angles from the AHRS against exact synthetic truth (tests/gait_synth.py)."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from formlab.calibration import calibrate, to_body
from formlab.orientation import pelvis_angles
from formlab.segmentation import segment
from formlab.simulate import Runner, mount_from_euler_deg, simulate, treadmill_params
from gait_synth import synth_session

MOUNT = Rotation.from_euler("xyz", [170, 15, 60], degrees=True).as_matrix()


def _angles(session, **kw):
    cal = calibrate(session.recording)
    return pelvis_angles(to_body(session.recording, cal), **kw)


def _running(session, after_s):
    return session.recording.t_s > after_s


@pytest.mark.parametrize("rate_hz", [100.0, 200.0])
def test_angles_match_truth_within_1_degree(rate_hz):
    s = synth_session(plan=(("standing", 5.0), ("running", 40.0)), rate_hz=rate_hz, R_sensor_from_body=MOUNT)
    a = _angles(s)
    assert a.attrs["tilt_available"] and a.attrs["tilt_reference"] == "standing"
    run = _running(s, 7.0)
    truth = s.angles_deg[run]
    tilt_err = a.tilt_deg.to_numpy()[run] - truth[:, 1]
    obl_err = a.obliquity_deg.to_numpy()[run] - truth[:, 2]
    assert abs(tilt_err.mean()) < 0.3 and np.sqrt(np.mean(tilt_err**2)) < 1.0
    assert abs(obl_err.mean()) < 0.3 and np.sqrt(np.mean(obl_err**2)) < 1.0
    # rotation is relative to its own slow trend: compare within-stride peak-to-peak
    stride = int(round(0.72 * rate_hz))
    est = a.rotation_deg.to_numpy()[run][: 20 * stride].reshape(20, stride)
    true = truth[: 20 * stride, 0].reshape(20, stride)
    assert np.ptp(est, axis=1).mean() == pytest.approx(np.ptp(true, axis=1).mean(), abs=1.0)


def test_contralateral_drop_per_side_within_1_degree():
    s = synth_session(plan=(("standing", 5.0), ("running", 40.0)), rate_hz=200.0, R_sensor_from_body=MOUNT)
    a = _angles(s)
    t = s.recording.t_s
    obl_est = a.obliquity_deg.to_numpy()
    obl_true = s.angles_deg[:, 2]
    step_s = 0.36
    drops = {"est": {"left": [], "right": []}, "true": {"left": [], "right": []}}
    for k in range(10, 100):      # steps well inside the running bout
        t0 = 5.0 + k * step_s
        side = "left" if k % 2 == 0 else "right"
        stride0 = 5.0 + (k - k % 2) * step_s
        in_stride = (t >= stride0) & (t < stride0 + 2 * step_s)
        stance = (t >= t0) & (t < t0 + 0.24)
        for key, obl in (("est", obl_est), ("true", obl_true)):
            rel = obl[stance] - obl[in_stride].mean()
            drops[key][side].append(rel.max() if side == "left" else -rel.min())
    for side in ("left", "right"):
        est, true = np.mean(drops["est"][side]), np.mean(drops["true"][side])
        assert est == pytest.approx(true, abs=1.0), side
        assert true > 1.0


def _simulated(params, seed=1):
    res = simulate(params, seed)
    bouts = segment(res.recording)
    body = to_body(res.recording, calibrate(res.recording, bouts))
    run = bouts[bouts.activity == "running"]
    t = res.truth_angles.t_s.to_numpy()
    sel = np.zeros(t.size, dtype=bool)
    for a, b in zip(run.start_s, run.end_s):
        sel |= (t >= a + 2.0) & (t <= b - 1.0)
    return res, body, sel


def test_simulated_running_tilt_and_drop_within_1_degree():
    params = treadmill_params(Runner(tilt_deg=9.0, drop_left_deg=4.0, drop_right_deg=7.0), duration_s=60.0,
                              standing_s=8.0, rate_hz=100.0, R_sensor_from_body=mount_from_euler_deg(120, 15, 170),
                              gyr_bias_dps=(1.5, -2.0, 0.5))
    res, body, sel = _simulated(params)
    a = pelvis_angles(body)
    tilt_err = a.tilt_deg.to_numpy()[sel] - res.truth_angles.tilt_deg.to_numpy()[sel]
    assert abs(tilt_err.mean()) < 1.0
    t = a.t_s.to_numpy()
    obl = a.obliquity_deg.to_numpy()
    truth = res.truth_steps
    est = {"left": [], "right": []}
    true = {"left": [], "right": []}
    for k in range(len(truth) - 2):
        row = truth.iloc[k]
        if row.activity != "running" or np.isnan(row.pelvic_drop_deg) or row.t_ic_s < 12.0:
            continue
        stride = (t >= row.t_ic_s) & (t < truth.t_ic_s.iloc[k + 2])
        stance = (t >= row.t_ic_s) & (t <= row.t_fc_s)
        sign = 1.0 if row.side == "left" else -1.0
        est[row.side].append(np.max(sign * (obl[stance] - obl[stride].mean())))
        true[row.side].append(row.pelvic_drop_deg)
    assert np.mean(true["right"]) > np.mean(true["left"]) + 1.0
    for side in ("left", "right"):
        assert np.mean(est[side]) == pytest.approx(np.mean(true[side]), abs=1.0), side
    # within-stride ranges (measured over the simulator grid: within 0.3° and 0.1°)
    rot_est, rot_true, tilt_est, tilt_true = [], [], [], []
    for k in range(len(truth) - 2):
        row = truth.iloc[k]
        if row.activity != "running" or np.isnan(row.rotation_range_deg) or row.t_ic_s < 12.0:
            continue
        stride = (t >= row.t_ic_s) & (t < truth.t_ic_s.iloc[k + 2])
        rot_est.append(np.ptp(a.rotation_deg.to_numpy()[stride]))
        tilt_est.append(np.ptp(a.tilt_deg.to_numpy()[stride]))
        rot_true.append(row.rotation_range_deg)
        tilt_true.append(row.tilt_range_deg)
    assert np.mean(rot_est) == pytest.approx(np.mean(rot_true), abs=0.5)
    assert np.mean(tilt_est) == pytest.approx(np.mean(tilt_true), abs=0.5)


def test_plain_filter_tilt_is_biased_in_running_and_correction_removes_it():
    params = treadmill_params(Runner(tilt_deg=6.0), duration_s=60.0, standing_s=8.0, rate_hz=104.0,
                              R_sensor_from_body=mount_from_euler_deg(-60, 20, 180))
    res, body, sel = _simulated(params)
    truth = res.truth_angles.tilt_deg.to_numpy()[sel]
    plain = pelvis_angles(body, drift_correction=False).tilt_deg.to_numpy()[sel] - truth
    corrected = pelvis_angles(body).tilt_deg.to_numpy()[sel] - truth
    assert plain.mean() > 1.0          # measured +1.4 to +6.7° over the simulator grid
    assert abs(corrected.mean()) < 0.5  # measured -0.14 to -0.31°


def test_no_standing_flags_tilt_but_keeps_obliquity():
    s = synth_session(plan=(("running", 30.0),), rate_hz=200.0, R_sensor_from_body=MOUNT)
    a = _angles(s)
    assert a.attrs["tilt_available"] is False
    assert a.attrs["tilt_reference"] == "mean running posture"
    run = _running(s, 2.0)
    obl = a.obliquity_deg.to_numpy()[run]
    true = s.angles_deg[run, 2]
    assert np.sqrt(np.mean(((obl - obl.mean()) - (true - true.mean())) ** 2)) < 1.0


def test_gap_restarts_the_filter_without_losing_accuracy():
    s = synth_session(plan=(("standing", 5.0), ("running", 30.0)), rate_hz=200.0, gap=(20.0, 21.0))
    a = _angles(s)
    assert len(a) == s.recording.t_s.size
    after = _running(s, 23.0)
    err = a.obliquity_deg.to_numpy()[after] - s.angles_deg[after, 2]
    assert np.sqrt(np.mean(err**2)) < 1.0


def test_no_gyroscope_gives_none():
    s = synth_session(plan=(("standing", 3.0), ("running", 10.0)), gyro=False)
    assert _angles(s) is None


def _full_rate_quaternions(body, rate_hz):
    """The filter fed every float64 row, one call each, at the full rate."""
    import imufusion

    from formlab import orientation as o

    ahrs = imufusion.Ahrs()
    ahrs.set_settings(imufusion.AhrsSettings(
        sample_rate=rate_hz, convention=imufusion.CONVENTION_NWU, gain=o.GAIN, gyroscope_range=o.GYRO_RANGE_DPS,
        acceleration_rejection=o.ACC_REJECTION_DEG, magnetic_rejection=0.0, rejection_timeout=o.REJECTION_TIMEOUT_S))
    ahrs.skip_startup()
    ahrs.set_quaternion(o._initial_quaternion_wxyz(body.acc_g, rate_hz))
    ahrs.set_sample_period(1.0 / rate_hz)
    out = []
    for g, f in zip(np.asarray(body.gyr_dps, float), np.asarray(body.acc_g, float)):
        ahrs.update_no_magnetometer(g, f)
        out.append(ahrs.get_quaternion())
    return np.array(out)


def test_float32_inputs_give_the_quaternions_of_float64_rows():
    """The filter is fed float32 arrays once (speed); Fusion computes in float32, so at a rate
    that needs no blocks the result must equal feeding it the float64 rows one call at a time."""
    from formlab import orientation as o

    s = synth_session(plan=(("standing", 2.0), ("running", 8.0)), rate_hz=100.0, R_sensor_from_body=MOUNT)
    body = to_body(s.recording, calibrate(s.recording))
    fast = o._run_filter(body.t_s, body.acc_g, body.gyr_dps, 100.0)
    np.testing.assert_array_equal(fast, _full_rate_quaternions(body, 100.0))


def test_block_filter_at_200_hz_follows_the_full_rate_filter(monkeypatch):
    """At 200 Hz the filter runs on means of sample pairs and is interpolated back: the pelvis
    angles (drift-corrected, as steps use them) stay within 0.1° of the full-rate filter's."""
    from formlab import orientation as o

    s = synth_session(plan=(("standing", 2.0), ("running", 8.0)), rate_hz=200.0, R_sensor_from_body=MOUNT)
    body = to_body(s.recording, calibrate(s.recording))
    blocks = o.pelvis_angles(body)
    monkeypatch.setattr(o, "FILTER_RATE_HZ", 1000.0)  # k = 1: every sample
    full = o.pelvis_angles(body)
    columns = ["tilt_deg", "obliquity_deg", "rotation_deg"]
    assert np.abs(blocks[columns].to_numpy() - full[columns].to_numpy()).max() < 0.1


def test_quaternions_interpolated_between_knots():
    """A steady turn about up sampled at knots every 10 ms: samples between them get the angle in
    between, and a knot's sign flip (the same rotation) does not disturb it."""
    from formlab import orientation as o

    knots_t = np.arange(1, 11) * 0.01
    yaw = np.deg2rad(30.0) * knots_t  # 30°/s
    q = np.column_stack([np.cos(yaw / 2), np.zeros(10), np.zeros(10), np.sin(yaw / 2)])
    q[4] *= -1.0
    t = np.arange(0, 101) * 0.001
    out = o._to_samples(t, knots_t, q, 0.0, np.array([1.0, 0.0, 0.0, 0.0]))
    got = np.rad2deg(2 * np.arctan2(out[:, 3], out[:, 0]))
    np.testing.assert_allclose(got, 30.0 * t, atol=1e-6)


def test_drift_correction_makes_the_mean_specific_force_vertical():
    """A filter estimate tilted by 3° about a horizontal axis while the specific force is steady:
    after the correction the Earth-frame force is vertical; a zero force is left uncorrected."""
    from formlab import orientation as o
    from formlab.frames import quat_rotate_wxyz

    n, fs = 4000, 100.0
    tilt = Rotation.from_rotvec(np.deg2rad(3.0) * np.array([0.6, 0.8, 0.0]))
    q_wxyz = np.tile(tilt.as_quat()[[3, 0, 1, 2]], (n, 1))
    acc_g = np.tile([0.0, 0.0, 1.0], (n, 1))
    out = o._drift_corrected(q_wxyz, acc_g, [(0, n)], fs)
    earth = quat_rotate_wxyz(out, acc_g)
    np.testing.assert_allclose(earth, np.tile([0.0, 0.0, 1.0], (n, 1)), atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-12)
    still = o._drift_corrected(q_wxyz, np.zeros((n, 3)), [(0, n)], fs)
    np.testing.assert_allclose(still, q_wxyz, atol=1e-15)
