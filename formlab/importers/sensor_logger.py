"""The Sensor Logger app (iOS, Android; tszheichoi/awesome-sensor-logger, UNITS.md): one CSV per
sensor, each ``time,seconds_elapsed,z,y,x`` (``time`` in ns since the epoch).

Which accelerometer file: ``TotalAcceleration.csv`` (with gravity, Android) is used as is;
``Accelerometer.csv`` has gravity removed, so ``Gravity.csv`` beside it is added back, and without
it the file is refused; ``AccelerometerUncalibrated.csv`` (iOS, in g unless "standardise units" is
on) is taken with its unit found from gravity. ``Gyroscope.csv`` beside the accelerometer file
(rad/s) is interpolated onto the accelerometer's times. Given a folder (the unzipped export), the
files are looked up in it.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from formlab import sensor_checks, timeline
from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.importers import source
from formlab.importers.table import Table, read_table
from formlab.recording import Recording, assemble

NAME = "Sensor Logger export"
HEADER = ["time", "seconds_elapsed", "z", "y", "x"]
ACC_FILES = ("TotalAcceleration.csv", "AccelerometerUncalibrated.csv", "Accelerometer.csv")


def matches(header: list[str]) -> bool:
    return header[:2] == HEADER[:2] and {"x", "y", "z"} <= set(header)


def find_in_folder(folder: Path) -> Path | None:
    """The accelerometer file of an unzipped export folder, or None."""
    return next((folder / name for name in ACC_FILES if (folder / name).is_file()), None)


def beside(path: str) -> Callable[[str], bytes | None]:
    """Loader of the files next to ``path`` (an export folder's other sensors)."""
    def load(name: str) -> bytes | None:
        other = Path(path).with_name(name)
        return source.read_bytes(str(other)) if other.is_file() else None
    return load


def open_zip(path: str, raw: bytes) -> tuple[str, bytes, Callable[[str], bytes | None]]:
    """The accelerometer member of a zipped export: its label (``export.zip/TotalAcceleration.csv``),
    its bytes, and a loader of the other members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = {Path(info.filename).name: info for info in archive.infolist() if not info.is_dir()}
    except zipfile.BadZipFile as exc:
        raise InputError(path, None, f"damaged zip file: {exc}") from None

    def load(name: str) -> bytes | None:
        info = members.get(name)
        if info is None:
            return None
        if info.file_size > source.MAX_UNCOMPRESSED_BYTES:
            raise InputError(f"{path}/{name}", None, "inflates beyond 2 GiB: not a recording formlab can read")
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}/{name}", None, f"damaged zip member: {exc}") from None

    name = next((n for n in ACC_FILES if n in members), None)
    if name is None:
        raise InputError(path, None, f"a zip file without any of {', '.join(ACC_FILES)}: not a Sensor Logger export")
    return f"{path}/{name}", load(name), load


def read(table: Table, notes: list[str], load: Callable[[str], bytes | None]) -> Recording:
    """The recording from the accelerometer ``table``; ``load(name)``: another file of the export."""
    t, acc = _xyz(table)
    kind = Path(table.path).name
    if kind == "Accelerometer.csv":
        gravity = _sibling(table.path, "Gravity.csv", load, notes)
        if gravity is None:
            raise InputError(table.path, None, "Sensor Logger's Accelerometer.csv has gravity removed and no "
                             "Gravity.csv is beside it: export TotalAcceleration or Gravity as well")
        acc = acc + _on_times(t, *gravity)
    unit = "mps2" if kind != "AccelerometerUncalibrated.csv" else sensor_checks.infer_accelerometer_unit(
        acc, table.path, table.header_line)
    acc_g = acc / G_MPS2 if unit == "mps2" else acc
    gyr_dps = None
    gyro = _sibling(table.path, "Gyroscope.csv", load, notes)
    if gyro is not None:
        tg = gyro[0]
        keep = (t >= tg[0]) & (t <= tg[-1])
        t, acc_g = t[keep], acc_g[keep]
        gyr_dps = _on_times(t, *gyro) * sensor_checks.RAD_TO_DEG
    notes.append(f"read as a {NAME} ({kind}{' + Gravity.csv' if kind == 'Accelerometer.csv' else ''}"
                 f"{' + Gyroscope.csv, rad/s → deg/s' if gyr_dps is not None else ', no Gyroscope.csv beside it'}; "
                 f"{'m/s² → g' if unit == 'mps2' else 'in g'})")
    metadata = {"source": NAME}
    epoch_ns = table.numbers("time")[0]
    if 0 <= epoch_ns < 2.0 ** 62:  # a date numpy can hold (up to the year 2116)
        metadata["start_time_utc"] = np.datetime_as_string(np.datetime64(int(epoch_ns), "ns"), "ms") + "Z"
    return assemble(t, acc_g, gyr_dps, metadata, table.path, table.header_line, notes,
                    acc_names=["x", "y", "z"], acc_unit=unit, gyr_names=["x", "y", "z"] if gyr_dps is not None else None,
                    gyr_unit="rads", time_name="seconds_elapsed")


def _xyz(table: Table) -> tuple[np.ndarray, np.ndarray]:
    return table.numbers("seconds_elapsed"), np.column_stack([table.numbers(a) for a in "xyz"])


def _sibling(path: str, name: str, load: Callable[[str], bytes | None],
             notes: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    raw = load(name)
    if raw is None:
        return None
    other = str(Path(path).with_name(name))
    table = read_table(source.plain(raw, notes), other, notes)
    if not matches(table.header):
        raise InputError(other, table.header_line, f"not a Sensor Logger file (header {', '.join(HEADER)})")
    t, values = _xyz(table)
    timeline.check_increasing(t, other, table.header_line + 1, "seconds_elapsed")
    return t, values


def _on_times(t: np.ndarray, t_other: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(t, t_other, values[:, k]) for k in range(3)])
