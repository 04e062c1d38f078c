"""The per-step metrics the report plots, and how to read them from a steps table.

A steps table has the STEPS.csv columns. Cadence is not a column: each step's cadence is
``60 / step_time_s`` (steps per minute, both feet). Labels, units and decimals are the metric
registry's (:mod:`formlab.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formlab.registry import METRICS, Metric


@dataclass(frozen=True)
class StepMetric:
    """A registry metric as the report plots it per step."""

    definition: Metric

    @property
    def name(self) -> str:       # cadence_spm or a STEPS.csv column
        return self.definition.step_column

    @property
    def label(self) -> str:
        return self.definition.label

    @property
    def unit(self) -> str:
        return self.definition.unit

    @property
    def decimals(self) -> int:
        return self.definition.decimals

    @property
    def band_metric(self) -> str | None:
        """SUMMARY.json metric whose population bands apply, if any."""
        return self.definition.key if self.definition.bands else None

    @property
    def per_side(self) -> bool:
        return self.definition.per_side


STEP_METRICS: tuple[StepMetric, ...] = tuple(
    StepMetric(METRICS[key]) for key in ("cadence_spm", "ground_contact_ms",
                                         "vertical_oscillation_cm", "impact_g", "braking_mps",
                                         "pelvic_tilt_deg", "pelvic_drop_deg"))

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
