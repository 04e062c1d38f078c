"""The simulator's truth obeys physics and the conventions of docs/body-frame.md."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.recording import read_recording
from formlab.simulate import (
    Phase, Runner, SimParams, WALKER, add_simulate_arguments, mount_from_euler_deg, random_grid_params,
    run_simulate, simulate, treadmill_params, write_simulation,
)

QUIET = dict(acc_noise_g=0.0, gyr_noise_dps=0.0, wobble_g_per_bw=0.0, step_jitter_pct=0.0, variability_pct=0.0)
FLAT = Runner(cadence_spm=170, contact_ms=250, tilt_deg=0, tilt_range_deg=0, drop_left_deg=0,
              drop_right_deg=0, rotation_range_deg=0, braking_mps=0.2, impact_left_bw=2.0, impact_right_bw=2.0)


def _sim(runner=FLAT, duration_s=20.0, standing_s=5.0, seed=0, **sensor):
    params = treadmill_params(runner, duration_s=duration_s, standing_s=standing_s, **{**QUIET, **sensor})
    return simulate(params, seed=seed)


def _running(result):
    steps = result.truth_steps
    return steps[(steps.activity == "running") & steps.step_time_s.notna()].iloc[2:]  # past the start


def _body(result):
    rec = result.recording
    return rec.acc_g @ result.R_body_from_sensor.T


def _window(t_s, a, b):
    return (t_s >= a) & (t_s < b)


def test_vertical_impulse_balances_body_weight_over_every_step():
    result = _sim(rate_hz=200)
    t_s, up = result.recording.t_s, _body(result)[:, 2]
    means = [up[_window(t_s, r.t_ic_s, r.t_ic_s + r.step_time_s)].mean() for r in _running(result).itertuples()]
    assert np.allclose(means, 1.0, atol=0.01)
    assert up[t_s < 4].mean() == pytest.approx(1.0, abs=1e-9)


def test_forward_speed_change_over_a_step_is_zero_and_braking_matches():
    result = _sim(rate_hz=200)
    t_s, fwd = result.recording.t_s, _body(result)[:, 0]
    dt = 1 / 200
    for r in _running(result).itertuples():
        step = fwd[_window(t_s, r.t_ic_s, r.t_ic_s + r.step_time_s)] * G_MPS2
        assert step.sum() * dt == pytest.approx(0.0, abs=0.01)
        # the swing leg's recoil: a sine lobe from 40 ms before toe-off, deepest 20 ms after it
        lead_s, peak_s = FLAT.recoil_lead_ms / 1000, FLAT.recoil_peak_ms / 1000
        assert np.interp(r.t_fc_s, t_s, fwd) == pytest.approx(
            -FLAT.recoil_fwd_g * np.sin(np.pi * lead_s / (2 * (lead_s + peak_s))), abs=0.04)  # kink filtered
        flight = _window(t_s, r.t_fc_s, r.t_ic_s + r.step_time_s)
        assert t_s[flight][np.argmin(fwd[flight])] == pytest.approx(r.t_fc_s + peak_s, abs=0.006)
        assert fwd[flight].min() == pytest.approx(-FLAT.recoil_fwd_g, abs=0.02)
        # smooth braking + the backward impact spike (sin² bump: impulse = amplitude × width / 2)
        assert r.braking_mps == pytest.approx(0.2 + FLAT.impact_fwd_ratio * 2.0 * G_MPS2 * 0.030 / 2, rel=0.01)


def test_still_sensor_reads_one_g_in_any_mount():
    result = _sim(R_sensor_from_body=Rotation.random(random_state=3).as_matrix())
    rec = result.recording
    still = rec.t_s < 4.0
    assert np.allclose(np.linalg.norm(rec.acc_g[still], axis=1), 1.0, atol=1e-9)
    assert np.allclose(_body(result)[still], [0, 0, 1], atol=1e-9)


def test_mount_rotation_preserves_magnitudes_and_is_reported():
    runner = Runner()
    upright = _sim(runner, seed=4)
    mount = mount_from_euler_deg(120.0, 20.0, 180.0)
    turned = _sim(runner, seed=4, R_sensor_from_body=mount)
    a, b = upright.recording, turned.recording
    assert np.allclose(np.linalg.norm(a.acc_g, axis=1), np.linalg.norm(b.acc_g, axis=1), atol=1e-9)
    assert np.allclose(np.linalg.norm(a.gyr_dps, axis=1), np.linalg.norm(b.gyr_dps, axis=1), atol=1e-9)
    assert np.allclose(b.acc_g @ turned.R_body_from_sensor.T, a.acc_g, atol=1e-9)
    assert np.allclose(turned.R_body_from_sensor, mount.T)
    # upside down: the still sensor's z axis reads -1 g
    assert np.allclose(b.acc_g[0], mount @ [0, 0, 1], atol=1e-9)
    assert b.acc_g[0, 2] < -0.9


def test_gyroscope_integrates_to_the_pelvic_angles():
    result = _sim(Runner(tilt_deg=10, drop_left_deg=6, drop_right_deg=4, rotation_range_deg=12), rate_hz=200,
                  R_sensor_from_body=mount_from_euler_deg(40, -30, 170))
    rec, angles = result.recording, result.truth_angles
    gyr_body = np.deg2rad(rec.gyr_dps @ result.R_body_from_sensor.T)
    dt = np.diff(rec.t_s)
    orientation = Rotation.identity()
    estimated = [orientation]
    for w, h in zip((gyr_body[1:] + gyr_body[:-1]) / 2, dt):
        orientation = orientation * Rotation.from_rotvec(w * h)
        estimated.append(orientation)
    euler = Rotation.concatenate(estimated).as_euler("ZYX", degrees=True)
    assert np.max(np.abs(euler[:, 0] - angles.rotation_deg)) < 0.5
    assert np.max(np.abs(euler[:, 1] - angles.tilt_deg)) < 0.5
    assert np.max(np.abs(euler[:, 2] - angles.obliquity_deg)) < 0.5
    assert angles.tilt_deg[(angles.t_s > 10) & (angles.t_s < 20)].mean() == pytest.approx(10.0, abs=0.1)


def test_truth_matches_the_parameters_it_was_generated_from():
    runner = Runner(cadence_spm=180, contact_ms=230, contact_diff_ms=-20, impact_left_bw=1.2,
                    impact_right_bw=3.0, impact_fwd_ratio=0.5, braking_mps=0.12, tilt_deg=7, drop_left_deg=4, drop_right_deg=6,
                    rotation_range_deg=9, speed_mps=3.5)
    result = _sim(runner, duration_s=30)
    m = result.truth_summary["metrics"]
    assert m["cadence_spm"] == pytest.approx(180, abs=0.05)
    assert m["ground_contact_ms"]["left"] == pytest.approx(220, abs=0.1)
    assert m["ground_contact_ms"]["right"] == pytest.approx(240, abs=0.1)
    assert m["ground_contact_balance_left_pct"] == pytest.approx(100 * 220 / 460, abs=0.01)
    spike_mps = 0.5 * G_MPS2 * 0.030 / 2  # per BW of impact, impact_fwd_ratio 0.5
    assert m["braking_mps"]["left"] == pytest.approx(0.12 + 1.2 * spike_mps, rel=0.01)
    assert m["braking_mps"]["right"] == pytest.approx(0.12 + 3.0 * spike_mps, rel=0.01)
    assert m["pelvic_tilt_deg"]["mean"] == pytest.approx(7.0, abs=0.05)
    assert m["pelvic_rotation_deg"]["range"] == pytest.approx(9.0, abs=0.05)
    assert m["impact_g"]["right"] > m["impact_g"]["left"] + 0.3
    # drop is relative to standing (obliquity 0): the uneven drops are kept as they are
    assert m["pelvic_drop_deg"]["left"] == pytest.approx(4, abs=0.05)
    assert m["pelvic_drop_deg"]["right"] == pytest.approx(6, abs=0.05)
    assert m["step_length_m"] == pytest.approx(3.5 / 3, rel=1e-3)
    assert 4 < m["vertical_oscillation_cm"] < 12


def test_sides_alternate_and_the_pelvis_is_pushed_away_from_the_stance_foot():
    result = _sim(FLAT, R_sensor_from_body=np.eye(3))  # no pelvic angles: body axes = world axes
    steps = result.truth_steps
    assert list(steps.side[:4]) == ["left", "right", "left", "right"]
    assert (steps.side.to_numpy()[1:] != steps.side.to_numpy()[:-1]).all()
    t_s, left = result.recording.t_s, _body(result)[:, 1]
    for r in _running(result).itertuples():
        during = left[_window(t_s, r.t_ic_s, r.t_fc_s)].mean()
        assert during < -0.01 if r.side == "left" else during > 0.01
    result = _sim(Runner())
    angles = result.truth_angles
    for r in _running(result).itertuples():
        mid = angles[_window(angles.t_s, r.t_ic_s, r.t_fc_s)]
        # running: turned left at a left contact, turning right through the step (Novacheck 1998)
        if r.side == "left":
            assert mid.obliquity_deg.max() > 3 and mid.rotation_deg.iloc[-1] < mid.rotation_deg.iloc[0]
            assert mid.rotation_deg.mean() > 0
        else:
            assert mid.obliquity_deg.min() < -3 and mid.rotation_deg.iloc[-1] > mid.rotation_deg.iloc[0]
            assert mid.rotation_deg.mean() < 0


def test_packet_loss_shows_as_gaps_of_whole_packets():
    result = _sim(duration_s=60, packet_loss_prob=0.02, packet_samples=6, rate_hz=100)
    rec = result.recording
    assert len(rec.gaps) >= 3
    for gap in rec.gaps:
        assert gap.missing_samples % 6 == 0
        assert gap.duration_s == pytest.approx((gap.missing_samples + 1) / 100, abs=1e-9)
    assert sum(g.missing_samples for g in rec.gaps) == rec.sample_index[-1] + 1 - rec.n_samples
    assert result.truth_steps.in_gap.sum() >= 1


def test_clock_drift_stretches_sensor_times_by_the_set_ppm():
    fast = _sim(clock_drift_ppm=500.0, seed=1)
    exact = _sim(clock_drift_ppm=0.0, seed=1)
    ratio = fast.truth_steps.t_ic_s / exact.truth_steps.t_ic_s
    assert np.allclose(ratio, 1.0005, atol=2e-6)
    assert fast.truth_summary["metrics"]["cadence_spm"] == pytest.approx(
        exact.truth_summary["metrics"]["cadence_spm"] / 1.0005, rel=2e-5)
    assert fast.recording.t_s[1] == pytest.approx(1 / 104)  # the sensor writes its own clock


def test_phases_ramp_and_walking_has_double_support():
    late = Runner(impact_right_bw=3.5, tilt_deg=12)
    params = SimParams(phases=[Phase(3, "standing"), Phase(20, "walking", WALKER),
                               Phase(60, "running", Runner(), late)], **QUIET)
    result = simulate(params)
    steps = result.truth_steps
    walk = steps[steps.activity == "walking"].dropna(subset=["step_time_s"])
    assert (walk.contact_ms / 1000 > walk.step_time_s).all()
    run = steps[steps.activity == "running"].dropna(subset=["pelvic_tilt_deg"])
    first, last = run.iloc[5:25], run.iloc[-25:-5]
    assert first.pelvic_tilt_deg.mean() == pytest.approx(8.4, abs=0.4)
    assert last.pelvic_tilt_deg.mean() == pytest.approx(11.6, abs=0.4)
    right = run[run.side == "right"]
    assert right.impact_g.iloc[-5:].mean() > right.impact_g.iloc[5:10].mean() + 0.3


def test_random_grid_params_stay_in_the_validation_ranges():
    rng = np.random.default_rng(7)
    for _ in range(50):
        params = random_grid_params(rng)
        runner = params.phases[-1].start
        assert 150 <= runner.cadence_spm <= 195
        assert 180 <= runner.contact_ms <= 320
        assert abs(runner.contact_diff_ms) <= 40
        assert runner.contact_s("left") < 60 / runner.cadence_spm  # there is flight
        ratio = runner.impact_right_bw / runner.impact_left_bw
        assert 1 / 3 - 1e-9 <= ratio <= 3 + 1e-9
        assert 2 <= runner.drop_left_deg <= 9 and 2 <= runner.drop_right_deg <= 9
        assert 0 <= runner.tilt_deg <= 15
        assert 100 <= params.rate_hz <= 208
        assert np.allclose(params.R_sensor_from_body @ params.R_sensor_from_body.T, np.eye(3))


def test_write_and_command_line_round_trip(tmp_path):
    parser = argparse.ArgumentParser()
    add_simulate_arguments(parser)
    out, truth = tmp_path / "rec.csv", tmp_path / "truth.csv"
    args = parser.parse_args(["--out", str(out), "--truth", str(truth), "--duration-s", "20",
                              "--cadence-spm", "176", "--rate-hz", "100", "--seed", "3"])
    assert run_simulate(args) == 0
    rec = read_recording(out)
    assert rec.sample_rate_hz == 100
    assert rec.metadata["source"] == "formlab simulate (synthetic)"
    assert rec.n_samples == pytest.approx(3000, abs=2)
    steps = pd.read_csv(truth)
    run = steps.dropna(subset=["step_time_s"])
    assert (60 / run.step_time_s).median() == pytest.approx(176, abs=3)

    too_long = parser.parse_args(["--out", str(out), "--cadence-spm", "180", "--contact-ms", "400"])
    with pytest.raises(InputError, match="does not fit a 333 ms step"):
        run_simulate(too_long)
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", str(out), "--mount", "1,2"])

    result = _sim(duration_s=10, packet_loss_prob=0.05)
    write_simulation(result, tmp_path / "lossy.csv", acc_decimals=4, gyr_decimals=2, t_decimals=5)
    lossy = read_recording(tmp_path / "lossy.csv")
    assert np.array_equal(lossy.sample_index, result.recording.sample_index)
    assert np.allclose(lossy.acc_g, result.recording.acc_g, atol=5e-5)
    assert len(lossy.gaps) == len(result.recording.gaps)


def test_a_sensor_behind_the_pelvis_rises_and_falls_with_tilt():
    runner = Runner(tilt_range_deg=10, rotation_range_deg=0, drop_left_deg=0, drop_right_deg=0)
    centred = _sim(runner, rate_hz=200)
    behind = _sim(runner, rate_hz=200, lever_arm_m=(-0.10, 0.0, 0.0))
    # a point 10 cm behind rises by 0.1 m × (sin 13° − sin 3°) = 17 mm as the tilt swings 3° → 13°
    diff_mm = 10 * (_running(behind).vertical_oscillation_cm - _running(centred).vertical_oscillation_cm)
    assert 3.0 < abs(diff_mm.median()) < 17.5
    a, b = centred.recording.acc_g, behind.recording.acc_g
    assert np.allclose(a[:500], b[:500], atol=1e-9)  # standing still: the lever arm changes nothing
    assert np.abs(a - b).max() > 0.05  # running: the sensor feels the pelvis rotation
    assert np.allclose(centred.truth_angles.tilt_deg, behind.truth_angles.tilt_deg)


def test_steps_vary_by_the_set_coefficient_of_variation():
    result = _sim(Runner(), duration_s=60, variability_pct=10.0)
    steps = _running(result)
    left = steps[steps.side == "left"]
    cv_drop = left.pelvic_drop_deg.std() / left.pelvic_drop_deg.mean()
    cv_braking = left.braking_mps.std() / left.braking_mps.mean()
    assert 0.06 < cv_drop < 0.14  # the drop relative to the stride mean follows the parameter closely
    assert 0.03 < cv_braking < 0.14  # braking mixes the varied smooth part and the varied impact spike
    assert _sim(Runner(), duration_s=60).truth_steps.pelvic_drop_deg.iloc[2:-3].std() < 1e-3  # QUIET: none


def test_speed_stages_are_written_as_metadata_the_analysis_reads():
    from formlab.treadmill import speed_at, speed_stages

    params = SimParams(phases=[Phase(5, "standing"), Phase(20, "running", Runner(speed_mps=3.0)),
                               Phase(20, "running", Runner(speed_mps=3.6))], clock_drift_ppm=100.0, **QUIET)
    result = simulate(params)
    assert result.recording.metadata["treadmill_speed_stages"] == "5.0005:3, 25.0025:3.6"  # phase starts on the 100 ppm fast clock
    assert "treadmill_speed_mps" not in result.recording.metadata
    steps = result.truth_steps
    belt = speed_at(speed_stages(result.recording), steps.t_ic_s.to_numpy())
    assert np.array_equal(belt, steps.speed_mps.to_numpy())


def test_the_oscillation_truth_is_the_height_the_recorded_acceleration_implies():
    """Unequal sides (contact ±20 ms, impacts 1.5 / 3 BW) and a sensor behind the pelvis: the pelvis
    is higher at one side's contacts than at the other's, so left and right steps differ. The truth
    must still be the peak-to-peak of the height whose second derivative is the recorded vertical
    specific force (sensor → body → world with the true mount and angles)."""
    from formlab.frames import rotate_by_angles_deg
    from formlab.metrics import vertical_oscillation_cm

    runner = Runner(contact_diff_ms=40, impact_left_bw=1.5, impact_right_bw=3.0, tilt_range_deg=6)
    result = _sim(runner, duration_s=30, rate_hz=120, lever_arm_m=(-0.08, 0.0, 0.02),
                  R_sensor_from_body=mount_from_euler_deg(40, -70, 20))
    rec, angles = result.recording, result.truth_angles
    acc_world_g = rotate_by_angles_deg(rec.acc_g @ result.R_body_from_sensor.T, angles.rotation_deg.to_numpy(),
                                       angles.tilt_deg.to_numpy(), angles.obliquity_deg.to_numpy())
    run = _running(result)
    run = run[run.step_time_s.notna()]
    t_ic = run.t_ic_s.to_numpy()
    vo_cm = vertical_oscillation_cm(rec.t_s, acc_world_g[:, 2], rec.sample_rate_hz, t_ic,
                                    t_ic + run.step_time_s.to_numpy())
    truth = run.vertical_oscillation_cm.to_numpy()
    left = (run.side == "left").to_numpy()
    assert abs(np.median(truth[left]) - np.median(truth[~left])) > 0.3  # the sides really differ
    err_mm = 10 * (vo_cm - truth)
    assert abs(np.median(err_mm[left])) < 0.5 and abs(np.median(err_mm[~left])) < 0.5
