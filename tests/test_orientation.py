"""Pelvic angles from the AHRS against exact synthetic truth (tests/gait_synth.py)."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from formlab.calibration import calibrate, to_body
from formlab.orientation import pelvis_angles
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


def test_plain_filter_tilt_is_biased_in_running_and_correction_removes_it():
    s = synth_session(plan=(("standing", 5.0), ("running", 40.0)), rate_hz=200.0, R_sensor_from_body=MOUNT)
    run = _running(s, 7.0)
    plain = _angles(s, drift_correction=False).tilt_deg.to_numpy()[run] - s.angles_deg[run, 1]
    corrected = _angles(s).tilt_deg.to_numpy()[run] - s.angles_deg[run, 1]
    assert abs(plain.mean()) > 0.8
    assert abs(corrected.mean()) < 0.3


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
