"""The validation statistics and matching, on inputs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from formlab import validation
from formlab.validation import (
    Detection, agreement, ankle_impacts, cadence_from_intervals, contacts_from_force, match_events,
    analysis_windowed_cadence, null_metrics, reference_windowed_cadence,
)


def test_agreement_bias_sd_and_limits():
    a = agreement([1.0, 2.0, 3.0, float("nan")])
    assert (a.bias, a.sd, a.n) == (2.0, 1.0, 3)
    assert a.low == pytest.approx(2 - 1.96) and a.high == pytest.approx(2 + 1.96)
    assert a.within(4.0) and not a.within(3.9)
    empty = agreement([])
    assert empty.n == 0 and math.isnan(empty.bias) and not empty.within(1e9)


def test_match_events_pairs_closest_first_one_to_one():
    detected = [0.98, 1.03, 2.5, 3.01]
    reference = [1.0, 2.0, 3.0]
    i_d, i_r = match_events(detected, reference, tolerance_s=0.05)
    assert list(zip(i_d, i_r)) == [(0, 0), (3, 2)]  # 0.98 is closer to 1.0 than 1.03; 2.5 is too far
    i_d, i_r = match_events([1.03, 0.98], [1.0, 1.04], tolerance_s=0.05)
    assert sorted(zip(i_d, i_r)) == [(0, 1), (1, 0)]
    assert match_events([], [1.0], 0.1)[0].size == 0


def test_detection_scores():
    d = Detection(matched=9, detected=10, reference=12)
    assert d.recall == pytest.approx(0.75)
    assert d.precision == pytest.approx(0.9)
    assert d.false_share == pytest.approx(0.1)
    assert d.f1 == pytest.approx(18 / 22)


def test_contacts_from_force_drops_cut_contacts():
    t = np.arange(12) * 0.1
    grf = np.array([1.0, 0.5, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 1.5, 0.0, 0.0, 0.3])
    contacts = contacts_from_force(t, grf, min_contact_s=0.05)
    assert contacts.t_ic_s.tolist() == pytest.approx([0.4, 0.8])
    assert contacts.t_fc_s.tolist() == pytest.approx([0.6, 0.9])
    longer = contacts_from_force(t, grf, min_contact_s=0.15)  # the 0.1 s contact is a blip now
    assert longer.t_ic_s.tolist() == pytest.approx([0.4])


def test_cadence_ignores_pauses_and_windows_need_coverage():
    intervals = [0.35] * 20 + [2.0]  # a pause
    assert cadence_from_intervals(intervals) == pytest.approx(60 / 0.35)
    assert cadence_from_intervals([0.7] * 10, steps_per_interval=2) == pytest.approx(60 / 0.35)
    events = np.concatenate([np.arange(0, 60, 0.4), np.arange(100, 110, 0.4)])
    w = reference_windowed_cadence(events, 30.0, 0.0, 120.0)
    assert w.cadence_spm.iloc[0] == pytest.approx(150.0) and w.cadence_spm.iloc[1] == pytest.approx(150.0)
    assert w.cadence_spm.iloc[2:].isna().all()  # 10 s of steps do not cover a 30 s window


def test_analysis_window_cadence_is_the_products_median_stride():
    # a hip sensor's alternating 0.34 / 0.42 s step times: the stride (0.76 s) gives 157.9 spm; a
    # median single step time would give 141.6 or 174.6
    step_s = np.tile([0.34, 0.42], 200)
    t_ic = np.concatenate([[0.0], np.cumsum(step_s)[:-1]])
    steps = pd.DataFrame({"t_ic_s": t_ic, "step_time_s": step_s})
    w = analysis_windowed_cadence(steps, 30.0, 0.0, 150.0)
    assert w.cadence_spm.iloc[:5].tolist() == pytest.approx([120 / 0.76] * 5)
    sparse = analysis_windowed_cadence(steps.iloc[::4], 30.0, 0.0, 150.0)  # a quarter of the steps
    assert sparse.cadence_spm.isna().all()


def test_ankle_impacts_finds_one_peak_per_stride():
    rate = 100
    t = np.arange(0, 10, 1 / rate)
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 1.0
    strikes = np.arange(50, t.size - 10, 75)  # every 0.75 s
    acc[strikes, 2] = 5.0
    acc[strikes + 3, 2] = 4.0  # a rebound 30 ms later is not a second impact
    assert ankle_impacts(t, acc) == pytest.approx(t[strikes])


def test_null_metrics_names_nested_nulls():
    summary = {"metrics": {"cadence_spm": 170, "pelvic_tilt_deg": {"mean": None, "range": None},
                           "step_length_m": None}}
    assert null_metrics(summary) == ["pelvic_tilt_deg.mean", "pelvic_tilt_deg.range", "step_length_m"]


def test_grid_sessions_are_reproducible_one_by_one():
    from formlab.validation import grid_session

    a, seed_a = grid_session(1, 3)
    b, seed_b = grid_session(1, 3)
    c, _ = grid_session(1, 4)
    assert seed_a == seed_b == 1003
    assert a.phases[-1].start == b.phases[-1].start
    assert np.array_equal(a.R_sensor_from_body, b.R_sensor_from_body)
    assert a.phases[-1].start != c.phases[-1].start


_times = st.lists(st.floats(0, 100, allow_nan=False), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_times, _times, st.floats(0.001, 1.0))
def test_matching_is_one_to_one_and_within_tolerance(detected, reference, tolerance):
    i_d, i_r = match_events(detected, reference, tolerance)
    assert len(set(i_d)) == len(i_d) and len(set(i_r)) == len(i_r)
    assert all(abs(detected[i] - reference[j]) <= tolerance for i, j in zip(i_d, i_r))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-0.02, 0.02), min_size=1, max_size=30))
def test_jittered_copies_of_well_separated_events_all_match(jitter):
    reference = np.arange(len(jitter)) * 0.3
    detected = reference + np.array(jitter)
    i_d, i_r = match_events(detected[::-1], reference, 0.05)
    assert len(i_r) == len(reference)
    assert list(i_r) == list(range(len(reference)))
    assert list(len(reference) - 1 - i_d) == list(range(len(reference)))


def test_complete_reference_spans_stop_at_missing_doubled_and_odd_steps():
    from formlab.validation import complete_reference_spans

    t = np.array([1.0, 1.5, 2.0, 2.5, 3.6, 4.1, 4.6, 4.8, 5.3, 10.0, 10.5])
    side = np.array(["l", "r", "l", "r", "r", "l", "r", "l", "r", "l", "r"])
    bout = np.array([0.0] * 9 + [9.0] * 2)
    # 2.5 -> 3.6: same side (a step missing); 4.6 -> 4.8: too short; 5.3 -> 10.0: another bout
    assert complete_reference_spans(t, side, bout) == [(1.0, 2.5), (3.6, 4.6), (4.8, 5.3), (10.0, 10.5)]


def test_forward_around_toe_off_finds_the_dip_after_toe_off():
    from formlab.validation import forward_around_toe_off

    t = np.arange(0, 10, 0.002)
    t_fc = np.arange(1.0, 9.0, 0.35)
    fwd = np.zeros_like(t)
    for fc in t_fc:  # -0.5 g at toe-off, deepest (-0.8 g) 20 ms after it
        fwd -= 0.8 * np.exp(-0.5 * ((t - fc - 0.020) / 0.0206) ** 2)
    at_fc, lowest, lowest_ms = forward_around_toe_off(t, fwd, t_fc)
    assert at_fc == pytest.approx(-0.8 * np.exp(-0.5 * (0.020 / 0.0206) ** 2), abs=1e-6)
    assert lowest == pytest.approx(-0.8, abs=1e-6) and lowest_ms == pytest.approx(20.0)


def test_other_seeds_runs_the_next_seeds_and_names_every_failure(monkeypatch):
    def fake_grid(runs, seed):
        sec = validation.Section("(a) Simulated grid")
        sec.check("cadence", f"seed {seed}", "within ±0.5", True)
        sec.check("contact", f"seed {seed}", "within ±10", seed != 6)
        return sec

    monkeypatch.setattr(validation, "simulated_grid", fake_grid)
    sec = validation.other_seeds(runs=4, seed=4, count=3)
    (check,) = sec.checks
    assert not check.passed and check.value == "5 of 6 pass (fails: contact (seed 6))"
    assert "| contact | within ±10 | seed 5 **PASS** | seed 6 **FAIL** | seed 7 **PASS** |" in sec.lines
    assert validation.other_seeds(runs=4, seed=10, count=2).checks[0].value == "4 of 4 pass (seeds 11–12)"
