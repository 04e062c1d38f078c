"""Generic CSVs: a column mapping names the time, accelerometer and (optional) gyroscope columns.

The mapping is ``--columns "t=timestamp:ms,ax=ax:g,ay=ay:g,az=az:g,gx=gx:dps,gy=gy:dps,gz=gz:dps"``
or a TOML file with the same keys (``t = "timestamp:ms"``). A unit left out is inferred and said
in a note: the time unit from the sampling rate (:func:`formlab.timeline.settle_clock`), the
accelerometer's from gravity, the gyroscope's from the size of the rates while moving
(:mod:`formlab.sensor_checks`). A header of common logger names (``timestamp,ax,ay,az,gx,gy,gz``)
is mapped without being told. A time column of ISO 8601 timestamps is read as such.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from formlab import sensor_checks, timeline
from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.importers.table import Table, metadata_of
from formlab.recording import Recording, assemble

KEYS = ("t", "ax", "ay", "az", "gx", "gy", "gz")
ACC_UNITS = {"g": "g", "mps2": "mps2", "m/s^2": "mps2", "m/s2": "mps2", "m/s²": "mps2"}
GYR_UNITS = {"dps": "dps", "deg/s": "dps", "rads": "rads", "rad/s": "rads"}
_AUTO = {  # normalised header name -> key
    **{n: "t" for n in ("t", "time", "timestamp", "ts", "times", "timeinms", "timems", "timestampms")},
    **{f"{p}{a}": f"a{a}" for p in ("a", "acc", "accel", "acceleration", "accelerometer") for a in "xyz"},
    **{f"{p}{a}": f"g{a}" for p in ("g", "gyr", "gyro", "gyroscope", "w", "rot", "rotationrate") for a in "xyz"},
}


def parse_mapping(text: str, source: str = "--columns") -> dict[str, tuple[str, str | None]]:
    """``{'t': ('timestamp', 'ms'), 'ax': ('ax', 'g'), ...}`` from the option's text or a TOML file."""
    if text.endswith(".toml"):
        try:
            items = tomllib.loads(Path(text).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(text, None, f"cannot read the column mapping: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(text, None, f"not TOML: {exc}") from None
        source, pairs = text, [(k, str(v)) for k, v in items.items()]
    else:
        pairs = [item.partition("=")[::2] for item in text.split(",") if item.strip()]
    mapping: dict[str, tuple[str, str | None]] = {}
    for key, value in pairs:
        key = key.strip()
        if key not in KEYS:
            raise InputError(source, None, f"unknown key {key!r} in the column mapping (use {', '.join(KEYS)})")
        name, _, unit = value.strip().rpartition(":") if ":" in value else (value.strip(), "", "")
        mapping[key] = (name.strip(), unit.strip() or None)
    missing = [k for k in KEYS[:4] if k not in mapping]
    if missing:
        raise InputError(source, None, f"the column mapping needs t, ax, ay and az (missing {', '.join(missing)})")
    if any(k in mapping for k in KEYS[4:]) and not all(k in mapping for k in KEYS[4:]):
        raise InputError(source, None, "the column mapping needs all of gx, gy, gz or none")
    return mapping


def auto_mapping(header: list[str]) -> dict[str, tuple[str, str | None]] | None:
    """A mapping for a header of common logger names, or None."""
    found: dict[str, tuple[str, str | None]] = {}
    for name in header:
        key = _AUTO.get(re.sub(r"[^a-z]", "", name.lower()))
        if key and key not in found:
            found[key] = (name, None)
    if not all(k in found for k in KEYS[:4]):
        return None
    if not all(k in found for k in KEYS[4:]):
        found = {k: v for k, v in found.items() if k in KEYS[:4]}
    return found


def read_mapped(table: Table, mapping: dict[str, tuple[str, str | None]], notes: list[str]) -> Recording:
    """The recording from ``table`` through ``mapping`` (see the module docstring)."""
    path = table.path
    for key, (name, _) in mapping.items():
        if name not in table.header:
            raise InputError(path, table.header_line, f"column {name!r} (for {key}) is not in the header")
    metadata = metadata_of(table.comments)
    t_name, t_unit = mapping["t"]
    t, unit_known = time_values(table, t_name, t_unit, metadata, notes)
    acc = np.column_stack([table.numbers(mapping[k][0]) for k in ("ax", "ay", "az")])
    acc_unit = _unit(mapping["ax"][1], ACC_UNITS, "accelerometer", path)
    if acc_unit is None:
        acc_unit = sensor_checks.infer_accelerometer_unit(acc, path, table.header_line)
        notes.append(f"accelerometer unit not given: read as {'g' if acc_unit == 'g' else 'm/s²'} from gravity")
    acc_g = acc / G_MPS2 if acc_unit == "mps2" else acc
    gyr_dps, gyr_unit = None, None
    if "gx" in mapping:
        gyr = np.column_stack([table.numbers(mapping[k][0]) for k in ("gx", "gy", "gz")])
        gyr_unit = _unit(mapping["gx"][1], GYR_UNITS, "gyroscope", path)
        if gyr_unit is None:
            gyr_unit = sensor_checks.infer_gyroscope_unit(gyr, acc_g)
            notes.append(f"gyroscope unit not given: read as {'rad/s' if gyr_unit == 'rads' else 'deg/s'} "
                         "from the size of the rates")
        gyr_dps = gyr * sensor_checks.RAD_TO_DEG if gyr_unit == "rads" else gyr
    return assemble(t, acc_g, gyr_dps, metadata, path, table.header_line, notes,
                    acc_names=[mapping[k][0] for k in ("ax", "ay", "az")], acc_unit=acc_unit,
                    gyr_names=[mapping[k][0] for k in ("gx", "gy", "gz")] if gyr_dps is not None else None,
                    gyr_unit=gyr_unit, time_name=t_name, time_unit_known=unit_known)


def time_values(table: Table, name: str, unit: str | None, metadata: dict[str, str],
                notes: list[str]) -> tuple[np.ndarray, bool]:
    """The time column in seconds when its unit is known (given, or ISO timestamps), else raw."""
    column = table.frame[table.header.index(name)]
    if not pd.api.types.is_numeric_dtype(column) and unit is None:
        stamps = pd.to_datetime(column, errors="coerce", utc=True, format="ISO8601")
        if stamps.notna().all():
            metadata.setdefault("start_time_utc", stamps.iloc[0].isoformat())
            notes.append(f"{name} read as ISO 8601 timestamps")
            return (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy(), True
    t = table.numbers(name)
    if unit is None:
        return t, False
    if unit not in timeline.TIME_UNITS_S:
        raise InputError(table.path, None, f"unknown time unit {unit!r} (use s, ms, us or ns)")
    return t * timeline.TIME_UNITS_S[unit], True


def _unit(unit: str | None, allowed: dict[str, str], what: str, path: str) -> str | None:
    if unit is None:
        return None
    if unit.lower() not in allowed:
        raise InputError(path, None, f"unknown {what} unit {unit!r} (use {' or '.join(dict.fromkeys(allowed))})")
    return allowed[unit.lower()]
