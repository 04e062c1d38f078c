"""Importers: each format read from a file written in its documented layout gives the recording
it was written from; ``analyze`` on a Phyphox and a Sensor Logger file gives the canonical cadence."""

import gzip
import re
import zipfile

import numpy as np
import pytest

import import_samples as samples
from formlab.analysis import analyze
from formlab.cli import main
from formlab.errors import InputError
from formlab.recording import read_recording


@pytest.fixture(scope="module")
def canonical():
    return samples.canonical_slice(60.0)


@pytest.fixture(scope="module")
def canonical_cadence(canonical):
    return analyze(canonical, rules=False).summary["metrics"]["cadence_spm"]


def test_phyphox_gives_the_canonical_cadence(tmp_path, canonical, canonical_cadence):
    samples.write_phyphox(canonical, tmp_path / "Raw Data.csv")
    rec = read_recording(tmp_path / "Raw Data.csv")
    assert any("Phyphox export" in n for n in rec.warnings)
    k = np.searchsorted(canonical.t_s, rec.t_s[0] + canonical.t_s[0] - 1e-9)  # the first sample with a gyro
    np.testing.assert_allclose(rec.acc_g[:100], canonical.acc_g[k:k + 100], atol=1e-6)
    summary = analyze(rec, rules=False).summary
    assert summary["metrics"]["cadence_spm"] == pytest.approx(canonical_cadence, abs=0.2)
    assert any("Phyphox export" in n for n in summary["notes"])  # the terminal's notes say what was read


def test_sensor_logger_folder_gives_the_canonical_cadence(tmp_path, canonical, canonical_cadence):
    samples.write_sensor_logger(canonical, tmp_path / "export")
    rec = read_recording(tmp_path / "export")
    assert rec.has_gyro and rec.metadata["start_time_utc"].startswith("2026-01-01T00:00:00")
    assert analyze(rec, rules=False).summary["metrics"]["cadence_spm"] == pytest.approx(canonical_cadence, abs=0.2)
    same = read_recording(tmp_path / "export" / "TotalAcceleration.csv")  # the file itself, gyro found beside it
    np.testing.assert_allclose(same.gyr_dps, rec.gyr_dps)


def test_sensor_logger_without_gravity_is_refused(tmp_path, canonical):
    samples.write_sensor_logger(canonical, tmp_path)
    (tmp_path / "TotalAcceleration.csv").rename(tmp_path / "Accelerometer.csv")
    with pytest.raises(InputError, match="gravity removed and no Gravity.csv"):
        read_recording(tmp_path / "Accelerometer.csv")


def test_logger_csv_units_and_time_unit_are_inferred_and_said(tmp_path, canonical):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    rec = read_recording(tmp_path / "log.csv")
    np.testing.assert_allclose(rec.acc_g, canonical.acc_g, atol=1e-5)
    np.testing.assert_allclose(rec.gyr_dps, canonical.gyr_dps, atol=1e-3)
    assert rec.sample_rate_hz == pytest.approx(100.0)
    notes = " ".join(rec.warnings)
    assert "m/s² from gravity" in notes and "rad/s from the size" in notes and "timestamp read as ms" in notes


@pytest.mark.parametrize("mapping", [
    "t=timestamp:ms,ax=ax:m/s^2,ay=ay:m/s^2,az=az:m/s^2,gx=gx:rad/s,gy=gy:rad/s,gz=gz:rad/s",
    "TOML",
])
def test_column_mapping_from_the_option_or_a_toml_file(tmp_path, canonical, mapping):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    if mapping == "TOML":
        (tmp_path / "map.toml").write_text('t = "timestamp:ms"\nax = "ax:mps2"\nay = "ay:mps2"\naz = "az:mps2"\n')
        mapping = str(tmp_path / "map.toml")
    rec = read_recording(tmp_path / "log.csv", columns=mapping)
    np.testing.assert_allclose(rec.acc_g, canonical.acc_g, atol=1e-5)
    assert rec.sample_rate_hz == pytest.approx(100.0)
    assert not any("read as ms" in n for n in rec.warnings)  # the unit was given, not guessed


@pytest.mark.parametrize("mapping, problem", [
    ("t=timestamp,ax=ax", "needs t, ax, ay and az"),
    ("t=timestamp,ax=ax,ay=ay,az=nope", "column 'nope' (for az) is not in the header"),
    ("t=timestamp:h,ax=ax,ay=ay,az=az", "unknown time unit 'h'"),
    ("t=timestamp,ax=ax:furlong,ay=ay,az=az", "unknown accelerometer unit 'furlong'"),
    ("q=timestamp", "unknown key 'q'"),
])
def test_bad_column_mapping_is_one_line(tmp_path, canonical, mapping, problem):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    with pytest.raises(InputError, match=re.escape(problem)):
        read_recording(tmp_path / "log.csv", columns=mapping)


def test_iso_timestamps(tmp_path, canonical):
    stamps = np.datetime64("2026-03-01T08:00:00", "us") + np.rint(canonical.t_s[:500] * 1e6).astype("timedelta64[us]")
    lines = ["time,ax,ay,az"] + [f"{np.datetime_as_string(s)}Z,{a[0]},{a[1]},{a[2]}"
                                  for s, a in zip(stamps, canonical.acc_g[:500])]
    (tmp_path / "iso.csv").write_text("\n".join(lines) + "\n")
    rec = read_recording(tmp_path / "iso.csv")
    assert rec.sample_rate_hz == pytest.approx(100.0) and rec.metadata["start_time_utc"].startswith("2026-03-01T08:00")
    assert any("ISO 8601" in n for n in rec.warnings)


def test_spreadsheet_gzip_and_cr_only_read_the_same_numbers(tmp_path, canonical):
    samples.write_spreadsheet(canonical, tmp_path / "excel.csv")
    samples.write_gzip(canonical, tmp_path / "run.csv.gz")
    excel, gz = read_recording(tmp_path / "excel.csv"), read_recording(tmp_path / "run.csv.gz")
    cr = tmp_path / "cr.csv"
    cr.write_bytes(gzip.decompress((tmp_path / "run.csv.gz").read_bytes()).replace(b"\n", b"\r"))
    for rec in (excel, gz, read_recording(cr)):
        np.testing.assert_allclose(rec.acc_g, canonical.acc_g, atol=1e-5)
        np.testing.assert_allclose(rec.t_s, canonical.t_s, atol=1e-6)
    assert any("semicolon" in n for n in excel.warnings)


def test_unknown_header_names_the_way_out(tmp_path):
    (tmp_path / "x.csv").write_text("foo,bar\n1,2\n")
    with pytest.raises(InputError, match=r"header not recognised.*--columns"):
        read_recording(tmp_path / "x.csv")


@pytest.mark.parametrize("name", ["phyphox_acc_gyro.csv", "sensor_logger", "logger_ms.csv",
                                  "spreadsheet_semicolon.csv", "formlab.csv.gz"])
def test_committed_samples_read(name):
    rec = read_recording(samples.SAMPLES / name)
    assert rec.has_gyro and rec.sample_rate_hz == pytest.approx(100.0) and rec.n_samples >= 299


def test_convert_writes_the_canonical_format_and_never_overwrites(tmp_path, canonical, capsys):
    samples.write_phyphox(canonical, tmp_path / "p.csv")
    out = tmp_path / "out.csv"
    assert main(["convert", str(tmp_path / "p.csv"), "--out", str(out)]) == 0
    assert "Phyphox export" in capsys.readouterr().out
    back = read_recording(out)
    np.testing.assert_allclose(back.acc_g, canonical.acc_g[-back.n_samples:], atol=1e-4)  # from the gyro's start
    assert back.metadata["source"] == "Phyphox export"
    before = out.read_bytes()
    assert main(["convert", str(tmp_path / "p.csv"), "--out", str(out)]) == 2
    assert main(["convert", str(out), "--out", str(out)]) == 2
    assert "would overwrite the input" in capsys.readouterr().err and out.read_bytes() == before


def test_analyze_takes_columns(tmp_path, canonical, capsys):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    code = main(["analyze", str(tmp_path / "log.csv"), "--quiet", "--json", str(tmp_path / "s.json"),
                 "--columns", "t=timestamp:ms,ax=ax:mps2,ay=ay:mps2,az=az:mps2,gx=gx:rads,gy=gy:rads,gz=gz:rads"])
    assert code == 0 and "cadence_spm" in (tmp_path / "s.json").read_text()


def test_generic_csv_metadata_rate_is_checked(tmp_path, canonical):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    text = (tmp_path / "log.csv").read_text()
    (tmp_path / "fast.csv").write_text("# sample_rate_hz: fast\n" + text)
    with pytest.raises(InputError, match="'fast' is not a sensor's sampling rate"):
        read_recording(tmp_path / "fast.csv")
    (tmp_path / "ok.csv").write_text("# sample_rate_hz: 100\n# device: phone\n" + text)
    rec = read_recording(tmp_path / "ok.csv")
    assert rec.metadata["device"] == "phone" and rec.sample_rate_hz == 100.0


def test_cut_last_line_of_an_imported_file_is_dropped_with_a_note(tmp_path, canonical):
    samples.write_logger_csv(canonical, tmp_path / "log.csv")
    text = (tmp_path / "log.csv").read_text()
    (tmp_path / "cut.csv").write_text(text[:text.rindex(",")])  # the last row lost its last value
    rec = read_recording(tmp_path / "cut.csv")
    assert rec.n_samples == canonical.n_samples - 1 and any("truncated final line dropped" in n for n in rec.warnings)
    lines = text.splitlines()
    lines[2] = ",".join(lines[2].split(",")[:3]) + ",,,,"  # az and the gyroscope missing on line 3
    (tmp_path / "hole.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"hole.csv:3: empty value in column 'az'"):
        read_recording(tmp_path / "hole.csv")


def test_sensor_logger_zip_export(tmp_path, canonical, canonical_cadence):
    samples.write_sensor_logger(canonical, tmp_path / "export")
    with zipfile.ZipFile(tmp_path / "run.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("TotalAcceleration.csv", "Gyroscope.csv"):
            archive.write(tmp_path / "export" / name, f"2026-01-01_08-00-00/{name}")
    rec = read_recording(tmp_path / "run.zip")
    assert rec.has_gyro and rec.path.endswith("run.zip/TotalAcceleration.csv")
    np.testing.assert_array_equal(rec.acc_g, read_recording(tmp_path / "export").acc_g)
    (tmp_path / "other.zip").write_bytes((tmp_path / "run.zip").read_bytes()[:200])
    with pytest.raises(InputError, match="damaged zip file"):
        read_recording(tmp_path / "other.zip")


def test_committed_samples_are_what_the_script_writes(tmp_path):
    samples.write_samples(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(p.relative_to(samples.SAMPLES) for p in samples.SAMPLES.rglob("*") if p.is_file())
    for name in written:
        assert (tmp_path / name).read_bytes() == (samples.SAMPLES / name).read_bytes(), name
