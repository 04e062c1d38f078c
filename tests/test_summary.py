"""Whole-run statistics of the steps table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formlab.summary import cadence_spm, side_medians, stride_median


def _steps(step_s, values):
    step_s = np.asarray(step_s, dtype=float)
    t_ic = np.concatenate([[0.0], np.cumsum(step_s)[:-1]])
    return pd.DataFrame({"t_ic_s": t_ic, "step_time_s": step_s, "vertical_oscillation_cm": values})


def test_stride_median_is_the_middle_of_two_unequal_sides():
    steps = _steps([0.36] * 200, np.tile([5.0, 9.0], 100))  # left 5 cm, right 9 cm
    assert stride_median(steps, "vertical_oscillation_cm") == pytest.approx(7.0)
    # the plain median of the same steps jumps with which steps are counted
    fewer = steps.drop(index=[1, 3]).reset_index(drop=True)
    assert np.median(fewer.vertical_oscillation_cm) == pytest.approx(5.0)
    assert stride_median(fewer, "vertical_oscillation_cm") == pytest.approx(7.0)


def test_stride_median_pairs_only_consecutive_steps():
    # two bouts: the last step of the first has no step time, so no pair spans the break
    first = _steps([0.36] * 4, [6.0] * 4)
    first.loc[3, "step_time_s"] = np.nan
    second = _steps([0.36] * 3, [8.0] * 3)
    second["t_ic_s"] += 100.0
    both = pd.concat([first, second], ignore_index=True)
    # pairs 6, 6, 6 and 8, 8; a pair across the break (7) would move the median to 6.5
    assert stride_median(both, "vertical_oscillation_cm") == pytest.approx(6.0)


def test_stride_median_of_one_step_is_its_value():
    assert stride_median(_steps([0.36], [7.5]), "vertical_oscillation_cm") == pytest.approx(7.5)


def test_cadence_from_the_median_stride_with_unequal_step_times():
    steps = _steps(np.tile([0.34, 0.42], 50), np.zeros(100))
    assert cadence_spm(steps) == pytest.approx(120 / 0.76)


def _sided_steps(side):
    n = len(side)
    steps = _steps([0.36] * n, np.full(n, 8.0))
    left = np.arange(n) % 2 == 0  # left, right, left, ...
    return steps.assign(side=side, contact_ms=np.where(left, 230.0, 270.0), impact_g=np.where(left, 2.0, 3.0),
                        braking_mps=np.where(left, 0.1, 0.2), pelvic_drop_deg=np.nan, pelvic_tilt_deg=np.nan,
                        pelvic_tilt_range_deg=np.nan, pelvic_rotation_range_deg=np.nan)


@pytest.mark.parametrize("labelled", [True, False])
def test_the_mean_of_a_sided_metric_is_the_middle_of_the_sides(labelled):
    side = ["left", "right"] * 50 + ["left"]  # one more left step: a plain median is the left value
    steps = _sided_steps(side if labelled else [None] * len(side))
    steps.loc[len(steps) - 1, "step_time_s"] = np.nan
    m = side_medians(steps)
    assert np.median(steps.contact_ms) == pytest.approx(230.0)
    assert m["contact_ms"] == pytest.approx(250.0)
    assert m["impact_g"] == pytest.approx(2.5)
    assert m["braking_mps"] == pytest.approx(0.15)
    assert (m["contact_left_ms"] is not None) == labelled
