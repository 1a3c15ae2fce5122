"""Probes (session 43) of the handles and the hosting protocol with hostile or confused input.

Each test runs a real server on 127.0.0.1 (or parses a handle): what tfhub fetches must be what
the cache entry it writes is named after, and what a server answers must stay bounded.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._helpers.archives import make_tar_gz
from tests._helpers.http_server import LocalServer, see_other
from tests._helpers.raw_server import accept_each, read_request, serve_raw

import tfhub as hub
from tfhub import cache, errors, handles
from tfhub.resolvers.http_uncompressed import HttpUncompressedResolver
from tfhub.uncompressed_module_resolver import HttpUncompressedFileResolver

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


# --- The 303 body `HttpUncompressedFileResolver._call_urlopen` returns ------------------------
# Upstream's method (code written for tensorflow_hub calls it) read the whole body of the 303:
# a server naming its gs:// folder with a body of gigabytes, or one that sends a few bytes then
# nothing, held the caller for as long as it liked (TFHUB_HTTP_TIMEOUT bounds each read, not
# the body). It reads at most MAX_LOCATION_BYTES + 1 bytes, as tfhub's own resolution does.


@pytest.fixture
def endless_see_other() -> Iterator[str]:
    """A raw server answering 303 to gs:// with a 1 GB Content-Length, 8 kB of which it sends
    before going silent (until the test ends); yields its URL."""
    done = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection:
            read_request(connection)
            connection.sendall(
                b"HTTP/1.1 303 See Other\r\nLocation: gs://bucket/m\r\n"
                b"Content-Length: 1000000000\r\n\r\n" + b"gs://bucket/m" + b" " * 8192
            )
            done.wait(30)

    listener = accept_each(answer)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/m?tf-hub-format=uncompressed"
    finally:
        done.set()
        listener.close()


def test_call_urlopen_reads_a_bounded_303_body(
    endless_see_other: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "6")  # Not what ends the read.
    resolver = HttpUncompressedFileResolver()
    started = time.monotonic()

    with pytest.raises(errors.InvalidHandleError, match="more than 4096 bytes"):
        resolver._call_urlopen(urllib.request.Request(endless_see_other))

    assert time.monotonic() - started < 5


def test_call_urlopen_refuses_a_303_body_that_is_not_utf8(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = b"gs://bucket/m\xff"
    answer = (
        b"HTTP/1.1 303 See Other\r\nLocation: gs://bucket/m\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    listener, _ = serve_raw(answer)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/m?tf-hub-format=uncompressed"
    try:
        with pytest.raises(errors.InvalidHandleError, match="not UTF-8") as raised:
            HttpUncompressedFileResolver()._call_urlopen(urllib.request.Request(url))
    finally:
        listener.close()

    assert isinstance(raised.value, ValueError)  # As upstream's UnicodeDecodeError.
    assert url in str(raised.value)


def test_call_urlopen_returns_a_303_body_as_upstream(server: LocalServer) -> None:
    server.state.behaviours.append(see_other("/m", "gs://bucket/m", body=b"gs://bucket/m\n"))

    body = HttpUncompressedFileResolver()._call_urlopen(
        urllib.request.Request(server.url("m?tf-hub-format=uncompressed"))
    )

    assert body == "gs://bucket/m\n"  # Upstream's str, as sent.


# --- The gs:// location of a 303 answer -------------------------------------------------------
# GCS object names are any UTF-8 text, and tensorflow_hub took any body starting with gs://:
# `gs://bucket/modèles/bert/1` is a real folder. tfhub took printable ASCII only (its doc
# says "printable"); it now takes printable text, and still refuses what could hide or fake a
# path (control and format characters, non-breaking spaces, a body that is not UTF-8), spaces
# (as documented) and `..` segments.


def _location(server: LocalServer, body: bytes) -> str:
    """What HttpUncompressedResolver makes of a 303 answer with `body`."""
    server.state.behaviours.append(see_other("/m", "gs://bucket/m", body=body))
    url = server.url("m?tf-hub-format=uncompressed")
    return HttpUncompressedResolver()._request_gcs_location(url, handle=server.url("m"))


@pytest.mark.parametrize(
    "location",
    ["gs://bucket/modèles/bert/1", "gs://bucket/模型/1/", "gs://bucket/ｍｏｄｅｌ/１"],
)
def test_a_printable_non_ascii_gs_location_is_taken_as_upstream(
    server: LocalServer, location: str
) -> None:
    assert _location(server, location.encode() + b"\n") == location


@pytest.mark.parametrize(
    "body",
    [
        "gs://bucket/a\u202eb/1".encode(),  # Right-to-left override: shows another path.
        "gs://bucket/a\u200b/1".encode(),  # Zero-width space.
        "gs://bucket/a\u00a0b/1".encode(),  # Non-breaking space.
        "gs://bucket/a\u2028b".encode(),  # Line separator.
        "gs://bucket/modèles/../x".encode(),
        "gs://bückèt/m".encode(),  # Bucket names are ASCII.
        b"gs://bucket/a b",
        b"gs://bucket/mod\xe8les",  # Latin-1, not UTF-8 (was read as U+FFFD).
        "gs://bucket/\ufffd".encode(),
    ],
)
def test_a_gs_location_that_hides_or_fakes_a_path_is_refused(
    server: LocalServer, body: bytes
) -> None:
    with pytest.raises(errors.InvalidHandleError, match="GCS location"):
        _location(server, body)


# --- A password holding '/', '?' or '#' not percent-encoded -----------------------------------
# `https://user:Ab/cd@host/m` (a base64 API key pasted as the password): the authority ends at
# the '/', `Ab` reads as a port, and tfhub's InvalidHandleError said "names a port that is not a
# port number" and printed the handle with the password (redaction found no userinfo before a
# '/'): in a CI log, to anyone who reads it.


@pytest.mark.parametrize(
    ("handle", "secret", "kept"),
    [
        ("https://user:Ab/cd+Ef@host.example/m.tar.gz", "Ab/cd+Ef", "host.example/m.tar.gz"),
        ("https://user:Ab?cd@host.example/models/m/1", "Ab?cd", "host.example/models/m/1"),
        ("https://user:Ab#cd@host.example/m", "Ab#cd", "host.example/m"),
        ("HTTP://alice:s3cr/et@127.0.0.1:8000/m?token=t0k", "s3cr/et", "127.0.0.1:8000/m"),
    ],
)
def test_password_with_a_reserved_character_is_neither_shown_nor_read_as_a_port(
    handle: str, secret: str, kept: str
) -> None:
    with pytest.raises(errors.InvalidHandleError) as raised:
        hub.resolve(handle)

    message = str(raised.value)
    assert secret not in message and secret.split("/")[0].split("?")[0] not in message
    assert "t0k" not in message
    assert "percent-encode" in message and "port" not in message, message
    assert kept in message  # Where it was going is still said.


@pytest.mark.parametrize(
    "handle",
    [
        "https://host.example:0/@scope/m",  # A bad port, and an '@' in the path (npm-style).
        "https://host.example:99999/m@1",
        "https://[::1]:x/m@1",
    ],
)
def test_a_bad_port_before_an_at_in_the_path_is_still_a_bad_port(handle: str) -> None:
    with pytest.raises(errors.InvalidHandleError, match="port"):
        handles.parse(handle)


@pytest.mark.parametrize("handle", ["https://host.example:/m@1", "https://host.example/@scope/m"])
def test_an_at_in_the_path_after_no_port_is_taken(handle: str) -> None:
    assert handles.cache_handle(handle) == handle
