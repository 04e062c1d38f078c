"""Two sessions side by side: each metric's headline and the difference at matched speed.

Form depends on pace (cadence and contact time change with speed), so sessions are compared
only over the treadmill stages both ran at the same speed (within
:data:`formlab.treadmill.SPEED_TOLERANCE_MPS`): the steps of all matched stages are pooled per
session and each session's numbers come from :func:`formlab.summary.side_medians`, the estimator
of SUMMARY.json (side-balanced medians). When neither session's speed is known the whole running
span is compared and the report warns that pace may explain the differences; when both are known
but never match, there is no comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formlab.registry import METRICS, Metric
from formlab.report.step_metrics import valid_steps
from formlab.summary import HEADLINE_KEYS, side_medians
from formlab.treadmill import SPEED_TOLERANCE_MPS, session_stages, stage_speed_at

MIN_STEPS = 10
"""Fewer matched valid steps in either session and there is no comparison row."""


@dataclass
class CompareRow:
    metric: Metric
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.b - self.a

    @property
    def delta_pct(self) -> float | None:
        return None if self.a == 0 else 100.0 * (self.b - self.a) / abs(self.a)


@dataclass
class Comparison:
    matched_speeds_mps: list[float]   # empty when compared over the whole run
    caveat: str | None
    rows: list[CompareRow]


def _matched(speeds_a: list[float], speeds_b: list[float]) -> list[float]:
    return sorted({a for a in speeds_a for b in speeds_b
                   if abs(a - b) <= SPEED_TOLERANCE_MPS})


def _mask_at(steps, stages, speeds_mps):
    at = stage_speed_at(stages, steps["t_ic_s"].to_numpy(dtype=float))
    mask = np.zeros(len(steps), dtype=bool)
    for v in speeds_mps:
        mask |= np.abs(at - v) <= SPEED_TOLERANCE_MPS
    return mask


def compare(a, b) -> Comparison:
    """Compare session ``b`` against session ``a`` (both ``Analysis``)."""
    steps_a, steps_b = valid_steps(a.steps), valid_steps(b.steps)
    stages_a, stages_b = session_stages(a), session_stages(b)
    caveat = None
    matched: list[float] = []
    if stages_a and stages_b:
        matched = _matched([s.speed_mps for s in stages_a], [s.speed_mps for s in stages_b])
        if not matched:
            return Comparison([], "the two sessions never ran at the same treadmill speed, "
                                  "so their form cannot be compared at matched speed", [])
        steps_a = steps_a[_mask_at(steps_a, stages_a, matched)]
        steps_b = steps_b[_mask_at(steps_b, stages_b, matched)]
    else:
        caveat = ("the treadmill speed is not known for both sessions: compared over the whole "
                  "run, so differences may come from pace rather than form")
    if len(steps_a) < MIN_STEPS or len(steps_b) < MIN_STEPS:
        return Comparison(matched, caveat, [])
    ma, mb = side_medians(steps_a.sort_values("t_ic_s")), side_medians(steps_b.sort_values("t_ic_s"))
    rows = [CompareRow(METRICS[key], ma[col], mb[col]) for key, col in HEADLINE_KEYS.items()
            if ma[col] is not None and mb[col] is not None]
    return Comparison(matched, caveat, rows)
