"""The report's numbers and panels, on hand-made sessions whose values are known."""

from __future__ import annotations

import re

import numpy as np
import pytest

from formlab.report import write_report
from formlab.report.bands import band_colour, band_ranges
from formlab.report.compare import compare
from formlab.report.fatigue import fatigue
from formlab.report.figures import plot_indices, rolling_median
from formlab.treadmill import session_stages as speed_stages
from formlab.report.stride_cycle import stride_cycle
from formlab.report.tiles import tiles
from report_synthetic import CONTACT_LEFT_MS, CADENCE_SPM, make_session


def test_band_colours_follow_the_registry():
    assert band_colour("cadence_spm", 175.0) == "blue"
    assert band_colour("cadence_spm", 150.0) == "red"
    assert band_colour("ground_contact_ms", 300.0) == "orange"
    assert band_colour("ground_contact_balance_left_pct", 49.5) == "green"
    assert band_colour("ground_contact_balance_left_pct", 52.0) == "orange"
    assert band_colour("ground_contact_balance_left_pct", 47.0) == "red"
    assert band_colour("impact_g", 2.0) is None
    assert band_colour("cadence_spm", None) is None


def test_band_ranges_tile_the_axis_without_holes():
    ranges = band_ranges("cadence_spm", 140.0, 200.0)
    assert [c for _, _, c in ranges] == ["red", "orange", "green", "blue", "purple"]
    assert ranges[0][0] == 140.0 and ranges[-1][1] == 200.0
    for (_, hi, _), (lo, _, _) in zip(ranges, ranges[1:]):
        assert hi == lo
    balance = band_ranges("ground_contact_balance_left_pct", 45.0, 55.0)
    green = [(a, b) for a, b, c in balance if c == "green"]
    # green is 49.3–50.7 as displayed (one decimal): 49.25 ≤ x < 50.75 before rounding
    assert green == [(50.0, pytest.approx(50.75)), (pytest.approx(49.25), 50.0)]
    assert band_ranges("impact_g", 0.0, 5.0) == []


def test_tiles_show_values_splits_and_bands():
    s = make_session(300.0)
    s.summary["metrics"]["ground_contact_balance_left_pct"] = 49.1
    by_key = {t.key: t for t in tiles(s.summary)}
    assert by_key["ground_contact_balance_left_pct"].value == "49.1 L / 50.9 R"
    assert by_key["ground_contact_balance_left_pct"].band == "orange"
    assert by_key["cadence_spm"].value == f"{s.summary['metrics']['cadence_spm']:.0f}"
    gct = s.summary["metrics"]["ground_contact_ms"]
    assert by_key["ground_contact_ms"].detail == f"{gct['left']:.0f} L / {gct['right']:.0f} R"
    assert by_key["step_length_m"].value is None
    assert "treadmill speed" in by_key["step_length_m"].why


def test_tiles_without_gyroscope_say_what_is_missing():
    s = make_session(300.0, gyro=False, sided=False)
    by_key = {t.key: t for t in tiles(s.summary)}
    for key in ("pelvic_tilt_deg", "pelvic_drop_deg", "pelvic_rotation_deg",
                "ground_contact_balance_left_pct"):
        assert by_key[key].value is None
        assert by_key[key].why
    assert by_key["ground_contact_ms"].detail == "left/right: not measurable"


def test_plot_indices_thin_evenly_and_keep_the_ends():
    idx = plot_indices(10_000, 1200)
    assert len(idx) == 1200 and idx[0] == 0 and idx[-1] == 9_999
    assert np.all(np.diff(idx) >= 8) and np.all(np.diff(idx) <= 9)
    assert np.array_equal(plot_indices(50, 1200), np.arange(50))


def test_rolling_median_ignores_a_single_outlier():
    values = np.full(101, 170.0)
    values[50] = 400.0
    assert np.allclose(rolling_median(values), 170.0)


def test_stride_cycle_recovers_phase_amplitude_and_stance():
    s = make_session(300.0, cadence_drift_spm_per_10min=0.0)
    cycle = stride_cycle(s.angles, s.steps, s.recording.gaps)
    assert cycle is not None and cycle.strides > 300
    obliquity = cycle.mean_deg["obliquity_deg"]
    assert cycle.pct[np.argmax(obliquity)] == pytest.approx(25.0, abs=2.0)
    assert obliquity.max() == pytest.approx(5.0, abs=0.15)
    assert cycle.mean_deg["tilt_deg"].mean() == pytest.approx(12.0, abs=0.1)
    stride_s = 120.0 / CADENCE_SPM
    assert cycle.left_stance_pct[1] == pytest.approx(100 * CONTACT_LEFT_MS / 1000 / stride_s,
                                                     abs=1.0)
    assert cycle.right_stance_pct[0] == pytest.approx(50.0, abs=0.5)


def test_stride_cycle_needs_sides():
    s = make_session(300.0, sided=False)
    assert stride_cycle(s.angles, s.steps) is None


def test_fatigue_first_against_last_segment():
    s = make_session(1230.0, cadence_drift_spm_per_10min=2.0)   # running 30 s .. 1220 s
    f = fatigue(s)
    w = s.windows
    assert f.first_s == (w["start_s"].iloc[0], w["end_s"].iloc[0])
    assert f.last_s == (w["start_s"].iloc[-1], w["end_s"].iloc[-1])
    assert f.first_s[0] == pytest.approx(30.0) and f.last_s[1] == pytest.approx(1220.0, abs=1.0)
    rows = {r.metric.key: r for r in f.rows}
    # cadence rises 2 spm per 10 minutes between the first and the last window's middles
    apart_s = 0.5 * (sum(f.last_s) - sum(f.first_s))
    assert rows["cadence_spm"].change == pytest.approx(2.0 * apart_s / 600, abs=0.15)
    assert rows["ground_contact_ms"].change == pytest.approx(0.0, abs=3.0)
    assert not f.speed_changed


def test_fatigue_needs_two_minutes():
    assert "fewer than two drift windows of 2 minutes" in fatigue(make_session(100.0))


def test_speed_stages_from_steps_and_from_metadata():
    staged = make_session(600.0, speed_stages=[(0, 300, 3.0), (300, 700, 3.5)])
    stages = speed_stages(staged)
    assert [st.speed_mps for st in stages] == [3.0, 3.5]
    assert stages[1].start_s >= 300.0 and stages[0].end_s < 300.0
    constant = make_session(600.0, metadata={"treadmill_speed_mps": "3.33"})
    assert [(st.start_s, st.end_s, st.speed_mps) for st in speed_stages(constant)] == \
        [(30.0, 590.0, 3.33)]
    assert speed_stages(make_session(600.0)) == []


def test_comparison_at_matched_speed():
    a = make_session(1200.0, speed_stages=[(0, 600, 3.0), (600, 1300, 3.3)],
                     cadence_drift_spm_per_10min=0.0)
    b = make_session(600.0, speed_stages=[(0, 700, 3.3)], cadence_drift_spm_per_10min=0.0)
    b.steps["contact_ms"] += 12.0
    cmp = compare(a, b)
    assert cmp.matched_speeds_mps == [3.3] and cmp.caveat is None
    rows = {r.metric.key: r for r in cmp.rows}
    assert rows["ground_contact_ms"].delta == pytest.approx(12.0, abs=1.5)
    assert rows["cadence_spm"].delta == pytest.approx(0.0, abs=0.2)


def test_comparison_refuses_unmatched_speeds_and_warns_without_speed():
    a = make_session(600.0, speed_stages=[(0, 700, 3.0)])
    b = make_session(600.0, speed_stages=[(0, 700, 3.5)])
    cmp = compare(a, b)
    assert "never ran at the same" in cmp.caveat
    rows = {r.metric.key: r for r in cmp.rows}
    assert rows["cadence_spm"].delta is None and "depends on pace, not compared" in rows["cadence_spm"].note
    assert rows["pelvic_tilt_deg"].delta is not None and "hardly depends on pace" in rows["pelvic_tilt_deg"].note
    cmp = compare(make_session(600.0), make_session(600.0, seed=2))
    assert cmp.rows and "pace" in cmp.caveat


def test_comparison_rows_cover_the_registry_with_direction_and_reasons():
    from formlab.registry import METRICS

    a = make_session(600.0, speed_stages=[(0, 700, 3.3)])
    b = make_session(600.0, speed_stages=[(0, 700, 3.3)], gyro=False)
    b.steps["contact_ms"] += 12.0
    rows = {r.metric.key: r for r in compare(a, b).rows}
    assert set(rows) == set(METRICS) - {"treadmill_speed_mps", "incline_pct"}
    assert rows["ground_contact_ms"].verdict == "worse" and rows["ground_contact_ms"].delta_pct is not None
    assert rows["pelvic_tilt_deg"].delta is None and "not measured in session B" in rows["pelvic_tilt_deg"].note
    assert rows["ground_contact_balance_left_pct"].delta_pct is None  # percentages change by points


def test_metadata_is_escaped(tmp_path):
    s = make_session(300.0, metadata={
        "athlete": "<script>alert('x')</script>Mo",
        "notes": 'felt <b>great</b> & "fast" <img src=x onerror=alert(1)>'})
    html = write_report([s], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;Mo" in html
    assert "felt &lt;b&gt;great&lt;/b&gt; &amp; &quot;fast&quot; &lt;img src=x" in html
    assert "<script>alert(" not in html and "<img" not in html and "<b>great" not in html
    # the only scripts: plotly.js once, then one per figure
    scripts = re.findall(r"<script[ >]", html)
    assert len(scripts) == 2 + html.count('class="plotly-graph-div"')  # + the print resize


def test_plotly_is_inlined_once_and_nothing_is_fetched(tmp_path):
    html = write_report([make_session(300.0)], tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count("plotly.js (cartesian - minified) v") == 1
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)


def test_panels_without_gyroscope_or_sides_say_not_measurable(tmp_path):
    html = write_report([make_session(300.0, gyro=False)], tmp_path / "a.html").read_text()
    assert 'id="s1-cycle"' not in html and 'id="s1-leftright"' in html
    assert "Pelvic angle cycle (tilt, drop, rotation): not measurable from this recording" in html
    assert "the recording has no gyroscope" in html
    html = write_report([make_session(300.0, sided=False)], tmp_path / "b.html").read_text()
    assert 'id="s1-leftright"' not in html and 'id="s1-cycle"' not in html
    assert "Left against right: not measurable from this recording" in html
    assert 'id="s1-timeline"' in html


def test_findings_show_value_threshold_advice_and_titles(tmp_path):
    html = write_report([make_session(300.0)], tmp_path / "r.html").read_text()
    assert "Right-side pelvic drop is larger than typical" in html
    assert ("Measured: Pelvic drop, right stance 6.00 degrees; the watch level starts at 5.00 "
            "degrees") in html
    assert "pelvic_drop_right_deg" not in html.split("<body>")[1].split("<script")[0]
    assert "single-leg strength work" in html
    assert ("<cite>Why You Experience Lower Back Pain When Running and What to Do About It"
            "</cite>, section “Work on Glutes and Hips”") in html
    assert "not a medical assessment" in html


def test_findings_argument_overrides_and_is_checked(tmp_path):
    s = make_session(300.0)
    own = [{"rule": "low_cadence", "title": "Cadence on the low side", "severity": "info",
            "metric": "cadence_spm", "value": 160.0, "threshold": 165.0, "advice": ["Shorter steps."],
            "sources": []}]
    html = write_report([s], tmp_path / "r.html", findings=own).read_text()
    assert "Cadence on the low side" in html and "pelvic drop is larger" not in html
    with pytest.raises(ValueError):
        write_report([s, s], tmp_path / "r.html", findings=own)
    with pytest.raises(ValueError):
        write_report([s, s, s], tmp_path / "r.html")


def test_two_sessions_get_a_comparison_and_both_sessions(tmp_path):
    a = make_session(600.0, metadata={"treadmill_speed_mps": "3.0"})
    b = make_session(600.0, metadata={"treadmill_speed_mps": "3.0"}, seed=3)
    html = write_report([a, b], tmp_path / "c.html").read_text()
    assert "Session B against session A" in html
    assert "matched treadmill speed (3.00 m/s)" in html
    assert 'id="compare-run-charts"' in html and 'id="compare-findings"' in html
    assert 'id="sA-session"' in html and 'id="sB-session"' in html


def test_signed_numbers_have_no_negative_zero():
    from formlab.report.sections import signed

    assert signed(-0.004, 2) == "0.00"
    assert signed(-0.3, 1) == "−0.3"
    assert signed(2.0, 0) == "+2"


def test_impact_tile_uses_the_mean_when_sides_are_unknown():
    s = make_session(300.0, sided=False)
    s.summary["metrics"]["impact_g"] = {"left": None, "right": None, "mean": 2.59}
    impact = {t.key: t for t in tiles(s.summary)}["impact_g"]
    assert impact.value == "2.59" and impact.detail.startswith("left/right: not measurable")


def test_recording_without_running_has_no_plots_only_reasons(tmp_path):
    from formlab.analysis import analyze
    from formlab.simulate import Phase, SimParams, simulate

    standing = analyze(simulate(SimParams(phases=[Phase(30.0, "standing")], rate_hz=100.0),
                                seed=1).recording)
    assert len(standing.steps) == 0
    html = write_report([standing], tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'class="plotly-graph-div"' not in html
    assert "Metrics over the run: not measurable from this recording" in html
    assert "No fatigue comparison:</strong> no running steps were found" in html


def test_plot_axes_never_span_less_than_the_registry_minimum():
    from formlab.registry import METRICS
    from formlab.report.figures import axis_range

    steady = np.full(500, 172.0) + np.random.default_rng(1).normal(0, 0.5, 500)
    lo, hi = axis_range(steady, METRICS["cadence_spm"].min_axis_span, 0)
    assert hi - lo == pytest.approx(METRICS["cadence_spm"].min_axis_span)
    assert lo < 172.0 < hi
    wide = np.linspace(150.0, 190.0, 500)
    lo, hi = axis_range(wide, METRICS["cadence_spm"].min_axis_span, 0)
    assert lo < 151.0 and hi > 189.0


def test_fatigue_change_is_the_summary_drift_change_and_percentages_change_by_points():
    from formlab.registry import METRICS
    from formlab.report.sections import _difference, fatigue_html
    from formlab.summary import form_drift

    s = make_session(1230.0, cadence_drift_spm_per_10min=2.0)
    drift = form_drift(s.windows)
    html = fatigue_html(fatigue(s))
    cadence = METRICS["cadence_spm"]
    assert f"<td class=num>{_difference(cadence, drift['change']['cadence_spm'])}</td>" in html
    assert _difference(METRICS["impact_asymmetry_pct"], 11.04) == "+11.0 points"
    assert _difference(METRICS["pelvic_tilt_deg"], 8.36 - 6.14) == "+2.2"


def test_tiles_are_marked_by_their_findings_and_show_a_band_gauge(tmp_path):
    from formlab.report.tiles import tiles

    session = make_session(300.0)
    findings = [{"rule": "r1", "metric": "contact_balance_offset_pct", "severity": "watch"},
                {"rule": "r2", "metric": "contact_balance_offset_pct", "severity": "flag"},
                {"rule": "r3", "metric": "impact_asymmetry_pct_change", "severity": "watch"},
                {"rule": "r4", "metric": "cadence_spm", "severity": "info"}]
    marked = {t.key: t.severity for t in tiles(session.summary, findings) if t.severity}
    assert marked == {"ground_contact_balance_left_pct": "flag", "impact_g": "watch", "cadence_spm": "info"}
    html = write_report([session], tmp_path / "r.html", findings=findings).read_text(encoding="utf-8")
    assert 'data-metric="ground_contact_balance_left_pct" data-severity="flag"' in html
    shown = [t for t in tiles(session.summary, findings) if t.value is not None and t.severity in ("flag", "watch")]
    assert html.count('class="tile-sev"') == len(shown) >= 1  # info is not marked on a tile
    assert 'class="gauge"' in html
