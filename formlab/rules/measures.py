"""What the rules can measure: each rule metric read from an analysis.

A rule in the catalogue names a metric; this module says where that number comes from in an
:class:`~formlab.analysis.Analysis` (``.summary``, ``.windows``, ``.steps``,
``.recording.metadata``) and why it may be missing. Three kinds:

- ``level``: one number for the whole run (from SUMMARY.json ``metrics``), the same number per drift
  window (a median column of ``.windows``) and, when the metric is per step, the step values
  (STEPS.csv) used as evidence.
- ``change``: how far a level metric moved from the first drift window; per window the difference
  to the first window, for the run the difference of the last window (fatigue drift, Runalyze /
  Garmin style "first vs last segment").
- ``context``: recording metadata (treadmill incline).

Nothing here guesses: a metric that the analysis left ``null`` reads as missing with a reason.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from formlab.registry import METRICS
from formlab.treadmill import SPEED_TOLERANCE_MPS


@dataclass(frozen=True)
class Inputs:
    """The parts of an analysis the rules read (built once per evaluation)."""

    summary: dict
    steps: pd.DataFrame | None
    windows: pd.DataFrame | None
    metadata: dict
    window_min_steps: int = 20
    valid: pd.DataFrame | None = None

    @classmethod
    def from_analysis(cls, analysis: Any, window_min_steps: int = 20) -> "Inputs":
        recording = getattr(analysis, "recording", None)
        metadata = dict(getattr(recording, "metadata", None) or {})
        steps = getattr(analysis, "steps", None)
        return cls(summary=dict(getattr(analysis, "summary", None) or {}), steps=steps,
                   windows=_usable_windows(getattr(analysis, "windows", None), window_min_steps),
                   metadata=metadata, window_min_steps=window_min_steps,
                   valid=_valid_steps(steps))

    @property
    def metrics(self) -> dict:
        return self.summary.get("metrics") or {}

    def valid_steps(self) -> pd.DataFrame | None:
        """Steps used for evidence: the valid ones (all of them when no ``valid`` column)."""
        return self.valid


def _valid_steps(steps: pd.DataFrame | None) -> pd.DataFrame | None:
    if steps is None or len(steps) == 0:
        return None
    if "valid" in steps.columns:
        return steps[steps["valid"].astype(bool)]
    return steps


def _usable_windows(windows: pd.DataFrame | None, min_steps: int) -> pd.DataFrame | None:
    """Drift windows sorted by start, without windows holding fewer than ``min_steps`` steps."""
    if windows is None or len(windows) == 0 or "start_s" not in windows.columns:
        return None
    out = windows.sort_values("start_s").reset_index(drop=True)
    if "steps" in out.columns:
        out = out[out["steps"].fillna(0) >= min_steps].reset_index(drop=True)
    return out if len(out) else None


NO_RUNNING = ("no running found",)
SIDE_HINTS = ("side of each step", "sides unknown")
ANGLE_HINTS = ("pelvic angles",)
"""Words of the analysis' notes (formlab.analysis, formlab.calibration, formlab.summary) that
explain why a metric is null; the note itself becomes the reason."""


@dataclass(frozen=True)
class Reading:
    """A measured value, or ``None`` with the reason it is missing; ``side`` when it has one."""

    value: float | None
    reason: str | None = None
    side: str | None = None
    detail: str = ""  # the numbers behind the value in words, for the message's {detail}


def _number(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _path(summary_metrics: dict, path: tuple[str, ...]) -> Any:
    node: Any = summary_metrics
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


@dataclass(frozen=True)
class Measure:
    """One metric a rule can test.

    ``read`` gives the whole-run value; ``windows`` the per-window values (a Series aligned with
    ``Inputs.windows``) or ``None``; ``steps`` the per-step values used as evidence or ``None``.
    """

    name: str
    label: str
    unit: str
    decimals: int
    kind: str
    read: Callable[[Inputs], Reading]
    windows: Callable[[Inputs], pd.Series | None] = field(default=lambda i: None)
    steps: Callable[[Inputs], pd.Series | None] = field(default=lambda i: None)
    has_side: bool = False
    window_sides: Callable[[Inputs], pd.Series | None] = field(default=lambda i: None)
    metric: str = ""  # the registry metric this measure reads (the report marks its tile)

    def fmt(self, value: float) -> str:
        """The value as shown in messages; changes carry their sign."""
        sign = "+" if self.kind == "change" else ""
        return f"{value:{sign}.{self.decimals}f}"


# ---------------------------------------------------------------------------------------------
# builders


def _null_reason(inp: Inputs, key: str, hints: tuple[str, ...]) -> str:
    """Why the registry metric ``key`` was not measured, in words: the analysis' own note when one
    mentions a hint, else what the metric needs."""
    m = METRICS[key]
    for note in inp.summary.get("notes") or []:
        if any(h in str(note) for h in hints):
            return f"{m.label.lower()} was not measured: {note}"
    return f"{m.label.lower()} needs {m.needs}"


def _summary_reader(path: tuple[str, ...], key: str,
                    hints: tuple[str, ...] = ()) -> Callable[[Inputs], Reading]:

    def read(inp: Inputs) -> Reading:
        if not inp.metrics:
            return Reading(None, "the summary has no metrics")
        value = _number(_path(inp.metrics, path))
        if value is None:
            return Reading(None, _null_reason(inp, key, hints + NO_RUNNING))
        return Reading(value)

    return read


def _window_column(*columns: str) -> Callable[[Inputs], pd.Series | None]:
    def series(inp: Inputs) -> pd.Series | None:
        if inp.windows is None:
            return None
        for column in columns:
            if column in inp.windows.columns:
                values = pd.to_numeric(inp.windows[column], errors="coerce")
                return values if values.notna().any() else None
        return None

    return series


def _step_column(column: str, side: str | None = None,
                 transform: Callable[[pd.Series], pd.Series] | None = None
                 ) -> Callable[[Inputs], pd.Series | None]:
    def series(inp: Inputs) -> pd.Series | None:
        steps = inp.valid_steps()
        if steps is None or column not in steps.columns:
            return None
        if side is not None:
            if "side" not in steps.columns:
                return None
            steps = steps[steps["side"] == side]
        values = pd.to_numeric(steps[column], errors="coerce")
        if transform is not None:
            values = transform(values)
        values = values[np.isfinite(values)]
        return values if len(values) else None

    return series


def _balance_offset(inp: Inputs) -> Reading:
    left_pct = _number(inp.metrics.get("ground_contact_balance_left_pct"))
    if left_pct is None:
        return Reading(None, _null_reason(inp, "ground_contact_balance_left_pct",
                                          SIDE_HINTS + NO_RUNNING))
    side = "left" if left_pct > 50 else "right" if left_pct < 50 else None
    balance = METRICS["ground_contact_balance_left_pct"]
    detail = f"{balance.fmt(left_pct)} L / {balance.fmt(100.0 - balance.shown(left_pct))} R"
    return Reading(abs(left_pct - 50.0), side=side, detail=detail)


def _balance_left_pct_windows(inp: Inputs) -> pd.Series | None:
    w = inp.windows
    if w is None:
        return None
    if "ground_contact_balance_left_pct" in w.columns:
        left_pct = pd.to_numeric(w["ground_contact_balance_left_pct"], errors="coerce")
    elif {"contact_left_ms", "contact_right_ms"} <= set(w.columns):
        left = pd.to_numeric(w["contact_left_ms"], errors="coerce")
        right = pd.to_numeric(w["contact_right_ms"], errors="coerce")
        left_pct = 100.0 * left / (left + right)
    else:
        return None
    return left_pct if left_pct.notna().any() else None


def _balance_offset_windows(inp: Inputs) -> pd.Series | None:
    left_pct = _balance_left_pct_windows(inp)
    return None if left_pct is None else (left_pct - 50.0).abs()


def _sides(diff: pd.Series) -> pd.Series:
    """'left' where ``diff`` (left minus right) > 0, 'right' where < 0, None otherwise."""
    return diff.map(lambda d: "left" if d > 0 else "right" if d < 0 else None)


def _balance_sides_windows(inp: Inputs) -> pd.Series | None:
    left_pct = _balance_left_pct_windows(inp)
    return None if left_pct is None else _sides(left_pct - 50.0)


def _impact_asymmetry(inp: Inputs) -> Reading:
    value = _number(inp.metrics.get("impact_asymmetry_pct"))
    if value is None:
        return Reading(None, _null_reason(inp, "impact_asymmetry_pct", SIDE_HINTS + NO_RUNNING))
    left = _number(_path(inp.metrics, ("impact_g", "left")))
    right = _number(_path(inp.metrics, ("impact_g", "right")))
    side = None
    if left is not None and right is not None and left != right:
        side = "left" if left > right else "right"
    return Reading(value, side=side, detail=_impact_sides_text(left, right, value))


def _impact_sides_text(left: float | None, right: float | None, asymmetry_pct: float) -> str:
    """"impact 2.99 g against 2.27 g on the left, 27.4 % more" (the harder side first; the
    percentage is the impact asymmetry: the difference over the mean of the two sides)."""
    if left is None or right is None:
        return ""
    g, pct = METRICS["impact_g"], METRICS["impact_asymmetry_pct"]
    hi, lo, other = (left, right, "right") if left >= right else (right, left, "left")
    return (f"impact {g.with_unit(hi)} against {g.with_unit(lo)} on the {other}, "
            f"{pct.with_unit(asymmetry_pct)} more")


def _impact_change_text(inp: Inputs) -> tuple[str | None, str]:
    """The side landing harder at the end and each side's impact in the first and last drift
    window ("right foot 2.46 → 2.68 g, left foot 2.50 → 2.43 g")."""
    w = inp.windows
    if w is None or len(w) < 2 or not {"impact_left_g", "impact_right_g"} <= set(w.columns):
        return None, ""
    g = METRICS["impact_g"]
    first, last = w.iloc[0], w.iloc[-1]
    values = {s: (_number(first[f"impact_{s}_g"]), _number(last[f"impact_{s}_g"]))
              for s in ("left", "right")}
    if any(v is None for pair in values.values() for v in pair):
        return None, ""
    end = {s: values[s][1] for s in values}
    side = None if end["left"] == end["right"] else max(end, key=end.get)
    order = [side, "left" if side == "right" else "right"] if side else ["left", "right"]
    text = ", ".join(f"{s} foot {g.fmt(values[s][0])} → {g.with_unit(values[s][1])}"
                     for s in order)
    return side, text


def _impact_asymmetry_windows(inp: Inputs) -> pd.Series | None:
    w = inp.windows
    if w is None:
        return None
    if "impact_asymmetry_pct" in w.columns:
        out = pd.to_numeric(w["impact_asymmetry_pct"], errors="coerce")
    elif {"impact_left_g", "impact_right_g"} <= set(w.columns):
        left = pd.to_numeric(w["impact_left_g"], errors="coerce")
        right = pd.to_numeric(w["impact_right_g"], errors="coerce")
        out = 100.0 * (right - left).abs() / ((left + right) / 2.0)
    else:
        return None
    return out if out.notna().any() else None


def _impact_sides_windows(inp: Inputs) -> pd.Series | None:
    w = inp.windows
    if w is None or not {"impact_left_g", "impact_right_g"} <= set(w.columns):
        return None
    return _sides(pd.to_numeric(w["impact_left_g"], errors="coerce")
                  - pd.to_numeric(w["impact_right_g"], errors="coerce"))


def _incline_pct(inp: Inputs) -> Reading:
    meta = inp.metadata
    if "incline_pct" in meta:
        value = _number(meta["incline_pct"])
        if value is None:
            return Reading(None, f"metadata incline_pct {meta['incline_pct']!r} is not a number")
        return Reading(value)
    if "incline_deg" in meta:
        value = _number(meta["incline_deg"])
        if value is None or abs(value) >= 90:
            return Reading(None, f"metadata incline_deg {meta['incline_deg']!r} is not an angle")
        return Reading(100.0 * math.tan(math.radians(value)))
    return Reading(None, "the recording metadata gives no treadmill incline "
                         "(incline_pct or incline_deg)")




def _window_speeds(inp: Inputs) -> tuple[float, float] | None:
    """Median treadmill speed over the steps of the first and of the last drift window, when the
    steps carry a ``speed_mps`` column (speed stages); ``None`` otherwise."""
    if inp.steps is None or "speed_mps" not in inp.steps.columns or inp.windows is None:
        return None
    steps = inp.valid_steps()
    t = pd.to_numeric(steps["t_ic_s"], errors="coerce")
    speed = pd.to_numeric(steps["speed_mps"], errors="coerce")
    out = []
    for row in (0, len(inp.windows) - 1):
        start, end = inp.windows["start_s"].iloc[row], inp.windows["end_s"].iloc[row]
        inside = speed[(t >= start) & (t < end)].dropna()
        if inside.empty:
            return None
        out.append(float(inside.median()))
    return out[0], out[1]


def _change(base: "Measure") -> tuple[Callable[[Inputs], Reading],
                                      Callable[[Inputs], pd.Series | None]]:
    """Reader and window series of the drift of ``base``: each window minus the first window."""

    def windows(inp: Inputs) -> pd.Series | None:
        series = base.windows(inp)
        if series is None:
            return None
        finite = series[series.notna()]
        if len(finite) < 2:
            return None
        return series - finite.iloc[0]

    def read(inp: Inputs) -> Reading:
        if inp.windows is None:
            return Reading(None, "no drift windows with at least "
                                 f"{inp.window_min_steps} steps")
        series = base.windows(inp)
        if series is None:
            return Reading(None, f"the drift windows have no {base.label.lower()} values")
        finite = series[series.notna()]
        if len(finite) < 2:
            return Reading(None, f"needs at least 2 drift windows with {base.label.lower()}; "
                                 f"the run has {len(finite)}")
        speeds = _window_speeds(inp)
        if speeds is not None and abs(speeds[1] - speeds[0]) > SPEED_TOLERANCE_MPS:
            return Reading(None, f"the treadmill speed changed ({METRICS['treadmill_speed_mps'].fmt(speeds[0])} → "
                                 f"{METRICS['treadmill_speed_mps'].with_unit(speeds[1])} between the first and last window): "
                                 "a change there is pace, not fatigue")
        side, detail = (_impact_change_text(inp) if base.name == "impact_asymmetry_pct"
                        else (None, ""))
        return Reading(float(finite.iloc[-1] - finite.iloc[0]), side=side, detail=detail)

    return read, windows


def _level(name: str, key: str, path: tuple[str, ...], window_columns: tuple[str, ...],
           step: Callable[[Inputs], pd.Series | None] | None = None,
           hints: tuple[str, ...] = (), label: str | None = None) -> Measure:
    """A level measure of the registry metric ``key`` (its label, unit, decimals and needs)."""
    m = METRICS[key]
    return Measure(name=name, label=label or m.label, unit=m.unit_text, decimals=m.decimals,
                   kind="level", read=_summary_reader(path, key, hints),
                   windows=_window_column(*window_columns), steps=step or (lambda i: None), metric=key)


def _registry() -> dict[str, Measure]:
    drop = METRICS["pelvic_drop_deg"]
    balance, asymmetry = METRICS["ground_contact_balance_left_pct"], METRICS["impact_asymmetry_pct"]
    level = [
        _level("cadence_spm", "cadence_spm", ("cadence_spm",), ("cadence_spm",),
               _step_column("step_time_s", transform=lambda s: 60.0 / s.where(s > 0))),
        _level("ground_contact_ms", "ground_contact_ms", ("ground_contact_ms", "mean"),
               ("contact_ms", "ground_contact_ms"), _step_column("contact_ms")),
        _needs_forward(_level("braking_mps", "braking_mps", ("braking_mps", "mean"),
                              ("braking_mps",), _step_column("braking_mps"))),
        _needs_forward(_level("braking_pct", "braking_pct", ("braking_pct",), ("braking_pct",),
                              hints=("treadmill speed",))),
        _level("vertical_oscillation_cm", "vertical_oscillation_cm", ("vertical_oscillation_cm",),
               ("vertical_oscillation_cm",), _step_column("vertical_oscillation_cm")),
        _level("vertical_ratio_pct", "vertical_ratio_pct", ("vertical_ratio_pct",),
               ("vertical_ratio_pct",), hints=("treadmill speed",)),
        _level("pelvic_tilt_deg", "pelvic_tilt_deg", ("pelvic_tilt_deg", "mean"),
               ("pelvic_tilt_deg",), _step_column("pelvic_tilt_deg"),
               ANGLE_HINTS + ("pelvic tilt",)),
        _level("pelvic_drop_left_deg", "pelvic_drop_deg", ("pelvic_drop_deg", "left"),
               ("pelvic_drop_left_deg",), _step_column("pelvic_drop_deg", side="left"),
               ANGLE_HINTS + SIDE_HINTS, f"{drop.label}, left stance"),
        _level("pelvic_drop_right_deg", "pelvic_drop_deg", ("pelvic_drop_deg", "right"),
               ("pelvic_drop_right_deg",), _step_column("pelvic_drop_deg", side="right"),
               ANGLE_HINTS + SIDE_HINTS, f"{drop.label}, right stance"),
        _level("pelvic_rotation_range_deg", "pelvic_rotation_deg", ("pelvic_rotation_deg", "range"),
               ("pelvic_rotation_range_deg",), _step_column("pelvic_rotation_range_deg"),
               hints=ANGLE_HINTS),
        Measure("contact_balance_offset_pct", f"{balance.label}, away from 50/50",
                balance.difference_unit, balance.decimals, "level", _balance_offset,
                _balance_offset_windows, has_side=True, window_sides=_balance_sides_windows,
                metric="ground_contact_balance_left_pct"),
        Measure("impact_asymmetry_pct", asymmetry.label, asymmetry.unit, asymmetry.decimals,
                "level", _impact_asymmetry, _impact_asymmetry_windows, has_side=True,
                window_sides=_impact_sides_windows, metric="impact_asymmetry_pct"),
        Measure("incline_pct", METRICS["incline_pct"].label, METRICS["incline_pct"].unit,
                METRICS["incline_pct"].decimals, "context", _incline_pct, metric="incline_pct"),
    ]
    out = {m.name: m for m in level}
    for base, key in (("cadence_spm", "cadence_spm"), ("ground_contact_ms", "ground_contact_ms"),
                      ("pelvic_tilt_deg", "pelvic_tilt_deg"),
                      ("impact_asymmetry_pct", "impact_asymmetry_pct"),
                      ("braking_mps", "braking_mps"),
                      ("vertical_oscillation_cm", "vertical_oscillation_cm")):
        b = out[base]
        read, windows = _change(b)
        name = f"{base}_change"
        out[name] = Measure(name, f"change in {b.label.lower()} from the first to the last "
                                  "drift window", METRICS[key].difference_unit, b.decimals,
                            "change", read, windows, has_side=b.has_side,
                            window_sides=b.window_sides, metric=b.metric)
    out["pelvic_drop_left_deg"] = _with_side(out["pelvic_drop_left_deg"], "left")
    out["pelvic_drop_right_deg"] = _with_side(out["pelvic_drop_right_deg"], "right")
    return out


def _needs_forward(m: Measure) -> Measure:
    """Braking is judged only when calibration found the running direction; otherwise the
    'forward' axis is an arbitrary horizontal one (``summary.calibration.forward_found``)."""

    def read(inp: Inputs) -> Reading:
        if (inp.summary.get("calibration") or {}).get("forward_found") is False:
            return Reading(None, "the forward direction was not found in calibration, so braking "
                                 "along it is not judged")
        return m.read(inp)

    return dataclasses.replace(m, read=read)


def _with_side(m: Measure, side: str) -> Measure:
    def read(inp: Inputs) -> Reading:
        r = m.read(inp)
        return Reading(r.value, r.reason, side)

    def window_sides(inp: Inputs) -> pd.Series | None:
        series = m.windows(inp)
        return None if series is None else pd.Series(side, index=series.index)

    return Measure(m.name, m.label, m.unit, m.decimals, m.kind, read, m.windows, m.steps,
                   has_side=True, window_sides=window_sides, metric=m.metric)


MEASURES: dict[str, Measure] = _registry()
"""Every metric a catalogue rule may name, by name."""
