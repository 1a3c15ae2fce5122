"""uvicorn's h11 protocol with a deadline for each request's headers, for `tfhub serve --server
uvicorn` and the in-process server.

uvicorn times out only an idle connection after a response (`timeout_keep_alive`): a client
that connects and sends nothing, or sends a request's headers a byte at a time (slowloris),
holds its connection and file descriptor for as long as it likes (measured: still open after
120 s; granian closes it after 30 s). Here a connection waiting for a request's headers is
closed when they have not all arrived `HEADER_TIMEOUT_SECONDS` after the connection was made
or the request's first bytes came, as granian does. uvicorn loads the class by its import path
(`runner` passes it), also in its worker processes; importing this module imports uvicorn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_SECONDS = 30.0  # granian's own (its http1 header_read_timeout).


class HeaderDeadlineH11Protocol(H11Protocol):
    """H11Protocol closing a connection whose request headers are late (see the module)."""

    _header_deadline: asyncio.TimerHandle | None = None

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
        super().connection_lost(exc)

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
