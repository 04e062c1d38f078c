"""formlab import-fit on files written by Garmin's own encoder (not formlab's writer), and one-line
errors for a truncated, a corrupt, a dynamics-less and a cycling file."""

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest
from garmin_like import garmin_fit

from formlab.cli import main
from formlab.errors import InputError
from formlab.fit.garmin_import import COLUMNS, import_fit

START = datetime(2026, 5, 2, 18, 30, 0, tzinfo=timezone.utc)


def _table(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(17)
    t = np.arange(float(n))
    return pd.DataFrame({
        "t_s": t, "cadence_spm": 166 + 4 * np.sin(t / 7) + rng.normal(0, 0.5, n),
        "contact_ms": 245 + rng.normal(0, 4, n), "stance_time_pct": 34 + rng.normal(0, 0.5, n),
        "ground_contact_balance_left_pct": 49.6 + rng.normal(0, 0.3, n),
        "vertical_oscillation_cm": 8.4 + rng.normal(0, 0.2, n), "vertical_ratio_pct": 7.3 + rng.normal(0, 0.2, n),
        "step_length_m": 1.12 + rng.normal(0, 0.02, n), "speed_mps": 3.1 + rng.normal(0, 0.05, n),
        "heart_rate_bpm": np.round(150 + t / 4),
    })


@pytest.fixture
def garmin_file(tmp_path):
    table = _table()
    path = tmp_path / "garmin.fit"
    path.write_bytes(garmin_fit(table, START))
    return path, table


def test_import_gives_the_written_values_at_1_hz(garmin_file):
    path, table = garmin_file
    got = import_fit(str(path))
    assert list(got.columns) == COLUMNS and len(got) == len(table)
    assert got["time_utc"].iloc[0] == pd.Timestamp(START) and (got["t_s"] == table["t_s"]).all()
    res = {"cadence_spm": 2 / 128, "contact_ms": 0.1, "stance_time_pct": 0.01,
           "ground_contact_balance_left_pct": 0.01, "vertical_oscillation_cm": 0.01, "vertical_ratio_pct": 0.01,
           "step_length_m": 0.0001, "speed_mps": 0.001, "heart_rate_bpm": 1}
    for column, step in res.items():  # Garmin's encoder rounds to the field's resolution
        assert np.abs(got[column] - table[column]).max() <= step / 2 + 1e-9, column


def test_missing_seconds_stay_empty(tmp_path):
    table = _table().drop(index=[10, 11, 12]).reset_index(drop=True)  # smart recording skipped 3 s
    path = tmp_path / "gaps.fit"
    path.write_bytes(garmin_fit(table, START))
    got = import_fit(str(path))
    assert len(got) == 40 and got.loc[10:12, "cadence_spm"].isna().all() and got.loc[13, "cadence_spm"] > 0


def test_import_fit_command_writes_the_csv_and_keeps_existing_files(garmin_file, tmp_path, capsys):
    path, table = garmin_file
    out = tmp_path / "garmin_1hz.csv"
    assert main(["import-fit", str(path), "--csv", str(out)]) == 0
    assert pd.read_csv(out)["cadence_spm"].to_numpy() == pytest.approx(table["cadence_spm"], abs=0.01)
    assert main(["import-fit", str(path), "--csv", str(out)]) == 2
    assert "pass --force to replace it" in capsys.readouterr().err
    assert main(["import-fit", str(path), "--csv", str(path)]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert path.read_bytes()[8:12] == b".FIT"


def _bad_files(tmp_path) -> dict:
    good = garmin_fit(_table(), START)
    corrupt = bytearray(good)
    corrupt[len(good) // 2] ^= 0x5A
    return {
        "truncated": (good[: len(good) // 2], "truncated FIT file"),
        "corrupt": (bytes(corrupt), "corrupt FIT file (its CRC does not match"),
        "no-dynamics": (garmin_fit(_table(), START, dynamics=False), "no running dynamics in its records"),
        "cycling": (garmin_fit(_table(), START, sport="cycling"), "a cycling activity, not a run"),
        "not-fit": (b"t_s,acc_x_g\n0,1\n", "not a readable FIT file"),
    }


@pytest.mark.parametrize("kind", ["truncated", "corrupt", "no-dynamics", "cycling", "not-fit"])
def test_bad_fit_files_give_one_line_errors(tmp_path, capsys, kind):
    data, message = _bad_files(tmp_path)[kind]
    path = tmp_path / f"{kind}.fit"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        import_fit(str(path))
    assert main(["import-fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"formlab: {path}: ") and message in err
    assert "Traceback" not in err
