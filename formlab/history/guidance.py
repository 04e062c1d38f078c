"""The history rules (``history_rules.toml``): the 10 % weekly-volume rule with its "six weeks
into a plan" note, and the settings of findings against an athlete's own baseline.

The file is shaped like an entry of the guidance catalogue (``formlab/rules/catalogue.toml``):
title, metric, direction, threshold with its source, advice, sources cited by document title
and section heading.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).with_name("history_rules.toml")


@dataclass(frozen=True)
class BaselineMetric:
    name: str
    label: str
    unit: str
    decimals: int
    min_change: float
    up: str
    down: str


@dataclass(frozen=True)
class Baseline:
    weeks: int
    min_sessions: int
    speed_tolerance_mps: float
    spread_factor: float
    metrics: dict[str, BaselineMetric]


@dataclass(frozen=True)
class VolumeRule:
    id: str
    title: str
    message: str
    threshold_pct: float
    threshold_source: str
    advice: tuple[str, ...]
    sources: tuple[dict, ...]
    plan_weeks: tuple[int, int]
    plan_message: str
    plan_sources: tuple[dict, ...]


@lru_cache(maxsize=1)
def _raw() -> dict:
    return tomllib.loads(PATH.read_text(encoding="utf-8"))


def volume_rule() -> VolumeRule:
    rule = _raw()["rules"]["weekly_volume_increase"]
    note = rule["plan_note"]
    return VolumeRule("weekly_volume_increase", rule["title"], rule["message"], float(rule["watch"]["value"]),
                      rule["watch"]["source"], tuple(rule["advice"]), tuple(rule["sources"]),
                      (int(note["from_week"]), int(note["to_week"])), note["message"], tuple(note["sources"]))


def baseline_settings() -> Baseline:
    raw = _raw()["baseline"]
    metrics = {name: BaselineMetric(name, m["label"], m["unit"], int(m["decimals"]), float(m["min_change"]),
                                    m["up"], m["down"]) for name, m in raw["metrics"].items()}
    return Baseline(int(raw["weeks"]), int(raw["min_sessions"]), float(raw["speed_tolerance_mps"]),
                    float(raw["spread_factor"]), metrics)
