"""The body of a download as a raw binary stream that resumes after a drop (`HttpBody`).

If the connection drops mid-body, the stream reconnects with `Range: bytes=N-` and `If-Range`
and goes on where it stopped, so the reader (gunzip + tar) never notices; if the server ignores
Range, names no version of the file (no strong ETag, no Last-Modified: a file replaced meanwhile
would be spliced), or sends a part of a file of another length,
`_http.RestartDownload` (that is, `tfhub.errors.DownloadRestartError`) tells the caller to start
over. Requests, retries and status checks are `_http`'s.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

from . import _http_deadline as _deadline
from . import _http_socket, constants, errors
from ._http import _AGAIN_HINT, RestartDownload, backoff_seconds, get
from ._http_cause import cause_text
from ._http_errors import is_connection_error as _is_connection_error
from ._http_proxy import proxy_for
from ._http_status_check import check_status, redirected_to
from .utils.numbers import is_number
from .utils.pace import MinimumPace
from .utils.redact import redact

logger = logging.getLogger(__name__)


_NO_VALIDATOR = (
    "names no version of the file, neither a strong ETag nor Last-Modified, so a resumed "
    "download could splice two versions of it"
)


def _range_answer(status: int, content_range: str) -> str:
    """What a server answered to a Range request that tfhub cannot resume from, in words."""
    if status == 206:
        return f"sent another part, Content-Range: {content_range[:80] or '(none)'!r}"
    if status == 416:
        return "answered 416 Range Not Satisfiable: the file is shorter now"
    return f"ignores Range requests: it answered {status}"


def _validator(headers: Any) -> str | None:
    """What names the version of a response's file for `If-Range` (RFC 9110 13.1.5): a strong
    ETag, else Last-Modified; None if the server sends neither (or only a weak ETag, which
    If-Range may not carry). Without one, a broken body cannot be resumed safely: a file
    replaced on the server meanwhile would be spliced (review50a-F3)."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return str(etag)
    modified = headers.get("Last-Modified")
    return str(modified) if modified else None


def _content_range(value: str) -> tuple[int, int, int | None] | None:
    """A `Content-Range: bytes FIRST-LAST/TOTAL` header (RFC 9110 14.4; the unit in any case)
    as (first, last, total), total None for `*` (unknown); None if `value` is no such byte
    range (another unit, `bytes */TOTAL`, a missing or malformed number, LAST < FIRST)."""
    unit, _, rest = value.strip().partition(" ")
    span, _, total = rest.strip().partition("/")
    first, _, last = span.strip().partition("-")
    first, last, total = first.strip(), last.strip(), total.strip()
    if unit.lower() != "bytes" or not (is_number(first) and is_number(last)):
        return None
    if total != "*" and not is_number(total):
        return None
    if int(last) < int(first):
        return None
    return int(first), int(last), None if total == "*" else int(total)


def _other_file(content_range: tuple[int, int, int | None], total: int | None) -> bool:
    """Whether a 206's `Content-Range` (`_content_range`'s (first, last, total)) names a length
    other than `total`, the first answer's (a different file for sure)."""
    length = content_range[2]
    return total is not None and length is not None and length != total


def _whole_file_range(content_range: str, length: str | None) -> bool:
    """Whether a 206's `Content-Range` covers the whole file: `bytes 0-(N-1)/N` with a
    `Content-Length` (if sent) of N, or `bytes 0-(N-1)/*` (total unknown) with a
    `Content-Length` of N (nothing says more is missing; the archive reader still catches a
    truncated file)."""
    parsed = _content_range(content_range)
    if parsed is None or parsed[0] != 0:
        return False
    _, last, total = parsed
    sent = int(length) if length is not None and is_number(length) else None
    if total is None:
        return sent == last + 1
    return last == total - 1 and (length is None or sent == total)


def _body_length(response: Any) -> int | None:
    """The length of a (whole-file) response's body: its Content-Length, else the total of a
    206's Content-Range; None if neither says."""
    length = response.headers.get("Content-Length")
    if length and is_number(length):
        return int(length)
    parsed = _content_range(response.headers.get("Content-Range", ""))
    return parsed[2] if response.status_code == 206 and parsed else None


def _check_whole_file(response: Any, *, handle: str, url: str) -> None:
    """Checks that the answer to a request for the whole file (no Range) is the whole file: a
    200, or a 206 whose Content-Range covers all of it.

    Raises:
        tfhub.errors.PartialContentError: a 206 for a part of the file (or of unknown extent):
            the server, or a proxy or cache in front of it, answers a request it was not sent.
    """
    if response.status_code != 206:
        return
    content_range = response.headers.get("Content-Range", "")
    length = response.headers.get("Content-Length")
    if _whole_file_range(content_range, length):
        return
    response.close()
    sent = f"Content-Range: {content_range[:80] or '(none)'!r}"
    if length is not None:
        sent += f", Content-Length: {length[:20]}"
    raise errors.PartialContentError(
        f"Cannot download {handle!r}: {url} answered 206 Partial Content ({sent}) to a request "
        "for the whole file (tfhub sent no Range): the server, or a proxy or cache in front of "
        "it, sends only part of the file, and would again. Nothing was installed. Tell the "
        "server's owner, or bypass the proxy or cache (NO_PROXY, or another network), then "
        "download again.",
        url=redact(url),
        content_range=content_range,
    )


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
        self._pace = MinimumPace(what=f"{handle!r} from {url}", url=redact(url))
        # Shared with the requests' retries, the resumes and the caller's restarts.
        self._budget = budget or _deadline.RetryBudget(handle=handle, url=url)
        self._response = get(url, handle=handle, budget=self._budget)
        check_status(self._response, handle=handle, url=url, budget=self._budget)
        _check_whole_file(self._response, handle=handle, url=url)
        self.total = _body_length(self._response)
        self.content_type = self._response.headers.get("Content-Type", "")
        self.content_encoding = self._response.headers.get("Content-Encoding", "")
        # Resume only the same content: If-Range makes a changed file come back whole (200).
        self._validator = _validator(self._response.headers)
        # The proxy the body comes through (after redirects), named if it drips (rf57f-F1).
        sent = str(getattr(self._response, "url", None) or url)
        # The page redirects led to (a login portal's), as `check_status` names it; else None.
        self.final_url = redirected_to(self._response)
        self._budget.proxy = proxy_for(sent)
        self._budget.proxy_hint = _deadline.slow_proxy_hint(sent, self._budget.proxy)
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

    def _check_pace(self, count: int, seconds: float) -> None:
        """Counts a read of `count` bytes after `seconds` against TFHUB_DOWNLOAD_MIN_SPEED.

        Raises:
            tfhub.errors.DownloadTooSlowError: the body drips; naming the proxy it came
                through, if any (it may be the slow part).
        """
        try:
            self._pace.check(count, seconds)
        except errors.DownloadTooSlowError as err:
            if not self._budget.proxy_hint:
                raise
            raise errors.DownloadTooSlowError(
                f"{err}{self._budget.proxy_hint}",
                url=err.url,
                min_speed=err.min_speed,
                seconds=err.seconds,
            ) from None

    def _bound_read(self) -> None:
        """Gives the next read TFHUB_HTTP_TIMEOUT, or what is left of the retry budget while a
        series of failures is under way (and the full timeout again once it has ended)."""
        timeout = self._budget.timeout()
        if timeout != self._read_timeout:
            _http_socket.set_read_timeout(self._response, timeout)
            self._read_timeout = timeout

    def _read1(self, size: int) -> bytes:
        """Reads what has arrived (at most `size`): a timeout never loses bytes read."""
        raw = self._response.raw
        if not hasattr(raw, "read1"):
            return bytes(raw.read(size))
        return bytes(raw.read1(size, decode_content=False))

    def _resume(self, cause: BaseException) -> None:
        """Reconnects with a Range request from the current position.

        Raises:
            tfhub.errors.DownloadError: the connection broke more than TFHUB_HTTP_RETRIES
                times in a row.
            tfhub.errors.DownloadRestartError: the server cannot resume (it names no version
                of the file, or its answer to the Range request is not the rest of this file).
        """
        self._drops += 1
        retries = constants.http_retries()
        self._response.close()
        # With the URL: a stall behind a proxy names the proxy (rf56d-F1), as in the headers.
        said = cause_text(cause, url=self.url, timeout=self._read_timeout)
        self._budget.failed(f"the connection broke at byte {self.position} ({said})")
        if self._drops > retries:
            raise self._broken_error(said) from cause
        self._log_drop(cause)
        if self._validator is None:
            raise self._restart(said, _NO_VALIDATOR) from cause
        seconds = backoff_seconds(self._drops)
        self._budget.check(seconds)
        time.sleep(seconds)
        self._response = self._rest_of_file(said, cause)
        self._read_timeout = None

    def _broken_error(self, said: str) -> errors.DownloadError:
        """The error of a connection that broke too often in a row (`said`: the last cause)."""
        of = f" of {self.total}" if self.total is not None else ""
        where = f"at byte {self.position}{of}, {said}"
        in_a_row = f"{self._drops} times in a row (last: {where})"
        broke = f"({where})" if self._drops == 1 else in_a_row
        return errors.DownloadError(
            f"Cannot download {self.handle!r} from {self.url}: the connection broke {broke}. "
            f"{_AGAIN_HINT}"
        )

    def _log_drop(self, cause: BaseException) -> None:
        """Says the connection broke, before either: the download resumes, or starts over (the
        server names no version of the file: rf51d-F3, it said "resuming." and started over)."""
        todo = "resuming" if self._validator else f"starting over (the server {_NO_VALIDATOR})"
        logger.info(  # INFO like the other retries: the CLI shows it with -v.
            "Connection to %s broke at byte %d (%s); %s.",
            redact(self.url),
            self.position,
            redact(str(cause)),
            todo,
        )

    def _rest_of_file(self, said: str, cause: BaseException) -> Any:
        """The answer to a Range request from the current position (If-Range: the validator).

        Raises:
            tfhub.errors.DownloadRestartError: the answer is not the rest of this file (416, a
                200, another range or another file's size), chained to `cause`.
            tfhub.errors.HTTPStatusError: an error status (after `get`'s retries).
        """
        headers = {"Range": f"bytes={self.position}-", "If-Range": str(self._validator)}
        response = get(self.url, handle=self.handle, headers=headers, budget=self._budget)
        if response.status_code != 416:  # Range Not Satisfiable: start over.
            check_status(response, handle=self.handle, url=self.url, budget=self._budget)
        content_range = response.headers.get("Content-Range", "")
        parsed = _content_range(content_range)
        if (
            response.status_code != 206
            or parsed is None
            or parsed[0] != self.position
            or _other_file(parsed, self.total)
        ):
            response.close()
            answer = _range_answer(response.status_code, content_range)
            raise self._restart(said, answer) from cause
        return response

    def _restart(self, said: str, answer: str) -> errors.DownloadRestartError:
        """The error that makes the caller download again from the start: the body broke
        (`said` how) and the server cannot resume it (it `answer`)."""
        of = f" of {self.total}" if self.total is not None else ""
        return RestartDownload(
            f"Cannot download {self.handle!r}: the download of {self.url} broke at byte "
            f"{self.position}{of} ({said}) and the server cannot resume it (it {answer}). "
            f"{_AGAIN_HINT}"
        )

    def close(self) -> None:
        if not self.closed:
            super().close()  # First: a reader in another thread then stops, not reconnects.
            # Then wake that reader: closing waits for its read, up to TFHUB_HTTP_TIMEOUT on a
            # stalled server (Ctrl-C, SIGTERM or an unsafe member would hang that long).
            _http_socket.shutdown_socket(self._response)
            self._response.close()
            _http_socket.close_pools(self._response)  # A socket it gave back to the pool too.
