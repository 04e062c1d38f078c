"""The recording's clock: strictly increasing times, their unit, the sample rate, unusable gaps.

Model: the sensor samples at one nominal rate; the median step between timestamps is its period.
Assumptions: a body-worn IMU for gait samples between ``MIN_RATE_HZ`` and ``MAX_RATE_HZ`` (10 Hz to
100 kHz: phones ~50-500 Hz, research IMUs up to a few kHz); a time column in the wrong unit is off by a power of 1000 (ms, µs,
ns written where seconds were expected, or the reverse), so the unit is the power of 1000 that
brings the median step to the metadata's ``sample_rate_hz`` (or, without it, into a 1000-fold
window ``INFER_RATE_HZ`` that only one unit can land in). Every change is said in a note.
A gap longer than ``MAX_GAP_S`` is not a packet loss but a stopped logger: the recording is split
there and only its longest part analysed (a uniform grid across a 1e9 s gap would need 745 GiB).
"""

from __future__ import annotations

import numpy as np

from formlab.errors import InputError

MIN_RATE_HZ = 10.0
MAX_RATE_HZ = 100_000.0
INFER_RATE_HZ = (10.0, 10_000.0)  # 1000-fold wide: exactly one of s, ms, µs, ns lands a rate in it
RATE_TOLERANCE = 0.01  # metadata and timestamps agree within 1 % (clocks are off by ppm, not %)
MAX_GAP_S = 300.0  # a longer pause splits the recording
MAX_GAP_FRACTION = 0.5  # at most this share of the analysed span may be gaps (bounds the grid)
TIME_UNITS_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def check_increasing(t_s: np.ndarray, path: str, first_line: int, name: str = "t_s") -> None:
    """Raise at the first duplicate or backwards timestamp (``first_line``: line of sample 0)."""
    dt_s = np.diff(t_s)
    bad = np.flatnonzero(~(dt_s > 0))
    if bad.size:
        k = int(bad[0])
        what = "duplicate timestamp" if dt_s[k] == 0 else "time goes backwards"
        raise InputError(path, first_line + k + 1, f"{what}: {name} {t_s[k + 1]:.6f} after {t_s[k]:.6f}")


def rate_in_range(rate_hz: float) -> bool:
    return MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ


def settle_clock(t: np.ndarray, metadata_rate_hz: float | None, path: str, notes: list[str],
                 name: str = "t_s", unit_known: bool = True) -> tuple[np.ndarray, float]:
    """Times in seconds and the nominal rate (Hz), from increasing times ``t`` in seconds
    (``unit_known``) or in an unknown unit. Multiplies by a power of 1000 when that is what makes
    the timestamps agree with the metadata or with a plausible rate, and says so in ``notes``."""
    step = float(np.median(np.diff(t)))
    rate_hz = 1.0 / step
    if metadata_rate_hz is not None:
        factor = _power_of_1000(rate_hz / metadata_rate_hz, RATE_TOLERANCE)
        if factor == 1.0:
            return t, metadata_rate_hz
        if factor is not None:
            notes.append(f"{name} steps by {step:.4g} but sample_rate_hz is {metadata_rate_hz:g}: "
                         f"{name} {_unit_phrase(factor)}")
            return t * factor, metadata_rate_hz
        if not rate_in_range(rate_hz):
            raise InputError(path, None, f"{name} steps by {step:.4g} s ({rate_hz:.4g} Hz), which matches neither "
                             f"sample_rate_hz {metadata_rate_hz:g} nor any sensor's rate")
        notes.append(f"sample_rate_hz {metadata_rate_hz:g} in the metadata disagrees with the timestamps "
                     f"({rate_hz:.4g} Hz): the timestamps' rate is used")
        return t, rate_hz
    if unit_known and rate_in_range(rate_hz):
        return t, rate_hz
    for factor in (1.0, 1e-3, 1e-6, 1e-9, 1e3, 1e6):
        if INFER_RATE_HZ[0] <= rate_hz / factor < INFER_RATE_HZ[1]:
            if factor != 1.0 or not unit_known:
                notes.append(f"{name} {_unit_phrase(factor)}: its median step {step:.4g} then gives "
                             f"{rate_hz / factor:.4g} Hz")
            return t * factor, rate_hz / factor
    raise InputError(path, None, f"{name} steps by {step:.4g} ({rate_hz:.4g} per unit): no time unit "
                     "(s, ms, µs, ns) gives a sensor's sampling rate")


def _unit_phrase(factor: float) -> str:
    unit = {1.0: "s", 1e-3: "ms", 1e-6: "µs", 1e-9: "ns"}.get(factor)
    return f"read as {unit}" if unit else f"multiplied by {factor:g} to give seconds"


def _power_of_1000(ratio: float, tolerance: float) -> float | None:
    """1000**k (k in -3..3) within ``tolerance`` of ``ratio``, else None."""
    for k in range(-3, 4):
        scale = 1000.0 ** k
        if abs(ratio / scale - 1.0) <= tolerance:
            return scale
    return None


def longest_part(t_s: np.ndarray, rate_hz: float, path: str, notes: list[str]) -> slice:
    """The samples to analyse: all of them, or the longest part between gaps over ``MAX_GAP_S``.
    Refuses a part whose time span is mostly gaps (its uniform grid would dwarf the samples)."""
    cuts = np.flatnonzero(np.diff(t_s) > MAX_GAP_S) + 1
    part = slice(0, t_s.size)
    if cuts.size:
        bounds = np.r_[0, cuts, t_s.size]
        k = int(np.argmax(np.diff(bounds)))
        part = slice(int(bounds[k]), int(bounds[k + 1]))
        longest = float(np.max(np.diff(t_s)))
        notes.append(f"{cuts.size} pause(s) longer than {MAX_GAP_S:g} s (the longest {longest:.3g} s): "
                     f"the recording was split there and only its longest part, t_s {t_s[part.start]:.3f} to "
                     f"{t_s[part.stop - 1]:.3f}, is analysed")
    span_samples = (t_s[part.stop - 1] - t_s[part.start]) * rate_hz + 1
    n = part.stop - part.start
    if span_samples * (1.0 - MAX_GAP_FRACTION) > n:
        raise InputError(path, None, f"t_s spans {span_samples / rate_hz:.4g} s but holds only {n} samples at "
                         f"{rate_hz:g} Hz: more than {MAX_GAP_FRACTION:.0%} of it is gaps")
    return part
