"""Segmentation into standing / walking / running bouts: synthetic sessions and real recordings."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from formlab.recording import read_recording
from formlab.segmentation import segment
from formlab.simulate import Phase, Runner, SimParams, mount_from_euler_deg, simulate
from gait_synth import synth_session

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared real data not available")


def _borders(bouts):
    return list(bouts.end_s[:-1])


def _time_in(bouts, activity):
    sel = bouts.activity == activity
    return float((bouts.end_s[sel] - bouts.start_s[sel]).sum())


@pytest.mark.parametrize("rate_hz", [100.0, 104.0, 200.0, 512.0])
@pytest.mark.parametrize("gyro", [True, False])
def test_standing_walking_running_boundaries_within_1s(rate_hz, gyro):
    s = synth_session(
        plan=(("standing", 5.0), ("walking", 10.0), ("running", 20.0), ("standing", 4.0)),
        rate_hz=rate_hz,
        R_sensor_from_body=Rotation.from_euler("xyz", [170, 20, 40], degrees=True).as_matrix(),
        gyro=gyro,
    )
    bouts = segment(s.recording)
    assert list(bouts.activity) == ["standing", "walking", "running", "standing"]
    assert np.allclose(_borders(bouts), s.boundaries_s, atol=1.0)
    # the running bout starts and ends within one step of the truth
    run = bouts[bouts.activity == "running"].iloc[0]
    assert abs(run.start_s - 15.0) < 0.36 and abs(run.end_s - 35.0) < 0.36


@settings(max_examples=15, deadline=None)
@given(
    standing_s=st.floats(2.5, 8.0),
    running_s=st.floats(6.0, 25.0),
    step_s=st.floats(0.29, 0.42),
    seed=st.integers(0, 1000),
)
def test_standing_to_running_found_within_1s(standing_s, running_s, step_s, seed):
    s = synth_session(
        plan=(("standing", standing_s), ("running", running_s)),
        rate_hz=200.0,
        R_sensor_from_body=Rotation.random(random_state=seed).as_matrix(),
        step_s=step_s,
        contact_s=0.65 * step_s,
        seed=seed,
    )
    bouts = segment(s.recording)
    assert list(bouts.activity) == ["standing", "running"]
    assert abs(bouts.end_s.iloc[0] - standing_s) < 1.0


def test_walking_only_has_no_running():
    s = synth_session(plan=(("standing", 3.0), ("walking", 30.0)), rate_hz=100.0)
    bouts = segment(s.recording)
    assert "running" not in set(bouts.activity)
    assert _time_in(bouts, "walking") > 28.0


def test_gap_longer_than_quarter_second_splits_running():
    s = synth_session(plan=(("running", 30.0),), rate_hz=200.0, gap=(12.0, 12.6))
    bouts = segment(s.recording)
    run = bouts[bouts.activity == "running"]
    assert len(run) == 2
    assert run.end_s.iloc[0] <= 12.0 + 1e-9 and run.start_s.iloc[1] >= 12.6 - 1e-9
    # nothing covers the gap
    assert not ((bouts.start_s < 12.5) & (bouts.end_s > 12.1)).any()


def test_turn_splits_running_when_gyroscope_present():
    # 90°/s for the whole of the middle bout: a 180° turn of 2 s
    first = synth_session(plan=(("running", 30.0),), rate_hz=200.0)
    turning = synth_session(plan=(("running", 30.0),), rate_hz=200.0, turn_deg_per_s=90.0)
    rec = first.recording
    sel = (rec.t_s >= 14.0) & (rec.t_s < 16.0)
    rec.gyr_dps[sel] = turning.recording.gyr_dps[sel]
    bouts = segment(rec)
    run = bouts[bouts.activity == "running"]
    assert len(run) == 2
    assert 13.0 < run.end_s.iloc[0] <= 14.5 and 15.5 <= run.start_s.iloc[1] < 17.0
    rec.gyr_dps = None
    assert list(segment(rec).activity) == ["running"]


def test_too_short_input_is_one_other_bout_or_empty():
    s = synth_session(plan=(("standing", 0.02),), rate_hz=100.0)
    bouts = segment(s.recording)
    assert list(bouts.columns) == ["start_s", "end_s", "activity"]
    assert len(bouts) <= 1


@needs_data
@pytest.mark.parametrize("trial", ["trial00", "trial06", "trial18", "trial26"])
def test_treadmill_trials_are_running_from_first_sample(trial):
    rec = read_recording(DATA / "treadmill-sacrum-grf" / f"{trial}.csv")
    bouts = segment(rec)
    assert list(bouts.activity) == ["running"]
    assert bouts.start_s.iloc[0] == rec.t_s[0]


@needs_data
def test_real_walking_has_no_running():
    rec = read_recording(DATA / "lowerback-walking-indip" / "HA001_Test11_Trial1.csv")
    bouts = segment(rec)
    assert "running" not in set(bouts.activity)
    assert _time_in(bouts, "walking") > 15.0
    assert bouts.activity.iloc[0] == "standing"


@needs_data
def test_real_jogging_and_long_run_are_mostly_running():
    for name, share in (("waist-jogging/D03_SA01_R01.csv", 0.95), ("waist-jogging/D04_SA07_R01.csv", 0.95)):
        rec = read_recording(DATA / name)
        bouts = segment(rec)
        assert _time_in(bouts, "running") / (rec.t_s[-1] - rec.t_s[0]) > share, name
    rec = read_recording(DATA / "hip-run-25min" / "left_hip.csv")
    bouts = segment(rec)
    assert _time_in(bouts, "running") > 15 * 60
    assert bouts.activity.iloc[0] == "standing"


@pytest.mark.parametrize("rate_hz", [100.0, 208.0])
@pytest.mark.parametrize("gyro", [True, False])
def test_simulator_session_boundaries_within_1s(rate_hz, gyro):
    params = SimParams(
        phases=[
            Phase(6.0, "standing"),
            Phase(15.0, "walking", Runner(cadence_spm=110, contact_ms=600)),
            Phase(30.0, "running"),
            Phase(5.0, "standing"),
            Phase(20.0, "running", Runner(cadence_spm=185, contact_ms=210)),
        ],
        rate_hz=rate_hz, with_gyro=gyro, R_sensor_from_body=mount_from_euler_deg(30, 160, 10),
        packet_loss_prob=0.002,
    )
    res = simulate(params, 3)
    bouts = segment(res.recording)
    main = bouts[bouts.end_s - bouts.start_s > 2.5]
    assert list(main.activity) == ["standing", "walking", "running", "standing", "running"]
    truth = res.truth_steps
    run_ic = truth[truth.activity == "running"].t_ic_s.to_numpy()
    first_bout = run_ic[run_ic < 52.0]
    second_bout = run_ic[run_ic > 52.0]
    run = main[main.activity == "running"]
    assert abs(run.start_s.iloc[0] - first_bout[0]) < 1.0
    assert abs(run.start_s.iloc[1] - second_bout[0]) < 1.0
    last_fc = truth[(truth.activity == "running") & (truth.t_ic_s < 52.0)].t_fc_s.iloc[-1]
    assert abs(run.end_s.iloc[0] - last_fc) < 1.0
    assert abs(main[main.activity == "walking"].start_s.iloc[0] - 6.0) < 1.0


def test_body_signals_segment_like_the_recording():
    from formlab.calibration import calibrate, to_body

    s = synth_session(plan=(("standing", 4.0), ("running", 12.0)), rate_hz=100.0,
                      R_sensor_from_body=Rotation.from_euler("xyz", [180, 0, 30], degrees=True).as_matrix())
    from_rec = segment(s.recording)
    from_body = segment(to_body(s.recording, calibrate(s.recording)))
    assert list(from_body.activity) == list(from_rec.activity) == ["standing", "running"]
    assert np.allclose(from_body.end_s, from_rec.end_s, atol=0.02)
