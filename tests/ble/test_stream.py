"""Loss accounting, counter unwrapping and timing of the shared sample assembler."""

import numpy as np
import pytest

from formlab.ble.adapter import DecodedBatch, StreamInfo
from formlab.ble.stream import SampleAssembler, SampleBlock

RATE = 200
PER = 19
PROFILE = StreamInfo(rate_hz=RATE, has_gyro=True, clock_hz=1e6, clock_modulus=1 << 32,
                     sample_index_modulus=1 << 32, seq_modulus=1 << 16, device="test")
# a Polar-like stream: ns timestamp of the LAST sample of a frame, no counters
TIMESTAMPS_ONLY = StreamInfo(rate_hz=RATE, has_gyro=False, clock_hz=1e9, clock_modulus=None,
                             sample_index_modulus=None, seq_modulus=None, device="test")


def packets(count, *, g0=0, index0=0, seq0=0, clock0_us=(1 << 32) - 700_000, drift_ppm=0.0, host0_s=1000.0,
            info=PROFILE):
    """(host_ns, batch) per packet of a stream; acc x holds the sensor's sample number g."""
    out = []
    for p in range(count):
        g = g0 + p * PER + np.arange(PER)
        acc = np.column_stack([g.astype(float), np.zeros(PER), np.ones(PER)])
        dev_first_s = g[0] / RATE  # device seconds since boot
        host_s = host0_s + (g[-1] / RATE) / (1 + drift_ppm * 1e-6) + 0.010
        if info is PROFILE:
            batch = DecodedBatch(acc, acc * 10, sample_index=(index0 + p * PER) % (1 << 32),
                                 device_ticks=round(clock0_us + dev_first_s * 1e6) % (1 << 32), ticks_at=0,
                                 packet_seq=(seq0 + p) % (1 << 16))
        else:
            batch = DecodedBatch(acc, None, sample_index=None,
                                 device_ticks=round(5e17 + g[-1] / RATE * 1e9), ticks_at=PER - 1)
        out.append((round(host_s * 1e9), batch))
    return out


def run(stream, info=PROFILE, segments=()):
    """Feed packets; ``segments`` = packet positions where a new connection starts."""
    asm = SampleAssembler(epoch_offset_s=1.7e9)
    blocks = []
    for i, (host_ns, batch) in enumerate(stream):
        if i == 0 or i in segments:
            asm.new_segment(info, host_ns)
        block = asm.add(host_ns, batch)
        if block is not None:
            blocks.append(block)
    return asm, SampleBlock.concat(blocks)


def test_clean_stream_across_counter_wraps():
    stream = packets(40, index0=(1 << 32) - 100, seq0=65_530)  # index, seq and µs clock all wrap
    asm, rows = run(stream)
    assert rows.n == 40 * PER
    np.testing.assert_array_equal(rows.acc_g[:, 0], np.arange(40 * PER))
    np.testing.assert_array_equal(rows.sample_index, np.arange(40 * PER))
    np.testing.assert_allclose(rows.t_s, np.arange(40 * PER) / RATE, atol=1e-6)
    assert asm.loss.samples_lost == asm.loss.packets_lost == asm.loss.duplicate_samples == 0
    assert asm.loss.gaps == []


def test_dropped_packets_are_counted_exactly():
    stream = packets(60)
    kept = [p for i, p in enumerate(stream) if i not in {3, 10, 11, 59 - 1}]
    asm, rows = run(kept)
    assert asm.loss.packets_lost == 4
    assert asm.loss.samples_lost == 4 * PER
    assert rows.n == 56 * PER
    # each written sample sits at its own index: the index is the sensor's sample number
    np.testing.assert_array_equal(rows.sample_index, rows.acc_g[:, 0].astype(int))
    assert [(g.missing_samples, g.reason) for g in asm.loss.gaps] == [(19, "packet loss"), (38, "packet loss"),
                                                                       (19, "packet loss")]
    assert asm.loss.gaps[0].start_s == pytest.approx((3 * PER - 1) / RATE)
    assert asm.loss.gaps[0].end_s == pytest.approx(4 * PER / RATE)


def resend(start_g):
    """A packet of PER samples starting at sensor sample ``start_g`` (counter only)."""
    g = start_g + np.arange(PER)
    acc = np.column_stack([g.astype(float), np.zeros(PER), np.ones(PER)])
    return DecodedBatch(acc, acc * 10, sample_index=start_g, device_ticks=None)


def test_duplicates_are_dropped_and_counted():
    stream = packets(10)
    # packet 4 arrives twice; after packet 7 comes a resend of samples 143..161 (9 already written)
    host_ns = stream[7][0] + 1000
    fed = stream[:5] + [stream[4]] + stream[5:8] + [(host_ns, resend(7 * PER + 10))] + stream[8:]
    asm, rows = run(fed)
    assert asm.loss.duplicate_samples == PER + 9 + 10  # packet 4 again, resend head, packet 8 head
    assert asm.loss.samples_lost == 0
    assert rows.n == 10 * PER
    np.testing.assert_array_equal(rows.sample_index, np.arange(rows.n))
    np.testing.assert_array_equal(rows.acc_g[:, 0], np.arange(rows.n))


def test_device_without_counters_infers_loss_from_its_timestamps():
    stream = packets(50, info=TIMESTAMPS_ONLY)
    kept = [p for i, p in enumerate(stream) if i not in {7, 20, 21, 22}]
    asm, rows = run(kept, info=TIMESTAMPS_ONLY)
    assert asm.loss.samples_lost == 4 * PER
    np.testing.assert_array_equal(rows.sample_index, rows.acc_g[:, 0].astype(int))
    np.testing.assert_allclose(rows.t_s, rows.sample_index / RATE, atol=1e-6)
    assert rows.gyr_dps is None


def test_reconnect_marks_the_gap_from_the_device_clock():
    first = packets(30)
    # link lost for ~2.3 s; START again: sample_index and seq restart, the device clock runs on
    g_restart = 30 * PER + 463
    second = packets(30, g0=g_restart, index0=0, seq0=0)
    asm, rows = run(first + second, segments={30})
    assert asm.loss.samples_lost == 0 and asm.loss.packets_lost == 0
    assert asm.loss.samples_in_gaps == 463
    (gap,) = asm.loss.gaps
    assert gap.reason == "reconnect" and gap.missing_samples == 463
    np.testing.assert_array_equal(rows.sample_index, rows.acc_g[:, 0].astype(int))
    np.testing.assert_allclose(rows.t_s, rows.acc_g[:, 0] / RATE, atol=1e-6)


def test_device_clock_restart_is_rebased_on_host_time():
    first = packets(30)
    # the sensor rebooted: its clock starts again near zero, 5 s of host time later
    second = packets(30, g0=0, host0_s=1000.0 + 30 * PER / RATE + 5.0, clock0_us=1_000)
    asm, rows = run(first + second, segments={30})
    assert asm.loss.device_restarts == 1
    assert np.all(np.diff(rows.t_s) > 0) and np.all(np.diff(rows.sample_index) > 0)
    (gap,) = asm.loss.gaps
    assert gap.reason == "device restart"
    assert gap.end_s - gap.start_s == pytest.approx(5.005, abs=0.002)


def test_drift_keeps_device_time_and_maps_host_time():
    drift = 3000.0
    asm, rows = run(packets(600, drift_ppm=drift))  # 57 s
    np.testing.assert_allclose(rows.t_s, np.arange(rows.n) / RATE, atol=1e-6)
    assert asm.clock.drift_ppm == pytest.approx(drift, abs=100)
    host_rate = (rows.n - 1) / (rows.host_time_s[-1] - rows.host_time_s[0])
    assert host_rate == pytest.approx(RATE * (1 + drift * 1e-6), rel=1e-4)
    # host time = the device's sample time on the host clock + the 10 ms latency
    assert rows.host_time_s[0] - 1.7e9 == pytest.approx(1000.0 + 0.010, abs=0.002)


def test_lost_first_packets_count_as_lost():
    asm, rows = run(packets(10)[2:])
    assert asm.loss.samples_lost == 2 * PER
    assert rows.sample_index[0] == 2 * PER
    assert rows.t_s[0] == pytest.approx(2 * PER / RATE)
