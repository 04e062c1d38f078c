"""The clock and sensor checks every importer shares (formlab.timeline, formlab.sensor_checks)."""

import numpy as np
import pytest

from formlab import sensor_checks, timeline
from formlab.calibration import device_file_name
from formlab.errors import InputError
from formlab.recording import Recording
from formlab.treadmill import speed_stages

T_100HZ = np.arange(1000) / 100.0


@pytest.mark.parametrize("scale, meta, unit_known, note", [
    (1.0, 100.0, True, None),
    (1e3, 100.0, True, "read as ms"),
    (1e6, None, True, "read as µs"),
    (1e9, None, False, "read as ns"),
    (1e-6, 100.0, True, "multiplied by 1e+06"),
    (1.0, 50.0, True, "disagrees with the timestamps (100 Hz)"),
])
def test_clock_unit_follows_metadata_or_a_plausible_rate(scale, meta, unit_known, note):
    notes = []
    t_s, rate = timeline.settle_clock(T_100HZ * scale + 1e3 * scale, meta, "r.csv", notes, unit_known=unit_known)
    assert rate == pytest.approx(100.0)
    np.testing.assert_allclose(np.diff(t_s), 0.01, rtol=1e-6)
    assert (note is None and not notes) or (note in notes[0])


def test_clock_without_any_plausible_unit_is_refused():
    with pytest.raises(InputError, match="no time unit"):
        timeline.settle_clock(np.arange(10) * 1e12, None, "r.csv", [])
    with pytest.raises(InputError, match="matches neither"):
        timeline.settle_clock(np.arange(10) * 5e4, 100.0, "r.csv", [])


def test_a_long_pause_keeps_the_longest_part_and_a_mostly_empty_span_is_refused():
    notes = []
    t = np.r_[T_100HZ[:300], T_100HZ[300:] + 1e9]
    part = timeline.longest_part(t, 100.0, "r.csv", notes)
    assert part == slice(300, 1000) and "split" in notes[0]
    with pytest.raises(InputError, match="more than 50% of it is gaps"):
        timeline.longest_part(np.r_[T_100HZ, T_100HZ + 200], 100.0, "r.csv", [])


def test_isolated_outliers_are_repaired_and_common_ones_refused():
    acc = np.tile([0.0, 0.0, 1.0], (5000, 1))
    acc[100, 2] = 1e10
    notes = []
    fixed = sensor_checks.repair_outliers(acc, 64.0, ["ax", "ay", "az"], "g", "r.csv", 2, notes)
    assert fixed[100, 2] == 1.0 and "line 102" in notes[0]
    fixed[200:300, 0] = -1e308
    with pytest.raises(InputError, match=r"r.csv:202: ax = -1e\+308 is beyond"):
        sensor_checks.repair_outliers(fixed, 64.0, ["ax", "ay", "az"], "g", "r.csv", 2, [])


def _running(n=3000, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 100.0
    acc = np.column_stack([0.3 * np.sin(9 * t), 0.2 * np.sin(4.5 * t), 1 + 0.9 * np.sin(18 * t)])
    gyr = np.column_stack([40 * np.sin(4.5 * t), 30 * np.cos(4.5 * t), 20 * np.sin(9 * t)]) + rng.normal(0, 0.1, (n, 3))
    return acc, gyr


def test_gyroscope_units_and_dead_axes():
    acc, gyr = _running()
    sensor_checks.check_gyroscope_unit(gyr, acc, "dps", "gx", "r.csv", 1)  # plausible: no error
    with pytest.raises(InputError, match="look like rad/s"):
        sensor_checks.check_gyroscope_unit(gyr / 57.3, acc, "dps", "gx", "r.csv", 1)
    with pytest.raises(InputError, match="look like deg/s"):
        sensor_checks.check_gyroscope_unit(gyr * 57.3, acc, "rads", "gx", "r.csv", 1)
    assert sensor_checks.infer_gyroscope_unit(gyr / 57.3, acc) == "rads"
    assert sensor_checks.infer_gyroscope_unit(gyr, acc) == "dps"
    assert sensor_checks.dead_gyroscope_axes(gyr, acc) == []
    gyr[:, 1] = 0.0
    assert sensor_checks.dead_gyroscope_axes(gyr, acc) == ["y"]


def test_one_accelerometer_axis_in_mps2_is_caught():
    acc, _ = _running()
    sensor_checks.check_accelerometer_unit(acc, "g", "acc_x_g", "r.csv", 1)
    acc[:, 0] = acc[:, 0] * 9.80665 + 2.0
    with pytest.raises(InputError, match="is one axis"):
        sensor_checks.check_accelerometer_unit(acc, "g", "acc_x_g", "r.csv", 1)


@pytest.mark.parametrize("speed", ["1e-300", "1e308", "-3", "0"])
def test_absurd_treadmill_speed_is_refused(speed):
    rec = Recording(t_s=T_100HZ, acc_g=np.tile([0, 0, 1.0], (1000, 1)), metadata={"treadmill_speed_mps": speed},
                    path="r.csv")
    with pytest.raises(InputError, match="0.1 to 12.5 m/s"):
        speed_stages(rec)
    with pytest.raises(InputError, match="0.1 to 12.5 m/s"):
        speed_stages(rec, speed_mps=float(speed))


def test_error_lines_are_one_short_line_and_device_file_names_short():
    message = str(InputError("r.csv", 3, "x" * 300_000 + "\r\n"))
    assert "\n" not in message and "\r" not in message and len(message) < 220
    assert len(device_file_name("imu " * 2500)) <= 69
