"""Fixtures shared by every test: an isolated cache, the upstream fixtures, a local server."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.http_server import LocalServer, self_signed_certificate, serve_folder
from tests._helpers.upstream_records import UPSTREAM_DIR

from tfhub import constants, resolvers

_TFHUB_ENV_VARS = constants.tfhub_env_var_names()  # The one list, in tfhub.constants.
_SYSTEM_TEMPDIR = tempfile.gettempdir()  # Read at import, before private_tempdir moves TMPDIR.


@pytest.fixture(autouse=True, scope="session")
def private_tempdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Points TMPDIR, for this process and every process it starts, at a folder below pytest's
    own temporary folder: what tfhub, Beam, TensorFlow and the hub server put in the temporary
    folder (the server's packed archives, publish locks, Beam's staging) stays out of the
    machine's /tmp, where a developer's own `tfhub serve` keeps its files."""
    folder = tmp_path_factory.mktemp("tmpdir")
    before = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again.
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before
        tempfile.tempdir = None


@pytest.fixture(scope="session")
def system_tempdir() -> str:
    """The machine's temporary folder (e.g. /tmp), for the tests that need a folder other users
    can reach (pytest's own folders are private to the user running the tests)."""
    return _SYSTEM_TEMPDIR


@pytest.fixture
def shared_dir(system_tempdir: str) -> Iterator[Path]:
    """A folder that the user `nobody` can read and write (tmp_path is private to root), for
    the tests that run tfhub as that user; skips without root and `setpriv`."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv, to run tfhub as the user nobody")
    folder = tempfile.mkdtemp(prefix="tfhub-shared-", dir=system_tempdir)
    os.chmod(folder, 0o777)
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key (paths), for `enable_tls`."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    return self_signed_certificate(tmp_path_factory.mktemp("tls"), "/CN=127.0.0.1", "IP:127.0.0.1")


@pytest.fixture
def global_registry():
    """Restores the resolvers registered with tfhub after the test."""
    resolvers.install_default_resolvers()
    kept = resolvers.registry.implementations
    yield resolvers.registry
    resolvers.registry.clear_implementations()
    for impl in kept:
        resolvers.registry.add_implementation(impl)


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """TFHUB_HTTP_TIMEOUT and TFHUB_HTTP_RETRY_TIMEOUT of 0.2 s each: a bounded call that gets
    no answer fails in well under a second."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.2")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event set at the end of the test: the calls it left blocked on it end."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def bars_on() -> Iterator[None]:
    """Download progress bars on (as TFHUB_DOWNLOAD_PROGRESS=1), as before after the test."""
    from tfhub.utils import progress

    saved = progress._override
    progress.enable_progress_bars()
    try:
        yield
    finally:
        progress._override = saved
