"""Run an asyncio program on a virtual clock: idle waits take no real time.

The virtual radio (two bumble controllers in one process) does all its work in event-loop
callbacks, so time only matters through timers. This loop jumps its clock to the next timer
whenever nothing is ready, and ``time.monotonic``/``time.monotonic_ns`` follow the same clock,
so the collector's host timestamps are the virtual ones. A 60 s stream takes a few real
seconds; everything else (bleak, bumble, the collector) runs unchanged.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


class VirtualClock:
    def __init__(self, start_s: float = 10_000.0) -> None:
        self.now_ns = int(start_s * 1e9)

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``, rounded up: a timer due in under 1 ns must still come due."""
        self.now_ns += max(1, math.ceil(seconds * 1e9))

    def monotonic_ns(self) -> int:
        return self.now_ns

    def monotonic(self) -> float:
        return self.now_ns * 1e-9


class _AdvancingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls for real I/O without blocking; an idle wait advances the virtual clock instead."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None):  # type: ignore[override]
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            return super().select(None)
        self._clock.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_AdvancingSelector(clock))
        self._virtual = clock

    def time(self) -> float:
        return self._virtual.monotonic()


def run_virtual(coro: Coroutine[Any, Any, T], monkeypatch: pytest.MonkeyPatch) -> T:
    """Run ``coro`` to completion on a fresh virtual-time loop."""
    clock = VirtualClock()
    monkeypatch.setattr(time, "monotonic_ns", clock.monotonic_ns)
    monkeypatch.setattr(time, "monotonic", clock.monotonic)
    loop = VirtualTimeLoop(clock)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
