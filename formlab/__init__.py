"""formlab: running-form analysis from one waist-worn IMU.

The library in five lines::

    import formlab
    a = formlab.analyze("run.csv", treadmill_speed_mps=3.3)
    print(a.summary["metrics"]["cadence_spm"])   # SUMMARY.json as a dict
    print(a.steps.head())                        # one row per step (pandas)
    a.write_report("run.html")                   # the coach's HTML report

The body frame used everywhere is documented in ``docs/body-frame.md`` and in
:mod:`formlab.frames`.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"


def analyze(recording: str | os.PathLike, treadmill_speed_mps: float | None = None,
            calibration_dir: str | os.PathLike | None = None):
    """Read a recording file and analyse it: an :class:`formlab.analysis.Analysis` with
    ``summary`` (SUMMARY.json as a dict), ``steps`` (a DataFrame, one row per step) and
    ``write_report(path)``. Bad input raises :class:`formlab.errors.InputError` (one line)."""
    from formlab.analysis import analyze as analyze_recording
    from formlab.recording import read_recording

    return analyze_recording(read_recording(recording), speed_mps=treadmill_speed_mps,
                             calibration_dir=calibration_dir)
