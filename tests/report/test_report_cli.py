"""``formlab report`` from the command line, on recordings written to disk."""

from __future__ import annotations

import pytest

from formlab.cli import main
from formlab.simulate import Runner, simulate, treadmill_params, write_simulation


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recs")
    paths = []
    for seed, contact_ms in ((1, 245.0), (2, 265.0)):
        params = treadmill_params(Runner(contact_ms=contact_ms, speed_mps=3.1), duration_s=150.0,
                                  standing_s=6.0, rate_hz=100.0,
                                  metadata={"athlete": "Kim & <i>Lee</i>"})
        path = folder / f"run{seed}.csv"
        write_simulation(simulate(params, seed=seed), path)
        paths.append(path)
    return paths


def test_report_one_recording(recordings, tmp_path, capsys):
    out = tmp_path / "one.html"
    assert main(["report", str(recordings[0]), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Running form report — Kim &amp; &lt;i&gt;Lee&lt;/i&gt;" in html
    assert 'id="s1-timeline"' in html and 'id="s1-cycle"' in html
    assert str(out) in capsys.readouterr().out


def test_report_compares_two_recordings_at_matched_speed(recordings, tmp_path):
    out = tmp_path / "two.html"
    assert main(["report", str(recordings[0]), str(recordings[1]), "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "matched treadmill speed (3.10 m/s)" in html
    assert "run1.csv" in html and "run2.csv" in html


def test_report_refuses_three_recordings(recordings, tmp_path, capsys):
    code = main(["report", str(recordings[0]), str(recordings[1]), str(recordings[0]),
                 "--html", str(tmp_path / "x.html")])
    assert code == 2
    assert "a report compares at most two recordings" in capsys.readouterr().err


def test_contact_time_difference_shows_in_the_comparison(recordings, tmp_path):
    from formlab.analysis import analyze
    from formlab.recording import read_recording
    from formlab.report.compare import compare

    a, b = (analyze(read_recording(p)) for p in recordings)
    rows = {r.metric.key: r for r in compare(a, b).rows}
    assert rows["ground_contact_ms"].delta == pytest.approx(20.0, abs=6.0)


def test_tiles_show_the_real_summary(recordings, tmp_path):
    from formlab.analysis import analyze
    from formlab.recording import read_recording
    from formlab.report import write_report

    analysis = analyze(read_recording(recordings[0]))
    m = analysis.summary["metrics"]
    html = write_report([analysis], tmp_path / "r.html").read_text(encoding="utf-8")
    gct = m["ground_contact_ms"]
    assert f'{m["cadence_spm"]:.0f}<span class="unit">spm' in html
    assert f'{gct["left"]:.0f} L / {gct["right"]:.0f} R' in html
    balance = m["ground_contact_balance_left_pct"]
    assert f"{balance:.1f} L / {100 - balance:.1f} R" in html
    assert f'{m["step_length_m"]:.2f}<span class="unit">m' in html


def test_athlete_and_date_reach_the_header(tmp_path):
    from pathlib import Path

    shimmer = Path(__file__).resolve().parents[2] / "firmware_recordings" / "shimmer_sacrum_512hz.csv"
    out = tmp_path / "r.html"
    assert main(["report", str(shimmer), "--html", str(out), "--athlete", "Ana Runner", "--date", "2026-12-01"]) == 0
    head = out.read_text(encoding="utf-8").split("<nav>")[0]
    assert "Ana Runner" in head and "2026-12-01" in head
