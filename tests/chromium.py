"""Debian's headless Chromium for the browser tests: where it is, how it is started, and how a
page is kept offline. The ``browser`` fixture is in ``tests/conftest.py``."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
needs_chromium = [pytest.mark.browser,
                  pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                     reason=f"Debian chromium is not installed at {CHROMIUM}")]


def block_network(context) -> list[str]:
    """Let the page read its own files and nothing else; the returned list fills with every
    other address the page tried to fetch (a report must open offline)."""
    attempted: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    return attempted
