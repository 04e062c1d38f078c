"""Regenerate ``docs/validation.md``: how well the analysis agrees with truth and references.

    python -m formlab.validation [--quick] [--runs N] [--seed S] [--data DIR] [--out PATH] [--parts asebcmd]

The real recordings are read from ``--data DIR``, else from ``$FORMLAB_DATA``; when a part's data
folder is missing the page is not written (one-line error, exit status 2).

Seven parts, each a table with its target and PASS/FAIL (page order a, s, e, b, c, m, d):

(a) **Simulated grid.** ``N`` sessions from :func:`formlab.simulate.random_grid_params` (random
    runner, mount, rate 100–208 Hz, noise, gyroscope bias, clock drift), analysed with
    :func:`formlab.analysis.analyze` and compared with the simulator's truth. Detected steps are
    matched one-to-one to truth steps by initial-contact time (nearest first, within
    :data:`SIM_MATCH_S`); per-step errors use the matched pairs, per-run errors the summaries.
(s) **The grid at other seeds**: part (a)'s checks again on :data:`OTHER_SEEDS` fresh grids (the
    next seeds), so that no check passes on one lucky draw.
(b) **treadmill-sacrum-grf** (real sacral accelerometer, force-treadmill reference): contacts are
    where the vertical ground reaction force exceeds 0.05 body weights; contacts cut by the
    trial's start or end are left out.
(c) **lowerback-walking-indip** (real lower-back IMU, walking, INDIP reference): F1 of initial
    contacts within :data:`WALK_MATCH_S`, and side accuracy of the matched ones, with the
    reliability of the stated confidence and leave-one-subject-out figures
    (:mod:`formlab.validation_sides`).
(m) **mocap-sacral-virtual** (virtual sacral IMU from real runners' pelvis markers):
    oscillation, pelvic angles, drop per side and sides (:mod:`formlab.validation_mocap`).
(e) **Simulated grid, accelerometer only**: more grid sessions without gyroscope columns: cadence,
    contact and oscillation must hold; pelvic angles (and per-side metrics when sides are not
    labelled) must be null, never guessed.
(d) **waist-jogging, hip-run-25min** (real, long, accelerometer only, no step reference):
    cadence, its stability over windows, that nothing crashes and which metrics are null and why.
    For hip-run the ankle sensor's impacts (one per left stride) give a cadence reference.

Statistics: error = analysis − reference; bias = mean error, SD = its standard deviation, 95 %
limits of agreement = bias ± 1.96 SD (Bland & Altman 1986). A "within ± X" target passes when
both limits lie within ± X; a bias target when |bias| ≤ X.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from formlab.errors import InputError
from formlab.metrics import IMPACT_WINDOW_S, loading_rate_per_s
from formlab.recording import Recording, read_recording
from formlab.steps import RunningContactDetector
from formlab.summary import cadence_spm
from formlab.validation_mocap import mocap_section
from formlab.validation_sides import labelling, reversed_forward, side_lines

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"  # developers' checkout: the data folder beside the clone
DATA_FOLDERS = {"b": "treadmill-sacrum-grf", "c": "lowerback-walking-indip", "m": "mocap-sacral-virtual",
                "d": "waist-jogging"}
"""The data folder each real-data part reads (part d also reads hip-run-25min)."""
SIM_MATCH_S = 0.08  # half a step is ≥ 150 ms: a wider window could pair neighbours
GRF_MATCH_S = 0.06
WALK_MATCH_S = 0.05
WALK_WIDE_MATCH_S = 0.10  # information: timing offset or missed contacts?
WALK_OFFSET_MATCH_S = 0.15  # information: each side's mean timing offset
WALK_STEP_RANGE_S = (0.35, 1.0)  # information: reference step times a complete step list keeps to
GRF_CONTACT_BW = 0.05
GRF_MIN_CONTACT_S = 0.05
WINDOW_S = 60.0  # cadence windows against the ankle reference
STABILITY_WINDOW_S = 20.0  # cadence stability windows (five in a 100 s recording)
LOA_Z = 1.96
OTHER_SEEDS = 3  # part (s): grids drawn again with the next seeds
TOE_OFF_WEIGHTS = {1.0: "vertical rule alone", 0.0: "end of propulsion alone", 0.5: "equal weights"}  # information


# ------------------------------------------------------------------------------------------------
# statistics and matching


@dataclass(frozen=True)
class Agreement:
    """Bland–Altman agreement of paired errors (analysis − reference)."""

    bias: float
    sd: float
    n: int

    @property
    def low(self) -> float:
        return self.bias - LOA_Z * self.sd

    @property
    def high(self) -> float:
        return self.bias + LOA_Z * self.sd

    def within(self, limit: float) -> bool:
        return self.n > 0 and abs(self.low) <= limit and abs(self.high) <= limit


def agreement(errors) -> Agreement:
    """Bias, SD (n − 1) and count of the finite values in ``errors``."""
    e = np.asarray(errors, dtype=float)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return Agreement(math.nan, math.nan, 0)
    sd = float(e.std(ddof=1)) if e.size > 1 else 0.0
    return Agreement(float(e.mean()), sd, int(e.size))


def match_events(detected_s, reference_s, tolerance_s: float) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of event times: closest pairs first, each within ``tolerance_s``.

    Returns index arrays ``(i_detected, i_reference)`` sorted by reference time.
    """
    d = np.asarray(detected_s, dtype=float)
    r = np.asarray(reference_s, dtype=float)
    if d.size == 0 or r.size == 0:
        return np.array([], int), np.array([], int)
    order = np.argsort(d)
    ds = d[order]
    candidates = []
    for j, t in enumerate(r):
        lo = np.searchsorted(ds, t - tolerance_s, side="left")
        hi = np.searchsorted(ds, t + tolerance_s, side="right")
        for k in range(lo, hi):
            candidates.append((abs(ds[k] - t), int(order[k]), j))
    candidates.sort()
    used_d, used_r, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_d and j not in used_r:
            used_d.add(i)
            used_r.add(j)
            pairs.append((i, j))
    pairs.sort(key=lambda p: p[1])
    if not pairs:
        return np.array([], int), np.array([], int)
    i_d, i_r = zip(*pairs)
    return np.array(i_d, int), np.array(i_r, int)


@dataclass(frozen=True)
class Detection:
    """Event detection counts: found = recall, false = share of detections that match nothing."""

    matched: int
    detected: int
    reference: int

    def __add__(self, other: Detection) -> Detection:
        """Counts pooled over recordings."""
        return Detection(self.matched + other.matched, self.detected + other.detected, self.reference + other.reference)

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else math.nan

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else math.nan

    @property
    def false_share(self) -> float:
        return 1.0 - self.precision if self.detected else math.nan

    @property
    def f1(self) -> float:
        total = self.detected + self.reference
        return 2.0 * self.matched / total if total else math.nan


def cadence_from_intervals(intervals_s, steps_per_interval: float = 1.0) -> float:
    """Cadence (spm) from event intervals: 60 × steps / mean interval, over the regular intervals
    (within ±15 % of the median: pauses and missed events are left out). NaN without any."""
    x = np.asarray(intervals_s, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if x.size == 0:
        return math.nan
    med = np.median(x)
    regular = x[np.abs(x - med) <= 0.15 * med]
    return 60.0 * steps_per_interval / float(regular.mean())


def reference_windowed_cadence(event_t_s, window_s: float, start_s: float, end_s: float,
                               steps_per_interval: float = 1.0, min_fill: float = 0.67) -> pd.DataFrame:
    """Reference cadence per window (:func:`cadence_from_intervals`) of the intervals between
    consecutive reference events that start in it. Windows whose regular intervals cover less
    than ``min_fill`` of them are NaN."""
    t = np.sort(np.asarray(event_t_s, dtype=float))
    intervals = np.append(np.diff(t), np.nan)
    rows = []
    for w0 in _window_starts(window_s, start_s, end_s):
        x = intervals[(t >= w0) & (t < w0 + window_s)]
        x = x[np.isfinite(x) & (x > 0)]
        cadence, covered = math.nan, 0.0
        if x.size:
            med = np.median(x)
            regular = x[np.abs(x - med) <= 0.15 * med]
            covered = float(regular.sum())
            cadence = 60.0 * steps_per_interval / float(regular.mean())
        rows.append({"start_s": w0, "cadence_spm": cadence if covered >= min_fill * window_s else math.nan})
    return pd.DataFrame(rows, columns=["start_s", "cadence_spm"])


def analysis_windowed_cadence(steps: pd.DataFrame, window_s: float, start_s: float, end_s: float,
                              min_fill: float = 0.67) -> pd.DataFrame:
    """The analysis' cadence per window: :func:`formlab.summary.cadence_spm` (the product's one
    definition, median stride) of the valid steps that start in it. Windows whose steps' own step
    times cover less than ``min_fill`` of them are NaN."""
    t = steps["t_ic_s"].to_numpy(float)
    step_s = steps["step_time_s"].to_numpy(float)
    rows = []
    for w0 in _window_starts(window_s, start_s, end_s):
        inside = (t >= w0) & (t < w0 + window_s)
        covered = float(np.nansum(step_s[inside]))
        cadence = cadence_spm(steps[inside]) if inside.any() else None
        ok = cadence is not None and covered >= min_fill * window_s
        rows.append({"start_s": w0, "cadence_spm": cadence if ok else math.nan})
    return pd.DataFrame(rows, columns=["start_s", "cadence_spm"])


def _window_starts(window_s: float, start_s: float, end_s: float) -> np.ndarray:
    return np.arange(start_s, end_s - window_s + 1e-9, window_s)


def contacts_from_force(t_s, grf_bw, threshold_bw: float = GRF_CONTACT_BW,
                        min_contact_s: float = GRF_MIN_CONTACT_S) -> pd.DataFrame:
    """Complete ground contacts where the force exceeds the threshold: ``t_ic_s`` = first sample
    above, ``t_fc_s`` = first sample below again. Contacts cut by the first or last sample are
    left out, and so are blips shorter than ``min_contact_s`` (the force plate shows 2–6 ms
    bumps just before some contacts; a running contact lasts over 150 ms)."""
    t = np.asarray(t_s, dtype=float)
    on = np.asarray(grf_bw, dtype=float) > threshold_bw
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]
    keep = (starts > 0) & (ends < on.size)
    keep &= (t[np.minimum(ends, on.size - 1)] - t[starts]) >= min_contact_s
    return pd.DataFrame({"t_ic_s": t[starts[keep]], "t_fc_s": t[ends[keep]]})


def ankle_impacts(t_s, acc_g, min_g: float = 3.0, min_interval_s: float = 0.5) -> np.ndarray:
    """Times of foot impacts from an ankle accelerometer: peaks of |acc| above ``min_g`` at least
    ``min_interval_s`` apart (one per stride of that foot)."""
    t = np.asarray(t_s, dtype=float)
    magnitude = np.linalg.norm(np.asarray(acc_g, dtype=float), axis=1)
    rate_hz = 1.0 / np.median(np.diff(t))
    peaks, _ = find_peaks(magnitude, height=min_g, distance=max(1, int(min_interval_s * rate_hz)))
    return t[peaks]


def null_metrics(summary: dict) -> list[str]:
    """Dotted names of the ``metrics`` entries that are null."""
    out = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif value is None:
            out.append(prefix)

    walk("", summary.get("metrics", {}))
    return out


def _get(summary: dict, *keys) -> float:
    value = summary.get("metrics", {})
    for k in keys:
        if not isinstance(value, dict) or value.get(k) is None:
            return math.nan
        value = value[k]
    return float(value)


# ------------------------------------------------------------------------------------------------
# report pieces


@dataclass
class Check:
    """One PASS/FAIL line of the page."""

    part: str
    name: str
    value: str
    target: str
    passed: bool


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def check(self, name: str, value: str, target: str, passed: bool) -> None:
        self.checks.append(Check(self.title, name, value, target, bool(passed)))


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _verdict(passed: bool) -> str:
    return "**PASS**" if passed else "**FAIL**"


def _agreement_table(rows: list[tuple[str, str, Agreement, str, bool | None]], digits: int = 2) -> list[str]:
    lines = ["| metric | unit | bias | SD | 95 % limits | n | target | result |",
             "|---|---|---|---|---|---|---|---|"]
    for name, unit, a, target, passed in rows:
        limits = f"{_fmt(a.low, digits)} … {_fmt(a.high, digits)}" if a.n else "—"
        verdict = "info" if passed is None else _verdict(passed)
        lines.append(f"| {name} | {unit} | {_fmt(a.bias, digits)} | {_fmt(a.sd, digits)} | {limits} | {a.n} | "
                     f"{target} | {verdict} |")
    return lines


def _analyze(rec: Recording, **options):
    from formlab.analysis import analyze  # the pipeline is imported only when validating it

    return analyze(rec, **options)


def _step_side(steps: pd.DataFrame) -> np.ndarray:
    if "side" not in steps:
        return np.full(len(steps), "", dtype=object)
    return steps["side"].fillna("").astype(str).to_numpy()


def _valid(steps: pd.DataFrame) -> pd.DataFrame:
    if "valid" in steps:
        return steps[steps["valid"].fillna(False).astype(bool)]
    return steps


# ------------------------------------------------------------------------------------------------
# (a) simulated grid


def grid_session(seed: int, run: int):
    """Session ``run`` of the grid with ``seed``: ``(SimParams, simulation seed)``, reproducible alone:

        params, sim_seed = grid_session(1, 17); result = simulate(params, sim_seed)
    """
    from formlab.simulate import random_grid_params

    return random_grid_params(np.random.default_rng([seed, run])), seed * 1000 + run


def simulated_grid(runs: int, seed: int) -> Section:
    """Part (a): the simulated validation grid."""
    from formlab.simulate import simulate

    sec = Section("(a) Simulated grid")
    detail_rows: list[str] = []
    per_step = {k: [] for k in ("ic_ms", "fc_ms", "contact_ms", "osc_mm", "tilt_deg", "drop_deg", "braking_pct", "impact_g")}
    per_run = {k: [] for k in ("cadence", "contact_side", "contact_mean", "balance", "osc_mm", "tilt", "drop_side",
                               "braking_pct", "braking_mean_pct", "impact_asym")}
    det = Detection(0, 0, 0)
    side_ok = side_n = 0
    failures: list[str] = []
    nulls: dict[str, int] = {}
    for i in range(runs):
        params, sim_seed = grid_session(seed, i)
        sim = simulate(params, seed=sim_seed)
        try:
            analysis = _analyze(sim.recording)
        except Exception as exc:  # a crash is a result to report, not a reason to stop validating
            failures.append(f"run {i}: {type(exc).__name__}: {exc}".splitlines()[0])
            continue
        truth = sim.truth_steps
        run = truth[(truth.activity == "running") & ~truth.in_gap]
        t0, t1 = run.t_ic_s.min() + 1.0, run.t_ic_s.max() - 1.0
        ref = run[(run.t_ic_s >= t0) & (run.t_ic_s <= t1)].reset_index(drop=True)
        steps = analysis.steps.reset_index(drop=True)
        keep = ((steps.t_ic_s >= t0 - SIM_MATCH_S) & (steps.t_ic_s <= t1 + SIM_MATCH_S)).to_numpy().copy()
        for g in truth[truth.in_gap].itertuples():  # detections of the steps a lost packet cut are not judged
            keep &= ~((steps.t_ic_s >= g.t_ic_s - SIM_MATCH_S) & (steps.t_ic_s < g.t_ic_s + g.step_time_s - SIM_MATCH_S)).to_numpy()
        inside = steps[keep].reset_index(drop=True)
        i_d, i_r = match_events(inside.t_ic_s, ref.t_ic_s, SIM_MATCH_S)
        det += Detection(len(i_d), len(inside), len(ref))
        d, r = inside.iloc[i_d].reset_index(drop=True), ref.iloc[i_r].reset_index(drop=True)
        sides = _step_side(d)
        side_ok += int(np.sum(sides == r.side.to_numpy()))
        side_n += len(r)
        valid = _valid(d).index
        dv, rv = d.loc[valid], r.loc[valid]
        per_step["ic_ms"] += list((dv.t_ic_s - rv.t_ic_s) * 1000)
        per_step["fc_ms"] += list((dv.t_fc_s - rv.t_fc_s) * 1000)
        per_step["contact_ms"] += list(dv.contact_ms - rv.contact_ms)
        for col, key, scale in (("vertical_oscillation_cm", "osc_mm", 10.0), ("pelvic_tilt_deg", "tilt_deg", 1.0),
                                ("pelvic_drop_deg", "drop_deg", 1.0), ("impact_g", "impact_g", 1.0)):
            if col in dv:
                per_step[key] += list((dv[col].astype(float) - rv[col]) * scale)
        if "braking_mps" in dv:
            per_step["braking_pct"] += list((dv.braking_mps.astype(float) - rv.braking_mps) / rv.braking_mps * 100)

        s, ts = analysis.summary, sim.truth_summary
        for name in null_metrics(s):
            nulls[name] = nulls.get(name, 0) + 1
        per_run["cadence"].append(_get(s, "cadence_spm") - _get(ts, "cadence_spm"))
        for side in ("left", "right"):
            per_run["contact_side"].append(_get(s, "ground_contact_ms", side) - _get(ts, "ground_contact_ms", side))
            per_run["drop_side"].append(_get(s, "pelvic_drop_deg", side) - _get(ts, "pelvic_drop_deg", side))
        per_run["contact_mean"].append(_get(s, "ground_contact_ms", "mean") - _get(ts, "ground_contact_ms", "mean"))
        per_run["balance"].append(_get(s, "ground_contact_balance_left_pct") - _get(ts, "ground_contact_balance_left_pct"))
        per_run["osc_mm"].append(10 * (_get(s, "vertical_oscillation_cm") - _get(ts, "vertical_oscillation_cm")))
        per_run["tilt"].append(_get(s, "pelvic_tilt_deg", "mean") - _get(ts, "pelvic_tilt_deg", "mean"))
        for side in ("left", "right", "mean"):
            true_braking = _get(ts, "braking_mps", side)
            key = "braking_mean_pct" if side == "mean" else "braking_pct"
            per_run[key].append((_get(s, "braking_mps", side) - true_braking) / true_braking * 100)
        per_run["impact_asym"].append(_get(s, "impact_asymmetry_pct") - _get(ts, "impact_asymmetry_pct"))
        runner = params.phases[-1].start
        err = lambda *k: _get(s, *k) - _get(ts, *k)  # noqa: E731
        detail_rows.append(
            f"| {i} | {params.rate_hz:.0f} | {_get(ts, 'cadence_spm'):.1f} | {_get(ts, 'ground_contact_ms', 'left'):.0f} / "
            f"{_get(ts, 'ground_contact_ms', 'right'):.0f} | {runner.tilt_deg:.1f} | {err('cadence_spm'):+.2f} | "
            f"{_fmt(err('ground_contact_ms', 'left'), 1)} / {_fmt(err('ground_contact_ms', 'right'), 1)} | "
            f"{_fmt(err('ground_contact_balance_left_pct'))} | {_fmt(10 * err('vertical_oscillation_cm'), 1)} | "
            f"{_fmt(err('pelvic_tilt_deg', 'mean'))} | {_fmt(err('pelvic_drop_deg', 'left'))} / "
            f"{_fmt(err('pelvic_drop_deg', 'right'))} | {_fmt(per_run['braking_pct'][-2], 1)} / "
            f"{_fmt(per_run['braking_pct'][-1], 1)} | {_fmt(100 * np.mean(sides == r.side.to_numpy()) if len(r) else math.nan, 1)} |")

    a = {k: agreement(v) for k, v in per_run.items()}
    b = {k: agreement(v) for k, v in per_step.items()}
    side_acc = side_ok / side_n if side_n else math.nan
    sec.lines += [
        f"{runs} sessions from `random_grid_params` (seed {seed}): 10 s standing then 90 s running; cadence "
        "150–195 spm, contact 180–320 ms, left/right contact difference up to ±40 ms, landing-transient ratio "
        "between the sides up to 3, pelvic drop 2–9° per side, pelvic tilt 0–15°, random mounts, 100–208 Hz, noise, gyroscope bias, clock drift, rare packet loss. "
        f"Steps are compared in steady running (from 1 s after the first to 1 s before the last running contact, "
        f"none across a lost packet), matched by initial contact within ±{SIM_MATCH_S * 1000:.0f} ms. "
        f"Analysis crashed in {len(failures)} of {runs} runs.",
        "",
        "Per run (summary medians, analysis − truth):",
        "",
    ]
    rows = [
        ("cadence", "spm", a["cadence"], "within ±0.5", a["cadence"].within(0.5)),
        ("ground contact, per side", "ms", a["contact_side"], "within ±10", a["contact_side"].within(10)),
        ("ground contact, mean", "ms", a["contact_mean"], "info", None),
        ("contact balance (left %)", "points", a["balance"], "within ±0.5", a["balance"].within(0.5)),
        ("vertical oscillation", "mm", a["osc_mm"], "within ±5", a["osc_mm"].within(5)),
        ("pelvic tilt, mean", "deg", a["tilt"], "within ±1", a["tilt"].within(1)),
        ("pelvic drop, per side", "deg", a["drop_side"], "within ±1", a["drop_side"].within(1)),
        ("braking, per side", "%", a["braking_pct"], "within ±10", a["braking_pct"].within(10)),
        ("braking, mean", "%", a["braking_mean_pct"], "info", None),
        ("impact asymmetry", "points", a["impact_asym"], "within ±5", a["impact_asym"].within(5)),
    ]
    sec.lines += _agreement_table(rows)
    sec.lines += ["", "Per step (matched pairs, valid steps, analysis − truth):", ""]
    step_rows = [
        ("initial contact time", "ms", b["ic_ms"], "info", None),
        ("final contact (toe-off) time", "ms", b["fc_ms"], "info", None),
        ("contact time", "ms", b["contact_ms"], "bias ≤ 5", b["contact_ms"].n > 0 and abs(b["contact_ms"].bias) <= 5),
        ("vertical oscillation", "mm", b["osc_mm"], "info", None),
        ("pelvic tilt", "deg", b["tilt_deg"], "info", None),
        ("pelvic drop", "deg", b["drop_deg"], "info", None),
        ("braking", "%", b["braking_pct"], "info", None),
        ("impact", "g", b["impact_g"], "info", None),
    ]
    sec.lines += _agreement_table(step_rows)
    sec.lines += ["", "| detection and sides | value | target | result |", "|---|---|---|---|",
                  f"| truth steps found | {_fmt(100 * det.recall, 2)} % of {det.reference} | ≥ 98 % | "
                  f"{_verdict(det.recall >= 0.98)} |",
                  f"| false detections | {_fmt(100 * det.false_share, 2)} % of {det.detected} | ≤ 2 % | "
                  f"{_verdict(det.false_share <= 0.02)} |",
                  f"| side label correct | {_fmt(100 * side_acc, 2)} % of {side_n} matched | ≥ 99.5 % | "
                  f"{_verdict(side_acc >= 0.995)} |"]
    sec.lines += [
        "", "<details><summary>Per run (truth and analysis − truth); rerun one with "
        "<code>params, seed = formlab.validation.grid_session(SEED, RUN)</code></summary>", "",
        "| run | Hz | cadence spm | contact L / R ms | tilt ° | cadence err | contact err L / R ms | balance err | "
        "oscillation err mm | tilt err ° | drop err L / R ° | braking err L / R % | side ok % |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *detail_rows, "", "</details>"]
    if nulls:
        sec.lines += ["", "Metrics the analysis left null: " + ", ".join(f"`{k}` ({v} runs)" for k, v in sorted(nulls.items())) + "."]
    if failures:
        sec.lines += ["", "Crashes:", ""] + [f"- {f}" for f in failures[:10]]
    for name, unit, agr, target, passed in rows + step_rows:
        if passed is not None:
            sec.check(name, f"{_fmt(agr.bias)} {unit} (limits {_fmt(agr.low)} … {_fmt(agr.high)}, n {agr.n})", target, passed)
    sec.check("steps found", f"{_fmt(100 * det.recall)} %", "≥ 98 %", det.recall >= 0.98)
    sec.check("false detections", f"{_fmt(100 * det.false_share)} %", "≤ 2 %", det.false_share <= 0.02)
    sec.check("side label", f"{_fmt(100 * side_acc)} %", "≥ 99.5 %", side_acc >= 0.995)
    sec.check("no crash", f"{len(failures)} of {runs}", "0", not failures)
    return sec


ANGLE_METRICS = ("pelvic_tilt_deg.mean", "pelvic_tilt_deg.range", "pelvic_drop_deg.left", "pelvic_drop_deg.right",
                 "pelvic_rotation_deg.range")
SIDE_METRICS = ("ground_contact_ms.left", "ground_contact_ms.right", "ground_contact_balance_left_pct",
                "impact_g.left", "impact_g.right", "braking_mps.left", "braking_mps.right")


def other_seeds(runs: int, seed: int, count: int | None = None) -> Section:
    """Part (s): part (a)'s checks on ``count`` more grids, seeds ``seed + 1`` on."""
    count = OTHER_SEEDS if count is None else count
    sec = Section("(s) Simulated grid at other seeds")
    seeds = [seed + k for k in range(1, count + 1)]
    grids = [simulated_grid(runs, s).checks for s in seeds]
    failed = [f"{c.name} (seed {s})" for s, checks in zip(seeds, grids) for c in checks if not c.passed]
    total = sum(len(checks) for checks in grids)
    sec.lines += [
        f"Part (a)'s checks, each grid {runs} new sessions drawn as in part (a) with the seed named.",
        "",
        "| check | target | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|---|" + "---|" * len(seeds),
        *(f"| {row[0].name} | {row[0].target} | " + " | ".join(f"{c.value} {_verdict(c.passed)}" for c in row) + " |"
          for row in zip(*grids)),
    ]
    sec.check("every grid check at other seeds", f"{total - len(failed)} of {total} pass"
              + (f" (fails: {', '.join(failed)})" if failed else f" (seeds {seeds[0]}–{seeds[-1]})"), "all", not failed)
    return sec


def simulated_accelerometer_only(runs: int, seed: int) -> Section:
    """Part (e): grid sessions recorded without a gyroscope.

    Cadence, contact time and oscillation must still be right; pelvic angles cannot be measured and
    must be null, and per-side metrics must be null unless the sides are labelled correctly.
    """
    import dataclasses

    from formlab.simulate import simulate

    sec = Section("(e) Simulated grid, accelerometer only")
    cadence, contact, osc = [], [], []
    det = Detection(0, 0, 0)
    labelled = side_ok = side_n = 0
    angle_guessed, side_guessed, failures = [], [], []
    for i in range(runs):
        params, sim_seed = grid_session(seed + 100, i)
        sim = simulate(dataclasses.replace(params, with_gyro=False), seed=sim_seed)
        try:
            analysis = _analyze(sim.recording)
        except Exception as exc:
            failures.append(f"run {i}: {type(exc).__name__}: {exc}".splitlines()[0])
            continue
        truth = sim.truth_steps
        run = truth[(truth.activity == "running") & ~truth.in_gap]
        t0, t1 = run.t_ic_s.min() + 1.0, run.t_ic_s.max() - 1.0
        ref = run[(run.t_ic_s >= t0) & (run.t_ic_s <= t1)].reset_index(drop=True)
        steps = analysis.steps
        inside = steps[(steps.t_ic_s >= t0 - SIM_MATCH_S) & (steps.t_ic_s <= t1 + SIM_MATCH_S)].reset_index(drop=True)
        i_d, i_r = match_events(inside.t_ic_s, ref.t_ic_s, SIM_MATCH_S)
        det += Detection(len(i_d), len(inside), len(ref))
        sides = _step_side(inside.iloc[i_d])
        run_labelled = int(np.sum(sides != ""))
        labelled += run_labelled
        side_ok += int(np.sum(sides == ref.side.to_numpy()[i_r]))
        side_n += len(i_d)
        s, ts = analysis.summary, sim.truth_summary
        cadence.append(_get(s, "cadence_spm") - _get(ts, "cadence_spm"))
        contact.append(_get(s, "ground_contact_ms", "mean") - _get(ts, "ground_contact_ms", "mean"))
        osc.append(10 * (_get(s, "vertical_oscillation_cm") - _get(ts, "vertical_oscillation_cm")))
        nulls = set(null_metrics(s))
        angle_guessed += [f"run {i}: {m}" for m in ANGLE_METRICS if m not in nulls]
        if run_labelled < len(i_d) / 2:
            side_guessed += [f"run {i}: {m}" for m in SIDE_METRICS if m not in nulls]
    a_cad, a_con, a_osc = agreement(cadence), agreement(contact), agreement(osc)
    sides_given = side_n > 0 and labelled >= side_n / 2
    side_acc = side_ok / side_n if side_n else math.nan
    rows = [("cadence", "spm", a_cad, "within ±0.5", a_cad.within(0.5)),
            ("ground contact, mean", "ms", a_con, "within ±10", a_con.within(10)),
            ("vertical oscillation", "mm", a_osc, "within ±5", a_osc.within(5))]
    sec.lines += [
        f"{runs} more grid sessions (seed {seed + 100}) written without gyroscope columns, as many real loggers "
        "record. Per run, analysis − truth:", "",
        *_agreement_table(rows), "",
        "| check | value | target | result |", "|---|---|---|---|",
        f"| truth steps found | {_fmt(100 * det.recall)} % of {det.reference} | ≥ 98 % | {_verdict(det.recall >= 0.98)} |",
        f"| pelvic angles left null (never guessed without a gyroscope) | {len(angle_guessed)} given | 0 | "
        f"{_verdict(not angle_guessed)} |",
    ]
    if sides_given:
        sec.lines.append(f"| side labels correct | {_fmt(100 * side_acc)} % of {side_n} | ≥ 99.5 % | "
                         f"{_verdict(side_acc >= 0.995)} |")
        sec.check("side labels without gyroscope", f"{_fmt(100 * side_acc)} %", "≥ 99.5 %", side_acc >= 0.995)
    else:
        sec.lines.append(f"| sides unlabelled: per-side metrics left null | {len(side_guessed)} given | 0 | "
                         f"{_verdict(not side_guessed)} |")
        sec.check("per-side metrics null without sides", f"{len(side_guessed)} given", "0", not side_guessed)
    if angle_guessed or side_guessed:
        sec.lines += ["", "Given although not measurable: " + ", ".join((angle_guessed + side_guessed)[:12]) + "."]
    if failures:
        sec.lines += ["", "Crashes:", ""] + [f"- {f}" for f in failures]
    for name, unit, agr, target, passed in rows:
        sec.check(name, f"{_fmt(agr.bias)} {unit} (limits {_fmt(agr.low)} … {_fmt(agr.high)}, n {agr.n})", target, passed)
    sec.check("steps found", f"{_fmt(100 * det.recall)} %", "≥ 98 %", det.recall >= 0.98)
    sec.check("pelvic angles null", f"{len(angle_guessed)} given", "0", not angle_guessed)
    sec.check("no crash", f"{len(failures)} of {runs}", "0", not failures)
    return sec


# ------------------------------------------------------------------------------------------------
# (b) treadmill with force reference


def forward_around_toe_off(t_s: np.ndarray, fwd_g: np.ndarray, t_fc_s: np.ndarray,
                           span_s: float = 0.06) -> tuple[float, float, float]:
    """The forward signal averaged over contacts, ``span_s`` either side of each toe-off (2 ms
    grid): its value at toe-off, its minimum from toe-off on and how long after toe-off (ms)."""
    lags_s = np.arange(-span_s, span_s + 1e-9, 0.002)
    inside = (t_fc_s - span_s >= t_s[0]) & (t_fc_s + span_s <= t_s[-1])
    mean = np.mean([np.interp(t + lags_s, t_s, fwd_g) for t in t_fc_s[inside]], axis=0)
    after = lags_s >= -1e-9
    k = int(np.argmin(mean[after]))
    return float(mean[after][0]), float(mean[after][k]), float(lags_s[after][k] * 1000)


def _grf_matched(steps: pd.DataFrame, ref: pd.DataFrame):
    """Detected contacts within the force reference's span matched to it: counts, the matched
    detections and reference contacts (in pairs), and the contact-time errors (ms) of the pairs."""
    lo, hi = ref.t_ic_s.min() - GRF_MATCH_S, ref.t_fc_s.max() + GRF_MATCH_S
    inside = steps[(steps.t_ic_s >= lo) & (steps.t_ic_s <= hi)].reset_index(drop=True)
    i_d, i_r = match_events(inside.t_ic_s, ref.t_ic_s, GRF_MATCH_S)
    d, r = inside.iloc[i_d].reset_index(drop=True), ref.iloc[i_r].reset_index(drop=True)
    errors = d.contact_ms.astype(float).to_numpy() - (r.t_fc_s - r.t_ic_s).to_numpy() * 1000
    return Detection(len(i_d), len(inside), len(ref)), d, r, errors


def grf_loading_rate(grf: pd.DataFrame, t_ic_s: np.ndarray) -> np.ndarray:
    """Force-plate average loading rate (BW/s) of each contact: the same 20-80 % rule over the same
    first ``IMPACT_WINDOW_S`` of contact as the sensor's (:func:`formlab.metrics.loading_rate_per_s`)."""
    t = grf.t_s.to_numpy(float)
    i0 = np.searchsorted(t, t_ic_s)
    return loading_rate_per_s(t, grf.grf_bw.to_numpy(float), i0, np.searchsorted(t, t_ic_s + IMPACT_WINDOW_S))


def _loading_rate_lines(loading) -> list[str]:
    """Part (b)'s table of the sensor's loading rate against the force plate's, per trial."""
    rows, sensor_all, plate_all = [], [], []
    for label, sensor, plate in loading:
        ok = np.isfinite(sensor) & np.isfinite(plate)
        sensor_all += list(sensor[ok])
        plate_all += list(plate[ok])
        r = float(np.corrcoef(sensor[ok], plate[ok])[0, 1]) if ok.sum() > 2 else math.nan
        a = agreement(sensor[ok] - plate[ok])
        rows.append(f"| {label} | {a.n} | {_fmt(np.mean(sensor[ok]) if ok.any() else math.nan, 0)} | "
                    f"{_fmt(np.mean(plate[ok]) if ok.any() else math.nan, 0)} | {_fmt(a.bias, 0)} | {_fmt(a.sd, 0)} | "
                    f"{_fmt(r)} |")
    pooled = float(np.corrcoef(sensor_all, plate_all)[0, 1]) if len(sensor_all) > 2 else math.nan
    return [
        "Loading rate (information): the sensor's average loading rate (20–80 % of the peak vertical specific "
        f"force in the first {IMPACT_WINDOW_S * 1000:.0f} ms of contact, g/s; metrics module doc) against the "
        "force plate's by the same rule on the vertical ground reaction force (BW/s; the two units agree for the "
        "body's centre of mass; the sacrum sees a larger impact than the ground force, simulate module doc). "
        "These files were low-passed at 20 Hz by their authors.",
        "",
        "| trial | contacts | sensor g/s (mean) | force plate BW/s (mean) | difference bias | difference SD | "
        "correlation r |", "|---|---|---|---|---|---|---|", *rows, "",
        f"Pooled over {len(sensor_all)} contacts: correlation r = {_fmt(pooled)}.",
    ]


def treadmill_grf(data: Path) -> Section:
    """Part (b): real sacral accelerometer against force-treadmill contacts."""
    sec = Section("(b) treadmill-sacrum-grf")
    folder = data / "treadmill-sacrum-grf"
    rows, contact_err, failures = [], [], []
    det = Detection(0, 0, 0)
    cad_err = []
    recoil = []  # per trial: forward at force toe-off, its minimum after it and when (the simulator's recoil)
    by_weight = {weight: [] for weight in TOE_OFF_WEIGHTS}  # contact errors with other toe-off weights
    by_condition: dict[str, list[float]] = {}  # contact errors per speed × slope × foot strike
    flights = []  # per trial: matched contacts with a flight found after them, matched contacts
    loading = []  # per trial: label, the sensor's and the force plate's loading rate of the matched contacts
    event_err = {"ic": [], "fc": []}  # ms, over all matched contacts
    trials = pd.read_csv(folder / "trials.csv").set_index("trial") if (folder / "trials.csv").exists() else None
    for path in sorted(folder.glob("trial??.csv")):
        grf = pd.read_csv(path.with_suffix(".grf.csv"))
        label, condition = path.stem, "unknown"
        if trials is not None and path.stem in trials.index:
            t = trials.loc[path.stem]
            strike = "rearfoot" if t.RFS >= 50 else ("midfoot" if t.MFS >= 50 else "forefoot")
            condition = f"{t.Speed:g} m/s, {t.Slope:+g}°, {strike}"
            label = f"{path.stem} ({condition})"
        ref = contacts_from_force(grf.t_s, grf.grf_bw)
        ref_cadence = cadence_from_intervals(np.diff(ref.t_ic_s))
        ref_median = float(np.median(60.0 / np.diff(ref.t_ic_s)))  # per step, then the median (spec)
        try:
            rec = read_recording(path)
            analysis = _analyze(rec)
            for weight in TOE_OFF_WEIGHTS:
                by_weight[weight] += list(_grf_matched(_analyze(rec, rules=False, running_detector=RunningContactDetector(
                    vertical_weight=weight)).steps, ref)[3])
        except Exception as exc:
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}".splitlines()[0])
            rows.append(f"| {label} | {len(ref)} | crash | — | — | {_fmt(ref_cadence, 1)} | {_fmt(ref_median, 1)} | — | — | — | — |")
            continue
        recoil.append(forward_around_toe_off(analysis.body.t_s, analysis.body.acc_g[:, 0], ref.t_fc_s.to_numpy()))
        trial, d, r, errors = _grf_matched(analysis.steps, ref)
        det += trial
        contact_err += list(errors)
        by_condition.setdefault(condition, []).extend(errors)
        loading.append((label, d.loading_rate_gps.to_numpy(float), grf_loading_rate(grf, r.t_ic_s.to_numpy())))
        flights.append((int(d.flight.astype(bool).sum()), len(d)))
        event_err["ic"] += list((d.t_ic_s - r.t_ic_s) * 1000)
        event_err["fc"] += list((d.t_fc_s - r.t_fc_s) * 1000)
        cadence = _get(analysis.summary, "cadence_spm")
        cad_err.append(cadence - ref_cadence)
        rows.append(f"| {label} | {len(ref)} | {trial.matched} | {trial.detected - trial.matched} | "
                    f"{_fmt(cadence, 1)} | {_fmt(ref_cadence, 1)} | {_fmt(ref_median, 1)} | {_fmt(agreement(errors).bias, 1)} | "
                    f"{_fmt(agreement(errors).sd, 1)} | {_fmt(agreement((d.t_ic_s - r.t_ic_s) * 1000).bias, 1)} | "
                    f"{_fmt(agreement((d.t_fc_s - r.t_fc_s) * 1000).bias, 1)} |")
    contact = agreement(contact_err)
    cad = agreement(cad_err)
    at_fc, lowest, lowest_ms = (np.array(v) for v in zip(*recoil)) if recoil else (np.array([np.nan]),) * 3
    max_cad = float(np.nanmax(np.abs(cad_err))) if cad_err else math.nan
    sec.lines += [
        f"Real sacral accelerometer (500 Hz, vertical and forward only, 16 trials of 5 s, 2.5–4.17 m/s, "
        f"slopes −10°…+10°). Reference contacts: vertical force > {GRF_CONTACT_BW} BW for at least "
        f"{GRF_MIN_CONTACT_S * 1000:.0f} ms on the same clock (shorter force blips just before some contacts are "
        "left out); "
        f"detected initial contacts matched within ±{GRF_MATCH_S * 1000:.0f} ms. "
        "Sides cannot be told from these files (no mediolateral axis). Reference cadence = 60 / mean step time "
        "between reference contacts (steps per minute); with only 12–16 steps whose left and right step times "
        "differ, the median of per-step cadences (shown beside it) jumps between the two sides' values.",
        "",
        "| trial | reference contacts | found | false | cadence spm | reference spm | reference median spm | "
        "contact bias ms | contact SD ms | IC offset ms | toe-off offset ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, "",
        "| check | value | target | result |", "|---|---|---|---|",
        f"| contacts found | {_fmt(100 * det.recall)} % of {det.reference} | ≥ 98 % | {_verdict(det.recall >= 0.98)} |",
        f"| false contacts | {_fmt(100 * det.false_share)} % of {det.detected} | ≤ 2 % | {_verdict(det.false_share <= 0.02)} |",
        f"| cadence per trial, worst | {_fmt(max_cad)} spm (bias {_fmt(cad.bias)}) | within ±1 spm | {_verdict(max_cad <= 1)} |",
        f"| contact time bias | {_fmt(contact.bias, 1)} ms (n {contact.n}) | within ±15 ms | "
        f"{_verdict(contact.n > 0 and abs(contact.bias) <= 15)} |",
        f"| contact time SD | {_fmt(contact.sd, 1)} ms | ≤ 15 ms | {_verdict(contact.n > 1 and contact.sd <= 15)} |",
    ]
    conditions = {name: agreement(errors) for name, errors in sorted(by_condition.items())}
    worst_sd = max((a.sd for a in conditions.values() if a.n > 1), default=math.nan)
    worst_bias = max((abs(a.bias) for a in conditions.values() if a.n), default=math.nan)
    sec.lines += [
        "",
        "Contact time per condition (speed × slope × foot strike; one runner, 1–3 trials each; the product's "
        "contact parameters were chosen on all of these trials, so these are in-sample figures; with one runner "
        "no leave-one-subject-out figure exists):",
        "",
        "| condition | contacts | bias ms | SD ms | target | result |", "|---|---|---|---|---|---|",
        *[f"| {name} | {a.n} | {_fmt(a.bias, 1)} | {_fmt(a.sd, 1)} | bias ≤ 10, SD ≤ 15 | "
          f"{_verdict(abs(a.bias) <= 10 and a.sd <= 15)} |" for name, a in conditions.items()],
        "",
        f"Flight found after {sum(f for f, _ in flights)} of {sum(n for _, n in flights)} matched contacts "
        f"(30 Hz vertical below {RunningContactDetector().flight_level_g:g} g between stances; steps module doc). "
        f"Over all matched contacts, initial contact {_fmt(agreement(event_err['ic']).bias, 1)} ± "
        f"{_fmt(agreement(event_err['ic']).sd, 1)} ms and toe-off {_fmt(agreement(event_err['fc']).bias, 1)} ± "
        f"{_fmt(agreement(event_err['fc']).sd, 1)} ms against the force plate (mean ± SD; an independent simulator "
        "found toe-off 8–13 ms late in every run, which these real trials do not show).",
    ]
    sec.lines += ["", *_loading_rate_lines(loading)]
    sec.check("contact time per condition, worst", f"bias {_fmt(worst_bias, 1)} ms, SD {_fmt(worst_sd, 1)} ms",
              "bias ≤ 10 ms, SD ≤ 15 ms", worst_bias <= 10 and worst_sd <= 15)
    weight_rows = [(weight, name, agreement(by_weight[weight])) for weight, name in TOE_OFF_WEIGHTS.items()]
    weight_rows.append((RunningContactDetector().vertical_weight, "product", contact))
    sec.lines += [
        "",
        "The sacral forward signal around force-plate toe-off (information; the simulator's swing-leg recoil is "
        "shaped on it): averaged over each trial's contacts, it is "
        f"{_fmt(np.mean(at_fc))} g at toe-off (SD {_fmt(np.std(at_fc, ddof=1))} g over trials) and lowest, "
        f"{_fmt(np.mean(lowest))} g ({_fmt(np.min(lowest))} to {_fmt(np.max(lowest))} g), "
        f"{_fmt(np.mean(lowest_ms), 0)} ms ({_fmt(np.min(lowest_ms), 0)} to {_fmt(np.max(lowest_ms), 0)} ms) after it.",
        "",
        "Toe-off from each rule and their weighted means (information; the product weighs the vertical rule "
        f"{RunningContactDetector().vertical_weight:.2f}, the end of propulsion the rest; steps module doc), "
        "contact-time error over the matched contacts:",
        "",
        "| weight of the vertical rule | toe-off | contact bias ms | contact SD ms | n |",
        "|---|---|---|---|---|",
        *(f"| {weight:.2f} | {name} | {_fmt(a.bias, 1)} | {_fmt(a.sd, 1)} | {a.n} |" for weight, name, a in weight_rows),
    ]
    if failures:
        sec.lines += ["", "Crashes:", ""] + [f"- {f}" for f in failures]
    sec.check("contacts found", f"{_fmt(100 * det.recall)} %", "≥ 98 %", det.recall >= 0.98)
    sec.check("false contacts", f"{_fmt(100 * det.false_share)} %", "≤ 2 %", det.false_share <= 0.02)
    sec.check("cadence per trial", f"worst {_fmt(max_cad)} spm", "within ±1 spm", max_cad <= 1)
    sec.check("contact time bias", f"{_fmt(contact.bias, 1)} ms", "within ±15 ms", contact.n > 0 and abs(contact.bias) <= 15)
    sec.check("contact time SD", f"{_fmt(contact.sd, 1)} ms", "≤ 15 ms", contact.n > 1 and contact.sd <= 15)
    sec.check("no crash", f"{len(failures)} trials", "0", not failures)
    return sec


# ------------------------------------------------------------------------------------------------
# (c) walking with INDIP reference


def complete_reference_spans(t_s: np.ndarray, side: np.ndarray, bout_start_s: np.ndarray,
                             step_range_s: tuple[float, float] = WALK_STEP_RANGE_S) -> list[tuple[float, float]]:
    """Stretches ``(first, last contact time)`` where the reference step list looks complete:
    consecutive contacts in one bout, alternating sides, ``step_range_s`` apart."""
    gap = np.diff(t_s)
    ok = ((bout_start_s[1:] == bout_start_s[:-1]) & (side[1:] != side[:-1])
          & (gap >= step_range_s[0]) & (gap <= step_range_s[1]))
    edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
    return [(float(t_s[a]), float(t_s[b])) for a, b in zip(edges[0::2], edges[1::2])]


def _detection_in_spans(detected_s: np.ndarray, reference_s: np.ndarray, spans, tolerance_s: float) -> Detection:
    total = Detection(0, 0, 0)
    for a, b in spans:
        ref = reference_s[(reference_s >= a) & (reference_s <= b)]
        det = detected_s[(detected_s >= a - tolerance_s) & (detected_s <= b + tolerance_s)]
        i_d, _ = match_events(det, ref, tolerance_s)
        total += Detection(len(i_d), len(det), len(ref))
    return total


def walking_recordings(folder: Path) -> list[Path]:
    """The lower-back walking recordings (each with a ``.reference.csv`` beside it)."""
    return sorted(p for p in folder.glob("*.csv") if not p.name.endswith(".reference.csv"))


def walking_reference(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The INDIP reference initial contacts of ``path`` (``t_s``, ``side``, bout columns) and its
    walking bouts as rows of (start, end) seconds."""
    ref_all = pd.read_csv(path.with_name(path.stem + ".reference.csv"))
    ref = ref_all[ref_all.event == "ic"].reset_index(drop=True)
    return ref, ref[["bout_start_s", "bout_end_s"]].drop_duplicates().to_numpy()


def within_bouts(t_s: np.ndarray, bouts: np.ndarray, margin_s: float) -> np.ndarray:
    """Which of the times ``t_s`` lie in a bout, widened by ``margin_s`` at both ends."""
    t = np.asarray(t_s, dtype=float)
    return np.any((t[:, None] >= bouts[:, 0] - margin_s) & (t[:, None] <= bouts[:, 1] + margin_s), axis=1)


def walking_indip(data: Path) -> Section:
    """Part (c): initial contacts and sides in real lower-back walking data."""
    sec = Section("(c) lowerback-walking-indip")
    folder = data / "lowerback-walking-indip"
    rows, failures, offsets = [], [], []
    det = det_wide = Detection(0, 0, 0)
    side_ok = side_n = side_labelled = 0
    side_steps, reversed_counts = [], []  # per matched step: subject, confidence, labelled, correct
    ref_same_side = ref_duplicates = 0  # reference consistency: steps missing from or doubled in it
    ref_gaps = ref_odd_gaps = 0
    complete = {WALK_MATCH_S: Detection(0, 0, 0), WALK_WIDE_MATCH_S: Detection(0, 0, 0)}
    for path in walking_recordings(folder):
        ref, bouts = walking_reference(path)
        same_bout = (ref.bout_start_s.to_numpy()[1:] == ref.bout_start_s.to_numpy()[:-1])
        ref_same_side += int(np.sum(same_bout & (ref.side.to_numpy()[1:] == ref.side.to_numpy()[:-1])))
        ref_duplicates += int(np.sum(same_bout & (np.diff(ref.t_s.to_numpy()) <= 0.01)))
        gaps = np.diff(ref.t_s.to_numpy())[same_bout]
        ref_gaps += gaps.size
        ref_odd_gaps += int(np.sum((gaps < WALK_STEP_RANGE_S[0]) | (gaps > WALK_STEP_RANGE_S[1])))
        try:
            rec = read_recording(path)
            analysis = _analyze(rec)
        except Exception as exc:
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}".splitlines()[0])
            rows.append(f"| {path.stem} | {len(ref)} | crash | — | — | — | — | — | — |")
            continue
        steps = analysis.steps
        inside = steps[within_bouts(steps.t_ic_s.to_numpy(), bouts, WALK_MATCH_S)].reset_index(drop=True)
        i_d, i_r = match_events(inside.t_ic_s, ref.t_s, WALK_MATCH_S)
        rec_det = Detection(len(i_d), len(inside), len(ref))
        det += rec_det
        sides = _step_side(inside.iloc[i_d])
        ok = int(np.sum(sides == ref.side.to_numpy()[i_r]))
        side_steps.append(pd.DataFrame({"subject": path.stem.split("_")[0],
                                        "confidence": inside.side_confidence.to_numpy()[i_d],
                                        "labelled": sides != "", "correct": sides == ref.side.to_numpy()[i_r]}))
        flipped = _analyze(rec, calibration=reversed_forward(analysis.calibration), rules=False).steps
        flipped = flipped[within_bouts(flipped.t_ic_s.to_numpy(), bouts, WALK_MATCH_S)].reset_index(drop=True)
        f_d, f_r = match_events(flipped.t_ic_s, ref.t_s, WALK_MATCH_S)
        f_sides = _step_side(flipped.iloc[f_d])
        reversed_counts.append(labelling(np.ones(len(f_d)), f_sides != "", f_sides == ref.side.to_numpy()[f_r]))
        side_ok += ok
        side_n += len(i_d)
        side_labelled += int(np.sum(sides != ""))
        w_d, w_r = match_events(inside.t_ic_s, ref.t_s, WALK_WIDE_MATCH_S)
        wide = Detection(len(w_d), len(inside), len(ref))
        det_wide += wide
        offsets += list((inside.t_ic_s.to_numpy()[w_d] - ref.t_s.to_numpy()[w_r]) * 1000)
        spans = complete_reference_spans(ref.t_s.to_numpy(), ref.side.to_numpy(), ref.bout_start_s.to_numpy())
        for tolerance_s in complete:
            complete[tolerance_s] += _detection_in_spans(steps.t_ic_s.to_numpy(), ref.t_s.to_numpy(), spans,
                                                         tolerance_s)
        o_d, o_r = match_events(inside.t_ic_s, ref.t_s, WALK_OFFSET_MATCH_S)
        side_offsets = [_fmt(agreement(((inside.t_ic_s.to_numpy()[o_d] - ref.t_s.to_numpy()[o_r]) * 1000)[
            ref.side.to_numpy()[o_r] == side]).bias, 0) for side in ("left", "right")]
        rows.append(f"| {path.stem} | {len(ref)} | {len(inside)} | {_fmt(rec_det.f1, 3)} | {_fmt(wide.f1, 3)} | "
                    f"{_fmt(agreement((inside.t_ic_s.to_numpy()[w_d] - ref.t_s.to_numpy()[w_r]) * 1000).bias, 1)} | "
                    f"{' / '.join(side_offsets)} | "
                    f"{_fmt(100 * ok / len(i_d), 1) if len(i_d) else '—'} | {len(steps)} |")
    side_acc = side_ok / side_n if side_n else math.nan
    labelled_acc = side_ok / side_labelled if side_labelled else math.nan
    coverage = side_labelled / side_n if side_n else math.nan
    sec.lines += [
        "Real lower-back IMU (McRoberts at L5, 100 Hz) during lab walking; reference initial contacts and sides "
        f"from the INDIP multi-sensor system. Detected initial contacts inside the reference walking bouts are "
        f"matched within ±{WALK_MATCH_S * 1000:.0f} ms; side accuracy counts matched contacts whose side equals "
        "the reference, over the contacts given a side (side accuracy) and over all matched contacts (an empty "
        "side counting as wrong); coverage is the share of matched contacts given a side.",
        "",
        f"| recording | reference ICs | detected in bouts | F1 | F1 ±{WALK_WIDE_MATCH_S * 1000:.0f} ms | "
        f"IC offset ms (±{WALK_WIDE_MATCH_S * 1000:.0f} ms pairs) | "
        f"IC offset ms, left / right (±{WALK_OFFSET_MATCH_S * 1000:.0f} ms pairs) | side correct % | steps in whole file |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows, "",
        f"With a ±{WALK_WIDE_MATCH_S * 1000:.0f} ms window (information only): F1 {_fmt(det_wide.f1, 3)}, initial "
        f"contact offset {_fmt(agreement(offsets).bias, 1)} ± {_fmt(agreement(offsets).sd, 1)} ms (mean ± SD).",
        "",
        f"The reference itself (information): {ref_same_side} pairs of consecutive initial contacts in one bout on "
        f"the same side (a step missing between them, which a detection there counts against precision) and "
        f"{ref_duplicates} contacts within 10 ms of the previous one; {ref_odd_gaps} of {ref_gaps} reference step "
        f"times in a bout lie outside {WALK_STEP_RANGE_S[0]:g}–{WALK_STEP_RANGE_S[1]:g} s. Where the reference "
        f"looks complete (consecutive contacts alternate sides, {WALK_STEP_RANGE_S[0]:g}–{WALK_STEP_RANGE_S[1]:g} s "
        f"apart; {complete[WALK_MATCH_S].reference} of {det.reference} reference contacts): F1 "
        f"{_fmt(complete[WALK_MATCH_S].f1, 3)} within ±{WALK_MATCH_S * 1000:.0f} ms, "
        f"{_fmt(complete[WALK_WIDE_MATCH_S].f1, 3)} within ±{WALK_WIDE_MATCH_S * 1000:.0f} ms.",
        "",
        "The published lower-back detectors (mobgap's IcdIonescu, IcdShinImproved and IcdHKLeeImproved) on the "
        "same recordings and reference, at ±50 to ±500 ms: [walking-ic-comparison.md](walking-ic-comparison.md) "
        "(generated by `python -m formlab.compare_walking_ic`, which needs mobgap).",
        "",
        "| check | value | target | result |", "|---|---|---|---|",
        f"| F1 of initial contacts (±{WALK_MATCH_S * 1000:.0f} ms) | {_fmt(det.f1, 3)} (recall {_fmt(det.recall, 3)}, "
        f"precision {_fmt(det.precision, 3)}) | ≥ 0.95 | {_verdict(det.f1 >= 0.95)} |",
        f"| side correct where labelled | {_fmt(100 * labelled_acc, 1)} % of {side_labelled} | ≥ 97 % | "
        f"{_verdict(labelled_acc >= 0.97)} |",
        f"| sides labelled (coverage) | {_fmt(100 * coverage, 1)} % of {side_n} | info | info |",
        f"| side correct, an empty side counted as wrong | {_fmt(100 * side_acc, 1)} % of {side_n} | info | info |",
    ]
    if failures:
        sec.lines += ["", "Crashes:", ""] + [f"- {f}" for f in failures]
    table = pd.concat(side_steps, ignore_index=True) if side_steps else pd.DataFrame(
        {"subject": [], "confidence": [], "labelled": [], "correct": []})
    lines, _, loso, reliable = side_lines("walking", table.subject, table.confidence, table.labelled.astype(bool),
                                          table.correct.astype(bool))
    wrong_reversed = sum(c.labelled - c.correct for c in reversed_counts)
    caught = sum(c.labelled == c.correct for c in reversed_counts)
    sec.lines += ["", *lines, "",
                  f"Forward direction reversed on purpose (each recording analysed again with its forward axis turned "
                  f"180°): {wrong_reversed} steps labelled wrongly, {sum(c.correct for c in reversed_counts)} "
                  f"still labelled rightly, in {caught} of {len(reversed_counts)} recordings no wrong label."]
    sec.check("IC F1", _fmt(det.f1, 3), "≥ 0.95", det.f1 >= 0.95)
    sec.check("side correct where labelled", f"{_fmt(100 * labelled_acc, 1)} % ({_fmt(100 * coverage, 0)} % of "
              "contacts labelled)", "≥ 97 %", labelled_acc >= 0.97)
    sec.check("sides, leave-one-subject-out", f"{_fmt(100 * loso.accuracy, 1)} % correct, "
              f"{_fmt(100 * loso.coverage, 0)} % labelled", "≥ 97 % with ≥ 90 % labelled",
              loso.accuracy >= 0.97 and loso.coverage >= 0.9)
    sec.check("side confidence within 5 points of accuracy in every bin", "see the reliability table", "every bin",
              reliable)
    sec.check("reversed forward direction caught", f"{caught} of {len(reversed_counts)} recordings", "all",
              caught == len(reversed_counts))
    sec.check("no crash", f"{len(failures)} recordings", "0", not failures)
    return sec


# ------------------------------------------------------------------------------------------------
# (d) long real runs without a step reference


def _running_steps(analysis) -> pd.DataFrame:
    steps = _valid(analysis.steps)
    return steps.sort_values("t_ic_s")


def long_runs(data: Path) -> Section:
    """Part (d): plausibility and stability on long real accelerometer-only recordings."""
    sec = Section("(d) waist-jogging and hip-run-25min")
    files = sorted((data / "waist-jogging").glob("*.csv")) + [data / "hip-run-25min" / "left_hip.csv"]
    rows, failures, null_notes, notes_seen = [], [], {}, set()
    stable_ok = True
    window_s = STABILITY_WINDOW_S
    hip_windows = None
    for path in files:
        try:
            rec = read_recording(path)
            analysis = _analyze(rec)
        except Exception as exc:
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}".splitlines()[0])
            rows.append(f"| {path.parent.name}/{path.name} | crash | — | — | crash | — |")
            continue
        steps = _running_steps(analysis)
        cadence = _get(analysis.summary, "cadence_spm")
        windows = analysis_windowed_cadence(steps, window_s, float(rec.t_s[0]), float(rec.t_s[-1]))
        w = windows.cadence_spm.dropna()
        iqr = float(np.subtract(*np.percentile(w, [75, 25]))) if len(w) else math.nan
        plausible = np.isfinite(cadence) and 120 <= cadence <= 210
        stable = np.isfinite(iqr) and iqr <= 5
        stable_ok &= bool(plausible and stable)
        verdict = "ok" if plausible and stable else ("implausible cadence" if not plausible else "unstable or too few windows")
        nulls = null_metrics(analysis.summary)
        notes_seen.update(analysis.summary.get("notes", []))
        for name in nulls:
            null_notes.setdefault(name, set()).add(path.parent.name)
        rows.append(f"| {path.parent.name}/{path.name} | {len(steps)} | {_fmt(cadence, 1)} | {_fmt(iqr, 1)} "
                    f"({len(w)} of {len(windows)} windows) | {verdict} | {len(nulls)} |")
        if path.name == "left_hip.csv":
            hip_windows = (rec, steps)
    sec.lines += [
        "Real, long, accelerometer-only recordings without a step reference (waist-jogging: 100 s overground, "
        "200 Hz; hip-run-25min: 25 min outdoors, 100 Hz, sensor on the left hip). Cadence stability = "
        f"interquartile range of the cadence over {window_s:.0f} s windows (the analysis' cadence, median "
        "stride, of the valid steps in each window; windows at least two-thirds covered by those steps' step "
        "times).",
        "",
        "| recording | valid steps | cadence spm | cadence IQR spm | plausible and stable | null metrics |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    if notes_seen:
        sec.lines += ["", "Notes the analysis gave (all recordings):", ""] + [f"- {n}" for n in sorted(notes_seen)]
    if null_notes:
        sec.lines += ["", "Null metrics (the analysis must say why in `notes`): "
                      + ", ".join(f"`{k}` ({', '.join(sorted(v))})" for k, v in sorted(null_notes.items())) + "."]
    sec.lines += ["", "| check | value | target | result |", "|---|---|---|---|",
                  f"| plausible and stable cadence | {'all' if stable_ok else 'not all'} of {len(files)} | "
                  f"120–210 spm, IQR ≤ 5 spm | {_verdict(stable_ok and not failures)} |"]
    sec.check("cadence plausible and stable", "all" if stable_ok else "not all", "120–210 spm, IQR ≤ 5 spm",
              stable_ok and not failures)
    if hip_windows is not None:
        rec, steps = hip_windows
        ankle = read_recording(data / "hip-run-25min" / "left_ankle.csv")
        impacts = ankle_impacts(ankle.t_s, ankle.acc_g)
        t0, t1 = float(rec.t_s[0]), float(rec.t_s[-1])
        ref_w = reference_windowed_cadence(impacts, WINDOW_S, t0, t1, steps_per_interval=2.0)
        det_w = analysis_windowed_cadence(steps, WINDOW_S, t0, t1, min_fill=0.5)
        both = ref_w.cadence_spm.notna()
        err = (det_w.cadence_spm - ref_w.cadence_spm)[both]
        a = agreement(err)
        within = float(np.mean(np.abs(err.fillna(np.inf)) <= 2.0)) if both.any() else math.nan
        sec.lines += [
            "",
            f"hip-run-25min against the ankle reference ({len(impacts)} left-foot impacts: peaks of |acc| ≥ 3 g at "
            f"least 0.5 s apart, two steps each), cadence per {WINDOW_S:.0f} s window where the ankle shows regular "
            f"running ({int(both.sum())} of {len(ref_w)} windows), against the analysis' cadence (median stride) of "
            "the valid steps in the same window; a window whose valid steps cover less than half of it counts as a "
            "miss. The hip sensor's step times alternate (about 0.34 and 0.42 s: initial contact is timed "
            "differently for the near and the far foot), so a cadence from single step times would be off:",
            "",
            *_agreement_table([("cadence per window", "spm", a, "info", None)], digits=2),
            "",
            "| check | value | target | result |", "|---|---|---|---|",
            f"| windows within ±2 spm of the ankle | {_fmt(100 * within, 1)} % | ≥ 90 % | {_verdict(within >= 0.9)} |",
        ]
        off = [(w0, rc, dc) for w0, rc, dc in zip(ref_w.start_s[both], ref_w.cadence_spm[both], det_w.cadence_spm[both])
               if not (np.isfinite(dc) and abs(dc - rc) <= 2.0)]
        if off:
            sec.lines += ["", "Windows off by more than 2 spm (start s: ankle → analysis spm): "
                          + ", ".join(f"{w0:.0f}: {rc:.1f} → {_fmt(dc, 1)}" for w0, rc, dc in off) + "."]
        sec.check("hip-run cadence vs ankle", f"{_fmt(100 * within, 1)} % of windows within ±2 spm", "≥ 90 %",
                  within >= 0.9)
    if failures:
        sec.lines += ["", "Crashes:", ""] + [f"- {f}" for f in failures]
    sec.check("no crash", f"{len(failures)} recordings", "0", not failures)
    return sec


# ------------------------------------------------------------------------------------------------
# the page


def _git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "formlab"], cwd=REPO, capture_output=True,
                               text=True, check=True).stdout.strip()
        return sha + (" (with uncommitted changes in formlab/)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def render(sections: list[Section], command: str, elapsed_s: float) -> str:
    """The Markdown page."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    checks = [c for s in sections for c in s.checks]
    passed = sum(c.passed for c in checks)
    lines = [
        "# Validation",
        "",
        f"> Generated by `{command}` on {now} at commit {_git_commit()} in {elapsed_s:.0f} s. "
        "**Do not edit this page by hand**: change `formlab/validation.py` or the analysis and run it again.",
        "",
        "Error = analysis − reference. Bias = mean error, SD = standard deviation, 95 % limits of agreement = "
        "bias ± 1.96 SD (Bland & Altman 1986). A target \"within ± X\" passes when both limits lie inside ± X.",
        "",
        f"## Summary: {passed} of {len(checks)} checks pass",
        "",
        "| part | check | value | target | result |",
        "|---|---|---|---|---|",
        *[f"| {c.part} | {c.name} | {c.value} | {c.target} | {_verdict(c.passed)} |" for c in checks],
    ]
    for s in sections:
        lines += ["", f"## {s.title}", "", *s.lines]
    return "\n".join(lines) + "\n"


def data_folder(given: Path | None, parts: str) -> Path:
    """The folder of real recordings: ``given``, else ``$FORMLAB_DATA``, else the developers' folder
    beside the clone. Raises :class:`InputError` when a requested part's folder is not in it."""
    env = os.environ.get("FORMLAB_DATA")
    folder = given or (Path(env) if env else DEFAULT_DATA)
    missing = [DATA_FOLDERS[p] for p in parts if p in DATA_FOLDERS and not (folder / DATA_FOLDERS[p]).is_dir()]
    if missing:
        raise InputError(folder, None, f"data folder {', '.join(missing)} not found (give --data DIR or set "
                                       "FORMLAB_DATA); nothing was written")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m formlab.validation", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small simulated grid (8 runs)")
    parser.add_argument("--runs", type=int, help="simulated sessions (default 40, --quick 8)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="the folder of real recordings (default: $FORMLAB_DATA)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "validation.md")
    parser.add_argument("--parts", default="asebcmd", help="which parts to run, in page order (default asebcmd)")
    args = parser.parse_args(argv)
    try:
        args.data = data_folder(args.data, args.parts)
    except InputError as exc:
        print(f"formlab: {exc}", file=sys.stderr)
        return 2
    runs = args.runs or (8 if args.quick else 40)
    start = time.perf_counter()
    sections = []
    builders = {"a": lambda: simulated_grid(runs, args.seed), "s": lambda: other_seeds(runs, args.seed), "e": lambda: simulated_accelerometer_only(max(3, runs // 4), args.seed),
                "b": lambda: treadmill_grf(args.data),
                "c": lambda: walking_indip(args.data), "m": lambda: mocap_section(args.data),
                "d": lambda: long_runs(args.data)}
    for part in args.parts:
        t0 = time.perf_counter()
        try:
            sections.append(builders[part]())
        except Exception:  # one broken part must not hide the others
            sec = Section(f"({part}) failed")
            sec.lines += ["```", traceback.format_exc(limit=-3).strip(), "```"]
            sec.check("part ran", "crashed", "runs", False)
            sections.append(sec)
        print(f"part ({part}): {time.perf_counter() - t0:.1f} s")
    command = "python -m formlab.validation" + (" --quick" if args.quick else "") + \
        (f" --runs {args.runs}" if args.runs else "") + (f" --seed {args.seed}" if args.seed != 1 else "") + \
        (f" --parts {args.parts}" if args.parts != "asebcmd" else "")
    page = render(sections, command, time.perf_counter() - start)
    args.out.write_text(page, encoding="utf-8")
    checks = [c for s in sections for c in s.checks]
    print(f"wrote {args.out}: {sum(c.passed for c in checks)} of {len(checks)} checks pass")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
