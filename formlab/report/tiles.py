"""Summary tiles: one per metric of SUMMARY.json, with its value, the left/right split where it
applies ("49.1 L / 50.9 R"), and the population band it falls in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formlab.report.bands import BAND_MEANING, band_colour
from formlab.report.quality import NEEDS


@dataclass
class Tile:
    title: str
    value: str | None           # None: not measurable from this recording
    unit: str
    detail: str = ""            # left/right split or a second figure
    band: str | None = None     # population band colour
    band_note: str = ""
    why: str = ""               # what the metric needs, shown when it is not measurable


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def _fmt(x, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def _v(x: float | None, decimals: int) -> str | None:
    return None if x is None else _fmt(x, decimals)


def _split(d: dict, decimals: int) -> str:
    left, right = _num(d.get("left")), _num(d.get("right"))
    if left is None or right is None:
        return "left/right: not measurable"
    return f"{_fmt(left, decimals)} L / {_fmt(right, decimals)} R"


def _band(metric: str, value: float | None) -> tuple[str | None, str]:
    colour = band_colour(metric, value)
    return colour, (f"{colour}: {BAND_MEANING[colour]}" if colour else "")


def _part(d, key):
    return _num(d.get(key)) if isinstance(d, dict) else None


def tiles(summary: dict) -> list[Tile]:
    """The tiles of one session, in reading order; a tile without a value says what its metric
    needs."""
    m = (summary or {}).get("metrics") or {}
    out = []

    cadence = _num(m.get("cadence_spm"))
    out.append(Tile("Cadence", _v(cadence, 0), "spm",
                    "steps per minute, both feet", *_band("cadence_spm", cadence)))

    gct = m.get("ground_contact_ms") or {}
    mean = _part(gct, "mean")
    out.append(Tile("Ground contact time", _v(mean, 0), "ms", _split(gct, 0),
                    *_band("ground_contact_ms", mean)))

    bal = _num(m.get("ground_contact_balance_left_pct"))
    out.append(Tile("Contact-time balance",
                    None if bal is None else f"{bal:.1f} L / {100 - bal:.1f} R", "",
                    "% of contact time per side; 50/50 is even",
                    *_band("ground_contact_balance_left_pct", bal)))

    osc = _num(m.get("vertical_oscillation_cm"))
    out.append(Tile("Vertical oscillation", _v(osc, 1), "cm",
                    "bounce of the pelvis per step", *_band("vertical_oscillation_cm", osc)))

    ratio = _num(m.get("vertical_ratio_pct"))
    out.append(Tile("Vertical ratio", _v(ratio, 1), "%", "oscillation / step length",
                    *_band("vertical_ratio_pct", ratio)))

    length = _num(m.get("step_length_m"))
    out.append(Tile("Step length", _v(length, 2), "m", "one foot's contact to the other's"))

    impact = m.get("impact_g") or {}
    l, r = _part(impact, "left"), _part(impact, "right")
    mean = _part(impact, "mean")
    if mean is None and l is not None and r is not None:
        mean = (l + r) / 2.0
    asym = _num(m.get("impact_asymmetry_pct"))
    out.append(Tile("Impact", _v(mean, 2), "g",
                    _split(impact, 2) + (f" · asymmetry {asym:.1f} %" if asym is not None
                                         else "")))

    braking = m.get("braking_mps") or {}
    mean = _part(braking, "mean")
    out.append(Tile("Braking per step", _v(mean, 3), "m/s", _split(braking, 3)))

    tilt = m.get("pelvic_tilt_deg") or {}
    mean, rng = _part(tilt, "mean"), _part(tilt, "range")
    out.append(Tile("Pelvic tilt", _v(mean, 1), "°",
                    "anterior + vs standing" + (f" · range {rng:.1f}°" if rng is not None
                                                else "")))

    drop = m.get("pelvic_drop_deg") or {}
    l, r = _part(drop, "left"), _part(drop, "right")
    both = [v for v in (l, r) if v is not None]
    out.append(Tile("Pelvic drop", _fmt(float(np.mean(both)), 1) if both else None, "°",
                    _split(drop, 1) + " stance: the other hip drops"))

    rot = _part(m.get("pelvic_rotation_deg") or {}, "range")
    out.append(Tile("Pelvic rotation", _v(rot, 1), "°",
                    "range within a stride"))
    keys = ("cadence_spm", "ground_contact_ms", "ground_contact_balance_left_pct",
            "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m", "impact_g",
            "braking_mps", "pelvic_tilt_deg", "pelvic_drop_deg", "pelvic_rotation_deg")
    for tile, key in zip(out, keys, strict=True):
        if tile.value is None:
            tile.why = NEEDS.get(key, "see the notes from the analysis")
    return out
