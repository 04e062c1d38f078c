"""Zero-phase low-pass filtering, the one smoothing filter every stage uses.

A Butterworth low-pass (2nd order unless asked otherwise) run forward and backward
(``scipy.signal.sosfiltfilt``), so events keep their timing. Signals too short for the filter's
edge padding are replaced by their mean, which is all a low-pass can say about them.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

MIN_SAMPLES = 28
"""Shorter inputs than this cannot be padded at the edges for a 2nd-order filter."""


def lowpass(x: np.ndarray, cutoff_hz: float, sample_rate_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase low-pass along axis 0; the cut-off is capped below Nyquist (0.45 × rate)."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] < MIN_SAMPLES:
        return np.broadcast_to(x.mean(axis=0), x.shape).copy()
    cutoff_hz = min(cutoff_hz, 0.45 * sample_rate_hz)
    sos = butter(order, cutoff_hz / (sample_rate_hz / 2.0), output="sos")
    return sosfiltfilt(sos, x, axis=0)
