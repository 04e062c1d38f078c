"""Properties of the engine over many summaries: never a finding from a null metric, severity
never falls as a metric moves further in its problem direction, and only JSON-safe output."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from formlab.rules import evaluate, load_catalogue, unevaluated
from formlab.rules.catalogue import SEVERITIES
from rules_inputs import HandBuilt, summary

CAT = load_catalogue()
LEVEL_PATHS = {  # rule metric -> summary key (a__b = metrics[a][b])
    "cadence_spm": "cadence_spm", "ground_contact_ms": "ground_contact_ms__mean",
    "braking_mps": "braking_mps__mean", "vertical_oscillation_cm": "vertical_oscillation_cm",
    "vertical_ratio_pct": "vertical_ratio_pct", "pelvic_tilt_deg": "pelvic_tilt_deg__mean",
    "pelvic_drop_left_deg": "pelvic_drop_deg__left",
    "pelvic_drop_right_deg": "pelvic_drop_deg__right",
    "pelvic_rotation_range_deg": "pelvic_rotation_deg__range",
    "impact_asymmetry_pct": "impact_asymmetry_pct",
}
RULE_OF = {c.metric: r.id for r in CAT.rules for c in r.checks if c.metric in LEVEL_PATHS}
DIRECTION = {c.metric: c.direction for r in CAT.rules for c in r.checks}
values = st.one_of(st.none(), st.floats(-50, 400, allow_nan=False))


def _severity(findings, rule, metric):
    for f in findings:
        if f["rule"] == rule:
            if f["metric"] == metric:
                return SEVERITIES.index(f["severity"])
            for o in f["evidence"].get("other_checks", []):
                if o["metric"] == metric:
                    return SEVERITIES.index(o["severity"])
    return -1


@settings(max_examples=150, deadline=None)
@given(metric=st.sampled_from(sorted(LEVEL_PATHS)), a=values, b=values)
def test_null_never_fires_and_severity_is_monotonic(metric, a, b):
    rule = RULE_OF[metric]
    found = []
    for v in (a, b):
        s = summary(**{LEVEL_PATHS[metric]: v})
        analysis = HandBuilt(s)
        findings = evaluate(analysis, CAT)
        json.dumps(findings, allow_nan=False)
        sev = _severity(findings, rule, metric)
        if v is None:
            assert sev == -1
            assert any(m["metric"] == metric for m in unevaluated(analysis, CAT))
        found.append(sev)
    if a is not None and b is not None:
        worse_b = b > a if DIRECTION[metric] == "above" else b < a
        if worse_b:
            assert found[1] >= found[0]
        elif a != b:
            assert found[0] >= found[1]
