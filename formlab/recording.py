"""The ``Recording`` type and the formlab recording CSV format (``docs/recording-format.md``).

A recording is samples on the sensor clock, in the sensor's own axes, with units taken from the
column names and converted on reading to one internal set: accelerometer in g, gyroscope in deg/s,
magnetometer in µT. Every malformed input raises :class:`formlab.errors.InputError` naming file,
line and problem; nothing is repaired silently: the few repairs (a truncated final line, a time
column in ms/µs/ns, isolated out-of-range samples, a dead gyroscope left out; see :func:`assemble`)
each leave a note in ``Recording.warnings``. Other apps' files: :mod:`formlab.importers`.
"""

from __future__ import annotations

import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formlab import sensor_checks, timeline
from formlab.errors import InputError
from formlab.frames import G_MPS2
from formlab.timebase import MAX_INTERPOLATED_GAP_S

FORMAT_VERSION = "1"
GAP_FACTOR = 1.5  # a step in t_s longer than this many nominal periods is a gap (spec)

_UNIT_SCALE = {
    "acc": {"g": 1.0, "mps2": 1.0 / G_MPS2},
    "gyr": {"dps": 1.0, "rads": 180.0 / np.pi},
    "mag": {"ut": 1.0},
}
_INTERNAL_UNIT = {"acc": "g", "gyr": "dps", "mag": "ut"}
_SENSOR_COLUMN = re.compile(r"^(acc|gyr|mag)_([xyz])_(\w+)$")
_PLAIN_COLUMNS = {"t_s", "sample_index", "host_time_s"}


@dataclass(frozen=True)
class Gap:
    """A hole in the sample stream: the last sample before it and the first after it."""

    start_s: float
    end_s: float
    missing_samples: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Recording:
    """Samples of one IMU on its own clock and axes (see ``docs/architecture.md``)."""

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None = None
    mag_ut: np.ndarray | None = None
    sample_index: np.ndarray | None = None
    host_time_s: np.ndarray | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    sample_rate_hz: float = 0.0
    path: str | None = None
    gaps: list[Gap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t_s = np.asarray(self.t_s, dtype=float)
        self.acc_g = np.asarray(self.acc_g, dtype=float).reshape(-1, 3)
        if self.gyr_dps is not None:
            self.gyr_dps = np.asarray(self.gyr_dps, dtype=float).reshape(-1, 3)
        if not self.sample_rate_hz:
            self.sample_rate_hz = _nominal_rate_hz(self.metadata, self.t_s)
        if not self.gaps:
            self.gaps = find_gaps(self.t_s, self.sample_rate_hz, self.sample_index)

    @property
    def n_samples(self) -> int:
        return int(self.t_s.size)

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if self.t_s.size else 0.0

    @property
    def has_gyro(self) -> bool:
        return self.gyr_dps is not None

    @property
    def lost_s(self) -> float:
        """Seconds of signal missing in gaps (gap length minus one nominal period each)."""
        period_s = 1.0 / self.sample_rate_hz
        return float(sum(g.missing_samples for g in self.gaps) * period_s)

    @property
    def name(self) -> str:
        return Path(self.path).name if self.path else "recording"


def find_gaps(t_s: np.ndarray, sample_rate_hz: float, sample_index: np.ndarray | None = None) -> list[Gap]:
    """Steps in ``t_s`` longer than 1.5 nominal periods (spec); exact counts from ``sample_index``."""
    if t_s.size < 2 or sample_rate_hz <= 0:
        return []
    dt_s = np.diff(t_s)
    where = np.flatnonzero(dt_s > GAP_FACTOR / sample_rate_hz)
    if sample_index is not None:
        missing = np.diff(np.asarray(sample_index, dtype=np.int64))[where] - 1
    else:
        missing = np.rint(dt_s[where] * sample_rate_hz).astype(np.int64) - 1
    return [Gap(float(t_s[i]), float(t_s[i + 1]), int(max(m, 1))) for i, m in zip(where, missing)]


def _nominal_rate_hz(metadata: dict[str, str], t_s: np.ndarray) -> float:
    if "sample_rate_hz" in metadata:
        return float(metadata["sample_rate_hz"])
    if t_s.size >= 2:
        return float(1.0 / np.median(np.diff(t_s)))
    return 0.0


# --------------------------------------------------------------------------------------------
# reading


def read_recording(path: str | os.PathLike, columns: str | None = None) -> Recording:
    """Read a recording (formlab CSV or an imported format, see :mod:`formlab.importers`); raise
    :class:`InputError` (file:line: problem) on bad input. ``columns``: a column mapping."""
    from formlab.importers import read

    return read(path, columns)


def parse_recording(raw: bytes, path: str = "<input>", notes: list[str] | None = None) -> Recording:
    """Parse the bytes of a recording (see :func:`read_recording`).

    The samples are handed to pandas' C parser straight from the bytes: decoding the whole file
    to a string first tripled the peak memory of a one-hour recording. The checks around it scan
    ``raw`` in place (no ``strip`` or slice of the whole body: each was a 45 MB copy per hour).
    """
    if not raw or raw.isspace():
        raise InputError(path, None, "empty file: no header and no samples")
    head_lines, body_start = _split_head(raw, path)
    metadata, header_idx = _parse_metadata(head_lines, path)
    if header_idx >= len(head_lines) or not head_lines[header_idx].strip():
        raise InputError(path, header_idx + 1, "header row missing after the metadata lines")
    header_line = header_idx + 1
    columns = [c.strip() for c in head_lines[header_idx].split(",")]
    layout = _parse_header(columns, path, header_line)

    body_end = _end_without_newlines(raw)
    if _NOT_SPACE.search(raw, body_start, body_end) is None:
        raise InputError(path, header_line, "no samples after the header row")
    n_rows = raw.count(b"\n", body_start, body_end) + 1
    warnings: list[str] = list(notes or [])
    last_start = raw.rfind(b"\n", body_start, body_end) + 1 or body_start
    if not raw.endswith(b"\n") and _is_cut_row(raw, last_start, body_end, body_start, len(columns)):
        warnings.append(f"{path}:{header_line + n_rows}: truncated final line dropped")
        n_rows -= 1
        if n_rows == 0:
            raise InputError(path, header_line, "no complete samples after the header row")

    values = _parse_values(raw, body_start, n_rows, columns, path, header_line)
    return _build_recording(values, columns, layout, metadata, path, header_line, warnings)


_NOT_SPACE = re.compile(rb"\S")  # ASCII non-whitespace, the complement of what bytes.strip() removes


def _end_without_newlines(raw: bytes) -> int:
    """Length of ``raw`` without its final newline(s) (``len(raw.rstrip(b"\\r\\n"))``, no copy)."""
    end = len(raw)
    while end and raw[end - 1] in b"\r\n":
        end -= 1
    return end


def _split_head(raw: bytes, path: str) -> tuple[list[str], int]:
    """The metadata lines and the header row, decoded; and where the samples start in ``raw``."""
    head: list[str] = []
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        try:
            line = raw[pos:end].decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(path, len(head) + 1, "not UTF-8 text (is this a CSV recording?)") from None
        head.append(line.rstrip("\r"))
        pos = end + 1
        if not line.startswith("#"):
            break
    return head, pos


def _parse_metadata(lines: list[str], path: str) -> tuple[dict[str, str], int]:
    """``# key: value`` lines at the top; returns them and the index of the header row."""
    metadata: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        content = lines[i][1:].strip()
        if content:
            key, sep, value = content.partition(":")
            if not sep or not key.strip():
                raise InputError(path, i + 1, f"metadata line is not '# key: value': {lines[i]!r}")
            metadata[key.strip()] = value.strip()
        i += 1
    version = metadata.get("formlab-recording")
    if version is not None and version != FORMAT_VERSION:
        raise InputError(path, 1, f"recording format version {version!r} is not supported (this formlab reads {FORMAT_VERSION})")
    if "sample_rate_hz" in metadata:
        try:
            rate = float(metadata["sample_rate_hz"])
        except ValueError:
            rate = float("nan")
        line = next(k + 1 for k in range(i) if lines[k][1:].strip().startswith("sample_rate_hz"))
        if not np.isfinite(rate) or rate <= 0:
            raise InputError(path, line, f"sample_rate_hz must be a positive number, got {metadata['sample_rate_hz']!r}")
        if not timeline.rate_in_range(rate):
            raise InputError(path, line, f"sample_rate_hz {rate:g} is not a sensor's sampling rate "
                             f"({timeline.MIN_RATE_HZ:g} to {timeline.MAX_RATE_HZ:g} Hz)")
    return metadata, i


@dataclass(frozen=True)
class _Layout:
    sensors: dict[str, tuple[list[int], str]]  # 'acc' -> (column indices x,y,z, unit)
    t_col: int
    sample_index_col: int | None
    host_time_col: int | None


def _parse_header(columns: list[str], path: str, line: int) -> _Layout:
    seen: dict[str, dict[str, tuple[int, str]]] = {}
    plain: dict[str, int] = {}
    for i, name in enumerate(columns):
        if name in plain or any(name == f"{k}_{a}_{u}" for k, d in seen.items() for a, (_, u) in d.items()):
            raise InputError(path, line, f"column {name!r} appears twice")
        if name in _PLAIN_COLUMNS:
            plain[name] = i
            continue
        m = _SENSOR_COLUMN.match(name)
        if m is None:
            if re.match(r"^(acc|gyr|mag)_", name):
                raise InputError(path, line, f"column {name!r} is not <sensor>_<x|y|z>_<unit>")
            continue  # unknown non-sensor column: kept out of the analysis, not an error
        kind, axis, unit = m.groups()
        if unit not in _UNIT_SCALE[kind]:
            allowed = " or ".join(_UNIT_SCALE[kind])
            raise InputError(path, line, f"column {name!r} has unknown unit {unit!r} (expected {allowed})")
        seen.setdefault(kind, {})[axis] = (i, unit)
    if "t_s" not in plain:
        raise InputError(path, line, "missing column 't_s'")
    sensors: dict[str, tuple[list[int], str]] = {}
    for kind, axes in seen.items():
        missing = [a for a in "xyz" if a not in axes]
        if missing:
            unit = next(iter(axes.values()))[1]
            raise InputError(path, line, f"missing column {kind}_{missing[0]}_{unit}")
        units = {u for _, u in axes.values()}
        if len(units) > 1:
            raise InputError(path, line, f"{kind} columns mix units {sorted(units)}")
        sensors[kind] = ([axes[a][0] for a in "xyz"], units.pop())
    if "acc" not in sensors:
        raise InputError(path, line, "missing column acc_x_g (accelerometer columns acc_x/y/z_<g|mps2> are required)")
    return _Layout(sensors, plain["t_s"], plain.get("sample_index"), plain.get("host_time_s"))


def _is_cut_row(raw: bytes, start: int, end: int, body_start: int, n_columns: int) -> bool:
    """Whether the last row, which has no line end, was cut mid-write: malformed, or its last
    value has fewer decimals than that column has in the rows before it (writers use fixed decimals)."""
    row = raw[start:end].decode("utf-8", "replace")
    if _is_malformed_row(row, n_columns):
        return True
    window = max(body_start, start - 4096)
    before = raw[window:start].rstrip(b"\r\n").split(b"\n")[0 if window == body_start else 1:]
    decimals = [len(line.rpartition(b",")[2].partition(b".")[2].strip()) for line in before]
    return len(row.rpartition(",")[2].partition(".")[2].strip()) < max(decimals, default=0)


def _is_malformed_row(row: str, n_columns: int) -> bool:
    fields = row.split(",")
    if len(fields) != n_columns:
        return True
    try:
        [float(f) for f in fields if f.strip()]
    except ValueError:
        return True
    return any(not f.strip() for f in fields)


def _parse_values(raw: bytes, body_start: int, n_rows: int, columns: list[str], path: str,
                  header_line: int) -> list[np.ndarray]:
    """Parse the numeric body fast (pandas C parser) into one array per column; locate any problem
    precisely on failure. Per column: ``frame.to_numpy()`` interleaved the chunks pandas parsed
    into one more copy of the whole table (40 MB and ~35 ms per hour at 200 Hz).

    From ``PARALLEL_MIN_ROWS`` rows the body is cut at the line break nearest its middle and the
    two halves are parsed on two threads: the C parser tokenises and converts without holding
    the GIL, so an hour at 200 Hz reads in ~0.15 s instead of ~0.3 s on two cores (the same
    numbers: each half is parsed by the same code, and the row count is checked as before).
    """
    parts = _body_parts(raw, body_start, n_rows)
    try:
        if len(parts) == 1:
            frames = [_parse_part(*parts[0], len(columns))]
        else:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                frames = list(pool.map(lambda part: _parse_part(*part, len(columns)), parts))
        if sum(frame.shape[0] for frame in frames) != n_rows:
            raise ValueError("row count mismatch")
        values = _column_arrays(frames, len(columns))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        _raise_first_bad_row(_body_lines(raw, body_start, n_rows, path, header_line), columns, path, header_line)
        raise  # pragma: no cover - _raise_first_bad_row always raises
    finite = np.ones(n_rows, dtype=bool)
    for column in values:
        finite &= np.isfinite(column)
    bad = np.flatnonzero(~finite)
    if bad.size:
        lines = _body_lines(raw, body_start, n_rows, path, header_line)
        _raise_first_bad_row(lines[bad[0]:], columns, path, header_line + int(bad[0]))
    return values


PARALLEL_MIN_ROWS = 100_000
"""Bodies with at least this many rows are parsed in two halves on two threads."""


def _body_parts(raw: bytes, body_start: int, n_rows: int) -> list[tuple[memoryview, int]]:
    """``(text, rows)`` pieces of the body: the whole of it, or two halves cut after a line break."""
    if n_rows < PARALLEL_MIN_ROWS:
        return [(memoryview(raw)[body_start:], n_rows)]
    cut = raw.find(b"\n", body_start + (len(raw) - body_start) // 2) + 1
    first_rows = raw.count(b"\n", body_start, cut)
    if cut <= body_start or not 0 < first_rows < n_rows:
        return [(memoryview(raw)[body_start:], n_rows)]
    return [(memoryview(raw)[body_start:cut], first_rows), (memoryview(raw)[cut:], n_rows - first_rows)]


class _ViewReader(io.RawIOBase):
    """A read-only file over a slice of the file's bytes: ``io.BytesIO`` copies a memoryview
    (45 MB for an hour at 200 Hz), this hands the parser one buffer-sized piece at a time."""

    def __init__(self, view: memoryview):
        self._view, self._pos = view, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), len(self._view) - self._pos)
        buffer[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n


def _parse_part(text: memoryview, n_rows: int, n_columns: int) -> pd.DataFrame:
    return pd.read_csv(
        io.BufferedReader(_ViewReader(text)), nrows=n_rows, header=None, names=range(n_columns),
        dtype=np.float64, engine="c", skip_blank_lines=False, na_filter=True, keep_default_na=False,
        na_values=[""], encoding="utf-8",
    )


def _column_arrays(frames: list[pd.DataFrame], n_columns: int) -> list[np.ndarray]:
    """One array per column from the parsed pieces, in order; each piece is released once copied."""
    if len(frames) == 1:
        return [frames[0][k].to_numpy() for k in range(n_columns)]
    values = [np.empty(sum(frame.shape[0] for frame in frames)) for _ in range(n_columns)]
    row = 0
    while frames:
        frame = frames.pop(0)
        for k in range(n_columns):
            values[k][row:row + frame.shape[0]] = frame[k].to_numpy()
        row += frame.shape[0]
    return values


def _body_lines(raw: bytes, body_start: int, n_rows: int, path: str, header_line: int) -> list[str]:
    """The sample rows as text (slow path, only to name the line of a problem)."""
    lines = raw[body_start:].split(b"\n")[:n_rows]
    out = []
    for k, line in enumerate(lines):
        try:
            out.append(line.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError:
            raise InputError(path, header_line + 1 + k, "not UTF-8 text (is this a CSV recording?)") from None
    return out


def _raise_first_bad_row(rows: list[str], columns: list[str], path: str, header_line: int) -> None:
    for k, row in enumerate(rows):
        line = header_line + 1 + k
        if not row.strip():
            raise InputError(path, line, "empty line inside the samples")
        fields = row.split(",")
        if len(fields) != len(columns):
            raise InputError(path, line, f"expected {len(columns)} values, found {len(fields)}")
        for name, value in zip(columns, fields):
            value = value.strip()
            if not value:
                raise InputError(path, line, f"empty value in column {name!r}")
            try:
                number = float(value)
            except ValueError:
                raise InputError(path, line, f"non-numeric value {value!r} in column {name!r}") from None
            if not np.isfinite(number):
                raise InputError(path, line, f"value {value!r} in column {name!r} is not a finite number")
    raise InputError(path, header_line + 1, "unreadable samples")


def _build_recording(values, columns, layout: _Layout, metadata, path, header_line, warnings) -> Recording:
    arrays: dict[str, np.ndarray] = {}
    for kind, (idx, unit) in layout.sensors.items():
        scale = _UNIT_SCALE[kind][unit]
        arrays[kind] = np.column_stack([values[i] for i in idx])
        if scale != 1.0:
            arrays[kind] *= scale
    sample_index = None
    if layout.sample_index_col is not None:
        sample_index = values[layout.sample_index_col].astype(np.int64)
        back = np.flatnonzero(np.diff(sample_index) <= 0)
        if back.size:
            raise InputError(path, header_line + 2 + int(back[0]), "sample_index does not increase")
    host_time_s = values[layout.host_time_col].copy() if layout.host_time_col is not None else None
    gyr = layout.sensors.get("gyr")
    return assemble(
        values[layout.t_col].copy(), arrays["acc"], arrays.get("gyr"), metadata, path, header_line, warnings,
        acc_names=[columns[i] for i in layout.sensors["acc"][0]], acc_unit=layout.sensors["acc"][1],
        gyr_names=[columns[i] for i in gyr[0]] if gyr else None, gyr_unit=gyr[1] if gyr else None,
        mag_ut=arrays.get("mag"), sample_index=sample_index, host_time_s=host_time_s,
    )


META_VALUE_MAX_CHARS = 1000
"""Metadata keys and values are cut to this length (the longest real one seen is 477 characters)."""


def assemble(t, acc_g, gyr_dps, metadata, path, header_line, warnings, *, acc_names, acc_unit, gyr_names=None,
             gyr_unit=None, mag_ut=None, sample_index=None, host_time_s=None, time_name="t_s",
             time_unit_known=True) -> Recording:
    """The :class:`Recording` from parsed columns (any importer): the clock settled
    (:mod:`formlab.timeline`) and the samples vetted (:mod:`formlab.sensor_checks`); every repair
    is a note in ``warnings``. ``header_line``: the line before sample 0; ``acc_g``/``gyr_dps``
    already converted from ``acc_unit``/``gyr_unit``; ``t`` in seconds unless not ``time_unit_known``."""
    first_line = header_line + 1
    if t.size < 2:
        raise InputError(path, first_line, "only one sample: a recording needs at least two")
    metadata = _capped(metadata, warnings)
    timeline.check_increasing(t, path, first_line, time_name)
    meta_rate = _metadata_rate_hz(metadata, path)
    t_s, rate_hz = timeline.settle_clock(t, meta_rate, path, warnings, time_name, time_unit_known)
    if meta_rate is not None and rate_hz != meta_rate:
        metadata["sample_rate_hz"] = f"{rate_hz:.6g}"
    part = timeline.longest_part(t_s, rate_hz, path, warnings)
    if part != slice(0, t_s.size):
        first_line += part.start
        t_s, acc_g = t_s[part], acc_g[part]
        gyr_dps, mag_ut = (None if a is None else a[part] for a in (gyr_dps, mag_ut))
        sample_index, host_time_s = (None if a is None else a[part] for a in (sample_index, host_time_s))
    with np.errstate(over="ignore", invalid="ignore"):
        sensor_checks.check_accelerometer_unit(acc_g, acc_unit, acc_names[0], path, header_line)
        acc_g = sensor_checks.repair_outliers(acc_g, sensor_checks.ACC_LIMIT_G, acc_names, "g", path, first_line,
                                              warnings)
        if gyr_dps is not None:
            sensor_checks.check_gyroscope_unit(gyr_dps, acc_g, gyr_unit, gyr_names[0], path, header_line)
            gyr_dps = sensor_checks.repair_outliers(gyr_dps, sensor_checks.GYR_LIMIT_DPS, gyr_names, "deg/s", path,
                                                    first_line, warnings)
            dead = sensor_checks.dead_gyroscope_axes(gyr_dps, acc_g)
            if dead:
                warnings.append(f"gyroscope axis {', '.join(dead)} never changes while the body moves (dead or "
                                "unconnected): the gyroscope is ignored, so pelvic angles and step sides are not measured")
                gyr_dps = None
    rec = Recording(
        t_s=t_s, acc_g=acc_g, gyr_dps=gyr_dps, mag_ut=mag_ut, sample_index=sample_index, host_time_s=host_time_s,
        metadata=metadata, path=path, warnings=warnings, sample_rate_hz=rate_hz,
    )
    if rec.gaps:
        longest = max(rec.gaps, key=lambda g: g.duration_s)
        warnings.append(f"{len(rec.gaps)} gap(s) in the samples, {rec.lost_s:.3g} s lost (the longest "
                        f"{longest.duration_s:.3g} s at t_s {longest.start_s:.2f}): no step is measured across a gap "
                        f"over {MAX_INTERPOLATED_GAP_S:g} s")
    return rec


def _metadata_rate_hz(metadata: dict[str, str], path: str) -> float | None:
    """``sample_rate_hz`` from the metadata, None without it; an error unless a sensor's rate."""
    if "sample_rate_hz" not in metadata:
        return None
    try:
        rate = float(metadata["sample_rate_hz"])
    except ValueError:
        rate = float("nan")
    if not timeline.rate_in_range(rate):
        raise InputError(path, None, f"sample_rate_hz {metadata['sample_rate_hz']!r} is not a sensor's sampling rate "
                         f"({timeline.MIN_RATE_HZ:g} to {timeline.MAX_RATE_HZ:g} Hz)")
    return rate


def _capped(metadata: dict[str, str], warnings: list[str]) -> dict[str, str]:
    out = {}
    for key, value in metadata.items():
        if len(key) > META_VALUE_MAX_CHARS or len(value) > META_VALUE_MAX_CHARS:
            warnings.append(f"metadata {key[:40]!r} is {len(key) + len(value)} characters long: cut to "
                            f"{META_VALUE_MAX_CHARS}")
            key, value = key[:META_VALUE_MAX_CHARS], value[:META_VALUE_MAX_CHARS]
        out[key] = value
    return out


# --------------------------------------------------------------------------------------------
# writing


def _columns(has_gyro: bool, has_index: bool, has_host: bool) -> list[str]:
    cols = ["t_s", "acc_x_g", "acc_y_g", "acc_z_g"]
    if has_gyro:
        cols += ["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]
    if has_index:
        cols.append("sample_index")
    if has_host:
        cols.append("host_time_s")
    return cols


def _formats(has_gyro: bool, has_index: bool, has_host: bool) -> list[str]:
    fmts = ["%.6f"] + ["%.5f"] * 3
    if has_gyro:
        fmts += ["%.4f"] * 3
    if has_index:
        fmts.append("%d")
    if has_host:
        fmts.append("%.6f")
    return fmts


def _metadata_text(metadata: dict[str, str]) -> str:
    meta = {"formlab-recording": FORMAT_VERSION, **{k: v for k, v in metadata.items() if k != "formlab-recording"}}
    for key, value in meta.items():
        if "\n" in str(value) or "\n" in key:
            raise ValueError(f"metadata {key!r} must be one line")
    return "".join(f"# {k}: {v}\n" for k, v in meta.items())


def _rows(t_s, acc_g, gyr_dps, sample_index, host_time_s) -> np.ndarray:
    parts = [np.asarray(t_s, float)[:, None], np.asarray(acc_g, float)]
    if gyr_dps is not None:
        parts.append(np.asarray(gyr_dps, float))
    if sample_index is not None:
        parts.append(np.asarray(sample_index, float)[:, None])
    if host_time_s is not None:
        parts.append(np.asarray(host_time_s, float)[:, None])
    return np.hstack(parts)


def write_recording(path: str | os.PathLike, rec: Recording) -> None:
    """Write ``rec`` as a formlab recording CSV (g, deg/s), metadata first."""
    has = (rec.gyr_dps is not None, rec.sample_index is not None, rec.host_time_s is not None)
    metadata = dict(rec.metadata)
    metadata.setdefault("sample_rate_hz", f"{rec.sample_rate_hz:g}")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_metadata_text(metadata))
        fh.write(",".join(_columns(*has)) + "\n")
        rows = _rows(rec.t_s, rec.acc_g, rec.gyr_dps, rec.sample_index, rec.host_time_s)
        np.savetxt(fh, rows, fmt=_formats(*has), delimiter=",")


class RecordingAppender:
    """Append-only writer for live capture: header on open, one flushed (and fsynced) write per batch.

    A crash loses at most the batch being written; a line cut off mid-write is dropped by the
    reader with a warning.
    """

    def __init__(self, path: str | os.PathLike, metadata: dict[str, str], has_gyro: bool, fsync: bool = True):
        self.path = str(path)
        self.has_gyro = has_gyro
        self._fsync = fsync
        self._formats = _formats(has_gyro, True, True)
        self.rows_written = 0
        header = _metadata_text(metadata)  # validated before the file exists
        self._fh = open(self.path, "x", encoding="utf-8", newline="\n")  # never replaces a recording
        self._fh.write(header)
        self._fh.write(",".join(_columns(has_gyro, True, True)) + "\n")
        self._flush()

    def append(self, t_s, acc_g, gyr_dps, sample_index, host_time_s) -> None:
        """Write one batch of samples (arrays of equal length) and flush it to disk."""
        if self.has_gyro and gyr_dps is None:
            raise ValueError("this recording has gyroscope columns: gyr_dps is required")
        rows = _rows(t_s, acc_g, gyr_dps if self.has_gyro else None, sample_index, host_time_s)
        if rows.shape[0] == 0:
            return
        np.savetxt(self._fh, rows, fmt=self._formats, delimiter=",")
        self.rows_written += rows.shape[0]
        self._flush()

    def _flush(self) -> None:
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._flush()
            self._fh.close()

    def __enter__(self) -> "RecordingAppender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
