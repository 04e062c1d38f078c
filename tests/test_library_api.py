"""The library API the README shows: ``formlab.analyze(path)`` → summary, steps, write_report."""

from pathlib import Path

import pytest

import formlab
from formlab.errors import InputError

SHIMMER = Path(__file__).resolve().parents[1] / "firmware_recordings" / "shimmer_sacrum_512hz.csv"


def test_the_five_line_example(tmp_path):
    a = formlab.analyze(SHIMMER, treadmill_speed_mps=3.3)
    assert 150 < a.summary["metrics"]["cadence_spm"] < 200
    assert a.summary["metrics"]["step_length_m"] is not None  # the speed reached the analysis
    assert len(a.steps) >= 10 and "contact_ms" in a.steps.columns
    a.write_report(tmp_path / "run.html")
    assert (tmp_path / "run.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    with pytest.raises(InputError, match="--force|exists"):
        a.write_report(tmp_path / "run.html")


def test_the_readme_shows_the_example():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert 'formlab.analyze("run.csv", treadmill_speed_mps=3.3)' in readme
    assert 'a.write_report("run.html")' in readme


def test_bad_file_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    with pytest.raises(InputError, match="empty file"):
        formlab.analyze(bad)
