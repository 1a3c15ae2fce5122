"""HTTP for downloads: a requests session, retries with backoff, and a resumable body stream.

`open_body(url)` returns a raw binary stream of the response body. If the connection drops
mid-body, the stream reconnects with `Range: bytes=N-` and goes on where it stopped, so the
reader (gunzip + tar) never notices; if the server ignores Range, `RestartDownload` tells the
caller to start over. Connection errors, timeouts and 5xx/429 answers are retried with
exponential backoff; 401/403/404 fail at once. Proxies and CA bundles come from the usual
environment variables (requests reads HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, ...).
"""

from __future__ import annotations

import io
import logging
import os
import time
import urllib.parse
from typing import Any

from . import constants, errors

logger = logging.getLogger(__name__)

BACKOFF_BASE_SEC = 0.25
BACKOFF_MAX_SEC = 8.0
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Where tfhub.dev's models were served from: (host, path prefix).
_MOVED_LOCATIONS = (
    ("tfhub.dev", "/"),
    ("hub.tensorflow.google.cn", "/"),
    ("storage.googleapis.com", "/tfhub-modules/"),
    ("gcs.tensorflow.google.cn", "/tfhub-modules/"),
)
_KAGGLE_HOSTS = ("www.kaggle.com", "kaggle.com")


class RestartDownload(errors.DownloadError):
    """The body broke off and the server cannot resume it: download again from the start."""


def _session() -> Any:
    import requests

    session = requests.Session()
    session.headers["Accept-Encoding"] = "identity"  # Archives are compressed already.
    session.headers["User-Agent"] = "tfhub (+https://github.com/tensorflow/hub compatible)"
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


def backoff_sleep(attempt: int) -> None:
    """Sleeps before retry number `attempt` (1-based): 0.25 s, 0.5 s, 1 s, ... at most 8 s."""
    time.sleep(min(BACKOFF_MAX_SEC, BACKOFF_BASE_SEC * (2 ** (attempt - 1))))


def moved_hint(url: str) -> str:
    """Returns a hint about tfhub.dev's move to Kaggle for URLs it explains, else ""."""
    parsed = urllib.parse.urlsplit(url)
    host, path = parsed.hostname or "", parsed.path
    if any(
        (host == moved or host.endswith("." + moved)) and path.startswith(prefix)
        for moved, prefix in _MOVED_LOCATIONS
    ):
        return (
            " tfhub.dev models moved to Kaggle Models (https://www.kaggle.com/models): "
            "use the model's Kaggle URL, e.g. https://www.kaggle.com/models/OWNER/MODEL/"
            "FRAMEWORK/VARIATION/VERSION."
        )
    return ""


def kaggle_hint(url: str, status: int) -> str:
    """Returns what a Kaggle 401/403/404 usually means, else ""."""
    if (urllib.parse.urlsplit(url).hostname or "") not in _KAGGLE_HOSTS:
        return ""
    if status == 404:
        return (
            " Check the handle: Kaggle model URLs look like https://www.kaggle.com/models/"
            "OWNER/MODEL/FRAMEWORK/VARIATION/VERSION."
        )
    return (
        " Kaggle refuses it: the model may be private, or need you to accept its terms on its "
        "Kaggle page first."
    )


def status_error(status: int, *, handle: str, url: str) -> errors.HTTPStatusError:
    """Builds the error for an HTTP error status, naming the handle and URL."""
    what = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(status, "HTTP error")
    message = f"Cannot download {handle!r}: the server answered {status} {what} for {url}."
    if status in (401, 403, 404):
        message += moved_hint(url) or kaggle_hint(url, status) or " Check the handle."
    return errors.HTTPStatusError(message, status=status, url=url)


def _brief(err: BaseException) -> str:
    """Returns a short form of a connection error, for retry logs."""
    text = str(err)
    if "Failed to resolve" in text:
        text = text[text.index("Failed to resolve") :].rstrip('")')
    return f"{type(err).__name__}: {text[:160]}"


def _is_connection_error(err: BaseException) -> bool:
    """Returns True for errors worth a retry (not certificate errors: they do not heal)."""
    import requests
    import urllib3

    if isinstance(err, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
        return False
    return isinstance(
        err,
        (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            urllib3.exceptions.HTTPError,
            ConnectionError,
            TimeoutError,
        ),
    )


def _raise_if_ssl_error(err: BaseException, *, handle: str, url: str) -> None:
    import requests

    if isinstance(err, requests.exceptions.SSLError):
        raise errors.DownloadError(
            f"Cannot download {handle!r} from {url}: TLS certificate verification failed ({err}). "
            "Point REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) at your CA bundle, or, for a trusted "
            "server only, set TFHUB_DISABLE_CERT_VALIDATION=true."
        ) from err


def get(
    url: str, *, handle: str, headers: dict[str, str] | None = None, allow_redirects: bool = True
) -> Any:
    """GETs a URL with streaming, retrying connection errors and 5xx with backoff.

    Args:
        url: the URL.
        handle: the handle being resolved, named in errors.
        headers: extra request headers.
        allow_redirects: follow redirects (False for the uncompressed protocol's 303).

    Returns:
        The `requests.Response` (body not read yet).

    Raises:
        tfhub.errors.HTTPStatusError: for 4xx, and for 5xx after the retries.
        tfhub.errors.DownloadError: for connection errors and timeouts after the retries.
    """
    session = _session()
    verify = _verify_setting()
    timeout = constants.http_timeout()
    options: dict[str, Any] = {
        "headers": headers,
        "stream": True,
        "timeout": (timeout, timeout),
        "allow_redirects": allow_redirects,
    }
    if verify is not None:
        options["verify"] = verify
    retries = constants.http_retries()
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            response = session.get(url, **options)
        except Exception as err:
            _raise_unless_retryable(err, handle=handle, url=url, last=last, attempts=attempt + 1)
            reason = _brief(err)
        else:
            if response.status_code not in _RETRY_STATUSES or last:
                return response
            response.close()
            reason = f"HTTP {response.status_code}"
        logger.warning(
            "Retrying %s (attempt %d of %d) after %s", url, attempt + 2, retries + 1, reason
        )
        backoff_sleep(attempt + 1)
    raise AssertionError("unreachable")


def _raise_unless_retryable(
    err: Exception, *, handle: str, url: str, last: bool, attempts: int
) -> None:
    """Re-raises `err` (TLS errors explained) unless it is a connection error worth a retry."""
    _raise_if_ssl_error(err, handle=handle, url=url)
    if not _is_connection_error(err):
        raise err
    if last:
        timeout = constants.http_timeout()
        raise errors.DownloadError(
            f"Cannot download {handle!r} from {url}: {type(err).__name__}: {err} "
            f"(after {attempts} attempts, timeout {timeout:g} s; TFHUB_HTTP_TIMEOUT sets it)."
        ) from err


def check_status(response: Any, *, handle: str, url: str) -> None:
    """Raises HTTPStatusError unless the response is a 200/206 success."""
    if response.status_code not in (200, 206):
        response.close()
        raise status_error(response.status_code, handle=handle, url=url)


class HttpBody(io.RawIOBase):
    """The body of a GET as a raw binary stream that resumes with Range after a drop.

    `read(n)` returns what has arrived (at most n bytes) without copying it. A body slower than
    TFHUB_DOWNLOAD_MIN_SPEED, averaged over TFHUB_HTTP_TIMEOUT seconds spent waiting for the
    network, raises `DownloadTooSlowError` (the per-read timeout alone lets a server dripping
    a byte a second hold a download for days).
    """

    def __init__(self, url: str, *, handle: str, progress: Any = None) -> None:
        super().__init__()
        self.url = url
        self.handle = handle
        self.position = 0
        self.progress = progress
        self._min_speed = constants.download_min_speed()
        self._pace_window = constants.http_timeout()
        self._pace_seconds = 0.0
        self._pace_bytes = 0
        self._response = get(url, handle=handle)
        check_status(self._response, handle=handle, url=url)
        length = self._response.headers.get("Content-Length")
        self.total = int(length) if length and length.isdigit() else None
        self.content_type = self._response.headers.get("Content-Type", "")
        # Resume only the same content: If-Range makes a changed file come back whole (200).
        headers = self._response.headers
        self._validator = headers.get("ETag") or headers.get("Last-Modified")
        self._drops = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return bytes(super().read(-1) or b"")
        while True:
            if self.closed:
                return b""  # Closed from another thread: stop, do not reconnect.
            started = time.monotonic()
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
            self.position += len(data)
            if self.progress is not None and data:
                self.progress.update(len(data))
            return data

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
                url=self.url,
                min_speed=self._min_speed,
                seconds=self._pace_seconds,
            )
        self._pace_seconds, self._pace_bytes = 0.0, 0

    def _resume(self, cause: BaseException) -> None:
        """Reconnects with a Range request from the current position."""
        self._drops += 1
        retries = constants.http_retries()
        self._response.close()
        if self._drops > retries:
            raise errors.DownloadError(
                f"Cannot download {self.handle!r} from {self.url}: the connection broke "
                f"{self._drops} times (last: {cause})."
            ) from cause
        logger.warning(
            "Connection to %s broke at byte %d (%s); resuming.", self.url, self.position, cause
        )
        backoff_sleep(self._drops)
        headers = {"Range": f"bytes={self.position}-"}
        if self._validator:
            headers["If-Range"] = self._validator
        response = get(self.url, handle=self.handle, headers=headers)
        if response.status_code != 416:  # Range Not Satisfiable: start over.
            check_status(response, handle=self.handle, url=self.url)
        content_range = response.headers.get("Content-Range", "")
        if response.status_code != 206 or not content_range.startswith(f"bytes {self.position}-"):
            response.close()
            raise RestartDownload(
                f"The download of {self.url} broke at byte {self.position} and the server "
                "cannot resume it."
            ) from cause
        self._response = response

    def close(self) -> None:
        if not self.closed:
            super().close()  # First: a reader in another thread then stops, not reconnects.
            self._response.close()
