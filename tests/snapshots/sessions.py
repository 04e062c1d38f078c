"""The sessions whose SUMMARY.json and STEPS.csv are kept as snapshots, and how to write them.

Two bundled recordings and one simulated asymmetric runner. After a change that moves a number on
purpose, write the snapshots again and commit them with the change::

    python tests/snapshots/sessions.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from formlab.analysis import analyze  # noqa: E402
from formlab.metrics import STEPS_COLUMNS  # noqa: E402
from formlab.recording import read_recording  # noqa: E402
from formlab.simulate import Phase, Runner, SimParams, simulate  # noqa: E402
from formlab.summary import steps_table  # noqa: E402

ASYMMETRIC = Runner(cadence_spm=172.0, contact_ms=240.0, contact_diff_ms=30.0, impact_left_bw=2.0,
                    impact_right_bw=2.6, braking_mps=0.10, drop_left_deg=5.0, drop_right_deg=7.0,
                    speed_mps=3.33)
"""The left foot stays 30 ms longer on the ground, the right lands harder, the right hip drops."""


def asymmetric_recording():
    params = SimParams(phases=[Phase(10.0, "standing"), Phase(180.0, "running", ASYMMETRIC)],
                       rate_hz=104.0)
    return simulate(params, 11).recording


SESSIONS = {
    "treadmill_10min": lambda: read_recording(
        str(REPO / "firmware_recordings" / "simulated_treadmill_10min.csv")),
    "shimmer_sacrum": lambda: read_recording(
        str(REPO / "firmware_recordings" / "shimmer_sacrum_512hz.csv")),
    "simulated_asymmetric": asymmetric_recording,
}


def outputs(name: str) -> tuple[dict, str]:
    """SUMMARY.json (as a dict, the recording path left out: it depends on the checkout) and
    STEPS.csv text of session ``name``."""
    analysis = analyze(SESSIONS[name]())
    summary = json.loads(json.dumps(analysis.summary, allow_nan=False))
    summary["recording"].pop("path", None)
    return summary, steps_table(analysis.steps, STEPS_COLUMNS).to_csv(index=False)


def main() -> None:
    for name in SESSIONS:
        summary, steps_csv = outputs(name)
        (HERE / f"{name}.summary.json").write_text(json.dumps(summary, indent=1) + "\n",
                                                   encoding="utf-8")
        (HERE / f"{name}.steps.csv").write_text(steps_csv, encoding="utf-8")
        print(f"wrote tests/snapshots/{name}.summary.json and .steps.csv")


if __name__ == "__main__":
    main()
