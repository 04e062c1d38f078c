"""formlab analyze --save and formlab history (list, show, reanalyze, export, plan, backup)."""

from __future__ import annotations

import pandas as pd
import pytest

from formlab.cli import main
from formlab.history.store import Store
from formlab.recording import write_recording

from .conftest import dated


@pytest.fixture()
def saved(tmp_path, short_analysis, capsys):
    """A store with two runs of Ana saved through ``formlab analyze --save``."""
    db = tmp_path / "store" / "history.sqlite"
    for day in (5, 7):
        rec = tmp_path / f"run{day}.csv"
        write_recording(rec, dated(short_analysis, f"2026-10-0{day}T07:00:00+00:00").recording)
        assert main(["analyze", str(rec), "--athlete", "Ana", "--save", "--db", str(db), "--quiet"]) == 0
    capsys.readouterr()
    return db


def test_analyze_save_then_again_is_detected(saved, tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "run5.csv"), "--athlete", "Ana", "--save", "--db", str(saved),
                 "--quiet"]) == 0
    assert "already stored as session 1" in capsys.readouterr().out
    assert main(["analyze", str(tmp_path / "run5.csv"), "--save", "--db", str(saved), "--quiet"]) == 2
    assert "--athlete" in capsys.readouterr().err


def test_history_lists_and_shows(saved, capsys):
    assert main(["history", "--db", str(saved), "--athlete", "Ana"]) == 0
    out = capsys.readouterr().out
    assert "2 sessions" in out and "Ana" in out and "weekly volume of Ana" in out
    assert main(["history", "--db", str(saved), "show", "2"]) == 0
    out = capsys.readouterr().out
    assert "session 2: Ana, 2026-10-07T07:00:00+00:00" in out and "3.3 m/s" in out and "(current)" in out
    assert main(["history", "--db", str(saved), "show", "9"]) == 2
    assert main(["history", "--db", str(saved), "--athlete", "Nobody"]) == 2


def test_reanalyze_keeps_the_earlier_results(saved, capsys):
    assert main(["history", "reanalyze", "--db", str(saved)]) == 0
    assert "0 re-analysed, 2 already analysed" in capsys.readouterr().out
    assert main(["history", "reanalyze", "--all", "--athlete", "Ana", "--db", str(saved)]) == 0
    assert "2 re-analysed" in capsys.readouterr().out
    with Store(saved) as store:
        versions = store.analysis_versions(1)
        assert [current for *_, current in versions] == [False, True]
        (row, _) = store.sessions("Ana")
        assert row.analysis_id == versions[-1][0]
        old, new = (store.steps(v[0]) for v in versions)
        pd.testing.assert_frame_equal(old, new)  # same recording, same pipeline: same steps


def test_export_csv_and_parquet_without_overwriting(saved, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["history", "export", "--csv", str(out), "--db", str(saved)]) == 0
    summaries = pd.read_csv(out / "summaries.csv")
    steps = pd.read_csv(out / "steps.csv")
    assert summaries["session_id"].tolist() == [1, 2] and "metrics.cadence_spm" in summaries
    assert set(steps["session_id"]) == {1, 2}
    assert main(["history", "export", "--csv", str(out), "--db", str(saved)]) == 2
    assert "already exists" in capsys.readouterr().err
    pytest.importorskip("pyarrow")
    assert main(["history", "export", "--parquet", str(out), "--db", str(saved)]) == 0
    parquet = pd.read_parquet(out / "summaries.parquet")
    assert parquet["metrics.cadence_spm"].tolist() == summaries["metrics.cadence_spm"].tolist()
    assert len(pd.read_parquet(out / "steps.parquet")) == len(steps)


def test_backup_is_a_plain_copy_that_opens(saved, tmp_path):
    dest = tmp_path / "backup"
    assert main(["history", "backup", str(dest), "--db", str(saved)]) == 0
    with Store(dest / "history.sqlite") as store:
        rows = store.sessions("Ana")
        assert len(rows) == 2 and all(store.recording_path(r).exists() for r in rows)
    assert main(["history", "backup", str(dest), "--db", str(saved)]) == 2


def test_plan_start(saved, capsys):
    assert main(["history", "plan", "Ana", "2026-09-01", "--db", str(saved)]) == 0
    with Store(saved) as store:
        assert store.athletes() == [("Ana", "2026-09-01")]
    assert main(["history", "plan", "Ana", "1 Sept", "--db", str(saved)]) == 2
    assert main(["history", "plan", "Nobody", "2026-09-01", "--db", str(saved)]) == 2


def test_trend_at_matched_speed(saved, capsys):
    assert main(["history", "trend", "contact_right_ms", "--athlete", "Ana", "--db", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "contact_right_ms of Ana at 3.3 m/s (runs within ±0.1 m/s): 2 runs" in out
    assert main(["history", "trend", "contact_right_ms", "--athlete", "Ana", "--treadmill-speed", "3.6",
                 "--db", str(saved)]) == 0
    assert "0 runs" in capsys.readouterr().out
    assert main(["history", "trend", "no_such_metric", "--athlete", "Ana", "--db", str(saved)]) == 2
    assert "cadence_spm" in capsys.readouterr().err


def test_an_unopenable_store_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["history", "--db", str(tmp_path / "file" / "history.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formlab: ") and err.count("\n") == 1


def test_roster_with_every_sessions_report(saved, tmp_path, capsys):
    out = tmp_path / "coach" / "roster.html"
    assert main(["roster", "--html", str(out), "--all-reports", "--db", str(saved)]) == 0
    assert "wrote" in capsys.readouterr().out
    athlete = (out.parent / "athlete-1.html").read_text(encoding="utf-8")
    for session_id in (1, 2):
        assert (out.parent / f"session-{session_id}.html").exists()
        assert f'href="session-{session_id}.html"' in athlete
    assert 'href="session-2.html"' in out.read_text(encoding="utf-8")
    assert 'href="session-1.html"' not in out.read_text(encoding="utf-8")  # the roster links the last run
