"""Fixtures shared by every test folder."""

import pytest

from chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module (tests that use it carry ``chromium.needs_chromium``).
    Per module, not per run: Playwright's sync API holds an event loop while it is open, and the
    live and BLE tests start their own with ``asyncio.run``."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
