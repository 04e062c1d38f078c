"""The bytes of an input file, made plain: gzip opened, byte-order mark dropped, line ends unified,
semicolons with decimal commas (what a spreadsheet in many locales writes) and tabs turned into
commas with decimal points. Each change is said in a note.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

from formlab.errors import InputError

MAX_UNCOMPRESSED_BYTES = 2 << 30  # a gzip that inflates beyond 2 GiB is refused, not read to the end
_BOM = b"\xef\xbb\xbf"


def read_bytes(path: str) -> bytes:
    """The file's bytes (gzip inflated), or one-line :class:`InputError`."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, None, "is a directory, not a recording") from None
    except OSError as exc:
        raise InputError(path, None, f"cannot read: {exc.strerror}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
                raw = fh.read(MAX_UNCOMPRESSED_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(path, None, f"damaged gzip file: {exc}") from None
        if len(raw) > MAX_UNCOMPRESSED_BYTES:
            raise InputError(path, None, "gzip file inflates beyond 2 GiB: not a recording formlab can read")
    return raw


def plain(raw: bytes, notes: list[str]) -> bytes:
    """``raw`` with a BOM removed, CR-only line ends made LF, and ``;``/``\\t`` delimiters made ``,``
    (decimal commas then made points). Comment (``#``) lines keep their text."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    if b"\n" not in raw and b"\r" in raw:
        raw = raw.replace(b"\r", b"\n")
        notes.append("line ends are CR only (old Mac): read as line breaks")
    body_start = _first_data_line(raw)
    header = raw[body_start:raw.find(b"\n", body_start) if b"\n" in raw[body_start:] else len(raw)]
    if b";" in header:
        raw = raw[:body_start] + raw[body_start:].replace(b",", b".").replace(b";", b",")
        notes.append("semicolon-separated values (decimal commas read as points)")
    elif b"\t" in header and b"," not in header:
        raw = raw[:body_start] + raw[body_start:].replace(b"\t", b",")
        notes.append("tab-separated values")
    return raw


def _first_data_line(raw: bytes) -> int:
    """Offset of the first line that is not a ``#`` comment."""
    pos = 0
    while raw.startswith(b"#", pos):
        end = raw.find(b"\n", pos)
        if end < 0:
            return len(raw)
        pos = end + 1
    return pos
