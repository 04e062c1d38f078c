"""Contact detection and side assignment on synthetic input with exact answers."""

import numpy as np
import pandas as pd
import pytest

from formlab.filters import lowpass
from formlab.sides import SideAssigner
from formlab.steps import RunningContactDetector, detect_contacts


def half_sine_train(fs=200.0, step_s=0.35, contact_s=0.25, n_steps=30, t0=1.0):
    """Vertical specific force of spring-mass running: half-sine stance pulses, 0 g in flight."""
    t = np.arange(0, t0 + n_steps * step_s + 1.0, 1.0 / fs)
    peak_g = np.pi * step_s / (2 * contact_s)  # impulse over a step = body weight × step time
    f = np.zeros_like(t)
    ics = t0 + step_s * np.arange(n_steps)
    for ic in ics:
        u = (t - ic) / contact_s
        inside = (u >= 0) & (u <= 1)
        f[inside] = peak_g * np.sin(np.pi * u[inside])
    return t, f, ics, ics + contact_s


def test_half_sine_contacts_are_found_to_the_millisecond():
    t, f, ics, fcs = half_sine_train()
    found = RunningContactDetector().detect(t, f, 200.0)
    assert len(found) == len(ics)
    np.testing.assert_allclose(found["t_fc_s"], fcs, atol=0.002)
    # the onset tangent of a pure half-sine (no impact transient) lands a few ms after force onset
    assert np.all(np.abs(found["t_ic_s"] - ics) < 0.012)
    assert np.median(np.diff(found["t_ic_s"])) == pytest.approx(0.35, abs=1e-3)


@pytest.mark.parametrize("fraction", [0.5, 0.6, 0.7])
@pytest.mark.parametrize("contact_s", [0.17, 0.30])
def test_filter_widening_does_not_depend_on_contact_time(contact_s, fraction):
    # the 8 Hz envelope widens a 170 ms pulse more than a 300 ms one (+4 ms vs -2.5 ms at half
    # the peak before the half-sine correction), which made the side with shorter contacts read
    # longer; the tangent factor and the correction hold at any point of the falling edge
    t, f, ics, fcs = half_sine_train(fs=500.0, contact_s=contact_s)
    found = RunningContactDetector(toe_off_fraction=fraction).detect(t, f, 500.0)
    assert len(found) == len(ics)
    np.testing.assert_allclose(found["t_fc_s"], fcs, atol=0.0015)


def test_a_toe_off_overshooting_a_short_flight_keeps_every_step():
    # a late-stance push that outlasts the force (forward acceleration leaking into the vertical)
    # into a 20 ms flight extrapolates the toe-off past the next onset: both steps stay
    fs, step_s, contact_s = 200.0, 0.27, 0.25
    t, f, ics, _ = half_sine_train(fs=fs, step_s=step_s, contact_s=contact_s)
    for ic in ics:
        v = (t - ic - contact_s + 0.06) / 0.10
        inside = (v >= 0) & (v < 1)
        f[inside] += 0.6 * np.sin(np.pi * v[inside])
    found = RunningContactDetector().detect(t, f, fs)
    assert len(found) == len(ics)
    assert np.all(found["t_fc_s"].to_numpy()[:-1] <= found["t_ic_s"].to_numpy()[1:])


def forward_recoil(t, ics, contact_s, step_s, drop_after_s):
    """Forward specific force: propulsion (+0.5 g) from mid-stance, falling ``drop_after_s`` after
    toe-off to the recoil (-0.5 g) until the next contact."""
    fwd = np.zeros_like(t)
    for ic in ics:
        fwd[(t >= ic + contact_s / 2) & (t < ic + contact_s + drop_after_s)] = 0.5
        fwd[(t >= ic + contact_s + drop_after_s) & (t < ic + step_s)] = -0.5
    return fwd


def _end_of_propulsion_loop(t, fwd_g, t_ic, t_fc):
    """The end-of-propulsion rule written plainly, one contact at a time."""
    out = np.full(t_ic.size, np.nan)
    for k in range(t_ic.size - 1):
        a, b = np.searchsorted(t, 0.5 * (t_ic[k] + t_fc[k])), np.searchsorted(t, t_fc[k])
        c = np.searchsorted(t, t_ic[k + 1])
        i_max = a + np.argmax(fwd_g[a:b + 1])
        level = fwd_g[b:c].mean()
        j = i_max + np.flatnonzero(fwd_g[i_max:c] < level)[0]
        out[k] = t[j - 1] + (level - fwd_g[j - 1]) / (fwd_g[j] - fwd_g[j - 1]) * (t[j] - t[j - 1])
    return out


def test_end_of_propulsion_matches_the_plain_rule():
    rng = np.random.default_rng(4)
    t, f, ics, fcs = half_sine_train(n_steps=12)
    fwd = forward_recoil(t, ics, 0.25, 0.35, 0.01) + rng.normal(0, 0.05, t.size)
    t_ic, t_fc = ics + rng.uniform(-0.01, 0.01, ics.size), fcs + rng.uniform(-0.02, 0.02, ics.size)
    got = RunningContactDetector._end_of_propulsion_s(t, fwd, t_ic, t_fc, np.ones(t_ic.size, bool))
    np.testing.assert_allclose(got, _end_of_propulsion_loop(t, fwd, t_ic, t_fc), rtol=0, atol=1e-12)
    assert np.isnan(got[-1]) and np.isfinite(got[:-1]).all()


def test_toe_off_is_the_weighted_mean_of_the_vertical_rule_and_the_end_of_propulsion():
    t, f, ics, _ = half_sine_train()
    vertical = RunningContactDetector().detect(t, f, 200.0)
    early = RunningContactDetector().detect(t, f, 200.0, forward_recoil(t, ics, 0.25, 0.35, 0.0))
    late = RunningContactDetector().detect(t, f, 200.0, forward_recoil(t, ics, 0.25, 0.35, 0.02))
    np.testing.assert_array_equal(early["t_ic_s"], vertical["t_ic_s"])
    t_ic, t_fc = vertical["t_ic_s"].to_numpy(), vertical["t_fc_s"].to_numpy()
    end = _end_of_propulsion_loop(t, lowpass(forward_recoil(t, ics, 0.25, 0.35, 0.02), 10.0, 200.0), t_ic, t_fc)
    np.testing.assert_allclose(late["t_fc_s"].to_numpy()[:-1], (2 * t_fc + end)[:-1] / 3, rtol=0, atol=1e-12)
    equal = RunningContactDetector(vertical_weight=0.5).detect(t, f, 200.0, forward_recoil(t, ics, 0.25, 0.35, 0.02))
    np.testing.assert_allclose(equal["t_fc_s"].to_numpy()[:-1], 0.5 * (t_fc + end)[:-1], rtol=0, atol=1e-12)
    # propulsion that ends later gives a later toe-off; the last contact has no flight after it
    # and keeps the vertical toe-off
    assert np.all((late["t_fc_s"] - early["t_fc_s"]).to_numpy()[:-1] > 0.003)
    assert late["t_fc_s"].iloc[-1] == vertical["t_fc_s"].iloc[-1]


def test_flight_is_found_between_stances():
    t, f, _, _ = half_sine_train()
    assert RunningContactDetector().detect(t, f, 200.0)["flight"].all()


def test_a_step_without_flight_says_so_and_takes_toe_off_from_the_end_of_propulsion():
    """20 ms flights that the sacral signal does not show (a 0.6 g tail between stances, as soft
    tissue and a lagging vertical give at speed uphill): the vertical rule alone runs into the next
    contact; the end of propulsion still marks toe-off."""
    step_s, contact_s = 0.35, 0.33
    t, f, ics, fcs = half_sine_train(step_s=step_s, contact_s=contact_s)
    f = np.where(f > 0, np.maximum(f, 0.6), 0.6)
    fwd = forward_recoil(t, ics, contact_s, step_s, 0.0)
    found = RunningContactDetector().detect(t, f, 200.0, fwd)
    assert not found["flight"].iloc[:-1].any()
    i_r = np.searchsorted(ics, found["t_ic_s"].to_numpy()[:-1] - 0.05)
    error_s = found["t_fc_s"].to_numpy()[:-1] - fcs[i_r]
    assert np.all(np.abs(error_s) < 0.015)


def test_forward_is_used_only_when_given():
    t, f, ics, _ = half_sine_train(n_steps=20)
    acc = np.column_stack([forward_recoil(t, ics, 0.25, 0.35, 0.03), np.zeros_like(t), f])
    bouts = pd.DataFrame({"start_s": [0.0], "end_s": [t[-1]], "activity": ["running"]})
    valid = np.ones(t.size, bool)
    unknown = detect_contacts(t, acc, 200.0, valid, bouts)
    known = detect_contacts(t, acc, 200.0, valid, bouts, acc_fwd_g=acc[:, 0])
    vertical = RunningContactDetector().detect(t, f, 200.0)
    np.testing.assert_array_equal(unknown["t_fc_s"], vertical["t_fc_s"])
    assert (known["t_fc_s"] - unknown["t_fc_s"]).iloc[:-1].min() > 0.01


def test_contacts_are_not_counted_across_a_long_gap():
    t, f, ics, _ = half_sine_train(n_steps=20)
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t), f])
    valid = ~((t > 4.0) & (t < 5.0))  # a one-second hole in the data
    bouts = pd.DataFrame({"start_s": [0.0], "end_s": [t[-1]], "activity": ["running"]})
    found = detect_contacts(t, acc, 200.0, valid, bouts)
    assert not ((found["t_ic_s"] > 3.8) & (found["t_ic_s"] < 5.0)).any()
    assert found["bout"].nunique() == 2  # the gap splits the bout


def test_walking_and_standing_bouts_give_no_running_contacts():
    t, f, _, _ = half_sine_train()
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t), f])
    bouts = pd.DataFrame({"start_s": [0.0], "end_s": [t[-1]], "activity": ["standing"]})
    assert detect_contacts(t, acc, 200.0, np.ones(t.size, bool), bouts).empty


def _contacts(n, step_s=0.33, bout=None):
    t_ic = 1.0 + step_s * np.arange(n)
    return pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": t_ic + 0.24, "bout": np.zeros(n, int) if bout is None else bout})


def test_alternation_overrules_a_single_contradicting_step():
    contacts = _contacts(20)
    evidence = np.where(np.arange(20) % 2 == 0, 1.0, -1.0)  # even steps left
    evidence[7] = 2.0  # one step whose own cue says the wrong side
    side, conf = SideAssigner().assign(contacts, evidence)
    assert list(side[:4]) == ["left", "right", "left", "right"]
    assert side[7] == "right"
    assert conf[0] == pytest.approx(SideAssigner().confidence(19 / 20, 20))


def test_weak_or_inconsistent_evidence_leaves_sides_unknown():
    contacts = _contacts(20)
    pairs = np.tile([1.0, 1.0, -1.0, -1.0], 5)  # agrees with either parity on half the steps
    side, conf = SideAssigner().assign(contacts, pairs)
    assert set(side) == {""} and np.all(conf == 0)


def test_a_missed_step_restarts_alternation():
    contacts = _contacts(20)
    contacts.loc[10:, "t_ic_s"] += 0.33  # step 10 missed: the interval doubles
    contacts["t_fc_s"] = contacts["t_ic_s"] + 0.24
    # the runner's true sides: the missed step shifts the parity after it
    truth = np.array(["left", "right"] * 10)
    truth[10:] = np.array(["right", "left"] * 5)
    evidence = np.where(truth == "left", 1.0, -1.0)
    side, _ = SideAssigner().assign(contacts, evidence)
    assert list(side) == list(truth)


def test_no_gyroscope_gives_no_side_evidence():
    t = np.arange(0, 10, 0.01)
    acc = np.column_stack([np.zeros_like(t), np.sin(2 * np.pi * 1.4 * t), np.ones_like(t)])
    e = SideAssigner().evidence(t, acc, None, 100.0, _contacts(20))
    assert np.all(e == 0)


def test_a_phase_slip_inside_a_regular_run_is_followed():
    """An extra detection at regular timing flips which foot the even steps belong to."""
    contacts = _contacts(24)
    truth = np.array(["left", "right"] * 6 + ["right", "left"] * 6)  # parity slips at step 12
    evidence = np.where(truth == "left", 1.0, -1.0)
    evidence[[3, 17]] *= -1  # single contradicting steps do not cause a slip
    side, conf = SideAssigner().assign(contacts, evidence)
    assert list(side) == list(truth)
    assert conf[0] == pytest.approx(SideAssigner().confidence(11 / 12, 12)) and conf[-1] == conf[0]


def test_walking_and_running_bouts_each_alternate_at_their_own_step_time():
    # a short walk (0.55 s steps) before a longer run (0.35 s steps): the walking steps are more
    # than 1.5 x the recording's median step apart, yet each bout keeps its own alternation
    walk = _contacts(12, step_s=0.55)
    run = _contacts(40, step_s=0.35, bout=np.ones(40, int))
    run["t_ic_s"] += 20.0
    contacts = pd.concat([walk, run], ignore_index=True)
    evidence = np.where(np.arange(len(contacts)) % 2 == 0, 1.0, -1.0)
    side, _ = SideAssigner().assign(contacts, evidence)
    assert list(side[:4]) == ["left", "right", "left", "right"]
    assert (side != "").all()


def test_confidence_is_the_parity_posterior_of_the_agreeing_steps():
    # 3 of 4 agree: q = 0.75, margin 2: 1 / (1 + (1/3)^2) = 0.9
    assert SideAssigner().confidence(0.75, 4) == pytest.approx(0.9)
    # half agree: no better than a coin
    assert SideAssigner().confidence(0.5, 10) == pytest.approx(0.5)
    # all agree: q capped at 0.95, margin 4: 1 / (1 + (1/19)^4)
    assert SideAssigner().confidence(1.0, 4) == pytest.approx(1 / (1 + (0.05 / 0.95) ** 4))


def _running_pelvis(n_steps: int, rotation_sign: float, step_s: float = 0.35, fs: float = 200.0):
    """Pelvic angles of a runner whose even steps are left: obliquity up in left stance, the
    rotation turned left at a left contact (times ``rotation_sign``)."""
    t_s = np.arange(0.0, 1.0 + step_s * (n_steps + 2), 1.0 / fs)
    phase = (t_s - 1.0) / step_s
    left = np.floor(phase) % 2 == 0
    sign = np.where(left, 1.0, -1.0)
    u = phase - np.floor(phase)
    obliquity = sign * 5.0 * np.where(u < 0.6, np.sin(np.pi * u / 0.6) ** 2, 0.0)
    rotation = rotation_sign * sign * 4.0 * np.cos(np.pi * u)
    angles = np.column_stack([np.zeros_like(t_s), obliquity, rotation])
    contacts = pd.DataFrame({"t_ic_s": 1.0 + step_s * np.arange(n_steps), "bout": 0, "activity": "running"})
    contacts["t_fc_s"] = contacts["t_ic_s"] + 0.6 * step_s
    acc = np.tile([0.0, 0.0, 1.0], (t_s.size, 1))
    return t_s, acc, np.zeros((t_s.size, 3)), fs, contacts, angles


def test_running_sides_follow_obliquity_and_rotation():
    t_s, acc, gyr, fs, contacts, angles = _running_pelvis(30, rotation_sign=1.0)
    evidence = SideAssigner().evidence(t_s, acc, gyr, fs, contacts, angles)
    side, conf = SideAssigner().assign(contacts, evidence)
    assert list(side) == ["left", "right"] * 15 and np.all(conf > 0.99)


def test_a_bout_whose_rotation_contradicts_its_obliquity_gets_no_sides():
    """A forward axis found backwards flips the obliquity but not the rotation: caught, not labelled."""
    t_s, acc, gyr, fs, contacts, angles = _running_pelvis(30, rotation_sign=-1.0)
    assigner = SideAssigner()
    cues = assigner.cues(t_s, acc, gyr, fs, contacts, angles)
    assert assigner.inconsistent_activities(contacts, cues) == ["running"]
    side, _ = assigner.assign(contacts, assigner.evidence_from(contacts, cues))
    assert set(side) == {""}
