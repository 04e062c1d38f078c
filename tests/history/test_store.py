"""The history store: migrations, WAL and concurrent writers, duplicates, interrupted saves,
foreign or corrupt files."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sqlite3

import pytest

from formlab.cli import main
from formlab.errors import InputError
from formlab.history.payload import canonical_bytes, session_record
from formlab.history.schema import APPLICATION_ID, MIGRATIONS, VERSION, migrate
from formlab.history.store import DuplicateSession, Store, default_db_path
from formlab.recording import read_recording, write_recording

from .conftest import dated


def _count(db, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_new_store_is_versioned_wal_and_marked(tmp_path):
    db = tmp_path / "h" / "history.sqlite"
    with Store(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_migrates_a_first_schema_store_keeping_its_data(tmp_path, short_analysis):
    db = tmp_path / "history.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    assert migrate(conn, to_version=1) == 1  # the first schema, as formlab with store version 1 made it
    conn.close()
    record = session_record(short_analysis)

    # what a version-1 formlab wrote: the same rows, no plan_start column
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO athletes(name, created_utc) VALUES ('Ana', '2026-01-01T00:00:00+00:00')")
        conn.execute("INSERT INTO sessions(athlete_id, start_utc, start_source, duration_s, calibration_applied,"
                     " recording_sha256, recording_file, saved_utc) VALUES (1, '2026-01-02T07:00:00+00:00',"
                     " 'metadata', 65.0, 0, ?, 'recordings/x.csv.gz', '2026-01-02T08:00:00+00:00')", (record.sha256,))
        conn.execute("INSERT INTO analyses(session_id, formlab_version, analysed_utc, current, running_s,"
                     " running_steps, summary_json) VALUES (1, '0.0.9', '2026-01-02T08:00:00+00:00', 1, 60.0, 170, ?)",
                     ('{"metrics": {"cadence_spm": 170.0}, "findings": []}',))
        conn.execute("INSERT INTO stage_metrics VALUES (1, 3.3, 170, 'cadence_spm', 170.0)")
    conn.close()

    with Store(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert store.athletes() == [("Ana", None)]
        (row,) = store.sessions("Ana")
        assert (row.formlab_version, row.summary["metrics"]["cadence_spm"]) == ("0.0.9", 170.0)
        assert store.stage_metric("Ana", "cadence_spm")["value"].tolist() == [170.0]
        store.set_plan_start("Ana", "2026-01-01")
        assert store.athletes() == [("Ana", "2026-01-01")]
        with pytest.raises(DuplicateSession):
            store.save(record, "Ana")


def test_every_migration_step_applies_from_the_first(tmp_path):
    for target in range(1, VERSION + 1):
        conn = sqlite3.connect(tmp_path / f"v{target}.sqlite", isolation_level=None)
        assert migrate(conn, to_version=target) == target
        assert migrate(conn) == VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()


def test_save_keeps_summary_steps_findings_and_gzipped_recording(tmp_path, short_analysis):
    import gzip

    with Store(tmp_path / "history.sqlite") as store:
        session_id = store.save(session_record(short_analysis), "Ana")
        (row,) = store.sessions("Ana")
        assert row.id == session_id
        assert row.summary == short_analysis.summary
        assert len(store.steps(row.analysis_id)) == len(short_analysis.steps)
        raw = gzip.decompress(store.recording_path(row).read_bytes())
    assert raw == canonical_bytes(short_analysis.recording)
    assert row.sha256 == hashlib.sha256(raw).hexdigest()


def test_the_same_recording_is_detected_by_its_hash(tmp_path, short_analysis):
    a, b = tmp_path / "a.csv", tmp_path / "copy" / "b.csv"
    b.parent.mkdir()
    write_recording(a, short_analysis.recording)
    write_recording(b, short_analysis.recording)
    assert canonical_bytes(read_recording(a)) == canonical_bytes(read_recording(b))
    with Store(tmp_path / "history.sqlite") as store:
        first = store.save(session_record(short_analysis), "Ana")
        with pytest.raises(DuplicateSession) as dup:
            store.save(session_record(short_analysis), "Ben")
        assert dup.value.session_id == first
        assert len(store.sessions()) == 1
        store.save(session_record(dated(short_analysis, "2026-10-06T07:00:00+00:00")), "Ana")
        assert len(store.sessions()) == 2


class _FailingStore(Store):
    """Fails after the session row and part of the analysis are written."""

    def _insert_analysis(self, session_id, record):
        super()._insert_analysis(session_id, record)
        raise KeyboardInterrupt


def test_an_interrupted_save_leaves_no_half_session(tmp_path, short_analysis):
    db = tmp_path / "history.sqlite"
    record = session_record(short_analysis)
    with _FailingStore(db) as store:
        with pytest.raises(KeyboardInterrupt):
            store.save(record, "Ana")
    for table in ("sessions", "analyses", "stage_metrics", "steps", "findings"):
        assert _count(db, table) == 0, table
    assert [p for p in (tmp_path / "recordings").rglob("*") if p.is_file()] == []
    with Store(db) as store:  # and the same run saves normally afterwards
        store.save(record, "Ana")
        assert len(store.sessions("Ana")) == 1


class _KilledStore(Store):
    """The process is killed (SIGKILL: no clean-up runs) half-way through a save."""

    def _insert_analysis(self, session_id, record):
        super()._insert_analysis(session_id, record)
        os.kill(os.getpid(), signal.SIGKILL)


def _killed_save(db, record):
    with _KilledStore(db) as store:
        store.save(record, "Ana")


def test_a_killed_save_leaves_no_half_session(tmp_path, short_analysis):
    db = tmp_path / "history.sqlite"
    record = session_record(short_analysis)
    child = multiprocessing.get_context("fork").Process(target=_killed_save, args=(db, record))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    with Store(db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for table in ("athletes", "sessions", "analyses", "stage_metrics", "steps", "findings"):
            assert _count(db, table) == 0, table
        store.save(record, "Ana")
        assert len(store.sessions("Ana")) == 1


def _writer(db, records, athlete, barrier):
    barrier.wait()
    with Store(db) as store:
        for record in records:
            store.save(record, athlete)


def test_two_processes_saving_at_once(tmp_path, short_analysis):
    db = tmp_path / "history.sqlite"
    Store(db).close()
    records = [session_record(dated(short_analysis, f"2026-10-{day:02d}T07:00:00+00:00")) for day in range(1, 13)]
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    writers = [context.Process(target=_writer, args=(db, records[i::2], name, barrier))
               for i, name in enumerate(("Ana", "Ben"))]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    with Store(db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(store.sessions("Ana")) == len(store.sessions("Ben")) == 6
        assert _count(db, "steps") == 12 * len(short_analysis.steps)


@pytest.mark.parametrize("content", [
    b"t_s,acc_x_g\n0,1\n",                                   # a CSV, not a database
    b"SQLite format 3\x00" + bytes(range(256)) * 40,          # an SQLite header over garbage
])
def test_a_corrupt_or_foreign_file_is_refused_and_left_unchanged(tmp_path, capsys, content):
    db = tmp_path / "other.db"
    db.write_bytes(content)
    with pytest.raises(InputError):
        Store(db)
    assert main(["history", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"formlab: {db}: ") and err.count("\n") == 1
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_another_programs_sqlite_database_is_refused_and_left_unchanged(tmp_path):
    db = tmp_path / "notes.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes(text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(InputError, match="another program"):
        Store(db)
    assert db.read_bytes() == before


def test_a_store_from_a_newer_formlab_is_refused(tmp_path):
    db = tmp_path / "history.sqlite"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(InputError, match="newer formlab"):
        Store(db)


def test_default_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMLAB_DB", str(tmp_path / "x" / "h.sqlite"))
    assert default_db_path() == tmp_path / "x" / "h.sqlite"
    monkeypatch.delenv("FORMLAB_DB")
    assert default_db_path().name == "history.sqlite" and "formlab" in str(default_db_path())
