"""The per-step metrics the report plots, and how to read them from a steps table.

A steps table has the STEPS.csv columns of ``spec/analysis-output.md``. Cadence is not a
column: each step's cadence is ``60 / step_time_s`` (steps per minute, both feet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class StepMetric:
    """How one per-step metric is named, labelled and formatted in the report."""

    name: str          # cadence_spm or a STEPS.csv column
    label: str         # words a coach reads
    unit: str
    decimals: int
    band_metric: str | None  # SUMMARY.json metric whose population bands apply, if any
    per_side: bool     # meaningful to compare left against right


STEP_METRICS: tuple[StepMetric, ...] = (
    StepMetric("cadence_spm", "Cadence", "spm", 0, "cadence_spm", False),
    StepMetric("contact_ms", "Ground contact time", "ms", 0, "ground_contact_ms", True),
    StepMetric("vertical_oscillation_cm", "Vertical oscillation", "cm", 1,
               "vertical_oscillation_cm", False),
    StepMetric("impact_g", "Impact (peak vertical force)", "g", 2, None, True),
    StepMetric("braking_mps", "Braking (speed lost per step)", "m/s", 3, None, True),
    StepMetric("pelvic_tilt_deg", "Pelvic tilt (anterior +)", "°", 1, None, False),
    StepMetric("pelvic_drop_deg", "Pelvic drop (swing-side hip)", "°", 1, None, True),
)

STEP_METRIC_BY_NAME = {m.name: m for m in STEP_METRICS}


def valid_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps flagged valid, in time order (all steps when the table has no ``valid`` column)."""
    if "valid" in steps.columns:
        steps = steps[steps["valid"].astype(bool)]
    return steps.sort_values("t_ic_s")


def step_values(steps: pd.DataFrame, name: str) -> np.ndarray:
    """Per-step values of ``name`` (float, NaN where not measured) for the rows of ``steps``."""
    if name == "cadence_spm":
        step_time_s = steps["step_time_s"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(step_time_s > 0, 60.0 / step_time_s, np.nan)
    if name not in steps.columns:
        return np.full(len(steps), np.nan)
    return pd.to_numeric(steps[name], errors="coerce").to_numpy(dtype=float)


def is_measured(steps: pd.DataFrame, name: str) -> bool:
    """True when at least one step carries a finite value of ``name``."""
    return bool(np.isfinite(step_values(steps, name)).any())


def sides(steps: pd.DataFrame) -> np.ndarray:
    """Side of each step as 'left', 'right' or '' (unknown)."""
    if "side" not in steps.columns:
        return np.full(len(steps), "", dtype=object)
    return steps["side"].fillna("").astype(str).str.lower().to_numpy(dtype=object)


def has_sides(steps: pd.DataFrame) -> bool:
    """True when both left and right steps are present."""
    s = sides(steps)
    return bool((s == "left").any() and (s == "right").any())
