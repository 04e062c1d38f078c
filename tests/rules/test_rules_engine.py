"""The rules engine on hand-built analyses: exact findings, spans, evidence and missing metrics."""

from __future__ import annotations

import copy

import pytest

from formlab.rules import evaluate, load_catalogue, rules_summary, unevaluated
from rules_inputs import COACH_LEVELS, HandBuilt, Rec, steps, summary, windows


def coach():
    """The catalogue with a coach's watch and flag levels on every check (coach_levels.toml): the
    engine's mechanics (severities, spans, ordering) tested on known levels."""
    return load_catalogue(overrides_path=COACH_LEVELS)

SPEC_KEYS = {"rule", "severity", "metric", "value", "threshold", "message", "advice", "sources",
             "span_s", "evidence"}


def only(findings, rule):
    hits = [f for f in findings if f["rule"] == rule]
    assert len(hits) == 1, [f["rule"] for f in findings]
    return hits[0]


def test_good_form_gives_no_finding_and_says_what_was_not_evaluated():
    a = HandBuilt(summary(), steps(), windows())
    assert evaluate(a, load_catalogue()) == []
    missing = unevaluated(a, load_catalogue())
    assert [(m["rule"], m["metric"]) for m in missing] == [("downhill", "incline_pct")]
    assert "no treadmill incline" in missing[0]["reason"]


def test_overstriding_braking_watch_with_step_evidence():
    braking = [0.38] * 150 + [0.2] * 50
    a = HandBuilt(summary(braking_mps__mean=0.38), steps(braking_mps=braking), windows())
    f = only(evaluate(a, coach()), "overstriding")
    assert SPEC_KEYS <= set(f)
    assert (f["severity"], f["metric"], f["value"], f["threshold"]) == ("watch", "braking_mps",
                                                                         0.38, 0.35)
    assert f["span_s"] == [10.0, 610.0] and f["whole_run"] is True
    assert "0.38 m/s" in f["message"] and "0.35 m/s" in f["message"]
    assert f["evidence"]["steps"] == {"n": 200, "beyond_threshold": 150,
                                      "beyond_threshold_pct": 75.0, "median": 0.38,
                                      "p25": 0.335, "p75": 0.38}
    assert {"document": "Why You Experience Lower Back Pain When Running and What to Do "
                        "About It", "section": "Avoid Overstriding"} in f["sources"]
    assert f["threshold_source"].startswith("coach override")
    shipped = only(evaluate(a, load_catalogue()), "overstriding")
    assert (shipped["severity"], shipped["threshold"]) == ("watch", 0.30)
    assert "Munro" in shipped["threshold_source"]


def test_overstriding_flag_lists_the_other_check():
    a = HandBuilt(summary(braking_mps__mean=0.5, ground_contact_ms__mean=290.0))
    f = only(evaluate(a, coach()), "overstriding")
    assert (f["severity"], f["metric"], f["value"], f["threshold"]) == ("flag", "braking_mps",
                                                                         0.5, 0.45)
    other = f["evidence"]["other_checks"]
    assert [(o["metric"], o["severity"], o["value"], o["threshold"]) for o in other] == [
        ("ground_contact_ms", "watch", 290.0, 277.0)]


@pytest.mark.parametrize("cadence, severity", [(172.0, None), (163.6, None), (163.4, "watch"),
                                               (160.0, "watch"), (152.6, "watch"),
                                               (152.4, "flag")])
def test_low_cadence_garmin_bands_compare_the_shown_value(cadence, severity):
    findings = evaluate(HandBuilt(summary(cadence_spm=cadence)), coach())
    got = [f for f in findings if f["rule"] == "low_cadence"]
    assert [f["severity"] for f in got] == ([severity] if severity else [])


def test_uneven_landing_names_the_harder_side():
    a = HandBuilt(summary(impact_g={"left": 3.2, "right": 2.6}, impact_asymmetry_pct=20.69))
    f = only(evaluate(a, coach()), "uneven_landing")
    assert (f["severity"], f["metric"], f["value"], f["evidence"]["side"]) == (
        "flag", "impact_asymmetry_pct", 20.7, "left")
    assert f["message"].startswith("Your left foot lands harder: impact 3.20 g against 2.60 g on "
                                    "the right, 20.7 % more.")


def test_contact_balance_offset_uses_garmin_band():
    a = HandBuilt(summary(ground_contact_balance_left_pct=48.5))
    f = only(evaluate(a, coach()), "uneven_landing")
    assert (f["severity"], f["metric"], f["value"], f["threshold"], f["evidence"]["side"]) == (
        "watch", "contact_balance_offset_pct", 1.5, 0.7, "right")


def test_pelvic_drop_reports_the_side():
    a = HandBuilt(summary(pelvic_drop_deg={"left": 5.0, "right": 8.0}))
    f = only(evaluate(a, coach()), "pelvic_drop")
    assert (f["severity"], f["metric"], f["value"]) == ("watch", "pelvic_drop_right_deg", 8.0)
    assert "stand on your right leg" in f["message"] and "8.0 degrees" in f["message"]


@pytest.mark.parametrize("rule, metrics, metric, severity", [
    ("anterior_pelvic_tilt", {"pelvic_tilt_deg__mean": 16.0}, "pelvic_tilt_deg", "flag"),
    ("trunk_rotation", {"pelvic_rotation_deg__range": 24.0}, "pelvic_rotation_range_deg", "watch"),
    ("high_bounce", {"vertical_oscillation_cm": 11.5}, "vertical_oscillation_cm", "watch"),
    ("high_bounce", {"vertical_ratio_pct": 12.5}, "vertical_ratio_pct", "flag"),
])
def test_level_rules(rule, metrics, metric, severity):
    f = only(evaluate(HandBuilt(summary(**metrics)), coach()), rule)
    assert (f["metric"], f["severity"]) == (metric, severity)


def test_fatigue_span_starts_where_the_change_lasts_to_the_end():
    w = windows(n=7, cadence_spm=[172, 172, 165, 171, 165, 165, 164])
    a = HandBuilt(summary(), windows=w)
    f = only(evaluate(a, coach()), "fatigue_fade")
    assert (f["severity"], f["metric"], f["value"], f["threshold"]) == ("flag",
                                                                         "cadence_spm_change",
                                                                         -8.0, -6.0)
    # windows start at 10 s, 120 s long: the drop lasts from window 4 (490 s) to the end (850 s)
    assert f["span_s"] == [490.0, 850.0] and f["whole_run"] is False
    assert "-8 spm" in f["message"] and "from 8:10 to 14:10" in f["message"]
    assert [w["value"] for w in f["evidence"]["windows"]] == [0, 0, -7, -1, -7, -7, -8]


def test_fatigue_picks_the_most_severe_of_several_drifts():
    w = windows(contact_ms=[246, 248, 252, 258, 259], pelvic_tilt_deg=[7, 7.5, 8, 9, 11.5])
    f = only(evaluate(HandBuilt(summary(), windows=w), coach()), "fatigue_fade")
    assert (f["metric"], f["severity"], f["value"], f["span_s"]) == (
        "pelvic_tilt_deg_change", "flag", 4.5, [490.0, 610.0])
    assert [(o["metric"], o["severity"], o["value"], o["span_s"])
            for o in f["evidence"]["other_checks"]] == [
        ("ground_contact_ms_change", "watch", 13.0, [370.0, 610.0])]
    tilt = only(evaluate(HandBuilt(summary(), windows=w), coach()),
                "anterior_pelvic_tilt")
    assert (tilt["metric"], tilt["severity"]) == ("pelvic_tilt_deg_change", "flag")


def test_problem_only_late_in_the_run_has_its_span():
    w = windows(vertical_oscillation_cm=[8.5, 8.6, 8.5, 11.4, 11.6])
    f = only(evaluate(HandBuilt(summary(vertical_oscillation_cm=8.6), windows=w),
                      coach()), "high_bounce")
    assert (f["severity"], f["value"], f["span_s"], f["whole_run"]) == ("watch", 11.5,
                                                                        [370.0, 610.0], False)
    assert "from 6:10 to 10:10 of the recording" in f["message"]
    assert [x["value"] for x in f["evidence"]["windows"]] == [11.4, 11.6]


def test_a_short_late_excursion_is_not_reported():
    w = windows(n=10, window_s=60.0, vertical_oscillation_cm=[8.5] * 9 + [12.0])
    findings = evaluate(HandBuilt(summary(vertical_oscillation_cm=8.6), windows=w),
                        coach())
    assert [f["rule"] for f in findings] == []


def test_windows_with_few_steps_are_ignored():
    w = windows(cadence_spm=[172, 172, 172, 172, 160])
    w.loc[4, "steps"] = 5
    assert evaluate(HandBuilt(summary(), windows=w), coach()) == []


@pytest.mark.parametrize("meta, severity, value", [
    ({"incline_pct": "-2"}, "info", -2.0), ({"incline_pct": "-6.5"}, "watch", -6.5),
    ({"incline_deg": "-4"}, "watch", -7.0), ({"incline_pct": "1"}, None, None),
])
def test_downhill_from_metadata(meta, severity, value):
    findings = evaluate(HandBuilt(summary(), recording=Rec(meta)), coach())
    got = [(f["severity"], f["value"]) for f in findings if f["rule"] == "downhill"]
    assert got == ([(severity, value)] if severity else [])


def test_bad_incline_metadata_is_not_evaluated_with_reason():
    a = HandBuilt(summary(), windows=windows(), recording=Rec({"incline_pct": "steep"}))
    assert [f["rule"] for f in evaluate(a, coach())] == []
    missing = unevaluated(a, coach())
    assert missing == [{"rule": "downhill", "metric": "incline_pct", "partial": False,
                        "reason": "metadata incline_pct 'steep' is not a number"}]


def test_null_metrics_give_no_finding_and_are_listed():
    s = summary(pelvic_tilt_deg={"mean": None, "range": None},
                pelvic_drop_deg={"left": None, "right": None},
                pelvic_rotation_deg={"range": None}, vertical_ratio_pct=None,
                braking_mps={"left": None, "right": None, "mean": None})
    a = HandBuilt(s, windows=windows(pelvic_tilt_deg=float("nan"), braking_mps=float("nan")))
    assert evaluate(a, coach()) == []
    missing = {(m["rule"], m["metric"]): m["reason"] for m in unevaluated(a, coach())}
    assert set(missing) == {
        ("overstriding", "braking_mps"),
        ("anterior_pelvic_tilt", "pelvic_tilt_deg"), ("anterior_pelvic_tilt",
                                                      "pelvic_tilt_deg_change"),
        ("pelvic_drop", "pelvic_drop_left_deg"), ("pelvic_drop", "pelvic_drop_right_deg"),
        ("trunk_rotation", "pelvic_rotation_range_deg"),
        ("high_bounce", "vertical_ratio_pct"),
        ("fatigue_fade", "pelvic_tilt_deg_change"), ("downhill", "incline_pct")}
    assert missing[("anterior_pelvic_tilt", "pelvic_tilt_deg")] == (
        "pelvic tilt (anterior, vs standing) needs a gyroscope and a moment of standing still")
    partial = {(m["rule"], m["metric"]) for m in unevaluated(a, coach()) if m["partial"]}
    assert partial == {("overstriding", "braking_mps"), ("high_bounce", "vertical_ratio_pct"),
                       ("fatigue_fade", "pelvic_tilt_deg_change")}
    assert missing[("overstriding", "braking_mps")].startswith(
        "skipped, the rule's other checks ran: braking (speed lost per step) needs a gyroscope")
    assert "treadmill speed" in missing[("high_bounce", "vertical_ratio_pct")]


def test_null_metric_never_fires_even_with_window_values():
    s = summary(vertical_oscillation_cm=None)
    w = windows(vertical_oscillation_cm=[12.0] * 5)
    assert [f["rule"] for f in evaluate(HandBuilt(s, windows=w), coach())] == []


def test_too_few_steps_evaluates_nothing():
    s = summary(cadence_spm=140.0)
    s["running"]["steps"] = 12
    a = HandBuilt(s)
    assert evaluate(a, coach()) == []
    missing = unevaluated(a, coach())
    assert len(missing) == len(coach().rules)
    assert all(m["reason"] == "12 running steps, they need 30" for m in missing)
    from formlab.rules import checks_status, status_lines
    s["rules_status"] = checks_status(a, coach())
    assert status_lines(s) == ["9 of 9 guidance checks could not run: 12 running steps, they "
                               "need 30."]


def test_switched_off_rule_is_listed(tmp_path):
    override = tmp_path / "coach.toml"
    override.write_text("[rules.low_cadence]\nenabled = false\n")
    cat = load_catalogue(overrides_path=override)
    a = HandBuilt(summary(cadence_spm=150.0))
    assert [f["rule"] for f in evaluate(a, cat)] == []
    assert {"rule": "low_cadence", "metric": None, "partial": False,
            "reason": f"switched off in {override}"} in unevaluated(a, cat)


def test_findings_most_severe_first_and_input_untouched():
    s = summary(cadence_spm=160.0, pelvic_drop_deg={"left": 9.5, "right": 5.0},
                vertical_oscillation_cm=11.2)
    a = HandBuilt(s, steps(), windows())
    before = copy.deepcopy(s)
    findings = evaluate(a, coach())
    assert [(f["rule"], f["severity"]) for f in findings] == [
        ("pelvic_drop", "flag"), ("low_cadence", "watch"), ("high_bounce", "watch")]
    assert s == before


def test_rules_summary_keys():
    out = rules_summary(HandBuilt(summary(cadence_spm=150.0)), coach())
    assert set(out) == {"findings", "rules_status", "rules_not_evaluated", "rules_notes"}
    assert [f["rule"] for f in out["findings"]] == ["low_cadence"]
    assert "not a medical diagnosis" in out["rules_notes"]["not_a_diagnosis"]
    assert len(out["rules_notes"]["red_flags"]["sources"]) == 4


def test_findings_are_strict_json():
    import json

    w = windows(n=7, cadence_spm=[172, 172, 165, 171, 165, 165, 164],
                vertical_oscillation_cm=[8.5, 8.5, 8.5, 8.5, 8.5, 11.4, 11.6],
                pelvic_tilt_deg=[7, 7, float("nan"), 7, 7, 7, 7])
    s = summary(braking_mps__mean=0.45, impact_asymmetry_pct=None)
    a = HandBuilt(s, steps(braking_mps=[0.45] * 199 + [float("nan")]), w,
                  Rec({"incline_pct": "-3"}))
    out = rules_summary(a, coach())
    assert {f["rule"] for f in out["findings"]} == {"overstriding", "fatigue_fade", "high_bounce",
                                                    "downhill"}
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text) == out


def test_reason_quotes_the_analysis_note_when_one_explains_the_null():
    s = summary(pelvic_tilt_deg={"mean": None, "range": None},
                pelvic_rotation_deg={"range": None}, vertical_ratio_pct=None)
    s["notes"] = ["no gyroscope: pelvic angles cannot be measured",
                  "treadmill speed unknown (metadata treadmill_speed_mps or --treadmill-speed): step length "
                  "and vertical ratio are null"]
    missing = {(m["rule"], m["metric"]): m["reason"]
               for m in unevaluated(HandBuilt(s, windows=windows()), coach())}
    assert missing[("trunk_rotation", "pelvic_rotation_range_deg")] == (
        "pelvic rotation range was not measured: no gyroscope: pelvic angles cannot be measured")
    assert missing[("high_bounce", "vertical_ratio_pct")].endswith(
        "was not measured: treadmill speed unknown (metadata treadmill_speed_mps or "
        "--treadmill-speed): step length and vertical ratio are null")


def test_braking_is_not_judged_without_a_forward_direction():
    s = summary(braking_mps__mean=0.6)
    s["calibration"] = {"standing_found": True, "forward_found": False}
    a = HandBuilt(s, windows=windows())
    assert [f["rule"] for f in evaluate(a, coach())] == []
    reasons = {m["metric"]: m["reason"] for m in unevaluated(a, coach())}
    assert "forward direction was not found" in reasons["braking_mps"]


def test_drift_is_not_judged_across_a_speed_change():
    w = windows(cadence_spm=[172, 172, 178, 180, 181])
    st = steps(n=1600, step_s=0.375)  # 10 ... 610 s
    st["speed_mps"] = [3.0] * 800 + [3.5] * 800
    a = HandBuilt(summary(), st, w)
    assert evaluate(a, coach()) == []
    reasons = {m["metric"]: m["reason"] for m in unevaluated(a, coach())}
    assert "the treadmill speed changed (3.00 → 3.50 m/s" in reasons["cadence_spm_change"]
    st["speed_mps"] = 3.0  # same pace all along: the drop is judged
    w = windows(cadence_spm=[172, 172, 168, 166, 164])
    f = only(evaluate(HandBuilt(summary(), st, w), coach()), "fatigue_fade")
    assert (f["metric"], f["value"], f["span_s"]) == ("cadence_spm_change", -8.0, [490.0, 610.0])


def test_nothing_flagged_only_when_every_check_ran():
    from formlab.rules import checks_status, status_lines

    cat = load_catalogue()
    everything = HandBuilt(summary(), steps(), windows(), Rec({"incline_pct": "0"}))
    s = everything.summary | {"rules_status": checks_status(everything, cat), "findings": []}
    assert status_lines(s, cat) == [
        "Nothing flagged: all 9 guidance checks ran (" + ", ".join(
            r.title.lower() for r in cat.rules) + ")."]
    no_incline = HandBuilt(summary(), steps(), windows())
    s = no_incline.summary | {"rules_status": checks_status(no_incline, cat), "findings": []}
    lines = status_lines(s, cat)
    assert lines[0].startswith("1 of 9 guidance checks could not run: the recording metadata "
                               "gives no treadmill incline")
    assert lines[1].startswith("No finding from the 8 checks that could run (")
    assert not any("Nothing flagged" in line for line in lines)
