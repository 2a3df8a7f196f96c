"""Debian's Chromium driven by Playwright, for the tests that need a real browser."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian chromium is not installed (/usr/bin/chromium); "
                              "scripts/test installs it with apt-get"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="playwright (python) is not installed"),
]
"""``pytestmark`` of a browser test module: marked ``browser``, skipped (saying why) without one."""


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
