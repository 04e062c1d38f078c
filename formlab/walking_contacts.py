"""Walking initial contacts.

Walking has no flight phase: initial contact is taken at the steepest rise of the low-passed vertical acceleration before each loading peak (the
loading response; Zijlstra & Hof 2003 use the same trunk events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from formlab.filters import lowpass


@dataclass
class WalkingContactDetector:
    """Walking initial contacts: steepest rise of the low-passed vertical acceleration (see module doc)."""

    lowpass_hz: float = 8.0
    min_step_s: float = 0.3

    def detect(self, t_s: np.ndarray, acc_g: np.ndarray, sample_rate_hz: float) -> pd.DataFrame:
        """Contacts in one stretch of uniformly sampled walking; ``acc_g`` is body-frame (forward, left, up)."""
        acc_up_g = acc_g[:, 2]
        fs = sample_rate_hz
        if acc_up_g.size < int(fs):
            return pd.DataFrame(columns=["t_ic_s", "t_fc_s", "stance_peak_g"])
        smooth = lowpass(acc_up_g - np.mean(acc_up_g), self.lowpass_hz, fs)
        slope = np.gradient(smooth) * fs
        peaks, _ = find_peaks(slope, distance=max(1, int(self.min_step_s * fs)),
                              height=0.5 * np.percentile(slope, 95))
        t_ic = t_s[peaks]
        return pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": np.nan, "stance_peak_g": np.nan})
