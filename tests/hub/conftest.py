"""Fixtures shared by the hub's tests. The browser tests': Debian's chromium driven by playwright
(nothing is downloaded); a module using them marks itself with
`tests._helpers.chromium.needs_chromium` and `slow`. The stale-table tests': their two models."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def stale_table_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The "old" and "new" models of the stale `## Signatures` table tests
    (tests/_helpers/stale_table.py), saved once; the tests only read them."""
    from tests._helpers.stale_table import old_and_new_models

    return old_and_new_models(tmp_path_factory.mktemp("stale_table"))


@pytest.fixture
def pack_source(tmp_path: Path) -> Path:
    """A model folder `tfhub pack` accepts without TensorFlow (a graph file of a few bytes),
    for the tests of how a pack writes its output."""
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph bytes")
    return model
