"""Mount calibration (any sensor orientation → body frame) and the six-position device routine."""

import argparse
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from formlab.calibration import (
    DeviceCalibration,
    add_calibrate_arguments,
    calibrate,
    device_file_name,
    fit_six_position,
    run_calibrate,
    to_body,
)
from formlab.errors import InputError
from formlab.recording import Recording, read_recording, write_recording
from formlab.segmentation import segment
from formlab.six_position_sim import ALL_POSITIONS, six_position_recording
from formlab.simulate import random_grid_params, simulate
from gait_synth import synth_session

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared real data not available")

PLAN = (("standing", 5.0), ("running", 20.0))


def _angle_deg(R_a, R_b):
    return float(np.rad2deg(Rotation.from_matrix(R_a @ R_b.T).magnitude()))


@settings(max_examples=25, deadline=None)
@given(quat=st.tuples(*[st.floats(-1, 1)] * 4).filter(lambda q: np.linalg.norm(q) > 0.1))
def test_any_sensor_rotation_gives_the_same_body_signals(quat):
    R_sb = Rotation.from_quat(quat).as_matrix()
    s = synth_session(plan=PLAN, rate_hz=100.0, R_sensor_from_body=R_sb)
    cal = calibrate(s.recording)
    assert cal.standing_found and cal.forward_found
    assert _angle_deg(cal.R_body_from_sensor, R_sb.T) < 1.0
    body = to_body(s.recording, cal)
    err = body.acc_g - s.acc_body_g
    assert np.sqrt(np.mean(err**2)) < 0.02
    assert np.sqrt(np.mean((body.gyr_dps - s.gyr_body_dps) ** 2)) < 0.5


@pytest.mark.parametrize(
    "euler_deg, up_text, fwd_text",
    [
        ((180, 0, 0), "sensor -z → up", "+x → forward"),      # upside down, x still forward
        ((180, 0, 90), "sensor -z → up", "+y → forward"),     # upside down and turned
        ((0, 0, 0), "sensor +z → up", "+x → forward"),
        ((20, 0, 0), "sensor +z → up", "+x → forward"),       # tilted 20°
    ],
)
def test_mount_description(euler_deg, up_text, fwd_text):
    R_sb = Rotation.from_euler("xyz", euler_deg, degrees=True).as_matrix()
    s = synth_session(plan=PLAN, rate_hz=200.0, R_sensor_from_body=R_sb)
    cal = calibrate(s.recording)
    assert cal.mount.startswith(up_text) and fwd_text in cal.mount
    assert ("upside down" in cal.mount) == (euler_deg[0] == 180)
    assert _angle_deg(cal.R_body_from_sensor, R_sb.T) < 1.0
    assert np.allclose(cal.up_sensor, R_sb @ [0, 0, 1], atol=0.01)


def test_standing_gives_gyro_bias():
    s = synth_session(plan=PLAN, rate_hz=200.0)
    s.recording.gyr_dps += np.array([1.5, -2.0, 0.7])
    cal = calibrate(s.recording)
    assert cal.gyro_bias_source == "standing"
    assert np.allclose(cal.gyro_bias_dps, [1.5, -2.0, 0.7], atol=0.05)
    assert cal.standing_span_s[1] == pytest.approx(5.0, abs=0.2)


def test_no_standing_takes_up_from_running():
    R_sb = Rotation.from_euler("xyz", [160, -25, 70], degrees=True).as_matrix()
    s = synth_session(plan=(("running", 12.0),), rate_hz=200.0, R_sensor_from_body=R_sb)
    s.recording.gyr_dps += np.array([0.8, 0.0, -1.2])
    cal = calibrate(s.recording)
    assert not cal.standing_found and cal.standing_span_s is None
    assert cal.forward_found
    true_up = R_sb @ [0, 0, 1]
    assert np.degrees(np.arccos(np.clip(cal.up_sensor @ true_up, -1, 1))) < 1.0
    assert cal.gyro_bias_source == "whole strides of running"
    assert np.allclose(cal.gyro_bias_dps, [0.8, 0.0, -1.2], atol=0.1)
    assert any("no standing moment" in n for n in cal.notes)


def test_standing_before_running_is_preferred():
    s = synth_session(plan=(("standing", 3.0), ("running", 10.0), ("standing", 8.0)), rate_hz=100.0)
    cal = calibrate(s.recording)
    assert cal.standing_span_s[0] == pytest.approx(0.0) and cal.standing_span_s[1] < 3.5


def test_dead_axis_without_gyroscope_is_noted():
    s = synth_session(plan=(("running", 10.0),), rate_hz=500.0, gyro=False)
    s.recording.acc_g[:, 1] = 0.0   # no mediolateral axis, as in the treadmill-sacrum-grf files
    cal = calibrate(s.recording)
    assert cal.dead_axes == ["y"]
    assert any("axis y carries no signal" in n for n in cal.notes)
    assert any("left/right sides and pelvic angles cannot be measured" in n for n in cal.notes)
    assert cal.forward_found and cal.mount.startswith("sensor +z → up, +x → forward")


def test_walking_only_finds_forward_with_a_note():
    s = synth_session(plan=(("standing", 3.0), ("walking", 20.0)), rate_hz=100.0)
    cal = calibrate(s.recording)
    assert any("taken from walking" in n for n in cal.notes)


def test_standing_only_has_no_forward():
    s = synth_session(plan=(("standing", 10.0),), rate_hz=100.0)
    cal = calibrate(s.recording)
    assert cal.standing_found and not cal.forward_found
    assert "forward unknown" in cal.mount
    assert np.allclose(cal.R_body_from_sensor @ cal.R_body_from_sensor.T, np.eye(3), atol=1e-9)


@needs_data
def test_treadmill_trial_mount_and_notes():
    rec = read_recording(DATA / "treadmill-sacrum-grf" / "trial04.csv")
    cal = calibrate(rec, segment(rec))
    assert not cal.standing_found and cal.forward_found
    assert cal.dead_axes == ["y"]
    # vertical sensor axis z, anteroposterior x, as the data set documents
    assert cal.mount.startswith("sensor +z → up, +x → forward")


@needs_data
@pytest.mark.parametrize("name", ["HA001_Test11_Trial1", "HA001_Test5_Trial1", "MS001_Test11_Trial1"])
def test_real_walking_mount_matches_mobilise_d_axes(name):
    # McRoberts at L5 as used by Mobilise-D/mobgap: x = inferior→superior (up),
    # z = posterior→anterior (forward), so y points to the right
    rec = read_recording(DATA / "lowerback-walking-indip" / f"{name}.csv")
    cal = calibrate(rec)
    assert cal.forward_found
    R = cal.R_body_from_sensor
    assert R[2, 0] > 0.9 and R[0, 2] > 0.9 and R[1, 1] < -0.9


# ------------------------------------------------------------------ six-position device routine


def _six_position_recording(bias, scale, positions=ALL_POSITIONS):
    return six_position_recording(bias, scale, positions=positions)


def test_six_position_fit_recovers_bias_and_scale():
    bias = np.array([0.021, -0.034, 0.012])
    scale = np.array([1.013, 0.987, 1.006])
    cal = fit_six_position(_six_position_recording(bias, scale))
    assert np.allclose(cal.acc_bias_g, bias, atol=1e-3)
    assert np.allclose(cal.acc_scale, scale, atol=1e-3)
    assert np.allclose(cal.gyr_bias_dps, [0.4, -0.3, 0.2], atol=0.01)
    assert cal.positions == 6 and cal.residual_g < 2e-3
    assert cal.device == "Test IMU #7"


def test_six_position_missing_position_is_one_line_error():
    rec = _six_position_recording(np.zeros(3), np.ones(3), positions=[(0, 1), (0, -1), (1, 1), (2, 1), (2, -1)])
    with pytest.raises(InputError) as info:
        fit_six_position(rec)
    msg = str(info.value)
    assert msg.startswith("six.csv: ") and "-y up" in msg and "\n" not in msg


def test_device_file_round_trip_and_applied_in_calibration(tmp_path):
    bias = np.array([0.05, -0.04, 0.03])
    scale = np.array([1.02, 0.98, 1.01])
    dev = DeviceCalibration("Test IMU #7", bias, scale, np.array([0.1, 0.2, 0.3]), positions=6)
    assert device_file_name(dev.device) == "test-imu-7.toml"
    dev.save(tmp_path / device_file_name(dev.device))
    loaded = DeviceCalibration.load(tmp_path / "test-imu-7.toml")
    assert np.allclose(loaded.acc_bias_g, bias) and np.allclose(loaded.acc_scale, scale)
    assert np.allclose(loaded.gyr_bias_dps, [0.1, 0.2, 0.3])

    s = synth_session(plan=PLAN, rate_hz=100.0, device="Test IMU #7", noise_g=0.0)
    s.recording.acc_g = s.recording.acc_g * scale + bias
    cal = calibrate(s.recording, calibration_dir=tmp_path)
    assert cal.device_calibration_applied
    body = to_body(s.recording, cal)
    assert np.sqrt(np.mean((body.acc_g - s.acc_body_g) ** 2)) < 0.01
    uncorrected = calibrate(s.recording, calibration_dir=tmp_path / "nothing-here")
    assert not uncorrected.device_calibration_applied


def test_bad_calibration_file_is_input_error(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('device = "x"\nacc_bias_g = [0, 0]\nacc_scale = [1, 1, 1]\n')
    with pytest.raises(InputError, match="acc_bias_g' must be a list of three numbers"):
        DeviceCalibration.load(p)
    p.write_text("acc_bias_g = [0, 0, \n")
    with pytest.raises(InputError, match="not valid TOML"):
        DeviceCalibration.load(p)


def test_run_calibrate_writes_the_device_file(tmp_path, capsys):
    rec = _six_position_recording(np.array([0.01, 0.0, -0.02]), np.array([1.0, 1.01, 0.99]))
    rec_path = tmp_path / "six.csv"
    write_recording(rec_path, rec)
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    out = tmp_path / "cal" / "imu.toml"
    assert run_calibrate(parser.parse_args([str(rec_path), "--out", str(out)])) == 0
    loaded = DeviceCalibration.load(out)
    assert np.allclose(loaded.acc_bias_g, [0.01, 0.0, -0.02], atol=1e-3)
    assert "6 holds" in capsys.readouterr().out


def test_still_moment_far_from_running_posture_is_not_standing():
    s = synth_session(plan=(("standing", 5.0), ("running", 20.0)), rate_hz=100.0)
    rec = s.recording
    lying = rec.t_s < 5.0
    rec.acc_g[lying] = Rotation.from_euler("y", 60, degrees=True).apply(rec.acc_g[lying])
    cal = calibrate(rec)
    assert not cal.standing_found
    assert any("not used as standing" in n and "sitting or lying" in n for n in cal.notes)
    assert np.allclose(cal.up_sensor, [0, 0, 1], atol=0.02)


def test_simulator_random_mounts_recovered():
    """Twelve fixed grid sessions (random mounts, runners, rates). Over 250 sessions (seeds 0, 40,
    ..., 9960) the mount error had median 0.43°, 95th percentile 1.37°, 99th 2.08° and max 4.94°,
    always a heading error about the vertical on runners whose sides differ strongly (pelvic drop
    4° apart, impacts 1.1 BW apart): the asymmetric part of the sideways sway shares the step
    rhythm that finds forward. A random seed would make the tail a flaky test, so the seeds are
    fixed and the bound is on the typical error and the worst of these twelve."""
    errors = []
    for seed in range(12):
        params = random_grid_params(np.random.default_rng(seed), running_s=30.0, standing_s=6.0)
        res = simulate(params, seed)
        cal = calibrate(res.recording)
        assert cal.standing_found and cal.forward_found
        errors.append(_angle_deg(cal.R_body_from_sensor, params.R_sensor_from_body.T))
        up_true = params.R_sensor_from_body @ [0, 0, 1]
        assert np.degrees(np.arccos(np.clip(cal.up_sensor @ up_true, -1, 1))) < 0.5
        assert np.allclose(cal.gyro_bias_dps, params.gyr_bias_dps, atol=0.1)
    assert np.median(errors) < 0.7 and max(errors) < 2.0, errors


def test_dead_accelerometer_is_one_line_input_error():
    rec = Recording(t_s=np.arange(500) / 100.0, acc_g=np.zeros((500, 3)), gyr_dps=np.zeros((500, 3)),
                    sample_rate_hz=100.0, path="dead.csv")
    with pytest.raises(InputError, match=r"^dead.csv: the accelerometer's mean specific force is 0.000 g"):
        calibrate(rec)


def test_calibration_search_order(tmp_path, monkeypatch):
    """--calibration-dir, then $FORMLAB_CALIBRATION_DIR, then ./calibration, then the user config folder."""
    import platformdirs

    s = synth_session(plan=PLAN, rate_hz=100.0, device="Test IMU #7", noise_g=0.0)
    folders = {name: tmp_path / name for name in ("option", "env", "cwd", "config")}
    for name, folder in folders.items():
        (folder / "calibration" if name == "cwd" else folder).mkdir(parents=True)
    monkeypatch.chdir(folders["cwd"])
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: str(folders["config"].parent / "cfg"))
    config_dir = folders["config"].parent / "cfg" / "calibration"
    config_dir.mkdir(parents=True)
    monkeypatch.setenv("FORMLAB_CALIBRATION_DIR", str(folders["env"]))
    places = [folders["option"], folders["env"], folders["cwd"] / "calibration", config_dir]
    for place in places:
        DeviceCalibration("Test IMU #7", np.zeros(3), np.ones(3), positions=6, source=str(place)).save(
            place / "test-imu-7.toml")
    for place in places:  # each folder wins while those before it have no file
        cal = calibrate(s.recording, calibration_dir=folders["option"])
        assert cal.device_calibration_file == str(place / "test-imu-7.toml")
        assert any(str(place) in note for note in cal.notes)
        (place / "test-imu-7.toml").unlink()
    assert calibrate(s.recording, calibration_dir=folders["option"]).device_calibration_file is None


def test_long_device_name_gives_a_usable_file_name():
    name = device_file_name("x" * 10_000)
    assert name.endswith(".toml") and len(name) <= 69


def test_calibrate_writes_to_the_working_folder_and_never_replaces(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rec_path = tmp_path / "six.csv"
    write_recording(rec_path, six_position_recording(np.array([0.01, 0.0, -0.02]), np.ones(3)))
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    assert run_calibrate(parser.parse_args([str(rec_path)])) == 0
    written = tmp_path / "calibration" / "test-imu-7.toml"
    assert written.is_file()
    with pytest.raises(InputError, match="exists"):
        run_calibrate(parser.parse_args([str(rec_path)]))
    assert run_calibrate(parser.parse_args([str(rec_path), "--force"])) == 0


def test_shipped_six_position_sample_calibrates():
    sample = Path(__file__).resolve().parents[1] / "firmware_recordings" / "six_position_waist-imu-07.csv"
    cal = fit_six_position(read_recording(sample))
    assert cal.positions == 6 and cal.residual_g < 2e-3
    assert np.allclose(cal.acc_bias_g, [0.021, -0.034, 0.012], atol=2e-3)
