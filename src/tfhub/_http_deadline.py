"""Bounds what a server can make a request wait for, where requests' timeouts do not.

requests' timeout is per socket read, so a server that sends its response headers a byte at a
time (each byte within the timeout) holds a request for hours, and requests reads the whole body
of every redirect into memory (a 302 with an endless body fills the RAM). `mount(session)`
installs an adapter whose connections give up on headers that take longer than
`HEADERS_DEADLINE_FACTOR` x TFHUB_HTTP_TIMEOUT (one timer per response, no per-chunk work) and
resolve host names within the connect timeout (getaddrinfo has none: a thread per connection),
`redirect_body_capper` reads none of a redirect's body, `read_within` reads a small body (a
303's location, an error's text) within the same deadline as headers, and
`downgrade_refuser` stops a redirect from https to plain http (whose answer anyone on the way
could replace). `RetryBudget` bounds a download's retries in all (TFHUB_HTTP_RETRY_TIMEOUT): its
requests' retries, the resumes of its body and its restarts share one clock, which runs while no
byte arrives; once such a series is under way, `bounded_by(budget)` and `RetryBudget.timeout` cut
each attempt's connecting, headers and reads when the budget runs out.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

from . import _http_dns, constants, errors
from .utils.redact import redact

HEADERS_DEADLINE_FACTOR = 2.0  # A silent wait up to the timeout, then the headers in one go.
MIN_ATTEMPT_SEC = 0.05  # The shortest timeout an attempt gets when the budget is nearly spent.
# When the retry budget of the request being sent runs out (time.monotonic()), if it has started.
_BUDGET_END: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "tfhub_budget_end", default=None
)


class HeadersTooSlow(Exception):
    """The response headers did not arrive within the deadline (the connection was cut).

    Not an OSError on purpose: urllib3 and requests pass it through untouched, so it is not
    mistaken for a connection error and retried.
    """

    def __init__(self, seconds: float, *, what: str = "response headers") -> None:
        super().__init__(f"the {what} took more than {seconds:g} s")
        self.seconds = seconds
        self.what = what


class BudgetSpent(TimeoutError):
    """The retry budget ran out while a response's headers (or a small body read within their
    deadline) were awaited: the connection was cut.

    A TimeoutError on purpose: urllib3 reports it as a read timeout, which `_http.get` counts as
    a failed attempt; the budget's check then raises RetryTimeoutError. It never reaches users.
    """


class RetryBudget:
    """How long one download may go on failing (TFHUB_HTTP_RETRY_TIMEOUT), shared by the retries
    of its requests, the resumes of its body and its restarts.

    A series of failures starts with the request or read that first fails, and ends when data
    has arrived since at TFHUB_DOWNLOAD_MIN_SPEED on average over the series (any data, if that
    check is off): a download receiving data is never cut, while one whose server stalls, fails
    slowly, keeps asking to wait (Retry-After) or sends a few bytes per connection gives up
    after the setting's seconds, with an error saying how long it tried, how often, and what
    failed last. The limit is checked before each wait and retry, and while a series is under
    way each attempt's connecting, headers and reads get at most the seconds left of it
    (`timeout`, `bounded_by`), so no attempt runs past the limit by its own timeouts. A
    redirect followed also puts the download in a series (`redirected`): a chain of up to 30
    redirects, each answered just inside the headers' deadline, held one request for 60 x
    TFHUB_HTTP_TIMEOUT without a byte of the model.
    """

    def __init__(self, *, handle: str, url: str) -> None:
        self.limit = constants.http_retry_timeout()
        self.min_speed = constants.download_min_speed()
        self.handle = handle
        self.url = url
        self.http_timeout = constants.http_timeout()
        self.attempts = 0
        self.last_failure = ""
        self.last_status: int | None = None  # The last failure's HTTP status, if an answer.
        self.warned_about_wait = False  # Said once: a server asks for longer than tfhub waits.
        self.redirects = 0  # Followed since the series started (or since the first request).
        self._since = time.monotonic()
        self._bytes = 0  # Received since the series started.

    def _in_series(self) -> bool:
        return bool(self.attempts or self.redirects)

    def start(self) -> None:
        """A request is sent or a read begins: the clock starts now, unless a series of failures
        (or redirects) is under way (then it goes on)."""
        if not self._in_series():
            self._since = time.monotonic()
            self._bytes = 0

    def received(self, count: int) -> None:
        """`count` bytes arrived: the series of failures under way ends if the data since its
        start averages TFHUB_DOWNLOAD_MIN_SPEED (a trickle of bytes between stalls does not)."""
        if not self._in_series() or not count:
            return
        self._bytes += count
        if self._bytes >= self.min_speed * self.elapsed():
            self.attempts = self.redirects = 0
            self.last_failure = ""
            self.last_status = None
            self.start()

    def end(self) -> float | None:
        """When the series of failures under way runs out of time (`time.monotonic()`), or None
        if none is under way (a first attempt, or data arrived since)."""
        return self._since + self.limit if self._in_series() else None

    def redirected(self) -> None:
        """A redirect was followed: the time since the request was sent counts against the
        limit, as a series of failures does, until data arrives."""
        self.redirects += 1

    def timeout(self) -> float:
        """The socket timeout for the next connect or read: TFHUB_HTTP_TIMEOUT, or the seconds
        left of the series under way if fewer (at least MIN_ATTEMPT_SEC)."""
        end = self.end()
        if end is None:
            return self.http_timeout
        return max(MIN_ATTEMPT_SEC, min(self.http_timeout, end - time.monotonic()))

    def elapsed(self) -> float:
        """Seconds since the series started."""
        return time.monotonic() - self._since

    def failed(self, what: str, *, status: int | None = None) -> None:
        """Counts a failed attempt (a request, or a body that broke off); `what` says why,
        `status` is the HTTP status it was answered with (None: no answer)."""
        self.attempts += 1
        self.last_failure = redact(what)
        self.last_status = status

    def check(self, wait: float) -> None:
        """Raises RetryTimeoutError unless waiting `wait` seconds more, then retrying, stays
        within the limit.

        Args:
            wait: the seconds tfhub would wait before the next attempt.

        Raises:
            tfhub.errors.RetryTimeoutError: the series would last longer than the limit; a
                RetryTimeoutStatusError (also an HTTPStatusError) if the last attempt was
                answered with an error status.
        """
        elapsed = self.elapsed()
        if elapsed + wait > self.limit:
            raise self._timed_out(elapsed)

    def _timed_out(self, elapsed: float) -> errors.RetryTimeoutError:
        """The error saying how long tfhub tried (`elapsed`), how often and what failed last."""
        name = constants.TFHUB_HTTP_RETRY_TIMEOUT
        tries = f"{self.attempts} failed attempt{'' if self.attempts == 1 else 's'}"
        if self.redirects:
            tries += f" after {self.redirects} redirect{'' if self.redirects == 1 else 's'}"
        got = "without receiving any data"
        if self._bytes:
            got = (
                f"receiving only {self._bytes} bytes in that time (less than "
                f"{constants.TFHUB_DOWNLOAD_MIN_SPEED}={self.min_speed:g} bytes/s)"
            )
        cls: Any = errors.RetryTimeoutError
        answered: dict[str, Any] = {}
        if self.last_status is not None:  # Also the status error upstream raised (HTTPError).
            cls, answered = errors.RetryTimeoutStatusError, {"status": self.last_status}
        return cls(
            f"Cannot download {self.handle!r} from {self.url}: tfhub kept trying for "
            f"{elapsed:.1f} s {got} ({tries}; the last: "
            f"{self.last_failure or 'unknown'}), and {name}={self.limit:g} s bounds that. "
            f"Try again later, or set {name} higher (e.g. {max(1800.0, 2 * self.limit):g}) to "
            "give this server more time.",
            url=redact(self.url),
            seconds=elapsed,
            cause=self.last_failure,
            limit=self.limit,
            attempts=self.attempts,
            **answered,
        )


def headers_deadline() -> float:
    """Returns the seconds a response's headers may take: HEADERS_DEADLINE_FACTOR x timeout."""
    return HEADERS_DEADLINE_FACTOR * constants.http_timeout()


@contextlib.contextmanager
def bounded_by(budget: RetryBudget) -> Iterator[None]:
    """The headers of requests sent inside this block (redirects too) are cut when `budget`'s
    series of failures under way runs out, if that is before their own deadline: a `TimeoutError`
    then, which requests reports as a read timeout (retried, so the budget's check ends it)."""
    token = _BUDGET_END.set(budget.end())
    try:
        yield
    finally:
        _BUDGET_END.reset(token)


def _deadline_now() -> tuple[float, bool]:
    """The seconds the headers of a response may take from now, and whether the retry budget
    (not HEADERS_DEADLINE_FACTOR x TFHUB_HTTP_TIMEOUT) sets them."""
    seconds = headers_deadline()
    end = _BUDGET_END.get()
    if end is None or end - time.monotonic() >= seconds:
        return seconds, False
    return max(MIN_ATTEMPT_SEC, end - time.monotonic()), True


def _cut_off(seconds: float, by_budget: bool, *, what: str = "response headers") -> Exception:
    """The error for `what` (headers, a small body) cut off at the deadline (`seconds`)."""
    if by_budget:
        return BudgetSpent(f"the retry budget ran out after {seconds:.2f} s waiting for {what}")
    return HeadersTooSlow(seconds, what=what)


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
    if getattr(base, "_tfhub_watched", False):
        return base

    class Watched(base):  # type: ignore[valid-type, misc]
        _tfhub_watched = True

        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            seconds, by_budget = _deadline_now()
            watch = _Watch(self, seconds)
            try:
                response = super().getresponse(*args, **kwargs)
            except Exception as err:
                if watch.finish():
                    raise _cut_off(seconds, by_budget) from err
                raise
            if watch.finish():  # Cut mid-line, http.client may take what came for headers.
                response.close()
                raise _cut_off(seconds, by_budget)
            return response

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

    Watched.__name__ = Watched.__qualname__ = f"Watched{base.__name__}"
    return Watched


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
            _shutdown(sock)

    def finish(self) -> bool:
        """Stops the timer (the headers are in, or failed); returns True if it cut them off."""
        with self._lock:
            self._finished = True
        self._timer.cancel()
        return self._cut


def redirect_body_capper(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests response hook: a redirect's body is not read at all (its connection is closed).

    Hooks run before requests follows a redirect, which would otherwise read the whole body (a
    302 streaming without end filled the RAM), and any read of it could be dripped a byte per
    TFHUB_HTTP_TIMEOUT for hours. The body of a redirect is never used.
    """
    if response.is_redirect:
        response._content = b""  # requests' documented-by-use cache of the body.
        response._content_consumed = True
        response.raw.close()
    return response


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
    deadline, by_budget = _deadline_now()
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
            raise _cut_off(deadline, by_budget, what=what) from err
        raise
    finally:
        timer.cancel()
    if fired.is_set():
        raise _cut_off(deadline, by_budget, what=what)
    return bytes(data)


def downgrade_refuser(handle: str, budget: RetryBudget | None = None) -> Any:
    """Returns a requests response hook that refuses a redirect from https to plain http, and
    counts each redirect against `budget` (the next hop's headers are cut when it runs out)."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.is_redirect:
            try:
                target = redirect_target(response, handle=handle)
                check_redirect(response.url, target, handle=handle)
            except errors.DownloadError:
                response.close()
                raise
            if budget is not None:
                budget.redirected()
                _BUDGET_END.set(budget.end())  # Inside `bounded_by`, which resets it.
        return response

    return hook


def redirect_target(response: Any, *, handle: str) -> str:
    """The absolute URL a redirect's Location names, read as requests reads it (its bytes as
    UTF-8, relative to the answering URL).

    Raises:
        tfhub.errors.DownloadError: a Location that cannot be read or parsed (not UTF-8, an
            unclosed IPv6 host, a port above 65535): requests, and urllib.parse, raised a
            builtin ValueError or UnicodeDecodeError for it.
    """
    location = response.headers.get("Location", "")
    try:
        target = urllib.parse.urljoin(response.url, location.encode("latin-1").decode("utf-8"))
        _ = urllib.parse.urlsplit(target).port  # A ValueError for a port out of range.
    except (ValueError, UnicodeError) as err:  # UnicodeError is a ValueError too.
        from .utils.printable import escaped

        shown = escaped(redact(location)[:200])
        raise errors.DownloadError(
            f"Cannot download {handle!r}: {redact(response.url)} redirected to an address that "
            f"cannot be read ({type(err).__name__}: {str(err)[:80]}; Location: {shown}). Tell "
            "the server's owner."
        ) from None
    return target


def check_redirect(source: str, target: str, *, handle: str) -> None:
    """Raises InsecureRedirectError if `source` is https and `target` plain http.

    Args:
        source: the URL that answered with a redirect.
        target: the absolute URL it redirects to.
        handle: the handle being resolved, named in the error.
    """
    if urllib.parse.urlsplit(source).scheme.lower() != "https":
        return
    if urllib.parse.urlsplit(target).scheme.lower() != "http":
        return
    raise errors.InsecureRedirectError(
        f"Cannot download {handle!r}: {source} redirected to {target[:300]}, a plain http "
        "address: refused, since anyone on the network path could replace the model there. "
        "Ask the server's owner to redirect to https; if you trust that network, use the "
        "http:// address as the handle.",
        url=redact(target),
        source=redact(source),
    )


def shutdown_socket(response: Any) -> None:
    """Shuts down the socket of a requests response, so a read blocked on it returns at once.

    Closing alone does not wake a read blocked in another thread (and waits for it).
    """
    sock = _socket_of(response)
    if sock is not None:
        _shutdown(sock)


def set_read_timeout(response: Any, seconds: float) -> None:
    """Makes the next reads of a requests response's body wait at most `seconds` each."""
    sock = _socket_of(response)
    if sock is not None:
        try:
            sock.settimeout(seconds)
        except OSError:  # Closed by another thread (`HttpBody.close`): the read says so.
            pass


def _socket_of(response: Any) -> socket.socket | None:
    """The socket a requests response's body is read from, or None once it is closed."""
    raw = getattr(response, "raw", None)
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is None:  # Released already (or will close): the socket of the body's file.
        fp = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock


def _shutdown(sock: socket.socket) -> None:
    """Shuts `sock` down both ways: a read blocked on it, in any thread, returns at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # Closed or never connected: nothing to wake.
        pass
