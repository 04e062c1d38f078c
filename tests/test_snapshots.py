"""Snapshots of SUMMARY.json and STEPS.csv: a change of any number is seen, and made on purpose
(write them again with ``python tests/snapshots/sessions.py`` and commit them with the change).

Numbers may differ by one unit in their last kept decimal (floating-point summation order across
numpy versions); anything larger, any text, any key and any row count must be identical."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent / "snapshots"
sys.path.insert(0, str(HERE))

from sessions import SESSIONS, outputs  # noqa: E402


def _decimals(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _same(kept, now, where: str) -> list[str]:
    """Differences between a snapshot value and the current one, with their JSON paths."""
    if isinstance(kept, dict) and isinstance(now, dict):
        diffs = [f"{where}: keys {sorted(set(kept) ^ set(now))}"] if set(kept) != set(now) else []
        for key in set(kept) & set(now):
            diffs += _same(kept[key], now[key], f"{where}.{key}")
        return diffs
    if isinstance(kept, list) and isinstance(now, list):
        if len(kept) != len(now):
            return [f"{where}: {len(kept)} items, now {len(now)}"]
        return [d for i, (a, b) in enumerate(zip(kept, now)) for d in _same(a, b, f"{where}[{i}]")]
    if isinstance(kept, float) or isinstance(now, float):
        unit = 10.0 ** -max(_decimals(kept), _decimals(now))
        return [] if math.isclose(kept, now, abs_tol=unit * 1.001) else [f"{where}: {kept} → {now}"]
    return [] if kept == now else [f"{where}: {kept!r} → {now!r}"]


def test_a_changed_number_is_seen():
    kept = {"running": {"steps": 12}, "metrics": {"cadence_spm": 172.4, "note": "a"}}
    assert _same(kept, kept, "s") == []
    assert _same(kept, {"running": {"steps": 13}, "metrics": kept["metrics"]}, "s")
    assert _same(kept, {"running": {"steps": 12}, "metrics": {"cadence_spm": 172.6,
                                                              "note": "a"}}, "s")
    assert not _same(kept, {"running": {"steps": 12}, "metrics": {"cadence_spm": 172.5,
                                                                  "note": "a"}}, "s")


@pytest.fixture(scope="module", params=sorted(SESSIONS))
def session(request):
    name = request.param
    summary, steps_csv = outputs(name)
    return name, summary, steps_csv


def test_summary_json_matches_its_snapshot(session):
    name, summary, _ = session
    kept = json.loads((HERE / f"{name}.summary.json").read_text(encoding="utf-8"))
    diffs = _same(kept, summary, "summary")
    assert not diffs, "\n".join(diffs[:20])


def test_steps_csv_matches_its_snapshot(session):
    name, _, steps_csv = session
    kept = pd.read_csv(HERE / f"{name}.steps.csv")
    now = pd.read_csv(io.StringIO(steps_csv))
    assert list(now.columns) == list(kept.columns)
    assert len(now) == len(kept), f"{name}: {len(kept)} steps, now {len(now)}"
    for column in kept.columns:
        if kept[column].dtype.kind == "f":
            unit = 10.0 ** -max(_decimals(v) for v in kept[column].dropna()) if \
                kept[column].notna().any() else 0.0
            pd.testing.assert_series_equal(now[column], kept[column], check_exact=False,
                                           atol=unit * 1.001, rtol=0, obj=f"{name}.{column}")
        else:
            assert now[column].tolist() == kept[column].tolist(), f"{name}.{column}"
