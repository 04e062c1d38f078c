"""Regenerate the shipped synthetic demo recording and its truth (reproducible, seed 2026).

    python benchmarks/make_firmware_recording.py

Writes ``firmware_recordings/simulated_treadmill_10min.csv`` (100 Hz, 10 s standing, ~10 min at
3.33 m/s; see :func:`formlab.simulate.demo_params` for the mild problems built in) and
``firmware_recordings/simulated_treadmill_10min.truth.csv`` beside it.
"""

from __future__ import annotations

from pathlib import Path

from formlab.simulate import demo_params, simulate, write_simulation

SEED = 2026
OUT = Path(__file__).resolve().parent.parent / "firmware_recordings"


def main() -> None:
    params = demo_params()
    result = simulate(params, seed=SEED)
    recording = OUT / "simulated_treadmill_10min.csv"
    truth = OUT / "simulated_treadmill_10min.truth.csv"
    # 100 Hz sensor clock: two decimals are exact for t_s; 0.1 mg and 0.01 deg/s keep it small
    write_simulation(result, recording, truth, acc_decimals=4, gyr_decimals=2, t_decimals=2)
    for path in (recording, truth):
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
