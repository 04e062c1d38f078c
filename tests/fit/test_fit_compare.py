"""compare-garmin on constructed Garmin files (written by Garmin's encoder): formlab's own per-second
values of the bundled session, smoothed like a watch, with known offsets, noise, a watch started
earlier and a clock shift; the shift must come back within 1 s and the offsets as the biases."""

import re
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from fit_session import BUNDLED, START
from garmin_like import garmin_fit, smoothed

from formlab.cli import main
from formlab.fit.compare import GarminComparer, NoOverlapError, with_epoch
from formlab.fit.garmin_import import import_fit

SHIFT_S = 37  # Garmin's clock is 37 s ahead of formlab's
EARLY_S = 20  # the watch started 20 s before the recording
OFFSETS = {  # Garmin − formlab, what a chest strap might show; noise SD per second
    "cadence_spm": (0.0, 0.4), "contact_ms": (18.0, 3.0), "ground_contact_balance_left_pct": (0.4, 0.2),
    "vertical_oscillation_cm": (2.5, 0.15), "vertical_ratio_pct": (2.0, 0.15), "step_length_m": (-0.03, 0.01),
}
TOLERANCE = {"cadence_spm": 0.1, "contact_ms": 1.0, "ground_contact_balance_left_pct": 0.1,
             "vertical_oscillation_cm": 0.05, "vertical_ratio_pct": 0.05, "step_length_m": 0.005}


def _garmin_table(per_second: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """The watch's 1 Hz table: row k at true time START - EARLY_S + k."""
    rng = np.random.default_rng(seed)
    ours = per_second.set_index("t_s")
    t_true = np.arange(-EARLY_S, ours.index.max() + 15)
    table = pd.DataFrame({"t_s": t_true + EARLY_S})
    for column, (offset, sd) in OFFSETS.items():
        values = ours[column].reindex(t_true).to_numpy(float)
        table[column] = smoothed(values) + offset + rng.normal(0, sd, len(t_true))
    table["heart_rate_bpm"] = np.round(120 + np.arange(len(table)) / 10)
    return table


@pytest.fixture(scope="module")
def garmin_path(exported, tmp_path_factory):
    path = tmp_path_factory.mktemp("garmin") / "watch.fit"
    watch_start = START - timedelta(seconds=EARLY_S) + timedelta(seconds=SHIFT_S)
    path.write_bytes(garmin_fit(_garmin_table(exported.table), watch_start))
    return path


def test_recovers_the_clock_shift_and_the_biases(exported, garmin_path):
    ours = with_epoch(exported.table, exported.source.start_utc.timestamp())
    comparison = GarminComparer().compare(ours, with_epoch(import_fit(str(garmin_path))))
    al = comparison.alignment
    assert al.signal == "cadence_spm"  # the watch file has no speed
    assert abs(al.shift_s - SHIFT_S) <= 1 and al.r > 0.5 and al.overlap_s > 590
    agreement = comparison.agreement.set_index("metric")
    assert (agreement["minutes"] == 10).all()
    for column, (offset, sd) in OFFSETS.items():
        row = agreement.loc[column]
        assert row["bias"] == pytest.approx(offset, abs=TOLERANCE[column]), column
        assert row["loa_low"] < row["bias"] < row["loa_high"] and row["sd"] < sd, column


def test_a_wrong_shift_would_not_give_the_biases(exported, garmin_path):
    """The recovered shift matters: the runner's slowing cadence and tilting contact make a minute
    off show as a cadence bias."""
    ours = with_epoch(exported.table, exported.source.start_utc.timestamp() + 60)
    garmin = with_epoch(import_fit(str(garmin_path)))
    assert GarminComparer().compare(ours, garmin).alignment.shift_s == SHIFT_S - 60
    unaligned = GarminComparer(max_shift_s=0).compare(ours, garmin)
    assert abs(unaligned.agreement.set_index("metric").loc["cadence_spm", "sd"]) > 0.1


def test_no_overlap_is_an_error(exported, garmin_path):
    ours = with_epoch(exported.table, exported.source.start_utc.timestamp() + 86400)
    with pytest.raises(NoOverlapError, match="not the same run"):
        GarminComparer().compare(ours, with_epoch(import_fit(str(garmin_path))))


def test_compare_garmin_command_writes_a_small_offline_page(exported, garmin_path, tmp_path, capsys):
    out = tmp_path / "cmp.html"
    rc = main(["compare-garmin", str(exported.recording), str(garmin_path), "--html", str(out)])
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    assert f"{SHIFT_S:+d} s from formlab" in text and "Bland" in text and "<svg" in text
    assert "torso" in text  # the known differences are stated
    assert not re.search(r"<script|\bsrc=|https?://", text) and len(text.encode()) < 60_000
    printed = capsys.readouterr().out
    assert f"clock shift {SHIFT_S:+d} s" in printed
    assert main(["compare-garmin", str(exported.recording), str(garmin_path), "--html", str(out)]) == 2
    assert main(["compare-garmin", str(exported.recording), str(garmin_path), "--html", str(garmin_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "--force" in err[0] and "would overwrite the input" in err[1]


def test_without_a_start_time_the_search_starts_at_the_watch_file(garmin_path, tmp_path, capsys):
    """The bundled recording has no start_time_utc: its start is put at the watch's first record
    (true time START - EARLY_S, stamped + SHIFT_S), so the shift found is EARLY_S."""
    out = tmp_path / "cmp.html"
    assert main(["compare-garmin", str(BUNDLED), str(garmin_path), "--html", str(out)]) == 0
    assert f"clock shift {EARLY_S:+d} s" in capsys.readouterr().out
    assert "no start_time_utc" in out.read_text(encoding="utf-8")


def test_speed_aligns_when_cadence_is_flat(exported):
    """A treadmill run in speed stages with the watch's cadence missing: the speed series (the belt
    stages, noisy on the watch) give the shift."""
    from formlab.fit.records import FitSource, per_second
    from formlab.treadmill import speed_at

    stages = [(0.0, 2.8), (200.0, 3.3), (400.0, 3.7)]
    steps = exported.source.steps.assign(speed_mps=lambda s: speed_at(stages, s["t_ic_s"].to_numpy()))
    table = per_second(FitSource(steps, START, exported.source.duration_s, stages))
    ours = with_epoch(table, START.timestamp())
    rng = np.random.default_rng(3)
    garmin = pd.DataFrame({"epoch_s": ours["epoch_s"] + 52})
    for column in OFFSETS:
        garmin[column] = np.nan
    garmin["speed_mps"] = smoothed(table["speed_mps"].to_numpy()) + rng.normal(0, 0.05, len(table))
    al = GarminComparer().align(ours, garmin)
    assert al.signal == "speed_mps" and al.shift_s == 52
