"""Nothing formlab does overwrites a user's data, and output problems show before the work starts."""

import subprocess
import sys
from pathlib import Path

import pytest

from formlab.ble.commands import parse_meta
from formlab.cli import main
from formlab.errors import InputError
from formlab.output_files import check_outputs
from formlab.recording import RecordingAppender

REPO = Path(__file__).resolve().parents[1]
SHIMMER = REPO / "firmware_recordings" / "shimmer_sacrum_512hz.csv"


@pytest.fixture
def rec(tmp_path):
    copy = tmp_path / "rec.csv"
    copy.write_bytes(SHIMMER.read_bytes())
    return copy


def _one_line_error(argv, capsys, code=2):
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formlab: ")
    return err[0]


@pytest.mark.parametrize("flag", ["--steps", "--json", "--html"])
def test_analyze_refuses_to_write_onto_its_recording(rec, flag, capsys):
    before = rec.read_bytes()
    line = _one_line_error(["analyze", str(rec), flag, str(rec), "--quiet"], capsys)
    assert "would overwrite the input" in line
    assert rec.read_bytes() == before


def test_report_refuses_to_write_onto_a_recording(rec, capsys):
    before = rec.read_bytes()
    assert "would overwrite the input" in _one_line_error(["report", str(rec), "--html", str(rec)], capsys)
    assert rec.read_bytes() == before


def test_two_outputs_on_one_path_are_refused(rec, tmp_path, capsys):
    out = tmp_path / "x.out"
    line = _one_line_error(["analyze", str(rec), "--json", str(out), "--steps", str(out), "--quiet"], capsys)
    assert "name the same file" in line and not out.exists()


def test_an_existing_output_needs_force(rec, tmp_path, capsys):
    out = tmp_path / "s.json"
    out.write_text("my notes")
    assert "--force" in _one_line_error(["analyze", str(rec), "--json", str(out), "--quiet"], capsys)
    assert out.read_text() == "my notes"
    assert main(["analyze", str(rec), "--json", str(out), "--quiet", "--force"]) == 0
    assert out.read_text().startswith("{")


def test_an_unwritable_output_folder_is_found_before_the_analysis(rec, tmp_path, capsys):
    blocker = tmp_path / "out"
    blocker.write_text("a file where a folder should be")
    line = _one_line_error(["analyze", str(rec), "--json", str(blocker / "s.json"), "--quiet"], capsys)
    assert "cannot create the folder" in line


def test_check_outputs_refuses_an_existing_recording_even_with_force(tmp_path):
    run = tmp_path / "run.csv"
    run.write_text("t_s\n")
    with pytest.raises(InputError, match="choose a new file name"):
        check_outputs({"--out": run}, force=True, never_replace=("--out",))


def test_a_capture_never_truncates_an_existing_file(tmp_path):
    run = tmp_path / "run.csv"
    run.write_text("yesterday's run\n")
    with pytest.raises(FileExistsError):
        RecordingAppender(run, {"sample_rate_hz": "100"}, has_gyro=True, fsync=False)
    assert run.read_text() == "yesterday's run\n"


def test_record_checks_metadata_and_output_before_any_file_is_opened(tmp_path, capsys):
    run = tmp_path / "run.csv"
    line = _one_line_error(["record", "--device", "x", "--out", str(run), "--meta", "note=a\nb"], capsys)
    assert "one line" in line and not run.exists()
    run.write_text("yesterday's run\n")
    line = _one_line_error(["record", "--device", "x", "--out", str(run)], capsys)
    assert "choose a new file name" in line and run.read_text() == "yesterday's run\n"


@pytest.mark.parametrize("item", ["novalue", "=x", "a:b=c", "k=line\rbreak"])
def test_bad_meta_is_refused(item):
    with pytest.raises(InputError):
        parse_meta([item])


def test_simulate_does_not_replace_an_existing_recording(tmp_path, capsys):
    out = tmp_path / "demo.csv"
    out.write_text("keep me")
    _one_line_error(["simulate", "--out", str(out), "--duration-s", "5"], capsys)
    assert out.read_text() == "keep me"


def test_three_recordings_for_report_name_no_line_zero(rec, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "formlab.cli", "report", str(rec), str(rec), str(rec), "--html",
                           str(tmp_path / "r.html")], capture_output=True, text=True)
    assert proc.returncode == 2 and ":0:" not in proc.stderr and "at most two" in proc.stderr
