"""Side-label checks of ``docs/validation.md`` (parts c and m), on steps whose true side is known.

* **Reliability**: the labelled steps binned by their stated confidence; in each bin the mean
  stated confidence beside the share actually correct (a reliability diagram as a table,
  DeGroot & Fienberg 1983). A confidence that is true has the two within a few points.
* **Unknown threshold**: the lowest confidence from which on the labelled steps are at least
  :data:`TARGET_ACCURACY` correct; chosen on all subjects (in-sample) and, for each subject, on the
  others only and applied to that subject (leave-one-subject-out), so the page shows what a new
  runner can expect, not the fit.
* **Forward reversed on purpose**: the recording analysed again with its forward (and so left)
  axis turned by 180°, as a wrong forward direction would give. The consistency check of
  :mod:`formlab.sides` must then leave the sides unknown rather than label them backwards.
"""

from __future__ import annotations

import dataclasses

import numpy as np

CONFIDENCE_EDGES = (0.5, 0.9, 0.97, 0.99, 0.999, 1.0)
"""Bins of stated confidence (the last bin includes 1)."""

TARGET_ACCURACY = 0.97
RELIABILITY_TOLERANCE = 0.05
"""Stated confidence and observed accuracy may differ by this much in a bin."""


def reliability(confidence, correct, edges=CONFIDENCE_EDGES) -> list[tuple[float, float, int, float, float]]:
    """Rows ``(low, high, n, mean stated confidence, share correct)`` of the labelled steps,
    binned by confidence (bins without steps left out)."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    rows = []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        last = k == len(edges) - 2
        sel = (conf >= lo) & ((conf <= hi) if last else (conf < hi))
        if sel.any():
            rows.append((lo, hi, int(sel.sum()), float(conf[sel].mean()), float(ok[sel].mean())))
    return rows


def reliability_holds(rows) -> bool:
    """Every bin's observed accuracy within :data:`RELIABILITY_TOLERANCE` of its stated confidence."""
    return bool(rows) and all(abs(stated - observed) <= RELIABILITY_TOLERANCE for _, _, _, stated, observed in rows)


def unknown_threshold(confidence, correct, target: float = TARGET_ACCURACY, edges=CONFIDENCE_EDGES) -> float:
    """The lowest bin edge from which on the labelled steps are at least ``target`` correct (the
    top edge when none is)."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    for edge in edges[:-1]:
        sel = conf >= edge
        if sel.any() and ok[sel].mean() >= target:
            return float(edge)
    return float(edges[-1])


@dataclasses.dataclass(frozen=True)
class Labelling:
    """Steps with a known true side: how many, labelled, labelled correctly."""

    steps: int
    labelled: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.labelled if self.labelled else float("nan")

    @property
    def coverage(self) -> float:
        return self.labelled / self.steps if self.steps else float("nan")


def labelling(confidence, labelled, correct, threshold: float = 0.0) -> Labelling:
    """Counts when steps below ``threshold`` are made unknown as well."""
    conf = np.asarray(confidence, dtype=float)
    kept = np.asarray(labelled, dtype=bool) & (conf >= threshold)
    return Labelling(int(conf.size), int(kept.sum()), int((kept & np.asarray(correct, dtype=bool)).sum()))


def leave_one_subject_out(subject, confidence, labelled, correct) -> tuple[Labelling, dict[str, float]]:
    """Each subject's steps labelled with the unknown threshold chosen on the other subjects;
    returns the pooled counts and the threshold used for each subject."""
    subject = np.asarray(subject)
    conf = np.asarray(confidence, dtype=float)
    lab = np.asarray(labelled, dtype=bool)
    ok = np.asarray(correct, dtype=bool)
    total = Labelling(0, 0, 0)
    thresholds = {}
    for s in sorted(set(subject.tolist())):
        own, others = subject == s, (subject != s) & lab
        thresholds[s] = unknown_threshold(conf[others], ok[others]) if others.any() else 0.0
        part = labelling(conf[own], lab[own], ok[own], thresholds[s])
        total = Labelling(total.steps + part.steps, total.labelled + part.labelled, total.correct + part.correct)
    return total, thresholds


def reversed_forward(calibration):
    """``calibration`` with its forward and left axes turned by 180° about up."""
    return dataclasses.replace(calibration, R_body_from_sensor=np.diag([-1.0, -1.0, 1.0]) @ calibration.R_body_from_sensor)


def side_lines(name: str, subject, confidence, labelled, correct) -> tuple[list[str], Labelling, Labelling, bool]:
    """Page lines for one data set: the reliability table and the in-sample and
    leave-one-subject-out labelling; returns (lines, in-sample, leave-one-out, reliability holds)."""
    conf = np.asarray(confidence, dtype=float)
    lab = np.asarray(labelled, dtype=bool)
    ok = np.asarray(correct, dtype=bool)
    rows = reliability(conf[lab], ok[lab])
    threshold = unknown_threshold(conf[lab], ok[lab])
    inside = labelling(conf, lab, ok, threshold)
    loso, thresholds = leave_one_subject_out(subject, conf, lab, ok)
    lines = [
        f"Reliability of the stated side confidence ({name}; labelled steps with a known true side):",
        "",
        "| stated confidence | steps | mean stated | observed correct | difference (points) |",
        "|---|---|---|---|---|",
        *[f"| {lo:g}–{hi:g} | {n} | {100 * stated:.1f} % | {100 * observed:.1f} % | "
          f"{100 * (observed - stated):+.1f} |" for lo, hi, n, stated, observed in rows],
        "",
        f"Unknown below the confidence from which on labelled steps are ≥ {100 * TARGET_ACCURACY:.0f} % correct: "
        f"{threshold:g} chosen on all subjects (in-sample: {inside.correct} of {inside.labelled} correct, "
        f"{100 * inside.coverage:.1f} % of {inside.steps} labelled); leave-one-subject-out (each subject's "
        f"threshold chosen on the others: " + ", ".join(f"{s} {t:g}" for s, t in thresholds.items()) +
        f"): {loso.correct} of {loso.labelled} correct ({100 * loso.accuracy:.1f} %), "
        f"{100 * loso.coverage:.1f} % labelled.",
    ]
    return lines, inside, loso, reliability_holds(rows)
