"""Long runs stay light: a one-hour 200 Hz session's report is well under 8 MB, because only what
is plotted is thinned out."""

from __future__ import annotations

import pytest
from plotly.offline import get_plotlyjs_version

from formlab.report import write_report
from formlab.report.html import plotly_js
from formlab.report.figures import MAX_POINTS_PER_TRACE, timeline_figures
from report_synthetic import make_session

LIMIT_BYTES = 8_000_000  # the slow real-session test; the synthetic hour is held to 2 MB below


def test_one_hour_200hz_report_is_under_8_mb(tmp_path):
    session = make_session(3600.0, 200.0, speed_stages=[(0, 1800, 3.0), (1800, 3700, 3.4)])
    assert len(session.angles) == 720_000 and len(session.steps) > 10_000
    size = write_report([session], tmp_path / "hour.html").stat().st_size
    library = len(plotly_js().encode("utf-8"))
    assert size <= 2_000_000, "one hour's report within 2 MB"
    assert size - library < 1_000_000, "figures and text of one hour should stay under 1 MB"


def test_plotted_points_are_capped_but_statistics_use_every_step():
    session = make_session(3600.0, 100.0)
    charts = dict((metric.name, fig) for metric, fig in timeline_figures(session, []))
    assert max(len(trace.x) for fig in charts.values() for trace in fig.data) == MAX_POINTS_PER_TRACE
    cadence_dots = [t for t in charts["cadence_spm"].data if t.mode == "markers"]
    assert sum(len(t.x) for t in cadence_dots) == 2 * MAX_POINTS_PER_TRACE
    assert len(session.steps) > 10 * MAX_POINTS_PER_TRACE


@pytest.mark.slow
def test_real_one_hour_200hz_session_report_is_under_8_mb(tmp_path):
    from formlab.analysis import analyze
    from formlab.simulate import Runner, simulate, treadmill_params

    params = treadmill_params(Runner(speed_mps=3.3), duration_s=3600.0, standing_s=10.0,
                              rate_hz=200.0)
    analysis = analyze(simulate(params, seed=4).recording)
    assert len(analysis.steps) > 9_000
    path = write_report([analysis], tmp_path / "hour.html")
    assert path.stat().st_size < LIMIT_BYTES


def test_the_vendored_bundle_matches_the_plotly_that_builds_the_figures():
    head = plotly_js()[:200]
    vendored = head.split("plotly.js (cartesian - minified) v", 1)[1].split()[0]
    assert vendored.split(".")[0] == get_plotlyjs_version().split(".")[0]
    assert len(plotly_js().encode("utf-8")) < 1_600_000  # the cartesian bundle, not the 4.8 MB full one
