"""formlab export on the command line: writes, keeps existing files and inputs, says where the
start time came from, takes --treadmill-speed, and names the extra when fit-tool is missing."""

import sys
from pathlib import Path

import fitdecode
import numpy as np
import pytest

from formlab.cli import main

SHIMMER = Path(__file__).resolve().parents[2] / "firmware_recordings" / "shimmer_sacrum_512hz.csv"


def _session(path: Path) -> dict:
    with fitdecode.FitReader(path) as reader:
        (session,) = [{f.name: f.value for f in frame.fields} for frame in reader
                      if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "session"]
    return session


def test_export_writes_and_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "new" / "run.fit"
    assert main(["export", str(SHIMMER), "--fit", str(out), "--treadmill-speed", "3.0"]) == 0
    printed = capsys.readouterr().out
    assert "no start_time_utc" in printed and f"wrote {out}" in printed
    session = _session(out)
    assert session["sport"] == "running" and session["avg_step_length"] > 800  # mm, from --treadmill-speed
    before = out.read_bytes()
    assert main(["export", str(SHIMMER), "--fit", str(out)]) == 2
    assert "pass --force to replace it" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["export", str(SHIMMER), "--fit", str(out), "--force"]) == 0
    assert "avg_step_length" not in {k for k, v in _session(out).items() if v is not None}  # no speed now


def test_export_refuses_to_write_over_its_input(tmp_path, capsys):
    rec = tmp_path / "run.csv"
    rec.write_bytes(SHIMMER.read_bytes())
    assert main(["export", str(rec), "--fit", str(rec), "--force"]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert rec.read_bytes() == SHIMMER.read_bytes()


def test_export_without_fit_tool_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "fit_tool", None)  # import fit_tool raises ImportError
    assert main(["export", str(SHIMMER), "--fit", str(tmp_path / "run.fit")]) == 1  # not bad input: a missing optional package
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'formlab[fit]'" in err
    assert not (tmp_path / "run.fit").exists()


def test_a_bad_start_time_is_a_one_line_error(tmp_path, capsys):
    lines = SHIMMER.read_text(encoding="utf-8").splitlines(keepends=True)
    rec = tmp_path / "bad_start.csv"
    rec.write_text(lines[0] + "# start_time_utc: yesterday morning\n" + "".join(lines[1:]), encoding="utf-8")
    assert main(["export", str(rec), "--fit", str(tmp_path / "run.fit")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start_time_utc is not an ISO 8601 time" in err


@pytest.mark.parametrize("start, expected", [("2026-05-01T07:00:00Z", "2026-05-01 07:00:00+00:00"),
                                             ("2026-05-01T09:00:00+02:00", "2026-05-01 07:00:00+00:00"),
                                             ("2026-05-01T07:00:00", "2026-05-01 07:00:00+00:00")])
def test_start_time_from_metadata(tmp_path, start, expected):
    lines = SHIMMER.read_text(encoding="utf-8").splitlines(keepends=True)
    rec = tmp_path / "start.csv"
    rec.write_text(lines[0] + f"# start_time_utc: {start}\n" + "".join(lines[1:]), encoding="utf-8")
    out = tmp_path / "run.fit"
    assert main(["export", str(rec), "--fit", str(out)]) == 0
    assert str(_session(out)["start_time"]) == expected


def test_a_recording_without_running_exports_timestamps_and_says_so(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 2000  # 20 s standing still at 100 Hz
    rows = np.column_stack([np.arange(n) / 100, rng.normal(0, 0.005, (n, 3)) + [0, 0, 1], rng.normal(0, 0.3, (n, 3))])
    rec = tmp_path / "standing.csv"
    rec.write_text("# formlab-recording: 1\n# sample_rate_hz: 100\n# start_time_utc: 2026-05-01T07:00:00Z\n"
                   "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
                   + "".join(",".join(f"{v:.4f}" for v in row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "standing.fit"
    assert main(["export", str(rec), "--fit", str(out)]) == 0
    assert "no running steps found" in capsys.readouterr().out
    session = {k: v for k, v in _session(out).items() if v is not None}
    assert session["total_elapsed_time"] == 19 and "avg_stance_time" not in session


def test_export_a_stored_session_gives_the_same_file_content(tmp_path, capsys):
    """``formlab export --session ID`` writes what exporting the recording writes: the same
    session averages, from the steps the history store kept."""
    db = tmp_path / "store" / "history.db"
    rec = tmp_path / "run.csv"
    rec.write_bytes(SHIMMER.read_bytes())
    assert main(["analyze", str(rec), "--athlete", "Ana", "--save", "--db", str(db), "--quiet",
                 "--treadmill-speed", "3.0"]) == 0
    assert "saved as session 1" in capsys.readouterr().out
    direct, stored = tmp_path / "direct.fit", tmp_path / "stored.fit"
    assert main(["export", str(rec), "--fit", str(direct), "--treadmill-speed", "3.0"]) == 0
    assert main(["export", "--session", "1", "--db", str(db), "--fit", str(stored)]) == 0
    a, b = _session(direct), _session(stored)
    for field in ("avg_stance_time", "avg_vertical_oscillation", "avg_step_length", "avg_running_cadence"):
        assert a.get(field) == b.get(field), field
    assert main(["export", "--session", "9", "--db", str(db), "--fit", str(tmp_path / "x.fit")]) == 2
    assert "no session 9" in capsys.readouterr().err
    assert main(["export", "--fit", str(tmp_path / "y.fit")]) == 2
