"""Part (m) of ``docs/validation.md``: real pelvis motion of treadmill runners (``mocap-sacral-virtual``).

Each recording is a virtual sacral IMU computed from optical pelvis markers (5 s standing, then
25-30 s of treadmill running, a tilted and rolled mount); beside it a truth file from the markers
(and foot markers or force plate for the events and sides). The folder's README says what the
files are good for: oscillation, pelvic angles, drop and sides. Their acceleration rises later
after a contact than a real accelerometer's, so contact timing is neither checked nor tuned here.

Steps are matched to the truth's initial contacts within :data:`MOCAP_MATCH_S` (the virtual
acceleration's late rise moves the detected contact by up to ~60 ms; half a step is ≥ 170 ms).
Drop from standing: the truth file gives drop from the stride-mean obliquity; its running-mean
obliquity (relative to standing) is added for left stance and taken off for right stance, exact
when every stride's mean equals the running mean.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from formlab.recording import read_recording
from formlab.validation_sides import labelling, reversed_forward, side_lines

MOCAP_MATCH_S = 0.1
OSCILLATION_LIMIT_MM = 5.0
ANGLE_LIMIT_DEG = 2.0


def mocap_trials(folder: Path) -> list[Path]:
    """The recordings of the folder (each with a ``.truth.json`` beside it)."""
    return sorted(p for p in folder.glob("*.csv") if p.with_suffix(".truth.json").is_file())


def stride_range_deg(t_s, angle_deg, t_ic_s) -> float:
    """Mean over strides (an IC to the IC two steps later) of the angle's max - min."""
    t_s, angle_deg, t_ic_s = (np.asarray(x, dtype=float) for x in (t_s, angle_deg, t_ic_s))
    i = np.searchsorted(t_s, t_ic_s)
    ranges = [np.ptp(angle_deg[a:b + 1]) for a, b in zip(i[:-2], i[2:]) if b > a]
    return float(np.mean(ranges)) if ranges else float("nan")


def mocap_section(data: Path):
    """Part (m): the product on each trial against the marker truth, and its side labels."""
    from formlab.validation import Section, _analyze, _fmt, _step_side, _valid, _verdict, match_events

    sec = Section("(m) mocap-sacral-virtual")
    rows, per_step = [], []
    worst = {"oscillation": 0.0, "angles": 0.0}
    caught = []
    for path in mocap_trials(data / "mocap-sacral-virtual"):
        truth = json.loads(path.with_suffix(".truth.json").read_text(encoding="utf-8"))
        ref = pd.DataFrame(truth["steps"])
        rec = read_recording(path)
        analysis = _analyze(rec, rules=False)
        steps = analysis.steps
        i_d, i_r = match_events(steps.t_ic_s, ref.t_ic_s, MOCAP_MATCH_S)
        sides = _step_side(steps.iloc[i_d])
        truth_side = ref.side.to_numpy()[i_r]
        conf = steps.side_confidence.to_numpy()[i_d]
        per_step.append(pd.DataFrame({"subject": truth["subject"], "confidence": conf, "labelled": sides != "",
                                      "correct": sides == truth_side}))
        own = labelling(conf, sides != "", sides == truth_side)

        flipped = _analyze(rec, rules=False, calibration=reversed_forward(analysis.calibration)).steps
        f_d, f_r = match_events(flipped.t_ic_s, ref.t_ic_s, MOCAP_MATCH_S)
        f_sides = _step_side(flipped.iloc[f_d])
        f_wrong = int(np.sum((f_sides != "") & (f_sides != ref.side.to_numpy()[f_r])))
        caught.append(f_wrong == 0)

        m = analysis.summary["metrics"]
        running = _valid(steps)
        angles = analysis.angles
        obliquity_range = stride_range_deg(angles.t_s, angles.obliquity_deg, running.t_ic_s) if angles is not None else np.nan
        mean_obl = truth["pelvic_obliquity_deg"]["series"]["mean"]
        drop_truth = {"left": truth["pelvic_drop_deg"]["left"] + mean_obl, "right": truth["pelvic_drop_deg"]["right"] - mean_obl}
        err = {
            "oscillation_mm": 10 * (m["vertical_oscillation_cm"] - truth["vertical_oscillation_cm"]["median"]),
            "tilt_mean": m["pelvic_tilt_deg"]["mean"] - truth["pelvic_tilt_deg"]["mean"],
            "tilt_range": m["pelvic_tilt_deg"]["range"] - truth["pelvic_tilt_deg"]["range"],
            "obliquity_range": obliquity_range - truth["pelvic_obliquity_deg"]["range"],
            "rotation_range": m["pelvic_rotation_deg"]["range"] - truth["pelvic_rotation_deg"]["range"],
            "drop_left": _none_nan(m["pelvic_drop_deg"]["left"]) - drop_truth["left"],
            "drop_right": _none_nan(m["pelvic_drop_deg"]["right"]) - drop_truth["right"],
        }
        worst["oscillation"] = max(worst["oscillation"], abs(err["oscillation_mm"]))
        angle_errors = [abs(v) for k, v in err.items() if k != "oscillation_mm"]
        worst["angles"] = max(worst["angles"], max(angle_errors) if np.all(np.isfinite(angle_errors)) else np.inf)
        rows.append(
            f"| {path.stem} | {truth['subject']} | {len(ref)} | {len(i_d)} | {_fmt(100 * own.coverage, 1)} | "
            f"{_fmt(100 * own.accuracy, 1)} | {f_wrong} of {len(f_d)} | {_fmt(err['oscillation_mm'], 1)} | "
            f"{_fmt(err['tilt_mean'], 1)} | {_fmt(err['tilt_range'], 1)} | {_fmt(err['obliquity_range'], 1)} | "
            f"{_fmt(err['rotation_range'], 1)} | {_fmt(m['pelvic_drop_deg']['left'], 1)} / "
            f"{_fmt(m['pelvic_drop_deg']['right'], 1)} against {drop_truth['left']:.1f} / {drop_truth['right']:.1f} | "
            f"{_fmt(err['drop_left'], 1)} / {_fmt(err['drop_right'], 1)} |")
    if not per_step:
        raise FileNotFoundError(f"no recordings with a truth file in {data / 'mocap-sacral-virtual'}")
    table = pd.concat(per_step, ignore_index=True)
    lines, inside, loso, reliable = side_lines("motion-capture runners", table.subject, table.confidence,
                                               table.labelled, table.correct)
    product = labelling(table.confidence, table.labelled, table.correct)
    sec.lines += [
        "Virtual sacral IMU from the pelvis markers of real treadmill runners (5 s standing, then 25–30 s "
        "running; a mount rolled 90° and pitched 12°), against the marker truth. Errors = analysis − truth. "
        "Drop is measured from standing; the truth's drop from standing is its stride-mean drop plus "
        "(left) or minus (right) its running-mean obliquity. Contact timing is not checked here (the "
        "virtual acceleration rises 25–55 ms after contact). \"Reversed forward\": the recording analysed "
        "again with its forward axis turned 180°; a wrongly labelled step there means the consistency check "
        "missed it.",
        "",
        "| trial | runner | truth steps | matched | labelled % | correct % where labelled | reversed forward: "
        "wrong labels | oscillation mm | tilt mean ° | tilt range ° | obliquity range ° | rotation range ° | "
        "drop L / R ° (truth) | drop error L / R ° |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, "", *lines, "",
    ]
    sides_ok = loso.accuracy >= 0.97 and loso.coverage >= 0.9
    sec.check("oscillation, every trial", f"worst {_fmt(worst['oscillation'], 1)} mm", f"within ± {OSCILLATION_LIMIT_MM:g} mm",
              worst["oscillation"] <= OSCILLATION_LIMIT_MM)
    sec.check("tilt, obliquity, rotation ranges, mean tilt and drop per side, every trial",
              f"worst {_fmt(worst['angles'], 1)}°", f"within ± {ANGLE_LIMIT_DEG:g}°", worst["angles"] <= ANGLE_LIMIT_DEG)
    sec.check("sides, leave-one-runner-out", f"{_fmt(100 * loso.accuracy, 1)} % correct, {_fmt(100 * loso.coverage, 0)} % "
              f"labelled (as shipped: {product.correct} of {product.labelled}, {_fmt(100 * product.coverage, 0)} %)",
              "≥ 97 % with ≥ 90 % labelled", sides_ok)
    sec.check("side confidence within 5 points of accuracy in every bin", "see table", "every bin", reliable)
    sec.check("reversed forward direction caught", f"{sum(caught)} of {len(caught)} trials", "all", all(caught))
    sec.lines += ["| check | value | target | result |", "|---|---|---|---|",
                  *[f"| {c.name} | {c.value} | {c.target} | {_verdict(c.passed)} |" for c in sec.checks]]
    return sec


def _none_nan(value) -> float:
    return float("nan") if value is None else float(value)
