"""The athlete history: every saved run remembered, trends at matched belt speed, weekly volume
and the 10 % rule, the coach's roster, and batch analysis.

Modules: ``schema`` (SQLite schema and migrations), ``store`` (the store), ``payload`` (what is
kept of one analysed run), ``save`` (``analyze --save``), ``trends`` (matched-speed trends and
baselines), ``volume`` (weekly volume, the 10 % rule), ``guidance`` (their rules file),
``roster`` (HTML pages), ``batch`` (parallel analysis), ``commands`` (the command line).
"""
