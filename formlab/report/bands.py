"""How the report draws the population bands of :data:`formlab.registry.METRICS`.

The limits themselves live only in the metric registry (Garmin's running-dynamics colour
gauges); this module adds what the page needs: a colour for each band
name, what a band means in words, and the value intervals to shade on a plot axis. Garmin's
colours are population percentiles: purple and red the outer 5 % at each end, blue and orange
the next 25 %, green the middle 40 %. The report presents them as such, never as a verdict.
"""

from __future__ import annotations

from formlab.registry import METRICS, band_of

BAND_COLOURS_HEX = {
    "purple": "#8e44ad",
    "blue": "#2e86de",
    "green": "#27ae60",
    "orange": "#e67e22",
    "red": "#e74c3c",
}

BAND_MEANING = {
    "purple": "outer 5 % of runners",
    "blue": "next 25 % of runners",
    "green": "middle 40 % of runners",
    "orange": "next 25 % of runners",
    "red": "outer 5 % of runners",
}


def band_colour(metric: str, value: float | None) -> str | None:
    """Band colour name of a summary metric value, or None (no bands or no value)."""
    band = band_of(metric, value)
    return band.colour if band else None


def band_source(metric: str) -> str:
    definition = METRICS.get(metric)
    return definition.band_source if definition else ""


def band_ranges(metric: str, lo: float, hi: float) -> list[tuple[float, float, str]]:
    """Value intervals ``(y0, y1, colour)`` of each band of ``metric`` clipped to ``[lo, hi]``,
    for shading a plot axis; bands of a deviation (``symmetric_about``) are mirrored."""
    definition = METRICS.get(metric)
    if definition is None or not definition.bands:
        return []
    out = []
    lower = 0.0 if definition.symmetric_about is not None else float("-inf")
    for band in definition.bands:
        if definition.symmetric_about is not None:
            c = definition.symmetric_about
            pieces = [(c + lower, c + band.upper), (c - band.upper, c - lower)]
        else:
            pieces = [(lower, band.upper)]
        for a, b in pieces:
            a, b = max(a, lo), min(b, hi)
            if b > a:
                out.append((a, b, band.colour))
        lower = band.upper
    return out
