"""The walking-IC comparison's own arithmetic (mobgap itself is not needed for these)."""

import numpy as np
import pytest

from formlab.compare_walking_ic import WalkingRecording, detection_at, in_reference_bouts, mobgap_columns, offsets_ms
from formlab.frames import G_MPS2


def test_body_frame_goes_to_mobgap_axes_in_metres_per_second_squared():
    acc_g = np.array([[0.1, -0.2, 1.0]])  # forward, left, up
    gyr_dps = np.array([[5.0, 6.0, 7.0]])
    df = mobgap_columns(acc_g, gyr_dps)
    assert df.acc_is[0] == pytest.approx(G_MPS2)
    assert df.acc_pa[0] == pytest.approx(0.1 * G_MPS2)
    assert df.acc_ml[0] == pytest.approx(-0.2 * G_MPS2)
    assert (df.gyr_pa[0], df.gyr_ml[0], df.gyr_is[0]) == (5.0, 6.0, 7.0)


def test_a_constant_delay_costs_matches_until_it_is_taken_off():
    ref = [np.arange(10) * 0.6]
    late = [ref[0] + 0.08]  # every contact detected 80 ms late
    assert detection_at(late, ref, 0.05).f1 == 0.0
    assert detection_at(late, ref, 0.10).f1 == 1.0
    assert np.allclose(offsets_ms(late, ref), 80.0)
    assert detection_at(late, ref, 0.05, shift_s=-0.08).f1 == 1.0


def test_counts_add_over_recordings():
    ref = [np.array([1.0, 2.0]), np.array([5.0, 6.0, 7.0])]
    found = [np.array([1.01]), np.array([5.0, 6.3, 7.02, 9.0])]
    d = detection_at(found, ref, 0.05)
    assert (d.matched, d.detected, d.reference) == (3, 5, 5)


def test_detectors_see_each_bout_with_padding_and_keep_what_lies_in_it():
    t_s = np.arange(0, 20, 0.01)
    rec = WalkingRecording("r", t_s, np.zeros((t_s.size, 3)), np.zeros((t_s.size, 3)), 100.0,
                           bouts=np.array([[2.0, 5.0], [10.0, 12.0]]), reference_s=np.array([]), pipeline_s=np.array([]))
    seen = []

    def detect(t, acc_g, gyr_dps, fs):  # "contacts" every half second of what it is shown
        seen.append((round(t[0], 2), round(t[-1], 2)))
        return np.flatnonzero(np.isclose(np.mod(t, 0.5), 0.0) | np.isclose(np.mod(t, 0.5), 0.5))

    found = in_reference_bouts(rec, detect)
    assert seen == [(1.0, 6.0), (9.0, 13.0)]
    assert np.allclose(found, [2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 10.0, 10.5, 11.0, 11.5, 12.0])
