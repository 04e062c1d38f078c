"""Counter unwrapping and the drift-aware device->host clock fit."""

import numpy as np
import pytest

from formlab.ble.timesync import ClockFit, OnlineLinearFit, unwrap_near


@pytest.mark.parametrize(
    ("raw", "reference", "modulus", "expected"),
    [
        (5, 65_534, 1 << 16, 65_541),  # just wrapped forward
        (65_530, 65_541, 1 << 16, 65_530),  # a late packet from before the wrap
        (100, 100, 1 << 16, 100),
        (10, (1 << 32) * 3 + 5, 1 << 32, (1 << 32) * 3 + 10),
        (4_294_967_000, (1 << 32) + 200, 1 << 32, 4_294_967_000),
    ],
)
def test_unwrap_near(raw, reference, modulus, expected):
    assert unwrap_near(raw, reference, modulus) == expected


def test_online_fit_is_exact_with_large_offsets():
    fit = OnlineLinearFit(default_slope=0.005)
    assert fit.slope == 0.005
    x = np.arange(1000, dtype=float)
    y = 4_294_000.0 + 0.004_987_654 * x
    for xi, yi in zip(x, y):
        fit.add(xi, yi)
    assert fit.slope == pytest.approx(0.004_987_654, rel=1e-9)


def _packets(drift_ppm, seconds, rng, spikes=True):
    """Per packet: device time of its last sample, host reception time (latency >= 7.5 ms)."""
    host_s = np.arange(0, seconds, 0.095)
    device_s = 4000.0 + host_s * (1 + drift_ppm * 1e-6)
    latency = 0.0075 + rng.exponential(0.008, host_s.size)
    if spikes:
        latency[::37] += rng.uniform(0.1, 0.6, latency[::37].size)  # host stack queueing (bleak#1343)
    return device_s, 50_000.0 + host_s + latency


@pytest.mark.parametrize("drift_ppm", [3000.0, -3000.0, 40.0])
def test_clock_fit_recovers_drift(drift_ppm):
    rng = np.random.default_rng(7)
    fit = ClockFit()
    for d, h in zip(*_packets(drift_ppm, 60.0, rng)):
        fit.add(d, h)
    assert abs(fit.drift_ppm - drift_ppm) * 1e-6 < 1e-4
    # maps device time to the host time of reception, within the latency jitter
    assert fit.to_host(4000.0 + 30.0 * (1 + drift_ppm * 1e-6)) == pytest.approx(50_030.0 + 0.0155, abs=0.004)


def test_clock_fit_follows_a_drift_change_within_its_window():
    rng = np.random.default_rng(3)
    fit = ClockFit(window_s=120.0)
    d1, h1 = _packets(3000.0, 300.0, rng, spikes=False)
    for d, h in zip(d1, h1):
        fit.add(d, h)
    # the crystal warms up: from here on it runs 1000 ppm slower than before
    d2 = d1[-1] + np.arange(1, 3200) * 0.095 * (1 + 2000e-6)
    h2 = h1[-1] + np.arange(1, 3200) * 0.095
    for d, h in zip(d2, h2):
        fit.add(d, h)
    assert fit.drift_ppm == pytest.approx(2000.0, abs=100.0)


def test_clock_fit_before_two_points_assumes_no_drift():
    fit = ClockFit()
    with pytest.raises(ValueError):
        fit.to_host(1.0)
    fit.add(10.0, 100.0)
    assert fit.to_host(11.5) == pytest.approx(101.5)
    assert fit.drift_ppm == 0.0


def test_clock_fit_ignores_a_fit_that_is_no_clock():
    """60 packets received in one burst (a queue flushing) say nothing about drift."""
    fit = ClockFit()
    for k in range(60):
        fit.add(k * 0.095, 500.0)
    assert fit.drift_ppm == 0.0
    assert fit.to_host(0.95) == pytest.approx(500.95)
