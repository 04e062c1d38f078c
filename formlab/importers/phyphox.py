"""Phyphox exports (phyphox.org): ``"Time (s)","Acceleration x (m/s^2)",…`` and, from an
experiment that records both, ``"Gyroscope x (rad/s)",…`` after their own ``"Time (s)"`` column.

The "Acceleration with g" experiment's CSV holds specific force in m/s²; "Linear Acceleration"
(gravity removed) cannot be analysed and is refused. Gyroscope rows are interpolated onto the
accelerometer's times when the two sensors have their own time columns. Units are the ones in
the column names (m/s², rad/s), converted to g and deg/s.
"""

from __future__ import annotations

import re

import numpy as np

from formlab import sensor_checks, timeline
from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.importers.table import Table
from formlab.recording import Recording, assemble

NAME = "Phyphox export"
_ACC = re.compile(r"^(Linear )?Acceleration ([xyz]) \((m/s\^2|g)\)$")
_GYR = re.compile(r"^Gyroscope ([xyz]) \((rad/s|deg/s)\)$")


def matches(header: list[str]) -> bool:
    return bool(header) and header[0] == "Time (s)" and any(_ACC.match(h) for h in header)


def read(table: Table, notes: list[str]) -> Recording:
    header, path = table.header, table.path
    acc = {m.group(2): (i, m) for i, h in enumerate(header) if (m := _ACC.match(h))}
    if any(m.group(1) for _, m in acc.values()):
        raise InputError(path, table.header_line, "Phyphox 'Linear Acceleration' has gravity removed: export the "
                         "'Acceleration with g' experiment instead")
    if sorted(acc) != ["x", "y", "z"]:
        raise InputError(path, table.header_line, "Phyphox export without all of Acceleration x, y, z")
    acc_cols = [header[acc[a][0]] for a in "xyz"]
    t_acc = _time_before(table, acc["x"][0])
    rows = table.rows_with([t_acc, *(acc[a][0] for a in "xyz")])
    t = table.numbers_where(header[t_acc], rows, t_acc)
    acc_g = np.column_stack([table.numbers_where(header[acc[a][0]], rows, acc[a][0]) for a in "xyz"])
    if acc["x"][1].group(3) == "m/s^2":
        acc_g = acc_g / G_MPS2
    gyr = {m.group(1): (i, m) for i, h in enumerate(header) if (m := _GYR.match(h))}
    gyr_dps, gyr_names, gyr_unit = None, None, None
    if sorted(gyr) == ["x", "y", "z"]:
        gyr_names = [header[gyr[a][0]] for a in "xyz"]
        t_gyr = _time_before(table, gyr["x"][0])
        g_rows = table.rows_with([t_gyr, *(gyr[a][0] for a in "xyz")])
        tg = table.numbers_where(header[t_gyr], g_rows, t_gyr)
        values = np.column_stack([table.numbers_where(header[gyr[a][0]], g_rows, gyr[a][0]) for a in "xyz"])
        timeline.check_increasing(tg, path, table.header_line + 1, "gyroscope Time (s)")
        gyr_unit = "rads" if gyr["x"][1].group(2) == "rad/s" else "dps"
        if gyr_unit == "rads":
            values = values * sensor_checks.RAD_TO_DEG
        if t_gyr != t_acc:
            keep = (t >= tg[0]) & (t <= tg[-1])
            t, acc_g = t[keep], acc_g[keep]
            values = np.column_stack([np.interp(t, tg, values[:, k]) for k in range(3)])
            notes.append("Phyphox gyroscope interpolated onto the accelerometer's times")
        gyr_dps = values
    notes.append(f"read as a {NAME} (m/s² → g" + (", rad/s → deg/s)" if gyr_unit == "rads" else ")"))
    return assemble(t, acc_g, gyr_dps, {"source": NAME}, path, table.header_line, notes,
                    acc_names=acc_cols, acc_unit="mps2" if acc["x"][1].group(3) == "m/s^2" else "g",
                    gyr_names=gyr_names, gyr_unit=gyr_unit, time_name="Time (s)")


def _time_before(table: Table, column: int) -> int:
    """Index of the nearest ``Time (s)`` column at or before ``column``."""
    return max(i for i in range(column + 1) if table.header[i] == "Time (s)")
