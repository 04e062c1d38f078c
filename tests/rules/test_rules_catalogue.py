"""The catalogue's content and a coach's override file: applied, or a clear one-line error."""

from __future__ import annotations

import argparse

import pytest
from rich.console import Console

from formlab.errors import InputError
from formlab.rules import load_catalogue
from formlab.rules.catalogue import find_line
from formlab.rules.cli_table import add_rules_arguments, run_rules

CAT = load_catalogue()


def test_minimum_rules_present():
    assert [r.id for r in CAT.rules] == [
        "overstriding", "low_cadence", "uneven_landing", "anterior_pelvic_tilt", "pelvic_drop",
        "trunk_rotation", "high_bounce", "fatigue_fade", "downhill"]


def test_every_threshold_has_a_source_and_every_check_a_basis():
    for rule in CAT.rules:
        assert rule.advice and rule.sources
        for check in rule.checks:
            assert check.basis and check.thresholds
            for t in check.thresholds.values():
                assert t.source.strip()


def test_garmin_bands_and_formlab_defaults_are_labelled():
    def check(rule, metric):
        return next(c for c in CAT.rule(rule).checks if c.metric == metric)

    garmin = {("low_cadence", "cadence_spm"): (164, 153),
              ("overstriding", "ground_contact_ms"): (277, 308),
              ("high_bounce", "vertical_oscillation_cm"): (10.9, 13.0),
              ("high_bounce", "vertical_ratio_pct"): (10.0, 11.9)}
    for (rule, metric), (watch, flag) in garmin.items():
        c = check(rule, metric)
        assert (c.thresholds["watch"].value, c.thresholds["flag"].value) == (watch, flag)
        assert "population percentile" in c.basis and "not an injury threshold" in c.basis
        assert all("Garmin" in t.source for t in c.thresholds.values())
    # a 49.3/50.7 balance is common (Garmin orange: the next 25 % of runners): information only
    balance = check("uneven_landing", "contact_balance_offset_pct")
    assert {s: t.value for s, t in balance.thresholds.items()} == {"info": 0.7, "watch": 2.2}
    for rule, metric in [("overstriding", "braking_mps"), ("overstriding", "braking_pct")]:
        assert all("Munro" in t.source for t in check(rule, metric).thresholds.values())
    for rule, metric in [("anterior_pelvic_tilt", "pelvic_tilt_deg_change"),
                         ("uneven_landing", "impact_asymmetry_pct")]:
        assert set(check(rule, metric).thresholds) == {"info"}
        assert check(rule, metric).basis.startswith("no published threshold")
    assert "Bramah 2018" in check("pelvic_drop", "pelvic_drop_left_deg").thresholds["info"].source


def test_every_watch_and_flag_level_cites_a_published_figure():
    for rule in CAT.rules:
        for c in rule.checks:
            for severity in ("watch", "flag"):
                if severity in c.thresholds:
                    source = c.thresholds[severity].source
                    assert "Garmin" in source or "Munro" in source, (rule.id, c.metric, source)
                    assert "formlab default" not in source and "simulat" not in source


def test_overrides_change_thresholds_and_switch_rules_off(tmp_path):
    f = tmp_path / "coach.toml"
    f.write_text("[settings]\nwindow_min_span_s = 240\n\n"
                 "[rules.overstriding.checks.braking_mps]\nwatch = 0.4\nflag = 0.5\n\n"
                 "[rules.downhill]\nenabled = false\n")
    cat = load_catalogue(overrides_path=f)
    braking = next(c for c in cat.rule("overstriding").checks if c.metric == "braking_mps")
    assert (braking.thresholds["watch"].value, braking.thresholds["flag"].value) == (0.4, 0.5)
    assert braking.thresholds["watch"].source == f"coach override ({f})"
    assert cat.rule("downhill").enabled is False
    assert cat.settings.window_min_span_s == 240
    # the packaged catalogue is untouched
    shipped = next(c for c in load_catalogue().rule("overstriding").checks
                   if c.metric == "braking_mps")
    assert shipped.thresholds["watch"].value == 0.30


@pytest.mark.parametrize("text, line, problem", [
    ("[rules.low_cadense]\nenabled = false\n", 1, "unknown rule 'low_cadense'"),
    ("[rules.low_cadence]\nenabeld = false\n", 2,
     "unknown key 'enabeld' in [rules.low_cadence] (allowed: checks, enabled)"),
    ("[rules.low_cadence]\nenabled = \"no\"\n", 2, "enabled must be true or false"),
    ("\n[rules.low_cadence.checks.cadence_spm]\nwatch = \"high\"\n", 3,
     "watch must be a number, got 'high'"),
    ("[rules.low_cadence.checks.cadence_spm]\nwatch = 150\n", 2,
     "thresholds out of order for cadence_spm: watch 150, flag 153 (direction \"below\" needs "
     "info > watch > flag)"),
    ("[rules.low_cadence.checks.cadence_spm]\n\nflag = 170\n", 3,
     "thresholds out of order for cadence_spm: watch 164, flag 170"),
    ("[rules.low_cadence.checks.braking_mps]\nwatch = 1\n", 1,
     "rule 'low_cadence' has no check 'braking_mps' (its checks: cadence_spm)"),
    ("[rules.low_cadence.checks.cadence_spm]\nwarn = 160\n", 2, "unknown key 'warn'"),
    ("[rule.low_cadence]\nenabled = false\n", 1, "unknown key 'rule'"),
    ("[settings]\nwindow_min_steps = 2.5\n", 2, "window_min_steps must be a non-negative whole"),
    ("[rules.low_cadence\nenabled = false\n", 1, "not valid TOML"),
    ("rules.overstriding.checks.ground_contact_ms.watch = 320\n", 1,
     "thresholds out of order for ground_contact_ms: watch 320, flag 308 (direction \"above\" "
     "needs info < watch < flag)"),
])
def test_override_errors_are_one_line_with_file_and_line(tmp_path, text, line, problem):
    f = tmp_path / "coach.toml"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        load_catalogue(overrides_path=f)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"{f}:{line}: "), message
    assert problem in message


def test_override_watch_below_info_names_the_rule_order(tmp_path):
    f = tmp_path / "coach.toml"
    f.write_text("[rules.downhill.checks.incline_pct]\nwatch = 1\n")
    with pytest.raises(InputError, match=r"coach.toml:2: thresholds out of order for incline_pct: "
                                         r"info 0, watch 1"):
        load_catalogue(overrides_path=f)


def test_missing_override_file(tmp_path):
    with pytest.raises(InputError, match="nope.toml: file not found"):
        load_catalogue(overrides_path=tmp_path / "nope.toml")


def test_broken_catalogue_is_located(tmp_path):
    from formlab.rules.catalogue import DEFAULT_PATH
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace(
        'direction = "below"\nbasis = "population percentile band (Garmin colour gauge, all',
        'direction = "under"\nbasis = "population percentile band (Garmin colour gauge, all')
    bad = tmp_path / "catalogue.toml"
    bad.write_text(text)
    expected = text.splitlines().index('direction = "under"') + 1
    with pytest.raises(InputError) as e:
        load_catalogue(bad)
    assert str(e.value) == (f"{bad}:{expected}: direction must be \"above\" or \"below\", "
                            "got 'under'")


def test_find_line_knows_tables_dotted_keys_and_inline_tables():
    text = ("a = 1\n[rules.x]\ntitle = 't'\n[rules.x.checks.m]\n"
            "watch = { value = 1, source = 's' }\nchecks.n.flag = 2\n")
    assert find_line(text, ("rules", "x", "title")) == 3
    assert find_line(text, ("rules", "x", "checks", "m", "watch", "source")) == 5
    assert find_line(text, ("rules", "x", "checks", "m")) == 4
    assert find_line(text, ("nothing",)) is None


def _run(argv):
    parser = argparse.ArgumentParser()
    add_rules_arguments(parser)
    console = Console(record=True, width=400)
    status = run_rules(parser.parse_args(argv), console)
    return status, console.export_text()


def test_rules_command_lists_the_catalogue():
    status, out = _run([])
    assert status == 0
    for rule in CAT.rules:
        assert rule.id in out
    assert "watch < 164 spm" in out and "flag > 308 ms" in out
    assert "What to Do About It, Avoid Overstriding" in " ".join(out.split())
    assert ".txt" not in out and "001" not in out
    assert out.count("not a medical diagnosis") == 1
    assert "When to See a Professional" in out


def test_rules_command_one_rule_and_overrides(tmp_path):
    f = tmp_path / "coach.toml"
    f.write_text("[rules.pelvic_drop.checks.pelvic_drop_left_deg]\nwatch = 8\n")
    status, out = _run(["pelvic_drop", "--rules", str(f)])
    assert status == 0
    assert "watch > 8 deg" in out and "watch: coach override (" in out
    assert "Gluteal Muscles (Gluteus Maximus, Medius, Minimus)" in out
    assert _run(["no_such_rule"])[0] == 2


def test_docs_rules_table_gives_every_level_with_its_source():
    """docs/rules.md's table: a row per rule and measurement; every catalogue level is in its
    rule's rows, and no row has a watch or flag level without a source."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ") and not line.startswith("| rule")]
    by_rule: dict[str, list[list[str]]] = {}
    for row in rows:
        assert len(row) == 5, row
        by_rule.setdefault(row[0], []).append(row)
    assert set(by_rule) == {r.id for r in CAT.rules}
    for rule in CAT.rules:
        cells = " ".join(row[2] for row in by_rule[rule.id]).replace("−", "-")
        for check in rule.checks:
            for severity, t in check.thresholds.items():
                assert f"{t.value:g}" in cells, (rule.id, check.metric, severity, t.value)
        for row in by_rule[rule.id]:
            if "watch" in row[2] or "flag" in row[2]:
                assert row[3] and "no published" not in row[3] and row[4] != "—", row
