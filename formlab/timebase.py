"""A uniform time base for filtering.

Digital filters assume equally spaced samples. Body-frame signals are resampled (linear
interpolation) onto a grid at the nominal rate; samples inside a gap longer than
``MAX_INTERPOLATED_GAP_S`` (0.25 s, ``docs/recording-format.md``) are marked invalid so that no
step is measured across them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_INTERPOLATED_GAP_S = 0.25


@dataclass
class UniformSignals:
    """Body-frame signals on a uniform grid: ``acc_g`` (fwd, left, up), ``gyr_dps`` or None."""

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    sample_rate_hz: float
    valid: np.ndarray  # False inside gaps longer than MAX_INTERPOLATED_GAP_S


def to_uniform(t_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray | None, sample_rate_hz: float) -> UniformSignals:
    """Resample onto ``t_s[0] + k / sample_rate_hz``; flag long gaps invalid."""
    period_s = 1.0 / sample_rate_hz
    n = int(np.floor((t_s[-1] - t_s[0]) / period_s + 1e-9)) + 1
    grid_s = t_s[0] + np.arange(n) * period_s
    dt_s = np.diff(t_s)
    if np.all(np.abs(dt_s - period_s) < 0.01 * period_s) and n == t_s.size:
        return UniformSignals(t_s, acc_g, gyr_dps, sample_rate_hz, np.ones(t_s.size, bool))

    def interp(x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.interp(grid_s, t_s, x[:, k]) for k in range(x.shape[1])])

    valid = np.ones(n, bool)
    for i in np.flatnonzero(dt_s > MAX_INTERPOLATED_GAP_S):
        valid[(grid_s > t_s[i]) & (grid_s < t_s[i + 1])] = False
    return UniformSignals(grid_s, interp(acc_g), None if gyr_dps is None else interp(gyr_dps), sample_rate_hz, valid)
