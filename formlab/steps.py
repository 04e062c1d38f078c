"""Running contacts (initial contact and toe-off), and the contacts of every bout.

Running contacts (:class:`RunningContactDetector`) follow the spring-mass model of running
(Blickhan 1989; McMahon & Cheng 1990): the pelvis is in free fall during flight, so its specific
force is ~0 g, and during stance it carries the vertical ground reaction force, a roughly
half-sine pulse (Morin et al. 2005). A sacral accelerometer therefore sees each stance as a pulse
of vertical specific force, and contact is where the ground force is on:

* **Initial contact**: the rise of the 30 Hz low-passed vertical specific force through 0.8 g
  (capped at half the stance peak), extrapolated along its tangent back to the flight level (0 g).
  The impact loading is steep, so the tangent lands within a few milliseconds of force onset.
* **Toe-off**: the falling edge of the 8 Hz low-passed pulse at 60 % of its peak, extrapolated
  along its tangent to 0 g, shortened to the exact half-sine value (the tangent overshoots by
  3.4 % of contact time). The sacral signal's late-stance tail lags the ground force: soft tissue,
  pelvis rotation and, where the vertical is off by a few degrees, the forward acceleration, which
  swings hard around toe-off. A point high on the falling edge is still carried by the ground force;
  on the force-treadmill trials (16 trials, 237 contacts) moving it from 50 % to 60 % of the peak
  cut the contact-time SD from 21.5 to 17.0 ms, and chosen on either half of the trials it also
  lowered the SD of the other half (22.1 → 20.5 ms and 20.6 → 13.1 ms). The 8 Hz filter itself
  widens a short pulse more than a long one (the rule lands +12 ms late on a 100 ms half-sine,
  +2 ms on 170 ms, −3 ms on 300 ms), which made a side with shorter contacts read longer than the
  other. This widening is known from the model alone: the same rule is run once on ideal, isolated
  half-sine pulses of 80–450 ms (:func:`_half_sine_toe_off_error_s`) and its error at the measured
  contact time is taken off.
* **End of propulsion** (when calibration found the forward direction): the toe-off above is
  combined with the moment the 10 Hz low-passed forward specific force falls from its late-stance
  maximum (propulsion, second half of stance) through its mean level over the following flight
  (Auvinet et al. 2002; Lee et al. 2010 time toe-off from the forward channel). At the sacrum the
  forward signal swings hard around toe-off: the swing leg's recoil decelerates the pelvis from
  late stance into flight. On the force-treadmill trials, averaged around force-plate toe-off, it
  is −0.49 g (SD 0.11 g over 16 trials) at toe-off, lowest (−0.74 g) 21 ms after it
  (``validation.md`` part b). The two rules err in different directions from trial to trial
  (speed and slope change the vertical tail and the recoil differently), so a weighted mean is
  steadier than either (``validation.md`` part b: contact-time SD 16.9 ms with the vertical rule
  alone, 16.2 ms with the end of propulsion alone, 13.0 ms with equal weights, 13.6 ms with the
  2 : 1 weights used). The end of propulsion moves with the timing of the recoil: on the
  simulated grid, whose recoil is deepest 10–35 ms after toe-off as on the real trials, it errs
  by up to ±15 ms per session (seed 3), and with equal weights (up to commit 36e3f20, ``python -m
  formlab.validation --parts a --seed N``) the grid's per-side contact error left ±10 ms at two of
  four seeds (95 % upper limits 8.6, 10.1, 11.5, 9.1 ms for seeds 1–4; with 2 : 1, 6.7, 7.9, 8.9,
  7.3 ms, ``validation.md`` parts a and s). So the vertical rule, which the recoil does not move,
  weighs twice (``vertical_weight``): chosen on both, the real trials and the grid, not fitted to
  either.
  The last contact of a stretch has no following flight and keeps the vertical toe-off.
* **Flight** is found explicitly: the runner was airborne after a contact when the 30 Hz
  low-passed vertical specific force falls below ``flight_level_g`` (0.3 g) before the next stance
  peak. On the force-treadmill trials every contact has a flight of 36 ms or more and the signal's
  lowest value between stances is at most 0.19 g (−0.20 to 0.19 g over 237 contacts); on a trial
  not in the repository, 4.17 m/s at +10° uphill, the vertical rule ran into the next contact on
  14 of 17 steps (+59 ms contact time). A contact without a flight says so (``flight`` False, and
  a summary note) and takes its toe-off from the end of propulsion alone, measured against the
  forward signal's mean over the whole step (there is no flight level); without the forward
  direction it keeps the vertical rule, cut at the next contact.
* **Short flights**: stance peaks at least ``min_step_s`` apart, each rising from below half its
  height, are two steps even when a lagging tail extrapolates the first toe-off past the second
  onset; that toe-off then ends at the onset (flight cannot be negative).

On the force-treadmill reference (``validation.md``) this gives contact-time errors below those
reported for the best sacral methods (Patoz et al. 2022: bias 13 ms, RMSE 20 ms).

Tried on those trials and not used (pooled contact-time SD): a least-squares half-sine fitted to
each pulse (Morin et al. 2005), 21.5 ms and +25 ms bias (the rearfoot impact and the late tail are
not half-sine); contact from the time above 1 g and the step time under the half-sine impulse
model, 19–31 ms; the vertical rule re-tuned (filter and levels) on half of the trials, 15.1 ms.

Walking contacts are found by :class:`formlab.walking_contacts.WalkingContactDetector`; the side of
each step by :class:`formlab.sides.SideAssigner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from formlab.filters import lowpass
from formlab.walking_contacts import WalkingContactDetector
from formlab.windows import Windows

STEP_COLUMNS = ["t_ic_s", "t_fc_s", "bout", "activity", "stance_peak_g", "flight"]

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


def _half_sine_tangent_factor(fraction: float) -> float:
    """For F = sin(πt/Tc) falling through ``fraction`` of its peak: the time left to zero,
    Tc·asin(fraction)/π, over the tangent's extrapolated time, Tc·fraction/(π·cos(asin(fraction)))."""
    phase = np.arcsin(fraction)
    return float(phase * np.cos(phase) / fraction)


def _tangent_toe_off_s(t_s: np.ndarray, envelope: np.ndarray, peaks: np.ndarray,
                       hi: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Toe-off of each stance peak: the crossing of ``fraction`` of the peak on the falling
    ``envelope``, extrapolated along its tangent to 0 g and shortened by the half-sine factor.
    Returns it and the slope there."""
    level = fraction * envelope[peaks]
    t_down, slope_down = _crossings(t_s, envelope, peaks, hi, level)
    return t_down + _half_sine_tangent_factor(fraction) * level / -slope_down, slope_down


MODEL_RATE_HZ = 1000.0
"""Sample rate of the ideal half-sine pulses the filter widening is measured on."""


@lru_cache(maxsize=8)
def _half_sine_toe_off_error_s(envelope_hz: float, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Filter widening of the toe-off rule under the half-sine model (Morin et al. 2005).

    Each ideal, isolated half-sine stance pulse of 80–450 ms (1 kHz, flight at 0 g) is low-passed at
    ``envelope_hz`` as the data are and given to :func:`_tangent_toe_off_s`. Returns the contact
    time that rule measures (from the true onset; increasing) and its toe-off error there, both in
    seconds, so a measured contact time looks up the error to take off.
    """
    fs = MODEL_RATE_HZ
    contact_s = np.arange(0.08, 0.4501, 0.01)
    slot_s, onset_s = 1.5, 0.5  # one pulse per slot, flight before and after
    t_slot = np.arange(0.0, slot_s, 1.0 / fs)
    u = (t_slot[:, None] - onset_s) / contact_s[None, :]
    pulses_g = np.where((u >= 0) & (u <= 1), 2.5 * np.sin(np.pi * np.clip(u, 0, 1)), 0.0)
    envelopes = lowpass(pulses_g, envelope_hz, fs)  # each pulse (column) filtered on its own
    # the slots end to end: one vectorised toe-off call for all pulses
    n = t_slot.size
    first = np.arange(contact_s.size) * n
    t_s = (t_slot[None, :] + slot_s * np.arange(contact_s.size)[:, None]).ravel()
    t_fc, _ = _tangent_toe_off_s(t_s, envelopes.T.ravel(), first + np.argmax(envelopes, axis=0),
                                 first + n - 1, fraction)
    errors = t_fc - (t_s[first] + onset_s) - contact_s
    return contact_s + errors, errors


@dataclass
class RunningContactDetector:
    """Stance pulses of vertical specific force → initial contact and toe-off (see module doc)."""

    envelope_hz: float = 8.0
    onset_hz: float = 30.0
    onset_level_g: float = 0.8
    toe_off_fraction: float = 0.6  # of the stance peak, on the falling edge (module doc)
    propulsion_hz: float = 10.0  # low-pass of the forward signal for the end of propulsion
    vertical_weight: float = 2.0 / 3.0  # of the vertical rule in toe-off; the end of propulsion has the rest
    min_peak_g: float = 1.2
    min_step_s: float = 0.22
    max_contact_s: float = 0.45
    min_contact_s: float = 0.08
    flight_level_g: float = 0.3  # the onset signal below it between two stances: airborne (module doc)

    def detect(self, t_s: np.ndarray, acc_up_g: np.ndarray, sample_rate_hz: float,
               acc_fwd_g: np.ndarray | None = None) -> pd.DataFrame:
        """Contacts in one stretch of uniformly sampled running: ``t_ic_s, t_fc_s, stance_peak_g,
        flight`` (a flight follows the contact). ``acc_fwd_g``: the level-frame forward specific
        force, when the running direction is known: toe-off is then the weighted mean of the
        vertical rule and the end of propulsion, or the end of propulsion alone where no flight
        follows (module doc)."""
        fs = sample_rate_hz
        if acc_up_g.size < int(fs):
            return pd.DataFrame(columns=["t_ic_s", "t_fc_s", "stance_peak_g", "flight"])
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
        t_fc, slope_down = _tangent_toe_off_s(t_s, envelope, peaks, hi, self.toe_off_fraction)
        i_up = np.minimum(np.searchsorted(t_s, np.nan_to_num(t_up)) + 1, onset.size - 1)
        level = np.minimum(self.onset_level_g, half)
        t_rise, slope_rise = _crossings(t_s, onset, i_up, lo, level)
        t_ic = t_rise - level / slope_rise
        measured_s, widening_s = _half_sine_toe_off_error_s(self.envelope_hz, self.toe_off_fraction)
        t_fc = t_fc - np.interp(t_fc - t_ic, measured_s, widening_s)
        contact_s = t_fc - t_ic
        ok = (np.isfinite(t_up) & (slope_down < 0) & (slope_rise > 0)
              & (contact_s >= self.min_contact_s) & (contact_s <= self.max_contact_s))
        t_ic, t_fc, peaks = t_ic[ok], t_fc[ok], peaks[ok]
        # airborne between this stance and the next (or the end of the stretch)?
        flight = Windows(peaks, np.r_[peaks[1:], onset.size]).min(onset) < self.flight_level_g if peaks.size else \
            np.zeros(0, bool)
        if acc_fwd_g is not None and t_ic.size > 1:
            t_end = self._end_of_propulsion_s(t_s, lowpass(acc_fwd_g, self.propulsion_hz, fs), t_ic, t_fc, flight)
            w = np.where(flight, self.vertical_weight, 0.0)
            t_fc = np.where(np.isfinite(t_end), w * t_fc + (1.0 - w) * t_end, t_fc)
        rows = pd.DataFrame({"t_ic_s": t_ic, "t_fc_s": t_fc, "stance_peak_g": envelope[peaks], "flight": flight})
        rows.loc[:len(rows) - 2, "t_fc_s"] = np.minimum(t_fc[:-1], t_ic[1:])
        return rows

    @staticmethod
    def _end_of_propulsion_s(t_s: np.ndarray, fwd_g: np.ndarray, t_ic: np.ndarray,
                             t_fc: np.ndarray, flight: np.ndarray) -> np.ndarray:
        """Per contact (vertical toe-off ``t_fc``), where the low-passed forward signal falls from
        its late-stance maximum (second half of stance, before the next contact) through its mean
        level from ``t_fc`` to the next initial contact, or, where no flight follows
        (``flight`` False), its mean over the whole step; NaN for the last contact and where it
        never does."""
        i_ic, i_fc = np.searchsorted(t_s, t_ic), np.searchsorted(t_s, t_fc)
        i_next = i_ic[1:]
        i_half = np.minimum(np.searchsorted(t_s, 0.5 * (t_ic[:-1] + t_fc[:-1])), i_next - 1)
        late = Windows(i_half, np.minimum(i_fc[:-1] + 1, i_next))
        values = late.take(fwd_g)
        at_max = values == late.spread(np.maximum.reduceat(values, late.starts))
        i_max = late.i0 + np.minimum.reduceat(np.where(at_max, late.pos, late.len.max()), late.starts)
        airborne = flight[:-1] & (i_next > i_fc[:-1])
        level = np.where(airborne, Windows(np.minimum(i_fc[:-1], i_next - 1), i_next).mean(fwd_g),
                         Windows(i_ic[:-1], i_next).mean(fwd_g))
        t_end, _ = _crossings(t_s, fwd_g, i_max, i_next, level)
        return np.r_[np.where(airborne | ~flight[:-1], t_end, np.nan), np.nan]


def detect_contacts(t_s: np.ndarray, acc_g: np.ndarray, sample_rate_hz: float, valid: np.ndarray,
                    bouts: pd.DataFrame, activities=("running",),
                    running: RunningContactDetector | None = None,
                    walking: WalkingContactDetector | None = None,
                    acc_fwd_g: np.ndarray | None = None) -> pd.DataFrame:
    """Contacts in every bout of the given activities; columns ``STEP_COLUMNS``.

    A bout is cut wherever ``valid`` is False (a long gap), so no step spans a gap.
    ``acc_fwd_g``: the level-frame forward specific force, where calibration found the running
    direction; running toe-off then uses the end of propulsion as well (module doc).
    """
    running = running or RunningContactDetector()
    walking = walking or WalkingContactDetector()
    frames = []
    bout_id = 0
    for _, bout in bouts.iterrows():
        if bout["activity"] not in activities:
            continue
        inside = (t_s >= bout["start_s"]) & (t_s <= bout["end_s"])
        for lo, hi in _true_runs(inside & valid):
            if bout["activity"] == "running":
                found = running.detect(t_s[lo:hi], acc_g[lo:hi, 2], sample_rate_hz,
                                       None if acc_fwd_g is None else acc_fwd_g[lo:hi])
            else:  # walking has no flight
                found = walking.detect(t_s[lo:hi], acc_g[lo:hi], sample_rate_hz).assign(flight=False)
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
