"""The socket under a requests response: shut down (a blocked read returns), its session's
pooled sockets closed (`close_pools`), its read timeout changed, and a small body read within
the headers' deadline (`read_within`).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from ._http_deadline import cut_off, deadline_now

logger = logging.getLogger(__name__)


def shutdown_socket(response: Any) -> None:
    """Shuts down the socket of a requests response, so a read blocked on it returns at once.

    Closing alone does not wake a read blocked in another thread (and waits for it).
    """
    sock = _socket_of(response)
    if sock is not None:
        shutdown(sock)


def close_pools(response: Any) -> None:
    """Closes the sockets the requests session of `response` keeps for reuse (its adapter's
    connection pools, a proxy's too). Never raises (an error is logged at debug level).

    A body read to its end (a small archive, in one read) gives its connection back to the
    session's pool, where closing the response leaves it open (urllib3 2 does not close the
    pools a cleared PoolManager drops): a failed extraction's error, which holds the response,
    kept that socket open through the download's cleanup, which then had no descriptor left at
    the limit of open files (EMFILE) and left a `*.deleting.tmp` folder and tensorflow_hub's
    `<entry>.lock`. Each download has a session of its own (`_http.get`).
    """
    adapter = getattr(response, "connection", None)  # requests' HTTPAdapter.
    try:
        managers = [getattr(adapter, "poolmanager", None)]
        managers += list(getattr(adapter, "proxy_manager", {}).values())
        for manager in managers:
            pools = getattr(manager, "pools", None) or {}
            for key in list(pools.keys()):
                pool = pools.get(key)
                if pool is not None:
                    pool.close()
        if adapter is not None:
            adapter.close()
    except Exception:  # Never in place of the download's own error (another requests version
        logger.debug("could not close the pooled connections", exc_info=True)  # may differ).


def set_read_timeout(response: Any, seconds: float) -> None:
    """Makes the next reads of a requests response's body wait at most `seconds` each."""
    sock = _socket_of(response)
    if sock is not None:
        try:
            sock.settimeout(seconds)
        except OSError:  # Closed by another thread (`HttpBody.close`): the read says so.
            pass


def read_within(response: Any, limit: int, *, what: str) -> bytes:
    """Reads at most `limit` bytes of a small body (a 303's location, an error's text) within
    the headers' deadline (or what is left of the retry budget, inside `bounded_by`): each
    read's timeout alone lets a server drip a 4 KB body a byte per TFHUB_HTTP_TIMEOUT, for days.

    Args:
        response: a streamed requests response.
        limit: the most bytes to read.
        what: what the body is, for the error ("303 answer's body").

    Raises:
        HeadersTooSlow: the body took longer (the connection was cut).
        BudgetSpent: the retry budget ran out first (the connection was cut).
    """
    deadline, by_budget = deadline_now()
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        shutdown_socket(response)

    timer = threading.Timer(deadline, cut)
    timer.daemon = True
    timer.start()
    try:
        data = response.raw.read(limit, decode_content=True) or b""
    except Exception as err:
        if fired.is_set():
            raise cut_off(deadline, by_budget, what=what) from err
        raise
    finally:
        timer.cancel()
    if fired.is_set():
        raise cut_off(deadline, by_budget, what=what)
    return bytes(data)


def _socket_of(response: Any) -> socket.socket | None:
    """The socket a requests response's body is read from, or None once it is closed."""
    raw = getattr(response, "raw", None)
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # Released already (or will close): the socket of the body's file.
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


def shutdown(sock: socket.socket) -> None:
    """Shuts `sock` down both ways: a read blocked on it, in any thread, returns at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # Closed or never connected: nothing to wake.
        pass
