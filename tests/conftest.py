"""Fixtures shared by every test: an isolated cache, the upstream fixtures, a local server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.http_server import LocalServer, serve_folder

DATA_DIR = Path(__file__).parent / "data"
UPSTREAM_DIR = DATA_DIR / "upstream"

_TFHUB_ENV_VARS = [
    "TFHUB_CACHE_DIR",
    "TFHUB_OFFLINE",
    "TFHUB_MODEL_LOAD_FORMAT",
    "TFHUB_DOWNLOAD_PROGRESS",
    "TFHUB_HTTP_TIMEOUT",
    "TFHUB_DISABLE_CERT_VALIDATION",
    "TFHUB_HTTP_RETRIES",
    "TFHUB_KAGGLE_ENDPOINT",
    "TFHUB_DEBUG",
    "TFHUB_MAX_EXTRACTED_BYTES",
    "TFHUB_DOWNLOAD_MIN_SPEED",
]


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gives every test its own empty cache folder and a clean TFHUB_* environment."""
    for name in _TFHUB_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    cache_dir = tmp_path / "tfhub_cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("TFHUB_DOWNLOAD_PROGRESS", "0")
    return cache_dir


@pytest.fixture
def upstream_dir() -> Path:
    """The read-only fixtures made by the real tensorflow_hub (tests/data/upstream/README.md)."""
    return UPSTREAM_DIR


@pytest.fixture
def upstream_copy(tmp_path: Path) -> Path:
    """A writable copy of the upstream fixtures, for tests that move or modify them."""
    target = tmp_path / "upstream"
    shutil.copytree(UPSTREAM_DIR, target)
    return target


@pytest.fixture
def served_dir(tmp_path: Path) -> Path:
    """An empty folder that the `server` fixture serves."""
    folder = tmp_path / "served"
    folder.mkdir()
    return folder


@pytest.fixture
def server(served_dir: Path) -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 (random port) serving `served_dir`."""
    with serve_folder(os.fspath(served_dir)) as running:
        yield running
