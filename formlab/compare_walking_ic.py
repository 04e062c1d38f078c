"""Walking initial contacts: formlab beside the published lower-back detectors in mobgap.

Runs formlab's walking contact detector and mobgap's three (Mobilise-D) initial-contact detectors
on the same recordings of ``lowerback-walking-indip`` and matches each against the INDIP reference
initial contacts at several tolerances, one-to-one, closest pairs first (as validation part c):

- ``IcdIonescu``: McCamley et al. 2012 (Gait Posture 36:316-318) as modified by Paraschiv-Ionescu
  et al. 2020 (IEEE EMBC 4596-4599): vertical acceleration, band-pass, integral, CWT;
- ``IcdShinImproved``: Shin & Park 2011 (Med Eng Phys 33:1064-1071), modified as above;
- ``IcdHKLeeImproved``: Lee et al. 2010 (Electron Lett 46:1185-1187), modified as above.

All get the same input: formlab's calibrated body-frame acceleration (forward, left, up; sent in
m/s² as mobgap's ``acc_pa``, ``acc_ml``, ``acc_is``), cut to each reference walking bout, so the
mobgap detectors are told where walking is (formlab finds its own bouts). Each detector's timing
offset is its median offset over pairs within ±250 ms; "shifted" rows take it off before
matching, to show what a constant delay costs and what the spread alone allows.

Needs mobgap (``pip install 'formlab[compare]'``). Writes ``docs/walking-ic-comparison.md``::

    python -m formlab.compare_walking_ic
"""

from __future__ import annotations

import argparse
import re
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from formlab.analysis import analyze
from formlab.frames import G_MPS2
from formlab.recording import read_recording
from formlab.validation import (DEFAULT_DATA, REPO, WALK_MATCH_S, Detection, _fmt, match_events,
                                walking_recordings, walking_reference, within_bouts)

TOLERANCES_S = (0.05, 0.10, 0.25, 0.50)
OFFSET_PAIR_S = 0.25  # pairs within this give each detector's median timing offset


def mobgap_columns(acc_g: np.ndarray, gyr_dps: np.ndarray) -> pd.DataFrame:
    """Body-frame acceleration (forward, left, up; g) and angular rate (°/s) as mobgap's body-frame
    columns, acceleration in m/s²: inferior→superior, medio-lateral (towards the left),
    posterior→anterior. mobgap's detectors read the acceleration only, but its input check wants both."""
    acc_mps2 = np.asarray(acc_g, dtype=float) * G_MPS2
    return pd.DataFrame({"acc_is": acc_mps2[:, 2], "acc_ml": acc_mps2[:, 1], "acc_pa": acc_mps2[:, 0],
                         "gyr_is": gyr_dps[:, 2], "gyr_ml": gyr_dps[:, 1], "gyr_pa": gyr_dps[:, 0]})


def _detectors() -> dict:
    from mobgap.initial_contacts import IcdHKLeeImproved, IcdIonescu, IcdShinImproved

    return {"mobgap IcdIonescu (McCamley 2012)": IcdIonescu(), "mobgap IcdShinImproved (Shin 2011)": IcdShinImproved(),
            "mobgap IcdHKLeeImproved (Lee 2010)": IcdHKLeeImproved()}


def detections(folder: Path) -> tuple[dict[str, list[np.ndarray]], list[np.ndarray], list[str]]:
    """Initial contact times (s) per detector and recording, the reference's, and the recording names."""
    mobgap = _detectors()
    found: dict[str, list[np.ndarray]] = {"formlab": [], **{name: [] for name in mobgap}}
    references, names = [], []
    for path in walking_recordings(folder):
        ref, bouts = walking_reference(path)
        analysis = analyze(read_recording(path))
        t_s, fs = analysis.body.t_s, analysis.body.sample_rate_hz
        steps_s = analysis.steps.t_ic_s.to_numpy()
        found["formlab"].append(steps_s[within_bouts(steps_s, bouts, WALK_MATCH_S)])
        for name, detector in mobgap.items():
            times = []
            for b0, b1 in bouts:
                cut = np.flatnonzero((t_s >= b0) & (t_s <= b1))
                ic = detector.clone().detect(mobgap_columns(analysis.body.acc_g[cut], analysis.body.gyr_dps[cut]),
                                                sampling_rate_hz=fs).ic_list_
                times.append(t_s[cut[ic["ic"].to_numpy(dtype=int)]])
            found[name].append(np.unique(np.concatenate(times)))
        references.append(ref.t_s.to_numpy())
        names.append(path.stem)
    return found, references, names


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


def render(found, references, names, seconds: float) -> str:
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
        shifted.append(f"| {name}, shifted by {_fmt(-median, 0)} ms | {f1_shifted} |")
    lines += ["", "With each detector's median offset taken off (information: a constant delay removed, the "
              "spread left):", "", f"| detector | {tol_head} |", "|---|" + "---|" * len(TOLERANCES_S), *shifted, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m formlab.compare_walking_ic", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared real data folder")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "walking-ic-comparison.md")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    found, references, names = detections(args.data / "lowerback-walking-indip")
    args.out.write_text(render(found, references, names, time.perf_counter() - start), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
