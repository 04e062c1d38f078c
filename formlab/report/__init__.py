"""Self-contained HTML report of an analysed session (or two compared) for a coach.

``write_report([analysis], "REPORT.html")`` writes one file with plotly.js inlined once; it opens
offline in any browser. ``add_report_arguments`` / ``run_report`` wire ``formlab report``.
"""

from formlab.report.cli import add_report_arguments, run_report
from formlab.report.html import write_report

__all__ = ["write_report", "add_report_arguments", "run_report"]
