"""Fixtures for the BLE tests: run a coroutine against the virtual radio on a virtual clock."""

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from virtual_time import run_virtual


@pytest.fixture
def virtual_run(monkeypatch: pytest.MonkeyPatch) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """``virtual_run(coro)``: run it on a loop whose idle waits take no real time."""
    return lambda coro: run_virtual(coro, monkeypatch)
