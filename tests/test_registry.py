"""The metric registry: one definition per metric, read by every output; no output writes its own
label, unit or decimals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from formlab.registry import (HIGHER_IS_BETTER, LOWER_IS_BETTER, METRICS, NEITHER, band_of,
                              clock, headline, metric)

REPO = Path(__file__).resolve().parents[1]


def test_population_bands():
    assert band_of("cadence_spm", 150).colour == "red"
    assert band_of("cadence_spm", 178).colour == "blue"
    assert band_of("ground_contact_ms", 240).colour == "blue"
    assert band_of("ground_contact_balance_left_pct", 50.5).colour == "green"
    assert band_of("ground_contact_balance_left_pct", 48.5).colour == "orange"
    assert band_of("ground_contact_balance_left_pct", 53.0).colour == "red"
    assert band_of("cadence_spm", None) is None and band_of("impact_g", 2.0) is None
    # judged as displayed: 163.6 spm shows as 164 (green); a 50.7 % balance is still green
    assert band_of("cadence_spm", 163.6).colour == "green"
    assert band_of("ground_contact_balance_left_pct", 50.7).colour == "green"
    assert band_of("ground_contact_balance_left_pct", 50.8).colour == "orange"
    assert band_of("ground_contact_balance_left_pct", 47.8).colour == "orange"


def test_every_metric_is_complete():
    for key, m in METRICS.items():
        assert m.key == key and m.label and m.needs and m.estimator
        assert m.direction in (HIGHER_IS_BETTER, LOWER_IS_BETTER, NEITHER)
        assert m.stored_decimals >= m.decimals >= 0 and m.min_axis_span > 0
        assert not m.bands or m.band_source, key


def test_headline_of_a_per_side_metric_is_the_mean_of_the_side_medians():
    metrics = {"pelvic_drop_deg": {"left": 5.0, "right": 5.8, "mean": 5.4}, "cadence_spm": 171.6}
    assert headline(metrics, "pelvic_drop_deg") == 5.4
    assert METRICS["pelvic_drop_deg"].with_unit(5.4) == "5.4°"
    assert METRICS["cadence_spm"].with_unit(headline(metrics, "cadence_spm")) == "172 spm"
    assert headline({}, "impact_g") is None and METRICS["impact_g"].fmt(None) == "—"
    assert metric("contact_ms") is METRICS["ground_contact_ms"]


def test_display_rounds_as_summary_json_stores():
    # 173.46 is stored as 173.5 and shows as 174 whether read from SUMMARY.json or computed live
    cadence = METRICS["cadence_spm"]
    assert cadence.fmt(173.46) == cadence.fmt(173.5)


def test_one_clock_format():
    assert clock(75 * 60) == "1:15:00" and clock(61.4) == "1:01" and clock(0) == "0:00"


# The modules that show metrics to a person: none may spell a metric's label or format a number
# with a unit of its own; they all read the registry.
OUTPUT_MODULES = ["formlab/summary_view.py", "formlab/live.py", "formlab/summary.py",
                  *[str(p.relative_to(REPO)) for p in (REPO / "formlab" / "report").glob("*.py")],
                  *[str(p.relative_to(REPO)) for p in (REPO / "formlab" / "rules").glob("*.py")]]
NOT_METRICS = ("lost_pct", "sides_known", "samples")
"""Quantities that are not running-form metrics (link and data-quality counts)."""
UNIT_LITERAL = re.compile(r"""["'][^"'\n]*\}\s?(?:spm|ms|cm|m/s|°|g|%|points|degrees)\b""")


@pytest.mark.parametrize("path", OUTPUT_MODULES)
def test_no_stray_label_unit_or_decimals(path):
    text = (REPO / path).read_text(encoding="utf-8")
    for m in METRICS.values():
        assert f'"{m.label}"' not in text, (path, m.label)
    # a number formatted with a unit written beside it: "{x:.1f} cm"
    stray = [line.strip() for line in text.splitlines() if UNIT_LITERAL.search(line)
             and not any(word in line for word in NOT_METRICS)]
    assert not stray, (path, stray)
    # display decimals written as literals: f"{x:.2f}" (the registry's Metric.fmt does that)
    decimals = [line.strip() for line in text.splitlines()
                if re.search(r"\{[^{}]*(spm|_ms|_cm|_mps|_g\b|_pct|_deg|_m\b)[^{}]*:[+]?\.\d+f\}", line)
                and not any(word in line for word in NOT_METRICS)]
    assert not decimals, (path, decimals)
