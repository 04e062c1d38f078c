"""Demo of the athlete history: a few weeks of simulated treadmill runs for two athletes, saved
to a new history store, and the coach's roster.

    python benchmarks/demo_history.py --out demo-history          # then open demo-history/roster.html

Alex runs three times a week (twice at 3.3 m/s, once at 3.0 m/s), adds about 5 % a week and
then a third more in the last week, six weeks into a plan; in the last run the right foot stays
on the ground 14 ms longer. Bea runs three times a week at 3.6 m/s and adds 5 % a week. The
recordings are written with :mod:`formlab.simulate`'s library API, then saved exactly as the
command line does it (``formlab batch FOLDER --athlete NAME --save``, ``formlab history plan``,
``formlab roster --html``). Refuses to write into an existing folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np

from formlab.cli import main as formlab
from formlab.simulate import Runner, simulate, treadmill_params, write_simulation

FIRST_MONDAY = date(2026, 10, 5)
RUN_DAYS = (0, 2, 5)  # Monday, Wednesday, Saturday


def _runs(name: str, weeks: int, rng: np.random.Generator):
    """``(start, running_s, runner)`` of every run of one simulated athlete."""
    if name == "Alex":
        base = Runner(cadence_spm=168.0, contact_ms=248.0, tilt_deg=7.0, speed_mps=3.3)
        speeds = (3.3, 3.0, 3.3)
        minutes = [4.0 * 1.05 ** w for w in range(weeks - 1)] + [4.0 * 1.05 ** (weeks - 2) * 1.35]
    else:
        base = Runner(cadence_spm=176.0, contact_ms=226.0, tilt_deg=5.0, speed_mps=3.6)
        speeds = (3.6, 3.6, 3.6)
        minutes = [4.0 * 1.05 ** w for w in range(weeks)]
    for w in range(weeks):
        for k, day in enumerate(RUN_DAYS):
            start = datetime.combine(FIRST_MONDAY + timedelta(weeks=w, days=day), time(7, 30), timezone.utc)
            speed = speeds[k]
            runner = dataclasses.replace(  # a little day-to-day variation, slower runs: lower cadence, longer contact
                base, speed_mps=speed,
                cadence_spm=base.cadence_spm - 8.0 * (base.speed_mps - speed) + rng.normal(0, 0.8),
                contact_ms=base.contact_ms + 25.0 * (base.speed_mps - speed) + rng.normal(0, 2.0))
            if name == "Alex" and w == weeks - 1 and k == len(RUN_DAYS) - 1:
                runner = dataclasses.replace(runner, contact_ms=runner.contact_ms + 7.0, contact_diff_ms=-14.0)
            yield start, minutes[w] * 60.0, runner


def write_recordings(out: Path, weeks: int) -> dict[str, Path]:
    folders = {}
    for seed, name in enumerate(("Alex", "Bea"), start=1):
        folder = out / "recordings" / name
        folder.mkdir(parents=True)
        rng = np.random.default_rng(seed)
        for i, (start, running_s, runner) in enumerate(_runs(name, weeks, rng)):
            params = treadmill_params(runner, duration_s=running_s, standing_s=8.0, rate_hz=100.0, variability_pct=5.0,
                                      metadata={"athlete": name, "device": "formlab-sim",
                                                "start_time_utc": start.isoformat(timespec="seconds")})
            result = simulate(params, seed=100 * seed + i)
            write_simulation(result, folder / f"{start:%Y-%m-%d}_{runner.speed_mps:g}mps.csv",
                             acc_decimals=4, gyr_decimals=2, t_decimals=2)
        folders[name] = folder
        print(f"{name}: {i + 1} recordings in {folder}")
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-history", help="a new folder (default: demo-history)")
    parser.add_argument("--weeks", type=int, default=5, help="weeks of runs (default 5, at least 2)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        sys.exit(f"demo_history: {out} already exists; choose a new folder with --out")
    folders = write_recordings(out, max(2, args.weeks))
    db = str(out / "store" / "history.sqlite")
    for name, folder in folders.items():
        formlab(["batch", str(folder), "--athlete", name, "--save", "--db", db, "--quiet"])
    plan_start = FIRST_MONDAY - timedelta(weeks=6 - max(2, args.weeks))  # the last week is week 6 of the plan
    formlab(["history", "plan", "Alex", plan_start.isoformat(), "--db", db])
    formlab(["history", "--athlete", "Alex", "--db", db])
    formlab(["roster", "--html", str(out / "roster.html"), "--db", db])
    print(f"open {out / 'roster.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
