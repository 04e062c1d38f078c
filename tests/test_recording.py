"""The recording reader: every malformed input is one located error; good input reads exactly."""

import numpy as np
import pytest

from formlab.errors import InputError
from formlab.recording import Recording, RecordingAppender, read_recording, write_recording

HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"


def _rows(n=20, rate_hz=100.0, acc=(0.0, 0.0, 1.0)):
    return "".join(f"{k / rate_hz:.6f},{acc[0]},{acc[1]},{acc[2]},0.5,-0.25,0.125\n" for k in range(n))


def _write(tmp_path, text, name="rec.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(tmp_path, text):
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_recording(p)
    return str(info.value), p


def test_reads_values_units_metadata_exactly(tmp_path):
    text = "# formlab-recording: 1\n# sample_rate_hz: 100\n# athlete: A. Runner\n" + HEADER + _rows(5)
    rec = read_recording(_write(tmp_path, text))
    assert rec.n_samples == 5
    assert rec.sample_rate_hz == 100.0
    assert rec.metadata["athlete"] == "A. Runner"  # unknown keys pass through
    np.testing.assert_allclose(rec.acc_g[0], [0, 0, 1])
    np.testing.assert_allclose(rec.gyr_dps[3], [0.5, -0.25, 0.125])
    assert rec.gaps == []


def test_converts_mps2_and_rads(tmp_path):
    header = "t_s,acc_x_mps2,acc_y_mps2,acc_z_mps2,gyr_x_rads,gyr_y_rads,gyr_z_rads\n"
    rows = "".join(f"{k / 100:.2f},0,0,9.80665,{np.pi},0,0\n" for k in range(5))
    rec = read_recording(_write(tmp_path, header + rows))
    np.testing.assert_allclose(rec.acc_g[:, 2], 1.0)
    np.testing.assert_allclose(rec.gyr_dps[:, 0], 180.0)


def test_accelerometer_only_is_accepted(tmp_path):
    rows = "".join(f"{k / 50:.2f},0,1,0\n" for k in range(10))
    rec = read_recording(_write(tmp_path, "t_s,acc_x_g,acc_y_g,acc_z_g\n" + rows))
    assert rec.gyr_dps is None and not rec.has_gyro


def test_gaps_are_reported_with_missing_samples(tmp_path):
    t = np.r_[np.arange(10), np.arange(15, 20)] / 100.0
    rows = "".join(f"{x:.2f},0,0,1\n" for x in t)
    rec = read_recording(_write(tmp_path, "# sample_rate_hz: 100\nt_s,acc_x_g,acc_y_g,acc_z_g\n" + rows))
    assert len(rec.gaps) == 1
    assert rec.gaps[0].missing_samples == 5  # samples 10..14
    assert rec.gaps[0].start_s == pytest.approx(0.09) and rec.gaps[0].end_s == pytest.approx(0.15)
    assert rec.lost_s == pytest.approx(0.05)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "rec.csv: empty file"),
        ("# sample_rate_hz: 100\n", "rec.csv:2: header row missing"),
        ("t_s,acc_x_g,acc_y_g\n0,0,0\n", "rec.csv:1: missing column acc_z_g"),
        ("time,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n", "rec.csv:1: missing column 't_s'"),
        ("t_s,gyr_x_dps,gyr_y_dps,gyr_z_dps\n0,0,0,1\n", "rec.csv:1: missing column acc_x_g"),
        ("t_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n0,0,0,9.8\n", "rec.csv:1: column 'acc_x_ms2' has unknown unit 'ms2'"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,abc,1\n0.02,0,0,1\n", "rec.csv:3: non-numeric value 'abc' in column 'acc_y_g'"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,0\n0.02,0,0,1\n", "rec.csv:3: expected 4 values, found 3"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,,1\n0.02,0,0,1\n", "rec.csv:3: empty value in column 'acc_y_g'"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.02,0,0,1\n0.01,0,0,1\n", "rec.csv:4: time goes backwards"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,0,1\n0.01,0,0,1\n", "rec.csv:4: duplicate timestamp"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,9.81\n0.01,0,0,9.79\n0.02,0,0,9.8\n", "rec.csv:1: acc_x_g says g but the median |acc| is 9.80 g"),
        ("t_s,acc_x_mps2,acc_y_mps2,acc_z_mps2\n0,0,0,1\n0.01,0,0,1.01\n", "rec.csv:1: acc_x_mps2 says m/s² but the median |acc| is"),
        ("# formlab-recording: 2\nt_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n", "rec.csv:1: recording format version '2' is not supported"),
        ("# sample_rate_hz: fast\nt_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n", "rec.csv:1: sample_rate_hz must be a positive number"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n\n0.02,0,0,1\n", "rec.csv:3: empty line inside the samples"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,nan\n0.01,0,0,1\n", "rec.csv:2: value 'nan' in column 'acc_z_g' is not a finite number"),
        ("t_s,acc_x_g,acc_x_g,acc_y_g,acc_z_g\n0,0,0,0,1\n", "rec.csv:1: column 'acc_x_g' appears twice"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n", "rec.csv:1: no samples after the header row"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g\n \t\r\n\n", "rec.csv:1: no samples after the header row"),
        ("t_s,acc_x_g,acc_y_g,acc_z_g", "rec.csv:1: no samples after the header row"),
        (" \r\n\t\n", "rec.csv: empty file"),
    ],
)
def test_bad_input_is_one_located_line(tmp_path, text, expected):
    message, _ = _error(tmp_path, text)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "rec.csv") + ":")
    assert expected.replace("rec.csv", str(tmp_path / "rec.csv")) in message


def test_missing_file_and_binary_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_recording(tmp_path / "nope.csv")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n\xff\xfe\x00,1,2,3\n")
    with pytest.raises(InputError, match=r"bin.csv:3: not UTF-8"):
        read_recording(p)
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # a picture, not a recording
    with pytest.raises(InputError, match=r"bin.csv:1: not UTF-8"):
        read_recording(p)


def test_final_newlines_of_either_kind_are_not_samples(tmp_path):
    rec = read_recording(_write(tmp_path, HEADER + _rows(5).replace("\n", "\r\n") + "\r\n\n"))
    assert rec.n_samples == 5 and not rec.warnings


def test_arrays_do_not_keep_the_parsed_table_alive(tmp_path):
    """Each array owns its memory: a view into the parsed table would hold every column of it."""
    text = "# sample_rate_hz: 100\n" + HEADER.rstrip("\n") + ",host_time_s\n" + "".join(
        f"{k / 100:.2f},0,0,1,0.5,-0.25,0.125,{1000 + k / 100:.2f}\n" for k in range(10))
    rec = read_recording(_write(tmp_path, text))
    for x in (rec.t_s, rec.acc_g, rec.gyr_dps, rec.host_time_s):
        assert x.base is None or x.base.size == x.size
    np.testing.assert_allclose(rec.host_time_s, 1000 + np.arange(10) / 100)


def _numbered_rows(n):
    return "".join(f"{k / 100:.2f},{k % 7 / 10},{k % 5 / 10},1.0,{k % 3},0.25,{-k % 11}\n" for k in range(n))


def test_parsing_in_two_halves_reads_the_same_numbers(tmp_path, monkeypatch):
    text = "# sample_rate_hz: 100\n" + HEADER + _numbered_rows(101) + "1.01,0,0,1."  # + a truncated line
    whole = read_recording(_write(tmp_path, text))
    monkeypatch.setattr("formlab.recording.PARALLEL_MIN_ROWS", 10)
    halves = read_recording(_write(tmp_path, text))
    assert halves.n_samples == whole.n_samples == 101 and halves.warnings == whole.warnings
    for a, b in ((whole.t_s, halves.t_s), (whole.acc_g, halves.acc_g), (whole.gyr_dps, halves.gyr_dps)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(halves.gyr_dps[:, 2], -np.arange(101) % 11)


@pytest.mark.parametrize("bad_row, problem", [(25, "non-numeric value 'x'"), (80, "non-numeric value 'x'"),
                                              (80, "empty line inside the samples")])
def test_a_problem_in_either_half_is_located(tmp_path, monkeypatch, bad_row, problem):
    monkeypatch.setattr("formlab.recording.PARALLEL_MIN_ROWS", 10)
    rows = _numbered_rows(100).splitlines(keepends=True)
    rows[bad_row] = "\n" if problem.startswith("empty") else rows[bad_row].replace(",1.0,", ",x,")
    message, p = _error(tmp_path, "# sample_rate_hz: 100\n" + HEADER + "".join(rows))
    assert message.startswith(f"{p}:{bad_row + 3}: {problem}")


def test_truncated_final_line_is_dropped_with_warning(tmp_path):
    text = HEADER + _rows(5) + "0.050000,0.0,0.0,1."  # cut mid-write, no newline
    rec = read_recording(_write(tmp_path, text))
    assert rec.n_samples == 5
    assert rec.warnings and "truncated final line dropped" in rec.warnings[0]
    assert ":7:" in rec.warnings[0]


def test_write_then_read_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    n = 500
    rec = Recording(t_s=np.arange(n) / 104.0, acc_g=rng.normal(0, 1, (n, 3)) + [0, 0, 1],
                    gyr_dps=rng.normal(0, 50, (n, 3)), metadata={"device": "x", "sample_rate_hz": "104"})
    p = tmp_path / "rt.csv"
    write_recording(p, rec)
    back = read_recording(p)
    np.testing.assert_allclose(back.t_s, rec.t_s, atol=1e-6)
    np.testing.assert_allclose(back.acc_g, rec.acc_g, atol=1e-5)
    np.testing.assert_allclose(back.gyr_dps, rec.gyr_dps, atol=1e-4)
    assert back.metadata["device"] == "x"


def test_appender_flushes_every_batch_and_reads_back(tmp_path):
    p = tmp_path / "live.csv"
    app = RecordingAppender(p, {"sample_rate_hz": "200", "device": "virtual"}, has_gyro=True)
    for b in range(3):
        idx = np.arange(b * 10, b * 10 + 10)
        app.append(idx / 200.0, np.tile([0, 0, 1.0], (10, 1)), np.zeros((10, 3)), idx, 1e9 + idx / 200.0)
        # visible on disk before close: a crash now would keep it
        assert read_recording(p).n_samples == (b + 1) * 10
    app.close()
    rec = read_recording(p)
    np.testing.assert_array_equal(rec.sample_index, np.arange(30))
    assert rec.host_time_s[0] == pytest.approx(1e9)
