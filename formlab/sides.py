"""The side (left or right foot) of each step.

:class:`SideAssigner`: each step's cues are scored, and within a run of regularly alternating
steps the side is fixed by the parity that best fits all steps at once, so single-step errors
cannot occur; a run whose evidence is weak or inconsistent stays unknown.

Cues differ between running and walking, and each was checked on real pelvis motion
(``docs/validation.md`` parts c and m: the lower-back walking recordings with an INDIP footstep
reference, and the virtual sacral IMU of motion-captured treadmill runners):

* **Running: pelvic obliquity and rotation over stance.** In left stance the right side of the
  pelvis drops (contralateral drop, obliquity > 0: Schache et al. 1999; Novacheck 1998) and the
  pelvis is turned to the left (the right hip comes forward with the swinging right leg; in
  running the rotation runs opposite to walking, Novacheck 1998). On the three motion-capture
  trials each cue alone gives every step its right side. The sideways acceleration (McCamley 2012,
  Ullrich 2021) is *not* used in running: at the sacrum, 5-12 cm behind the hips, the pelvis
  rotation moves the sensor sideways by more than the body's own sway, and on two of the three
  motion-capture trials its sign was reversed on every step.
* **Walking: sideways push and pelvis turn before contact.** During left stance the ground pushes
  the pelvis toward the right, and in the half step before a left contact the left hip swings
  forward so the pelvis turns right (McCamley et al. 2012 take the same yaw cue at initial
  contact; here it is averaged over the window so that its sign does not hinge on one sample).

**Consistency check (per recording and activity).** The obliquity and the sideways push are
measured about the forward axis, so a forward direction found backwards (one per recording, by
:mod:`formlab.calibration`) flips them; the rotation about vertical is unaffected. So over all
running (or walking) steps of a recording the two cues must agree in their usual relation
(running: obliquity with rotation; walking: push with the turn before contact) on at least half of
the steps; where they do not, those steps get no sides (``inconsistent_activities``) rather than
a whole recording labelled backwards. Judged per bout instead, a 4-step walking bout failed it by
chance on the walking reference. Without a gyroscope no evidence is given: the pelvis-frame sideways signal mixes the
push with gravity leaking in through pelvic drop (≈ sin 5° × 2.5 g in running).

**Confidence** (``assign``): the probability that a stretch's parity is right if each step's own
cue were right independently with the probability the stretch shows (its share of agreeing steps,
at most ``max_step_reliability``): ``1 / (1 + ((1 − q) / q)^(2k − n))`` for k of n agreeing.
The reliability table of ``docs/validation.md`` (parts c and m) checks it against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formlab.filters import lowpass
from formlab.windows import Windows


@dataclass
class SideAssigner:
    """Side of each step from pelvic cues, enforced alternation (module doc).

    ``min_agreement``: share of steps in a run whose own evidence must agree with the chosen
    parity; below it the run's sides stay unknown. ``max_step_ratio``: a step interval longer
    than this many times its bout's median breaks alternation (a missed step, a stop).
    ``max_step_reliability``: the highest per-step reliability the confidence model assumes.
    """

    min_agreement: float = 0.7
    min_steps: int = 4
    max_step_ratio: float = 1.5
    switch_cost: float = 4.0
    max_step_reliability: float = 0.95

    def cues(self, t_s, acc_level_g, gyr_dps, sample_rate_hz, contacts: pd.DataFrame,
             angles_deg: np.ndarray | None = None) -> pd.DataFrame:
        """Per-step cues, each positive for left and scaled to a unit spread: ``main`` and
        ``check`` (running: obliquity and rotation over stance; walking: sideways push and the
        pelvis turn before contact; module doc). ``acc_level_g``: fwd, left, up in the level frame;
        ``angles_deg``: (n, 3) tilt, obliquity, rotation on the same grid (needed for running).
        A step whose cues cannot be measured has zeros."""
        t_ic = contacts["t_ic_s"].to_numpy()
        cues = pd.DataFrame({"main": np.zeros(len(t_ic)), "check": np.zeros(len(t_ic))})
        if len(t_ic) < 2 or gyr_dps is None:
            return cues
        fs = sample_rate_hz
        running = (contacts["activity"] == "running").to_numpy() if "activity" in contacts else np.ones(len(t_ic), bool)
        for is_running in (True, False):
            sel = running == is_running
            if sel.sum() < 2:
                continue
            ic = t_ic[sel]
            step_s = float(np.median(np.diff(ic)))
            t_end = contacts["t_fc_s"].to_numpy()[sel]
            t_end = np.where(np.isfinite(t_end), t_end, ic + 0.5 * step_s)
            i0 = np.searchsorted(t_s, ic)
            stance = Windows(i0, np.maximum(np.searchsorted(t_s, t_end), i0 + 1))

            def fast(x):  # drop turning and drift below half the stride frequency
                x = lowpass(x, 10.0, fs)
                return x - lowpass(x, 1.0 / (4.0 * step_s), fs)

            if is_running:
                if angles_deg is None:
                    continue
                cues.loc[sel, "main"] = _unit_spread(stance.mean(fast(angles_deg[:, 1])))
                cues.loc[sel, "check"] = _unit_spread(stance.mean(fast(angles_deg[:, 2])))
            else:
                before = Windows(np.maximum(np.searchsorted(t_s, ic - 0.5 * step_s), 0), i0)
                cues.loc[sel, "main"] = _unit_spread(-stance.mean(fast(acc_level_g[:, 1])))
                cues.loc[sel, "check"] = _unit_spread(-before.mean(fast(gyr_dps[:, 2])))
        return cues

    def inconsistent_activities(self, contacts: pd.DataFrame, cues: pd.DataFrame) -> list[str]:
        """Activities ('running', 'walking') whose two cues disagree over the recording (module
        doc: the consistency check)."""
        if not len(contacts):
            return []
        activity = contacts["activity"].to_numpy() if "activity" in contacts else np.full(len(contacts), "running")
        balance = np.sign(cues["main"] * cues["check"]).groupby(activity).sum()  # agreeing minus disagreeing steps
        return [str(a) for a, value in balance.items() if value < 0]

    def evidence(self, t_s, acc_level_g, gyr_dps, sample_rate_hz, contacts: pd.DataFrame,
                 angles_deg: np.ndarray | None = None) -> np.ndarray:
        """Per-step evidence, positive for left: the sum of the two cues, zero for an activity that
        fails the consistency check (module doc)."""
        return self.evidence_from(contacts, self.cues(t_s, acc_level_g, gyr_dps, sample_rate_hz, contacts, angles_deg))

    def evidence_from(self, contacts: pd.DataFrame, cues: pd.DataFrame) -> np.ndarray:
        """:meth:`evidence` from already measured :meth:`cues`."""
        score = (cues["main"] + cues["check"]).to_numpy(copy=True)
        if bad := self.inconsistent_activities(contacts, cues):
            score[np.isin(contacts["activity"].to_numpy() if "activity" in contacts else "running", bad)] = 0.0
        return score

    def assign(self, contacts: pd.DataFrame, evidence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sides ('left'/'right'/'') and confidence (:meth:`confidence`) for each contact.

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
                confidence[lo + a:lo + b] = self.confidence(agreement, b - a)
        return side, confidence

    def confidence(self, agreement: float, n: int) -> float:
        """Probability that a stretch of ``n`` steps, ``agreement`` of them agreeing, has the right
        parity (module doc)."""
        q = min(max(agreement, 0.5), self.max_step_reliability)
        margin = round((2.0 * agreement - 1.0) * n)  # agreeing minus disagreeing steps
        return 1.0 / (1.0 + ((1.0 - q) / q) ** margin)

    def _alternation_runs(self, t_ic: np.ndarray, bout: np.ndarray) -> list[tuple[int, int]]:
        if len(t_ic) < 2:
            return [(0, len(t_ic))]
        dt = np.diff(t_ic)
        same_bout = bout[1:] == bout[:-1]
        # each bout's own typical step: walking and running steps differ by more than the ratio
        typical = pd.Series(dt[same_bout]).groupby(bout[1:][same_bout]).median()
        typical = typical.reindex(bout[1:]).to_numpy()
        breaks = ~same_bout | (dt > self.max_step_ratio * typical) | (dt < typical / self.max_step_ratio)
        cut = np.r_[0, np.flatnonzero(breaks) + 1, len(t_ic)]
        return list(zip(cut[:-1], cut[1:]))


def _viterbi_phase(score: np.ndarray, switch_cost: float) -> np.ndarray:
    """Best ±1 sequence maximising Σ phase·score minus ``switch_cost`` per change of phase.

    Two states, so the recursion runs on plain Python floats (numpy's per-element overhead on
    2-element arrays made this loop ten times slower)."""
    n = score.size
    values = score.tolist()
    plus, minus = values[0], -values[0]  # best totals ending in phase +1 / -1
    plus_from_minus = [False] * n  # did the best path into +1 at k come from -1?
    minus_from_plus = [False] * n
    for k in range(1, n):
        switch_in_plus, switch_in_minus = minus - switch_cost, plus - switch_cost
        plus_from_minus[k] = switch_in_plus > plus
        minus_from_plus[k] = switch_in_minus > minus
        plus, minus = (max(plus, switch_in_plus) + values[k], max(minus, switch_in_minus) - values[k])
    state_plus = plus >= minus
    path = np.empty(n)
    for k in range(n - 1, -1, -1):
        path[k] = 1.0 if state_plus else -1.0
        state_plus = not plus_from_minus[k] if state_plus else minus_from_plus[k]
    return path


def _segments(phase: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges of constant phase."""
    cut = np.r_[0, np.flatnonzero(phase[1:] != phase[:-1]) + 1, phase.size]
    return list(zip(cut[:-1], cut[1:]))


def _unit_spread(cue: np.ndarray, limit: float = 3.0) -> np.ndarray:
    """``cue`` in units of its robust spread (1.4826 × median absolute deviation), clipped to
    ``±limit`` so that one step (the orientation filter settling, a stumble) cannot outweigh its
    neighbours in the alternation fit."""
    spread = np.median(np.abs(cue - np.median(cue))) * 1.4826
    return np.clip(cue / spread, -limit, limit) if spread > 0 else np.zeros_like(cue)
