"""Probes (session 43) of the handles and the hosting protocol with hostile or confused input.

Each test runs a real server on 127.0.0.1 (or parses a handle): what tfhub fetches must be what
the cache entry it writes is named after, and what a server answers must stay bounded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer

import tfhub as hub
from tfhub import cache, errors, handles

# --- A backslash in a URL's authority --------------------------------------------------------
# Python's urlsplit reads `http://A\@B/m` as user `A\` at host B; urllib3 (so requests), like
# browsers, ends the authority at the backslash and connects to A. tfhub named the cache entry
# after B (the user name dropped) and filled it with A's answer: `http://B/m` was then served
# what A sent, without a request (a cache poisoned by one handle from a config or a doc).


@pytest.fixture
def any_path_server(server: LocalServer, served_dir: Path) -> Iterator[LocalServer]:
    """The `server` fixture answering every GET with one archive (an attacker's model)."""
    archive = make_tar_gz(served_dir / "evil.tar.gz", {"saved_model.pb": b"attacker's model"})

    def behaviour(handler: object, path: str, query: dict[str, list[str]]) -> bool:
        handler.serve_file(archive)  # type: ignore[attr-defined]
        return True

    server.state.behaviours.append(behaviour)
    yield server


def test_backslash_in_authority_is_refused_before_any_request(
    any_path_server: LocalServer,
) -> None:
    victim = "http://models.example.com/google/x/1"
    handle = f"http://127.0.0.1:{any_path_server.port}\\@models.example.com/google/x/1"

    with pytest.raises(errors.InvalidHandleError, match="backslash") as raised:
        hub.resolve(handle)

    assert "%5C" in str(raised.value)  # Says how to write one in a user name.
    assert any_path_server.state.requests == []
    assert not os.path.exists(cache.module_dir(handles.cache_key(victim)))


@pytest.mark.parametrize(
    "handle",
    [
        "https://evil.example\\@tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/5",
        "https://evil.example\\@www.kaggle.com/models/google/bert/tensorFlow2/en/1",
        "https://user:pa\\ss@host.example/m.tar.gz",
        "http://host.example\\models/m.tar.gz",
    ],
)
def test_backslash_in_authority_is_an_invalid_handle(handle: str) -> None:
    with pytest.raises(errors.InvalidHandleError, match="backslash") as raised:
        handles.parse(handle)

    assert "pa\\" not in str(raised.value)  # The password is not shown, not even quoted.


@pytest.mark.parametrize(
    "handle",
    [
        "https://user:pa%5Css@host.example/m.tar.gz",  # Percent-encoded, as RFC 3986 asks.
        "https://host.example/a\\b/m.tar.gz",  # In the path: every parser reads the same host.
        "https://host.example/m.tar.gz?q=a\\b",
    ],
)
def test_backslash_outside_authority_is_taken(handle: str) -> None:
    parsed = handles.parse(handle)

    assert isinstance(parsed, handles.HttpModel)
    assert handles.cache_handle(handle, parsed) == handle.replace("user:pa%5Css@", "")
