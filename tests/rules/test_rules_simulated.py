"""Rules on simulated runners, end to end: simulate → analyze → evaluate.

Each rule fires on a runner built to show its problem and a runner with good form gives no
``watch`` or ``flag``. The runs are short (2-3 minutes), so the drift windows are 30 s here
instead of the default 120 s (``formlab.summary.drift_windows(steps, window_s)``).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import pytest

from formlab.analysis import analyze
from formlab.rules import evaluate, load_catalogue, unevaluated
from formlab.simulate import Phase, Runner, SimParams, mount_from_euler_deg, simulate
from formlab.summary import drift_windows
from rules_inputs import COACH_LEVELS

WINDOW_S = 30.0
GOOD = Runner(cadence_spm=172.0, contact_ms=240.0, braking_mps=0.10, ml_speed_mps=0.15,
              tilt_deg=6.0, tilt_range_deg=5.0, drop_left_deg=5.0, drop_right_deg=5.0,
              rotation_range_deg=10.0, speed_mps=3.33)
MOUNT = mount_from_euler_deg(90.0, 10.0, 180.0)  # sensor turned and upside down


def _analysis(phases: tuple[Phase, ...], metadata: tuple = (), seed: int = 7):
    params = SimParams(phases=[Phase(10.0, "standing"), *phases], rate_hz=104.0,
                       R_sensor_from_body=MOUNT, metadata=dict(metadata))
    a = analyze(simulate(params, seed).recording, rules=False)
    return dataclasses.replace(a, windows=drift_windows(a.steps, WINDOW_S))


@lru_cache(maxsize=None)
def analysis_of(phases: tuple[Phase, ...], metadata: tuple = (), seed: int = 7):
    return _analysis(phases, metadata, seed)


def steady(runner: Runner, duration_s: float = 120.0) -> tuple[Phase, ...]:
    return (Phase(duration_s, "running", runner),)


def finding(a, rule, catalogue=None):
    hits = [f for f in evaluate(a, catalogue or load_catalogue()) if f["rule"] == rule]
    return hits[0] if hits else None


@pytest.mark.parametrize("seed", [7, 8])
def test_good_form_gives_no_watch_or_flag(seed):
    a = analysis_of(steady(GOOD, 150.0), seed=seed)
    loud = [(f["rule"], f["metric"], f["value"]) for f in evaluate(a, load_catalogue())
            if f["severity"] in ("watch", "flag")]
    assert loud == []
    assert [m["rule"] for m in unevaluated(a, load_catalogue())] == ["downhill"]


PROBLEMS = {
    # rule: (runner changes, metric expected, severity expected)
    "overstriding": ({"braking_mps": 0.40}, "braking_pct", {"watch"}),
    "low_cadence": ({"cadence_spm": 158.0}, "cadence_spm", {"watch"}),
    "uneven_landing": ({"contact_diff_ms": 30.0}, "contact_balance_offset_pct", {"watch"}),
    # no published threshold: shown for information only
    "anterior_pelvic_tilt": ({"tilt_deg": 13.0}, "pelvic_tilt_deg", {"info"}),
    "pelvic_drop": ({"drop_right_deg": 10.0}, "pelvic_drop_right_deg", {"info"}),
    "trunk_rotation": ({"rotation_range_deg": 26.0}, "pelvic_rotation_range_deg", {"info"}),
    "high_bounce": ({"cadence_spm": 150.0, "contact_ms": 190.0, "speed_mps": 2.6},
                    "vertical_oscillation_cm", {"watch", "flag"}),
}


@pytest.mark.parametrize("rule", sorted(PROBLEMS))
def test_rule_fires_on_a_runner_with_that_problem(rule):
    changes, metric, severities = PROBLEMS[rule]
    a = analysis_of(steady(dataclasses.replace(GOOD, **changes)))
    f = finding(a, rule)
    assert f is not None, evaluate(a, load_catalogue())
    assert (f["metric"], f["whole_run"]) == (metric, True)
    assert f["severity"] in severities
    assert f["sources"] and f["advice"]
    if metric not in ("contact_balance_offset_pct", "braking_pct"):  # per-step metrics: most steps show the problem
        assert f["evidence"]["steps"]["beyond_threshold_pct"] > 50.0


# The three runners of the issue: typical braking for the speed (about 0.25 m/s lost per step at
# 3.3 m/s), an overstrider (about 0.55 m/s, long contact, low cadence), an asymmetric runner.
TYPICAL = GOOD
OVERSTRIDER = dataclasses.replace(GOOD, braking_mps=0.40, contact_ms=300.0, cadence_spm=158.0)
ASYMMETRIC = dataclasses.replace(GOOD, contact_diff_ms=30.0, impact_left_bw=2.0,
                                 impact_right_bw=2.6)


def test_good_form_runner_with_typical_braking_gets_nothing_above_info():
    a = analysis_of(steady(TYPICAL, 150.0))
    m = a.summary["metrics"]
    assert 0.2 <= m["braking_mps"]["mean"] <= 0.3 and 160 < m["cadence_spm"] < 180
    assert [f for f in evaluate(a, load_catalogue()) if f["severity"] != "info"] == []


def test_overstrider_gets_the_overstriding_finding():
    a = analysis_of(steady(OVERSTRIDER, 150.0))
    assert 0.5 <= a.summary["metrics"]["braking_mps"]["mean"] <= 0.6
    f = finding(a, "overstriding")
    assert f["severity"] == "watch" and f["metric"] in ("braking_pct", "braking_mps")
    assert "% of your running speed" in f["message"]


def test_asymmetric_runner_gets_a_sacroiliac_joint_finding_naming_the_side():
    a = analysis_of(steady(ASYMMETRIC, 150.0))
    f = finding(a, "uneven_landing")
    assert f["severity"] == "watch" and f["evidence"]["side"] == "left"
    assert f["message"].startswith("Your left foot stays longer on the ground")
    assert "Sacroiliac joint dysfunction" in [s["section"] for s in f["sources"]]


def test_pelvic_drop_names_the_weak_side():
    a = analysis_of(steady(dataclasses.replace(GOOD, drop_right_deg=10.0)))
    assert finding(a, "pelvic_drop")["evidence"]["side"] == "right"


def test_uneven_landing_from_a_harder_landing_foot():
    a = analysis_of(steady(dataclasses.replace(GOOD, impact_left_bw=1.0, impact_right_bw=3.0)))
    f = finding(a, "uneven_landing")
    assert (f["metric"], f["evidence"]["side"]) == ("impact_asymmetry_pct", "right")


def test_fatigue_span():
    """Cadence steady 60 s, then falling 172 → 162 spm over 120 s: it is 6 spm down (the flag
    threshold) 72 s into the fall, at t = 10 + 60 + 72 = 142 s, and stays down to the end."""
    tired = dataclasses.replace(GOOD, cadence_spm=162.0)
    a = analysis_of((Phase(60.0, "running", GOOD), Phase(120.0, "running", GOOD, tired)))
    f = finding(a, "fatigue_fade", load_catalogue(overrides_path=COACH_LEVELS))
    assert (f["metric"], f["severity"], f["whole_run"]) == ("cadence_spm_change", "flag", False)
    assert f["value"] == pytest.approx(-9.0, abs=1.0)  # last 30 s window: median 163.75
    start, end = f["span_s"]
    assert 142.0 - WINDOW_S <= start <= 142.0 + WINDOW_S / 2
    assert end == pytest.approx(190.0, abs=1.0)


def test_problem_that_appears_late_is_reported_with_its_span(tmp_path):
    """Good form for 110 s, then the right hip drops 10 degrees for 70 s: the whole-run median
    stays good, the late windows show it (a coach's file lowers the minimum span to 45 s: the
    last drift window, 130-189 s, is the only one with a majority of late steps)."""
    coach = tmp_path / "coach.toml"
    coach.write_text("[settings]\nwindow_min_span_s = 45\n\n"
                     + COACH_LEVELS.read_text(encoding="utf-8"))
    late = dataclasses.replace(GOOD, drop_right_deg=10.0)
    a = analysis_of((Phase(110.0, "running", GOOD), Phase(70.0, "running", late)))
    f = finding(a, "pelvic_drop", load_catalogue(overrides_path=coach))
    assert (f["metric"], f["whole_run"]) == ("pelvic_drop_right_deg", False)
    start, end = f["span_s"]
    assert 120.0 - WINDOW_S <= start <= 120.0 + WINDOW_S
    assert end == pytest.approx(190.0, abs=1.0)
    assert "This shows from" in f["message"]


def test_downhill_from_metadata():
    a = analysis_of(steady(GOOD, 60.0), metadata=(("incline_pct", "-4"),))
    f = finding(a, "downhill")
    assert (f["severity"], f["value"]) == ("info", -4.0)
    assert f["sources"] == [{"document": "Why do I have Lower Back Pain after Running?",
                             "section": "Have I been running a lot of hills?"}]


def test_without_gyroscope_pelvic_rules_are_listed_not_guessed():
    params = SimParams(phases=[Phase(10.0, "standing"), Phase(60.0, "running",
                               dataclasses.replace(GOOD, drop_right_deg=12.0, tilt_deg=16.0))],
                       with_gyro=False)
    a = analyze(simulate(params, 3).recording, rules=False)
    rules = {f["rule"] for f in evaluate(a, load_catalogue())}
    assert not rules & {"pelvic_drop", "anterior_pelvic_tilt", "trunk_rotation"}
    missing = {(m["rule"], m["metric"]) for m in unevaluated(a, load_catalogue())}
    assert {("pelvic_drop", "pelvic_drop_left_deg"), ("pelvic_drop", "pelvic_drop_right_deg"),
            ("anterior_pelvic_tilt", "pelvic_tilt_deg"),
            ("trunk_rotation", "pelvic_rotation_range_deg")} <= missing


def test_analyze_fills_findings_into_the_summary():
    params = SimParams(phases=[Phase(10.0, "standing"),
                               Phase(60.0, "running", dataclasses.replace(GOOD, cadence_spm=150.0))],
                       with_gyro=False)
    a = analyze(simulate(params, 3).recording)
    assert [f["rule"] for f in a.summary["findings"] if f["rule"] == "low_cadence"] == ["low_cadence"]
    assert a.summary["rules_not_evaluated"]
    assert "not a medical diagnosis" in a.summary["rules_notes"]["not_a_diagnosis"]


@pytest.mark.slow
def test_demo_session_fatigue_with_default_windows():
    """The shipped 10-minute demo (formlab.simulate.demo_params): tilt drifts 6 → 9 degrees over
    the run and the right foot lands harder in the last 3 minutes (from 430 s). The default drift
    windows (equal, at least 120 s: four of 150 s here) show both in the last window (459-609 s)
    and nowhere earlier."""
    from formlab.simulate import demo_params

    a = analyze(simulate(demo_params(), 1).recording)
    f = next(f for f in a.summary["findings"] if f["rule"] == "fatigue_fade")
    metrics = {f["metric"]: f["span_s"]} | {o["metric"]: o["span_s"]
                                            for o in f["evidence"].get("other_checks", [])}
    assert set(metrics) == {"pelvic_tilt_deg_change", "impact_asymmetry_pct_change"}
    for start, end in metrics.values():
        assert start == pytest.approx(459.5, abs=5.0) and end == pytest.approx(609.0, abs=5.0)
    assert [g["rule"] for g in a.summary["findings"] if g["severity"] == "flag"] in ([], ["fatigue_fade"])
