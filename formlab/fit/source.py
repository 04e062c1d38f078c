"""An analysed recording as a :class:`formlab.fit.records.FitSource`: steps, speed stages, start time.

The start time is the recording's ``start_time_utc`` metadata (ISO 8601; a time without a zone is
taken as UTC); without it, the file's modification time, and a note says so.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from formlab.errors import InputError
from formlab.fit.records import FitSource
from formlab.treadmill import speed_stages

START_KEY = "start_time_utc"


def start_time(recording) -> tuple[datetime, str | None]:
    """``(start, note)``: when ``t_s = 0`` was, and a note when it is only the file's mtime."""
    text = recording.metadata.get(START_KEY)
    if text:
        try:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(recording.path, None, f"metadata {START_KEY} is not an ISO 8601 time: {text!r}") from None
        return (start if start.tzinfo else start.replace(tzinfo=timezone.utc)), None
    mtime = datetime.fromtimestamp(os.stat(recording.path).st_mtime, tz=timezone.utc)
    start = datetime.fromtimestamp(round(mtime.timestamp() - recording.duration_s), tz=timezone.utc)
    return start, (f"no {START_KEY} in the recording's metadata: the start time is the file's modification "
                   f"time less its duration ({start.isoformat()})")


def source_from_analysis(analysis, speed_mps: float | None = None) -> FitSource:
    """The export input for an :class:`formlab.analysis.Analysis` (``speed_mps``: the
    ``--treadmill-speed`` override, as given to the analysis)."""
    rec = analysis.recording
    start, note = start_time(rec)
    notes = [note] if note else []
    if not analysis.steps["valid"].any():
        notes.append("no running steps found: the FIT file holds timestamps without running dynamics")
    return FitSource(steps=analysis.steps, start_utc=start, duration_s=rec.duration_s,
                     stages=speed_stages(rec, speed_mps), notes=notes)


def source_from_store(session_id: int, db_path=None) -> FitSource:
    """The export input for session ``session_id`` of the athlete history store (its current
    analysis: the stored steps, start time, duration and treadmill speed stages)."""
    from formlab.history.store import Store

    with Store(db_path) as store:
        rows = store.sessions(session_id=session_id)
        if not rows:
            raise InputError(str(store.path), None, f"no session {session_id} in the history store")
        row = rows[0]
        steps = store.steps(row.analysis_id)
    start = datetime.fromisoformat(row.start_utc)
    stages = None if row.speed_stages is None else [(float(t), float(v)) for t, v in row.speed_stages]
    notes = [] if steps["valid"].any() else ["no running steps stored: the FIT file holds timestamps "
                                             "without running dynamics"]
    return FitSource(steps=steps, start_utc=start if start.tzinfo else start.replace(tzinfo=timezone.utc),
                     duration_s=float(row.duration_s), stages=stages, notes=notes)
