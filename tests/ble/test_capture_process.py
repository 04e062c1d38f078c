"""Ctrl-C and a hard crash of a real capture process (real clock, virtual radio)."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from virtual_sensor import ACC_G_PER_LSB, SampleSource

from formlab.recording import read_recording

CHILD = Path(__file__).with_name("capture_child.py")


def start_and_wait_for_rows(out: Path, rows: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(CHILD), str(out)], stdout=subprocess.PIPE, text=True,
                            cwd=CHILD.parent)
    written = 0
    while written < rows:
        line = proc.stdout.readline()
        assert line, "capture process ended early"
        if line.startswith("written "):
            written = int(line.split()[1])
    return proc, written


def assert_rows_are_the_sensor_signal(rec):
    """Consecutive samples of the sensor's signal, each once, numbered by sample_index."""
    source = SampleSource.synthetic(200 * 120, 200)
    g = SampleSource.sample_number(rec.gyr_dps)
    np.testing.assert_array_equal(np.diff(g), 1)
    np.testing.assert_allclose(rec.acc_g, source.raw(0, len(source.acc_g))[g, :3] * ACC_G_PER_LSB, atol=6e-6)
    np.testing.assert_array_equal(rec.sample_index, np.arange(rec.n_samples))


def test_ctrl_c_stops_cleanly_and_prints_statistics(tmp_path):
    out = tmp_path / "ctrl_c.csv"
    proc, written = start_and_wait_for_rows(out, 400)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    last_written = max([written] + [int(line.split()[1]) for line in stdout.splitlines() if line.startswith("written ")])
    text = " ".join(stdout.split())
    assert "ended: cancelled" in text and "lost 0 in link" in text
    rec = read_recording(out)
    assert rec.warnings == [] and rec.n_samples == last_written
    assert_rows_are_the_sensor_signal(rec)


def test_a_crash_loses_at_most_the_unflushed_batch(tmp_path):
    out = tmp_path / "crash.csv"
    proc, written = start_and_wait_for_rows(out, 600)
    proc.kill()  # SIGKILL: no cleanup at all
    proc.wait(timeout=10)
    rec = read_recording(out)
    # everything reported as written is on disk; at most the batch in flight is not
    assert rec.n_samples >= written
    assert_rows_are_the_sensor_signal(rec)
