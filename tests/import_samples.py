"""Write the bundled canonical recording in the layouts of the formats formlab imports.

Each writer follows the format's documented layout (docs/recording-format.md says where from),
so a test can read the file back and compare with the recording it was written from.
``python tests/import_samples.py`` regenerates the small committed samples in ``tests/samples/``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from formlab.frames import G_MPS2
from formlab.recording import Recording, read_recording, write_recording

ROOT = Path(__file__).resolve().parent.parent
CANONICAL = ROOT / "firmware_recordings" / "simulated_treadmill_10min.csv"
SAMPLES = Path(__file__).resolve().parent / "samples"
RAD = np.pi / 180.0


def canonical_slice(duration_s: float = 60.0) -> Recording:
    """The first ``duration_s`` of the bundled simulated treadmill run (10 s standing, then running)."""
    rec = read_recording(CANONICAL)
    k = rec.t_s < rec.t_s[0] + duration_s
    return Recording(t_s=rec.t_s[k], acc_g=rec.acc_g[k], gyr_dps=rec.gyr_dps[k], metadata=dict(rec.metadata),
                     path=str(CANONICAL))


def write_phyphox(rec: Recording, path: Path, gyro_delay_s: float = 0.002) -> None:
    """A Phyphox CSV with acceleration (m/s²) and gyroscope (rad/s), each after its own
    ``Time (s)`` column, numbers as Phyphox writes them (``1.234567890E-1``)."""
    t = rec.t_s - rec.t_s[0]
    acc = rec.acc_g * G_MPS2
    gyr = rec.gyr_dps * RAD
    header = ['"Time (s)"', *(f'"Acceleration {a} (m/s^2)"' for a in "xyz"), '"Absolute acceleration (m/s^2)"',
              '"Time (s)"', *(f'"Gyroscope {a} (rad/s)"' for a in "xyz"), '"Absolute (rad/s)"']
    rows = np.column_stack([t, acc, np.linalg.norm(acc, axis=1), t + gyro_delay_s,
                            _shift(rec.t_s, gyr, gyro_delay_s), np.linalg.norm(gyr, axis=1)])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(header) + "\n")
        np.savetxt(fh, rows, fmt="%.9E", delimiter=",")


def write_sensor_logger(rec: Recording, folder: Path, gyro_delay_s: float = 0.003) -> None:
    """A Sensor Logger export folder: ``TotalAcceleration.csv`` (m/s², with gravity) and
    ``Gyroscope.csv`` (rad/s), each ``time,seconds_elapsed,z,y,x`` with ``time`` in epoch ns."""
    folder.mkdir(parents=True, exist_ok=True)
    start_ns = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z
    t = rec.t_s - rec.t_s[0]
    for name, values, delay in (("TotalAcceleration.csv", rec.acc_g * G_MPS2, 0.0),
                                ("Gyroscope.csv", _shift(rec.t_s, rec.gyr_dps * RAD, delay := gyro_delay_s), delay)):
        ts = t + delay
        with open(folder / name, "w", encoding="utf-8") as fh:
            fh.write("time,seconds_elapsed,z,y,x\n")
            for k in range(ts.size):
                fh.write(f"{start_ns + int(round(ts[k] * 1e9))},{ts[k]:.6f},"
                         f"{values[k, 2]:.6f},{values[k, 1]:.6f},{values[k, 0]:.6f}\n")


def write_logger_csv(rec: Recording, path: Path) -> None:
    """A plain logger CSV: ``timestamp,ax,ay,az,gx,gy,gz``, time in ms, m/s² and rad/s, no units said."""
    rows = np.column_stack([np.rint((rec.t_s - rec.t_s[0]) * 1000), rec.acc_g * G_MPS2, rec.gyr_dps * RAD])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("timestamp,ax,ay,az,gx,gy,gz\n")
        np.savetxt(fh, rows, fmt=["%d"] + ["%.5f"] * 6, delimiter=",")


def write_spreadsheet(rec: Recording, path: Path) -> None:
    """The formlab CSV as a spreadsheet in a decimal-comma locale saves it: BOM, ``;``, ``,`` decimals, CRLF."""
    tmp = path.with_suffix(".tmp")
    write_recording(tmp, rec)
    text = tmp.read_text(encoding="utf-8")
    tmp.unlink()
    head, _, body = text.partition("t_s,")
    body = ("t_s," + body).replace(",", ";").replace(".", ",")
    path.write_bytes(b"\xef\xbb\xbf" + (head + body).replace("\n", "\r\n").encode("utf-8"))


def write_gzip(rec: Recording, path: Path) -> None:
    tmp = path.with_suffix("")
    write_recording(tmp, rec)
    path.write_bytes(gzip.compress(tmp.read_bytes(), mtime=0))
    tmp.unlink()


def _shift(t_s: np.ndarray, values: np.ndarray, delay_s: float) -> np.ndarray:
    """``values`` as sampled ``delay_s`` later (a second sensor on its own clock ticks)."""
    return np.column_stack([np.interp(t_s + delay_s, t_s, values[:, k]) for k in range(values.shape[1])])


def write_samples(folder: Path = SAMPLES, duration_s: float = 3.0) -> None:
    """The small committed samples: ``duration_s`` of the canonical run in every layout."""
    rec = canonical_slice(12.0)
    k = rec.t_s >= rec.t_s[-1] - duration_s  # a few seconds of running
    rec = Recording(t_s=rec.t_s[k], acc_g=rec.acc_g[k], gyr_dps=rec.gyr_dps[k], metadata=rec.metadata)
    folder.mkdir(exist_ok=True)
    write_phyphox(rec, folder / "phyphox_acc_gyro.csv")
    write_sensor_logger(rec, folder / "sensor_logger")
    write_logger_csv(rec, folder / "logger_ms.csv")
    write_spreadsheet(rec, folder / "spreadsheet_semicolon.csv")
    write_gzip(rec, folder / "formlab.csv.gz")


if __name__ == "__main__":
    write_samples()
