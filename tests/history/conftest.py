"""Short simulated runs for the history tests (a minute of running each, 100 Hz)."""

from __future__ import annotations

import dataclasses

import pytest

from formlab.analysis import analyze
from formlab.simulate import Runner, simulate, treadmill_params, write_simulation


def run_params(speed_mps: float = 3.3, running_s: float = 60.0, **runner):
    return treadmill_params(Runner(speed_mps=speed_mps, **runner), duration_s=running_s, standing_s=5.0,
                            rate_hz=100.0, variability_pct=4.0)


def dated(analysis, start_utc: str):
    """The same analysis of a recording that differs only in its start time (so in its hash)."""
    rec = dataclasses.replace(analysis.recording,
                              metadata={**analysis.recording.metadata, "start_time_utc": start_utc})
    return dataclasses.replace(analysis, recording=rec)


@pytest.fixture(scope="session")
def short_analysis():
    return analyze(simulate(run_params(), seed=3).recording)


@pytest.fixture(scope="session")
def recording_files(tmp_path_factory):
    """Three small recording files (different runs) and one file that is not a recording."""
    folder = tmp_path_factory.mktemp("runs")
    paths = []
    for i, speed in enumerate((3.0, 3.3, 3.3)):
        params = run_params(speed, running_s=45.0)
        params.metadata.update({"start_time_utc": f"2026-10-0{i + 5}T07:00:00+00:00"})
        path = folder / f"run{i}.csv"
        write_simulation(simulate(params, seed=10 + i), path)
        paths.append(path)
    (folder / "broken.csv").write_text("# formlab-recording: 1\nt_s,acc_x_g\n0.0,1.0\n", encoding="utf-8")
    return folder, paths
