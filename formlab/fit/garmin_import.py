"""Read a running-dynamics FIT activity (Garmin HRM-Pro, HRM 600, Running Dynamics Pod) into a
1 Hz table, with ``fitdecode`` (MIT).

Columns, in formlab's units: ``t_s`` (seconds since the first record), ``time_utc``,
``cadence_spm`` (= 2 × (cadence + fractional_cadence), FIT cadence being strides/min for running),
``contact_ms`` (stance_time), ``stance_time_pct``, ``ground_contact_balance_left_pct``
(stance_time_balance), ``vertical_oscillation_cm``, ``vertical_ratio_pct``, ``step_length_m``,
``speed_mps`` (enhanced_speed, else speed) and ``heart_rate_bpm``. One row per whole second from the
first record to the last; a second without a record (smart recording) is empty, never invented.

The file must be whole (header and CRC check), a run (not e.g. a cycling activity), and carry
running dynamics (stance time or vertical oscillation in its records); otherwise one
:class:`formlab.errors.InputError` says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formlab.errors import InputError

COLUMNS = ["t_s", "time_utc", "cadence_spm", "contact_ms", "stance_time_pct", "ground_contact_balance_left_pct",
           "vertical_oscillation_cm", "vertical_ratio_pct", "step_length_m", "speed_mps", "heart_rate_bpm"]
_FIELDS = {  # FIT record field: (column, factor from the decoded FIT unit to formlab's)
    "stance_time": ("contact_ms", 1.0),
    "stance_time_percent": ("stance_time_pct", 1.0),
    "stance_time_balance": ("ground_contact_balance_left_pct", 1.0),
    "vertical_oscillation": ("vertical_oscillation_cm", 0.1),  # mm → cm
    "vertical_ratio": ("vertical_ratio_pct", 1.0),
    "step_length": ("step_length_m", 0.001),  # mm → m
    "heart_rate": ("heart_rate_bpm", 1.0),
}
RUNNING_SPORTS = {"running", "generic"}  # a run, or a file that does not say


def read_fit_messages(path: str) -> list:
    """All data messages of a FIT file, its header and CRC checked; one-line errors otherwise."""
    try:
        import fitdecode
    except ImportError:
        raise InputError(path, None, "reading FIT files needs fitdecode: pip install 'formlab[fit]'") from None
    try:
        with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.RAISE,
                                 error_handling=fitdecode.ErrorHandling.RAISE) as reader:
            return [frame for frame in reader if isinstance(frame, fitdecode.FitDataMessage)]
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except fitdecode.FitEOFError:
        raise InputError(path, None, "truncated FIT file (it ends before its declared size)") from None
    except fitdecode.FitCRCError:
        raise InputError(path, None, "corrupt FIT file (its CRC does not match its contents)") from None
    except (fitdecode.FitError, ValueError, KeyError, IndexError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(path, None, f"not a readable FIT file ({reason})") from None


def _value(message, name):
    return message.get_value(name, fallback=None) if message.has_field(name) else None


def import_fit(path: str) -> pd.DataFrame:
    """The 1 Hz running-dynamics table of a FIT activity (see the module docstring)."""
    messages = read_fit_messages(path)
    for session in (m for m in messages if m.name == "session"):
        sport = _value(session, "sport")
        if sport is not None and str(sport) not in RUNNING_SPORTS:
            raise InputError(path, None, f"a {sport} activity, not a run: running dynamics come from runs")
    rows = []
    for m in messages:
        if m.name != "record" or _value(m, "timestamp") is None:
            continue
        row = {"time_utc": pd.Timestamp(_value(m, "timestamp"))}
        cadence = _value(m, "cadence")
        if cadence is not None:
            row["cadence_spm"] = 2.0 * (cadence + (_value(m, "fractional_cadence") or 0.0))
        for name, (column, factor) in _FIELDS.items():
            value = _value(m, name)
            if value is not None:
                row[column] = float(value) * factor
        speed = _value(m, "enhanced_speed")
        row["speed_mps"] = speed if speed is not None else _value(m, "speed")
        rows.append(row)
    if not rows:
        raise InputError(path, None, "no records with a timestamp: not an activity recording")
    table = pd.DataFrame(rows, columns=COLUMNS[1:])
    if table[["contact_ms", "vertical_oscillation_cm"]].isna().all().all():
        raise InputError(path, None, "no running dynamics in its records (no stance time or vertical oscillation): "
                         "record the run with an HRM-Pro, HRM 600 or Running Dynamics Pod")
    t0 = table["time_utc"].iloc[0]
    table.insert(0, "t_s", np.round((table["time_utc"] - t0).dt.total_seconds()))
    table = table.drop_duplicates("t_s", keep="last").set_index("t_s")
    grid = np.arange(0.0, table.index.max() + 1.0)
    table = table.reindex(grid)
    table["time_utc"] = t0 + pd.to_timedelta(grid, unit="s")
    for column in COLUMNS[2:]:
        table[column] = table[column].astype(float)
    return table.rename_axis("t_s").reset_index()[COLUMNS]
