"""The bundled 10-minute session with a known start time, for the FIT tests."""

from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "firmware_recordings" / "simulated_treadmill_10min.csv"
START = datetime(2026, 5, 1, 7, 0, 0, tzinfo=timezone.utc)


def with_start_time(src: Path, dst: Path, start: datetime) -> Path:
    """A copy of a recording with ``start_time_utc`` added to its metadata."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    dst.write_text(lines[0] + f"# start_time_utc: {start.isoformat()}\n" + "".join(lines[1:]), encoding="utf-8")
    return dst
