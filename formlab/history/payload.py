"""What the store keeps of one analysed run, built from an :class:`~formlab.analysis.Analysis`.

A :class:`SessionRecord` is plain data (it crosses process and Dask boundaries in ``batch``): the
recording's canonical CSV (``formlab.recording.write_recording``'s format, gzipped) and its
sha256, the session facts, the summary, the steps, the findings and the metrics per belt-speed
stage. The stage metrics are ``formlab.summary.side_medians`` over that stage's valid steps, the
same estimator as the session's headline numbers, so a trend never mixes two formulas.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from formlab import __version__
from formlab.metrics import EXTRA_STEP_COLUMNS, STEPS_COLUMNS
from formlab.recording import Recording, write_recording
from formlab.summary import side_medians
from formlab.treadmill import speed_stages

STORED_STEP_COLUMNS = [*STEPS_COLUMNS, *EXTRA_STEP_COLUMNS, "speed_mps"]
GZIP_LEVEL = 6  # zlib default; on the 10-min demo: 2 % larger than level 9 at a quarter of its time, 20 % smaller than level 1


@dataclass
class SessionRecord:
    sha256: str
    recording_gz: bytes
    start_utc: str
    start_source: str
    duration_s: float
    device: str | None
    speed_stages: list[tuple[float, float]] | None
    speed_override_mps: float | None
    calibration_applied: bool
    source_name: str | None
    formlab_version: str
    running_s: float
    running_steps: int
    distance_m: float | None
    summary: dict
    steps: pd.DataFrame
    stage_metrics: list[tuple[float | None, int, str, float | None]]  # speed_mps, steps, metric, value
    findings: list[dict]


def canonical_bytes(rec: Recording) -> bytes:
    """The recording as formlab writes it (fixed precision, metadata first): equal samples and
    metadata give equal bytes whatever the layout of the file they came from."""
    with tempfile.TemporaryDirectory(prefix="formlab-canonical-") as folder:
        path = os.path.join(folder, "recording.csv")
        write_recording(path, rec)  # writes a path, not a stream: a private file, then its bytes
        with open(path, "rb") as fh:
            return fh.read()


def stage_metrics(steps: pd.DataFrame) -> list[tuple[float | None, int, str, float | None]]:
    """``side_medians`` per belt speed over the valid steps: ``(speed_mps, steps, metric, value)``;
    speed ``None`` for steps whose belt speed is unknown."""
    valid = steps[steps["valid"].astype(bool)]
    rows = []
    speeds = valid["speed_mps"].round(3)
    for speed, group in valid.groupby(speeds.fillna(-1.0), sort=True):
        speed_mps = None if speed < 0 else float(speed)
        for metric, value in side_medians(group).items():
            rows.append((speed_mps, int(len(group)), metric, value))
    return rows


def _start(rec: Recording) -> tuple[str, str]:
    """The run's start (UTC, ISO 8601) and where it came from: the ``start_time_utc`` metadata,
    else the recording file's modification time, else now."""
    text = rec.metadata.get("start_time_utc")
    if text:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
            return when.isoformat(timespec="seconds"), "metadata"
    if rec.path and os.path.exists(rec.path):
        return datetime.fromtimestamp(os.path.getmtime(rec.path), timezone.utc).isoformat(timespec="seconds"), "file time"
    return datetime.now(timezone.utc).isoformat(timespec="seconds"), "saved"


def session_record(analysis, speed_override_mps: float | None = None, raw: bytes | None = None) -> SessionRecord:
    """Everything the store keeps of ``analysis`` (an :class:`~formlab.analysis.Analysis`);
    ``raw``: the recording's :func:`canonical_bytes` when the caller has them already."""
    rec = analysis.recording
    raw = canonical_bytes(rec) if raw is None else raw
    steps = analysis.steps[STORED_STEP_COLUMNS].copy()
    steps["valid"] = steps["valid"].astype(bool)
    valid = steps[steps["valid"]]
    length_m = (valid["speed_mps"] * valid["step_time_s"]).to_numpy(float)
    distance = float(np.nansum(length_m)) if np.isfinite(length_m).any() else None
    start_utc, start_source = _start(rec)
    stages = speed_stages(rec, speed_override_mps)
    if stages is not None:  # the first stage starts at -inf: from the start of the recording
        stages = [(max(float(t), 0.0), float(v)) for t, v in stages]
    summary = analysis.summary
    return SessionRecord(
        sha256=hashlib.sha256(raw).hexdigest(),
        recording_gz=gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0),
        start_utc=start_utc, start_source=start_source,
        duration_s=float(rec.duration_s), device=rec.metadata.get("device"),
        speed_stages=stages, speed_override_mps=speed_override_mps,
        calibration_applied=bool(summary["calibration"]["device_calibration_applied"]),
        source_name=os.path.basename(rec.path) if rec.path else None,
        formlab_version=__version__,
        running_s=float(summary["running"]["duration_s"]), running_steps=int(summary["running"]["steps"]),
        distance_m=distance, summary=json.loads(json.dumps(summary, allow_nan=False)),
        steps=steps, stage_metrics=stage_metrics(steps), findings=list(summary.get("findings", [])),
    )
