"""A resolver written for tensorflow_hub (docs/resolving.md's `MirrorResolver`: `_call_urlopen`
then `DownloadManager.download_and_uncompress`) against a server dripping its body a byte at a
time, each byte within TFHUB_HTTP_TIMEOUT: the per-read timeout alone let it hold the download
for as long as the server liked (rf51c-F1). A real server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import time
import urllib.request
from typing import Any

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import drip_body

import tfhub as hub
from tfhub import errors, resolver


class _MirrorResolver(resolver.HttpResolverBase):
    """docs/resolving.md's example: `mirror://NAME` is `BASE/NAME`, downloaded as upstream's
    resolvers download."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self._base = base

    def is_supported(self, handle: str) -> bool:
        return handle.startswith("mirror://")

    def __call__(self, handle: str) -> str:
        url = self._base + handle[len("mirror://") :]
        cache_dir = resolver.tfhub_cache_dir(use_temp=True)
        assert cache_dir is not None
        module_dir = resolver.create_local_module_dir(
            cache_dir, hashlib.sha1(handle.encode()).hexdigest()
        )

        def download(handle: str, tmp_dir: str) -> None:
            with self._call_urlopen(urllib.request.Request(url)) as response:
                resolver.DownloadManager(url).download_and_uncompress(response, tmp_dir)

        return resolver.atomic_download(handle, download, module_dir)


@pytest.fixture
def mirror(server: Any, global_registry: Any) -> Any:
    """The mirror resolver registered over `server`, removed afterwards."""
    registered = _MirrorResolver(server.url(""))
    global_registry.add_implementation(registered)  # Removed after the test by the fixture.
    return registered


def test_a_dripping_body_read_by_download_manager_is_too_slow(
    server: Any, mirror: Any, isolated_cache: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    server.state.behaviours.append(drip_body("/m.tar.gz", 200, length=1 << 20))
    started = time.monotonic()
    with pytest.raises(errors.DownloadTooSlowError) as caught:
        hub.resolve("mirror://m.tar.gz")
    assert time.monotonic() - started < 8
    message = str(caught.value)
    assert server.url("m.tar.gz") in message
    assert "TFHUB_DOWNLOAD_MIN_SPEED=1024" in message and "TFHUB_HTTP_TIMEOUT=1" in message
    assert isinstance(caught.value, TimeoutError)
    assert not isolated_cache.exists() or not [
        name for name in isolated_cache.iterdir() if name.name != ".locks"
    ]


def test_download_manager_still_extracts_a_model_at_full_speed(
    server: Any, served_dir: Any, mirror: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    make_tar_gz(served_dir / "m.tar.gz")
    assert read_tree(hub.resolve("mirror://m.tar.gz")) == MODEL_FILES


def test_min_speed_zero_turns_the_check_off(
    server: Any, mirror: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TFHUB_DOWNLOAD_MIN_SPEED=0: the server's 30 s of drips end the body (not an archive)."""
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("TFHUB_DOWNLOAD_MIN_SPEED", "0")
    server.state.behaviours.append(drip_body("/m.tar.gz", 200, length=8))  # 8 bytes: 1.6 s.
    with pytest.raises(errors.NotAnArchiveError):
        hub.resolve("mirror://m.tar.gz")
