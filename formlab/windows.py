"""Per-step sample windows: many ``[i0, i1)`` index ranges flattened once, so that a mean, max,
min or restarting cumulative sum over every step is a handful of numpy calls (``reduceat``), not a
Python loop over steps."""

from __future__ import annotations

import numpy as np


class Windows:
    """Sample windows [i0, i1) of many steps, flattened once for vectorised reductions."""

    def __init__(self, i0: np.ndarray, i1: np.ndarray):
        self.i0 = i0.astype(np.int64)
        self.len = np.maximum(i1.astype(np.int64) - self.i0, 1)
        self.starts = np.r_[0, np.cumsum(self.len)[:-1]]
        self.index = np.repeat(self.i0 - self.starts, self.len) + np.arange(self.len.sum())
        self.pos = np.arange(self.len.sum()) - np.repeat(self.starts, self.len)  # position within window

    def take(self, x: np.ndarray) -> np.ndarray:
        return x[np.minimum(self.index, x.size - 1)]

    def mean(self, x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(self.take(x), self.starts) / self.len

    def max(self, x: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(self.take(x), self.starts)

    def min(self, x: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(self.take(x), self.starts)

    def spread(self, values: np.ndarray) -> np.ndarray:
        return np.repeat(values, self.len)

    def cumsum(self, flat: np.ndarray) -> np.ndarray:
        """Cumulative sum restarting at each window (input already flattened)."""
        total = np.cumsum(flat)
        offset = np.r_[0.0, total[self.starts[1:] - 1]]
        return total - np.repeat(offset, self.len)
