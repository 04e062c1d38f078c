"""From decoded batches to recording rows: loss accounting, device time, host time.

Shared by every device adapter (:mod:`formlab.ble.adapter`). Fed in arrival order with
``(host reception time, DecodedBatch)`` and a :meth:`SampleAssembler.new_segment` call after
every (re)connection; returns :class:`SampleBlock` s ready for :class:`~formlab.recording.RecordingAppender`.

Columns it produces (``docs/recording-format.md``):

* ``sample_index`` — one recording-wide counter, strictly increasing. Within a connection it is
  the device's own counter plus a constant, so a jump is exactly the number of lost samples.
  After a reconnect (the device restarts its counter on START) the new constant is chosen from
  the device clock: the jump across the gap is the number of sample periods that elapsed.
* ``t_s`` — device clock (unwrapped, seconds from the first sample): the anchor sample of each
  batch at its device timestamp, the others one fitted sample period apart. Devices without a
  clock use ``sample_index / rate``.
* ``host_time_s`` — the device time mapped to the host's epoch clock through the drift-aware
  fit of :class:`formlab.ble.timesync.ClockFit`.

Loss accounting: a forward jump of the device counter is lost samples (exact); a jump of the
packet counter is lost packets; a counter below the expected value is a duplicate (dropped and
counted) or, more than a second back, a device restart (a new segment). Devices without a sample
counter get it inferred from their timestamps and the sample period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formlab.ble.adapter import DecodedBatch, StreamInfo
from formlab.ble.timesync import ClockFit, OnlineLinearFit, unwrap_near

#: A device clock more than this far from where the host clock says it should be has restarted.
CLOCK_RESTART_TOLERANCE_S = 2.0
#: A device timestamp this far off the fitted sample clock is an anomaly (not used for timing) ...
TIME_JUMP_TOLERANCE_S = 0.05
#: ... unless this many in a row agree: then the device clock jumped and is followed.
TIME_JUMP_CONFIRM = 5
#: The fitted sample period is trusted within this fraction of the nominal one.
PERIOD_TOLERANCE = 0.05


@dataclass(frozen=True)
class SampleBlock:
    """Rows ready to append: the columns of a live recording (arrays of equal length)."""

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    sample_index: np.ndarray
    host_time_s: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t_s.size)

    @staticmethod
    def concat(blocks: list[SampleBlock]) -> SampleBlock:
        gyr = None if blocks[0].gyr_dps is None else np.vstack([b.gyr_dps for b in blocks])
        return SampleBlock(
            t_s=np.concatenate([b.t_s for b in blocks]),
            acc_g=np.vstack([b.acc_g for b in blocks]),
            gyr_dps=gyr,
            sample_index=np.concatenate([b.sample_index for b in blocks]),
            host_time_s=np.concatenate([b.host_time_s for b in blocks]),
        )


@dataclass(frozen=True)
class CaptureGap:
    """Samples missing between two written samples (t_s of both), and why."""

    start_s: float
    end_s: float
    missing_samples: int
    reason: str  # "packet loss" | "reconnect" | "device restart"


@dataclass
class LossCounts:
    """What was lost or damaged on the way; exact where the protocol has counters."""

    samples_lost: int = 0  # inside connections: exact from the device counter
    samples_in_gaps: int = 0  # across reconnects: estimated from the device clock
    packets_lost: int = 0
    duplicate_samples: int = 0
    device_restarts: int = 0
    time_anomalies: int = 0  # device timestamps that went backwards and were overridden
    gaps: list[CaptureGap] = field(default_factory=list)


@dataclass
class _Segment:
    """Per-connection state: counters restart when streaming is started again."""

    info: StreamInfo
    host_s: float
    last_seq: int | None = None
    next_index: int | None = None  # device counter expected next (unwrapped)
    next_dev_s: float | None = None  # device time expected for it
    index_base: int = 0  # recording sample_index = index_base + device counter


class SampleAssembler:
    """Turns ``(host_ns, DecodedBatch)`` into :class:`SampleBlock` s; see the module docstring.

    ``epoch_offset_s`` converts host monotonic seconds to the epoch (``time.time() -
    time.monotonic()`` at start).
    """

    def __init__(self, epoch_offset_s: float) -> None:
        self.epoch_offset_s = epoch_offset_s
        self.loss = LossCounts()
        self.clock = ClockFit()
        self._seg: _Segment | None = None
        self._period: OnlineLinearFit | None = None  # device seconds vs recording index
        self._origin_dev_s = 0.0  # device seconds at t_s = 0
        self._last_index: int | None = None  # last recording sample_index written
        self._last_t_s = 0.0
        self._last_ticks: int | None = None  # unwrapped device ticks of the last batch
        self._time_jumps = 0  # consecutive timestamps off the fitted sample clock
        self._last_host_s = 0.0

    @property
    def period_s(self) -> float:
        """Current estimate of the sample period in device seconds (nominal until it is sane)."""
        assert self._period is not None
        nominal, fitted = self._period.default_slope, self._period.slope
        return fitted if abs(fitted - nominal) <= PERIOD_TOLERANCE * nominal else nominal

    def new_segment(self, info: StreamInfo, host_ns: int) -> None:
        """Streaming was (re)started: device counters start afresh from here."""
        self._seg = _Segment(info=info, host_s=host_ns * 1e-9)
        if self._period is None:
            self._period = OnlineLinearFit(default_slope=1.0 / info.rate_hz)

    def add(self, host_ns: int, batch: DecodedBatch) -> SampleBlock | None:
        """Account for one batch; the rows to write, or None if nothing new (duplicate, empty)."""
        seg = self._seg
        if seg is None:
            raise RuntimeError("add() before new_segment()")
        info = seg.info
        host_s = host_ns * 1e-9
        self._count_packets(seg, batch)
        if batch.n == 0:
            return None
        period_s = self.period_s

        # device time of the first sample, in device seconds (unrebased), or None
        first_dev_s = None
        ticks = None
        if batch.device_ticks is not None:
            ticks = self._unwrap_ticks(batch.device_ticks, info, host_s)
            first_dev_s = ticks / info.clock_hz - batch.ticks_at * period_s

        # device sample counter of the first sample (unwrapped)
        if batch.sample_index is not None:
            if seg.next_index is None:
                index = batch.sample_index
            else:
                assert info.sample_index_modulus is not None
                index = unwrap_near(batch.sample_index, seg.next_index, info.sample_index_modulus)
        elif seg.next_index is None:
            index = 0
        else:
            assert first_dev_s is not None and seg.next_dev_s is not None
            index = seg.next_index + int(round((first_dev_s - seg.next_dev_s) / period_s))

        keep_from = 0
        if seg.next_index is not None:
            jump = index - seg.next_index
            if jump > 0:
                self.loss.samples_lost += jump
            elif jump < -max(batch.n, int(info.rate_hz)):
                self.loss.device_restarts += 1
                self._seg = seg = _Segment(info=info, host_s=host_s, last_seq=seg.last_seq)
            elif jump < 0:
                keep_from = min(batch.n, -jump)
                self.loss.duplicate_samples += keep_from
                if keep_from == batch.n:
                    return None

        segment_start = seg.next_index is None
        if segment_start:
            self._start_segment(seg, index, first_dev_s, host_s, batch)

        n = batch.n - keep_from
        rec_index = seg.index_base + index + keep_from + np.arange(n, dtype=np.int64)
        if ticks is not None:
            anchor_index = seg.index_base + index + batch.ticks_at
            anchor_t = self._anchor_time(anchor_index, ticks / info.clock_hz - self._origin_dev_s)
            t_first = anchor_t - (batch.ticks_at - keep_from) * period_s
        else:
            t_first = rec_index[0] / info.rate_hz
        if self._last_index is not None and t_first <= self._last_t_s:
            self.loss.time_anomalies += 1
            t_first = self._last_t_s + period_s * (rec_index[0] - self._last_index)
        t_s = t_first + period_s * np.arange(n)
        if not segment_start and self._last_index is not None and rec_index[0] - self._last_index > 1:
            self.loss.gaps.append(
                CaptureGap(self._last_t_s, float(t_s[0]), int(rec_index[0] - self._last_index - 1), "packet loss")
            )

        self.clock.add(float(t_s[-1]), host_s)
        host_time_s = self.epoch_offset_s + self.clock.to_host(t_s)

        seg.next_index = index + batch.n
        if first_dev_s is not None:
            seg.next_dev_s = first_dev_s + batch.n * period_s
        if ticks is not None:
            self._last_ticks = ticks
        self._last_host_s = host_s
        self._last_index = int(rec_index[-1])
        self._last_t_s = float(t_s[-1])
        gyr = None if batch.gyr_dps is None else batch.gyr_dps[keep_from:]
        return SampleBlock(t_s, batch.acc_g[keep_from:], gyr, rec_index, host_time_s)

    def _anchor_time(self, anchor_index: int, anchor_t: float) -> float:
        """Device time (t_s) of a timestamped sample, checked against the fitted sample clock.

        A timestamp off the fit by more than TIME_JUMP_TOLERANCE_S is replaced by the fit and
        counted; TIME_JUMP_CONFIRM such in a row mean the device clock jumped, and t_s follows
        on from the fit (the jump is absorbed into the clock origin).
        """
        fit = self._period
        assert fit is not None
        if fit.n >= 2:
            predicted = fit.predict(float(anchor_index))
            if abs(anchor_t - predicted) > TIME_JUMP_TOLERANCE_S:
                self._time_jumps += 1
                if self._time_jumps < TIME_JUMP_CONFIRM:
                    self.loss.time_anomalies += 1
                    return predicted
                self._origin_dev_s += anchor_t - predicted
                anchor_t = predicted
        self._time_jumps = 0
        fit.add(float(anchor_index), anchor_t)
        return anchor_t

    def _count_packets(self, seg: _Segment, batch: DecodedBatch) -> None:
        if batch.packet_seq is None or seg.info.seq_modulus is None:
            return
        if seg.last_seq is None:
            seg.last_seq = batch.packet_seq
            return
        seq = unwrap_near(batch.packet_seq, seg.last_seq + 1, seg.info.seq_modulus)
        if seq > seg.last_seq:
            self.loss.packets_lost += seq - seg.last_seq - 1
            seg.last_seq = seq

    def _unwrap_ticks(self, raw: int, info: StreamInfo, host_s: float) -> int:
        if self._last_ticks is None or info.clock_modulus is None:
            return int(raw)
        predicted = self._last_ticks + (host_s - self._last_host_s) * info.clock_hz
        return unwrap_near(raw, predicted, info.clock_modulus)

    def _start_segment(
        self, seg: _Segment, index: int, first_dev_s: float | None, host_s: float, batch: DecodedBatch
    ) -> None:
        """First batch after (re)start: place the device counter on the recording's index."""
        period_s = self.period_s
        if self._last_index is None:  # the very first samples of the recording
            lost_at_start = index if batch.sample_index is not None and index < 10 * seg.info.rate_hz else 0
            self.loss.samples_lost += lost_at_start
            seg.index_base = lost_at_start - index
            if first_dev_s is not None:
                self._origin_dev_s = first_dev_s - lost_at_start * period_s
            seg.next_index = index
            return
        # where the host clock puts this batch's first sample (both receptions follow a last sample)
        expected = self._last_t_s + (host_s - self._last_host_s) / self.clock.slope - (batch.n - 1) * period_s
        t_new, reason = expected, "reconnect"
        if first_dev_s is not None:
            t_new = first_dev_s - self._origin_dev_s
            if abs(t_new - expected) > CLOCK_RESTART_TOLERANCE_S:  # the device clock restarted
                self.loss.device_restarts += 1
                self._origin_dev_s = first_dev_s - expected
                self.clock.reset()
                t_new, reason = expected, "device restart"
        slots = max(1, int(round((t_new - self._last_t_s) / period_s)))
        first_rec_index = self._last_index + slots
        seg.index_base = first_rec_index - index
        seg.next_index = index
        if slots > 1:
            self.loss.samples_in_gaps += slots - 1
            self.loss.gaps.append(CaptureGap(self._last_t_s, t_new, slots - 1, reason))
