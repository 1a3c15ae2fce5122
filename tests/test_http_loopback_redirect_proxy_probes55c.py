"""A redirect to this machine's loopback never goes through a proxy (rf55c-F2).

docs/resolving.md: "A URL on this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`: a hub
served on 127.0.0.1, `tfhub demo`) never goes through a proxy, which could not reach it,
whatever `NO_PROXY` says." The first request went direct, but requests takes the environment's
proxies again at each redirect: a hub on 127.0.0.1 redirecting to its own archive (or to another
local port) sent that request to HTTP_PROXY, and the proxy's failure was blamed on the server.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import MODEL_FILES, make_tar_gz, read_tree
from tests._helpers.http_server import LocalServer, archive_gets, redirect_to, serve_folder

import tfhub as hub


@pytest.fixture
def dead_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """HTTP_PROXY (and http_proxy, ALL_PROXY) set to a port bound but not listening (held, so
    no other test's server takes it): a request sent through it fails at once."""
    monkeypatch.setenv("TFHUB_HTTP_RETRIES", "0")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{held.getsockname()[1]}"
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy)
        yield proxy


def test_a_same_host_redirect_of_a_loopback_hub_goes_direct(
    server: LocalServer, served_dir: Path, dead_proxy: str
) -> None:
    make_tar_gz(served_dir / "m.tar.gz")
    server.state.behaviours.append(redirect_to("/latest", server.url("m.tar.gz")))
    assert read_tree(hub.resolve(server.url("latest"))) == MODEL_FILES
    assert len(archive_gets(server, "m.tar.gz")) == 1


def test_a_redirect_to_another_loopback_port_named_localhost_goes_direct(
    server: LocalServer, tmp_path: Path, dead_proxy: str
) -> None:
    storage_dir = tmp_path / "storage"
    storage_dir.mkdir()
    make_tar_gz(storage_dir / "m.tar.gz")
    with serve_folder(os.fspath(storage_dir)) as storage:
        target = storage.url("m.tar.gz").replace("127.0.0.1", "localhost")
        server.state.behaviours.append(redirect_to("/m", target))
        assert read_tree(hub.resolve(server.url("m"))) == MODEL_FILES
        assert len(archive_gets(storage, "m.tar.gz")) == 1


def test_a_redirect_from_a_loopback_hub_to_another_host_still_uses_the_proxy(
    server: LocalServer, dead_proxy: str
) -> None:
    """The proxy is left out for loopback targets only: storage elsewhere is reached through
    it, so the dead proxy is named."""
    server.state.behaviours.append(redirect_to("/m", "http://storage.invalid/m.tar.gz"))
    with pytest.raises(hub.errors.DownloadError) as info:
        hub.resolve(server.url("m"))
    assert f"the proxy {dead_proxy} refused the connection" in str(info.value)
