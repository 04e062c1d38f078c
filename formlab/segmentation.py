"""Standing / walking / running bouts from orientation-free signals.

Model (per 0.25 s frame, features over a centred window):

* ``|f|``, the norm of the specific force in g, needs no orientation. Quiet standing keeps it
  within a few hundredths of 1 g (a still reading far from 1 g is not standing). Walking (step frequency 1.4-2.3 Hz) has double support: ``|f|``
  stays within roughly 0.6-1.6 g, standard deviation 0.05-0.3 g; slow walking often peaks at
  twice the step frequency, so half the peak frequency is taken when it carries power. Running (2.3-3.5 Hz) has flight
  phases where ``|f|`` falls towards 0 g and impact/mid-stance peaks of 2-4 g, so its standard
  deviation exceeds about 0.35 g and a sizeable share of samples lies below 0.5 g (flight) or
  above 2 g (impacts; a loosely worn sensor wobbles through the flight phase, as in the SisFall
  waist recordings).
  (Thresholds from the published ranges of trunk accelerations in walking and running, e.g.
  Moe-Nilssen & Helbostad 2004 for walking, Lee et al. 2010 and the public waist and sacrum recordings of
  ``docs/validation.md`` for running; checked on every one of them.)
* The step frequency is the strongest spectral peak of ``|f|`` between 1 and 4 Hz (short-time
  Fourier transform of ``|f|`` decimated to about 25 Hz, 4 s Hann windows every 0.5 s); its
  share of the band power measures how periodic the movement is.
* The gyroscope, when present, confirms stillness (spread of the angular rate, which is free of
  the unknown gyro bias) and finds turns: the angular rate about the gravity direction (the
  low-passed direction of ``f``), low-passed at 0.5 Hz so the pelvis' stride-rate yaw oscillation
  cancels, sustained above 30 °/s through at least 45° of heading change.

Frames are labelled, a 1.25 s majority filter removes flicker, runs shorter than a minimum
length are merged into their neighbours, borders are refined to the sample, running bouts are
split at turns (the turn itself becomes ``other``), and all bouts at recording gaps longer than
0.25 s (``docs`` spec: no interpolation across such gaps). The whole recording is
covered: anything not standing, walking or running is ``other``.

Everything is vectorised (``scipy.ndimage`` moving windows, ``scipy.signal.stft``) except a
loop over label runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage, signal

from formlab.filters import MIN_SAMPLES, lowpass

FRAME_S = 0.25
"""Spacing of the classification frames, s."""

GAP_SPLIT_S = 0.25
"""Recording gaps longer than this split bouts (recording-format spec)."""

MIN_BOUT_S = {"standing": 1.0, "walking": 3.0, "running": 3.0, "other": 1.5}
"""Shortest bout kept for each activity, s; shorter runs are merged into their neighbours."""

STILL_ACC_STD_G = 0.03
STILL_GYR_SPREAD_DPS = 6.0
RUN_ACC_STD_G = 0.35
RUN_LOW_SHARE = 0.04
LOW_FORCE_G = 0.5
HIGH_FORCE_G = 2.0
RUN_HIGH_SHARE = 0.04
WALK_ACC_STD_G = 0.04
RUN_STEP_HZ = (2.0, 4.0)
WALK_STEP_HZ = (1.2, 2.5)
MIN_PERIODICITY = 0.15
WALK_SUBHARMONIC = 0.1
TURN_RATE_DPS = 30.0
TURN_MIN_DEG = 45.0

ACTIVITIES = ("standing", "walking", "running", "other")


def segment(signals, gaps=None) -> pd.DataFrame:
    """Split a recording into bouts: DataFrame ``[start_s, end_s, activity]`` in time order.

    ``signals`` is a ``Recording`` or ``BodySignals`` (anything with ``t_s``, ``acc_g`` (n,3) and
    ``gyr_dps`` (n,3) or None); ``gaps`` defaults to ``signals.gaps`` when it has them. Only
    orientation-free quantities are used, so the sensor frame is as good as the body frame.
    """
    t_s = np.asarray(signals.t_s, dtype=float)
    acc_g = np.asarray(signals.acc_g, dtype=float)
    gyr = getattr(signals, "gyr_dps", None)
    gyr_dps = None if gyr is None else np.asarray(gyr, dtype=float)
    if gaps is None:
        gaps = getattr(signals, "gaps", None) or []
    if t_s.size < 2:
        return _frame([], [], [])
    fs = 1.0 / float(np.median(np.diff(t_s)))

    mag = np.linalg.norm(acc_g, axis=1)
    labels, frame_idx = _classify_frames(mag, gyr_dps, fs)
    labels = _majority_filter(labels, max(1, int(round(1.25 / FRAME_S))))
    frame_t = t_s[frame_idx]
    starts, ends, acts = _runs(labels, frame_t, t_s[0], t_s[-1])
    starts, ends, acts = _merge_short(starts, ends, acts)
    _refine_boundaries(starts, ends, acts, t_s, mag, fs)
    starts, ends, acts = _merge_short(starts, ends, acts)  # refinement can shrink a run

    gap_spans = [(g.start_s, g.end_s) for g in gaps if g.end_s - g.start_s > GAP_SPLIT_S]
    turn_spans = [] if gyr_dps is None else _turn_spans(t_s, acc_g, gyr_dps, fs)
    starts, ends, acts = _apply_cuts(starts, ends, acts, gap_spans, turn_spans)
    return _frame(starts, ends, acts)


def _classify_frames(mag: np.ndarray, gyr_dps: np.ndarray | None, fs: float):
    """Label every frame from ``|f|`` (g) and the gyroscope; return ``(labels, sample index of
    each frame centre)``."""
    n = mag.size
    hop = max(1, int(round(FRAME_S * fs)))
    frame_idx = np.arange(hop // 2, n, hop)

    # moving means over every sample, everything after them only at the frame centres
    win = max(3, int(round(2.0 * fs)))
    mag_sq = mag**2
    mean = ndimage.uniform_filter1d(mag, win, mode="nearest")[frame_idx]
    var = ndimage.uniform_filter1d(mag_sq, win, mode="nearest")[frame_idx] - mean**2
    acc_std = np.sqrt(np.clip(var, 0.0, None))
    low_share = ndimage.uniform_filter1d((mag < LOW_FORCE_G).astype(float), win, mode="nearest")[frame_idx]
    high_share = ndimage.uniform_filter1d((mag > HIGH_FORCE_G).astype(float), win, mode="nearest")[frame_idx]

    short = max(3, int(round(1.0 * fs)))
    m1 = ndimage.uniform_filter1d(mag, short, mode="nearest")[frame_idx]
    v1 = ndimage.uniform_filter1d(mag_sq, short, mode="nearest")[frame_idx] - m1**2
    still = (np.sqrt(np.clip(v1, 0.0, None)) < STILL_ACC_STD_G) & (np.abs(m1 - 1.0) < 0.2)
    if gyr_dps is not None:
        gm = ndimage.uniform_filter1d(gyr_dps, short, axis=0, mode="nearest")[frame_idx]
        gv = ndimage.uniform_filter1d(gyr_dps**2, short, axis=0, mode="nearest")[frame_idx] - gm**2
        spread = np.sqrt(np.clip(gv, 0.0, None).sum(axis=1))
        still &= spread < STILL_GYR_SPREAD_DPS

    step_hz, periodicity, subharmonic = _step_frequency(mag, fs, frame_idx)
    walk_hz = np.where((step_hz > WALK_STEP_HZ[1]) & (subharmonic > WALK_SUBHARMONIC), step_hz / 2, step_hz)

    labels = np.full(frame_idx.size, "other", dtype=object)
    running = (
        (acc_std > RUN_ACC_STD_G)
        & ((low_share > RUN_LOW_SHARE) | (high_share > RUN_HIGH_SHARE))
        & (step_hz >= RUN_STEP_HZ[0])
        & (step_hz <= RUN_STEP_HZ[1])
        & (periodicity > MIN_PERIODICITY)
    )
    walking = (
        (acc_std > WALK_ACC_STD_G)
        & (acc_std <= RUN_ACC_STD_G)
        & (walk_hz >= WALK_STEP_HZ[0])
        & (walk_hz <= WALK_STEP_HZ[1])
        & (periodicity > MIN_PERIODICITY)
    )
    labels[walking] = "walking"
    labels[running] = "running"
    labels[still] = "standing"
    return labels, frame_idx


def _step_frequency(mag: np.ndarray, fs: float, frame_idx: np.ndarray):
    """Per frame: dominant frequency of ``|f|`` in 1-4 Hz, its share of the 0.5-8 Hz power, and
    the power at half that frequency relative to it (slow walking often peaks at its harmonic)."""
    q = max(1, int(fs // 25))
    x = mag - mag.mean()
    if q > 1:
        x = signal.decimate(x, q, ftype="fir", zero_phase=True)
    fs_d = fs / q
    nper = max(16, int(round(4.0 * fs_d)))
    if x.size < nper:
        nper = x.size
    hop_d = max(1, int(round(2 * FRAME_S * fs_d)))
    nfft = int(2 ** np.ceil(np.log2(10.0 * fs_d)))  # 0.1 Hz bins
    freqs, times, z = signal.stft(
        x, fs_d, window="hann", nperseg=nper, noverlap=nper - hop_d, nfft=max(nfft, nper),
        boundary="even", padded=True, detrend="constant",
    )
    power = np.abs(z) ** 2
    band = np.flatnonzero((freqs >= 1.0) & (freqs <= 4.0))
    total = (freqs >= 0.5) & (freqs <= 8.0)
    peak = band[0] + np.argmax(power[band], axis=0)
    # spectral leakage of a 4 s Hann window spreads a line over ~0.5 Hz: sum the peak's lobe
    lobe = max(1, int(round(0.25 / (freqs[1] - freqs[0]))))
    cum = np.vstack([np.zeros((1, power.shape[1])), np.cumsum(power, axis=0)])
    cols = np.arange(power.shape[1])

    def lobe_power(center):
        lo = np.clip(center - lobe, 0, power.shape[0])
        hi = np.clip(center + lobe + 1, 0, power.shape[0])
        return cum[hi, cols] - cum[lo, cols]

    peak_power = lobe_power(peak)
    periodicity_frames = peak_power / np.maximum(power[total].sum(axis=0), 1e-12)
    sub_frames = lobe_power(np.round(peak / 2).astype(int)) / np.maximum(peak_power, 1e-12)
    frame_t = frame_idx / fs
    step_hz = np.interp(frame_t, times, freqs[peak])
    periodicity = np.interp(frame_t, times, periodicity_frames)
    subharmonic = np.interp(frame_t, times, sub_frames)
    return step_hz, periodicity, subharmonic


def _majority_filter(labels: np.ndarray, width: int) -> np.ndarray:
    """Most frequent label in a centred window of ``width`` frames (ties keep the current one)."""
    if width <= 1 or labels.size == 0:
        return labels
    counts = np.stack(
        [ndimage.uniform_filter1d((labels == a).astype(float), width, mode="nearest") for a in ACTIVITIES]
    )
    current = np.stack([(labels == a) for a in ACTIVITIES]) * 1e-6
    return np.asarray(ACTIVITIES, dtype=object)[np.argmax(counts + current, axis=0)]


def _runs(labels: np.ndarray, frame_t: np.ndarray, t0: float, t1: float):
    """Runs of equal labels as ``(starts, ends, activities)``; borders halfway between frames."""
    if labels.size == 0:
        return [t0], [t1], ["other"]
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    first = np.concatenate([[0], change])
    borders = np.concatenate([[t0], 0.5 * (frame_t[change - 1] + frame_t[change]), [t1]])
    return list(borders[:-1]), list(borders[1:]), list(labels[first])


def _merge_short(starts, ends, acts):
    """Merge runs shorter than ``MIN_BOUT_S`` into a neighbour, shortest first."""
    starts, ends, acts = list(starts), list(ends), list(acts)
    while len(acts) > 1:
        dur = np.asarray(ends) - np.asarray(starts)
        need = np.asarray([MIN_BOUT_S[a] for a in acts])
        short = np.flatnonzero(dur < need)
        if short.size == 0:
            break
        i = int(short[np.argmin(dur[short])])
        if i == 0:
            j = 1
        elif i == len(acts) - 1:
            j = i - 1
        else:
            j = i - 1 if dur[i - 1] >= dur[i + 1] else i + 1
        lo, hi = min(i, j), max(i, j)
        keep = acts[j]
        starts[lo:hi + 1] = [starts[lo]]
        ends[lo:hi + 1] = [ends[hi]]
        acts[lo:hi + 1] = [keep]
        # neighbours with the same label become one run
        k = lo
        if k + 1 < len(acts) and acts[k + 1] == acts[k]:
            ends[k] = ends[k + 1]
            del starts[k + 1], ends[k + 1], acts[k + 1]
        if k > 0 and acts[k - 1] == acts[k]:
            ends[k - 1] = ends[k]
            del starts[k], ends[k], acts[k]
    return starts, ends, acts


REFINE_S = 1.5
"""Boundaries are refined at sample level within this distance of the frame-level border, s."""
FLIGHT_G = 0.3
IMPACT_G = 1.6


def _refine_boundaries(starts, ends, acts, t_s, mag, fs) -> None:
    """Move each border to where the signal actually changes (in place).

    Running starts at its first step: the earliest flight phase (``|f|`` < 0.3 g) near the
    frame-level border after which flight phases recur at least every 0.6 s; impact-sized forces
    (> 1.6 g) count as well when the running side shows no flight phases and the other side is
    not walking (heel strikes can exceed 1.6 g). From a flight phase the border steps back over
    the first stance to its initial contact. Running ends after the last stance in the same way. Standing ends where ``|f|`` (0.1 s average) first leaves 1 g ± 0.05 g
    relative to the standing mean, and starts after the last such sample.
    """
    smooth = ndimage.uniform_filter1d(mag, max(1, int(round(0.1 * fs))), mode="nearest")
    for i in range(len(acts) - 1):
        a, b = acts[i], acts[i + 1]
        border = ends[i]
        lo = max(starts[i], border - REFINE_S)
        hi = min(ends[i + 1], border + REFINE_S)
        idx = np.arange(np.searchsorted(t_s, lo), np.searchsorted(t_s, hi, side="right"))
        if idx.size < 2:
            continue
        new = None
        if b == "running" or a == "running":
            # flight phases mark running; impacts too, unless the other side is walking
            # (heel strikes can exceed 1.6 g) or the running side has clear flight phases
            flight = mag[idx] < FLIGHT_G
            run_side = t_s[idx] >= border if b == "running" else t_s[idx] < border
            other = a if b == "running" else b
            if other == "walking" or np.count_nonzero(flight & run_side) >= 2:
                hit = flight
            else:
                hit = flight | (mag[idx] > IMPACT_G)
            hits = np.flatnonzero(hit)
            if b == "running" and a != "running" and hits.size:
                # the earliest hit after which hits recur at least every 0.6 s
                long_gap = np.flatnonzero(np.diff(t_s[idx][hits]) > 0.6)
                k = idx[hits[long_gap[-1] + 1] if long_gap.size else hits[0]]
                if hit is flight:
                    k = _across_stance(mag, k, -1, fs)
                new = t_s[k] - 0.5 / fs
            elif a == "running" and b != "running" and hits.size:
                long_gap = np.flatnonzero(np.diff(t_s[idx][hits]) > 0.6)
                k = idx[hits[long_gap[0]] if long_gap.size else hits[-1]]
                if hit is flight:
                    k = _across_stance(mag, k, +1, fs)
                new = t_s[k] + 0.5 / fs
        elif a == "standing" or b == "standing":
            still_side = idx[t_s[idx] < border] if a == "standing" else idx[t_s[idx] >= border]
            if still_side.size:
                level = np.median(smooth[still_side])
                moving = np.abs(smooth[idx] - level) > 0.05
                hits = np.flatnonzero(moving)
                if hits.size:
                    new = t_s[idx][hits[0]] if a == "standing" else t_s[idx][hits[-1]]
        if new is not None and starts[i] < new < ends[i + 1]:
            ends[i] = float(new)
            starts[i + 1] = float(new)


STANCE_G = 1.15


def _across_stance(mag: np.ndarray, k: int, direction: int, fs: float) -> int:
    """From flight sample ``k``, step over the flight and the adjacent stance (``|f|`` >
    ``STANCE_G``, starting within 50 ms of the flight) backwards (``direction`` -1: to the first
    contact) or forwards (+1: to the last toe-off); at most 0.5 s. Returns the sample reached."""
    n = int(0.5 * fs)
    seg = mag[max(0, k - n):k][::-1] if direction < 0 else mag[k + 1:k + 1 + n]
    in_flight = seg < FLIGHT_G
    i = int(np.argmin(in_flight)) if not in_flight.all() else seg.size
    edge = seg[i:i + max(1, int(0.05 * fs))] > STANCE_G
    if not edge.any():
        return k
    i += int(np.argmax(edge))
    stance = seg[i:] > STANCE_G
    i += int(np.argmin(stance)) if not stance.all() else stance.size
    return int(np.clip(k + direction * i, 0, mag.size - 1))


def _turn_spans(t_s, acc_g, gyr_dps, fs) -> list[tuple[float, float]]:
    """Time spans of sustained turning about the gravity direction (needs a gyroscope).

    Works on block means of about 25 Hz: the 0.5 Hz low-pass needs no more."""
    q = max(1, int(fs // 25))
    m = (t_s.size // q) * q
    if m == 0:
        return []
    t_d = t_s[:m].reshape(-1, q).mean(axis=1)
    acc_d = acc_g[:m].reshape(-1, q, 3).mean(axis=1)
    gyr_d = gyr_dps[:m].reshape(-1, q, 3).mean(axis=1)
    fs_d = fs / q
    if t_d.size < MIN_SAMPLES:
        return []
    g_dir = lowpass(acc_d, 0.5, fs_d)
    g_dir /= np.maximum(np.linalg.norm(g_dir, axis=1, keepdims=True), 1e-9)
    yaw_rate = np.einsum("ij,ij->i", gyr_d, g_dir)
    yaw_rate -= np.median(yaw_rate)  # the gyro bias along gravity, roughly
    yaw_lp = lowpass(yaw_rate, 0.5, fs_d)
    turning = np.abs(yaw_lp) > TURN_RATE_DPS
    if not turning.any():
        return []
    edges = np.diff(np.concatenate([[0], turning.astype(np.int8), [0]]))
    on = np.flatnonzero(edges == 1)
    off = np.flatnonzero(edges == -1)
    heading = np.concatenate([[0.0], np.cumsum(yaw_lp[1:] * np.diff(t_d))])
    return [
        (float(t_d[i0]), float(t_d[i1 - 1]))
        for i0, i1 in zip(on, off)
        if abs(heading[i1 - 1] - heading[i0]) >= TURN_MIN_DEG
    ]


def _apply_cuts(starts, ends, acts, gap_spans, turn_spans):
    """Split bouts at gaps (the gap becomes a hole) and running bouts at turns (the turn becomes
    ``other``). Walking keeps its turns, as walking bouts do in Mobilise-D."""
    pieces = list(zip(starts, ends, acts))
    for spans, fill in ((turn_spans, "other"), (gap_spans, None)):
        for c0, c1 in spans:
            nxt = []
            for p0, p1, a in pieces:
                if c1 <= p0 or c0 >= p1 or (fill is not None and a != "running"):
                    nxt.append((p0, p1, a))
                    continue
                if c0 > p0:
                    nxt.append((p0, c0, a))
                if fill is not None:
                    nxt.append((max(p0, c0), min(p1, c1), fill))
                if c1 < p1:
                    nxt.append((c1, p1, a))
            pieces = nxt
    out_s, out_e, out_a = [], [], []
    for p0, p1, a in pieces:
        label = a if p1 - p0 >= MIN_BOUT_S[a] else "other"
        if out_a and out_a[-1] == label and abs(out_e[-1] - p0) < 1e-9:
            out_e[-1] = p1
            continue
        out_s.append(p0)
        out_e.append(p1)
        out_a.append(label)
    return out_s, out_e, out_a


def _frame(starts, ends, acts) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start_s": np.asarray(starts, dtype=float),
            "end_s": np.asarray(ends, dtype=float),
            "activity": pd.Series(acts, dtype=object),
        }
    )
