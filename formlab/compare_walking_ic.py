"""Walking initial contacts: formlab beside the published lower-back detectors in mobgap.

Runs formlab and mobgap's three (Mobilise-D) initial-contact detectors on the same recordings of
``lowerback-walking-indip`` and matches each against the INDIP reference initial contacts at
several tolerances, one-to-one, closest pairs first (as validation part c):

- ``IcdIonescu``: McCamley et al. 2012 (Gait Posture 36:316-318) as modified by Paraschiv-Ionescu
  et al. 2020 (IEEE EMBC 4596-4599): vertical acceleration, band-pass, integral, CWT;
- ``IcdShinImproved``: Shin & Park 2011 (Med Eng Phys 33:1064-1071), modified as above;
- ``IcdHKLeeImproved``: Lee et al. 2010 (Electron Lett 46:1185-1187), modified as above.

All read formlab's calibrated body-frame signal (forward, left, up; sent to mobgap in m/s² as
``acc_pa``, ``acc_ml``, ``acc_is``). The detectors, formlab's ``WalkingContactDetector`` among
them, get each reference walking bout cut out on its own (with 1 s either side, detections outside
the bout dropped); the "pipeline" row is formlab's whole
analysis, which finds its own bouts. Each detector's timing offset is its median offset over pairs
within ±250 ms; "shifted" rows take it off before matching, to show what a constant delay costs
and what the spread alone allows. A last table runs formlab's detector over its two parameters.

Needs mobgap (``pip install 'formlab[compare]'``). Writes ``docs/walking-ic-comparison.md``::

    python -m formlab.compare_walking_ic
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from formlab.analysis import analyze
from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.recording import read_recording
from formlab.validation import (REPO, WALK_MATCH_S, Detection, _fmt, match_events,
                                data_folder, walking_recordings, walking_reference, within_bouts)
from formlab.walking_contacts import WalkingContactDetector

TOLERANCES_S = (0.05, 0.10, 0.25, 0.50)
OFFSET_PAIR_S = 0.25  # pairs within this give each detector's median timing offset
BOUT_PAD_S = 1.0
LOWPASS_GRID_HZ = (6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
LOADING_WINDOW_GRID_S = (0.10, 0.15, 0.20)


def mobgap_columns(acc_g: np.ndarray, gyr_dps: np.ndarray) -> pd.DataFrame:
    """Body-frame acceleration (forward, left, up; g) and angular rate (°/s) as mobgap's body-frame
    columns, acceleration in m/s²: inferior→superior, medio-lateral (towards the left),
    posterior→anterior. mobgap's detectors read the acceleration only, but its input check wants both."""
    acc_mps2 = np.asarray(acc_g, dtype=float) * G_MPS2
    return pd.DataFrame({"acc_is": acc_mps2[:, 2], "acc_ml": acc_mps2[:, 1], "acc_pa": acc_mps2[:, 0],
                         "gyr_is": gyr_dps[:, 2], "gyr_ml": gyr_dps[:, 1], "gyr_pa": gyr_dps[:, 0]})


@dataclass
class WalkingRecording:
    """One recording of the walking reference, calibrated to the body frame by formlab."""

    name: str
    t_s: np.ndarray
    acc_g: np.ndarray  # body frame: forward, left, up
    gyr_dps: np.ndarray
    sample_rate_hz: float
    bouts: np.ndarray  # reference walking bouts, rows of (start, end) s
    reference_s: np.ndarray  # reference initial contacts
    pipeline_s: np.ndarray  # formlab's own initial contacts (its own bouts) within the reference bouts


def load(folder: Path) -> list[WalkingRecording]:
    out = []
    for path in walking_recordings(folder):
        ref, bouts = walking_reference(path)
        a = analyze(read_recording(path))
        steps_s = a.steps.t_ic_s.to_numpy()
        out.append(WalkingRecording(path.stem, a.body.t_s, a.body.acc_g, a.body.gyr_dps, a.body.sample_rate_hz, bouts,
                                    ref.t_s.to_numpy(), steps_s[within_bouts(steps_s, bouts, WALK_MATCH_S)]))
    return out


def in_reference_bouts(rec: WalkingRecording, detect) -> np.ndarray:
    """Initial contact times (s) that ``detect(t_s, acc_g, gyr_dps, fs)`` → sample indices finds in
    each reference walking bout of ``rec``, cut out on its own with ``BOUT_PAD_S`` either side (the
    first contact starts the bout: no detector gets to see its loading without them); detections
    outside the bout (± the part c match window) are dropped, as for the pipeline."""
    times = []
    for b0, b1 in rec.bouts:
        cut = np.flatnonzero((rec.t_s >= b0 - BOUT_PAD_S) & (rec.t_s <= b1 + BOUT_PAD_S))
        times.append(rec.t_s[cut[detect(rec.t_s[cut], rec.acc_g[cut], rec.gyr_dps[cut], rec.sample_rate_hz)]])
    found = np.unique(np.concatenate(times))
    return found[within_bouts(found, rec.bouts, WALK_MATCH_S)]


def _mobgap(detector):
    def detect(t_s, acc_g, gyr_dps, fs):
        return detector.clone().detect(mobgap_columns(acc_g, gyr_dps), sampling_rate_hz=fs).ic_list_["ic"].to_numpy(int)
    return detect


def _formlab(**params):
    def detect(t_s, acc_g, gyr_dps, fs):
        return np.searchsorted(t_s, WalkingContactDetector(**params).detect(t_s, acc_g, fs).t_ic_s.to_numpy())
    return detect


def detections(recordings: list[WalkingRecording]) -> dict[str, list[np.ndarray]]:
    """Initial contact times (s) per detector and recording."""
    from mobgap.initial_contacts import IcdHKLeeImproved, IcdIonescu, IcdShinImproved

    detectors = {"formlab WalkingContactDetector": _formlab(),
                 "mobgap IcdIonescu (McCamley 2012)": _mobgap(IcdIonescu()),
                 "mobgap IcdShinImproved (Shin 2011)": _mobgap(IcdShinImproved()),
                 "mobgap IcdHKLeeImproved (Lee 2010)": _mobgap(IcdHKLeeImproved())}
    found = {"formlab pipeline (its own walking bouts)": [r.pipeline_s for r in recordings]}
    for name, detect in detectors.items():
        found[name] = [in_reference_bouts(r, detect) for r in recordings]
    return found


def detection_at(found: list[np.ndarray], references: list[np.ndarray], tolerance_s: float,
                 shift_s: float = 0.0) -> Detection:
    """Counts over all recordings, each detection moved by ``shift_s`` first."""
    total = Detection(0, 0, 0)
    for det, ref in zip(found, references):
        i_d, _ = match_events(det + shift_s, ref, tolerance_s)
        total += Detection(len(i_d), len(det), len(ref))
    return total


def offsets_ms(found: list[np.ndarray], references: list[np.ndarray]) -> np.ndarray:
    """Detection − reference (ms) of the pairs matched within ``OFFSET_PAIR_S``."""
    out = []
    for det, ref in zip(found, references):
        i_d, i_r = match_events(det, ref, OFFSET_PAIR_S)
        out.append((det[i_d] - ref[i_r]) * 1000)
    return np.concatenate(out)


def sensitivity(recordings: list[WalkingRecording]) -> list[str]:
    """Table rows: formlab's detector F1 (±50 ms) over its two parameters, on the reference bouts."""
    references = [r.reference_s for r in recordings]
    rows = []
    for hz in LOWPASS_GRID_HZ:
        f1 = [detection_at([in_reference_bouts(r, _formlab(lowpass_hz=hz, loading_window_s=w)) for r in recordings],
                           references, WALK_MATCH_S).f1 for w in LOADING_WINDOW_GRID_S]
        rows.append(f"| {hz:g} Hz | " + " | ".join(_fmt(v, 3) for v in f1) + " |")
    return rows


def render(found, recordings: list[WalkingRecording], seconds: float) -> str:
    references = [r.reference_s for r in recordings]
    names = [r.name for r in recordings]
    tol_head = " | ".join(f"F1 ±{t * 1000:.0f} ms" for t in TOLERANCES_S)
    lines = [
        "# Walking initial contacts: formlab beside mobgap's detectors",
        "",
        f"Generated by `python -m formlab.compare_walking_ic` in {seconds:.0f} s with mobgap {version('mobgap')}; "
        "do not edit.",
        "",
        *(re.sub(r"\n(?!- )\s*", " ", para).replace("``", "`") + "\n" for para in __doc__.split("\n\n")[1:4]),
        f"Recordings: {', '.join(names)} ({sum(r.size for r in references)} reference initial contacts).",
        "",
        f"| detector | detected | {tol_head} | median offset ms | offset IQR ms |",
        "|---|---|" + "---|" * len(TOLERANCES_S) + "---|---|",
    ]
    shifted = []
    for name, det in found.items():
        off = offsets_ms(det, references)
        q1, median, q3 = np.percentile(off, [25, 50, 75]) if off.size else (np.nan,) * 3
        f1 = " | ".join(_fmt(detection_at(det, references, t).f1, 3) for t in TOLERANCES_S)
        lines.append(f"| {name} | {sum(d.size for d in det)} | {f1} | {_fmt(median, 0)} | {_fmt(q1, 0)} … {_fmt(q3, 0)} |")
        f1_shifted = " | ".join(_fmt(detection_at(det, references, t, -median / 1000).f1, 3) for t in TOLERANCES_S)
        shifted.append(f"| {name}, shifted by {_fmt(0.0 - median, 0)} ms | {f1_shifted} |")
    window_head = " | ".join(f"window {w * 1000:.0f} ms" for w in LOADING_WINDOW_GRID_S)
    default = WalkingContactDetector()
    lines += ["", "With each detector's median offset taken off (information: a constant delay removed, the "
              "spread left):", "", f"| detector | {tol_head} |", "|---|" + "---|" * len(TOLERANCES_S), *shifted, "",
              f"formlab's detector over its two parameters (low-pass cut-off, loading window; the product uses "
              f"{default.lowpass_hz:g} Hz and {default.loading_window_s * 1000:.0f} ms), F1 within "
              f"±{WALK_MATCH_S * 1000:.0f} ms on the reference bouts:", "",
              f"| low-pass | {window_head} |", "|---|" + "---|" * len(LOADING_WINDOW_GRID_S), *sensitivity(recordings), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m formlab.compare_walking_ic", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the folder of real recordings (default: $FORMLAB_DATA)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "walking-ic-comparison.md")
    args = parser.parse_args(argv)
    try:
        data = data_folder(args.data, "c")
    except InputError as exc:
        print(f"formlab: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    recordings = load(data / "lowerback-walking-indip")
    args.out.write_text(render(detections(recordings), recordings, time.perf_counter() - start), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
