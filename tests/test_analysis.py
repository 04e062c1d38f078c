"""The whole pipeline against the simulator's truth, and its invariances (rotation, mirror, rate)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import resample_poly
from scipy.spatial.transform import Rotation

from formlab.analysis import analyze
from formlab.recording import Recording
from formlab.simulate import Runner, mount_from_euler_deg, simulate, treadmill_params


def _match(steps: pd.DataFrame, truth: pd.DataFrame, tol_s: float = 0.06) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Detected valid steps paired with truth steps by initial-contact time."""
    st_ = steps[steps["valid"]].reset_index(drop=True)
    tr = truth[truth["activity"] == "running"].reset_index(drop=True)
    d = np.abs(st_["t_ic_s"].to_numpy()[:, None] - tr["t_ic_s"].to_numpy()[None, :])
    k = d.argmin(axis=0)
    ok = d[k, np.arange(len(tr))] < tol_s
    return st_.iloc[k[ok]].reset_index(drop=True), tr[ok].reset_index(drop=True)


RUNNER = Runner(cadence_spm=176, contact_ms=235, contact_diff_ms=-16, impact_left_bw=1.8, impact_right_bw=2.6,
                braking_mps=0.2, tilt_deg=9.0, drop_left_deg=4.0, drop_right_deg=7.0, speed_mps=3.5)


@pytest.fixture(scope="module")
def sim():
    params = treadmill_params(RUNNER, duration_s=60, standing_s=8, rate_hz=104.0,
                              R_sensor_from_body=mount_from_euler_deg(140.0, -20.0, 170.0),
                              gyr_bias_dps=(1.5, -2.0, 0.7), acc_noise_g=0.01)
    res = simulate(params, seed=11)
    return res, analyze(res.recording)


def test_simulated_runner_is_measured_within_the_targets(sim):
    res, a = sim
    det, tru = _match(a.steps, res.truth_steps)
    assert len(tru) >= 0.98 * (res.truth_steps["activity"] == "running").sum()
    m, t = a.summary["metrics"], res.truth_summary["metrics"]
    assert m["cadence_spm"] == pytest.approx(t["cadence_spm"], abs=0.5)
    err_ms = det["contact_ms"] - tru["contact_ms"]
    assert abs(err_ms.mean()) <= 5.0
    for side in ("left", "right"):
        assert m["ground_contact_ms"][side] == pytest.approx(t["ground_contact_ms"][side], abs=10.0)
    assert m["ground_contact_balance_left_pct"] == pytest.approx(t["ground_contact_balance_left_pct"], abs=0.5)
    assert (det["side"] == tru["side"]).mean() >= 0.995
    assert m["vertical_oscillation_cm"] == pytest.approx(t["vertical_oscillation_cm"], abs=0.5)
    assert m["pelvic_tilt_deg"]["mean"] == pytest.approx(t["pelvic_tilt_deg"]["mean"], abs=1.0)
    for side in ("left", "right"):
        assert m["pelvic_drop_deg"][side] == pytest.approx(t["pelvic_drop_deg"][side], abs=1.0)
    assert m["braking_mps"]["mean"] == pytest.approx(t["braking_mps"]["mean"], rel=0.10)
    assert m["impact_g"]["right"] > m["impact_g"]["left"]  # the right side lands harder
    assert m["step_length_m"] == pytest.approx(3.5 * 60 / t["cadence_spm"], rel=0.01)


def test_summary_says_how_the_sensor_sat(sim):
    _, a = sim
    cal = a.summary["calibration"]
    assert cal["standing_found"] and cal["forward_found"]
    assert a.summary["running"]["steps"] > 150
    assert a.summary["format"] == "formlab-summary/1"


def _recording_like(rec: Recording, acc_g, gyr_dps) -> Recording:
    return Recording(t_s=rec.t_s, acc_g=acc_g, gyr_dps=gyr_dps, metadata=dict(rec.metadata),
                     sample_rate_hz=rec.sample_rate_hz, path="rotated")


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000))
def test_any_sensor_rotation_gives_the_same_metrics(sim, seed):
    res, a = sim
    rec = res.recording
    R = Rotation.random(random_state=seed).as_matrix()
    b = analyze(_recording_like(rec, rec.acc_g @ R.T, rec.gyr_dps @ R.T), rules=False)
    ma, mb = a.summary["metrics"], b.summary["metrics"]
    assert mb["cadence_spm"] == pytest.approx(ma["cadence_spm"], abs=0.2)
    assert mb["ground_contact_ms"]["mean"] == pytest.approx(ma["ground_contact_ms"]["mean"], abs=2.0)
    assert mb["ground_contact_balance_left_pct"] == pytest.approx(ma["ground_contact_balance_left_pct"], abs=0.3)
    assert mb["vertical_oscillation_cm"] == pytest.approx(ma["vertical_oscillation_cm"], abs=0.2)
    assert mb["pelvic_tilt_deg"]["mean"] == pytest.approx(ma["pelvic_tilt_deg"]["mean"], abs=0.5)
    assert mb["pelvic_drop_deg"]["right"] == pytest.approx(ma["pelvic_drop_deg"]["right"], abs=0.5)


def test_mirroring_the_mediolateral_axis_swaps_sides_and_balance():
    """A mirror-image runner: left axis negated, and the roll and yaw rates (pseudo-vector)."""
    params = treadmill_params(RUNNER, duration_s=45, standing_s=6, rate_hz=100.0)  # sensor = body axes
    res = simulate(params, seed=5)
    rec = res.recording
    a = analyze(rec, rules=False)
    mirror = np.array([1.0, -1.0, 1.0])
    b = analyze(_recording_like(rec, rec.acc_g * mirror, rec.gyr_dps * np.array([-1.0, 1.0, -1.0])), rules=False)
    sa, sb = a.running_steps, b.running_steps
    assert len(sa) == len(sb)
    swapped = sa["side"].map({"left": "right", "right": "left"})
    assert (swapped.to_numpy() == sb["side"].to_numpy()).mean() >= 0.99
    ma, mb = a.summary["metrics"], b.summary["metrics"]
    assert mb["ground_contact_balance_left_pct"] == pytest.approx(100 - ma["ground_contact_balance_left_pct"], abs=0.2)
    assert mb["impact_g"]["left"] == pytest.approx(ma["impact_g"]["right"], abs=0.05)
    assert mb["pelvic_drop_deg"]["left"] == pytest.approx(ma["pelvic_drop_deg"]["right"], abs=0.3)


def test_resampling_keeps_cadence_and_contact(sim):
    res, a = sim
    rec = res.recording  # 104 Hz → 208 Hz and → 52·2 = 104 via 2/1 and 1/1 ratios
    up_acc = resample_poly(rec.acc_g, 2, 1, axis=0)
    up_gyr = resample_poly(rec.gyr_dps, 2, 1, axis=0)
    t = rec.t_s[0] + np.arange(up_acc.shape[0]) / (2 * rec.sample_rate_hz)
    b = analyze(Recording(t_s=t, acc_g=up_acc, gyr_dps=up_gyr, metadata={}, sample_rate_hz=2 * rec.sample_rate_hz), rules=False)
    assert b.summary["metrics"]["cadence_spm"] == pytest.approx(a.summary["metrics"]["cadence_spm"], abs=0.3)
    assert b.summary["metrics"]["ground_contact_ms"]["mean"] == pytest.approx(
        a.summary["metrics"]["ground_contact_ms"]["mean"], abs=4.0)


def test_no_gyroscope_means_no_sides_and_no_pelvic_angles():
    params = dataclasses.replace(treadmill_params(RUNNER, duration_s=40, standing_s=5, rate_hz=100.0), with_gyro=False)
    a = analyze(simulate(params, seed=2).recording)
    m = a.summary["metrics"]
    assert m["cadence_spm"] is not None and m["ground_contact_ms"]["mean"] is not None
    assert m["ground_contact_ms"]["left"] is None and m["ground_contact_balance_left_pct"] is None
    assert m["pelvic_tilt_deg"]["mean"] is None and m["pelvic_drop_deg"]["left"] is None
    assert m["braking_mps"]["mean"] is None
    assert any("side" in n for n in a.summary["notes"]) and any("braking" in n for n in a.summary["notes"])
    assert not [f for f in a.summary["findings"] if f["metric"] in ("impact_asymmetry_pct", "ground_contact_balance_left_pct")]


def test_running_from_the_first_sample_gives_tilt_unavailable():
    a = analyze(simulate(treadmill_params(RUNNER, duration_s=40, standing_s=0, rate_hz=100.0), seed=4).recording)
    assert a.summary["calibration"]["standing_found"] is False
    assert a.summary["metrics"]["pelvic_tilt_deg"]["mean"] is None
    assert a.summary["metrics"]["pelvic_drop_deg"]["left"] is not None
    assert any("tilt" in n for n in a.summary["notes"])


def test_a_recording_without_running_says_so():
    t = np.arange(0, 30, 0.01)
    rng = np.random.default_rng(0)
    rec = Recording(t_s=t, acc_g=np.column_stack([rng.normal(0, 0.005, t.size), rng.normal(0, 0.005, t.size),
                                                  1 + rng.normal(0, 0.005, t.size)]), sample_rate_hz=100.0)
    a = analyze(rec)
    assert a.summary["running"]["steps"] == 0
    assert a.summary["metrics"]["cadence_spm"] is None
    assert any("no running" in n for n in a.summary["notes"])


def test_pelvis_angles_on_the_grid_are_the_samples_or_their_interpolation():
    """Gap-free: the grid angles are the angle samples themselves (shared, read-only); with a gap
    they are interpolated onto the uniform grid."""
    from types import SimpleNamespace

    from formlab.analysis import _pelvis_angles

    rng = np.random.default_rng(3)
    n = 2000
    t_s = np.arange(n) / 100.0
    acc_g = rng.normal(0.0, 0.05, (n, 3)) + [0.0, 0.0, 1.0]
    gyr_dps = rng.normal(0.0, 5.0, (n, 3))
    body = SimpleNamespace(t_s=t_s, acc_g=acc_g, gyr_dps=gyr_dps, sample_rate_hz=100.0, standing_found=True)
    angles, grid, _ = _pelvis_angles(body, t_s, [])
    cols = ["tilt_deg", "obliquity_deg", "rotation_deg"]
    np.testing.assert_array_equal(grid, angles[cols].to_numpy())
    assert not grid.flags.writeable
    keep = np.r_[0:900, 920:n]  # a 0.2 s hole: interpolated, the filter keeps running
    body_gap = SimpleNamespace(t_s=t_s[keep], acc_g=acc_g[keep], gyr_dps=gyr_dps[keep], sample_rate_hz=100.0,
                               standing_found=True)
    angles, grid, _ = _pelvis_angles(body_gap, t_s, [])
    assert grid.shape == (n, 3)
    for k, c in enumerate(cols):
        np.testing.assert_array_equal(grid[:, k], np.interp(t_s, angles["t_s"], angles[c]))
