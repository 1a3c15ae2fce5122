"""The errors of resolving a handle that are also the error urllib or TensorFlow raised
upstream, built on first use (`_lazy.lazy_error_class`): HTTP error statuses and redirects,
connections that failed, URLs that name no server, file systems TensorFlow cannot read.

Each builder imports what its class subclasses, defines the class and returns it; its docstring
says when the class is raised and what upstream raised. A builder of a subclass of
`HTTPStatusError` takes that class as its argument (`_lazy._subclassing` passes it). A new class
here is one builder plus one line in `_lazy._BUILDERS`.
"""

from __future__ import annotations

from ..utils.redact import redact
from ._resolving import DownloadError, InvalidHandleError, RetryTimeoutError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any


def http_status_error() -> type:
    """`HTTPStatusError`: the server answered with an error status; upstream's `urlopen` raised
    `urllib.error.HTTPError`, so this class is both that (`.code`, `.reason`) and a
    `DownloadError` (`urllib.error` imports `tempfile`: 14 ms)."""
    import http
    import urllib.error

    class HTTPStatusError(DownloadError, urllib.error.HTTPError):
        """The server answered with an error status (403, 404, 5xx after retries).

        Attributes:
            status: the HTTP status (also `.code`, urllib's HTTPError's name for it).
            url: the URL, credentials redacted (also `.filename`).
        """

        def __init__(self, message: str, *, status: int, url: str) -> None:
            OSError.__init__(self, redact(message))  # Not urllib's __init__: no response body.
            self.code = status  # `.status` is urllib's property over it.
            self.url = url
            self.msg = _reason_phrase(http.HTTPStatus, status)
            self.hdrs = None  # type: ignore[assignment]  # `.headers`: none are kept,
            self.fp = None  # type: ignore[assignment]  # nor the response body.
            self.filename = url

        def __str__(self) -> str:  # urllib's would be "HTTP Error 404: Not Found".
            return str(self.args[0]) if self.args else ""

        def __repr__(self) -> str:
            return f"{type(self).__name__}({str(self)!r})"

        def __getattr__(self, name: str) -> Any:
            # urllib's HTTPError is also a file wrapper whose __getattr__ reads the response it
            # holds; this one holds none.
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    return HTTPStatusError


def _reason_phrase(statuses: Any, status: int) -> str:
    """The phrase `statuses` (`http.HTTPStatus`) names `status` by ("Not Found"), or ""."""
    try:
        return str(statuses(status).phrase)
    except ValueError:  # A status the standard does not name.
        return ""


def connection_failed_error() -> type:
    """`ConnectionFailedError`: no answer came (connection refused, unknown host, timeout) after the
    retries, or the TLS connection failed; upstream's `urlopen` raised `urllib.error.URLError`,
    so this class is both that (`.reason`) and a `DownloadError`."""
    import urllib.error

    class ConnectionFailedError(DownloadError, urllib.error.URLError):
        """No answer came from the server (refused, unknown host, timeout), after the retries;
        or the TLS connection failed (an untrusted certificate, one for another host name, a
        port that does not speak TLS), which is not retried.

        Attributes:
            url: the URL, credentials redacted (also `.filename`).
            cause: what failed, e.g. "the connection was refused" (also `.reason`, urllib's
                URLError's name for it).
        """

        def __init__(self, message: str, *, url: str, cause: str) -> None:
            OSError.__init__(self, redact(message))  # Not urllib's __init__: args stay (message,).
            self.url = url
            self.filename = url
            self.cause = cause
            self.reason = cause

        def __str__(self) -> str:  # urllib's would be "<urlopen error ...>".
            return str(self.args[0]) if self.args else ""

        def __repr__(self) -> str:
            return f"{type(self).__name__}({str(self)!r})"

    return ConnectionFailedError


def retry_timeout_status_error(status_error: Any) -> type:
    """`RetryTimeoutStatusError`: TFHUB_HTTP_RETRY_TIMEOUT ran out while the server still answered
    with an error status (a 429 or 503 asking to wait): both a `RetryTimeoutError` (so a
    `TimeoutError`) and an `HTTPStatusError` (so urllib's `HTTPError`, as upstream raised).

    Args:
        status_error: the class `HTTPStatusError`.
    """

    class RetryTimeoutStatusError(RetryTimeoutError, status_error):  # type: ignore[misc]
        """TFHUB_HTTP_RETRY_TIMEOUT ran out while the server answered with an error status (a
        429 or 503 asking to wait): `except RetryTimeoutError` / `TimeoutError` and `except
        HTTPStatusError` / `urllib.error.HTTPError` all catch it.

        Attributes:
            status: the last answer's HTTP status (also `.code`).
            url, seconds, cause, limit, attempts: as `RetryTimeoutError`'s.
        """

        def __init__(
            self,
            message: str,
            *,
            url: str,
            seconds: float,
            cause: str,
            limit: float,
            attempts: int,
            status: int,
        ) -> None:
            status_error.__init__(self, message, status=status, url=url)
            self.seconds = seconds
            self.cause = cause
            self.limit = limit
            self.attempts = attempts

    return RetryTimeoutStatusError


def unfollowable_redirect_error(status_error: Any) -> type:
    """`UnfollowableRedirectError`: a download redirected to an address an http download does not
    follow (`gs://...`, `ftp://...`); upstream's `urlopen` raised urllib's `HTTPError` (code
    302, "Redirection to url ... is not allowed"), and its UNCOMPRESSED resolver a `ValueError`
    for that `HTTPError` ("Expected 303 See other HTTP response but received code 302"), so this
    class is an `HTTPStatusError` with the redirect's status and its `.target`, and a
    `ValueError`.

    Args:
        status_error: the class `HTTPStatusError`.
    """

    class UnfollowableRedirectError(status_error, ValueError):  # type: ignore[misc]
        """A download redirected to an address that is not http(s) (a model archive's gs://
        address), which it does not follow: `except HTTPStatusError` / `urllib.error.HTTPError`
        (what upstream raised, `.code` 302), `except ValueError` (what upstream's UNCOMPRESSED
        resolver raised) and `except DownloadError` all catch it.

        Attributes:
            status: the redirect's HTTP status (also `.code`).
            url: the URL that answered with it, credentials redacted (also `.filename`).
            target: the address it redirected to, credentials redacted.
        """

        def __init__(self, message: str, *, status: int, url: str, target: str) -> None:
            status_error.__init__(self, message, status=status, url=url)
            self.target = target

    return UnfollowableRedirectError


def redirect_loop_error(status_error: Any) -> type:
    """`RedirectLoopError`: a server that redirects in a loop (more than 30 redirects); upstream's
    `urlopen` raised urllib's `HTTPError` (code 302, "...would lead to an infinite loop"), and
    its UNCOMPRESSED resolver a `ValueError` for it, so this class is both an `HTTPStatusError`
    (the last redirect's status, `.target`, `.redirects`) and a `ValueError`.

    Args:
        status_error: the class `HTTPStatusError`.
    """

    class RedirectLoopError(status_error, ValueError):  # type: ignore[misc]
        """A server that redirects in a loop (more than `.redirects` redirects): `except
        HTTPStatusError` / `urllib.error.HTTPError` (what upstream's `urlopen` raised, `.code`
        302), `except ValueError` (what upstream's UNCOMPRESSED resolver raised) and `except
        DownloadError` all catch it.

        Attributes:
            status: the last redirect's HTTP status (also `.code`).
            url: the URL that was asked, credentials redacted (also `.filename`).
            target: the address the last redirect led to, credentials redacted.
            redirects: how many redirects were followed before giving up.
        """

        def __init__(
            self, message: str, *, status: int, url: str, target: str, redirects: int
        ) -> None:
            status_error.__init__(self, message, status=status, url=url)
            self.target = target
            self.redirects = redirects

    return RedirectLoopError


def no_server_url_error() -> type:
    """`NoServerURLError`: an http(s) handle that names no server to connect to (no host, port 0,
    a port above 65535), refused before anything is sent; upstream's `urlopen` raised urllib's
    `URLError` for it ("no host given", "Connection refused"), so this class is both an
    `InvalidHandleError` (a ValueError) and that `URLError` (an IOError; `.reason`)."""
    import urllib.error

    class NoServerURLError(InvalidHandleError, urllib.error.URLError):
        """An http(s) handle that names no server to connect to (no host, port 0, a port above
        65535): `except InvalidHandleError` / `ValueError` (tfhub's refusal, before anything is
        sent) and `except urllib.error.URLError` / `IOError` (what upstream's `urlopen` raised)
        all catch it.

        Attributes:
            reason: what is wrong with the URL, e.g. "The URL names no host" (urllib's name).
            tried: [] (an InvalidHandleError's).
        """

        def __init__(self, message: str, *, reason: str) -> None:
            InvalidHandleError.__init__(self, message)  # Not urllib's: args stay (message,).
            self.reason = reason

        def __str__(self) -> str:  # urllib's would be "<urlopen error ...>".
            return str(self.args[0]) if self.args else ""

        def __repr__(self) -> str:
            return f"{type(self).__name__}({str(self)!r})"

    return NoServerURLError


def unregistered_file_system_error() -> type:
    """`UnregisteredFileSystemError`: a handle of a file system TensorFlow reads no paths of in
    this process (`s3://`, `hdfs://`: TensorFlow 2.21 has none registered unless a package such
    as tensorflow-io does it); upstream let TensorFlow's `tf.errors.UnimplementedError` ("File
    system scheme 's3' not implemented") through, so this class is both that and a
    `DownloadError` (so an OSError; TensorFlow is imported: it was asked about the path)."""
    import tensorflow as tf

    class UnregisteredFileSystemError(DownloadError, tf.errors.UnimplementedError):
        """A path of a file system TensorFlow has not registered in this process (s3://,
        hdfs://), refused by `tfhub.gfile_io` before TensorFlow is asked, whoever reads or
        writes it: `except tf.errors.UnimplementedError` (what upstream raised) and `except
        DownloadError` (so OSError) both catch it (`.scheme`, as TensorFlow reads it).

        The message (so `str()`, `repr()` and the traceback) has the credentials of a URL
        hidden (`s3://***@bucket/m`), as every tfhub error's. `.path` keeps the path as the
        program gave it, as `ModelNotFoundError.path` does: a field the program reads (to
        retry once the package that registers the file system is imported), which the error
        never prints; a redacted one would name no path at all."""

        def __init__(self, message: str, *, path: str, scheme: str) -> None:
            tf.errors.UnimplementedError.__init__(self, None, None, redact(message))
            OSError.__init__(self, redact(message))
            self.path = path
            self.scheme = scheme

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return UnregisteredFileSystemError
