"""The analysis pipeline: recording → bouts → calibration → body frame → steps → summary → findings.

One implementation, used by ``formlab analyze``, the report, validation and the live dashboard
(which calls :func:`analyze` on a rolling window of the recording).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from formlab.calibration import BodySignals, Calibration, calibrate, to_body
from formlab.metrics import level_frame_acc_g, measure_steps
from formlab.recording import Recording
from formlab.segmentation import segment
from formlab.sides import SideAssigner
from formlab.steps import RunningContactDetector, detect_contacts
from formlab.summary import drift_windows, summarize
from formlab.timebase import to_uniform
from formlab.treadmill import speed_at, speed_stages


@dataclass
class Analysis:
    """Everything the analysis measured (``docs/architecture.md``)."""

    recording: Recording
    calibration: Calibration
    body: BodySignals
    angles: pd.DataFrame | None
    bouts: pd.DataFrame
    steps: pd.DataFrame
    windows: pd.DataFrame
    summary: dict

    @property
    def running_steps(self) -> pd.DataFrame:
        return self.steps[self.steps["valid"]]

    def write_report(self, path, force: bool = False) -> None:
        """Write the self-contained HTML report; an existing file is replaced only with ``force``."""
        from formlab.output_files import check_outputs
        from formlab.report.html import write_report

        check_outputs({"report": path}, inputs=[self.recording.path] if self.recording.path else [], force=force)
        write_report([self], path)


def analyze(rec: Recording, speed_mps: float | None = None, calibration_dir=None, rules=True,
            catalogue=None, progress: Callable[[str], None] | None = None,
            calibration: Calibration | None = None,
            running_detector: RunningContactDetector | None = None) -> Analysis:
    """Analyse a recording. ``rules``: fill findings from the guidance catalogue (default one or
    ``catalogue``). ``progress`` is called with the name of each stage as it starts.
    ``calibration``: use this sensor-to-body calibration instead of finding one (the live
    dashboard learns it once, from the standing start, and reuses it on every window).
    ``running_detector``: running contacts with these parameters instead of the defaults."""
    report = progress or (lambda stage: None)
    stages = speed_stages(rec, speed_mps)
    notes: list[str] = list(rec.warnings)

    report("segmenting")
    bouts = segment(rec)
    if calibration is None:
        report("calibrating")
        calibration = calibrate(rec, bouts, calibration_dir)
    notes += calibration.notes
    body = to_body(rec, calibration)
    uniform = to_uniform(body.t_s, body.acc_g, body.gyr_dps, body.sample_rate_hz)

    report("orientation")
    angles, angles_grid, tilt_available = _pelvis_angles(body, uniform.t_s, notes)

    report("steps")
    acc_level_g = level_frame_acc_g(uniform.acc_g, angles_grid, uniform.sample_rate_hz)
    contacts = detect_contacts(uniform.t_s, uniform.acc_g, uniform.sample_rate_hz, uniform.valid, bouts,
                               activities=("running", "walking"), running=running_detector,
                               acc_fwd_g=acc_level_g[:, 0] if calibration.forward_found else None)
    if not (bouts["activity"] == "running").any():
        notes.append("no running found in this recording: nothing to measure")
    assigner = SideAssigner()
    cues = assigner.cues(uniform.t_s, acc_level_g, uniform.gyr_dps, uniform.sample_rate_hz, contacts, angles_grid)
    evidence = assigner.evidence_from(contacts, cues)
    side, confidence = assigner.assign(contacts, evidence)
    for activity in assigner.inconsistent_activities(contacts, cues):
        notes.append(f"{activity}: no sides: the pelvis's rotation disagrees with its sideways sway or obliquity "
                     "over the recording (the forward direction may be reversed)")
    if uniform.gyr_dps is None and len(contacts):
        notes.append("no gyroscope: the side of each step is not labelled (the sideways push and pelvic drop "
                     "cannot be told apart in the accelerometer alone)")

    report("metrics")
    braking_available = angles_grid is not None and calibration.forward_found
    if not braking_available and len(contacts):
        notes.append("braking not measured: it needs the forward direction and the pelvis angles (gyroscope) "
                     "to keep gravity out of the forward acceleration")
    steps = measure_steps(uniform.t_s, uniform.acc_g, acc_level_g, uniform.sample_rate_hz, contacts, side,
                          confidence, angles_grid, tilt_available, braking_available)
    steps["speed_mps"] = speed_at(stages, steps["t_ic_s"].to_numpy())
    windows = drift_windows(steps)
    summary = summarize(rec, calibration, bouts, steps, windows, notes)
    analysis = Analysis(rec, calibration, body, angles, bouts, steps, windows, summary)
    if rules:
        report("rules")
        from formlab.rules import rules_summary

        summary.update(rules_summary(analysis, catalogue))
    return analysis


def _pelvis_angles(body: BodySignals, grid_t_s: np.ndarray, notes: list[str]):
    """Pelvic angles on the body's own samples and resampled to the uniform grid."""
    if body.gyr_dps is None:  # calibration's notes already say so
        return None, None, False
    from formlab.orientation import pelvis_angles

    angles = pelvis_angles(body)
    if angles is None:
        return None, None, False
    columns = ("tilt_deg", "obliquity_deg", "rotation_deg")
    if np.array_equal(grid_t_s, angles["t_s"].to_numpy()):  # no gaps: the grid is the samples
        grid = angles[list(columns)].to_numpy()  # a read-only view of the frame's values, no copy
    else:
        grid = np.column_stack([np.interp(grid_t_s, angles["t_s"], angles[c]) for c in columns])
    tilt_available = bool(body.standing_found)
    if not tilt_available:
        notes.append("no standing moment found: pelvic tilt (relative to standing posture) is not available, and "
                     "pelvic drop is measured from the stride-average obliquity (which narrows a left/right difference)")
    return angles, grid, tilt_available
