"""Side-label checks of the validation page, and where the validation finds its data."""

from __future__ import annotations

import numpy as np
import pytest

from formlab import validation
from formlab.errors import InputError
from formlab.validation_mocap import stride_range_deg
from formlab.validation_sides import (
    labelling, leave_one_subject_out, reliability, reliability_holds, unknown_threshold,
)


def test_reliability_bins_stated_confidence_against_observed_accuracy():
    conf = [0.92, 0.94, 0.95, 0.96, 1.0, 1.0]
    correct = [True, True, False, True, True, True]
    rows = reliability(conf, correct, edges=(0.9, 0.97, 1.0))
    assert rows[0][:3] == (0.9, 0.97, 4) and rows[0][3] == pytest.approx(0.9425) and rows[0][4] == 0.75
    assert rows[1][2:] == (2, 1.0, 1.0)  # the top bin includes 1
    assert not reliability_holds(rows)  # 94 % stated, 75 % observed
    assert reliability_holds(reliability([0.95] * 20, [True] * 19 + [False]))


def test_unknown_threshold_is_where_accuracy_from_there_on_reaches_the_target():
    conf = np.r_[np.full(10, 0.6), np.full(90, 0.995)]
    correct = np.r_[np.zeros(10, bool), np.ones(90, bool)]  # 90 % overall, 100 % from 0.9 on
    assert unknown_threshold(conf, correct) == 0.9
    assert unknown_threshold(conf, np.ones(100, bool)) == 0.5
    assert unknown_threshold([0.995], [False]) == 1.0  # none reaches it


def test_leave_one_subject_out_chooses_each_threshold_on_the_others():
    # subject A's low-confidence steps are wrong; B's are right: B keeps its own only if A allows it
    subject = np.array(["A"] * 20 + ["B"] * 20)
    conf = np.tile(np.r_[np.full(5, 0.6), np.full(15, 0.999)], 2)
    correct = np.r_[np.zeros(5, bool), np.ones(15, bool), np.ones(20, bool)]
    total, thresholds = leave_one_subject_out(subject, conf, np.ones(40, bool), correct)
    assert thresholds == {"A": 0.5, "B": 0.9}
    assert (total.steps, total.labelled, total.correct) == (40, 35, 30)
    assert labelling(conf, np.ones(40, bool), correct, 0.999).coverage == pytest.approx(30 / 40)


def test_stride_range_is_the_mean_peak_to_peak_over_strides():
    t_s = np.arange(0, 10, 0.01)
    angle = 3.0 * np.sin(2 * np.pi * t_s / 0.7)  # one period per stride
    assert stride_range_deg(t_s, angle, np.arange(1.0, 8.0, 0.35)) == pytest.approx(6.0, abs=0.01)


def test_missing_data_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    out = tmp_path / "validation.md"
    out.write_text("the previous page\n")
    monkeypatch.delenv("FORMLAB_DATA", raising=False)
    assert validation.main(["--parts", "c", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("formlab: ") and "lowerback-walking-indip" in err and len(err.splitlines()) == 1
    assert out.read_text() == "the previous page\n"


def test_data_folder_comes_from_the_option_then_the_environment(tmp_path, monkeypatch):
    (tmp_path / "mocap-sacral-virtual").mkdir()
    monkeypatch.setenv("FORMLAB_DATA", str(tmp_path))
    assert validation.data_folder(None, "m") == tmp_path
    assert validation.data_folder(tmp_path, "am") == tmp_path
    with pytest.raises(InputError):
        validation.data_folder(None, "b")
    assert validation.data_folder(tmp_path / "x", "as") == tmp_path / "x"  # simulated parts need no data
