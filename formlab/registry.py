"""The metric registry: the one place where each metric formlab reports is defined for display.

Per metric: its key (SUMMARY.json), label, unit, display decimals, the decimals SUMMARY.json keeps,
direction (which way is better), population bands and their source, whether it has a left and a
right value, how the whole-run number is estimated, the headline (for per-side metrics the mean of
the two side medians, with both sides shown beside it), the smallest sensible axis span of a plot,
and what the recording must hold for it. The terminal, SUMMARY.json, STEPS.csv, the report, the
comparison, the fatigue table, the live dashboard and the rules' texts read these definitions; no
label, unit or decimals are written anywhere else. This module holds no algorithm: the estimators
are in :mod:`formlab.summary` (:func:`formlab.summary.side_medians`).

Population bands are Garmin's running-dynamics colour gauges (chest strap / waist pod columns):
population percentiles, purple and red the outer 5 % at each end, blue and orange the next 25 %,
green the middle 40 %. They are a comparison with other runners, not an injury threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HIGHER_IS_BETTER = "higher is better"
LOWER_IS_BETTER = "lower is better"
NEITHER = "neither"

GARMIN_BANDS = ("Garmin running dynamics colour gauges (population percentiles of Garmin users, "
                "not injury thresholds)")
NEEDS_SPEED = "the treadmill speed (metadata treadmill_speed_mps or --treadmill-speed)"
NEEDS_SIDES = "the side of each step"
MEDIAN_OF_STRIDES = "median over strides (two consecutive steps) of valid running steps"
SIDE_MEDIANS = "median of each side's valid running steps; headline: mean of the two side medians"


@dataclass(frozen=True)
class Band:
    """One population band: values below ``upper`` (and at or above the previous band's)."""

    upper: float
    colour: str
    label: str


@dataclass(frozen=True)
class Metric:
    key: str                 # SUMMARY.json metrics key
    label: str               # what a runner reads
    unit: str                # as displayed
    decimals: int            # display decimals (bands and rules judge the value as displayed)
    stored_decimals: int     # decimals kept in SUMMARY.json (always >= decimals)
    direction: str           # HIGHER_IS_BETTER, LOWER_IS_BETTER or NEITHER
    per_side: bool           # a left and a right value (SUMMARY.json {"left", "right", "mean"})
    estimator: str           # how the whole-run (and per-window) number is made
    needs: str               # what the recording must hold, said when the metric is missing
    min_axis_span: float     # a plot axis never spans less (unit as displayed)
    step_column: str | None = None  # STEPS.csv / window column of the per-step value, if any
    headline_part: str | None = None  # key of the headline inside a SUMMARY.json dict value
    bands: tuple[Band, ...] = ()
    band_source: str = ""
    symmetric_about: float | None = None  # bands apply to |value - centre| (balance)
    unit_words: str = ""     # the unit in a sentence, when not the symbol ("degrees")
    pace_free: bool = False  # about the same at any running speed: comparable between sessions
    #                          run at different speeds (a share, a balance, a pelvic angle)

    @property
    def unit_text(self) -> str:
        """The unit as written after a number in a sentence."""
        return self.unit_words or self.unit

    @property
    def difference_unit(self) -> str:
        """The unit of a difference of two values: "points" for percentages (a change of
        47 % to 52 % is 5 points, not 5 %), else the metric's unit in words."""
        return "points" if self.unit == "%" else self.unit_text

    def shown(self, value: float | None) -> float | None:
        """``value`` as every output shows it: rounded as SUMMARY.json stores it, then to the
        display decimals (so a number read back from SUMMARY.json shows the same)."""
        if value is None or not math.isfinite(float(value)):
            return None
        return round(round(float(value), self.stored_decimals), self.decimals)

    def fmt(self, value: float | None, sign: bool = False) -> str:
        """The number as displayed ("—" when not measured); ``sign`` for changes."""
        v = self.shown(value)
        if v is None:
            return "—"
        return f"{v:{'+' if sign else ''}.{self.decimals}f}"

    def with_unit(self, value: float | None, sign: bool = False) -> str:
        """The number and its unit ("5.4°", "172 spm")."""
        text = self.fmt(value, sign)
        if text == "—" or not self.unit:
            return text
        return f"{text}{self.unit}" if self.unit == "°" else f"{text} {self.unit}"


def _garmin(*bands: tuple[float, str, str]) -> tuple[Band, ...]:
    return tuple(Band(upper, colour, label) for upper, colour, label in bands)


INF = float("inf")

METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("cadence_spm", "Cadence", "spm", 0, 1, HIGHER_IS_BETTER, False,
           "steps per minute from the median stride (two consecutive steps)", "running steps",
           10.0, step_column="cadence_spm",
           bands=_garmin((153, "red", "< 153"), (164, "orange", "153–163"),
                         (174, "green", "164–173"), (184, "blue", "174–183"),
                         (INF, "purple", "> 183")),
           band_source=GARMIN_BANDS),
    Metric("ground_contact_ms", "Ground contact time", "ms", 0, 1, LOWER_IS_BETTER, True,
           SIDE_MEDIANS, "toe-off detection in running steps", 40.0, step_column="contact_ms",
           headline_part="mean",
           bands=_garmin((218, "purple", "< 218"), (249, "blue", "218–248"),
                         (278, "green", "249–277"), (309, "orange", "278–308"),
                         (INF, "red", "> 308")),
           band_source=GARMIN_BANDS),
    Metric("ground_contact_balance_left_pct", "Contact-time balance (left share)", "%", 1, 2,
           NEITHER, False, "left contact-time median / (left + right medians)", NEEDS_SIDES, 4.0,
           bands=_garmin((0.75, "green", "49.3–50.7"), (2.25, "orange", "47.8–52.2"),
                         (INF, "red", "beyond 47.8–52.2")),
           band_source=GARMIN_BANDS, symmetric_about=50.0, pace_free=True),
    Metric("vertical_oscillation_cm", "Vertical oscillation", "cm", 1, 2, LOWER_IS_BETTER, False,
           MEDIAN_OF_STRIDES, "running steps", 3.0, step_column="vertical_oscillation_cm",
           bands=_garmin((6.8, "purple", "< 6.8"), (9.0, "blue", "6.8–8.9"),
                         (11.0, "green", "9.0–10.9"), (13.1, "orange", "11.0–13.0"),
                         (INF, "red", "> 13.0")),
           band_source=GARMIN_BANDS + ", waist-pod column"),
    Metric("vertical_ratio_pct", "Vertical ratio", "%", 1, 2, LOWER_IS_BETTER, False,
           "vertical oscillation / step length", NEEDS_SPEED, 3.0,
           bands=_garmin((6.5, "purple", "< 6.5"), (8.4, "blue", "6.5–8.3"),
                         (10.1, "green", "8.4–10.0"), (12.0, "orange", "10.1–11.9"),
                         (INF, "red", "> 11.9")),
           band_source=GARMIN_BANDS + ", waist-pod column"),
    Metric("step_length_m", "Step length", "m", 2, 3, NEITHER, False,
           "median of treadmill speed × step time", NEEDS_SPEED, 0.3),
    Metric("impact_g", "Impact (peak vertical force)", "g", 2, 2, LOWER_IS_BETTER, True,
           SIDE_MEDIANS, "running steps", 0.5, step_column="impact_g", headline_part="mean"),
    Metric("impact_asymmetry_pct", "Impact asymmetry", "%", 1, 1, LOWER_IS_BETTER, False,
           "|right − left| impact medians / their mean", NEEDS_SIDES, 10.0, pace_free=True),
    Metric("braking_mps", "Braking (speed lost per step)", "m/s", 2, 3, LOWER_IS_BETTER, True,
           SIDE_MEDIANS, "a gyroscope and the forward direction (found from running)", 0.2,
           step_column="braking_mps", headline_part="mean"),
    Metric("braking_pct", "Braking (share of running speed lost per step)", "%", 1, 2,
           LOWER_IS_BETTER, False, "braking headline / treadmill speed",
           "the treadmill speed, a gyroscope and the forward direction", 5.0, pace_free=True),
    Metric("pelvic_tilt_deg", "Pelvic tilt (anterior, vs standing)", "°", 1, 1,
           LOWER_IS_BETTER, False, "median of valid running steps",
           "a gyroscope and a moment of standing still", 5.0, step_column="pelvic_tilt_deg",
           headline_part="mean", unit_words="degrees", pace_free=True),
    Metric("pelvic_drop_deg", "Pelvic drop (the other hip drops in stance)", "°", 1, 1,
           LOWER_IS_BETTER, True, SIDE_MEDIANS, "a gyroscope and " + NEEDS_SIDES, 5.0,
           step_column="pelvic_drop_deg", headline_part="mean",
           band_source="Bramah et al. 2018: each extra degree of contralateral pelvic drop "
                       "raised the odds of being an injured runner by 80 % (no cut-off given)",
           unit_words="degrees", pace_free=True),
    Metric("pelvic_rotation_deg", "Pelvic rotation range", "°", 1, 1, NEITHER, False,
           "mean over valid running steps of the range within a stride", "a gyroscope", 5.0,
           step_column="pelvic_rotation_range_deg", headline_part="range",
           unit_words="degrees", pace_free=True),
    Metric("treadmill_speed_mps", "Treadmill speed", "m/s", 2, 3, NEITHER, False,
           "belt speed from --treadmill-speed or the recording metadata", NEEDS_SPEED, 0.5),
    Metric("incline_pct", "Treadmill incline", "%", 1, 1, NEITHER, False,
           "from the recording metadata", "metadata incline_pct or incline_deg", 2.0),
)}
"""Every metric formlab reports, by SUMMARY.json key, in reading order."""

SIDES = ("left", "right")


def metric(key: str) -> Metric:
    """The definition of ``key`` (a SUMMARY.json key or a per-step column)."""
    if key in METRICS:
        return METRICS[key]
    for m in METRICS.values():
        if m.step_column == key:
            return m
    raise KeyError(key)


def headline(metrics: dict, key: str) -> float | None:
    """The headline number of ``key`` in SUMMARY.json ``metrics`` (None when not measured)."""
    value = (metrics or {}).get(key)
    part = METRICS[key].headline_part
    if isinstance(value, dict):
        value = value.get(part) if part else None
    return None if value is None else float(value)


def side_value(metrics: dict, key: str, side: str) -> float | None:
    """The ``side`` ('left' or 'right') value of a per-side metric in SUMMARY.json ``metrics``."""
    value = (metrics or {}).get(key)
    return None if not isinstance(value, dict) or value.get(side) is None else float(value[side])


def band_of(key: str, value: float | None) -> Band | None:
    """The population band ``value`` falls in, judged as displayed (Garmin's gauges do), or None."""
    definition = METRICS.get(key)
    shown = definition.shown(value) if definition else None
    if definition is None or not definition.bands or shown is None:
        return None
    x = abs(shown - definition.symmetric_about) if definition.symmetric_about is not None else shown
    return next(b for b in definition.bands if x < b.upper)


def clock(t_s: float) -> str:
    """A time in the run as every output writes it: m:ss, or h:mm:ss from one hour."""
    t = int(round(float(t_s)))
    hours, rest = divmod(t, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
