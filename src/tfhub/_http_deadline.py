"""How long a request may wait: the headers' deadline and a download's retry budget.

requests' timeout is per socket read, so a server that sends its response headers a byte at a
time (each byte within the timeout) holds a request for hours. A response's headers (and a
small body read with them) get `headers_deadline()`: `HEADERS_DEADLINE_FACTOR` x
TFHUB_HTTP_TIMEOUT, enforced by `_http_watch` (headers) and `_http_socket.read_within` (a small
body). `RetryBudget` bounds a download's retries in all (TFHUB_HTTP_RETRY_TIMEOUT): its
requests' retries, the resumes of its body and its restarts share one clock, which runs while no
byte arrives; once such a series is under way, `bounded_by(budget)` and `RetryBudget.timeout` cut
each attempt's connecting, headers and reads when the budget runs out (`deadline_now`).
`within_http_timeouts` gives a request of TensorFlow's file systems (gs://, read through its own
libcurl) TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT in all.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from . import constants, errors
from .utils.printable import escaped
from .utils.redact import redact
from .utils.threads import joined

_T = TypeVar("_T")

HEADERS_DEADLINE_FACTOR = 2.0  # A silent wait up to the timeout, then the headers in one go.
# `HeadersTooSlow.what` for a proxy's answer to CONNECT (`_http_watch` bounds it as headers).
TUNNEL_ANSWER = "answer to the request for a tunnel (CONNECT)"
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
    `answering`: bytes of the answer had arrived (it was dripping in), so the peer was not
    silent and the budget, not TFHUB_HTTP_TIMEOUT, cut it.
    """

    def __init__(self, message: str, *, answering: bool = True) -> None:
        super().__init__(message)
        self.answering = answering


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
        # The proxy the body came through (credentials redacted; "" for none) and the
        # sentence naming it (`slow_proxy_hint`), set by its reader (`_http_body.HttpBody`): a
        # give-up after data dripped in names it (rf57f-F1).
        self.proxy = ""
        self.proxy_hint = ""
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

    def not_resumable(self) -> None:
        """The body whose break `failed` counted last cannot be resumed: the download starts
        over. Not a failure of its own: the last failure's reason gets this after why the body
        broke (a proxy's stall, a reset), which a reason of its own lost (rf56d-F1)."""
        broke = self.last_failure or "the download broke"
        self.last_failure = f"{broke}, and the server cannot resume it"

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
            f"give this server more time.{self._dripped_through_proxy()}",
            url=redact(self.url),
            seconds=elapsed,
            cause=self.last_failure,
            limit=self.limit,
            attempts=self.attempts,
            **answered,
        )

    def _dripped_through_proxy(self) -> str:
        """If data dripped in during the series through a proxy (`proxy`) that its last failure
        does not name: the sentence naming that proxy (it may be the slow part); else ""."""
        if not self._bytes or not self.proxy or self.proxy in self.last_failure:
            return ""
        return self.proxy_hint


def proxy_variables(url: str, *, default_scheme: str = "HTTP") -> str:
    """The settings that choose the proxy of a request to `url`, as a message names them:
    `HTTPS_PROXY (or ALL_PROXY), or list the host in NO_PROXY` (`default_scheme` for a URL
    without one)."""
    scheme = urllib.parse.urlsplit(url).scheme.upper() or default_scheme
    return f"{scheme}_PROXY (or ALL_PROXY), or list the host in NO_PROXY"


def slow_proxy_hint(url: str, proxy: str, *, certain: bool = True) -> str:
    """For a download of `url` whose body or headers dripped in too slowly through `proxy`
    (credentials redacted; "" for none): a sentence naming it, since it may be the slow part,
    and the variables that set it (as a stall behind a proxy names it, rf56d-F1); "" if none.
    `certain=False`: the reader did not make the request (it only knows the proxy the settings
    name for `url`), so the sentence says "if"."""
    if not proxy:
        return ""
    check = f"check {proxy_variables(url)}."
    if not certain:
        return f" If it came through the proxy {proxy}, that may be the slow part: {check}"
    return f" It came through the proxy {proxy}, which may be the slow part: {check}"


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


def bound_next(budget: RetryBudget) -> None:
    """Inside `bounded_by`, makes the headers of the requests sent next (a redirect's next hop)
    cut when `budget`'s series runs out as it stands now (a redirect may have started one)."""
    _BUDGET_END.set(budget.end())  # `bounded_by` resets it.


def deadline_now() -> tuple[float, bool]:
    """The seconds the headers of a response may take from now, and whether the retry budget
    (not HEADERS_DEADLINE_FACTOR x TFHUB_HTTP_TIMEOUT) sets them."""
    seconds = headers_deadline()
    end = _BUDGET_END.get()
    if end is None or end - time.monotonic() >= seconds:
        return seconds, False
    return max(MIN_ATTEMPT_SEC, end - time.monotonic()), True


def cut_off(
    seconds: float, by_budget: bool, *, what: str = "response headers", answering: bool = True
) -> Exception:
    """The error for `what` (headers, a small body) cut off at the deadline (`seconds`);
    `answering`: bytes of it had arrived (see `BudgetSpent`)."""
    if by_budget:
        return BudgetSpent(
            f"the retry budget ran out after {seconds:.2f} s waiting for {what}",
            answering=answering,
        )
    return HeadersTooSlow(seconds, what=what)


def within_http_timeouts(
    call: Callable[[], _T],
    *,
    path: str,
    what: str,
    verb: str = "read",
    key: object = None,
    why: str = "its server may be failing, or a listing of the bucket never ends",
) -> _T:
    """Returns `call()`, a request of TensorFlow's file systems about `path`, if it ends within
    TFHUB_HTTP_TIMEOUT (a first answer's time, as a request's first attempt gets it in full)
    plus TFHUB_HTTP_RETRY_TIMEOUT (its retries): TensorFlow's GCS file system follows a
    listing's nextPageToken for as long as the server sends one, and retries a failing server
    for minutes, bounded by nothing of tfhub's. It runs in a daemon thread (with the stop
    signals left to this one); while a call about `path` that timed out still runs there, the
    same question does not start another beside it: it waits for it to end, then asks afresh
    (`utils.threads.joined(fresh=True)`: never an answer from before it asked). A question is
    ("gfile", what, path) unless `key` names it otherwise (a reader's own read calls: another
    reader of the same bytes must not wait behind one that is stuck).

    Args:
        call: the request (e.g. `tf.io.gfile.exists(path)`).
        path: what it asks about, named in the error.
        what: the question, in words ("whether it exists").
        verb: what the caller could not do to `path` ("read", "remove"), for the error.
        key: the question's key for `joined` (default ("gfile", what, path)).
        why: the likely causes, for the error.

    Raises:
        tfhub.errors.RetryTimeoutError: (a TimeoutError) no answer in time. TensorFlow's call
            cannot be stopped: it goes on in its thread until it ends, or the process does.
        Whatever `call` raises.
    """
    first, limit = constants.http_timeout(), constants.http_retry_timeout()
    start = time.monotonic()
    question = ("gfile", what, path) if key is None else key
    running = joined(question, call, name="tfhub-gfile-request", fresh=True)
    if not running.done.wait(first + limit):
        seconds = time.monotonic() - start
        raise errors.RetryTimeoutError(
            f"Cannot {verb} {escaped(redact(path))}: TensorFlow's file system did not say {what} "
            f"within {seconds:.1f} s ({constants.TFHUB_HTTP_TIMEOUT}={first:g} s for an answer, "
            f"then {constants.TFHUB_HTTP_RETRY_TIMEOUT}={limit:g} s of retries; {why}). "
            "Check the path and your "
            f"network, or set {constants.TFHUB_HTTP_RETRY_TIMEOUT} higher.",
            url=redact(path),
            seconds=seconds,
            cause=f"no answer {what}",
            limit=limit,
            attempts=1,  # One call of TensorFlow's (its own retries are not counted).
        )
    return running.result()  # type: ignore[no-any-return]
