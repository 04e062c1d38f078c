"""Trends at matched speed, baselines, weekly volume and the 10 % rule."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from formlab.history.guidance import baseline_settings, volume_rule
from formlab.history.payload import stage_metrics
from formlab.history.store import Store
from formlab.history.trends import baseline_findings, compare_to_baseline, speed_groups, trend
from formlab.history.payload import session_record
from formlab.history.volume import plan_note, volume_findings, weekly_volume
from formlab.summary import side_medians

from .conftest import dated


def test_stage_metrics_are_the_summary_estimator(short_analysis):
    rows = stage_metrics(short_analysis.steps)
    assert {r[0] for r in rows} == {3.3}
    stage = {metric: value for _, _, metric, value in rows}
    assert stage == side_medians(short_analysis.running_steps)
    assert round(stage["cadence_spm"], 1) == short_analysis.summary["metrics"]["cadence_spm"]
    assert round(stage["contact_right_ms"], 1) == short_analysis.summary["metrics"]["ground_contact_ms"]["right"]


def test_stage_metrics_split_by_belt_speed(short_analysis):
    steps = short_analysis.steps.copy()
    half = len(steps) // 2
    steps.loc[steps.index[half:], "speed_mps"] = 3.6
    rows = stage_metrics(steps)
    assert {r[0] for r in rows} == {3.3, 3.6}
    late = steps.iloc[half:]
    assert {m: v for s, _, m, v in rows if s == 3.6} == side_medians(late[late["valid"]])


def test_speed_groups_hold_runs_within_the_tolerance():
    assert speed_groups([3.0, 3.05, 3.3, 3.35, 3.4, None, 3.62], 0.1) == [3.02, 3.35, 3.62]
    assert speed_groups([], 0.1) == []


def _frame(values, speed=3.3, start_day=1):
    return pd.DataFrame({"session_id": range(1, len(values) + 1),
                         "start_utc": [f"2026-10-{start_day + 2 * i:02d}T07:00:00+00:00" for i in range(len(values))],
                         "speed_mps": speed, "steps": 500, "value": values})


def test_baseline_finding_states_the_change_at_that_speed():
    metric = baseline_settings().metrics["contact_right_ms"]
    frame = _frame([248.0, 250.0, 249.0, 251.0, 262.0])
    (c,) = compare_to_baseline(frame, 5, metric)
    assert c.baseline == 249.5 and c.baseline_sessions == 4 and c.arrow == "↑" and c.notable
    assert c.message().startswith("right-foot contact 12 ms longer than your baseline at 3.3 m/s")


def test_no_baseline_from_too_few_runs_other_speeds_or_older_than_four_weeks():
    metric = baseline_settings().metrics["contact_right_ms"]
    assert compare_to_baseline(_frame([248.0, 250.0, 262.0]), 3, metric) == []
    other_speed = pd.concat([_frame([248.0, 250.0, 249.0], speed=3.0), _frame([262.0], start_day=20)])
    other_speed["session_id"] = [1, 2, 3, 4]
    assert compare_to_baseline(other_speed, 4, metric) == []
    old = _frame([248.0, 250.0, 249.0, 262.0])
    old.loc[3, "start_utc"] = "2026-12-20T07:00:00+00:00"
    assert compare_to_baseline(old, 4, metric) == []


def test_a_change_within_the_run_to_run_spread_is_not_stated():
    metric = baseline_settings().metrics["contact_right_ms"]
    (c,) = compare_to_baseline(_frame([230.0, 262.0, 240.0, 255.0, 262.0]), 5, metric)
    assert c.arrow == "→" and not c.notable


def test_trend_and_baseline_from_the_store(tmp_path, short_analysis):
    with Store(tmp_path / "history.sqlite") as store:
        for day in (1, 3, 5, 7):
            store.save(session_record(dated(short_analysis, f"2026-10-{day:02d}T07:00:00+00:00")), "Ana")
        t = trend(store, "Ana", "cadence_spm", 3.35)
        assert len(t) == 4 and t["value"].nunique() == 1
        assert trend(store, "Ana", "cadence_spm", 3.0).empty
        assert baseline_findings(store, "Ana", int(t["session_id"].iloc[-1])) == []  # the same run four times


def _session(day: str, minutes: float, distance_m: float | None = None):
    return SimpleNamespace(start_utc=f"{day}T07:00:00+00:00", running_s=60.0 * minutes, running_steps=int(170 * minutes),
                           distance_m=distance_m)


def test_weekly_volume_and_the_ten_percent_rule():
    sessions = [_session("2026-10-05", 30), _session("2026-10-07", 30),       # week 1: 60 min
                _session("2026-10-12", 66),                                    # week 2: +10 %: allowed
                _session("2026-10-19", 40), _session("2026-10-21", 40),       # week 3: 80 min, +21 %
                _session("2026-11-02", 20)]                                    # week 4 empty, week 5
    weekly = weekly_volume(sessions)
    assert [w.isoformat() for w in weekly["week_start"]] == ["2026-10-05", "2026-10-12", "2026-10-19",
                                                            "2026-10-26", "2026-11-02"]
    assert weekly["runs"].tolist() == [2, 1, 2, 0, 1]
    change = weekly["change_pct"].tolist()
    assert change[1:4] == [pytest.approx(10.0), pytest.approx(100 * 14 / 66), -100.0]
    assert pd.isna(change[0]) and pd.isna(change[4])  # nothing the week before
    (finding,) = volume_findings(weekly)
    assert finding["week_start"] == "2026-10-19" and finding["value"] == 21.2 and finding["measure"] == "time"
    assert "plan_note" not in finding
    rule = volume_rule()
    assert finding["sources"] == [dict(s) for s in rule.sources]
    assert {"document": "Why You Experience Lower Back Pain When Running and What to Do About It",
            "section": "Gradually Increase Mileage"} in finding["sources"]
    assert all(".txt" not in s["document"] for s in finding["sources"])


def test_distance_is_compared_when_every_run_has_it():
    weekly = weekly_volume([_session("2026-10-05", 30, 5000.0), _session("2026-10-12", 30, 6000.0),
                            _session("2026-10-19", 40, None)])
    assert weekly["measure"].tolist()[1:] == ["distance", "time"]
    assert weekly["change_pct"].iloc[1] == pytest.approx(20.0)


def test_six_weeks_into_a_plan_note():
    sessions = [_session("2026-10-05", 30), _session("2026-10-12", 40)]
    (finding,) = volume_findings(weekly_volume(sessions), plan_start="2026-09-02")  # 2026-10-12: week 7
    assert finding["plan_note"]["plan_week"] == 7
    assert finding["plan_note"]["sources"] == [{"document": "Why do I have Lower Back Pain after Running?",
                                               "section": "What Triggers the Runner's Lower Back Syndrome?"}]
    assert plan_note(date(2026, 10, 12), "2026-09-30") is None  # week 3
    assert plan_note(date(2026, 10, 12), None) is None
