"""A delimited table with a header row (after optional ``#`` lines), as named numeric columns.

Used by every importer except the formlab format's own fast reader: the header names are
returned as written (quotes removed), each requested column as float seconds/values, and the
first bad value located to its line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from formlab.errors import InputError


@dataclass
class Table:
    path: str
    header: list[str]
    header_line: int  # 1-based line of the header row
    comments: list[str]
    frame: pd.DataFrame  # all cells as read by pandas (numbers where they parse)

    def numbers(self, name: str) -> np.ndarray:
        """Column ``name`` as finite floats; the first empty or non-numeric cell is an error."""
        return self.numbers_where(name, np.ones(self.frame.shape[0], bool))

    def numbers_where(self, name: str, rows: np.ndarray, index: int | None = None) -> np.ndarray:
        """Column ``name`` (or the one at ``index``, for repeated names) on ``rows``, as finite floats."""
        column = self.frame[self.header.index(name) if index is None else index][rows]
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            k = int(np.flatnonzero(rows)[bad[0]])
            cell = column.iloc[int(bad[0])]
            problem = (f"empty value in column {name!r}" if pd.isna(cell)
                       else f"value {str(cell)!r} in column {name!r} is not a finite number")
            raise InputError(self.path, self.header_line + 1 + k, problem)
        return values

    def rows_with(self, columns: list[int]) -> np.ndarray:
        """Rows where every column (by index) has a value (sensors with separate time columns)."""
        return np.all([self.frame[k].notna().to_numpy() for k in columns], axis=0)


def header_of(raw: bytes, path: str) -> tuple[list[str], int]:
    """The header names (quotes removed) and its 1-based line number; ``[]`` when there is none."""
    lines = raw.split(b"\n", 256)
    for k, line in enumerate(lines[:256]):
        try:
            text = line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise InputError(path, k + 1, "not UTF-8 text (is this a CSV recording?)") from None
        if not line.startswith(b"#"):
            return [c.strip() for c in next(csv.reader([text]), [])], k + 1
    return [], 0


def read_table(raw: bytes, path: str, notes: list[str]) -> Table:
    """Parse the (already plain, comma-separated) bytes of a table; a last line without a line
    end and with cells missing (cut off mid-write) is dropped with a note."""
    header, header_line = header_of(raw, path)
    if not header:
        raise InputError(path, None, "no header row")
    comments = [line.decode("utf-8", "replace").rstrip("\r") for line in raw.split(b"\n", header_line)[:header_line - 1]]
    try:
        frame = pd.read_csv(io.BytesIO(raw), skiprows=header_line, header=None, names=range(len(header)),
                            engine="c", skip_blank_lines=True, encoding="utf-8", low_memory=False)
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text (is this a CSV recording?)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(path, header_line, f"unreadable table: {str(exc).splitlines()[0]}") from None
    if frame.shape[0] and not raw.endswith(b"\n") and frame.iloc[-1].isna().any():
        notes.append(f"{path}:{header_line + frame.shape[0]}: truncated final line dropped")
        frame = frame.iloc[:-1]
    if frame.shape[0] == 0:
        raise InputError(path, header_line, "no samples after the header row")
    return Table(path, header, header_line, comments, frame)


def metadata_of(comments: list[str]) -> dict[str, str]:
    """``# key: value`` comment lines as metadata (other comments ignored)."""
    out = {}
    for line in comments:
        key, sep, value = line[1:].strip().partition(":")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out
