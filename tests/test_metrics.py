"""Per-step metrics on signals with exact answers."""

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.transform import Rotation

from formlab.metrics import level_frame_acc_g, measure_steps, vertical_oscillation_cm
from formlab.frames import G_MPS2


def _steps(t_first_s: float, step_s: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    t_ic = t_first_s + step_s * np.arange(n)
    return t_ic, t_ic + step_s


def test_vertical_oscillation_of_a_sinusoid_is_its_peak_to_peak():
    fs, step_s, amp_m = 200.0, 0.35, 0.04
    t = np.arange(0, 20, 1 / fs)
    w = 2 * np.pi / step_s
    acc_up_g = 1.0 - amp_m * w**2 * np.cos(w * t) / G_MPS2  # z = amp·cos(wt)
    vo = vertical_oscillation_cm(t, acc_up_g, fs, *_steps(1.0, step_s, 50))
    np.testing.assert_allclose(vo, 2 * amp_m * 100, rtol=0.01)


def test_vertical_oscillation_ignores_a_constant_accelerometer_offset():
    fs, step_s = 100.0, 0.34
    t = np.arange(0, 10, 1 / fs)
    w = 2 * np.pi / step_s
    acc = 1.03 - 0.05 * w**2 * np.cos(w * t) / G_MPS2  # 0.03 g offset: drift without control
    np.testing.assert_allclose(vertical_oscillation_cm(t, acc, fs, *_steps(0.5, step_s, 25)), 10.0, rtol=0.02)


def test_vertical_oscillation_follows_a_stride_periodic_height():
    """Unequal sides: the pelvis is 2 cm higher at every left contact than at the right ones, so a
    step does not end at the height it started from; each step's truth is its own peak-to-peak.
    Step of 0.3437 s at 104 Hz: contacts fall between samples."""
    fs, step_s = 104.0, 0.3437
    t = np.arange(0, 30, 1 / fs)
    w = 2 * np.pi / step_s

    def z_m(x):
        return 0.04 * np.cos(w * x) + 0.01 * np.sin(w * x / 2)

    acc_up_g = 1.0 + (-0.04 * w**2 * np.cos(w * t) - 0.01 * (w / 2) ** 2 * np.sin(w * t / 2)) / G_MPS2
    t_ic, t_next = _steps(2.0, step_s, 70)
    truth_cm = np.array([np.ptp(z_m(np.linspace(a, b, 2000))) for a, b in zip(t_ic, t_next)]) * 100
    assert np.ptp(truth_cm) > 1.0  # the two sides differ by more than 1 cm
    np.testing.assert_allclose(vertical_oscillation_cm(t, acc_up_g, fs, t_ic, t_next), truth_cm, atol=0.03)


def test_braking_impact_and_contact_from_a_designed_stance():
    fs, step_s, contact_s, brake_mps = 500.0, 0.34, 0.24, 0.2
    t = np.arange(0, 12, 1 / fs)
    ics = 1.0 + step_s * np.arange(30)
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 0.0
    a_peak = brake_mps * np.pi / contact_s  # −A sin(2πu): braking half integrates to A·Tc/π
    for ic in ics:
        u = (t - ic) / contact_s
        s = (u >= 0) & (u <= 1)
        acc[s, 0] = -a_peak * np.sin(2 * np.pi * u[s]) / G_MPS2
        acc[s, 2] = 2.5 * np.sin(np.pi * u[s])
    contacts = pd.DataFrame({"t_ic_s": ics, "t_fc_s": ics + contact_s, "bout": 0})
    side = np.array(["left", "right"] * 15, dtype=object)
    steps = measure_steps(t, acc, acc, fs, contacts, side, np.ones(30), np.zeros((t.size, 3)), False, True)
    run = steps[steps["valid"]]
    assert len(run) == 29  # the last step has no next contact
    np.testing.assert_allclose(run["braking_mps"], brake_mps, rtol=0.01)
    # no landing transient: impact is the half-sine's value at the end of the first 50 ms (±1 sample)
    np.testing.assert_allclose(run["impact_g"], 2.5 * np.sin(np.pi * 0.049 / contact_s), atol=0.03)
    np.testing.assert_allclose(run["contact_ms"], 240.0)
    np.testing.assert_allclose(run["step_time_s"], step_s, atol=1e-9)
    assert run["pelvic_tilt_deg"].isna().all()  # no standing reference: no tilt
    no_gyro = measure_steps(t, acc, acc, fs, contacts, side, np.ones(30), None, False, False)
    assert no_gyro["braking_mps"].isna().all() and no_gyro["contact_ms"].notna().all()


def test_level_frame_removes_anterior_tilt():
    tilt = 10.0
    # a pelvis tilted 10° anterior: its forward axis pitches down and reads gravity as −sin(tilt)
    f_body = np.array([[-np.sin(np.radians(tilt)), 0.0, np.cos(np.radians(tilt))]])
    level = level_frame_acc_g(f_body, np.array([[tilt, 0.0, 0.0]]), 100.0)
    np.testing.assert_allclose(level, [[0.0, 0.0, 1.0]], atol=1e-12)


@pytest.mark.parametrize("tilt_deg, obliquity_deg", [(12.0, 0.0), (-5.0, 4.0)])
def test_without_gyroscope_the_running_tilt_is_levelled_from_the_data(tilt_deg, obliquity_deg):
    fs = 200.0
    t = np.arange(0, 30, 1 / fs)
    phase = 2 * np.pi * 2.8 * t
    world = np.column_stack([0.5 * np.sin(phase + 1.0), 0.2 * np.sin(phase / 2), 1 + 1.5 * np.sin(phase)])
    # a pelvis held at this tilt and obliquity: the body frame sees R^T f (heading unchanged)
    R = Rotation.from_euler("ZYX", [0.0, tilt_deg, obliquity_deg], degrees=True).as_matrix()
    body = world @ R
    level = level_frame_acc_g(body, None, fs)
    inner = slice(int(5 * fs), int(25 * fs))  # away from the filter's edges
    np.testing.assert_allclose(level[inner], world[inner], atol=0.005)
    # the body frame itself would read the forward swing 26 % into "vertical" at 12° of tilt
    assert np.abs(body[inner] - world[inner]).max() > 0.1


def _asymmetric_drop(tilt_available: bool):
    """Obliquity 3° up in every left stance and 8° down in every right stance (a 3° / 8° runner:
    sin² bumps over the stance, level in flight), 0 at standing; sides known."""
    fs, step_s, contact_s, n = 200.0, 0.35, 0.21, 30
    t_s = np.arange(0.0, 1.0 + step_s * (n + 1), 1.0 / fs)
    t_ic = 1.0 + step_s * np.arange(n)
    side = np.where(np.arange(n) % 2 == 0, "left", "right")
    obliquity = np.zeros_like(t_s)
    for t0, s in zip(t_ic, side):
        u = (t_s - t0) / contact_s
        inside = (u >= 0) & (u <= 1)
        obliquity[inside] = (3.0 if s == "left" else -8.0) * np.sin(np.pi * u[inside]) ** 2
    angles = np.column_stack([np.zeros_like(t_s), obliquity, np.zeros_like(t_s)])
    acc = np.tile([0.0, 0.0, 1.0], (t_s.size, 1))
    contacts = pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": t_ic + contact_s, "bout": 0, "activity": "running"})
    steps = measure_steps(t_s, acc, acc, fs, contacts, side, np.ones(n), angles, tilt_available, False)
    return steps.dropna(subset=["pelvic_drop_deg"])


def test_pelvic_drop_is_measured_from_standing_and_keeps_an_asymmetry():
    steps = _asymmetric_drop(tilt_available=True)
    assert len(steps) == 28  # the last two steps start no complete stride
    np.testing.assert_allclose(steps[steps.side == "left"].pelvic_drop_deg, 3.0, atol=1e-3)
    np.testing.assert_allclose(steps[steps.side == "right"].pelvic_drop_deg, 8.0, atol=1e-3)


def test_without_standing_pelvic_drop_is_measured_from_the_stride_mean():
    # stride mean obliquity = (3 - 8) · (contact / 2) / stride = -5 · 0.105 / 0.7 = -0.75°
    steps = _asymmetric_drop(tilt_available=False)
    np.testing.assert_allclose(steps[steps.side == "left"].pelvic_drop_deg, 3.75, atol=0.02)
    np.testing.assert_allclose(steps[steps.side == "right"].pelvic_drop_deg, 7.25, atol=0.02)


def test_impact_is_the_landing_peak_and_the_loading_rate_its_20_to_80_percent_slope():
    """A 40 g/s ramp from 0 g at contact to a 1.6 g transient at 40 ms, down to 1 g at 60 ms, then
    the active peak of 2.5 g at 110 ms: impact is the transient (first 50 ms), not the active
    peak, and the loading rate its 20-80 % slope, 40 g/s."""
    fs = 1000.0
    t_s = np.arange(0.0, 3.0, 1.0 / fs)
    t_ic = np.array([1.0, 1.5])
    shape_t, shape_g = [0.0, 0.04, 0.06, 0.11, 0.25], [0.0, 1.6, 1.0, 2.5, 0.0]
    up = sum(np.interp(t_s - t0, shape_t, shape_g, left=0.0, right=0.0) for t0 in t_ic)
    acc = np.column_stack([np.zeros_like(t_s), np.zeros_like(t_s), up])
    contacts = pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": t_ic + 0.25, "bout": 0, "activity": "running"})
    steps = measure_steps(t_s, acc, acc, fs, contacts, np.array(["left", "right"]), np.ones(2), None, False, False)
    assert steps.impact_g.iloc[0] == pytest.approx(1.6, abs=0.01)
    assert steps.loading_rate_gps.iloc[0] == pytest.approx(40.0, rel=1e-6)


def test_loading_rate_of_a_force_plate_ramp_in_body_weights_per_second():
    from formlab.metrics import loading_rate_per_s

    t_s = np.arange(0.0, 0.2, 0.002)
    grf_bw = np.clip(60.0 * (t_s - 0.05), 0.0, 1.8)  # 60 BW/s from 50 ms until 1.8 BW
    assert loading_rate_per_s(t_s, grf_bw, np.array([25]), np.array([60]))[0] == pytest.approx(60.0)
