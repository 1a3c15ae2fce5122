"""uvicorn's h11 protocol with a deadline for each request's headers, for `tfhub serve --server
uvicorn` and the in-process server.

uvicorn times out only an idle connection after a response (`timeout_keep_alive`): a client
that connects and sends nothing, or sends a request's headers a byte at a time (slowloris),
holds its connection and file descriptor for as long as it likes (measured: still open after
120 s; granian closes it after 30 s). Here a connection waiting for a request's headers is
closed when they have not all arrived `HEADER_TIMEOUT_SECONDS` after the connection was made
or the request's first bytes came, as granian does.

Nor does uvicorn time out a client that stops reading an answer: its connection, and the
buffered part of the archive, were held for as long as the client stayed connected (measured:
still open after 100 s; a client that sends no more data costs nothing to keep). Here a
connection whose write buffer is full (uvicorn paused writing) and from which the client takes
no byte for `WRITE_STALL_SECONDS` is aborted, as nginx's `send_timeout` does.

On a stop signal uvicorn waits for every answer in flight to end (a slow client's download held
a stopped server for minutes), or, given `timeout_graceful_shutdown`, cancels the app's task,
which logged an "Exception in ASGI application" traceback per download. Here a connection still
answering `STOP_MARGIN_SECONDS` before that timeout is aborted: the app sees the client gone and
ends, and the server stops on time and quietly (`graceful_shutdown_timeout`). A request of such
a connection that cannot see it (it waits for the pack of a folder version) is cancelled once
the cut closed its connection, not `STOP_MARGIN_SECONDS` later by uvicorn; it then ends at once
and without that traceback, its client being gone already. The pack itself runs on in a daemon
thread (`archives.archive_for`), which Python does not wait for at exit: the process exits
without it. The app's other blocking calls still run in anyio's worker threads, which are not
daemons (`files` reading an archive's bytes, `api`'s search and version lists, `refresh`'s
tree stamp): they are short, but one stuck in the kernel (a read on a hung NFS mount) delays
the exit of a stopped process until it returns; packs, the long ones, are covered. uvicorn
loads the class by its import path (`runner` passes it), also in its worker processes;
importing this module imports uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Windows: uvicorn's buffer only.
    fcntl = termios = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

HEADER_TIMEOUT_SECONDS = 30.0  # granian's own (its http1 header_read_timeout).
# The longest request head h11 buffers before it is complete (its default, 16 KB, answered a
# longer URL that came in several reads with h11's own 400 "Invalid HTTP request received.",
# without the hub's headers, and with the hub's 414 when it came in one read): granian's own
# limit (~64 KB, hyper's), so the hub's 414 (request_target.MAX_TARGET_BYTES) answers both servers.
MAX_REQUEST_HEAD_BYTES = 64 << 10
WRITE_STALL_SECONDS = 60.0  # nginx's send_timeout.
# uvicorn's own cancelling of the tasks left at a stop comes this long after the cut of the
# answers in flight: the time their apps take to see the client gone and end.
STOP_MARGIN_SECONDS = 2.0


def graceful_shutdown_timeout(stop_timeout: float) -> float:
    """uvicorn's `timeout_graceful_shutdown` for a stop that cuts the answers still in flight
    `stop_timeout` seconds after a stop signal (`DeadlineH11Protocol.shutdown`)."""
    return stop_timeout + STOP_MARGIN_SECONDS


class DeadlineH11Protocol(H11Protocol):
    """H11Protocol closing a connection whose request headers are late, or whose client takes
    no byte of the answer for too long (see the module)."""

    _header_deadline: asyncio.TimerHandle | None = None
    _write_deadline: asyncio.TimerHandle | None = None
    _write_buffered = 0
    _cut_by_stop = False
    _app_task: asyncio.Task[Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inner_app = self.app
        self.app = self._app_ending_quietly_when_cut

    async def _app_ending_quietly_when_cut(self, scope: Any, receive: Any, send: Any) -> None:
        """The app; uvicorn's cancelling of a request whose connection the stop cut (its
        client gone) ends it without the traceback uvicorn logs for a cancelled app."""
        self._app_task = asyncio.current_task()
        try:
            await self._inner_app(scope, receive, send)
        except asyncio.CancelledError:
            if not self._cut_by_stop:
                raise

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting_for_headers():
            self._disarm_header_deadline()
        elif self._header_deadline is None:  # The first bytes of the next request.
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        self._disarm_write_deadline()
        super().connection_lost(exc)
        if self._cut_by_stop and self._app_task is not None and not self._app_task.done():
            self._app_task.cancel()  # It may not see the cut (it awaits a pack): ends now.

    def shutdown(self) -> None:
        """uvicorn's start of a graceful stop; an answer in flight is cut if it is still going
        at the stop timeout (`graceful_shutdown_timeout`; none without one)."""
        super().shutdown()
        timeout = self.config.timeout_graceful_shutdown
        if timeout is not None and not self._waiting_for_headers():
            self.loop.call_later(max(timeout - STOP_MARGIN_SECONDS, 0.0), self._cut_at_stop)

    def _cut_at_stop(self) -> None:
        if not self._waiting_for_headers() and not self.transport.is_closing():
            self._cut_by_stop = True
            self.transport.abort()  # close() would wait for a client that reads nothing.

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_deadline is None:
            self._arm_write_deadline()

    def resume_writing(self) -> None:
        self._disarm_write_deadline()
        super().resume_writing()

    def _waiting_for_headers(self) -> bool:
        """No request is being answered: the next one's headers are awaited."""
        return self.cycle is None or self.cycle.response_complete

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(HEADER_TIMEOUT_SECONDS, self._headers_too_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_late(self) -> None:
        self._header_deadline = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.transport.close()

    def _arm_write_deadline(self) -> None:
        self._write_buffered = self._unsent()
        self._write_deadline = self.loop.call_later(WRITE_STALL_SECONDS, self._check_writes)

    def _disarm_write_deadline(self) -> None:
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None

    def _check_writes(self) -> None:
        """Aborts the connection (its buffer dropped) if the client took no byte meanwhile."""
        self._write_deadline = None
        if self._unsent() < self._write_buffered:
            self._arm_write_deadline()  # Slow, but reading.
        else:
            self.transport.abort()

    def _unsent(self) -> int:
        """Bytes of the answer the client has not taken: uvicorn's buffer, and the kernel's
        send queue where it can be read (Linux TIOCOUTQ; the kernel wakes a writer only once a
        third of its queue is free, which a slow reader may take longer than the deadline to
        read)."""
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        outq = getattr(termios, "TIOCOUTQ", None)
        if sock is not None and outq is not None and fcntl is not None:
            with contextlib.suppress(OSError, ValueError):
                unsent += struct.unpack("i", fcntl.ioctl(sock.fileno(), outq, bytes(4)))[0]
        return unsent
