"""``formlab convert IN --out OUT.csv``: any readable recording to the formlab recording CSV.

The input's format is detected as ``analyze`` does (:mod:`formlab.importers`); what was detected
and every repair are printed. The output never replaces an existing file (nor the input).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_convert_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recording", metavar="IN", help="recording in any format formlab reads (docs/recording-format.md)")
    p.add_argument("--out", metavar="OUT.csv", required=True, help="formlab recording CSV to write (must not exist)")
    p.add_argument("--columns", metavar="MAP", help="column mapping for other CSVs: 't=timestamp:ms,ax=ax:g,…' "
                   "or a .toml file (docs/recording-format.md)")


def run_convert(args: argparse.Namespace) -> int:
    from formlab.recording import read_recording, write_recording

    from formlab.output_files import check_outputs

    check_outputs({"--out": args.out}, inputs=[args.recording], never_replace=("--out",))
    rec = read_recording(args.recording, columns=args.columns)
    out = Path(args.out)
    write_recording(out, rec)
    for note in rec.warnings:
        print(f"note: {note}")
    print(f"wrote {out}: {rec.n_samples} samples, {rec.duration_s:.1f} s at {rec.sample_rate_hz:g} Hz, "
          f"{'acc + gyro' if rec.has_gyro else 'acc only'}")
    return 0
