"""Build Garmin-like running-dynamics FIT files with Garmin's own encoder (garmin-fit-sdk), a
different writer than formlab's export (fit-tool), so the import is not only tested against itself.

The files look like a watch's: file_id from Garmin, timer events, 1 Hz records with the native
running-dynamics fields a chest strap or pod adds, one lap, a session and the activity.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from garmin_fit_sdk import Encoder, Profile

MESG = Profile["mesg_num"]
RECORD_FIELDS = {  # table column -> (FIT field, factor to the FIT unit)
    "contact_ms": ("stance_time", 1.0),
    "stance_time_pct": ("stance_time_percent", 1.0),
    "ground_contact_balance_left_pct": ("stance_time_balance", 1.0),
    "vertical_oscillation_cm": ("vertical_oscillation", 10.0),
    "vertical_ratio_pct": ("vertical_ratio", 1.0),
    "step_length_m": ("step_length", 1000.0),
    "heart_rate_bpm": ("heart_rate", 1.0),
}


def garmin_fit(table: pd.DataFrame, start: datetime, sport: str = "running", dynamics: bool = True) -> bytes:
    """A FIT activity whose record ``k`` (at ``start + t_s[k]``) carries ``table``'s row ``k``:
    ``cadence_spm`` as strides/min + fractional, ``speed_mps`` as enhanced_speed, the running
    dynamics of :data:`RECORD_FIELDS` (left out with ``dynamics=False``). NaN values are left out."""
    enc = Encoder()
    end = start + timedelta(seconds=float(table["t_s"].iloc[-1]))
    enc.write_mesg({"mesg_num": MESG["FILE_ID"], "type": "activity", "manufacturer": "garmin", "product": 3113,
                    "serial_number": 3412345678, "time_created": start})
    enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": start, "event": "timer", "event_type": "start"})
    for row in table.to_dict("records"):
        mesg = {"mesg_num": MESG["RECORD"], "timestamp": start + timedelta(seconds=float(row["t_s"]))}
        if "speed_mps" in row and not math.isnan(row["speed_mps"]):
            mesg["enhanced_speed"] = row["speed_mps"]
        if dynamics and not math.isnan(row.get("cadence_spm", math.nan)):
            strides = row["cadence_spm"] / 2.0
            mesg["cadence"] = int(strides)
            mesg["fractional_cadence"] = strides - int(strides)
        for column, (name, factor) in RECORD_FIELDS.items():
            if column in row and not math.isnan(row[column]) and (dynamics or name == "heart_rate"):
                mesg[name] = row[column] * factor
        enc.write_mesg(mesg)
    duration = (end - start).total_seconds()
    enc.write_mesg({"mesg_num": MESG["EVENT"], "timestamp": end, "event": "timer", "event_type": "stop_all"})
    common = {"timestamp": end, "start_time": start, "total_elapsed_time": duration, "total_timer_time": duration,
              "sport": sport}
    enc.write_mesg({"mesg_num": MESG["LAP"], "message_index": 0, "event": "lap", "event_type": "stop", **common})
    enc.write_mesg({"mesg_num": MESG["SESSION"], "message_index": 0, "event": "session", "event_type": "stop",
                    "first_lap_index": 0, "num_laps": 1, **common})
    enc.write_mesg({"mesg_num": MESG["ACTIVITY"], "timestamp": end, "num_sessions": 1, "type": "manual",
                    "event": "activity", "event_type": "stop", "total_timer_time": duration})
    return bytes(enc.close())


def smoothed(values: np.ndarray, seconds: int = 5) -> np.ndarray:
    """A watch-like moving average over ``seconds`` (NaN kept where the input is NaN)."""
    s = pd.Series(values).rolling(seconds, center=True, min_periods=1).mean().to_numpy()
    return np.where(np.isfinite(values), s, np.nan)
