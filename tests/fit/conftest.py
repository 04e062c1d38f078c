"""Fixtures for the FIT tests: the bundled 10-minute session analysed once, with a known start time."""

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "firmware_recordings" / "simulated_treadmill_10min.csv"
START = datetime(2026, 5, 1, 7, 0, 0, tzinfo=timezone.utc)


@dataclass
class Exported:
    recording: Path  # the bundled session with a start_time_utc metadata line
    summary: dict
    source: object  # FitSource
    table: object  # per-second values
    fit: Path  # the exported FIT file


def with_start_time(src: Path, dst: Path, start: datetime) -> Path:
    """A copy of a recording with ``start_time_utc`` added to its metadata."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    dst.write_text(lines[0] + f"# start_time_utc: {start.isoformat()}\n" + "".join(lines[1:]), encoding="utf-8")
    return dst


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> Exported:
    from formlab.analysis import analyze
    from formlab.fit.export import fit_bytes
    from formlab.fit.records import per_second
    from formlab.fit.source import source_from_analysis
    from formlab.recording import read_recording

    folder = tmp_path_factory.mktemp("fit")
    rec_path = with_start_time(BUNDLED, folder / "session.csv", START)
    analysis = analyze(read_recording(rec_path))
    source = source_from_analysis(analysis)
    fit = folder / "session.fit"
    fit.write_bytes(fit_bytes(source))
    return Exported(rec_path, analysis.summary, source, per_second(source), fit)
