"""Fixtures shared by the hub's browser tests: Debian's chromium driven by playwright (nothing is
downloaded). A module using them marks itself with `tests._helpers.chromium.needs_chromium`
and `slow`."""

from __future__ import annotations

import pytest
from tests._helpers.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for a test module (skipped without playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh page of the module's browser, closed after the test."""
    opened = browser.new_page()
    yield opened
    opened.close()
