"""The command line: outputs as the spec says, and bad input as one line with exit status 2."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from formlab.cli import main
from formlab.metrics import STEPS_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SHIMMER = REPO / "firmware_recordings" / "shimmer_sacrum_512hz.csv"


def test_analyze_writes_summary_and_steps_as_specified(tmp_path, capsys):
    out = tmp_path / "new" / "folder"  # output folders are created
    rc = main(["analyze", str(SHIMMER), "--json", str(out / "s.json"), "--steps", str(out / "st.csv"),
               "--html", str(out / "r.html")])
    assert rc == 0
    assert (out / "r.html").stat().st_size > 1000
    summary = json.loads((out / "s.json").read_text())
    for key in ("format", "recording", "running", "calibration", "metrics", "drift", "findings", "notes"):
        assert key in summary
    assert summary["recording"]["sample_rate_hz"] == 512
    steps = pd.read_csv(out / "st.csv")
    assert list(steps.columns) == STEPS_COLUMNS
    assert steps["valid"].sum() >= 10  # 5.8 s of running
    assert 150 < summary["metrics"]["cadence_spm"] < 200
    assert summary["metrics"]["pelvic_tilt_deg"]["mean"] is None  # accelerometer only
    out = capsys.readouterr().out
    assert "Cadence" in out and "population percentiles" in out


@pytest.mark.parametrize("content, expected", [
    ("t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,x,1\n", "bad.csv:3: non-numeric value 'x' in column 'acc_y_g'"),
    ("", "bad.csv: empty file"),
])
def test_bad_recording_is_one_line_and_exit_2(tmp_path, content, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "formlab.cli", "analyze", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert expected.replace("bad.csv", str(bad)) in lines[0]


@pytest.mark.parametrize("command", ["analyze", "report", "simulate", "calibrate", "rules", "devices", "record", "live"])
def test_every_command_has_an_example_in_its_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out and f"formlab {command}" in out


def test_top_level_help_imports_no_command_module():
    code = "import sys; from formlab.cli import _parser; _parser(['--help']); print('scipy' in sys.modules, 'pandas' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.split() == ["False", "False"]


def test_devices_without_bluetooth_is_one_line(monkeypatch, capsys):
    import formlab.ble.scan as scan

    async def no_stack(timeout_s, backend=None):
        raise scan.BluetoothUnavailable("cannot scan for Bluetooth devices (no adapter)")

    monkeypatch.setattr(scan, "scan_devices", no_stack)
    assert main(["devices", "--timeout", "0.1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["formlab: cannot scan for Bluetooth devices (no adapter)"]
