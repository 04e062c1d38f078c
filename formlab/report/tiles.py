"""Summary tiles: one per metric of the registry, with its headline value, both sides where the
metric has sides ("2.46 L / 2.68 R"), and the population band it falls in. Labels, units,
decimals and headlines are the metric registry's (:mod:`formlab.registry`)."""

from __future__ import annotations

from dataclasses import dataclass

from formlab.registry import METRICS, SIDES, headline, side_value
from formlab.report.bands import BAND_MEANING, band_colour


@dataclass
class Tile:
    key: str
    title: str
    value: str | None           # None: not measurable from this recording
    unit: str
    detail: str = ""            # left/right split or a second figure
    band: str | None = None     # population band colour
    band_note: str = ""
    why: str = ""               # what the metric needs, shown when it is not measurable
    how: str = ""               # how the number is estimated (the registry's words), on hover
    number: float | None = None  # the headline value, for the band gauge
    severity: str | None = None  # the most severe finding on this metric, if any


def balance_text(left_pct: float | None) -> str | None:
    """Contact-time balance as runners know it: "49.1 L / 50.9 R"."""
    m = METRICS["ground_contact_balance_left_pct"]
    if m.shown(left_pct) is None:
        return None
    return f"{m.fmt(left_pct)} L / {m.fmt(100.0 - m.shown(left_pct))} R"


def sides_text(metrics: dict, key: str) -> str:
    """Both sides of a per-side metric: "2.46 L / 2.68 R"."""
    m = METRICS[key]
    left, right = (side_value(metrics, key, s) for s in SIDES)
    if left is None or right is None:
        return "left/right: not measurable"
    return f"{m.fmt(left)} L / {m.fmt(right)} R"


DETAILS = {
    "cadence_spm": "steps per minute, both feet",
    "ground_contact_balance_left_pct": "% of contact time per side; 50/50 is even",
    "vertical_oscillation_cm": "bounce of the pelvis per step",
    "vertical_ratio_pct": "oscillation / step length",
    "step_length_m": "one foot's contact to the other's",
    "braking_pct": "speed lost per step as a share of the belt speed",
    "pelvic_tilt_deg": "anterior + vs standing",
    "pelvic_rotation_deg": "range within a stride",
}
"""What a tile's number is, in words, for metrics without sides."""


def _tile(metrics: dict, key: str) -> Tile:
    m = METRICS[key]
    value = headline(metrics, key)
    detail = DETAILS.get(key, "")
    if m.per_side:
        detail = sides_text(metrics, key) + (" stance: the other hip drops"
                                             if key == "pelvic_drop_deg" else "")
    if key == "impact_g" and headline(metrics, "impact_asymmetry_pct") is not None:
        detail += f" · asymmetry {METRICS['impact_asymmetry_pct'].with_unit(headline(metrics, 'impact_asymmetry_pct'))}"
    if key == "pelvic_tilt_deg":
        tilt = metrics.get(key) or {}
        if isinstance(tilt, dict) and tilt.get("range") is not None:
            detail += f" · range {m.with_unit(tilt['range'])}"
    shown = balance_text(value) if key == "ground_contact_balance_left_pct" else (
        None if m.shown(value) is None else m.fmt(value))
    colour = band_colour(key, value)
    return Tile(key, m.label, shown, "" if key == "ground_contact_balance_left_pct" else m.unit,
                detail, colour, f"{colour}: {BAND_MEANING[colour]}" if colour else "",
                "" if shown is not None else f"needs {m.needs}", m.estimator,
                None if shown is None else m.shown(value))


TILE_KEYS = ("cadence_spm", "ground_contact_ms", "ground_contact_balance_left_pct",
             "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m", "impact_g",
             "braking_mps", "braking_pct", "pelvic_tilt_deg", "pelvic_drop_deg",
             "pelvic_rotation_deg")


SHOWN_IN = {"impact_asymmetry_pct": "impact_g"}
"""Metrics without a tile of their own, and the tile that shows them."""


def _severity_by_tile(findings: list[dict]) -> dict[str, str]:
    """The most severe finding's severity per tile, through each rule measure's registry metric."""
    from formlab.report.page import severity_rank
    from formlab.rules.measures import MEASURES

    out: dict[str, str] = {}
    for f in findings:
        measure = MEASURES.get(str(f.get("metric", "")))
        if measure is None or not measure.metric:
            continue
        key = SHOWN_IN.get(measure.metric, measure.metric)
        sev = str(f.get("severity", "info")).lower()
        if key not in out or severity_rank(sev) < severity_rank(out[key]):
            out[key] = sev
    return out


def tiles(summary: dict, findings: list[dict] | None = None) -> list[Tile]:
    """The tiles of one session, in reading order, each marked with the most severe finding on its
    metric (``findings``: default the summary's); a tile without a value says what its metric
    needs."""
    metrics = (summary or {}).get("metrics") or {}
    severity = _severity_by_tile((summary or {}).get("findings") or [] if findings is None else findings)
    out = [_tile(metrics, key) for key in TILE_KEYS]
    for t in out:
        t.severity = severity.get(t.key)
    return out
