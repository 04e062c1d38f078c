"""A seeded corpus of corrupted recordings, by class, and a runner that sorts what formlab made of each.

The base is the first 40 s of the bundled simulated treadmill run (10 s standing, then running),
as its CSV text. Each class corrupts it one way and says what formlab must do:

- ``flag``: a one-line :class:`~formlab.errors.InputError`, or a result with a note the clean
  file does not get (no corrupt input may pass unexplained);
- ``clean``: a result (the input is damaged only in form: encoding, delimiters, line ends);
- ``any``: no traceback, whatever else (a changed digit inside a number is indistinguishable
  from a real value: the byte-flip class marks those cases ``any`` and says how many there were;
  damaged files of other apps are ``any`` too, since their "read as" note is always there).

``python tests/fuzz_corpus.py [--cases N] [--seed S]`` prints, per class, the clean errors, the
results with a note, the results without one, the tracebacks and the cases over 30 s.
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BASE_FILE = ROOT / "firmware_recordings" / "simulated_treadmill_10min.csv"
BASE_SECONDS = 40
SLOW_S = 30.0


@dataclass
class Case:
    kind: str
    name: str
    data: bytes
    expect: str  # 'flag', 'clean' or 'any'
    suffix: str = ".csv"


def base_lines() -> tuple[list[str], list[str], list[list[str]]]:
    """Metadata lines, the header (as names) and the sample rows (as fields) of the base."""
    lines = BASE_FILE.read_text(encoding="utf-8").splitlines()
    meta = [line for line in lines if line.startswith("#")]
    header = lines[len(meta)].split(",")
    rows = [line.split(",") for line in lines[len(meta) + 1:len(meta) + 1 + BASE_SECONDS * 100]]
    return meta, header, rows


def _text(meta, header, rows) -> bytes:
    return ("\n".join(meta + [",".join(header)] + [",".join(r) for r in rows]) + "\n").encode("utf-8")


def _numbers(rows) -> np.ndarray:
    return np.array(rows, dtype=float)


def _values_text(meta, header, values: np.ndarray) -> bytes:
    out = io.StringIO()
    np.savetxt(out, values, fmt="%.15g", delimiter=",")
    return ("\n".join(meta + [",".join(header)]) + "\n" + out.getvalue()).encode("utf-8")


# ------------------------------------------------------------------------------------------ classes


def truncation(rng, meta, header, rows):
    data = _text(meta, header, rows)
    body = len(data) - sum(len(r) for r in map(",".join, rows)) - len(rows)
    cut = int(rng.integers(1, len(data) - 1)) if rng.random() < 0.3 else int(rng.integers(body, len(data) - 1))
    at_line_end = data[cut - 1:cut] == b"\n" or data[cut:cut + 1] == b"\n"
    return Case("truncation", f"cut at byte {cut}", data[:cut], "any" if at_line_end else "flag")


def byte_flip(rng, meta, header, rows):
    data = bytearray(_text(meta, header, rows))
    start = data.index(b"\n", data.index(b"t_s,")) + 1
    pos = int(rng.integers(start, len(data) - 1))
    old = data[pos]
    data[pos] ^= 1 << int(rng.integers(0, 8))
    new = data[pos]
    harmless = (chr(old).isdigit() and chr(new).isdigit()) or chr(new) in " \t\r"
    return Case("byte flip", f"byte {pos}: {old:#x}->{new:#x}", bytes(data), "any" if harmless else "flag")


def non_finite(rng, meta, header, rows):
    rows = [list(r) for r in rows]
    value = str(rng.choice(["nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e10", "-1e10"]))
    if rng.random() < 0.2:  # a whole gyroscope column
        col = int(rng.integers(4, 7))
        for r in rows:
            r[col] = value
        return Case("nan/inf/1e308", f"column {header[col]} = {value}", _text(meta, header, rows), "flag")
    k, col = int(rng.integers(0, len(rows))), int(rng.integers(1, 7))
    rows[k][col] = value
    return Case("nan/inf/1e308", f"row {k} {header[col]} = {value}", _text(meta, header, rows), "flag")


def unit_mistake(rng, meta, header, rows):
    values = _numbers(rows)
    header = list(header)
    which = str(rng.choice(["acc all m/s2 under g", "acc one axis m/s2", "acc g under mps2",
                            "gyro deg/s under rads", "gyro rad/s under dps"]))
    if which == "acc all m/s2 under g":
        values[:, 1:4] *= 9.80665
    elif which == "acc one axis m/s2":
        values[:, int(rng.integers(1, 3))] *= 9.80665  # a horizontal axis: the base's z is near vertical
    elif which == "acc g under mps2":
        header[1:4] = ["acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]
    elif which == "gyro deg/s under rads":
        header[4:7] = ["gyr_x_rads", "gyr_y_rads", "gyr_z_rads"]
    else:
        values[:, 4:7] *= np.pi / 180.0
    return Case("unit mistake", which, _values_text(meta, header, values), "flag")


def time_unit_mistake(rng, meta, header, rows):
    values = _numbers(rows)
    which = str(rng.choice(["ms", "us", "ns", "epoch ms", "10 ns steps", "minutes"]))
    scale, offset = {"ms": (1e3, 0), "us": (1e6, 0), "ns": (1e9, 0), "epoch ms": (1e3, 1.767e12),
                     "10 ns steps": (1e-6, 0), "minutes": (1 / 60, 0)}[which]
    values[:, 0] = values[:, 0] * scale + offset
    if rng.random() < 0.5:
        meta = [m for m in meta if not m.startswith("# sample_rate_hz")]
        which += ", no sample_rate_hz"
    return Case("time unit", which, _values_text(meta, header, values), "flag")


def gap(rng, meta, header, rows):
    values = _numbers(rows)
    which = str(rng.choice(["1e9 s", "600 s", "2 s", "many 100 s"]))
    k = int(rng.integers(1, len(rows) - 1))
    if which == "many 100 s":
        for j in range(100, len(rows), 100):
            values[j:, 0] += 100.0
    else:
        values[k:, 0] += {"1e9 s": 1e9, "600 s": 600.0, "2 s": 2.0}[which]
    return Case("gap", f"{which} at row {k}", _values_text(meta, header, values), "flag")


def metadata_abuse(rng, meta, header, rows):
    meta = list(meta)
    which = str(rng.choice(["sample_rate_hz: 1e308", "sample_rate_hz: 0", "sample_rate_hz: -100",
                            "sample_rate_hz: nan", "sample_rate_hz: 1", "sample_rate_hz: 1e6", "sample_rate_hz: 50",
                            "sample_rate_hz: 1000", "treadmill_speed_mps: 1e-300", "treadmill_speed_mps: 1e308",
                            "treadmill_speed_mps: -3", "device: 10000 chars", "note: 10000 chars",
                            "no colon", "formlab-recording: 2"]))
    key, _, value = which.partition(": ")
    if value == "10000 chars":
        value = "".join(rng.choice(list("abcxyz-_/ .é"), 10_000))
    if which == "no colon":
        meta.insert(2, "# just a comment without a key")
    else:
        meta = [m for m in meta if not m.startswith(f"# {key}:")] + [f"# {key}: {value}"]
    return Case("metadata abuse", which, _text(meta, header, rows), "flag")


def encoding(rng, meta, header, rows):
    text = _text(meta, header, rows)
    which = str(rng.choice(["BOM", "CRLF", "CR only", "semicolon + decimal comma", "gzip", "UTF-16",
                            "latin-1 metadata", "NUL byte", "gzip cut short"]))
    if which == "BOM":
        return Case("encoding", which, b"\xef\xbb\xbf" + text, "clean")
    if which == "CRLF":
        return Case("encoding", which, text.replace(b"\n", b"\r\n"), "clean")
    if which == "CR only":
        return Case("encoding", which, text.replace(b"\n", b"\r"), "clean")
    if which == "semicolon + decimal comma":
        head, _, body = text.partition(b"t_s,")
        return Case("encoding", which, head + (b"t_s," + body).replace(b",", b";").replace(b".", b","), "clean")
    if which == "gzip":
        return Case("encoding", which, gzip.compress(text, mtime=0), "clean", ".csv.gz")
    if which == "gzip cut short":
        packed = gzip.compress(text, mtime=0)
        return Case("encoding", which, packed[:int(rng.integers(2, len(packed) - 1))], "flag", ".csv.gz")
    if which == "UTF-16":
        return Case("encoding", which, text.decode("utf-8").encode("utf-16"), "flag")
    if which == "latin-1 metadata":
        return Case("encoding", which, text.replace(b"# device: formlab-sim", "# device: Jürgen".encode("latin-1")),
                    "flag")
    k = int(rng.integers(len(text) // 2, len(text) - 2))
    return Case("encoding", which, text[:k] + b"\x00" + text[k:], "flag")


def dead_gyro(rng, meta, header, rows):
    values = _numbers(rows)
    which = str(rng.choice(["all zero", "one axis zero", "one axis stuck"]))
    if which == "all zero":
        values[:, 4:7] = 0.0
    else:
        col = int(rng.integers(4, 7))
        values[:, col] = 0.0 if which == "one axis zero" else values[0, col]
    return Case("dead gyro", which, _values_text(meta, header, values), "flag")


def outlier(rng, meta, header, rows):
    values = _numbers(rows)
    n = int(rng.integers(1, 4))
    ks = rng.choice(np.arange(1000, len(rows)), n, replace=False)
    col = int(rng.integers(1, 7))
    values[ks, col] = float(rng.choice([1e10, -1e10, 1e6, 9e4])) if col < 4 else float(rng.choice([1e6, -1e308, 3e4]))
    return Case("outlier", f"{n} sample(s) of {header[col]}", _values_text(meta, header, values), "flag")


def cut_last_line(rng, meta, header, rows):
    text = _text(meta, header, rows)
    last = text.rindex(b"\n", 0, len(text) - 1) + 1
    cut = int(rng.integers(last + 1, len(text) - 2))
    return Case("cut last line", f"last line cut to {cut - last} bytes", text[:cut], "flag")


def foreign_format(rng, meta, header, rows):
    """The base as another app writes it, then damaged: hunts tracebacks in the importers
    (their "read as" note is always there, so only ``any`` can be asked of them)."""
    values = _numbers(rows)
    t, acc_mps2, gyr_rads = values[:, 0], values[:, 1:4] * 9.80665, values[:, 4:7] * np.pi / 180
    which = str(rng.choice(["Phyphox", "Sensor Logger", "logger"]))
    out = io.StringIO()
    if which == "Phyphox":
        out.write('"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)",'
                  '"Time (s)","Gyroscope x (rad/s)","Gyroscope y (rad/s)","Gyroscope z (rad/s)"\n')
        np.savetxt(out, np.column_stack([t, acc_mps2, t + 0.002, gyr_rads]), fmt="%.9E", delimiter=",")
    elif which == "Sensor Logger":
        out.write("time,seconds_elapsed,z,y,x\n")
        np.savetxt(out, np.column_stack([1.767e18 + t * 1e9, t, acc_mps2[:, ::-1]]), fmt="%.9g", delimiter=",")
    else:
        out.write("timestamp,ax,ay,az,gx,gy,gz\n")
        np.savetxt(out, np.column_stack([t * 1000, acc_mps2, gyr_rads]), fmt="%.6g", delimiter=",")
    data = bytearray(out.getvalue().encode("utf-8"))
    damage = str(rng.choice(["cut", "flip", "nan", "swap header"]))
    pos = int(rng.integers(1, len(data) - 1))
    if damage == "cut":
        data = data[:pos]
    elif damage == "flip":
        data[pos] ^= 1 << int(rng.integers(0, 8))
    elif damage == "nan":
        data[pos:pos] = b"nan"
    else:
        first = data.index(b"\n")
        data[:first] = data[:first].replace(b"x", b"q", 1)
    return Case("foreign format", f"{which}, {damage} at {pos}", bytes(data), "any")


CLASSES = [truncation, byte_flip, non_finite, unit_mistake, time_unit_mistake, gap, metadata_abuse, encoding,
           dead_gyro, outlier, cut_last_line, foreign_format]


def corpus(n_cases: int, seed: int = 2026):
    """``n_cases`` cases, the classes in turn, each case from its own seeded generator."""
    meta, header, rows = base_lines()
    for i in range(n_cases):
        rng = np.random.default_rng([seed, i])
        yield CLASSES[i % len(CLASSES)](rng, meta, header, rows)


# ------------------------------------------------------------------------------------------ running


@dataclass
class Outcome:
    case: Case
    result: str  # 'error', 'note', 'silent', 'traceback'
    seconds: float
    detail: str


def baseline_notes(folder: Path) -> set[str]:
    meta, header, rows = base_lines()
    path = folder / "base.csv"
    path.write_bytes(_text(meta, header, rows))
    return set(_analyse(path)["notes"])


def _analyse(path: Path) -> dict:
    from formlab.analysis import analyze
    from formlab.recording import read_recording

    return analyze(read_recording(path)).summary


def run_case(case: Case, folder: Path, clean_notes: set[str]) -> Outcome:
    from formlab.errors import InputError

    path = folder / f"case{case.suffix}"
    path.write_bytes(case.data)
    start = time.perf_counter()
    try:
        summary = _analyse(path)
    except InputError as exc:
        message = str(exc)
        result = "error" if "\n" not in message and len(message) < 400 + len(str(path)) else "traceback"
        return Outcome(case, result, time.perf_counter() - start, message)
    except Exception:  # noqa: BLE001 - the corpus exists to find these
        return Outcome(case, "traceback", time.perf_counter() - start, traceback.format_exc(limit=3))
    new = [n for n in summary["notes"] if n not in clean_notes]
    return Outcome(case, "note" if new else "silent", time.perf_counter() - start, "; ".join(new)[:300])


def acceptable(outcome: Outcome) -> bool:
    """What each class must give: see the module docstring."""
    if outcome.result == "traceback" or outcome.seconds > SLOW_S:
        return False
    if outcome.case.expect == "flag":
        return outcome.result in ("error", "note")
    if outcome.case.expect == "clean":
        return outcome.result in ("note", "silent")
    return True


def run(n_cases: int, seed: int = 2026) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clean = baseline_notes(folder)
        return [run_case(case, folder, clean) for case in corpus(n_cases, seed)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1100)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    outcomes = run(args.cases, args.seed)
    table: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        row = table[o.case.kind]
        row[o.result] += 1
        row["any"] += o.case.expect == "any"
        row["slow"] += o.seconds > SLOW_S
        row["unacceptable"] += not acceptable(o)
    print(f"{len(outcomes)} cases, seed {args.seed}, {time.perf_counter() - start:.0f} s, "
          f"slowest {max(o.seconds for o in outcomes):.2f} s")
    print(f"{'class':<16}{'cases':>6}{'errors':>8}{'noted':>7}{'silent':>8}{'(any)':>7}{'traceb.':>9}{'>30 s':>7}{'bad':>5}")
    for kind, row in table.items():
        print(f"{kind:<16}{sum(row[r] for r in ('error', 'note', 'silent', 'traceback')):>6}{row['error']:>8}"
              f"{row['note']:>7}{row['silent']:>8}{row['any']:>7}{row['traceback']:>9}{row['slow']:>7}"
              f"{row['unacceptable']:>5}")
    for o in outcomes:
        if not acceptable(o):
            print(f"UNACCEPTABLE {o.case.kind} / {o.case.name} ({o.case.expect}): {o.result} {o.seconds:.1f} s: {o.detail}")
    return 0 if all(acceptable(o) for o in outcomes) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
