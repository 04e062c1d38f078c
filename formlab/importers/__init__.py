"""Reading what runners record: the format is detected from the header, and a note says which.

Formats: the formlab recording CSV (``docs/recording-format.md``); Phyphox exports; the Sensor
Logger app's per-sensor CSVs (or its zip export, or the unzipped folder); any CSV through a column mapping
(``--columns``), or without one when its header uses common logger names. Before detection the
bytes are made plain (gzip, byte-order mark, CR line ends, semicolons with decimal commas, tabs:
:mod:`formlab.importers.source`). Whatever the format, the clock and the samples then pass the
same checks (:func:`formlab.recording.assemble`).
"""

from __future__ import annotations

import os
from pathlib import Path

from formlab.errors import InputError
from formlab.importers import columns as generic
from formlab.importers import phyphox, sensor_logger, source
from formlab.importers.table import header_of, read_table
from formlab.recording import Recording, parse_recording

def read(path: str | os.PathLike, columns: str | None = None) -> Recording:
    """The recording in ``path`` (a file, or a Sensor Logger export zip or folder), in any known format;
    ``columns``: a column mapping (text or ``.toml`` file, see :mod:`formlab.importers.columns`)."""
    path = str(path)
    if Path(path).is_dir():
        found = sensor_logger.find_in_folder(Path(path))
        if found is None:
            raise InputError(path, None, "is a directory, not a recording (nor a Sensor Logger export folder)")
        path = str(found)
    notes: list[str] = []
    raw = source.read_bytes(path)
    load = sensor_logger.beside(path)
    if raw.startswith(b"PK\x03\x04"):
        path, raw, load = sensor_logger.open_zip(path, raw)
    raw = source.plain(raw, notes)
    if not raw or raw.isspace():
        raise InputError(path, None, "empty file: no header and no samples")
    header, _ = header_of(raw, path)
    if columns is not None:
        mapping = generic.parse_mapping(columns)
        notes.append("read through the column mapping " + ", ".join(f"{k}={n}" + (f":{u}" if u else "")
                                                                    for k, (n, u) in mapping.items()))
        return generic.read_mapped(read_table(raw, path, notes), mapping, notes)
    if _is_formlab(raw, header):
        return parse_recording(raw, path, notes)
    if phyphox.matches(header):
        return phyphox.read(read_table(raw, path, notes), notes)
    if sensor_logger.matches(header):
        return sensor_logger.read(read_table(raw, path, notes), notes, load)
    mapping = generic.auto_mapping(header)
    if mapping is not None:
        notes.append("read as a generic CSV: " + ", ".join(f"{k}={n}" for k, (n, _) in mapping.items())
                     + " (give --columns to set names and units)")
        return generic.read_mapped(read_table(raw, path, notes), mapping, notes)
    shown = ",".join(header)
    raise InputError(path, None, f"header not recognised ({shown[:80]}{'…' if len(shown) > 80 else ''}): not a formlab "
                     "recording, Phyphox or Sensor Logger file; give --columns (see docs/recording-format.md)")


def _is_formlab(raw: bytes, header: list[str]) -> bool:
    """The formlab format: its version line, a ``t_s`` column or ``acc_…``/``gyr_…`` columns, or a
    header-less file (which its reader explains)."""
    return (raw.startswith(b"# formlab-recording") or not header or "t_s" in header
            or any(h.startswith(("acc_", "gyr_", "mag_")) for h in header)
            or not any(c.isalpha() for c in "".join(header)))
