"""The history store's SQLite schema and its migrations.

The schema version is SQLite's ``PRAGMA user_version``; ``PRAGMA application_id`` marks the file
as a formlab store, so a foreign SQLite file is told apart from an empty one. ``MIGRATIONS[i]``
takes a store from version ``i`` to ``i + 1``; a new store runs them all, an old one the ones it
lacks, each in the transaction that also sets the new version.
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x466C6162  # "Flab"

_V1 = """
CREATE TABLE athletes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_utc TEXT NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    athlete_id INTEGER NOT NULL REFERENCES athletes(id),
    start_utc TEXT NOT NULL,            -- ISO 8601, UTC
    start_source TEXT NOT NULL,         -- 'metadata', 'file time' or 'saved'
    duration_s REAL NOT NULL,
    device TEXT,
    speed_stages_json TEXT,             -- [[start_s, speed_mps], ...] or null
    speed_override_mps REAL,            -- the --treadmill-speed given when it was saved
    calibration_applied INTEGER NOT NULL,
    recording_sha256 TEXT NOT NULL UNIQUE,
    recording_file TEXT NOT NULL,       -- relative to the store folder
    source_name TEXT,
    saved_utc TEXT NOT NULL
);
CREATE INDEX sessions_athlete ON sessions(athlete_id, start_utc);
CREATE TABLE analyses (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    formlab_version TEXT NOT NULL,
    analysed_utc TEXT NOT NULL,
    current INTEGER NOT NULL,           -- 1 for the latest analysis of the session
    running_s REAL NOT NULL,
    running_steps INTEGER NOT NULL,
    distance_m REAL,                    -- sum of step lengths where the belt speed is known
    summary_json TEXT NOT NULL
);
CREATE INDEX analyses_session ON analyses(session_id, current);
CREATE TABLE stage_metrics (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    speed_mps REAL,                     -- null: belt speed unknown
    steps INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value REAL
);
CREATE TABLE steps (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    t_ic_s REAL, t_fc_s REAL, side TEXT, side_confidence REAL, step_time_s REAL,
    contact_ms REAL, impact_g REAL, braking_mps REAL, vertical_oscillation_cm REAL,
    pelvic_tilt_deg REAL, pelvic_drop_deg REAL, valid INTEGER, bout INTEGER, activity TEXT,
    pelvic_tilt_range_deg REAL, pelvic_rotation_range_deg REAL, speed_mps REAL
);
CREATE INDEX steps_analysis ON steps(analysis_id);
CREATE TABLE findings (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    rule_id TEXT, severity TEXT, finding_json TEXT NOT NULL
);
CREATE INDEX findings_analysis ON findings(analysis_id);
"""

_V2 = """
ALTER TABLE athletes ADD COLUMN plan_start TEXT;   -- ISO date a training plan started, or null
CREATE INDEX stage_metrics_metric ON stage_metrics(metric, analysis_id);
CREATE INDEX stage_metrics_analysis ON stage_metrics(analysis_id);
"""

_V3 = """
ALTER TABLE steps ADD COLUMN flight INTEGER;           -- 1: a flight phase followed the contact
ALTER TABLE steps ADD COLUMN loading_rate_gps REAL;    -- 20-80 % average loading rate, g/s
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, to_version: int = VERSION) -> int:
    """Bring the store to ``to_version``; each step is one transaction. Returns the version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for target in range(version + 1, to_version + 1):
        statements = [s for s in MIGRATIONS[target - 1].split(";") if s.strip()]
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] >= target:  # another process did it
                conn.execute("ROLLBACK")
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return conn.execute("PRAGMA user_version").fetchone()[0]
