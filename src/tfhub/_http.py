"""HTTP for downloads: a requests session, retries with backoff, and a resumable body stream.

`open_body(url)` returns a raw binary stream of the response body. If the connection drops
mid-body, the stream reconnects with `Range: bytes=N-` and goes on where it stopped, so the
reader (gunzip + tar) never notices; if the server ignores Range, `RestartDownload` (that is,
`tfhub.errors.DownloadRestartError`) tells the caller to start over. Connection errors, timeouts
and 5xx/429 answers are retried with exponential backoff, or after the wait a server asks for
in Retry-After (at most 30 s each, logged); 401/403/404 fail at once. The retries of one
download (its requests, resumes and restarts) stop when it has been failing for
TFHUB_HTTP_RETRY_TIMEOUT seconds without data arriving again (`_http_deadline.RetryBudget`).
Proxies and CA bundles come from the usual environment variables (requests reads HTTPS_PROXY,
NO_PROXY, REQUESTS_CA_BUNDLE, ...).
"""

from __future__ import annotations

import io
import logging
import os
import time
from typing import Any

from . import _http_deadline as _deadline
from . import _token, constants, errors, handles
from ._http_errors import brief as _brief
from ._http_errors import cause_text, raise_for_request_error
from ._http_errors import is_connection_error as _is_connection_error
from ._http_status import RetryRecord, status_error
from ._http_status import kaggle_hint as kaggle_hint
from ._http_status import moved_hint as moved_hint
from .utils.numbers import is_number
from .utils.redact import redact

logger = logging.getLogger(__name__)

BACKOFF_BASE_SEC = 0.25
BACKOFF_MAX_SEC = 8.0
# A rate-limited or busy server's Retry-After is honoured up to this long per retry (no wait is
# unbounded: TFHUB_HTTP_RETRIES bounds how many).
RETRY_AFTER_MAX_SEC = 30.0
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_AGAIN_HINT = (
    f"Try again later, or set {constants.TFHUB_HTTP_RETRIES} higher (how often a broken download "
    "is retried)."
)
# The body broke off and the server cannot resume it: download again from the start.
RestartDownload = errors.DownloadRestartError


def _session() -> Any:
    import requests

    session = requests.Session()
    session.headers["Accept-Encoding"] = "identity"  # Archives are compressed already.
    session.headers["User-Agent"] = "tfhub (+https://github.com/tensorflow/hub compatible)"
    _deadline.mount(session)  # Bounds slow headers, which requests' timeouts do not.
    return session


def _verify_setting() -> bool | str | None:
    """Returns requests' `verify` for this call; None lets requests read REQUESTS_CA_BUNDLE.

    It is passed per request: requests lets REQUESTS_CA_BUNDLE override `Session.verify`.
    """
    if constants.cert_validation_disabled():
        logger.warning("Disabled certificate validation for resolving handles.")
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return False
    has_requests_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if os.environ.get("SSL_CERT_FILE") and not has_requests_bundle:
        return os.environ["SSL_CERT_FILE"]
    return None


def backoff_seconds(attempt: int, *, at_least: float = 0.0) -> float:
    """The wait before retry number `attempt` (1-based): 0.25 s, 0.5 s, 1 s, ... at most 8 s, or
    `at_least` (what the server asked for) if longer."""
    return max(at_least, min(BACKOFF_MAX_SEC, BACKOFF_BASE_SEC * (2 ** (attempt - 1))))


def retry_after(response: Any) -> float | None:
    """The wait in seconds a 429 or 503 answer asks for in Retry-After (seconds, or an HTTP
    date), at most RETRY_AFTER_MAX_SEC; None if it asks for none (or an unreadable one)."""
    seconds = asked_wait(response)
    return None if seconds is None else min(RETRY_AFTER_MAX_SEC, seconds)


def asked_wait(response: Any) -> float | None:
    """The wait in seconds an answer's Retry-After asks for (0 for a past date), not capped;
    None if it asks for none (or an unreadable one)."""
    value = str(response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if is_number(value):
        seconds = float(value)
    else:
        import email.utils
        from datetime import datetime, timezone

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds)


def get(
    url: str,
    *,
    handle: str,
    headers: dict[str, str] | None = None,
    allow_redirects: bool = True,
    max_body: int | None = None,
    with_token: bool = True,
    budget: _deadline.RetryBudget | None = None,
) -> Any:
    """GETs a URL with streaming, retrying connection errors and 5xx with backoff.

    Args:
        url: the URL.
        handle: the handle being resolved, named in errors (credentials redacted).
        headers: extra request headers.
        allow_redirects: follow redirects (False for the uncompressed protocol's 303).
        max_body: read at most this many bytes (plus one, to tell "longer") of the body at once,
            into `response.content`; the rest is never read. For small answers such as a 303.
        with_token: send TFHUB_TOKEN if `url`'s host is its host (False: never, e.g. after a
            redirect that requests would have dropped it on, `_token.kept_on_redirect`).
        budget: the download's retry budget (TFHUB_HTTP_RETRY_TIMEOUT), shared with its
            resumes and restarts; None: one of its own, from now.

    Returns:
        The `requests.Response` (body not read yet, unless `max_body`).

    Raises:
        tfhub.errors.HTTPStatusError: for 4xx, and for 5xx after the retries.
        tfhub.errors.DownloadError: for connection errors and timeouts after the retries,
            redirect loops, and redirects to URLs that cannot be fetched.
        tfhub.errors.InsecureRedirectError: for a redirect from https to plain http.
        tfhub.errors.InvalidHandleError: for a URL that cannot be fetched at all.
        tfhub.errors.RetryTimeoutError: the retries would last longer than
            TFHUB_HTTP_RETRY_TIMEOUT.
    """
    budget = budget or _deadline.RetryBudget(handle=handle, url=url)
    budget.start()
    session = _session()
    options = _request_options(url, headers=headers, allow_redirects=allow_redirects)
    if not with_token:
        options["auth"] = None
    capper = _body_capper(max_body) if max_body is not None else _deadline.redirect_body_capper
    options["hooks"] = {"response": [_deadline.downgrade_refuser(handle), capper]}
    retries = constants.http_retries()
    record = RetryRecord(wait_cap=RETRY_AFTER_MAX_SEC)
    for attempt in range(retries + 1):
        last = attempt == retries
        wait = None
        record.attempts = attempt + 1
        timeout = budget.timeout()  # Within what is left of a series of failures under way.
        options["timeout"] = (timeout, timeout)
        try:
            with _deadline.bounded_by(budget):  # Its headers too.
                response = session.get(url, **options)
        except Exception as err:
            raise_for_request_error(err, handle=handle, url=url, last=last, attempts=attempt + 1)
            reason = _brief(err)
            budget.failed(cause_text(err, url=url, timeout=timeout))
        else:
            if response.status_code not in _RETRY_STATUSES or last:
                response._tfhub_retries = record  # For check_status's message.
                return response
            record.asked = asked_wait(response)
            wait = retry_after(response)
            response.close()
            reason = f"HTTP {response.status_code}"
            if record.asked is not None:
                reason += f", which asks to wait {record.asked:g} s (Retry-After)"
            budget.failed(reason, status=response.status_code)
        seconds = backoff_seconds(attempt + 1, at_least=wait or 0.0)
        budget.check(seconds)
        _log_retry(url, attempt=attempt + 2, of=retries + 1, reason=reason, wait=seconds)
        if wait is not None:
            _log_asked_wait(url, asked=record.asked or 0.0, wait=seconds, budget=budget)
        time.sleep(seconds)
        record.waited += seconds
    raise AssertionError("unreachable")


def _log_retry(url: str, *, attempt: int, of: int, reason: str, wait: float) -> None:
    """Logs a retry at INFO: the final error says what happened; the CLI shows these with -v."""
    logger.info(  # The reason quotes the URL's path and query, signatures too: redacted.
        "Retrying %s in %g s (attempt %d of %d) after %s",
        redact(url),
        wait,
        attempt,
        of,
        redact(reason),
    )


def _log_asked_wait(url: str, *, asked: float, wait: float, budget: _deadline.RetryBudget) -> None:
    """Says that tfhub waits because the server asked (Retry-After): at INFO when it waits as
    long as asked, at WARNING (once per download, then INFO) when the server asked for more
    than tfhub waits at a time."""
    if asked <= wait or budget.warned_about_wait:
        logger.info(
            "Waiting %g s before retrying %s, as the server asked (%g s, Retry-After).",
            wait,
            redact(url),
            asked,
        )
        return
    budget.warned_about_wait = True
    logger.warning(
        "The server of %s asks to wait %g s before a retry (Retry-After); tfhub waits %g s (the "
        "most it waits at a time) and retries then, giving up after %s=%g s without progress.",
        redact(url),
        asked,
        wait,
        constants.TFHUB_HTTP_RETRY_TIMEOUT,
        budget.limit,
    )


def _request_options(
    url: str, *, headers: dict[str, str] | None, allow_redirects: bool
) -> dict[str, Any]:
    timeout = constants.http_timeout()
    options: dict[str, Any] = {
        "headers": headers,
        "stream": True,
        "timeout": (timeout, timeout),
        "allow_redirects": allow_redirects,
        "auth": _token.auth_for(url),  # TFHUB_TOKEN, for its own host only.
    }
    if handles.is_loopback_url(url):
        # Never through HTTP_PROXY, HTTPS_PROXY or ALL_PROXY (requests drops a None proxy after
        # merging the environment's): a proxy cannot reach this machine's loopback, e.g. the
        # `tfhub demo` server or a hub served on 127.0.0.1, behind a company proxy.
        options["proxies"] = {"http": None, "https": None, "all": None}
    verify = _verify_setting()
    if verify is not None:
        options["verify"] = verify
    return options


def _body_capper(max_body: int) -> Any:
    """Returns a requests response hook that reads at most `max_body + 1` bytes of the body.

    Hooks run before requests looks at redirects, which would otherwise read a 303's whole body
    into memory (`Session.resolve_redirects` consumes it). The capped bytes become
    `response.content`.
    """

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        data = _deadline.read_within(
            response, max_body + 1, what=f"{response.status_code} answer's body"
        )
        response._content = data  # requests' documented-by-use cache of the body.
        response._content_consumed = True
        response.raw.close()
        return response

    return hook


def check_status(
    response: Any, *, handle: str, url: str, budget: _deadline.RetryBudget | None = None
) -> None:
    """Raises HTTPStatusError unless the response is a 200/206 success; the first line of a
    short text/plain body (what a hub server says went wrong) is quoted in it, if it arrives
    within the headers' deadline (and what is left of `budget`, failures being under way)."""
    if response.status_code not in (200, 206):
        said = _server_says(response, budget)
        response.close()
        raise status_error(
            response.status_code,
            handle=handle,
            url=url,
            server_says=said,
            final_url=response.url if response.history else None,  # Redirected there.
            retries=getattr(response, "_tfhub_retries", None),
        )


_ERROR_BODY_LIMIT = 2048


def _server_says(response: Any, budget: _deadline.RetryBudget | None) -> str | None:
    """The first non-empty line of a text/plain error body (at most 2 KB read, 300 characters
    kept, printable characters only), or None for another body or a failed read."""
    if not response.headers.get("Content-Type", "").lower().startswith("text/plain"):
        return None
    try:
        if getattr(response, "_content_consumed", False):  # Read by the body capper.
            data = (response.content or b"")[:_ERROR_BODY_LIMIT]
        elif budget is None:
            data = _deadline.read_within(response, _ERROR_BODY_LIMIT, what="error text")
        else:
            with _deadline.bounded_by(budget):
                data = _deadline.read_within(response, _ERROR_BODY_LIMIT, what="error text")
    except Exception:  # Dropped, or too slow (cut): the status alone is the answer.
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        text = "".join(char for char in line if char.isprintable()).strip()
        if text:
            return text[:300]
    return None


def _range_answer(status: int, content_range: str) -> str:
    """What a server answered to a Range request that tfhub cannot resume from, in words."""
    if status == 206:
        return f"sent another part, Content-Range: {content_range[:80] or '(none)'!r}"
    if status == 416:
        return "answered 416 Range Not Satisfiable: the file is shorter now"
    return f"ignores Range requests: it answered {status}"


class HttpBody(io.RawIOBase):
    """The body of a GET as a raw binary stream that resumes with Range after a drop, up to
    TFHUB_HTTP_RETRIES drops in a row (counted again from 0 once data arrives at
    TFHUB_DOWNLOAD_MIN_SPEED since they began, as `RetryBudget` ends a series of failures).

    `read(n)` returns what has arrived (at most n bytes) without copying it. A body slower than
    TFHUB_DOWNLOAD_MIN_SPEED, averaged over TFHUB_HTTP_TIMEOUT seconds spent waiting for the
    network, raises `DownloadTooSlowError` (the per-read timeout alone lets a server dripping
    a byte a second hold a download for days).
    """

    def __init__(
        self,
        url: str,
        *,
        handle: str,
        progress: Any = None,
        budget: _deadline.RetryBudget | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.handle = handle
        self.position = 0
        self.progress = progress
        self._min_speed = constants.download_min_speed()
        self._pace_window = constants.http_timeout()
        self._pace_seconds = 0.0
        self._pace_bytes = 0
        # Shared with the requests' retries, the resumes and the caller's restarts.
        self._budget = budget or _deadline.RetryBudget(handle=handle, url=url)
        self._response = get(url, handle=handle, budget=self._budget)
        check_status(self._response, handle=handle, url=url, budget=self._budget)
        length = self._response.headers.get("Content-Length")
        self.total = int(length) if length and is_number(length) else None
        self.content_type = self._response.headers.get("Content-Type", "")
        self.content_encoding = self._response.headers.get("Content-Encoding", "")
        # Resume only the same content: If-Range makes a changed file come back whole (200).
        headers = self._response.headers
        self._validator = headers.get("ETag") or headers.get("Last-Modified")
        self._drops = 0
        self._read_timeout: float | None = None  # Unknown: set before the first read.

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return bytes(super().read(-1) or b"")
        self._budget.start()  # Time spent using the data is not the server's.
        while True:
            if self.closed:
                return b""  # Closed from another thread: stop, do not reconnect.
            started = time.monotonic()
            self._bound_read()
            try:
                data = self._read1(size)
            except Exception as err:
                if self.closed:
                    return b""
                if not _is_connection_error(err):
                    raise
                self._resume(err)
                continue
            if not data and self.total is not None and self.position < self.total:
                self._resume(EOFError(f"connection closed at byte {self.position}"))
                continue
            self._check_pace(len(data), time.monotonic() - started)
            self._budget.received(len(data))
            if not self._budget.attempts:  # Data came at the minimum speed since the breaks:
                self._drops = 0  # they count again from 0 (TFHUB_HTTP_RETRIES in a row).
            self.position += len(data)
            if self.progress is not None and data:
                self.progress.update(len(data))
            return data

    def _bound_read(self) -> None:
        """Gives the next read TFHUB_HTTP_TIMEOUT, or what is left of the retry budget while a
        series of failures is under way (and the full timeout again once it has ended)."""
        timeout = self._budget.timeout()
        if timeout != self._read_timeout:
            _deadline.set_read_timeout(self._response, timeout)
            self._read_timeout = timeout

    def _read1(self, size: int) -> bytes:
        """Reads what has arrived (at most `size`): a timeout never loses bytes read."""
        raw = self._response.raw
        if not hasattr(raw, "read1"):
            return bytes(raw.read(size))
        return bytes(raw.read1(size, decode_content=False))

    def _check_pace(self, count: int, seconds: float) -> None:
        """Raises DownloadTooSlowError if the network delivers less than the minimum speed."""
        if not self._min_speed:
            return
        self._pace_seconds += seconds
        self._pace_bytes += count
        if self._pace_seconds < self._pace_window:
            return
        if self._pace_bytes < self._min_speed * self._pace_seconds:
            raise errors.DownloadTooSlowError(
                f"Cannot download {self.handle!r} from {self.url}: only {self._pace_bytes} bytes "
                f"arrived in {self._pace_seconds:.1f} s, less than "
                f"{constants.TFHUB_DOWNLOAD_MIN_SPEED}={self._min_speed:g} bytes/s (averaged "
                f"over {constants.TFHUB_HTTP_TIMEOUT}={self._pace_window:g} s). On a slow network "
                f"set {constants.TFHUB_DOWNLOAD_MIN_SPEED} lower (e.g. 100), or to 0 to turn "
                "this check off.",
                url=redact(self.url),
                min_speed=self._min_speed,
                seconds=self._pace_seconds,
            )
        self._pace_seconds, self._pace_bytes = 0.0, 0

    def _resume(self, cause: BaseException) -> None:
        """Reconnects with a Range request from the current position."""
        self._drops += 1
        retries = constants.http_retries()
        self._response.close()
        said = cause_text(cause, timeout=self._read_timeout)
        self._budget.failed(f"the connection broke at byte {self.position} ({said})")
        if self._drops > retries:
            raise errors.DownloadError(
                f"Cannot download {self.handle!r} from {self.url}: the connection broke "
                f"{self._drops} times in a row (last: at byte {self.position}"
                f"{f' of {self.total}' if self.total is not None else ''}, {said}). "
                f"{_AGAIN_HINT}"
            ) from cause
        logger.info(  # INFO like the other retries: the CLI shows it with -v.
            "Connection to %s broke at byte %d (%s); resuming.",
            redact(self.url),
            self.position,
            redact(str(cause)),
        )
        seconds = backoff_seconds(self._drops)
        self._budget.check(seconds)
        time.sleep(seconds)
        headers = {"Range": f"bytes={self.position}-"}
        if self._validator:
            headers["If-Range"] = self._validator
        response = get(self.url, handle=self.handle, headers=headers, budget=self._budget)
        if response.status_code != 416:  # Range Not Satisfiable: start over.
            check_status(response, handle=self.handle, url=self.url, budget=self._budget)
        content_range = response.headers.get("Content-Range", "")
        if response.status_code != 206 or not content_range.startswith(f"bytes {self.position}-"):
            response.close()
            raise RestartDownload(
                f"Cannot download {self.handle!r}: the download of {self.url} broke at byte "
                f"{self.position} ({said}) and the server cannot resume it (it "
                f"{_range_answer(response.status_code, content_range)}). {_AGAIN_HINT}"
            ) from cause
        self._response = response
        self._read_timeout = None

    def close(self) -> None:
        if not self.closed:
            super().close()  # First: a reader in another thread then stops, not reconnects.
            # Then wake that reader: closing waits for its read, up to TFHUB_HTTP_TIMEOUT on a
            # stalled server (Ctrl-C, SIGTERM or an unsafe member would hang that long).
            _deadline.shutdown_socket(self._response)
            self._response.close()
