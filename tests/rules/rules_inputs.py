"""Hand-built analysis inputs for the rules tests (summary, steps, windows, metadata).

The rules engine reads only ``.summary``, ``.steps``, ``.windows`` and ``.recording.metadata`` of an
:class:`formlab.analysis.Analysis`; these tests build exactly those, with known numbers.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
COACH_LEVELS = Path(__file__).with_name("coach_levels.toml")


def guidance_dir() -> Path:
    shared = os.environ.get("FORMLAB_SHARED")
    return (Path(shared) if shared else REPO.parent / "shared") / "guidance-documents"


@dataclass
class Rec:
    metadata: dict = field(default_factory=dict)


@dataclass
class HandBuilt:
    summary: dict
    steps: pd.DataFrame | None = None
    windows: pd.DataFrame | None = None
    recording: Rec = field(default_factory=Rec)


GOOD_SUMMARY = {
    "format": "formlab-summary/1",
    "running": {"start_s": 10.0, "end_s": 610.0, "steps": 1720},
    "metrics": {
        "cadence_spm": 172.0,
        "vertical_oscillation_cm": 8.5,
        "ground_contact_ms": {"left": 245.0, "right": 247.0, "mean": 246.0},
        "ground_contact_balance_left_pct": 49.8,
        "impact_g": {"left": 2.6, "right": 2.65},
        "impact_asymmetry_pct": 1.9,
        "braking_mps": {"left": 0.15, "right": 0.16, "mean": 0.155},
        "braking_pct": 4.8,
        "pelvic_tilt_deg": {"mean": 7.0, "range": 5.0},
        "pelvic_drop_deg": {"left": 5.0, "right": 5.2},
        "pelvic_rotation_deg": {"range": 10.0},
        "step_length_m": 1.16,
        "vertical_ratio_pct": 7.3,
    },
    "findings": [],
    "notes": [],
}


def summary(**metrics) -> dict:
    """The good-form summary with some metrics replaced (dotted keys as a__b)."""
    out = copy.deepcopy(GOOD_SUMMARY)
    for key, value in metrics.items():
        node = out["metrics"]
        parts = key.split("__")
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value
    return out


def windows(n: int = 5, window_s: float = 120.0, start_s: float = 10.0, steps: int = 340,
            **columns) -> pd.DataFrame:
    """Back-to-back drift windows; each column is a list of n values (or a constant)."""
    base = {
        "cadence_spm": 172.0, "contact_ms": 246.0, "contact_left_ms": 245.0,
        "contact_right_ms": 247.0, "impact_left_g": 2.6, "impact_right_g": 2.65,
        "impact_asymmetry_pct": 1.9, "braking_mps": 0.155, "vertical_oscillation_cm": 8.5,
        "pelvic_tilt_deg": 7.0, "pelvic_drop_left_deg": 5.0, "pelvic_drop_right_deg": 5.2,
    }
    base.update(columns)
    frame = pd.DataFrame({"start_s": start_s + window_s * np.arange(n),
                          "end_s": start_s + window_s * (np.arange(n) + 1),
                          "steps": steps})
    for key, value in base.items():
        frame[key] = value if np.isscalar(value) else list(value)
    return frame


def steps(n: int = 200, t0_s: float = 10.0, step_s: float = 0.35, **columns) -> pd.DataFrame:
    """Alternating left/right valid steps; per-step columns constant unless given."""
    t = t0_s + step_s * np.arange(n)
    frame = pd.DataFrame({
        "t_ic_s": t, "t_fc_s": t + 0.246, "side": ["left", "right"] * (n // 2) + ["left"] * (n % 2),
        "side_confidence": 1.0, "step_time_s": step_s, "contact_ms": 246.0, "impact_g": 2.6,
        "braking_mps": 0.155, "vertical_oscillation_cm": 8.5, "pelvic_tilt_deg": 7.0,
        "pelvic_drop_deg": 5.0, "valid": True})
    for key, value in columns.items():
        frame[key] = value if np.isscalar(value) else list(value)
    return frame
