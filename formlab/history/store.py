"""The athlete history store: one SQLite file and, beside it, the recordings it remembers.

Layout of the store folder (a backup is a plain copy of the folder)::

    history.sqlite                     athletes, sessions, analyses, stage metrics, steps, findings
    recordings/ab/ab12…ef.csv.gz       each recording's canonical CSV, gzipped, named by its sha256

Zero set-up: the default folder is the user data folder (``platformdirs``); ``--db PATH`` or
``$FORMLAB_DB`` choose another file. SQLite runs in WAL mode with a busy timeout, so several
processes may save at once; every session is saved in one transaction (an interrupted save
leaves no rows; a process killed mid-save may leave a ``*.partial`` file under ``recordings/``,
which nothing reads), and a recording already stored (same sha256) is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from formlab.errors import InputError
from formlab.history.payload import STORED_STEP_COLUMNS, SessionRecord
from formlab.history.schema import APPLICATION_ID, VERSION, migrate

DB_NAME = "history.sqlite"
ENV_VAR = "FORMLAB_DB"
BUSY_TIMEOUT_MS = 60_000  # how long a writer waits for another one before giving up
_SQLITE_MAGIC = b"SQLite format 3\x00"


def default_db_path() -> Path:
    """``$FORMLAB_DB``, else ``history.sqlite`` in the user data folder."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    from platformdirs import user_data_path

    return user_data_path("formlab", appauthor=False) / DB_NAME


class DuplicateSession(Exception):
    """The recording (by sha256) is already stored."""

    def __init__(self, session_id: int):
        self.session_id = session_id
        super().__init__(f"this recording is already stored as session {session_id}")


@dataclass(frozen=True)
class SessionRow:
    id: int
    athlete: str
    start_utc: str
    duration_s: float
    device: str | None
    speed_stages: list | None
    calibration_applied: bool
    sha256: str
    recording_file: str
    source_name: str | None
    analysis_id: int
    formlab_version: str
    running_s: float
    running_steps: int
    distance_m: float | None
    summary: dict


def _check_existing(path: Path) -> None:
    """Refuse, without changing a byte, a file that is not a formlab store (or a newer one)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    if path.is_dir():
        raise InputError(str(path), None, "is a folder; --db takes the store's .sqlite file")
    with open(path, "rb") as fh:
        if fh.read(16) != _SQLITE_MAGIC:
            raise InputError(str(path), None, "not a formlab history store (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id == APPLICATION_ID and version:
                if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise InputError(str(path), None, "the history store is damaged (SQLite quick_check failed); "
                                     "restore it from a backup copy of its folder")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(str(path), None, f"not a readable formlab history store ({exc})") from None
    if app_id != APPLICATION_ID and (tables or app_id):
        raise InputError(str(path), None, "an SQLite database of another program, not a formlab history store")
    if version > VERSION:
        raise InputError(str(path), None, f"made by a newer formlab (store version {version}, this formlab "
                         f"reads up to {VERSION}); upgrade formlab")


class Store:
    """An open history store (use as a context manager)."""

    def __init__(self, db_path: str | os.PathLike | None = None):
        self.path = Path(db_path) if db_path else default_db_path()
        _check_existing(self.path)
        self.folder = self.path.parent
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self.conn)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(str(self.path), None, f"cannot open the history store: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------------------------- writing

    def session_with_hash(self, sha256: str) -> int | None:
        row = self.conn.execute("SELECT id FROM sessions WHERE recording_sha256 = ?", (sha256,)).fetchone()
        return None if row is None else int(row[0])

    def known_hashes(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT recording_sha256 FROM sessions")}

    def _athlete_id(self, name: str) -> int:
        row = self.conn.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        cur = self.conn.execute("INSERT INTO athletes(name, created_utc) VALUES (?, ?)", (name, _now()))
        return int(cur.lastrowid)

    def save(self, record: SessionRecord, athlete: str) -> int:
        """Store one session (recording file and rows) in one transaction; its id.

        Raises :class:`DuplicateSession` when the recording is already stored."""
        if not athlete.strip():
            raise InputError("--athlete", None, "the athlete's name is empty")
        relative = Path("recordings") / record.sha256[:2] / f"{record.sha256}.csv.gz"
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            existing = self.session_with_hash(record.sha256)
            if existing is not None:
                raise DuplicateSession(existing)
            if not target.exists():
                partial.write_bytes(record.recording_gz)
            cur = self.conn.execute(
                "INSERT INTO sessions(athlete_id, start_utc, start_source, duration_s, device, speed_stages_json,"
                " speed_override_mps, calibration_applied, recording_sha256, recording_file, source_name, saved_utc)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (self._athlete_id(athlete.strip()), record.start_utc, record.start_source, record.duration_s,
                 record.device, None if record.speed_stages is None else json.dumps(record.speed_stages),
                 record.speed_override_mps, int(record.calibration_applied), record.sha256,
                 relative.as_posix(), record.source_name, _now()))
            session_id = int(cur.lastrowid)
            self._insert_analysis(session_id, record)
            if partial.exists():
                os.replace(partial, target)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            partial.unlink(missing_ok=True)
            raise
        return session_id

    def _insert_analysis(self, session_id: int, record: SessionRecord) -> int:
        self.conn.execute("UPDATE analyses SET current = 0 WHERE session_id = ?", (session_id,))
        cur = self.conn.execute(
            "INSERT INTO analyses(session_id, formlab_version, analysed_utc, current, running_s, running_steps,"
            " distance_m, summary_json) VALUES (?,?,?,1,?,?,?,?)",
            (session_id, record.formlab_version, _now(), record.running_s, record.running_steps,
             record.distance_m, json.dumps(record.summary, allow_nan=False)))
        analysis_id = int(cur.lastrowid)
        self.conn.executemany("INSERT INTO stage_metrics(analysis_id, speed_mps, steps, metric, value) VALUES (?,?,?,?,?)",
                              [(analysis_id, *row) for row in record.stage_metrics])
        steps = record.steps[STORED_STEP_COLUMNS].astype(object).where(record.steps[STORED_STEP_COLUMNS].notna(), None)
        steps["valid"] = record.steps["valid"].astype(int)
        self.conn.executemany(
            f"INSERT INTO steps(analysis_id, {', '.join(STORED_STEP_COLUMNS)}) VALUES (?{', ?' * len(STORED_STEP_COLUMNS)})",
            ((analysis_id, *row) for row in steps.itertuples(index=False, name=None)))
        self.conn.executemany("INSERT INTO findings(analysis_id, rule_id, severity, finding_json) VALUES (?,?,?,?)",
                              [(analysis_id, f.get("rule"), f.get("severity"), json.dumps(f)) for f in record.findings])
        return analysis_id

    def add_analysis(self, session_id: int, record: SessionRecord) -> int:
        """A new current analysis of a stored session (re-analysis); the previous ones are kept."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            analysis_id = self._insert_analysis(session_id, record)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return analysis_id

    def set_plan_start(self, athlete: str, plan_start: str | None) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute("UPDATE athletes SET plan_start = ? WHERE id = ?", (plan_start, self._athlete_id(athlete)))
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -------------------------------------------------------------------------------- reading

    def athletes(self) -> list[tuple[str, str | None]]:
        """``(name, plan_start)`` of every athlete, by name."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT name, plan_start FROM athletes ORDER BY name")]

    def sessions(self, athlete: str | None = None, session_id: int | None = None) -> list[SessionRow]:
        """Sessions with their current analysis, oldest first."""
        where, params = ["an.current = 1"], []
        if athlete is not None:
            where.append("a.name = ?")
            params.append(athlete)
        if session_id is not None:
            where.append("s.id = ?")
            params.append(session_id)
        rows = self.conn.execute(
            "SELECT s.id, a.name, s.start_utc, s.duration_s, s.device, s.speed_stages_json, s.calibration_applied,"
            " s.recording_sha256, s.recording_file, s.source_name, an.id, an.formlab_version, an.running_s,"
            " an.running_steps, an.distance_m, an.summary_json"
            " FROM sessions s JOIN athletes a ON a.id = s.athlete_id JOIN analyses an ON an.session_id = s.id"
            f" WHERE {' AND '.join(where)} ORDER BY s.start_utc, s.id", params).fetchall()
        return [SessionRow(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else json.loads(r[5]), bool(r[6]),
                           r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], json.loads(r[15])) for r in rows]

    def speed_override(self, session_id: int) -> float | None:
        row = self.conn.execute("SELECT speed_override_mps FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else row[0]

    def analysis_versions(self, session_id: int) -> list[tuple[int, str, str, bool]]:
        """``(analysis id, formlab version, analysed UTC, current)`` of every analysis of a session."""
        return [(r[0], r[1], r[2], bool(r[3])) for r in self.conn.execute(
            "SELECT id, formlab_version, analysed_utc, current FROM analyses WHERE session_id = ? ORDER BY id",
            (session_id,))]

    def stage_metric(self, athlete: str, metric: str) -> pd.DataFrame:
        """One metric per session and belt speed (current analyses): ``session_id, start_utc,
        speed_mps, steps, value``, oldest first."""
        rows = self.conn.execute(
            "SELECT s.id, s.start_utc, m.speed_mps, m.steps, m.value FROM stage_metrics m"
            " JOIN analyses an ON an.id = m.analysis_id AND an.current = 1"
            " JOIN sessions s ON s.id = an.session_id JOIN athletes a ON a.id = s.athlete_id"
            " WHERE a.name = ? AND m.metric = ? ORDER BY s.start_utc, s.id", (athlete, metric)).fetchall()
        return pd.DataFrame(rows, columns=["session_id", "start_utc", "speed_mps", "steps", "value"])

    def steps(self, analysis_id: int) -> pd.DataFrame:
        frame = pd.read_sql_query(f"SELECT {', '.join(STORED_STEP_COLUMNS)} FROM steps WHERE analysis_id = ?",
                                  self.conn, params=(analysis_id,))
        frame["valid"] = frame["valid"].astype(bool)
        return frame

    def recording_path(self, row: SessionRow) -> Path:
        return self.folder / row.recording_file


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
