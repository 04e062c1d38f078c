"""The rules engine: turn an analysis into findings that cite the guidance documents.

Model: each rule of the catalogue has checks; a check compares one metric with thresholds per
severity (``info`` < ``watch`` < ``flag``) in a direction (``above``/``below``, strict). Values are
compared as they are shown (rounded to the metric's display decimals), so a message never says
"164 spm, below 164 spm".

- A *level* metric is first judged on the whole run (SUMMARY.json). When the whole run passes, the
  drift windows are judged: a problem that shows in consecutive windows covering at least
  ``settings.window_min_span_s`` (say, only late in the run) is reported at the highest severity
  (watch or flag) sustained that long, with its time span and the median over those windows.
- A *change* metric (fatigue drift) is the last window minus the first; its span starts at the
  earliest window from which every later window is beyond the threshold.
- A *context* metric (treadmill incline) is judged once.

A rule gives at most one finding: its most severe check (whole-run before part-run on ties), with
the other checks that passed a threshold listed as evidence. Metrics that are ``null`` never give a
finding; :func:`unevaluated` says which and why. :func:`evaluate` is pure (no I/O once the
catalogue is loaded) so the live dashboard can call it on a rolling window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from formlab.registry import clock
from formlab.rules.catalogue import SEVERITIES, Catalogue, Check, Rule, Settings, load_catalogue
from formlab.rules.measures import MEASURES, Inputs, Measure
from formlab.rules.standing import standing_notes

RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class _Hit:
    check: Check
    measure: Measure
    severity: str
    value: float
    span_s: tuple[float, float] | None
    whole_run: bool
    side: str | None
    windows: list[dict]
    detail: str = ""

    @property
    def threshold(self):
        return self.check.thresholds[self.severity]


def _run_span(inp: Inputs) -> tuple[float, float] | None:
    running = inp.summary.get("running") or {}
    start, end = running.get("start_s"), running.get("end_s")
    if start is not None and end is not None:
        return float(start), float(end)
    if inp.windows is not None:
        return float(inp.windows["start_s"].iloc[0]), float(inp.windows["end_s"].iloc[-1])
    steps = inp.valid_steps()
    if steps is not None and "t_ic_s" in steps.columns:
        return float(steps["t_ic_s"].min()), float(steps["t_ic_s"].max())
    return None


def _running_steps(inp: Inputs) -> int:
    running = inp.summary.get("running") or {}
    if running.get("steps") is not None:
        return int(running["steps"])
    steps = inp.valid_steps()
    return 0 if steps is None else len(steps)


def _shown(measure: Measure, value: float) -> float:
    return round(float(value), measure.decimals)


def _window_rows(inp: Inputs, series: pd.Series, rows: list[int], measure: Measure) -> list[dict]:
    w = inp.windows
    return [{"start_s": round(float(w["start_s"].iloc[i]), 2),
             "end_s": round(float(w["end_s"].iloc[i]), 2),
             "value": _shown(measure, series.iloc[i])} for i in rows]


def _contiguous_runs(inp: Inputs, flags: np.ndarray) -> list[list[int]]:
    """Maximal runs of windows flagged True that follow each other without a time gap."""
    w = inp.windows
    runs: list[list[int]] = []
    for i, on in enumerate(flags):
        if not on:
            continue
        if runs and runs[-1][-1] == i - 1 and \
                float(w["start_s"].iloc[i]) <= float(w["end_s"].iloc[i - 1]) + 1e-6:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _side_of(sides: pd.Series | None, rows: list[int]) -> str | None:
    if sides is None:
        return None
    values = [s for s in sides.iloc[rows] if s in ("left", "right")]
    if not values:
        return None
    return max(("left", "right"), key=values.count)


def _level_in_windows(check: Check, measure: Measure, inp: Inputs,
                      settings: Settings) -> _Hit | None:
    """A problem sustained over part of the run (the whole run passed)."""
    series = measure.windows(inp)
    if series is None:
        return None
    shown = series.map(lambda v: _shown(measure, v) if pd.notna(v) else np.nan)
    w = inp.windows
    for severity in ("flag", "watch"):
        t = check.thresholds.get(severity)
        if t is None:
            continue
        beyond = np.array([pd.notna(v) and check.beyond(v, t.value) for v in shown])
        runs = [r for r in _contiguous_runs(inp, beyond)
                if float(w["end_s"].iloc[r[-1]]) - float(w["start_s"].iloc[r[0]])
                >= settings.window_min_span_s - 1e-6]
        if not runs:
            continue
        run = max(runs, key=lambda r: float(w["end_s"].iloc[r[-1]]) - float(w["start_s"].iloc[r[0]]))
        value = float(np.median(series.iloc[run]))
        if not check.beyond(_shown(measure, value), t.value):
            value = float(shown.iloc[run].min() if check.direction == "above"
                          else shown.iloc[run].max())
        span = (float(w["start_s"].iloc[run[0]]), float(w["end_s"].iloc[run[-1]]))
        return _Hit(check, measure, severity, _shown(measure, value), span, False,
                    _side_of(measure.window_sides(inp), run),
                    _window_rows(inp, series, run, measure))
    return None


def _change_hit(check: Check, measure: Measure, inp: Inputs, value: float,
                severity: str, side: str | None, detail: str) -> _Hit:
    series = measure.windows(inp)
    w = inp.windows
    threshold = check.thresholds[severity].value
    rows = [i for i in range(len(series)) if pd.notna(series.iloc[i])]
    first = rows[-1]
    for i in reversed(rows):
        if not check.beyond(_shown(measure, series.iloc[i]), threshold):
            break
        first = i
    span = (float(w["start_s"].iloc[first]), float(w["end_s"].iloc[rows[-1]]))
    return _Hit(check, measure, severity, value, span, False, side,
                _window_rows(inp, series, rows, measure), detail)


def _judge(check: Check, inp: Inputs, settings: Settings) -> _Hit | None:
    measure = MEASURES[check.metric]
    reading = measure.read(inp)
    if reading.value is None:
        return None
    value = _shown(measure, reading.value)
    severity = check.severity_of(value)
    if measure.kind == "change":
        return None if severity is None else _change_hit(check, measure, inp, value, severity,
                                                         reading.side, reading.detail)
    if severity is not None:
        windows: list[dict] = []
        series = measure.windows(inp) if measure.kind == "level" else None
        if series is not None:
            t = check.thresholds[severity].value
            rows = [i for i in range(len(series))
                    if pd.notna(series.iloc[i]) and check.beyond(_shown(measure, series.iloc[i]), t)]
            windows = _window_rows(inp, series, rows, measure)
        return _Hit(check, measure, severity, value, _run_span(inp), True, reading.side, windows,
                    reading.detail)
    if measure.kind == "level":
        return _level_in_windows(check, measure, inp, settings)
    return None


def _step_evidence(hit: _Hit, inp: Inputs) -> dict | None:
    values = hit.measure.steps(inp)
    if values is None:
        return None
    if not hit.whole_run and hit.span_s is not None and "t_ic_s" in inp.steps.columns:
        t = inp.steps.loc[values.index, "t_ic_s"]
        values = values[(t >= hit.span_s[0]) & (t <= hit.span_s[1])]
    if len(values) == 0:
        return None
    beyond = int(sum(hit.check.beyond(v, hit.threshold.value) for v in values))
    q25, q50, q75 = np.percentile(values.to_numpy(dtype=float), [25, 50, 75])
    d = hit.measure.decimals + 1
    return {"n": int(len(values)), "beyond_threshold": beyond,
            "beyond_threshold_pct": round(100.0 * beyond / len(values), 1),
            "median": round(float(q50), d), "p25": round(float(q25), d),
            "p75": round(float(q75), d)}


def _message(hit: _Hit) -> str:
    m = hit.measure
    text = hit.check.message.format(value=m.fmt(hit.value), threshold=m.fmt(hit.threshold.value),
                                    unit=m.unit, severity=hit.severity, label=m.label,
                                    side=hit.side or "unknown", detail=hit.detail)
    if hit.span_s is None:
        return text
    span = f"{clock(hit.span_s[0])} to {clock(hit.span_s[1])}"
    if hit.whole_run:
        return text + f" This holds over the whole run ({span})."
    return text + f" This shows from {span} of the recording."


def _finding(rule: Rule, hits: list[_Hit], inp: Inputs) -> dict:
    order = {c.metric: i for i, c in enumerate(rule.checks)}
    hits = sorted(hits, key=lambda h: (-RANK[h.severity], not h.whole_run, order[h.check.metric]))
    top = hits[0]
    evidence: dict[str, Any] = {"basis": top.check.basis}
    steps = _step_evidence(top, inp)
    if steps is not None:
        evidence["steps"] = steps
    if top.windows:
        evidence["windows"] = top.windows
    if top.side:
        evidence["side"] = top.side
    if len(hits) > 1:
        evidence["other_checks"] = [
            {"metric": h.check.metric, "severity": h.severity, "value": h.value,
             "threshold": h.threshold.value, "direction": h.check.direction,
             "span_s": [round(h.span_s[0], 2), round(h.span_s[1], 2)] if h.span_s else None,
             "message": _message(h)}
            for h in hits[1:]]
    return {
        "rule": rule.id,
        "title": rule.title,
        "severity": top.severity,
        "metric": top.check.metric,
        "label": top.measure.label,
        "value": top.value,
        "unit": top.measure.unit,
        "threshold": top.threshold.value,
        "value_text": f"{top.measure.fmt(top.value)} {top.measure.unit}",
        "threshold_text": f"{top.measure.fmt(top.threshold.value)} {top.measure.unit}",
        "direction": top.check.direction,
        "threshold_source": top.threshold.source,
        "span_s": [round(top.span_s[0], 2), round(top.span_s[1], 2)] if top.span_s else None,
        "whole_run": top.whole_run,
        "message": _message(top),
        "advice": list(rule.advice),
        "sources": [c.as_dict() for c in rule.sources],
        "evidence": evidence,
    }


def _too_few_steps(inp: Inputs, settings: Settings) -> str | None:
    n = _running_steps(inp)
    if n < settings.min_running_steps:
        return f"{n} running steps, they need {settings.min_running_steps}"
    return None


def evaluate(analysis: Any, catalogue: Catalogue | None = None) -> list[dict]:
    """Findings for ``analysis`` (needs ``.summary``; uses ``.windows``, ``.steps`` and
    ``.recording.metadata`` when present), most severe first, in catalogue order otherwise."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    settings = catalogue.settings
    inp = Inputs.from_analysis(analysis, settings.window_min_steps)
    if _too_few_steps(inp, settings):
        return []
    findings = []
    for rule in catalogue.rules:
        if not rule.enabled:
            continue
        hits = [h for c in rule.checks if (h := _judge(c, inp, settings)) is not None]
        if hits:
            findings.append(_finding(rule, hits, inp))
    return sorted(findings, key=lambda f: -RANK[f["severity"]])


def unevaluated(analysis: Any, catalogue: Catalogue | None = None) -> list[dict]:
    """Rules (or single checks of a rule) that could not be judged, each with the reason:
    ``{"rule", "metric" (None for the whole rule), "partial" (other checks of the rule ran),
    "reason"}``."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    settings = catalogue.settings
    inp = Inputs.from_analysis(analysis, settings.window_min_steps)
    too_few = _too_few_steps(inp, settings)
    out = []
    for rule in catalogue.rules:
        if not rule.enabled:
            where = f" in {rule.disabled_by}" if rule.disabled_by else " in the catalogue"
            out.append({"rule": rule.id, "metric": None, "partial": False,
                        "reason": f"switched off{where}"})
            continue
        if too_few:
            out.append({"rule": rule.id, "metric": None, "partial": False, "reason": too_few})
            continue
        missing = [(c.metric, MEASURES[c.metric].read(inp).reason) for c in rule.checks]
        missing = [(m, r) for m, r in missing if r is not None]
        partly = len(missing) < len(rule.checks)
        for metric, reason in missing:
            out.append({"rule": rule.id, "metric": metric, "partial": partly,
                        "reason": ("skipped, the rule's other checks ran: " if partly else "")
                        + reason})
    return out


def checks_status(analysis: Any, catalogue: Catalogue | None = None) -> dict:
    """Which guidance checks (rules) ran: ``{"checks": n enabled, "ran": [rule ids],
    "could_not_run": [{"rule", "title", "reason"}], "switched_off": [rule ids]}``. A rule runs
    when at least one of its measurements could be judged."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    settings = catalogue.settings
    inp = Inputs.from_analysis(analysis, settings.window_min_steps)
    too_few = _too_few_steps(inp, settings)
    out: dict = {"checks": 0, "ran": [], "could_not_run": [], "switched_off": []}
    for rule in catalogue.rules:
        if not rule.enabled:
            out["switched_off"].append(rule.id)
            continue
        out["checks"] += 1
        reasons = [too_few] if too_few else [MEASURES[c.metric].read(inp).reason
                                             for c in rule.checks]
        if all(r is not None for r in reasons):
            out["could_not_run"].append({"rule": rule.id, "title": rule.title,
                                         "reason": "; ".join(dict.fromkeys(reasons))})
        else:
            out["ran"].append(rule.id)
    return out


def status_lines(summary: dict, catalogue: Catalogue | None = None) -> list[str]:
    """What every output says before (or instead of) the findings: first the checks that could
    not run and why ("9 of 9 guidance checks could not run: 12 running steps, they need 30"),
    then "nothing flagged" only when there is no finding, naming what was checked."""
    status = (summary or {}).get("rules_status")
    if not status:
        return []
    catalogue = catalogue if catalogue is not None else load_catalogue()
    titles = {r.id: r.title for r in catalogue.rules}
    total, failed = status["checks"], status["could_not_run"]
    lines = []
    if failed:
        reasons = list(dict.fromkeys(f["reason"] for f in failed))
        if len(reasons) == 1:
            lines.append(f"{len(failed)} of {total} guidance checks could not run: {reasons[0]}.")
        else:
            lines.append(f"{len(failed)} of {total} guidance checks could not run: "
                         + "; ".join(f"{f['title'].lower()}: {f['reason']}" for f in failed)
                         + ".")
    if not (summary.get("findings") or []) and status["ran"]:
        checked = ", ".join(titles.get(r, r).lower() for r in status["ran"])
        lines.append(f"Nothing flagged: all {total} guidance checks ran ({checked})." if not failed
                     else f"No finding from the {len(status['ran'])} checks that could run "
                          f"({checked}).")
    if status.get("switched_off"):
        lines.append(f"Switched off: {', '.join(titles.get(r, r).lower() for r in status['switched_off'])}.")
    return lines


def rules_summary(analysis: Any, catalogue: Catalogue | None = None) -> dict:
    """The SUMMARY.json keys the rules layer fills: ``findings``, ``rules_status`` (which checks
    ran), ``rules_not_evaluated`` (each check that could not run, and why) and ``rules_notes``
    (the standing not-a-diagnosis and red-flag texts with their sources)."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    return {"findings": evaluate(analysis, catalogue),
            "rules_status": checks_status(analysis, catalogue),
            "rules_not_evaluated": unevaluated(analysis, catalogue),
            "rules_notes": standing_notes()}
