"""Walking initial contacts (WalkingContactDetector) and the walking side cue (SideAssigner)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formlab.sides import SideAssigner
from formlab.walking_contacts import WalkingContactDetector

FS_HZ = 100.0
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _walk(t_ic_s: np.ndarray, duration_s: float, rng, bump_g=None):
    """Body-frame (fwd, left, up) walking acceleration: at each contact the vertical acceleration
    rises over 120 ms to a loading peak and decays over 250 ms, on top of sway and noise."""
    t_s = np.arange(0.0, duration_s, 1.0 / FS_HZ)
    up_g = 1.0 + 0.05 * np.sin(2 * np.pi * 0.9 * t_s) + 0.01 * rng.standard_normal(t_s.size)
    bump_g = np.full(t_ic_s.size, 0.4) if bump_g is None else bump_g
    for t0, height_g in zip(t_ic_s, bump_g):
        rise = (t_s >= t0) & (t_s < t0 + 0.12)
        up_g[rise] += height_g * np.sin(0.5 * np.pi * (t_s[rise] - t0) / 0.12) ** 2
        fall = (t_s >= t0 + 0.12) & (t_s < t0 + 0.37)
        up_g[fall] += height_g * np.cos(0.5 * np.pi * (t_s[fall] - t0 - 0.12) / 0.25) ** 2
    acc_g = np.column_stack([0.02 * rng.standard_normal(t_s.size), 0.02 * rng.standard_normal(t_s.size), up_g])
    return t_s, acc_g


def _nearest_ms(found_s: np.ndarray, truth_s: np.ndarray) -> np.ndarray:
    return np.array([1000 * np.min(np.abs(found_s - t)) for t in truth_s])


@pytest.mark.parametrize("steps_s", [(0.55,), (0.38, 0.72)])  # even, and a limping gait's short/long steps
def test_one_contact_per_step_at_the_start_of_the_loading_rise(steps_s):
    rng = np.random.default_rng(3)
    t_ic_s = 1.0 + np.cumsum(np.resize(steps_s, 30))
    t_s, acc_g = _walk(t_ic_s, t_ic_s[-1] + 1.5, rng)
    found = WalkingContactDetector().detect(t_s, acc_g, FS_HZ)
    assert len(found) == len(t_ic_s)
    # the steepest rise of a 120 ms sin² rise is 60 ms after contact; the 8 Hz low-pass moves it little
    assert np.all(np.abs(_nearest_ms(found["t_ic_s"].to_numpy(), t_ic_s + 0.06)) <= 25)
    assert list(found.columns) == ["t_ic_s", "t_fc_s", "stance_peak_g"]


def test_small_bumps_between_steps_are_not_contacts():
    rng = np.random.default_rng(4)
    t_ic_s = 1.0 + 0.55 * np.arange(20)
    wobble_s = t_ic_s[:-1] + 0.27  # a soft touch mid-step, a tenth of a real loading peak
    t_s, acc_g = _walk(np.r_[t_ic_s, wobble_s], 13.0, rng, bump_g=np.r_[np.full(20, 0.4), np.full(19, 0.04)])
    found = WalkingContactDetector().detect(t_s, acc_g, FS_HZ)["t_ic_s"].to_numpy()
    assert len(found) == len(t_ic_s)
    assert np.all(_nearest_ms(found, t_ic_s + 0.06) <= 25)


def test_too_short_a_stretch_gives_no_contacts():
    t_s = np.arange(0.0, 0.5, 1.0 / FS_HZ)
    found = WalkingContactDetector().detect(t_s, np.tile([0.0, 0.0, 1.0], (t_s.size, 1)), FS_HZ)
    assert found.empty and list(found.columns) == ["t_ic_s", "t_fc_s", "stance_peak_g"]


def test_walking_side_cue_follows_the_pelvis_turn_before_contact():
    """Before a left contact the left hip swings forward: the pelvis turns right (yaw rate < 0)."""
    step_s = 0.55
    t_s = np.arange(0.0, 20.0, 1.0 / FS_HZ)
    t_ic_s = 1.0 + step_s * np.arange(30)
    left = np.arange(30) % 2 == 0
    # yaw rate: a sinusoid at the stride frequency, most negative in the half step before left contacts
    yaw_dps = -20.0 * np.cos(np.pi * (t_s - 1.0 + 0.25 * step_s) / step_s)
    gyr_dps = np.column_stack([np.zeros_like(t_s), np.zeros_like(t_s), yaw_dps])
    acc_level_g = np.tile([0.0, 0.0, 1.0], (t_s.size, 1))  # no sideways push to go by
    contacts = pd.DataFrame({"t_ic_s": t_ic_s, "t_fc_s": np.nan, "bout": 0, "activity": "walking"})
    evidence = SideAssigner().evidence(t_s, acc_level_g, gyr_dps, FS_HZ, contacts)
    assert np.all((evidence > 0) == left)
    side, _ = SideAssigner().assign(contacts, evidence)
    assert list(side) == ["left" if x else "right" for x in left]


@pytest.mark.skipif(not (DATA / "lowerback-walking-indip").exists(), reason="reference data not available")
@pytest.mark.parametrize("name", ["HA001_Test5_Trial1", "HA001_Test5_Trial2"])
def test_real_straight_walking_contacts_match_the_reference(name):
    from formlab.analysis import analyze
    from formlab.recording import read_recording

    folder = DATA / "lowerback-walking-indip"
    ref = pd.read_csv(folder / f"{name}.reference.csv")
    ic = ref[ref.event == "ic"]
    steps = analyze(read_recording(folder / f"{name}.csv"), rules=False).steps
    b0, b1 = ic.bout_start_s.iloc[0], ic.bout_end_s.iloc[0]
    found = steps.t_ic_s[(steps.t_ic_s >= b0 - 0.05) & (steps.t_ic_s <= b1 + 0.05)].to_numpy()
    assert len(found) == len(ic)
    assert np.mean(_nearest_ms(found, ic.t_s.to_numpy()) <= 50) >= 8 / 9
