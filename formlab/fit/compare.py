"""formlab against a Garmin running-dynamics FIT file of the same run: clock alignment, per-minute
agreement, Bland-Altman bias and limits.

Model. The two devices' clocks differ by an unknown constant shift (a watch started earlier, a
logger clock set wrong). Both give 1 Hz series; the shift is the lag in whole seconds, within
``±max_shift_s``, that maximises the Pearson correlation of the two cadence series (or, when it
correlates better, the two speed series) over an overlap of at least ``min_overlap_s``. Pace
changes, surges and the slow drift of a tiring runner make the series' shape, so the peak stands at
the true lag; its resolution is 1 s (FIT timestamps are whole seconds). After alignment, each whole
minute of overlap with at least ``min_seconds`` values on both sides gives one pair of minute
medians per metric, and Bland & Altman (Lancet 1986, 1(8476):307-310) summarise the differences
(Garmin − formlab): bias = mean difference, limits of agreement = bias ± 1.96 SD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

METRICS = {  # column: (label, unit, decimals)
    "cadence_spm": ("Cadence", "steps/min", 1),
    "contact_ms": ("Ground contact time", "ms", 1),
    "ground_contact_balance_left_pct": ("Contact balance (left)", "%", 2),
    "vertical_oscillation_cm": ("Vertical oscillation", "cm", 2),
    "vertical_ratio_pct": ("Vertical ratio", "%", 2),
    "step_length_m": ("Step length", "m", 3),
}
KNOWN_DIFFERENCES = [
    "Vertical oscillation: a chest strap (HRM-Pro, HRM 600) moves with the torso, whose bounce exceeds the "
    "pelvis's; formlab's sensor sits on the sacrum. Expect Garmin's oscillation (and so its vertical ratio) "
    "to be higher with a chest strap; a Running Dynamics Pod on the waistband is closer to formlab's place.",
    "Garmin's values are smoothed over several seconds on the device; formlab's per-second values are "
    "medians over a 10 s window of steps. The comparison uses minute medians, which both smooth alike.",
    "Ground contact time: each device finds foot strike and toe-off in its own acceleration signal with its "
    "own thresholds, so a constant bias between them is expected; its spread is the useful part.",
    "Step length: Garmin's comes from the watch's speed (GPS, or its wrist accelerometer indoors, which is "
    "often wrong on a treadmill); formlab's from the treadmill belt speed.",
]


class NoOverlapError(Exception):
    """The two series share no stretch long enough to align them."""


@dataclass(frozen=True)
class Alignment:
    """The clock shift (Garmin time = formlab time + ``shift_s``), the signal that gave it, the
    correlation at the peak and the overlap in seconds."""

    shift_s: int
    signal: str
    r: float
    overlap_s: int


@dataclass
class Comparison:
    alignment: Alignment
    minutes: pd.DataFrame  # minute, and <metric>_formlab / <metric>_garmin per metric
    agreement: pd.DataFrame  # metric, minutes, formlab_mean, garmin_mean, bias, sd, loa_low, loa_high
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GarminComparer:
    """Align and compare. ``max_shift_s``: largest clock shift searched (s); ``min_overlap_s``:
    least overlap for a lag to count (s); ``min_seconds``: least values per side in a minute."""

    max_shift_s: int = 900
    min_overlap_s: int = 120
    min_seconds: int = 30

    def align(self, formlab: pd.DataFrame, garmin: pd.DataFrame) -> Alignment:
        """``formlab`` and ``garmin``: 1 Hz tables with ``epoch_s`` (whole seconds, UTC) and the
        ``cadence_spm`` / ``speed_mps`` columns."""
        best = None
        for signal in ("cadence_spm", "speed_mps"):
            found = self._best_lag(_series(formlab, signal), _series(garmin, signal))
            if found is not None and (best is None or found[1] > best[1]):
                best = (*found, signal)
        if best is None:
            raise NoOverlapError(f"no {self.min_overlap_s} s of running in both files within a clock shift of "
                                 f"±{self.max_shift_s} s: they are not the same run, or one has no running")
        lag, r, overlap, signal = best
        return Alignment(shift_s=int(lag), signal=signal, r=float(r), overlap_s=int(overlap))

    def _best_lag(self, f: pd.Series, g: pd.Series):
        """(lag, r, overlap) of the highest correlation, or None without a usable overlap."""
        if f.empty or g.empty:
            return None
        lo = int(min(f.index.min(), g.index.min()))
        hi = int(max(f.index.max(), g.index.max()))
        fa = f.reindex(range(lo, hi + 1)).to_numpy(float)
        ga = g.reindex(range(lo, hi + 1)).to_numpy(float)
        best = None
        reach = min(self.max_shift_s, len(fa) - self.min_overlap_s)
        for lag in range(-reach, reach + 1):
            a, b = (fa[:len(fa) - lag], ga[lag:]) if lag >= 0 else (fa[-lag:], ga[:len(ga) + lag])
            ok = np.isfinite(a) & np.isfinite(b)
            n = int(ok.sum())
            if n < self.min_overlap_s:
                continue
            x, y = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
            denom = np.sqrt((x * x).sum() * (y * y).sum())
            if denom == 0:
                continue
            r = float((x * y).sum() / denom)
            if best is None or r > best[1]:
                best = (lag, r, n)
        return best

    def compare(self, formlab: pd.DataFrame, garmin: pd.DataFrame) -> Comparison:
        """Align, then compare minute medians (see the module docstring)."""
        alignment = self.align(formlab, garmin)
        g = garmin.assign(epoch_s=garmin["epoch_s"] - alignment.shift_s).set_index("epoch_s")
        f = formlab.set_index("epoch_s")
        start = max(f.index.min(), g.index.min())
        end = min(f.index.max(), g.index.max())
        rows = []
        for minute, m0 in enumerate(range(int(start), int(end) + 1 - 60 + 1, 60)):
            fm, gm = f.loc[m0:m0 + 59], g.loc[m0:m0 + 59]
            row = {"minute": minute}
            for col in METRICS:
                a, b = fm[col].dropna() if col in fm else pd.Series(dtype=float), gm[col].dropna()
                ok = len(a) >= self.min_seconds and len(b) >= self.min_seconds
                row[f"{col}_formlab"] = float(a.median()) if ok else np.nan
                row[f"{col}_garmin"] = float(b.median()) if ok else np.nan
            rows.append(row)
        minutes = pd.DataFrame(rows, columns=["minute", *[f"{c}_{s}" for c in METRICS for s in ("formlab", "garmin")]])
        notes = []
        if alignment.r < 0.5:
            notes.append(f"the clock alignment is uncertain: the best {alignment.signal} correlation is only "
                         f"r = {alignment.r:.2f}")
        return Comparison(alignment, minutes, bland_altman(minutes), notes)


def _series(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table:
        return pd.Series(dtype=float)
    s = table.set_index("epoch_s")[column].astype(float).dropna()
    return s if s.std() > 0 else pd.Series(dtype=float)  # a constant series cannot be aligned


def bland_altman(minutes: pd.DataFrame) -> pd.DataFrame:
    """Per metric: minutes, means, bias (Garmin − formlab), SD and 95 % limits of agreement."""
    rows = []
    for col in METRICS:
        a, b = minutes[f"{col}_formlab"].to_numpy(float), minutes[f"{col}_garmin"].to_numpy(float)
        ok = np.isfinite(a) & np.isfinite(b)
        d = b[ok] - a[ok]
        sd = float(np.std(d, ddof=1)) if d.size > 1 else np.nan
        bias = float(d.mean()) if d.size else np.nan
        rows.append({"metric": col, "minutes": int(d.size), "formlab_mean": float(a[ok].mean()) if d.size else np.nan,
                     "garmin_mean": float(b[ok].mean()) if d.size else np.nan, "bias": bias, "sd": sd,
                     "loa_low": bias - 1.96 * sd, "loa_high": bias + 1.96 * sd})
    return pd.DataFrame(rows)


def with_epoch(table: pd.DataFrame, start_epoch_s: float | None = None) -> pd.DataFrame:
    """A 1 Hz table with ``epoch_s`` (whole seconds since 1970, UTC): from its ``time_utc`` column,
    or ``start_epoch_s + t_s``."""
    if start_epoch_s is None:
        epoch = table["time_utc"].map(lambda t: t.timestamp()).to_numpy(float)
    else:
        epoch = start_epoch_s + table["t_s"].to_numpy(float)
    return table.assign(epoch_s=np.round(epoch).astype(np.int64))
