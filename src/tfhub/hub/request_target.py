"""How a request's target reaches the hub's routes (ASGI middleware): an absolute-form target
served as its path (`AbsoluteForm`), a raw UTF-8 query read as UTF-8 (`Utf8Query`), the
`--base-url` path prefix stripped (`PathPrefix`), and a target longer than `MAX_TARGET_BYTES`
answered 414 (`TargetLength`); and `send_text`, the short text answer of the hub's middleware.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from .files import Receive, Scope, Send

ASGIApp = Any


async def send_text(
    send: Send, status: int, text: str, headers: list[tuple[str, str]] | None = None
) -> None:
    """Sends a short text/plain answer (`headers` may repeat a name)."""
    body = (text + "\n").encode()
    raw = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(key.lower().encode(), value.encode()) for key, value in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class AbsoluteForm:
    """Serves a request whose target is in absolute form (`GET http://host:port/path HTTP/1.1`,
    what an HTTP proxy sends upstream and some clients send) as its path, with the target's
    host in place of the Host header (RFC 9112 3.2.2: a server MUST accept the absolute form,
    and an origin server MUST use the target's host). uvicorn passes the whole URL as the ASGI
    `path` (Starlette then answered its bare 404); granian passes the path already.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
            authority = _ABSOLUTE_FORM.match(raw)
            if authority is not None:
                scope = _origin_form(scope, authority)
        await self.app(scope, receive, send)


# An absolute-form target: http(s)://authority, then nothing or a path (the query is apart).
_ABSOLUTE_FORM = re.compile(rb"(?i)https?://[^/?#]*(?=/|$)")


def _origin_form(scope: Scope, authority: re.Match[bytes]) -> Scope:
    """`scope` of an absolute-form target (`authority`: its scheme and authority matched) as
    its origin form: the path after the authority ("/" if none), and a Host header naming the
    authority (userinfo dropped)."""
    host = authority.group().split(b"//", 1)[1].rpartition(b"@")[2]
    path = authority.string[authority.end() :] or b"/"
    headers = [(name, value) for name, value in scope["headers"] if name.lower() != b"host"]
    return {
        **scope,
        "raw_path": path,
        "path": unquote(path.decode("latin-1")),
        "headers": [(b"host", host), *headers] if host else headers,
    }


# Set in the scope by `Utf8Query` when it rewrites a query: the query's length as sent, in
# bytes (what `TargetLength` bounds, as nginx counts the bytes it receives).
SENT_QUERY_LENGTH = "tfhub.sent_query_length"


class Utf8Query:
    """Percent-encodes the bytes of a query that are not ASCII, so that the app reads a query
    sent as raw UTF-8 (`curl 'http://hub/?q=Zürich'`; granian passes the bytes as sent) as
    UTF-8, as it reads the percent-encoded form and the servers read the path; Starlette reads
    the ASGI `query_string`'s parameters as Latin-1 (the search looked for `ZÃ¼rich`, and the
    page and the access log showed it). A byte that is not part of UTF-8 (a Latin-1 client's
    `q=Z\xfcrich`) is read as Latin-1 (`Zürich`), as its parameters were before, each such
    byte alone (the UTF-8 around it stays UTF-8): it is percent-encoded as the UTF-8 of that
    reading (left raw, Starlette's `request.url`, which decodes it as UTF-8, raised
    UnicodeDecodeError on the pages). The length as sent is kept
    in the scope (`SENT_QUERY_LENGTH`) for `TargetLength`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if not query.isascii():
            text = _as_utf8(query)
            scope = {
                **scope,
                "query_string": _NOT_ASCII.sub(_percent_byte, text),
                SENT_QUERY_LENGTH: len(query),
            }
        await self.app(scope, receive, send)


def _as_utf8(data: bytes) -> bytes:
    """`data` as UTF-8: its UTF-8 kept, each byte that is not part of UTF-8 read as Latin-1
    (`b"\\xe6\\xa8\\xa1&x=\\xfc"` -> `"模&x=ü"`, encoded)."""
    text = data.decode("utf-8", "surrogateescape")  # A stray byte b: U+DC00 + b.
    return _ESCAPED_BYTE.sub(_latin1_of_escaped, text).encode("utf-8")


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _latin1_of_escaped(escaped_byte: re.Match[str]) -> str:
    return chr(ord(escaped_byte.group()) - 0xDC00)


_NOT_ASCII = re.compile(rb"[\x80-\xff]")


def _percent_byte(byte: re.Match[bytes]) -> bytes:
    return b"%%%02X" % byte.group()[0]


class PathPrefix:
    """Serves the hub below the path of its `--base-url` as well as at `/`.

    With `--base-url https://corp.example/hub`, the pages link to `/hub/...`. A reverse proxy
    may strip that prefix (nginx `proxy_pass http://host:port/;`) or pass it on (`proxy_pass
    http://host:port;`, or a browser pointed at the server itself); both reach the same routes.
    A request whose path starts with the prefix is answered as the path without it.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        """`prefix`: the base URL's path (`settings.base_path`), e.g. "/hub"."""
        self.app = app
        self.prefix = unquote(prefix)  # As ASGI's `path` is: decoded.
        self.raw_prefix = quote(self.prefix).encode("ascii")  # As `raw_path`: percent-encoded.

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == self.prefix or path.startswith(self.prefix + "/")):
            rest = path[len(self.prefix) :] or "/"
            raw = scope.get("raw_path")
            scope = {**scope, "path": rest}
            if raw is not None and raw.startswith(self.raw_prefix):
                scope["raw_path"] = raw[len(self.raw_prefix) :] or b"/"
        await self.app(scope, receive, send)


# The longest request target (path and query, as sent) the hub answers, as nginx's default
# request-line buffer (`large_client_header_buffers 4 8k`). Handles are short: a longer URL is
# a mistake or an attack (the 404 page of a 20 KB path was 40 KB). granian answers its own
# 414, without `SECURITY_HEADERS`, past about 64 KB (hyper's limit), and 431 past its header
# buffer (408 KB); this bound keeps every other long URL inside the hub's answers.
MAX_TARGET_BYTES = 8192


class TargetLength:
    """Answers `414 URI Too Long` (text, with the hub's headers when inside `SecurityHeaders`)
    for a request whose path and query are longer than `MAX_TARGET_BYTES`, counted as sent (a
    query `Utf8Query` percent-encoded by its `SENT_QUERY_LENGTH`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
            query = scope.get(SENT_QUERY_LENGTH, len(scope.get("query_string", b"")))
            length = len(path) + query
            if length > MAX_TARGET_BYTES:
                await send_text(
                    send,
                    414,
                    f"414 URI Too Long: this hub answers URLs of at most {MAX_TARGET_BYTES:,} "
                    f"bytes of path and query. Received: {length:,} bytes.",
                    [("Connection", "close")],
                )
                return
        await self.app(scope, receive, send)
