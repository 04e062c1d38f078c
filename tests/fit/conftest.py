"""Fixtures for the FIT tests: the bundled 10-minute session analysed once, with a known start time."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from fit_session import BUNDLED, START, with_start_time


@dataclass
class Exported:
    recording: Path  # the bundled session with a start_time_utc metadata line
    summary: dict
    source: object  # FitSource
    table: object  # per-second values
    fit: Path  # the exported FIT file


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
