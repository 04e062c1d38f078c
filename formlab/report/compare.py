"""Two sessions side by side: every registry metric, each session's number and the change.

Form depends on pace (cadence and contact time change with speed), so sessions are compared
over the treadmill stages both ran at the same speed (within
:data:`formlab.treadmill.SPEED_TOLERANCE_MPS`): the steps of all matched stages are pooled per
session and each session's numbers come from :func:`formlab.summary.side_medians` and
:func:`formlab.summary.summary_metrics`, the estimators of SUMMARY.json (so a row shows what the
session's own tiles would show for those steps). When the two sessions never ran at the same
speed, only the metrics the registry marks ``pace_free`` (a balance, a share, a pelvic angle) are
compared, over the whole runs, and each row says so; the others say why they are not. When a
session's speed is unknown, everything is compared over the whole runs with a warning. A row that
cannot be compared gives the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formlab.registry import HIGHER_IS_BETTER, LOWER_IS_BETTER, METRICS, Metric, headline
from formlab.report.step_metrics import valid_steps
from formlab.summary import side_medians, summary_metrics
from formlab.treadmill import SPEED_TOLERANCE_MPS, session_stages, stage_speed_at

MIN_STEPS = 10
"""Fewer matched valid steps in either session and there is no comparison row."""

COMPARED = tuple(key for key in METRICS if key not in ("treadmill_speed_mps", "incline_pct"))
"""Every metric of the registry that a session measures, in the registry's reading order."""


@dataclass
class CompareRow:
    metric: Metric
    a: float | None
    b: float | None
    note: str = ""  # why the row has no change, or how it was compared when not at matched speed

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def delta_pct(self) -> float | None:
        """Relative change, only for metrics on a ratio scale (not for angles or percentages,
        whose change is read in degrees or points)."""
        if self.delta is None or self.a == 0 or self.metric.unit in ("%", "°"):
            return None
        return 100.0 * self.delta / abs(self.a)

    @property
    def verdict(self) -> str | None:
        """"better", "worse" or None (no direction, or no change at the displayed decimals)."""
        m, d = self.metric, self.delta
        if d is None or not m.shown(abs(d)):  # no change at the displayed decimals
            return None
        if m.symmetric_about is not None:  # a balance: closer to even is better
            closer = abs(self.b - m.symmetric_about) < abs(self.a - m.symmetric_about)
            return "better" if closer else "worse"
        if m.direction == HIGHER_IS_BETTER:
            return "better" if d > 0 else "worse"
        if m.direction == LOWER_IS_BETTER:
            return "better" if d < 0 else "worse"
        return None


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


def _numbers(steps) -> dict:
    """SUMMARY.json-style metrics of a set of valid steps (empty when too few)."""
    if len(steps) < MIN_STEPS:
        return {}
    m = side_medians(steps.sort_values("t_ic_s"))
    return summary_metrics(m, m["step_length_m"])


def _row(key: str, ma: dict, mb: dict, note: str = "") -> CompareRow:
    metric = METRICS[key]
    a, b = headline(ma, key), headline(mb, key)
    if a is None or b is None:
        missing = " and ".join(s for s, v in (("A", a), ("B", b)) if v is None)
        note = f"not measured in session {missing}: needs {metric.needs}"
    return CompareRow(metric, a, b, note)


def compare(a, b) -> Comparison:
    """Compare session ``b`` against session ``a`` (both ``Analysis``)."""
    steps_a, steps_b = valid_steps(a.steps), valid_steps(b.steps)
    stages_a, stages_b = session_stages(a), session_stages(b)
    if stages_a and stages_b:
        speeds_a, speeds_b = [s.speed_mps for s in stages_a], [s.speed_mps for s in stages_b]
        matched = _matched(speeds_a, speeds_b)
        if not matched:
            shown = METRICS["treadmill_speed_mps"].with_unit
            apart = (f"different treadmill speeds (A {', '.join(shown(v) for v in speeds_a)}, "
                     f"B {', '.join(shown(v) for v in speeds_b)})")
            ma, mb = _numbers(steps_a), _numbers(steps_b)
            rows = [_row(key, ma, mb, f"{apart}: compared over the whole runs; this metric hardly "
                                      "depends on pace") if METRICS[key].pace_free
                    else CompareRow(METRICS[key], None, None, f"{apart}: depends on pace, not compared")
                    for key in COMPARED]
            return Comparison([], f"the two sessions never ran at the same treadmill speed: only the "
                                  f"metrics that hardly depend on pace are compared", rows)
        steps_a = steps_a[_mask_at(steps_a, stages_a, matched)]
        steps_b = steps_b[_mask_at(steps_b, stages_b, matched)]
        caveat = None
    else:
        matched = []
        caveat = ("the treadmill speed is not known for both sessions: compared over the whole "
                  "run, so differences may come from pace rather than form")
    if len(steps_a) < MIN_STEPS or len(steps_b) < MIN_STEPS:
        return Comparison(matched, caveat, [])
    ma, mb = _numbers(steps_a), _numbers(steps_b)
    return Comparison(matched, caveat, [_row(key, ma, mb) for key in COMPARED])


def findings_diff(findings_a: list[dict], findings_b: list[dict]) -> dict[str, list[tuple[dict | None, dict | None]]]:
    """Findings of B against A by rule: ``new`` (only in B), ``resolved`` (only in A) and
    ``persisting`` (in both), each a list of ``(finding in A, finding in B)``."""
    by_a = {f.get("rule"): f for f in findings_a}
    by_b = {f.get("rule"): f for f in findings_b}
    return {"new": [(None, by_b[r]) for r in by_b if r not in by_a],
            "resolved": [(by_a[r], None) for r in by_a if r not in by_b],
            "persisting": [(by_a[r], by_b[r]) for r in by_a if r in by_b]}
