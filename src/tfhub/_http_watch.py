"""Connections whose response headers must arrive within a deadline, and whose host names are
resolved within the connect timeout.

requests' timeout is per socket read, so a server that sends its response headers a byte at a
time holds a request for hours. `mount(session)` installs an adapter whose connections give up
on headers that take longer than `_http_deadline.deadline_now()` (one timer per response, no
per-chunk work) and resolve host names within the connect timeout (`_http_dns`: getaddrinfo has
none).
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from . import _http_dns
from ._http_deadline import TUNNEL_ANSWER, cut_off, deadline_now
from ._http_socket import shutdown


def mount(session: Any) -> None:
    """Makes `session`'s http(s) connections give up on headers slower than the deadline."""
    adapter = _adapter_class()()
    session.mount("http://", adapter)
    session.mount("https://", adapter)


@functools.cache
def _adapter_class() -> type:
    import requests.adapters

    class DeadlineAdapter(requests.adapters.HTTPAdapter):
        """An HTTPAdapter whose pools make connections with a header deadline."""

        def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
            return _watch(super().get_connection_with_tls_context(*args, **kwargs))

        def get_connection(self, *args: Any, **kwargs: Any) -> Any:  # requests < 2.32.2
            return _watch(super().get_connection(*args, **kwargs))

    return DeadlineAdapter


def _watch(pool: Any) -> Any:
    """Makes `pool` create its connections from a header-deadline subclass of its class."""
    pool.ConnectionCls = _watched_class(pool.ConnectionCls)
    return pool


@functools.cache
def _watched_class(base: type) -> type:
    """`base` (an http.client/urllib3 connection class) with `_Watched`'s header deadline and
    bounded name resolution; `base` itself if it is one already."""
    if getattr(base, "_tfhub_watched", False):
        return base
    return type(f"Watched{base.__name__}", (_Watched, base), {})


if TYPE_CHECKING:
    _Connection = Any  # What `_Watched` is mixed into: urllib3's HTTP(S)Connection.
else:
    _Connection = object


class _Watched(_Connection):
    """A connection mixin: headers (and a proxy's answer to CONNECT) cut at the deadline, host
    names resolved within the connect timeout."""

    _tfhub_watched = True

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        seconds, by_budget = deadline_now()
        watch = _Watch(self, seconds)
        try:
            response = super().getresponse(*args, **kwargs)
        except Exception as err:
            if watch.finish():
                raise cut_off(seconds, by_budget, answering=_answering(err)) from err
            raise
        if watch.finish():  # Cut mid-line, http.client may take what came for headers.
            response.close()
            raise cut_off(seconds, by_budget)
        return response

    def _tunnel(self) -> None:
        """Asks the proxy for the tunnel (CONNECT), its answer bounded as headers are:
        http.client reads it line by line with the per-read timeout only, so a proxy
        dripping header lines held the request as long as it dripped (rf57f-F4)."""
        seconds, by_budget = deadline_now()
        watch = _Watch(self, seconds)
        try:
            super()._tunnel()
        except Exception as err:
            if watch.finish():
                answering = _answering(err)
                raise cut_off(seconds, by_budget, what=TUNNEL_ANSWER, answering=answering) from err
            raise
        if watch.finish():  # Cut as the answer ended: the socket is gone either way.
            raise cut_off(seconds, by_budget, what=TUNNEL_ANSWER)

    def _new_conn(self) -> Any:
        """Connects to the addresses of a host name resolved within the connect timeout
        (the system resolver's own limits can hold getaddrinfo for half a minute)."""
        host: Any = getattr(self, "_dns_host", None)  # urllib3 2's name to resolve.
        addresses = _http_dns.resolve_within(self, host)
        if not addresses:  # An address already, or no bound: urllib3 resolves as ever.
            return super()._new_conn()
        last: Exception | None = None
        for address in addresses:  # In the resolver's order, as urllib3 tries them.
            self._dns_host = address
            try:
                return super()._new_conn()
            except Exception as err:  # urllib3's connect errors: try the next address.
                last = err
            finally:
                self._dns_host = host
        assert last is not None
        raise last


def _answering(err: BaseException) -> bool:
    """Whether bytes of an answer had arrived when a cut (the socket shut down) ended its read
    with `err`: http.client raises RemoteDisconnected for a connection that ended before any
    byte, and a socket timeout is a silence; a status line or headers cut short raise
    otherwise (or nothing: headers end at the cut)."""
    import http.client

    return not isinstance(err, (http.client.RemoteDisconnected, TimeoutError))


class _Watch:
    """A timer that shuts a connection's socket down at the deadline, unless finished first."""

    def __init__(self, connection: Any, deadline: float) -> None:
        self.deadline = deadline
        self._connection = connection
        self._lock = threading.Lock()
        self._finished = False
        self._cut = False
        self._timer = threading.Timer(deadline, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            sock = getattr(self._connection, "sock", None)
            if self._finished or sock is None:
                return
            self._cut = True
            shutdown(sock)

    def finish(self) -> bool:
        """Stops the timer (the headers are in, or failed); returns True if it cut them off."""
        with self._lock:
            self._finished = True
        self._timer.cancel()
        return self._cut
