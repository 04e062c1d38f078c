"""The live dashboard, driven by replaying a simulated run: same metrics as offline, loss counted."""

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from formlab.ble.stream import SampleBlock
from formlab.live import LiveAnalyzer, RollingBuffer, render, replay_blocks, run_dashboard
from formlab.recording import write_recording
from formlab.simulate import Runner, simulate, treadmill_params


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    runner = Runner(cadence_spm=168, contact_ms=250, contact_diff_ms=30.0, impact_left_bw=1.8,
                    impact_right_bw=2.8, speed_mps=3.0)
    res = simulate(treadmill_params(runner, duration_s=70, standing_s=8, rate_hz=100.0), seed=8)
    path = tmp_path_factory.mktemp("live") / "run.csv"
    write_recording(path, res.recording)
    buffer = RollingBuffer(metadata={"sample_rate_hz": "100"})
    analyzer = LiveAnalyzer(buffer)
    console = Console(file=io.StringIO(), record=True, width=100)
    asyncio.run(run_dashboard(replay_blocks(str(path), 20.0, buffer.append), buffer, analyzer, console,
                              refresh_s=0.5))
    return res, buffer, analyzer.update(), console.export_text()


def test_rolling_metrics_match_the_simulated_runner(replayed):
    res, buffer, state, _ = replayed
    assert buffer.samples_lost == 0 and buffer.gaps == 0
    assert buffer.samples_received == res.recording.n_samples
    assert state.metrics["cadence_spm"] == pytest.approx(res.truth_summary["metrics"]["cadence_spm"], abs=1.0)
    assert state.metrics["impact_g"]["right"] > state.metrics["impact_g"]["left"]
    assert "standing posture learned" in state.calibration


def test_dashboard_shows_metrics_link_and_alerts(replayed):
    _, _, state, text = replayed
    assert "Cadence" in text and "link" in text and "never a diagnosis" in text
    assert any(a["rule"] == "uneven_landing" for a in state.alerts)
    screen = Console(file=io.StringIO(), record=True, width=100)
    screen.print(render(state))
    shown = " ".join(screen.export_text().replace("│", " ").split())
    assert "Your left foot stays longer on the ground" in shown


def test_loss_is_counted_exactly_from_the_sample_index():
    buffer = RollingBuffer()
    for idx in (np.arange(0, 10), np.arange(10, 15), np.arange(22, 30), np.arange(30, 40)):  # 15..21 lost
        buffer.append(SampleBlock(idx / 100.0, np.zeros((idx.size, 3)), None, idx, idx / 100.0))
    assert buffer.samples_received == 33
    assert buffer.samples_lost == 7
    assert buffer.gaps == 1


def _block(first: int, n: int) -> SampleBlock:
    idx = np.arange(first, first + n)
    return SampleBlock(idx / 100.0, np.zeros((n, 3)), np.zeros((n, 3)), idx, idx / 100.0)


class _GrowsWhileRead(list):
    """A block list that receives a new block each time it is walked, as the buffer's list does
    when BLE samples arrive on the event loop while the dashboard analyses in a worker thread."""

    def __iter__(self):
        items = list(super().__iter__())
        self.append(_block(int(items[-1].sample_index[-1]) + 1, 9))
        return iter(items)


def test_a_window_is_consistent_while_samples_arrive_during_the_analysis():
    buffer = RollingBuffer()
    buffer.append(_block(0, 50))
    buffer._blocks = _GrowsWhileRead(buffer._blocks)
    window = buffer.recording(last_s=10.0)
    assert window.t_s.size == window.acc_g.shape[0] == window.gyr_dps.shape[0] == window.sample_index.size == 50


def test_a_long_standing_start_still_gets_calibrated(tmp_path):
    """The runner stands longer than the calibration head holds: the dashboard calibrates from
    the latest window once running shows, instead of never."""
    res = simulate(treadmill_params(Runner(cadence_spm=170), duration_s=40, standing_s=55, rate_hz=100.0), seed=2)
    path = tmp_path / "late.csv"
    write_recording(path, res.recording)
    buffer = RollingBuffer(metadata={"sample_rate_hz": "100"})
    analyzer = LiveAnalyzer(buffer)
    console = Console(file=io.StringIO(), width=100)
    asyncio.run(run_dashboard(replay_blocks(str(path), 40.0, buffer.append), buffer, analyzer, console, refresh_s=0.25))
    state = analyzer.update()
    assert analyzer.calibration is not None
    assert state.metrics["cadence_spm"] == pytest.approx(170, abs=1.5)


def test_live_device_without_bluetooth_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    import formlab.ble.collector as collector
    from formlab.ble.scan import bluetooth_unavailable
    from formlab.cli import main

    async def no_stack(device, timeout_s, scanner_backend=None):
        raise bluetooth_unavailable(FileNotFoundError(2, "No such file or directory"))

    monkeypatch.setattr(collector, "find_device", no_stack)
    out = tmp_path / "run.csv"
    assert main(["live", "--device", "waist-imu-07", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "no Bluetooth stack found" in err[0] and "Errno" not in err[0]
    assert "formlab live" not in captured.out  # no dashboard drawn for a run that never started
    assert not out.exists()


def test_a_failed_capture_ends_the_dashboard_with_its_error():
    from formlab.errors import CommandError

    async def failing_source():
        await asyncio.sleep(0.05)
        raise CommandError("the sensor went away")

    buffer = RollingBuffer()
    with pytest.raises(CommandError, match="the sensor went away"):
        asyncio.run(run_dashboard(failing_source(), buffer, LiveAnalyzer(buffer), Console(file=open("/dev/null", "w")),
                                  refresh_s=0.01))


@pytest.mark.parametrize("argv, problem", [
    (["--replay", "R", "--out", "x.csv"], "with --replay the recording already exists"),
    (["--replay", "R", "--rate", "100"], "works with --device, not --replay"),
    (["--device", "d", "--out", "x.csv", "--replay-speed", "5"], "works with --replay, not --device"),
])
def test_live_refuses_options_of_the_other_mode(argv, problem, tmp_path, capsys):
    from formlab.cli import main

    shimmer = Path(__file__).resolve().parents[1] / "firmware_recordings" / "shimmer_sacrum_512hz.csv"
    argv = [str(shimmer) if a == "R" else str(tmp_path / a) if a.endswith(".csv") else a for a in argv]
    assert main(["live", *argv]) == 2
    assert problem in capsys.readouterr().err


def test_form_drift_on_the_dashboard_is_the_summary_definition():
    """Steps arriving refresh by refresh (each window's steps, the newest 3 s left for later)
    give the same form drift as the whole run analysed at once."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "report"))
    from report_synthetic import make_session

    from formlab.live import drift_text
    from formlab.summary import drift_windows, form_drift

    steps = make_session(600.0, cadence_drift_spm_per_10min=4.0).steps
    steps = steps[steps["valid"]].reset_index(drop=True)
    analyzer = LiveAnalyzer(RollingBuffer())
    drift = None
    for now_s in np.arange(60.0, 600.0, 2.0):
        window = steps[(steps["t_ic_s"] >= now_s - 60.0) & (steps["t_ic_s"] <= now_s)]
        drift = analyzer.remember(window, now_s - 3.0)
        if now_s < 250.0:
            assert drift is None  # fewer than two 2-minute windows of running so far
    whole = form_drift(drift_windows(steps[steps["t_ic_s"] < 597.0]))
    assert drift["change"] == whole["change"]
    assert drift["change"]["cadence_spm"] > 2.0
    assert drift_text(drift).startswith("Cadence +")
    assert "two drift windows of 2 minutes" in drift_text(None)
