"""Regenerate the shipped six-position calibration sample (seed 7), to try ``formlab calibrate``.

    python benchmarks/make_six_position_recording.py

Writes ``firmware_recordings/six_position_waist-imu-07.csv``: device ``waist-imu-07``, 100 Hz,
accelerometer bias (0.021, -0.034, 0.012) g and scale (1.013, 0.987, 1.006), gyro bias
(0.4, -0.3, 0.2) deg/s (:mod:`formlab.six_position_sim`).
"""

from __future__ import annotations

from pathlib import Path

from formlab.recording import write_recording
from formlab.six_position_sim import six_position_recording

OUT = Path(__file__).resolve().parent.parent / "firmware_recordings" / "six_position_waist-imu-07.csv"


def main() -> None:
    rec = six_position_recording([0.021, -0.034, 0.012], [1.013, 0.987, 1.006], seed=7, device="waist-imu-07")
    rec.metadata.update({"source": "formlab six-position simulation (synthetic)", "license": "CC0-1.0",
                         "activity": "six-position calibration routine: each axis up, then down, 4 s each"})
    write_recording(OUT, rec)
    print(f"{OUT}: {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
