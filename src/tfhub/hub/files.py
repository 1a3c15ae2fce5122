"""Sending a file over ASGI by the hosting protocol's rules (`protocol.plan_file`).

The file is opened first, and the OPENED file is checked to lie inside the folder it may be
sent from (`confinement.open_inside`: ROOT, or the cache of packed folder versions): a file
removed since the catalog listed it, or refused (a symlink out of that folder swapped in since
its path was checked, a FIFO or another file that is not a regular one), is a 404 with the
caller's message; a file the server's user may not read is a 403 (as nginx answers), with a
warning naming it. Its open descriptor is measured and read, so a version replaced while it
is served (`tfhub publish --force` renames the new archive over it) is sent whole from one
inode, with that inode's Content-Length and ETag. The body is read in 1 MiB chunks in a worker
thread, until the client disconnects, or until it takes no chunk for `WRITE_STALL_SECONDS`
(nginx's `send_timeout`): granian waits for a client that stops reading with no deadline
(measured: still holding the connection, its 4 MB of buffers and the file, after 150 s), so
the answer is then abandoned and the server closes the connection. The ASGI
`http.response.pathsend` extension is not used: it hands the server the path, which granian
opens again (measured: 17-37 of 300 downloads during replacements carried the old file's
length and ETag with the new file's bytes, or were cut short).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.to_thread

from . import confinement, protocol

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
CHUNK = 1 << 20
WRITE_STALL_SECONDS = 60.0  # nginx's send_timeout; uvicorn_h11's for the uvicorn server.
logger = logging.getLogger(__name__)
_FORBIDDEN = (
    "403 Forbidden: the hub's server may not read this file (see the server log; its owner "
    "can give the server's user read permission).\n"
)


def joined_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name; a repeated field's lines joined with ", "
    (RFC 9110, 5.3): two `If-None-Match` lines are one list (the last one alone answered 200
    for an ETag in the first), two `Range` lines one invalid range (ignored: 200)."""
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()
    ]


class FileResponse:
    """An ASGI response sending one file with Range, If-Range, If-None-Match and HEAD.

    Args:
        path: the file to send.
        root: the folder the file must lie in once opened (see the module docstring); None:
            the folder holding `path`.
        content_type: its Content-Type.
        headers: more headers to send with it (Cache-Control).
        missing: the body of the 404 when the file is gone or refused.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        root: str | os.PathLike[str] | None = None,
        content_type: str = protocol.ARCHIVE_CONTENT_TYPE,
        headers: dict[str, str] | None = None,
        missing: str = "404 Not Found\n",
    ) -> None:
        self.path = os.fspath(path)
        self.root = os.path.dirname(self.path) if root is None else os.fspath(root)
        self.content_type = content_type
        self.extra_headers = headers or {}
        self.missing = missing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            fd = await anyio.to_thread.run_sync(confinement.open_inside, self.path, self.root)
        except PermissionError as err:  # The server's user may not read it: nginx's 403.
            logger.warning("Cannot send %s: %s (answered 403)", self.path, err.strerror or err)
            await _send_plain(scope, send, 403, _FORBIDDEN)
            return
        if fd is None:  # Removed since the catalog's scan, or refused (logged).
            await _send_missing(scope, send, self.missing)
            return
        try:
            stat = os.fstat(fd)
            request_headers = joined_headers(scope)
            plan = protocol.plan_file(
                request_headers,
                size=stat.st_size,
                etag=protocol.file_etag(stat.st_size, stat.st_mtime_ns),
                content_type=self.content_type,
            )
            headers = plan.headers  # A 412 or 416 without the route's (caching, filename).
            if plan.status not in protocol.FAILED_STATUSES:
                headers = {**headers, **self.extra_headers}
            await send(
                {"type": "http.response.start", "status": plan.status, "headers": _raw(headers)}
            )
            if scope["method"] == "HEAD" or plan.status not in (200, 206):
                await send({"type": "http.response.body", "body": b""})
            elif _announces_body(request_headers):  # Never `receive()`: see _announces_body.
                await _send_chunks(send, fd, plan.start, plan.end)
            else:  # Never `http.response.pathsend`: granian reopens the PATH, maybe replaced.
                await _send_until_gone(receive, send, fd, plan.start, plan.end)
        finally:
            os.close(fd)


def _announces_body(headers: dict[str, str]) -> bool:
    """True if the request's headers announce a body (a Content-Length other than 0, or a
    Transfer-Encoding). The hub reads no body, and its answer must not wait for one: listening
    for the client's disconnect with `receive()` made granian read the body, so a request whose
    body never came held its connection after its answer (3 of 20 at once, past 90 s)."""
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or length != "0"


async def _send_missing(scope: Scope, send: Send, text: str) -> None:
    """A plain-text 404 (the body left out for HEAD)."""
    await _send_plain(scope, send, 404, text)


async def _send_plain(scope: Scope, send: Send, status: int, text: str) -> None:
    """A plain-text answer (the body left out for HEAD)."""
    body = text.encode("utf-8")
    headers = {"content-type": "text/plain; charset=utf-8", "content-length": str(len(body))}
    await send({"type": "http.response.start", "status": status, "headers": _raw(headers)})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


async def _send_until_gone(receive: Receive, send: Send, fd: int, start: int, end: int) -> None:
    """`_send_chunks`, stopped when the client disconnects (`http.disconnect`): servers take
    the body messages that follow silently (uvicorn's ASGI 2.3 `send`, granian), so the rest
    of the file was read for nobody and the access log counted it as sent."""
    async with anyio.create_task_group() as group:

        async def stop_when_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                await anyio.sleep(0)  # A receive that never waits must not starve the sending.
            group.cancel_scope.cancel()

        group.start_soon(stop_when_gone)
        await _send_chunks(send, fd, start, end)
        group.cancel_scope.cancel()  # Sent: stop listening.


async def _send_chunks(send: Send, fd: int, start: int, end: int) -> None:
    """Sends bytes [start, end) of an open file, reading in a worker thread."""
    position = start
    if position >= end:
        await send({"type": "http.response.body", "body": b""})
        return
    while position < end:
        size = min(CHUNK, end - position)
        data = await anyio.to_thread.run_sync(os.pread, fd, size, position)
        if not data:
            raise OSError(f"file shrank while being sent (at byte {position} of {end})")
        position += len(data)
        message = {"type": "http.response.body", "body": data, "more_body": position < end}
        with anyio.move_on_after(WRITE_STALL_SECONDS) as waited:
            await send(message)
        if waited.cancelled_caught:  # The body is left unfinished: the server closes.
            logger.info("Dropped a client that took no byte for %g s", WRITE_STALL_SECONDS)
            return
