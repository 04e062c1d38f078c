"""Physically based waist-IMU running simulator with per-step truth.

The simulator is a user feature (demos, teaching) and the test oracle of the analysis: it writes
a recording in the formlab format (``docs/recording-format.md``) and, beside it, the true value of
every per-step metric, defined exactly as in ``docs/output-files.md`` and
``docs/body-frame.md``.

Model
-----
The body is a point mass at the pelvis (Blickhan 1989, McMahon & Cheng 1990 spring-mass running:
the centre of mass is lowest at mid-stance, there is a flight phase, and the vertical motion is
periodic); the pelvis rotates about that point and the sensor sits on it or ``lever_arm_m`` away.

* **Steps.** Steps alternate left/right. Step time is ``60 / cadence_spm`` (cadence counts both
  feet). Contact time per side is ``contact_ms ± contact_diff_ms / 2`` (left gets ``+``). Step and
  contact times get a small random jitter (``step_jitter_pct``, coefficient of variation); impact,
  braking, sideways push and pelvic drop vary from step to step by ``variability_pct``.
* **Vertical ground reaction force** (in body weights, BW) of each stance: a half sine over the
  contact time (the usual approximation of the active peak, Cavanagh & Lafortune 1980; walking
  adds a third harmonic for the double hump) plus a narrow impact transient: a sin² bump 30 ms
  wide at its base (15 ms at half height) centred at 8 % of stance (at least 15 ms after contact),
  of amplitude ``impact_left_bw`` / ``impact_right_bw``. The amplitude is what the sacrum sees
  (sacral impact peaks of 3–3.5 g over a 2.2–2.8 g active peak, e.g. the treadmill-sacrum data),
  larger than the impact peak of the ground reaction force itself. The half-sine amplitude is
  scaled so that the whole stance impulse equals body weight × step time: over each step the
  vertical momentum is unchanged (periodic motion). Flight: zero force; quiet standing: 1 BW.
* **Centre-of-mass vertical acceleration** ``a_z = g (F/BW − 1)``, integrated to velocity and
  position. The integration constant is chosen so that the mean vertical velocity over every
  stride (two consecutive steps) is zero (no drift of the runner up or down). Each stance's impulse
  balances its own step, so in steady running this needs no correction, even when the left and
  right stances differ (their step means differ, the stride mean does not); at transitions
  (standing → running, parameter ramps) a smooth low-frequency velocity correction is removed from
  the velocity and its derivative from the acceleration.
* **Forward** (world horizontal, running direction): ``a_fwd = −A sin(2π u)`` over stance
  (``u`` = fraction of stance): braking in the first half, propulsion in the second, no net change
  of speed over a step (constant treadmill speed). ``A = π · braking_mps / Tc`` in the braking half,
  so the smooth braking loses ``braking_mps``; the impact adds a backward spike of the same sin²
  shape, ``impact_fwd_ratio`` × the vertical impact (the braking impact peak of rearfoot strikers,
  Cavanagh & Lafortune 1980; at the sacrum it reaches −2 g, e.g. the treadmill-sacrum data), and the
  propulsion half is scaled up to give it back. The true braking (below) counts both. Around
  toe-off the swing leg's recoil slows the pelvis: a sine lobe ``−recoil_fwd_g · sin(π v)`` that
  starts ``recoil_lead_ms`` before toe-off and is deepest ``recoil_peak_ms`` after it (it ends at
  the next contact if that comes first), also given back by a stronger propulsion. Its shape comes
  from the treadmill-sacrum data (16 trials, forward averaged around force-plate toe-off, when the
  whole body is about to be in free fall; ``docs/validation.md`` part b): −0.49 g at toe-off
  (SD 0.11 g over trials), deepest, −0.74 g (−0.40 to −1.03 g), 21 ms (10–38 ms) after it. A lobe
  that started only at toe-off put the forward signal's fall 30–40 ms later than on the real sensor.
* **Mediolateral**: ``a_left = ∓ B sin(π u)`` over stance: during left stance the ground pushes the
  pelvis toward the right (``a_left < 0``), during right stance toward the left. The speed change
  per stance is ``ml_speed_mps`` on both sides, so the sideways motion is periodic per stride.
* **Pelvic angles** (Tait–Bryan z-y-x, ``docs/body-frame.md``): tilt = mean anterior tilt relative
  to standing (``tilt_deg``) + ``tilt_range_deg / 2 · (−cos 2π·step phase)`` (lowest at contact);
  obliquity = ``+drop_left_deg · sin²(π u)`` during left stance (right side drops),
  ``−drop_right_deg · sin²(π u)`` during right stance, zero in flight; rotation (yaw) =
  ``± rotation_range_deg / 2 · cos(π · step phase)``: at a left contact the pelvis is turned left
  (the right hip forward with the swinging right leg) and turns right through the step, the
  reverse of walking (Novacheck 1998; so on every step of the motion-capture runners in
  ``docs/validation.md`` part m). Parameters change linearly between steps and
  ramp smoothly (0.5 s, then a 0.2 s moving average) to the standing posture (all angles zero).
* **Gyroscope** = the pelvis angular velocity in the pelvis frame, from the Euler-angle rates:
  ``ωx = φ̇ − ψ̇ sin θ``, ``ωy = θ̇ cos φ + ψ̇ cos θ sin φ``, ``ωz = −θ̇ sin φ + ψ̇ cos θ cos φ``
  (φ obliquity, θ tilt, ψ rotation).
* **Lever arm.** The sensor may sit ``lever_arm_m`` (body frame) from the modelled point, e.g.
  8–12 cm behind it on the sacrum: it then moves and accelerates with the pelvis rotation as well
  (position ``R(t) r``, acceleration its second derivative), and the truth below follows the
  sensor.
* **Sensor.** Specific force ``(a − g)`` expressed in the pelvis frame, plus soft-tissue wobble (a
  damped ``wobble_hz`` oscillation, damping ratio ``wobble_damping``, excited at every contact with
  amplitude ``wobble_g_per_bw`` × impact amplitude, 80 % on up and 30 % on forward), then rotated
  into the sensor frame by the mount (``R_sensor_from_body``, any rotation). Everything is generated
  at ``internal_rate_hz`` (≥ 1000 Hz), low-passed (4th-order Butterworth, zero phase, cut-off
  0.4 × output rate) and resampled to the output rate on the sensor clock, which runs
  ``clock_drift_ppm`` fast (sample k sits at sensor time ``k / rate_hz`` and true time
  ``k / rate_hz / (1 + ppm·1e-6)``). Then white noise, a constant gyroscope bias, and lost packets
  (whole packets of ``packet_samples`` samples dropped with probability ``packet_loss_prob``; the
  kept rows keep their ``sample_index``, so ``t_s`` shows the gap).

A session is a list of :class:`Phase` (standing, walking or running), each with a duration and
:class:`Runner` parameters that ramp linearly from ``start`` to ``end`` within the phase: speed
stages, fatigue drift and problems that appear late in a run are phases. For example, a warm-up
walk, two speed stages and a right-side impact that grows in the last three minutes::

    easy = Runner(cadence_spm=166, contact_ms=255, speed_mps=3.0)
    fast = dataclasses.replace(easy, cadence_spm=174, contact_ms=235, speed_mps=3.6)
    tired = dataclasses.replace(fast, impact_right_bw=3.2, tilt_deg=11)
    params = SimParams(phases=[Phase(10, "standing"), Phase(60, "walking", WALKER),
                               Phase(300, "running", easy), Phase(120, "running", fast),
                               Phase(180, "running", fast, tired)], rate_hz=104)
    result = simulate(params, seed=1)

Truth (per step, from the noise-free generated signals, never from the parameters)
-----------------------------------------------------------------------------------
Times are on the sensor clock, like the recording's ``t_s``.

* ``t_ic_s`` / ``t_fc_s``: where that foot's vertical force leaves / returns to zero: the first /
  last internal sample above zero, extrapolated linearly to the zero crossing (within one sample).
* ``side``: the foot in contact. ``contact_ms`` = ``t_fc_s − t_ic_s``.
* ``step_time_s``: to the next initial contact (empty for the last step of a bout).
* ``impact_g``: peak of the pelvis-frame (body-frame) vertical specific force in the first 50 ms
  of contact (``formlab.metrics.IMPACT_WINDOW_S``), at most to mid-stance (IC + contact/2),
  noise-free and without wobble, as the sensor would see it through its anti-alias filter (the
  output low-pass applied at the internal rate).
* ``braking_mps``: ∫ of forward deceleration over the braking part of stance (IC to mid-stance, as
  ``docs/output-files.md`` defines it), ``∫ max(0, −a_fwd) dt``, with ``a_fwd`` the
  world-horizontal forward acceleration of the sensor (noise-free, without wobble); the recoil
  before toe-off is not braking.
* ``vertical_oscillation_cm``: peak-to-peak vertical (world) position of the sensor from this IC to
  the next IC.
* ``pelvic_tilt_deg``: mean tilt from this IC to the next IC, relative to standing.
* ``pelvic_drop_deg``: contralateral drop: peak of ``+obliquity`` (left step) or ``−obliquity``
  (right step) during stance, relative to the standing posture (obliquity 0), as a positive number
  (empty when the stride the step starts is incomplete).
* ``tilt_range_deg``, ``rotation_range_deg``: peak-to-peak tilt / rotation over the same stride.
* ``activity`` (running/walking), ``bout`` (0, 1, ...), ``in_gap`` (a lost packet falls between
  this IC and the next one), ``speed_mps`` (the belt speed parameter of that step, if any).

Metadata: ``source: formlab simulate (synthetic)``; ``treadmill_speed_mps`` when the running belt
speed is constant, ``treadmill_speed_stages`` (``start_s:mps, ...``) when it changes in stages.

The truth summary (:func:`truth_summary`) has the SUMMARY.json metric keys: medians over running
steps per side, ``mean`` = (left + right) / 2, balance = left / (left + right) × 100.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfiltfilt
from scipy.spatial.transform import Rotation

from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.recording import Recording
from formlab.metrics import IMPACT_WINDOW_S
from formlab.summary import stride_median

SOURCE = "formlab simulate (synthetic)"
ACTIVITIES = ("standing", "walking", "running")
IMPACT_WIDTH_S = 0.030  # base width of the sin² impact bump (15 ms at half height)
IMPACT_AT_STANCE = 0.08  # bump centre as a fraction of stance
WALK_THIRD_HARMONIC = 0.3  # double-hump walking force: sin(πu) + 0.3 sin(3πu)
POSTURE_RAMP_S = 0.5  # standing <-> moving posture ramp
POSTURE_SMOOTH_S = 0.2


@dataclass(frozen=True)
class Runner:
    """How the runner moves at one moment (see the module docstring for each quantity)."""

    cadence_spm: float = 170.0
    contact_ms: float = 250.0
    contact_diff_ms: float = 0.0  # left minus right
    impact_left_bw: float = 2.0
    impact_right_bw: float = 2.0
    braking_mps: float = 0.10  # smooth part; the impact spike adds its own braking
    impact_fwd_ratio: float = 0.5
    recoil_fwd_g: float = 0.7
    recoil_lead_ms: float = 40.0
    recoil_peak_ms: float = 20.0
    ml_speed_mps: float = 0.15
    tilt_deg: float = 8.0
    tilt_range_deg: float = 5.0
    drop_left_deg: float = 5.0
    drop_right_deg: float = 5.0
    rotation_range_deg: float = 10.0
    speed_mps: float | None = None  # treadmill belt speed: metadata and step length only

    def contact_s(self, side: str) -> float:
        sign = 1.0 if side == "left" else -1.0
        return (self.contact_ms + sign * self.contact_diff_ms / 2.0) / 1000.0

    def impact_bw(self, side: str) -> float:
        return self.impact_left_bw if side == "left" else self.impact_right_bw


WALKER = Runner(cadence_spm=110.0, contact_ms=650.0, impact_left_bw=0.5, impact_right_bw=0.5,
                braking_mps=0.08, ml_speed_mps=0.10, tilt_deg=2.0, tilt_range_deg=3.0,
                drop_left_deg=3.0, drop_right_deg=3.0, rotation_range_deg=8.0)
"""Typical walking parameters (double support: contact longer than the step)."""


@dataclass(frozen=True)
class Phase:
    """A stretch of the session: ``activity`` for ``duration_s``, ramping ``start`` → ``end``."""

    duration_s: float
    activity: str = "running"
    start: Runner = field(default_factory=Runner)
    end: Runner | None = None

    def __post_init__(self) -> None:
        if self.activity not in ACTIVITIES:
            raise ValueError(f"activity must be one of {ACTIVITIES}, got {self.activity!r}")
        if self.duration_s <= 0:
            raise ValueError("phase duration_s must be positive")

    def runner_at(self, fraction: float) -> Runner:
        """Parameters at ``fraction`` (0..1) of the phase: linear between ``start`` and ``end``."""
        if self.end is None:
            return self.start
        values = {}
        for f in dataclasses.fields(Runner):
            a, b = getattr(self.start, f.name), getattr(self.end, f.name)
            values[f.name] = a if (a is None or b is None) else a + (b - a) * fraction
        return Runner(**values)


@dataclass
class SimParams:
    """A simulated session: phases, sensor and mount."""

    phases: list[Phase]
    rate_hz: float = 104.0
    internal_rate_hz: float = 1000.0
    R_sensor_from_body: np.ndarray = field(default_factory=lambda: np.eye(3))
    wobble_hz: float = 20.0
    wobble_damping: float = 0.25
    wobble_g_per_bw: float = 0.15
    acc_noise_g: float = 0.01
    gyr_noise_dps: float = 0.3
    gyr_bias_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    clock_drift_ppm: float = 0.0
    packet_samples: int = 6
    packet_loss_prob: float = 0.0
    step_jitter_pct: float = 1.0
    variability_pct: float = 0.0  # step-to-step CV of impact, braking, sideways push and drop (grid, demo: on)
    lever_arm_m: tuple[float, float, float] = (0.0, 0.0, 0.0)  # sensor from the modelled point, body frame
    first_side: str = "left"
    with_gyro: bool = True
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.phases:
            raise ValueError("a session needs at least one phase")
        if self.internal_rate_hz < 1000 or self.internal_rate_hz < 4 * self.rate_hz:
            raise ValueError("internal_rate_hz must be >= 1000 Hz and >= 4 x rate_hz")
        if self.first_side not in ("left", "right"):
            raise ValueError("first_side must be 'left' or 'right'")
        self.R_sensor_from_body = np.asarray(self.R_sensor_from_body, dtype=float)

    @property
    def duration_s(self) -> float:
        return float(sum(p.duration_s for p in self.phases))


@dataclass
class SimResult:
    """A simulated recording with its truth."""

    recording: Recording
    truth_steps: pd.DataFrame
    truth_summary: dict
    truth_angles: pd.DataFrame  # t_s, tilt_deg, obliquity_deg, rotation_deg at the recorded samples
    params: SimParams
    R_body_from_sensor: np.ndarray


# ------------------------------------------------------------------------------------------------
# session building helpers


def treadmill_params(runner: Runner = Runner(), duration_s: float = 120.0, standing_s: float = 10.0,
                     **sensor) -> SimParams:
    """Quiet standing for ``standing_s`` then steady running for ``duration_s``."""
    phases = [Phase(standing_s, "standing")] if standing_s > 0 else []
    phases.append(Phase(duration_s, "running", runner))
    return SimParams(phases=phases, **sensor)


def mount_from_euler_deg(z_deg: float, y_deg: float, x_deg: float) -> np.ndarray:
    """``R_sensor_from_body`` for a sensor turned by intrinsic z-y-x angles (degrees)."""
    return Rotation.from_euler("ZYX", [z_deg, y_deg, x_deg], degrees=True).as_matrix().T


def random_grid_params(rng: np.random.Generator, running_s: float = 90.0, standing_s: float = 10.0) -> SimParams:
    """One random session of the validation grid.

    Cadence 150–195 spm; contact 180–320 ms (at most 80 % of the step so there is flight);
    left/right contact difference up to ±40 ms; impact amplitude 1–2 BW on one side and 1–3
    times that on the other; swing-leg recoil 0.3–1.0 g from 25–60 ms before toe-off, deepest
    10–35 ms after it (the spread of the treadmill-sacrum trials); tilt 0–15°; drops 2–9° per side
    (an asymmetry up to 3° / 9°); random
    mount (uniform over rotations); 100–208 Hz;
    noise, gyroscope bias (±3 dps per axis), clock drift (±100 ppm) and rare packet loss on; the
    sensor 5–12 cm behind the modelled point (sacrum), ±3 cm up or down.
    """
    cadence = rng.uniform(150, 195)
    step_ms = 60000.0 / cadence
    diff = rng.uniform(-40, 40)
    contact = rng.uniform(180, min(320.0, 0.8 * step_ms - abs(diff) / 2))
    low_bw, ratio = rng.uniform(1.0, 2.0), rng.uniform(1.0, 3.0)
    impact_left, impact_right = (low_bw, low_bw * ratio) if rng.random() < 0.5 else (low_bw * ratio, low_bw)
    runner = Runner(
        cadence_spm=cadence, contact_ms=contact, contact_diff_ms=diff,
        impact_left_bw=impact_left, impact_right_bw=impact_right,
        braking_mps=rng.uniform(0.03, 0.25), impact_fwd_ratio=rng.uniform(0.2, 1.0),
        recoil_fwd_g=rng.uniform(0.3, 1.0), recoil_lead_ms=rng.uniform(25.0, 60.0),
        recoil_peak_ms=rng.uniform(10.0, 35.0),
        ml_speed_mps=rng.uniform(0.08, 0.25),
        tilt_deg=rng.uniform(0, 15), tilt_range_deg=rng.uniform(2, 8),
        drop_left_deg=rng.uniform(2, 9), drop_right_deg=rng.uniform(2, 9),
        rotation_range_deg=rng.uniform(5, 15), speed_mps=round(float(rng.uniform(2.5, 5.0)), 2),
    )
    return treadmill_params(
        runner, duration_s=running_s, standing_s=standing_s,
        rate_hz=float(rng.integers(100, 209)),
        R_sensor_from_body=Rotation.random(random_state=rng).as_matrix(),
        wobble_hz=rng.uniform(15, 25), wobble_damping=rng.uniform(0.15, 0.35),
        acc_noise_g=rng.uniform(0.003, 0.02), gyr_noise_dps=rng.uniform(0.1, 0.6),
        gyr_bias_dps=tuple(rng.uniform(-3, 3, 3)), clock_drift_ppm=rng.uniform(-100, 100),
        packet_loss_prob=rng.choice([0.0, 0.0005, 0.002]),
        lever_arm_m=(float(rng.uniform(-0.12, -0.05)), 0.0, float(rng.uniform(-0.03, 0.03))),
        first_side=str(rng.choice(["left", "right"])), variability_pct=rng.uniform(3, 12),
    )


def demo_params() -> SimParams:
    """The shipped demo: 10 s standing, then ~10 min treadmill running at 3.33 m/s, 100 Hz.

    Mild problems for the report to show: the right impact grows from 2.2 to 3.0 BW in the last
    3 minutes (fatigue-onset asymmetry), tilt drifts 6° → 9° over the run, cadence drops
    172 → 168 spm, and right contact is 10 ms longer than left throughout.
    """
    base = Runner(cadence_spm=172.0, contact_ms=245.0, contact_diff_ms=-10.0, impact_left_bw=2.2,
                  impact_right_bw=2.2, braking_mps=0.10, ml_speed_mps=0.15, tilt_deg=6.0,
                  tilt_range_deg=5.0, drop_left_deg=5.0, drop_right_deg=6.0,
                  rotation_range_deg=10.0, speed_mps=3.33)
    mid = dataclasses.replace(base, cadence_spm=169.6, contact_ms=249.0, tilt_deg=8.1)
    late = dataclasses.replace(base, cadence_spm=168.0, contact_ms=252.0, tilt_deg=9.0,
                               impact_right_bw=3.0, drop_right_deg=6.8)
    return SimParams(
        phases=[Phase(10.0, "standing"), Phase(420.0, "running", base, mid),
                Phase(180.0, "running", mid, late)],
        rate_hz=100.0, R_sensor_from_body=mount_from_euler_deg(90.0, 12.0, 180.0), lever_arm_m=(-0.09, 0.0, 0.0),
        variability_pct=8.0,
        acc_noise_g=0.008, gyr_noise_dps=0.25, gyr_bias_dps=(0.8, -0.5, 0.3), clock_drift_ppm=40.0,
        metadata={"device": "formlab-sim", "placement": "sacrum", "subject_height_cm": "176",
                  "subject_mass_kg": "68", "license": "CC0-1.0",
                  "activity": "treadmill running 3.33 m/s after 10 s quiet standing (synthetic)"},
    )


# ------------------------------------------------------------------------------------------------
# step timeline


@dataclass
class _Step:
    t_ic: float  # true time
    contact_s: float
    step_s: float
    side: str
    activity: str
    bout: int
    runner: Runner


def _vary(runner: Runner, cv: float, rng: np.random.Generator) -> Runner:
    """One step's runner: impact, braking, sideways push and drop scaled by ``1 + cv·N(0, 1)``."""
    if cv <= 0:
        return runner
    k = 1.0 + cv * rng.standard_normal(4)
    k = np.clip(k, 0.2, None)
    return dataclasses.replace(
        runner, impact_left_bw=runner.impact_left_bw * k[0], impact_right_bw=runner.impact_right_bw * k[0],
        braking_mps=runner.braking_mps * k[1], ml_speed_mps=runner.ml_speed_mps * k[2],
        drop_left_deg=runner.drop_left_deg * k[3], drop_right_deg=runner.drop_right_deg * k[3])


def _timeline(params: SimParams, rng: np.random.Generator) -> list[_Step]:
    """Place the steps: contiguous within moving phases, a new bout after each standing phase."""
    steps: list[_Step] = []
    jitter = params.step_jitter_pct / 100.0
    side = params.first_side
    bout = -1
    total_s = params.duration_s
    starts = np.cumsum([0.0] + [p.duration_s for p in params.phases])
    t = 0.0
    moving = False
    while t < total_s:
        k = int(np.searchsorted(starts, t, side="right") - 1)
        phase = params.phases[k]
        if phase.activity == "standing":
            t = starts[k + 1]
            moving = False
            continue
        if not moving:
            bout += 1
            moving = True
        runner = _vary(phase.runner_at((t - starts[k]) / phase.duration_s), params.variability_pct / 100.0, rng)
        step_s = 60.0 / runner.cadence_spm * (1.0 + jitter * rng.standard_normal())
        contact_s = runner.contact_s(side) * (1.0 + jitter * rng.standard_normal())
        if t + max(step_s, contact_s) > total_s:
            break
        steps.append(_Step(t, contact_s, step_s, side, phase.activity, bout, runner))
        t += step_s
        side = "right" if side == "left" else "left"
    return steps


# ------------------------------------------------------------------------------------------------
# generation at the internal rate


def _window(t0: float, dur: float, fs: float, n: int) -> tuple[slice, np.ndarray]:
    """Internal samples in ``[t0, t0 + dur)`` and their fraction ``u`` of the window."""
    i0 = max(int(np.ceil(t0 * fs)), 0)
    i1 = min(int(np.ceil((t0 + dur) * fs)), n)
    u = (np.arange(i0, i1) / fs - t0) / dur
    return slice(i0, i1), u


def _moving_mask(steps: list[_Step], t: np.ndarray) -> np.ndarray:
    mask = np.zeros(t.size, bool)
    for b in sorted({s.bout for s in steps}):
        bs = [s for s in steps if s.bout == b]
        mask |= (t >= bs[0].t_ic) & (t < bs[-1].t_ic + bs[-1].step_s)
    return mask


def _forces(steps, t, fs):
    """Per-foot vertical force (BW), world forward and left accelerations (m/s²)."""
    n = t.size
    foot = {"left": np.zeros(n), "right": np.zeros(n)}
    a_fwd = np.zeros(n)
    a_left = np.zeros(n)
    for s in steps:
        sl, u = _window(s.t_ic, s.contact_s, fs, n)
        walking = s.activity == "walking"
        shape = np.sin(np.pi * u)
        shape_impulse = 2.0 * s.contact_s / np.pi
        if walking:
            shape = shape + WALK_THIRD_HARMONIC * np.sin(3 * np.pi * u)
            shape_impulse += WALK_THIRD_HARMONIC * 2.0 * s.contact_s / (3 * np.pi)
        impact = s.runner.impact_bw(s.side)
        amplitude = (s.step_s - impact * IMPACT_WIDTH_S / 2.0) / shape_impulse
        force = amplitude * shape
        centre = max(IMPACT_AT_STANCE * s.contact_s, IMPACT_WIDTH_S / 2.0)
        tb = u * s.contact_s - (centre - IMPACT_WIDTH_S / 2.0)
        bump = np.where((tb >= 0) & (tb <= IMPACT_WIDTH_S), np.sin(np.pi * tb / IMPACT_WIDTH_S) ** 2, 0.0)
        force += impact * bump
        foot[s.side][sl] += force
        fwd_impact_mps2 = s.runner.impact_fwd_ratio * impact * G_MPS2
        braking_amp = np.pi * s.runner.braking_mps / s.contact_s
        propulsion_amp = braking_amp + np.pi * fwd_impact_mps2 * IMPACT_WIDTH_S / (2.0 * s.contact_s)
        flight_s = s.step_s - s.contact_s
        if flight_s > 0 and s.runner.recoil_fwd_g > 0:
            lead_s = min(s.runner.recoil_lead_ms / 1000.0, 0.5 * s.contact_s)
            recoil_s = min(2.0 * (lead_s + s.runner.recoil_peak_ms / 1000.0), lead_s + flight_s)
            sl_r, u_r = _window(s.t_ic + s.contact_s - lead_s, recoil_s, fs, n)
            recoil_mps2 = s.runner.recoil_fwd_g * G_MPS2
            a_fwd[sl_r] -= recoil_mps2 * np.sin(np.pi * u_r)
            propulsion_amp += np.pi * (recoil_mps2 * 2.0 * recoil_s / np.pi) / s.contact_s
        wave = np.sin(2 * np.pi * u)
        a_fwd[sl] += -np.where(u < 0.5, braking_amp, propulsion_amp) * wave - fwd_impact_mps2 * bump
        ml_sign = -1.0 if s.side == "left" else 1.0
        a_left[sl] += ml_sign * np.pi * s.runner.ml_speed_mps / (2.0 * s.contact_s) * np.sin(np.pi * u)
    return foot, a_fwd, a_left


def _wobble(steps, t, fs, params: SimParams) -> np.ndarray:
    """Soft-tissue wobble (g): damped oscillation started at each contact."""
    n = t.size
    out = np.zeros(n)
    wn = 2 * np.pi * params.wobble_hz
    zeta = params.wobble_damping
    wd = wn * np.sqrt(1 - zeta**2)
    length_s = 5.0 / (zeta * wn)
    for s in steps:
        sl, u = _window(s.t_ic, length_s, fs, n)
        tau = u * length_s
        out[sl] += params.wobble_g_per_bw * s.runner.impact_bw(s.side) * np.exp(-zeta * wn * tau) * np.sin(wd * tau)
    return out


def _vertical(foot, steps, t, fs, moving):
    """Vertical acceleration (m/s²) and position (m) with zero mean velocity over each stride."""
    force_bw = foot["left"] + foot["right"]
    force_bw[~moving] = 1.0
    a_z = G_MPS2 * (force_bw - 1.0)
    v = np.concatenate([[0.0], np.cumsum((a_z[1:] + a_z[:-1]) / 2.0) / fs])
    centres, means = [], []
    for s, s_next in zip(steps[:-1], steps[1:]):
        if s_next.bout != s.bout:
            continue
        i0, i1 = int(np.ceil(s.t_ic * fs)), int(np.ceil((s_next.t_ic + s_next.step_s) * fs))
        if i1 > i0:
            centres.append((i0 + i1 - 1) / 2.0 / fs)
            means.append(float(v[i0:i1].mean()))
    still = np.flatnonzero(~moving)
    pick = still[:: max(1, int(0.25 * fs))]
    centres = np.concatenate([centres, t[pick]])
    means = np.concatenate([means, v[pick]])
    order = np.argsort(centres)
    v_corr = np.interp(t, centres[order], means[order])
    v_corr = uniform_filter1d(v_corr, size=max(3, int(POSTURE_SMOOTH_S * fs)), mode="nearest")
    a_z = a_z - np.gradient(v_corr, 1.0 / fs)
    v = v - v_corr
    z = np.concatenate([[0.0], np.cumsum((v[1:] + v[:-1]) / 2.0) / fs])
    return a_z, z


def _posture_curve(steps, values, t, fs) -> np.ndarray:
    """A parameter curve: linear between steps, ramping to 0 (standing) around each bout."""
    knots_t, knots_v = [], []
    for b in sorted({s.bout for s in steps}):
        bs = [(s, v) for s, v in zip(steps, values) if s.bout == b]
        first, last = bs[0][0], bs[-1][0]
        knots_t += [first.t_ic - POSTURE_RAMP_S] + [s.t_ic for s, _ in bs] + [last.t_ic + last.step_s,
                                                                              last.t_ic + last.step_s + POSTURE_RAMP_S]
        knots_v += [0.0] + [v for _, v in bs] + [bs[-1][1], 0.0]
    if not knots_t:
        return np.zeros(t.size)
    curve = np.interp(t, knots_t, knots_v, left=0.0, right=0.0)
    return uniform_filter1d(curve, size=max(3, int(POSTURE_SMOOTH_S * fs)), mode="nearest")


def _angles(steps, t, fs):
    """Pelvic tilt, obliquity and rotation (degrees) at the internal rate."""
    n = t.size
    tilt_mean = _posture_curve(steps, [s.runner.tilt_deg for s in steps], t, fs)
    tilt_half = _posture_curve(steps, [s.runner.tilt_range_deg / 2 for s in steps], t, fs)
    rot_half = _posture_curve(steps, [s.runner.rotation_range_deg / 2 for s in steps], t, fs)
    step_cos = np.zeros(n)  # cos(2π step phase), 1 at each contact
    rot_wave = np.zeros(n)  # cos(π step phase) signed by side
    obliquity = np.zeros(n)
    margin_s = POSTURE_RAMP_S + POSTURE_SMOOTH_S
    for k, s in enumerate(steps):
        side_sign = 1.0 if s.side == "left" else -1.0
        start_s, length_s = s.t_ic, s.step_s
        if k == 0 or steps[k - 1].bout != s.bout:  # the waves run on into the posture ramps
            start_s, length_s = start_s - margin_s, length_s + margin_s
        if k + 1 == len(steps) or steps[k + 1].bout != s.bout:
            length_s += margin_s
        sl, _ = _window(start_s, length_s, fs, n)
        u = (np.arange(sl.start, sl.stop) / fs - s.t_ic) / s.step_s  # step phase, beyond [0, 1) in the ramps
        step_cos[sl] = np.cos(2 * np.pi * u)
        rot_wave[sl] = side_sign * np.cos(np.pi * u)
        sl_c, u_c = _window(s.t_ic, s.contact_s, fs, n)
        drop = s.runner.drop_left_deg if s.side == "left" else s.runner.drop_right_deg
        obliquity[sl_c] += side_sign * drop * np.sin(np.pi * u_c) ** 2
    tilt = tilt_mean - tilt_half * step_cos
    rotation = rot_half * rot_wave
    return tilt, obliquity, rotation


def _angular_velocity_dps(tilt, obliquity, rotation, fs) -> np.ndarray:
    """Pelvis-frame angular velocity (deg/s) from z-y-x Euler angles and their rates."""
    phi, theta = np.deg2rad(obliquity), np.deg2rad(tilt)
    d_phi, d_theta, d_psi = (np.gradient(a, 1.0 / fs) for a in (obliquity, tilt, rotation))
    wx = d_phi - d_psi * np.sin(theta)
    wy = d_theta * np.cos(phi) + d_psi * np.cos(theta) * np.sin(phi)
    wz = -d_theta * np.sin(phi) + d_psi * np.cos(theta) * np.cos(phi)
    return np.column_stack([wx, wy, wz])


# ------------------------------------------------------------------------------------------------
# the simulation


def simulate(params: SimParams, seed: int = 0) -> SimResult:
    """Simulate ``params`` (random jitter, noise and packet loss from ``seed``); see module doc."""
    rng = np.random.default_rng(seed)
    fs = params.internal_rate_hz
    total_s = params.duration_s
    t = np.arange(int(np.floor(total_s * fs))) / fs
    steps = _timeline(params, rng)
    moving = _moving_mask(steps, t)
    foot, a_fwd, a_left = _forces(steps, t, fs)
    a_up, z_m = _vertical(foot, steps, t, fs, moving)
    tilt, obliquity, rotation = _angles(steps, t, fs)
    omega_body_dps = _angular_velocity_dps(tilt, obliquity, rotation, fs)

    pelvis = Rotation.from_euler("ZYX", np.column_stack([rotation, tilt, obliquity]), degrees=True)
    if np.any(np.asarray(params.lever_arm_m) != 0):  # the sensor sits off the modelled point
        arm_m = pelvis.apply(np.asarray(params.lever_arm_m, dtype=float))
        arm_mps2 = np.gradient(np.gradient(arm_m, 1.0 / fs, axis=0), 1.0 / fs, axis=0)
        a_fwd, a_left, a_up = a_fwd + arm_mps2[:, 0], a_left + arm_mps2[:, 1], a_up + arm_mps2[:, 2]
        z_m = z_m + arm_m[:, 2]
    f_world_g = np.column_stack([a_fwd, a_left, a_up + G_MPS2]) / G_MPS2
    f_body_g = pelvis.apply(f_world_g, inverse=True)
    wob = _wobble(steps, t, fs, params)
    f_body_wobble_g = f_body_g + np.column_stack([0.3 * wob, np.zeros_like(wob), 0.8 * wob])

    sos = butter(4, 0.4 * params.rate_hz, fs=fs, output="sos")
    R = params.R_sensor_from_body
    acc_sensor = sosfiltfilt(sos, f_body_wobble_g @ R.T, axis=0)
    gyr_sensor = sosfiltfilt(sos, omega_body_dps @ R.T, axis=0)
    up_clean_g = sosfiltfilt(sos, f_body_g[:, 2])

    drift = 1.0 + params.clock_drift_ppm * 1e-6
    n_out = int(np.floor((t[-1]) * params.rate_hz * drift)) + 1
    index = np.arange(n_out)
    t_sensor = index / params.rate_hz
    t_true = t_sensor / drift
    acc = np.column_stack([np.interp(t_true, t, acc_sensor[:, i]) for i in range(3)])
    gyr = np.column_stack([np.interp(t_true, t, gyr_sensor[:, i]) for i in range(3)])
    acc += params.acc_noise_g * rng.standard_normal(acc.shape)
    gyr += params.gyr_noise_dps * rng.standard_normal(gyr.shape) + np.asarray(params.gyr_bias_dps)

    keep = _packet_keep(n_out, params, rng)
    metadata = {
        "sample_rate_hz": f"{params.rate_hz:g}",
        "source": SOURCE,
        **params.metadata,
    }
    speeds = {s.runner.speed_mps for s in steps if s.activity == "running"}
    if len(speeds) == 1 and None not in speeds:
        metadata["treadmill_speed_mps"] = f"{speeds.pop():g}"
    elif len(speeds) > 1 and (stages := _speed_stages(params, drift)):
        metadata["treadmill_speed_stages"] = stages
    recording = Recording(
        t_s=t_sensor[keep], acc_g=acc[keep], gyr_dps=gyr[keep] if params.with_gyro else None,
        sample_index=index[keep], metadata=metadata, sample_rate_hz=params.rate_hz,
    )
    signals = _Truth(t=t, fs=fs, foot=foot, a_fwd=a_fwd, z_m=z_m, up_clean_g=up_clean_g, tilt=tilt,
                     obliquity=obliquity, rotation=rotation, drift=drift)
    lost = t_sensor[~keep]
    truth = truth_steps(steps, signals, lost)
    summary = truth_summary(truth, speed_mps=float(metadata["treadmill_speed_mps"])
                            if "treadmill_speed_mps" in metadata else None)
    angles = pd.DataFrame({"t_s": t_sensor[keep]} | {
        name: np.interp(t_true[keep], t, values)
        for name, values in (("tilt_deg", tilt), ("obliquity_deg", obliquity), ("rotation_deg", rotation))})
    return SimResult(recording, truth, summary, angles, params, R.T.copy())


def _speed_stages(params: SimParams, drift: float) -> str | None:
    """``treadmill_speed_stages`` metadata (``start_s:mps, ...`` on the sensor clock) for running
    phases of constant belt speed; None when a running phase has no speed or ramps it."""
    stages, start_s = [], 0.0
    for phase in params.phases:
        if phase.activity == "running":
            speed = phase.start.speed_mps
            end_speed = phase.end.speed_mps if phase.end is not None else speed
            if speed is None or end_speed != speed:
                return None
            if not stages or stages[-1][1] != speed:
                stages.append((start_s * drift, speed))
        start_s += phase.duration_s
    return ", ".join(f"{t:.6g}:{v:g}" for t, v in stages)


def _packet_keep(n: int, params: SimParams, rng: np.random.Generator) -> np.ndarray:
    keep = np.ones(n, bool)
    if params.packet_loss_prob <= 0:
        return keep
    size = params.packet_samples
    n_packets = n // size
    lost = np.flatnonzero(rng.random(n_packets) < params.packet_loss_prob)
    lost = lost[(lost > 0) & (lost < n_packets - 1)]  # the first and last packets arrive
    for p in lost:
        keep[p * size:(p + 1) * size] = False
    return keep


# ------------------------------------------------------------------------------------------------
# truth


@dataclass
class _Truth:
    t: np.ndarray
    fs: float
    foot: dict[str, np.ndarray]
    a_fwd: np.ndarray
    z_m: np.ndarray
    up_clean_g: np.ndarray
    tilt: np.ndarray
    obliquity: np.ndarray
    rotation: np.ndarray
    drift: float


TRUTH_COLUMNS = ["t_ic_s", "t_fc_s", "side", "step_time_s", "contact_ms", "impact_g", "braking_mps",
                 "vertical_oscillation_cm", "pelvic_tilt_deg", "pelvic_drop_deg", "tilt_range_deg",
                 "rotation_range_deg", "activity", "bout", "in_gap", "speed_mps"]


def _contact_runs(force: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end indices (exclusive) of the runs where ``force > 0``."""
    on = np.concatenate([[False], force > 1e-9, [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    return edges[0::2], edges[1::2]


def _zero_crossing_s(force: np.ndarray, i: int, direction: int, fs: float) -> float:
    """Time where ``force`` reaches zero next to sample ``i`` (first/last positive sample of a run),
    by linear extrapolation through ``i`` and its inner neighbour, kept within one sample."""
    inner = force[i + direction] if 0 <= i + direction < force.size else force[i]
    slope = inner - force[i]
    shift = force[i] / slope if slope > 0 else 0.5
    return (i - direction * min(max(shift, 0.0), 1.0)) / fs


def truth_steps(steps: list[_Step], sig: _Truth, lost_t_s: np.ndarray) -> pd.DataFrame:
    """Per-step truth from the noise-free signals (definitions in the module docstring)."""
    fs = sig.fs
    runs = {side: _contact_runs(f) for side, f in sig.foot.items()}
    rows = []
    ic_idx, fc_idx = [], []
    for s in steps:
        starts, ends = runs[s.side]
        j = int(np.searchsorted(starts, s.t_ic * fs - 1.0))
        ic_idx.append(starts[j])
        fc_idx.append(ends[j])
    ic_idx, fc_idx = np.array(ic_idx), np.array(fc_idx)
    t_ic = np.array([_zero_crossing_s(sig.foot[s.side], i, +1, fs) for s, i in zip(steps, ic_idx)])
    t_fc = np.array([_zero_crossing_s(sig.foot[s.side], i - 1, -1, fs) for s, i in zip(steps, fc_idx)])
    bouts = np.array([s.bout for s in steps])
    for k, s in enumerate(steps):
        same_next = k + 1 < len(steps) and bouts[k + 1] == bouts[k]
        same_next2 = k + 2 < len(steps) and bouts[k + 2] == bouts[k]
        i0, i_fc = ic_idx[k], fc_idx[k]
        i_mid = i0 + max(1, (i_fc - i0) // 2)
        impact = float(sig.up_clean_g[i0:min(i_mid, i0 + int(round(IMPACT_WINDOW_S * fs))) + 1].max())
        braking = float(np.clip(-sig.a_fwd[i0:i_mid], 0, None).sum() / fs)
        row = {"t_ic_s": t_ic[k] * sig.drift, "t_fc_s": t_fc[k] * sig.drift, "side": s.side,
               "contact_ms": (t_fc[k] - t_ic[k]) * sig.drift * 1000.0, "impact_g": impact,
               "braking_mps": braking, "activity": s.activity, "bout": int(s.bout),
               "speed_mps": float("nan") if s.runner.speed_mps is None else float(s.runner.speed_mps)}
        nan = float("nan")
        row.update(step_time_s=nan, vertical_oscillation_cm=nan, pelvic_tilt_deg=nan, pelvic_drop_deg=nan,
                   tilt_range_deg=nan, rotation_range_deg=nan, in_gap=False)
        if same_next:
            i1 = ic_idx[k + 1]
            row["step_time_s"] = (t_ic[k + 1] - t_ic[k]) * sig.drift
            row["vertical_oscillation_cm"] = float(np.ptp(sig.z_m[i0:i1 + 1]) * 100.0)
            row["pelvic_tilt_deg"] = float(sig.tilt[i0:i1].mean())
            a, b = t_ic[k] * sig.drift, t_ic[k + 1] * sig.drift
            row["in_gap"] = bool(np.any((lost_t_s >= a) & (lost_t_s <= b)))
        if same_next2:
            i2 = ic_idx[k + 2]
            sign = 1.0 if s.side == "left" else -1.0
            row["pelvic_drop_deg"] = float(np.max(sign * sig.obliquity[i0:i_fc]))  # standing obliquity is 0
            row["tilt_range_deg"] = float(np.ptp(sig.tilt[i0:i2]))
            row["rotation_range_deg"] = float(np.ptp(sig.rotation[i0:i2]))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=TRUTH_COLUMNS)
    return frame


def _median(series: pd.Series) -> float | None:
    series = series.dropna()
    return float(series.median()) if len(series) else None


def truth_summary(truth: pd.DataFrame, speed_mps: float | None = None) -> dict:
    """SUMMARY.json-style metrics of the truth: medians over running steps (see module doc);
    vertical oscillation with the analysis' own stride statistic (:func:`formlab.summary.stride_median`).

    Step length is belt speed × step time: ``speed_mps`` when given, else each step's own speed."""
    run = truth[truth["activity"] == "running"]
    left, right = run[run["side"] == "left"], run[run["side"] == "right"]

    def sides(col):
        lv, rv = _median(left[col]), _median(right[col])
        mean = (lv + rv) / 2.0 if lv is not None and rv is not None else None
        return {"left": lv, "right": rv, "mean": mean}

    step_time = run["step_time_s"].dropna()
    cadence = float(np.median(60.0 / step_time)) if len(step_time) else None
    contact = sides("contact_ms")
    impact = sides("impact_g")
    braking = sides("braking_mps")
    drop = sides("pelvic_drop_deg")
    balance = (100.0 * contact["left"] / (contact["left"] + contact["right"])
               if contact["mean"] is not None else None)
    asym = (100.0 * abs(impact["right"] - impact["left"]) / impact["mean"]
            if impact["mean"] is not None else None)
    oscillation = stride_median(run, "vertical_oscillation_cm")  # the analysis' own definition
    if speed_mps:
        step_length = speed_mps * float(step_time.median()) if len(step_time) else None
    else:  # speed stages: each step's own belt speed
        lengths = (run["speed_mps"] * run["step_time_s"]).dropna() if "speed_mps" in run else pd.Series([], dtype=float)
        step_length = float(lengths.median()) if len(lengths) else None
    ratio = (100.0 * oscillation / 100.0 / step_length) if (step_length and oscillation is not None) else None
    return {
        "running": {"start_s": float(run["t_ic_s"].min()) if len(run) else None,
                    "end_s": float(run["t_fc_s"].max()) if len(run) else None, "steps": int(len(run))},
        "metrics": {
            "cadence_spm": cadence,
            "vertical_oscillation_cm": oscillation,
            "ground_contact_ms": contact,
            "ground_contact_balance_left_pct": balance,
            "impact_g": {"left": impact["left"], "right": impact["right"]},
            "impact_asymmetry_pct": asym,
            "braking_mps": braking,
            "pelvic_tilt_deg": {"mean": _median(run["pelvic_tilt_deg"]), "range": _mean(run["tilt_range_deg"])},
            "pelvic_drop_deg": {"left": drop["left"], "right": drop["right"]},
            "pelvic_rotation_deg": {"range": _mean(run["rotation_range_deg"])},
            "step_length_m": step_length,
            "vertical_ratio_pct": ratio,
        },
    }


def _mean(series: pd.Series) -> float | None:
    series = series.dropna()
    return float(series.mean()) if len(series) else None


# ------------------------------------------------------------------------------------------------
# files and command line


def write_simulation(result: SimResult, recording_path: str | Path, truth_path: str | Path | None = None,
                     acc_decimals: int = 5, gyr_decimals: int = 4, t_decimals: int = 6) -> None:
    """Write the recording CSV (formlab format) and, when asked, the truth steps CSV beside it.

    Fewer decimals keep long demo files small; the format allows any precision.
    """
    rec = result.recording
    meta = {"formlab-recording": "1", **rec.metadata}
    columns = ["t_s", "acc_x_g", "acc_y_g", "acc_z_g"]
    parts = [rec.t_s[:, None], rec.acc_g]
    fmts = [f"%.{t_decimals}f"] + [f"%.{acc_decimals}f"] * 3
    if rec.gyr_dps is not None:
        columns += ["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]
        parts.append(rec.gyr_dps)
        fmts += [f"%.{gyr_decimals}f"] * 3
    if result.params.packet_loss_prob > 0:
        columns.append("sample_index")
        parts.append(rec.sample_index[:, None])
        fmts.append("%d")
    with open(recording_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(f"# {k}: {v}\n" for k, v in meta.items()))
        fh.write(",".join(columns) + "\n")
        np.savetxt(fh, np.hstack(parts), fmt=fmts, delimiter=",")
    if truth_path is not None:
        result.truth_steps.to_csv(truth_path, index=False, float_format="%.9g")


def _positive(text: str) -> float:
    value = float(text)
    if not np.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


def _rate(text: str) -> float:
    value = _positive(text)
    if not 10 <= value <= 250:
        raise argparse.ArgumentTypeError(f"must be between 10 and 250 Hz, got {text!r}")
    return value


def _mount(text: str) -> np.ndarray | str:
    if text in ("upright", "random"):
        return text
    try:
        z, y, x = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'upright', 'random' or 'z,y,x' degrees, got {text!r}") from None
    return mount_from_euler_deg(z, y, x)


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``formlab simulate``."""
    d = Runner()
    parser.add_argument("--out", required=True, help="recording CSV to write")
    parser.add_argument("--truth", help="truth steps CSV to write (per-step true metrics)")
    parser.add_argument("--force", action="store_true", help="replace output files that already exist")
    parser.add_argument("--demo", action="store_true",
                        help="the shipped demo session (10 s standing, 10 min at 3.33 m/s with mild problems); "
                             "the runner options below are then ignored")
    parser.add_argument("--duration-s", type=_positive, default=120.0, help="running time (default 120)")
    parser.add_argument("--standing-s", type=_non_negative, default=10.0, help="quiet standing first (default 10)")
    parser.add_argument("--walk-s", type=_non_negative, default=0.0, help="walking between standing and running")
    parser.add_argument("--rate-hz", type=_rate, default=104.0, help="output sample rate (default 104)")
    parser.add_argument("--cadence-spm", type=_positive, default=d.cadence_spm)
    parser.add_argument("--contact-ms", type=_positive, default=d.contact_ms)
    parser.add_argument("--contact-diff-ms", type=float, default=d.contact_diff_ms, help="left minus right")
    parser.add_argument("--impact-left-bw", type=_non_negative, default=d.impact_left_bw)
    parser.add_argument("--impact-right-bw", type=_non_negative, default=d.impact_right_bw)
    parser.add_argument("--braking-mps", type=_non_negative, default=d.braking_mps)
    parser.add_argument("--tilt-deg", type=float, default=d.tilt_deg)
    parser.add_argument("--drop-left-deg", type=_non_negative, default=d.drop_left_deg)
    parser.add_argument("--drop-right-deg", type=_non_negative, default=d.drop_right_deg)
    parser.add_argument("--treadmill-speed", type=float, default=None, metavar="MPS",
                        help="treadmill belt speed, m/s (written to the metadata)")
    parser.add_argument("--mount", type=_mount, default="random",
                        help="'upright', 'random' (default) or the sensor's z,y,x turn in degrees, e.g. 90,0,180")
    parser.add_argument("--packet-loss", type=_non_negative, default=0.0, help="probability of losing a packet")
    parser.add_argument("--clock-drift-ppm", type=float, default=0.0, help="sensor clock error")
    parser.add_argument("--no-gyro", action="store_true", help="accelerometer only")
    parser.add_argument("--seed", type=int, default=0)


def run_simulate(args: argparse.Namespace) -> int:
    """Run ``formlab simulate`` from parsed arguments; returns the exit status."""
    from formlab.output_files import check_outputs

    if args.demo:
        params = demo_params()
    else:
        runner = Runner(cadence_spm=args.cadence_spm, contact_ms=args.contact_ms,
                        contact_diff_ms=args.contact_diff_ms, impact_left_bw=args.impact_left_bw,
                        impact_right_bw=args.impact_right_bw, braking_mps=args.braking_mps, tilt_deg=args.tilt_deg,
                        drop_left_deg=args.drop_left_deg, drop_right_deg=args.drop_right_deg,
                        speed_mps=args.treadmill_speed)
        step_ms = 60000.0 / runner.cadence_spm
        longest_ms = max(runner.contact_s("left"), runner.contact_s("right")) * 1000
        if longest_ms >= step_ms or min(runner.contact_s("left"), runner.contact_s("right")) <= 0:
            raise InputError("--contact-ms", None, f"contact {longest_ms:.0f} ms does not fit a {step_ms:.0f} ms step "
                             f"at {runner.cadence_spm:g} spm: running needs a flight phase")
        if isinstance(args.mount, str):
            mount = np.eye(3) if args.mount == "upright" else \
                Rotation.random(random_state=np.random.default_rng(args.seed)).as_matrix()
        else:
            mount = args.mount
        phases = [Phase(args.standing_s, "standing")] if args.standing_s > 0 else []
        if args.walk_s > 0:
            phases.append(Phase(args.walk_s, "walking", WALKER))
        phases.append(Phase(args.duration_s, "running", runner))
        params = SimParams(phases=phases, rate_hz=args.rate_hz, R_sensor_from_body=mount,
                           with_gyro=not args.no_gyro, packet_loss_prob=args.packet_loss,
                           clock_drift_ppm=args.clock_drift_ppm)
    if args.treadmill_speed is not None and not 0 < args.treadmill_speed < 15:
        raise InputError("--treadmill-speed", None, f"a treadmill belt runs at 0-15 m/s, got {args.treadmill_speed:g}")
    check_outputs({"--out": args.out, "--truth": args.truth}, force=args.force)
    result = simulate(params, seed=args.seed)
    write_simulation(result, args.out, args.truth)
    m = result.truth_summary["metrics"]
    print(f"wrote {args.out}: {result.recording.n_samples} samples, {len(result.truth_steps)} steps, "
          f"cadence {m['cadence_spm']:.1f} spm" + (f"; truth {args.truth}" if args.truth else ""))
    return 0
