"""Trends that compare like with like: one metric over time, only between runs at the same belt
speed, and findings against the athlete's own baseline.

Model: a metric of a run at one belt speed is ``side_medians`` over that speed stage's valid steps
(stored with the session). Two stages match when their speeds differ by at most
``speed_tolerance_mps`` (0.1 m/s by default): running form changes with speed (cadence, contact
time and oscillation all do), so a trend across speeds would show the pace, not the runner.
The baseline of a run is the median of the matched stages in the ``weeks`` (4) before it; it is
used only with at least ``min_sessions`` (3) such sessions, and a change is stated only when it
exceeds both the metric's smallest meaningful change and ``spread_factor`` robust standard
deviations (1.4826 × MAD) of the baseline sessions. Thresholds: formlab defaults
(``history_rules.toml``), no published source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from formlab.history.guidance import Baseline, BaselineMetric, baseline_settings

KEY_METRICS = ("cadence_spm", "contact_left_ms", "contact_right_ms", "vertical_oscillation_cm")
"""The metrics the roster shows as trend arrows."""


def speed_groups(speeds, tolerance_mps: float) -> list[float]:
    """Belt speeds grouped so that each group spans at most ``2 × tolerance`` around its centre
    (greedy from the slowest); the group centres, slowest first. Unknown speeds are left out."""
    values = np.sort(np.asarray([s for s in speeds if s is not None and np.isfinite(s)], dtype=float))
    centres, i = [], 0
    while i < values.size:
        j = np.searchsorted(values, values[i] + 2 * tolerance_mps + 1e-9, side="right")
        centres.append(round(float(np.median(values[i:j])), 2))
        i = j
    return centres


def matched(frame: pd.DataFrame, speed_mps: float, tolerance_mps: float) -> pd.DataFrame:
    """Rows of a :meth:`Store.stage_metric` frame within ``tolerance_mps`` of ``speed_mps``."""
    near = (frame["speed_mps"] - speed_mps).abs() <= tolerance_mps + 1e-9
    return frame[near & frame["value"].notna()]


def trend(store, athlete: str, metric: str, speed_mps: float, tolerance_mps: float = 0.1) -> pd.DataFrame:
    """``session_id, start_utc, speed_mps, steps, value`` of ``metric`` for every run of
    ``athlete`` with a stage within ``tolerance_mps`` of ``speed_mps``, oldest first."""
    return matched(store.stage_metric(athlete, metric), speed_mps, tolerance_mps).reset_index(drop=True)


@dataclass(frozen=True)
class Comparison:
    """One metric of one run against the athlete's baseline at the same speed."""

    metric: BaselineMetric
    speed_mps: float
    value: float
    baseline: float
    baseline_sessions: int
    margin: float

    @property
    def change(self) -> float:
        return self.value - self.baseline

    @property
    def arrow(self) -> str:
        if abs(self.change) < self.margin:
            return "→"
        return "↑" if self.change > 0 else "↓"

    @property
    def notable(self) -> bool:
        return abs(self.change) >= self.margin

    def message(self) -> str:
        m = self.metric
        word = m.up if self.change > 0 else m.down
        unit = m.unit if m.unit in ("%", "°") else f" {m.unit}"
        return (f"{m.label} {abs(self.change):.{m.decimals}f}{unit} {word} than your baseline at "
                f"{self.speed_mps:g} m/s ({self.value:.{m.decimals}f}{unit} against "
                f"{self.baseline:.{m.decimals}f}{unit}, {self.baseline_sessions} runs in the "
                f"previous weeks)")


def compare_to_baseline(frame: pd.DataFrame, session_id: int, metric: BaselineMetric,
                        settings: Baseline | None = None) -> list[Comparison]:
    """The run ``session_id`` against its baseline, per belt-speed stage of that run; empty where
    the baseline has too few sessions. ``frame``: :meth:`Store.stage_metric` of ``metric.name``."""
    settings = settings or baseline_settings()
    own = frame[(frame["session_id"] == session_id) & frame["value"].notna() & frame["speed_mps"].notna()]
    out = []
    for row in own.itertuples(index=False):
        at = datetime.fromisoformat(row.start_utc)
        since = (at - timedelta(weeks=settings.weeks)).isoformat(timespec="seconds")
        before = matched(frame, row.speed_mps, settings.speed_tolerance_mps)
        before = before[(before["start_utc"] < row.start_utc) & (before["start_utc"] >= since)
                        & (before["session_id"] != session_id)]
        per_session = before.groupby("session_id")["value"].median()
        if len(per_session) < settings.min_sessions:
            continue
        values = per_session.to_numpy(float)
        centre = float(np.median(values))
        sigma = 1.4826 * float(np.median(np.abs(values - centre)))
        out.append(Comparison(metric, float(row.speed_mps), float(row.value), centre, len(per_session),
                              max(metric.min_change, settings.spread_factor * sigma)))
    return out


def baseline_findings(store, athlete: str, session_id: int, settings: Baseline | None = None) -> list[Comparison]:
    """Every metric of ``history_rules.toml`` where the run differs notably from its baseline."""
    settings = settings or baseline_settings()
    found = []
    for metric in settings.metrics.values():
        frame = store.stage_metric(athlete, metric.name)
        found += [c for c in compare_to_baseline(frame, session_id, metric, settings) if c.notable]
    return found
