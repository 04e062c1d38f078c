"""Initial contact, toe-off and the side of each step.

Running contacts (:class:`RunningContactDetector`) follow the spring-mass model of running
(Blickhan 1989; McMahon & Cheng 1990): the pelvis is in free fall during flight, so its specific
force is ~0 g, and during stance it carries the vertical ground reaction force, a roughly
half-sine pulse (Morin et al. 2005). A sacral accelerometer therefore sees each stance as a pulse
of vertical specific force, and contact is where the ground force is on:

* **Initial contact**: the rise of the 30 Hz low-passed vertical specific force through 0.8 g
  (capped at half the stance peak), extrapolated along its tangent back to the flight level (0 g).
  The impact loading is steep, so the tangent lands within a few milliseconds of force onset.
* **Toe-off**: the falling edge of the 8 Hz low-passed pulse at half its peak, extrapolated along
  its tangent to 0 g, shortened to the exact half-sine value (the tangent overshoots by 1.7 % of
  contact time). The sacral signal's low tail (soft tissue, pelvis rotation) lags the ground force;
  the half-peak tangent of the smooth pulse does not.

On the force-treadmill reference (``validation.md``) this gives contact-time errors near those
reported for the best sacral methods (Patoz et al. 2022: bias 13 ms, RMSE 20 ms).

Walking contacts (:class:`WalkingContactDetector`) have no flight phase: initial contact is taken
at the steepest rise of the low-passed vertical acceleration before each loading peak (the
loading response; Zijlstra & Hof 2003 use the same trunk events).

Sides (:func:`assign_sides`): during left stance the ground pushes the pelvis toward the right
(mediolateral acceleration negative on the left axis) and the pelvis turns to the left (positive
yaw rate about up) as the right leg swings through; McCamley et al. 2012 and Ullrich et al. 2021
use the same gyroscope and mediolateral cues. Each step's evidence is scored, and within a run of
regularly alternating steps the side is fixed by the parity that best fits all steps at once, so
single-step errors cannot occur; a run whose evidence is weak or inconsistent stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from formlab.filters import lowpass
from formlab.windows import Windows

STEP_COLUMNS = ["t_ic_s", "t_fc_s", "bout", "activity", "stance_peak_g"]

HALF_SINE_TANGENT_FACTOR = (1.0 / 6.0) / (0.5 / (np.pi * np.cos(np.pi / 6.0)))
"""For F = sin(πt/Tc), the time from the half-peak crossing to zero (Tc/6) over the tangent's
extrapolated time (Tc·0.5/(π·cos 30°)): the tangent alone lands 1.7 % of Tc too late."""


def _crossings(t_s: np.ndarray, y: np.ndarray, start: np.ndarray, stop: np.ndarray,
               level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row: first crossing of ``level`` walking from ``start`` toward ``stop`` (exclusive).

    Vectorised over rows (one index matrix, no Python loop). Returns the interpolated crossing
    time and the signal's slope there (per second); NaN where the signal never drops below
    ``level`` on the way.
    """
    n = start.size
    if n == 0:
        return np.zeros(0), np.zeros(0)
    direction = np.where(stop >= start, 1, -1)
    length = np.abs(stop - start)
    offsets = np.arange(max(int(length.max()), 1))
    idx = start[:, None] + direction[:, None] * offsets[None, :]
    inside = offsets[None, :] < length[:, None]
    below = (y[np.clip(idx, 0, y.size - 1)] < level[:, None]) & inside
    found = below.any(axis=1)
    k = idx[np.arange(n), below.argmax(axis=1)]
    a = np.where(direction < 0, k, k - 1)
    b = a + 1
    found &= (a >= 0) & (b < y.size)
    a, b = np.clip(a, 0, y.size - 1), np.clip(b, 0, y.size - 1)
    dy = y[b] - y[a]
    found &= dy != 0
    dt = t_s[b] - t_s[a]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_cross = t_s[a] + (level - y[a]) / dy * dt
        slope = dy / dt
    return np.where(found, t_cross, np.nan), np.where(found, slope, np.nan)


@dataclass
class RunningContactDetector:
    """Stance pulses of vertical specific force → initial contact and toe-off (see module doc)."""

    envelope_hz: float = 8.0
    onset_hz: float = 30.0
    onset_level_g: float = 0.8
    min_peak_g: float = 1.2
    min_step_s: float = 0.22
    max_contact_s: float = 0.45
    min_contact_s: float = 0.08

    def detect(self, t_s: np.ndarray, acc_up_g: np.ndarray, sample_rate_hz: float) -> pd.DataFrame:
        """Contacts in one stretch of uniformly sampled running: ``t_ic_s, t_fc_s, stance_peak_g``."""
        fs = sample_rate_hz
        if acc_up_g.size < int(fs):
            return pd.DataFrame(columns=["t_ic_s", "t_fc_s", "stance_peak_g"])
        envelope = lowpass(acc_up_g, self.envelope_hz, fs)
        onset = lowpass(acc_up_g, self.onset_hz, fs)
        peaks, _ = find_peaks(envelope, height=self.min_peak_g, distance=max(1, int(self.min_step_s * fs)),
                              prominence=0.5)
        reach = int(self.max_contact_s * fs)
        # search no further than the neighbouring stance peaks: short flights merge pulses
        bounds = np.r_[0, peaks, envelope.size - 1]
        lo = np.maximum(peaks - reach, bounds[:-2])
        hi = np.minimum(peaks + reach, bounds[2:])
        half = 0.5 * envelope[peaks]
        t_up, _ = _crossings(t_s, envelope, peaks, lo, half)
        t_down, slope_down = _crossings(t_s, envelope, peaks, hi, half)
        t_fc = t_down + HALF_SINE_TANGENT_FACTOR * half / -slope_down
        i_up = np.minimum(np.searchsorted(t_s, np.nan_to_num(t_up)) + 1, onset.size - 1)
        level = np.minimum(self.onset_level_g, half)
        t_rise, slope_rise = _crossings(t_s, onset, i_up, lo, level)
        t_ic = t_rise - level / slope_rise
        contact_s = t_fc - t_ic
        ok = (np.isfinite(t_up) & (slope_down < 0) & (slope_rise > 0)
              & (contact_s >= self.min_contact_s) & (contact_s <= self.max_contact_s))
        rows = np.column_stack([t_ic[ok], t_fc[ok], envelope[peaks[ok]]])
        out = pd.DataFrame(rows, columns=["t_ic_s", "t_fc_s", "stance_peak_g"])
        # a peak split in two (double-humped stance) gives overlapping contacts: keep the first
        keep = np.r_[True, out["t_ic_s"].to_numpy()[1:] > out["t_fc_s"].to_numpy()[:-1]] if len(out) else []
        return out[keep].reset_index(drop=True)


@dataclass
class WalkingContactDetector:
    """Walking initial contacts: steepest rise of the low-passed vertical acceleration (see module doc)."""

    lowpass_hz: float = 8.0
    min_step_s: float = 0.3

    def detect(self, t_s: np.ndarray, acc_up_g: np.ndarray, sample_rate_hz: float) -> pd.DataFrame:
        fs = sample_rate_hz
        if acc_up_g.size < int(fs):
            return pd.DataFrame(columns=["t_ic_s", "t_fc_s", "stance_peak_g"])
        smooth = lowpass(acc_up_g - np.mean(acc_up_g), self.lowpass_hz, fs)
        slope = np.gradient(smooth) * fs
        peaks, _ = find_peaks(slope, distance=max(1, int(self.min_step_s * fs)),
                              height=0.5 * np.percentile(slope, 95))
        t_ic = t_s[peaks]
        return pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": np.nan, "stance_peak_g": np.nan})


def detect_contacts(t_s: np.ndarray, acc_g: np.ndarray, sample_rate_hz: float, valid: np.ndarray,
                    bouts: pd.DataFrame, activities=("running",),
                    running: RunningContactDetector | None = None,
                    walking: WalkingContactDetector | None = None) -> pd.DataFrame:
    """Contacts in every bout of the given activities; columns ``STEP_COLUMNS``.

    A bout is cut wherever ``valid`` is False (a long gap), so no step spans a gap.
    """
    running = running or RunningContactDetector()
    walking = walking or WalkingContactDetector()
    frames = []
    bout_id = 0
    for _, bout in bouts.iterrows():
        if bout["activity"] not in activities:
            continue
        detector = running if bout["activity"] == "running" else walking
        inside = (t_s >= bout["start_s"]) & (t_s <= bout["end_s"])
        for lo, hi in _true_runs(inside & valid):
            found = detector.detect(t_s[lo:hi], acc_g[lo:hi, 2], sample_rate_hz)
            found = found[(found["t_ic_s"] >= t_s[lo]) & (found["t_ic_s"] <= t_s[hi - 1])]
            if len(found):
                found = found.assign(bout=bout_id, activity=bout["activity"])
                frames.append(found)
            bout_id += 1
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "activity" else float) for c in STEP_COLUMNS})
    return pd.concat(frames, ignore_index=True)[STEP_COLUMNS]


def _true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[0::2], edges[1::2]))


# ---------------------------------------------------------------------------------------------
# sides


@dataclass
class SideAssigner:
    """Side of each step from mediolateral and yaw-rate cues, enforced alternation (module doc).

    ``min_agreement``: share of steps in a run whose own evidence must agree with the chosen
    parity; below it the run's sides stay unknown. ``max_step_ratio``: a step interval longer
    than this many times the run's median breaks alternation (a missed step, a stop).
    """

    min_agreement: float = 0.7
    min_steps: int = 4
    max_step_ratio: float = 1.5
    switch_cost: float = 4.0

    def evidence(self, t_s, acc_level_g, gyr_dps, sample_rate_hz, contacts: pd.DataFrame) -> np.ndarray:
        """Per-step evidence, positive for left, from ``acc_level_g`` (fwd, left, up in the level
        frame, i.e. pelvis angles removed) and the body-frame gyroscope.

        Cues: the sideways push (level-frame mediolateral acceleration toward the swing side);
        in running also the rise of pelvic obliquity in early stance (roll rate about forward:
        contralateral drop) and the yaw rate, whose phase within stance differs between walking
        and running (Novacheck 1998) and so is signed by its agreement with the other two.
        Walking uses the push alone: on the walking reference (lowerback-walking-indip) it
        labelled 84 steps right and none wrong, while adding roll or yaw made it worse. Without a gyroscope the pelvis-frame mediolateral signal mixes the push with
        gravity leaking in through pelvic drop (≈ sin 5° × 2.5 g, more than the push in running,
        and of opposite sign), so no evidence is given and sides stay unknown.
        """
        t_ic = contacts["t_ic_s"].to_numpy()
        if len(t_ic) == 0 or gyr_dps is None:
            return np.zeros(len(t_ic))
        step_s = float(np.median(np.diff(t_ic))) if len(t_ic) > 1 else 0.35
        t_end = contacts["t_fc_s"].to_numpy()
        t_end = np.where(np.isfinite(t_end), t_end, t_ic + 0.5 * step_s)
        i0 = np.searchsorted(t_s, t_ic)
        i1 = np.maximum(np.searchsorted(t_s, t_end), i0 + 1)
        i_mid = np.maximum((i0 + i1) // 2, i0 + 1)
        ml = lowpass(acc_level_g[:, 1], 10.0, sample_rate_hz)
        ml = ml - lowpass(ml, 1.0 / (4.0 * step_s), sample_rate_hz)  # drop drift below half the stride frequency
        push = _unit_spread(-Windows(i0, i1).mean(ml))
        roll = lowpass(gyr_dps[:, 0], 10.0, sample_rate_hz)
        drop = _unit_spread(Windows(i0, i_mid).mean(roll - np.median(roll)))
        running = (contacts["activity"] == "running").to_numpy() if "activity" in contacts else np.ones(len(t_ic), bool)
        yaw = lowpass(gyr_dps[:, 2], 10.0, sample_rate_hz)
        yaw_cue = _unit_spread(Windows(i0, i1).mean(yaw - np.median(yaw)))
        score = push + drop
        if running.sum() > 3:
            score = score + np.sign(np.dot(score[running], yaw_cue[running])) * yaw_cue
        return np.where(running, score, push)

    def assign(self, contacts: pd.DataFrame, evidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sides ('left'/'right'/'') and confidence (share of agreeing steps) for each contact.

        Within a run of regular steps the sides alternate; which foot the even steps belong to is
        found by a two-state Viterbi pass over the steps' evidence, where changing it mid-run
        (a missed or an extra detection) costs ``switch_cost`` (in units of one step's typical
        evidence). Each stretch between changes is labelled when it has ``min_steps`` steps and
        ``min_agreement`` of them agree on their own.
        """
        n = len(contacts)
        side = np.full(n, "", dtype=object)
        confidence = np.zeros(n)
        if n == 0 or not np.any(evidence):
            return side, confidence
        t_ic = contacts["t_ic_s"].to_numpy()
        bout = contacts["bout"].to_numpy()
        for lo, hi in self._alternation_runs(t_ic, bout):
            if hi - lo < self.min_steps:
                continue
            alternating = np.where(np.arange(hi - lo) % 2 == 0, 1.0, -1.0) * evidence[lo:hi]
            phase = _viterbi_phase(alternating, self.switch_cost)
            signs = phase * np.where(np.arange(hi - lo) % 2 == 0, 1.0, -1.0)
            for a, b in _segments(phase):
                agreement = float(np.mean(np.sign(evidence[lo + a:lo + b]) == signs[a:b]))
                if b - a < self.min_steps or agreement < self.min_agreement:
                    continue
                side[lo + a:lo + b] = np.where(signs[a:b] > 0, "left", "right")
                confidence[lo + a:lo + b] = agreement
        return side, confidence

    def _alternation_runs(self, t_ic: np.ndarray, bout: np.ndarray) -> list[tuple[int, int]]:
        if len(t_ic) < 2:
            return [(0, len(t_ic))]
        dt = np.diff(t_ic)
        typical = np.median(dt)
        breaks = (bout[1:] != bout[:-1]) | (dt > self.max_step_ratio * typical) | (dt < typical / self.max_step_ratio)
        cut = np.r_[0, np.flatnonzero(breaks) + 1, len(t_ic)]
        return list(zip(cut[:-1], cut[1:]))


def _viterbi_phase(score: np.ndarray, switch_cost: float) -> np.ndarray:
    """Best ±1 sequence maximising Σ phase·score minus ``switch_cost`` per change of phase."""
    n = score.size
    total = np.array([score[0], -score[0]])  # best totals ending in phase +1 / -1
    came_from = np.zeros((n, 2), dtype=np.int8)
    for k in range(1, n):
        stay, switch = total, total[::-1] - switch_cost
        came_from[k] = np.where(stay >= switch, [0, 1], [1, 0])
        total = np.maximum(stay, switch) + np.array([score[k], -score[k]])
    state = int(np.argmax(total))
    path = np.empty(n, dtype=np.int8)
    for k in range(n - 1, -1, -1):
        path[k] = state
        state = int(came_from[k, state])
    return np.where(path == 0, 1.0, -1.0)


def _segments(phase: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges of constant phase."""
    cut = np.r_[0, np.flatnonzero(phase[1:] != phase[:-1]) + 1, phase.size]
    return list(zip(cut[:-1], cut[1:]))


def _unit_spread(cue: np.ndarray) -> np.ndarray:
    spread = np.median(np.abs(cue - np.median(cue))) * 1.4826
    return cue / spread if spread > 0 else np.zeros_like(cue)
