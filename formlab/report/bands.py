"""Population colour bands for running-dynamics metrics (Garmin's gauges).

Garmin colours each running-dynamics value by where it falls among runners who wear its sensors:
purple and red are the outer 5 % at each end, blue and orange the next 25 %, green the middle
40 % (Garmin, "Running Dynamics" owner's-manual pages; figures collected in
``../shared/notes/anchors.md``). For oscillation and vertical ratio the waist-pod limits are used,
because formlab's sensor sits at the waist. The bands compare one runner with a population; they
are not a diagnosis, and the report says so next to every band.

The limits apply to the value as Garmin displays it (rounded to ``decimals``), so a cadence of
183.4 spm is shown as 183 and falls in blue.
"""

from __future__ import annotations

from dataclasses import dataclass

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

BANDS_SOURCE = "Garmin running-dynamics colour gauges (population percentiles)"


@dataclass(frozen=True)
class BandScale:
    """Colour bands of one metric: ``upper_limits[i]`` is the largest value (inclusive, after
    rounding to ``decimals``) that still falls in ``colours[i]``; above the last limit the last
    colour applies. ``of_deviation_from`` classifies ``|value - centre|`` instead of the value."""

    colours: tuple[str, ...]
    upper_limits: tuple[float, ...]
    decimals: int
    of_deviation_from: float | None = None

    def colour_of(self, value: float) -> str:
        """The band colour of ``value``."""
        x = round(float(value), self.decimals)
        if self.of_deviation_from is not None:
            x = round(abs(x - self.of_deviation_from), self.decimals)
        for colour, upper in zip(self.colours, self.upper_limits):
            if x <= upper:
                return colour
        return self.colours[-1]

    def ranges(self, lo: float, hi: float) -> list[tuple[float, float, str]]:
        """Value intervals of each band clipped to ``[lo, hi]``, for shading a plot axis.

        Boundaries sit half a display step above each limit; deviation-based scales are
        mirrored around their centre."""
        half_step = 0.5 * 10.0 ** -self.decimals
        limits = [u + half_step for u in self.upper_limits]
        if self.of_deviation_from is not None:
            c = self.of_deviation_from
            edges = [0.0, *limits, float("inf")]
            out = []
            for colour, a, b in zip(self.colours, edges[:-1], edges[1:]):
                for seg in ((c + a, c + b), (c - b, c - a)):
                    s0, s1 = max(seg[0], lo), min(seg[1], hi)
                    if s1 > s0:
                        out.append((s0, s1, colour))
            return out
        edges = [float("-inf"), *limits, float("inf")]
        out = []
        for colour, a, b in zip(self.colours, edges[:-1], edges[1:]):
            s0, s1 = max(a, lo), min(b, hi)
            if s1 > s0:
                out.append((s0, s1, colour))
        return out


_HIGH_IS_PURPLE = ("red", "orange", "green", "blue", "purple")
_LOW_IS_PURPLE = ("purple", "blue", "green", "orange", "red")

BANDS: dict[str, BandScale] = {
    "cadence_spm": BandScale(_HIGH_IS_PURPLE, (152, 163, 173, 183), decimals=0),
    "ground_contact_ms": BandScale(_LOW_IS_PURPLE, (217, 248, 277, 308), decimals=0),
    "vertical_oscillation_cm": BandScale(_LOW_IS_PURPLE, (6.7, 8.9, 10.9, 13.0), decimals=1),
    "vertical_ratio_pct": BandScale(_LOW_IS_PURPLE, (6.4, 8.3, 10.0, 11.9), decimals=1),
    "ground_contact_balance_left_pct": BandScale(
        ("green", "orange", "red"), (0.7, 2.2), decimals=1, of_deviation_from=50.0
    ),
}
"""Band scales by summary metric name."""


def band_of(metric: str, value: float | None) -> str | None:
    """Colour band of a summary metric value; ``None`` when the metric has no bands or no value."""
    scale = BANDS.get(metric)
    if scale is None or value is None:
        return None
    return scale.colour_of(value)
