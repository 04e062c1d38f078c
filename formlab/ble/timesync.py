"""Counter unwrapping and device-clock → host-clock mapping for live capture.

Model. A sensor stamps its samples with its own crystal clock, which runs at a slightly
different rate from the host's (20-50 ppm for ordinary crystals, more for cheap RC oscillators)
and starts at an arbitrary value. A notification reaches the host after a latency that is
always positive, jitters by one or more BLE connection intervals (7.5-50 ms) and occasionally
spikes when the host stack queues (bleak#1343). So, per packet *k*::

    host_rx[k] = a + b · device_s[k] + latency[k],   latency ≥ 0

``b = 1/(1 + drift)`` carries the drift, ``a`` the offset. A straight-line least-squares fit of
host reception time on device time, after one pass that rejects the late spikes (residuals
above 5 scaled MADs), estimates ``a + mean latency`` and ``b`` (the usual software clock-sync
estimate: e.g. Sivrikaya & Yener, "Time synchronization in sensor networks: a survey", IEEE
Network 2004, linear regression). The fit uses a sliding window of device time so slow
temperature drift is followed. Mapping each sample through the line gives a smooth host time
that is "when the host received it" without the per-packet jitter.

Counters that wrap (u16 packet numbers, u32 µs clocks) are unwrapped to the value nearest a
prediction: the previous value plus the expected step, or the host time elapsed since.
"""

from __future__ import annotations

import numpy as np

#: Device clocks off the host's by more than this fraction are not believed (a fit that says so
#: saw queued packets or bad timestamps); 5 % is far beyond any crystal or RC oscillator spec.
MAX_DRIFT = 0.05


def unwrap_near(raw: int, reference: float, modulus: int) -> int:
    """The integer congruent to ``raw`` modulo ``modulus`` that is nearest to ``reference``."""
    half = modulus // 2
    return int(round(reference)) + (int(raw) - int(round(reference)) + half) % modulus - half


class OnlineLinearFit:
    """Least-squares line ``y = intercept + slope·x`` updated one point at a time.

    Works on offsets from the first point and keeps centred running sums (Welford's update),
    so it stays exact with large offsets such as µs clocks far from zero. ``slope`` falls back
    to ``default_slope`` until two distinct x values were seen.
    """

    def __init__(self, default_slope: float) -> None:
        self.default_slope = default_slope
        self.n = 0
        self._x0 = 0.0
        self._y0 = 0.0
        self._mean_x = 0.0
        self._mean_y = 0.0
        self._sxx = 0.0
        self._sxy = 0.0

    def add(self, x: float, y: float) -> None:
        if self.n == 0:
            self._x0, self._y0 = x, y
        x, y = x - self._x0, y - self._y0
        self.n += 1
        dx = x - self._mean_x
        self._mean_x += dx / self.n
        self._mean_y += (y - self._mean_y) / self.n
        self._sxx += dx * (x - self._mean_x)
        self._sxy += dx * (y - self._mean_y)

    @property
    def slope(self) -> float:
        if self.n < 2 or self._sxx <= 0.0:
            return self.default_slope
        return self._sxy / self._sxx

    def predict(self, x: float) -> float:
        """The fitted line at ``x`` (the default slope through the only point, with one)."""
        if self.n == 0:
            raise ValueError("no points fitted yet")
        return self._y0 + self._mean_y + self.slope * (x - self._x0 - self._mean_x)


class ClockFit:
    """Drift-aware map from device seconds to host seconds (see the module docstring).

    ``add(device_s, host_s)`` once per packet, with the device time of the packet's *last*
    sample (the packet leaves the sensor right after it) and the host reception time.
    ``to_host(device_s)`` maps any device time. Refits at most every ``refit_every_s`` of
    device time over the last ``window_s``; until two points are in, it assumes no drift.
    """

    def __init__(self, window_s: float = 300.0, refit_every_s: float = 1.0) -> None:
        self.window_s = window_s
        self.refit_every_s = refit_every_s
        self._x: list[float] = []
        self._y: list[float] = []
        self._start = 0  # first point inside the window
        self._slope = 1.0
        self._intercept: float | None = None
        self._x_ref = 0.0
        self._last_fit_x = -np.inf

    def reset(self) -> None:
        """Forget everything (the device clock restarted)."""
        self.__init__(self.window_s, self.refit_every_s)  # type: ignore[misc]

    @property
    def points(self) -> int:
        return len(self._x) - self._start

    def add(self, device_s: float, host_s: float) -> None:
        self._x.append(float(device_s))
        self._y.append(float(host_s))
        if self._intercept is None:
            self._x_ref = float(device_s)
            self._intercept = float(host_s)
        if device_s - self._last_fit_x >= self.refit_every_s:
            self._refit()

    def _refit(self) -> None:
        x_end = self._x[-1]
        while self._x[self._start] < x_end - self.window_s:
            self._start += 1
        if self._start > 4096 and self._start > len(self._x) // 2:
            del self._x[: self._start], self._y[: self._start]
            self._start = 0
        y_ref = self._y[self._start]
        x = np.asarray(self._x[self._start :]) - self._x_ref
        y = np.asarray(self._y[self._start :]) - y_ref
        self._last_fit_x = x_end
        if x.size < 2 or np.ptp(x) <= 0.0:
            return
        keep = np.ones(x.size, dtype=bool)
        for _ in range(2):
            slope, intercept = np.polyfit(x[keep], y[keep], 1)
            resid = y - (intercept + slope * x)
            med = np.median(resid[keep])
            mad = 1.4826 * np.median(np.abs(resid[keep] - med))
            new_keep = resid <= med + 5.0 * max(mad, 1e-6)
            if new_keep.sum() < 2 or np.array_equal(new_keep, keep):
                break
            keep = new_keep
        if abs(slope - 1.0) > MAX_DRIFT:  # not a clock: a burst of queued packets, or bad timestamps
            return
        self._slope = float(slope)
        self._intercept = float(intercept) + y_ref

    @property
    def slope(self) -> float:
        """Host seconds per device second (1/(1 + drift))."""
        return self._slope

    @property
    def drift_ppm(self) -> float:
        """How much faster the device clock runs than the host's, parts per million."""
        return (1.0 / self._slope - 1.0) * 1e6

    def to_host(self, device_s: float | np.ndarray) -> float | np.ndarray:
        if self._intercept is None:
            raise ValueError("no points fitted yet")
        return self._intercept + self._slope * (np.asarray(device_s) - self._x_ref)
