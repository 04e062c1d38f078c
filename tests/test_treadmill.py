"""Treadmill speed: one speed or stages, from --speed or the recording's metadata."""

import numpy as np
import pytest

from formlab.analysis import analyze
from formlab.errors import InputError
from formlab.recording import Recording
from formlab.simulate import Phase, Runner, SimParams, simulate
from formlab.treadmill import speed_at, speed_stages


def _rec(**meta):
    return Recording(t_s=np.arange(10) / 100, acc_g=np.tile([0, 0, 1.0], (10, 1)), metadata=meta, path="r.csv")


def test_stage_lookup_and_precedence():
    rec = _rec(treadmill_speed_stages="0:2.8, 300:3.3, 600:3.6", treadmill_speed_mps="9")
    stages = speed_stages(rec)
    assert stages == [(0.0, 2.8), (300.0, 3.3), (600.0, 3.6)]
    np.testing.assert_array_equal(speed_at(stages, [-1, 0, 299.9, 300, 1000]), [np.nan, 2.8, 2.8, 3.3, 3.6])
    assert speed_stages(rec, speed_mps=3.0) == [(-np.inf, 3.0)]  # --speed wins
    assert speed_stages(_rec(treadmill_speed_mps="3.33")) == [(-np.inf, 3.33)]
    assert speed_stages(_rec()) is None


@pytest.mark.parametrize("meta, problem", [
    ({"treadmill_speed_stages": "0:2.8, 300"}, "'300' is not 'start_s:speed_mps'"),
    ({"treadmill_speed_stages": "0:2.8, 300:-1"}, "'300:-1' is not"),
    ({"treadmill_speed_stages": "300:2.8, 0:3"}, "start times must increase"),
    ({"treadmill_speed_mps": "fast"}, "treadmill_speed_mps must be a positive number"),
])
def test_bad_speed_metadata_is_one_located_line(meta, problem):
    with pytest.raises(InputError, match=problem) as info:
        speed_stages(_rec(**meta))
    assert str(info.value).startswith("r.csv: ")


def test_step_length_follows_the_stages():
    slow, fast = Runner(cadence_spm=166, speed_mps=2.8), Runner(cadence_spm=176, speed_mps=3.6)
    res = simulate(SimParams(phases=[Phase(5, "standing"), Phase(40, "running", slow), Phase(40, "running", fast)],
                             rate_hz=100.0), seed=3)
    res.recording.metadata["treadmill_speed_stages"] = "0:2.8, 45:3.6"
    steps = analyze(res.recording, rules=False).running_steps
    early, late = steps[steps["t_ic_s"] < 40], steps[steps["t_ic_s"] > 50]
    assert (early["speed_mps"] == 2.8).all() and (late["speed_mps"] == 3.6).all()
    assert (early["speed_mps"] * early["step_time_s"]).median() == pytest.approx(2.8 * 60 / 166, rel=0.02)
    assert (late["speed_mps"] * late["step_time_s"]).median() == pytest.approx(3.6 * 60 / 176, rel=0.02)
