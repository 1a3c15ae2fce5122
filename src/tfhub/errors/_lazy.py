"""The error classes that subclass a class of a heavy import, built on first use."""

from __future__ import annotations

from ..utils.redact import redact
from . import _lazy_export as export
from . import _lazy_loading as loading
from ._resolving import DownloadError, InvalidHandleError, RetryTimeoutError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import Any

    # A function that imports what a class subclasses, defines the class and returns it.
    Builder = Callable[[], type]

# The package whose names these classes are: they pickle, and show in tracebacks, as its.
_PACKAGE = "tfhub.errors"
_LAZY_ERROR_CLASSES: dict[str, type] = {}


def lazy_error_class(name: str) -> Any:
    """Builds, once, the error classes that subclass a class of a heavy import, so that
    `import tfhub` stays light; they pickle by name like the other classes.

    The classes of a TF1 module's export (`ModuleExistsError`, `AssetNotFoundError`,
    `ExportCheckpointNotFoundError`, `ExportNotADirectoryError`, `ExportPermissionDeniedError`,
    `ExportAbortedError`, ...) are said beside their builders in `_lazy_export.py`.

    The classes of loading and calling a model (`ModelFileNotFoundError`,
    `VariablesMismatchError`, `TruncatedCheckpointError`, `CorruptCheckpointError`,
    `EmptyAssetError`, `DamagedMessageError`, `AttachedMessageParseError`,
    `CallInputArgumentError`, `NotATF1ModuleError`, `ModuleMissingOpError`) are said beside
    their builders in `_lazy_loading.py`.

    `HTTPStatusError`: the server answered with an error status; upstream's `urlopen` raised
    `urllib.error.HTTPError`, so this class is both that (`.code`, `.reason`) and a
    `DownloadError` (`urllib.error` imports `tempfile`: 14 ms).

    `ConnectionFailedError`: no answer came (connection refused, unknown host, timeout) after the
    retries, or the TLS connection failed; upstream's `urlopen` raised `urllib.error.URLError`,
    so this class is both that (`.reason`) and a `DownloadError`.

    `RetryTimeoutStatusError`: TFHUB_HTTP_RETRY_TIMEOUT ran out while the server still answered
    with an error status (a 429 or 503 asking to wait): both a `RetryTimeoutError` (so a
    `TimeoutError`) and an `HTTPStatusError` (so urllib's `HTTPError`, as upstream raised).

    `UnfollowableRedirectError`: a download redirected to an address an http download does not
    follow (`gs://...`, `ftp://...`); upstream's `urlopen` raised urllib's `HTTPError` (code
    302, "Redirection to url ... is not allowed"), and its UNCOMPRESSED resolver a `ValueError`
    for that `HTTPError` ("Expected 303 See other HTTP response but received code 302"), so this
    class is an `HTTPStatusError` with the redirect's status and its `.target`, and a
    `ValueError`.

    `RedirectLoopError`: a server that redirects in a loop (more than 30 redirects); upstream's
    `urlopen` raised urllib's `HTTPError` (code 302, "...would lead to an infinite loop"), and
    its UNCOMPRESSED resolver a `ValueError` for it, so this class is both an `HTTPStatusError`
    (the last redirect's status, `.target`, `.redirects`) and a `ValueError`.

    `NoServerURLError`: an http(s) handle that names no server to connect to (no host, port 0,
    a port above 65535), refused before anything is sent; upstream's `urlopen` raised urllib's
    `URLError` for it ("no host given", "Connection refused"), so this class is both an
    `InvalidHandleError` (a ValueError) and that `URLError` (an IOError; `.reason`).

    `UnregisteredFileSystemError`: a handle of a file system TensorFlow reads no paths of in
    this process (`s3://`, `hdfs://`: TensorFlow 2.21 has none registered unless a package such
    as tensorflow-io does it); upstream let TensorFlow's `tf.errors.UnimplementedError` ("File
    system scheme 's3' not implemented") through, so this class is both that and a
    `DownloadError` (so an OSError; TensorFlow is imported: it was asked about the path).
    """
    builder = _BUILDERS.get(name)
    if builder is None:
        raise AttributeError(f"module {_PACKAGE!r} has no attribute {name!r}")
    if name not in _LAZY_ERROR_CLASSES:
        cls = builder()
        cls.__module__ = _PACKAGE
        cls.__qualname__ = name
        _LAZY_ERROR_CLASSES[name] = cls
    return _LAZY_ERROR_CLASSES[name]


def _http_status_error() -> type:
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


def _connection_failed_error() -> type:
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


def _retry_timeout_status_error(status_error: Any) -> type:
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


def _unfollowable_redirect_error(status_error: Any) -> type:
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


def _reason_phrase(statuses: Any, status: int) -> str:
    try:
        return str(statuses(status).phrase)
    except ValueError:  # A status the standard does not name.
        return ""


def _redirect_loop_error(status_error: Any) -> type:
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


def _no_server_url_error() -> type:
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


def _unregistered_file_system_error() -> type:
    import tensorflow as tf

    class UnregisteredFileSystemError(DownloadError, tf.errors.UnimplementedError):
        """A handle of a file system TensorFlow has not registered in this process (s3://,
        hdfs://): `except tf.errors.UnimplementedError` (what upstream raised) and `except
        DownloadError` (so OSError) both catch it (`.path`: the handle's path; `.scheme`)."""

        def __init__(self, message: str, *, path: str, scheme: str) -> None:
            tf.errors.UnimplementedError.__init__(self, None, None, redact(message))
            OSError.__init__(self, redact(message))
            self.path = path
            self.scheme = scheme

        def __str__(self) -> str:
            return str(self.args[0]) if self.args else ""

    return UnregisteredFileSystemError


def _subclassing(base: str, build: Callable[[Any], type]) -> Builder:
    """The builder of a class that subclasses the class `base` of this module: it passes
    `build` that class (built first if it is not yet), so there is one class of each name."""

    def builder() -> type:
        return build(lazy_error_class(base))

    return builder


# Each class's name -> its builder: the one list of the classes built on first use.
_BUILDERS: dict[str, Builder] = {
    "ModuleExistsError": export.module_exists_error,
    "HTTPStatusError": _http_status_error,
    "ConnectionFailedError": _connection_failed_error,
    "RetryTimeoutStatusError": _subclassing("HTTPStatusError", _retry_timeout_status_error),
    "UnfollowableRedirectError": _subclassing("HTTPStatusError", _unfollowable_redirect_error),
    "RedirectLoopError": _subclassing("HTTPStatusError", _redirect_loop_error),
    "NoServerURLError": _no_server_url_error,
    "ModelFileNotFoundError": loading.model_file_not_found_error,
    "VariablesMismatchError": loading.variables_mismatch_error,
    "TruncatedCheckpointError": loading.truncated_checkpoint_error,
    "CorruptCheckpointError": loading.corrupt_checkpoint_error,
    "DamagedMessageError": loading.damaged_message_error,
    "AttachedMessageParseError": loading.attached_message_parse_error,
    "CallInputArgumentError": loading.call_input_argument_error,
    "AssetNotFoundError": export.asset_not_found_error,
    "NotATF1ModuleError": loading.not_a_tf1_module_error,
    "EmptyAssetError": loading.empty_asset_error,
    "ModuleMissingOpError": loading.module_missing_op_error,
    "UnregisteredFileSystemError": _unregistered_file_system_error,
    "ExportCheckpointNotFoundError": export.export_checkpoint_not_found_error,
    "ExportPermissionDeniedError": export.export_permission_denied_error,
    "ExportDiskFullError": export.export_disk_full_error,
    "ExportFileTooLargeError": export.export_file_too_large_error,
    "ExportNotADirectoryError": export.export_not_a_directory_error,
    "ExportIsADirectoryError": export.export_is_a_directory_error,
    "ExportNotFoundError": export.export_not_found_error,
    "ExportTmpdirFullError": export.export_tmpdir_full_error,
    **{name: export.export_op_error_builder(name) for name in export.EXPORT_OP_ERRORS},
}


def _export_checkpoint_damage_class(name: str, bases: tuple[type, ...], doc: str) -> type:
    """A class of `bases` (ExportError or its subclass, then TensorFlow's OpError class whose
    code it has) for a checkpoint given to an export that TensorFlow cannot read."""
    op_error: Any = bases[-1]

    def __init__(self: Any, message: str, *, path: str, problem: str) -> None:
        op_error.__init__(self, None, None, redact(message))  # Sets args to (): first.
        ExportError.__init__(self, message)
        self.path = path
        self.problem = problem

    def __str__(self: Any) -> str:
        return str(self.args[0]) if self.args else ""

    return type(name, bases, {"__init__": __init__, "__str__": __str__, "__doc__": doc})


def _export_checkpoint_damaged_error() -> type:
    import tensorflow as tf

    return _export_checkpoint_damage_class(
        "ExportCheckpointDamagedError",
        (ExportError, tf.errors.DataLossError),
        """A checkpoint given to a TF1 export (`ModuleSpec.export`, `LatestModuleExporter`)
        whose files are there but TensorFlow cannot read (an index cut short or garbage, a
        tensor whose checksum does not match), found before anything is written: `except
        tf.errors.DataLossError` (what upstream's exporter met; its `ModuleSpec.export` a bare
        `OpError`) and `except ExportError` (so ValueError) both catch it (`.path`: the
        checkpoint path as given; `.problem`: the file and TensorFlow's reason).""",
    )


def _export_checkpoint_truncated_error() -> type:
    import tensorflow as tf

    damaged: Any = lazy_error_class("ExportCheckpointDamagedError")
    return _export_checkpoint_damage_class(
        "ExportCheckpointTruncatedError",
        (damaged, tf.errors.OutOfRangeError),
        """An `ExportCheckpointDamagedError` whose data file is cut short (TensorFlow's "Read
        less bytes than requested"): also `tf.errors.OutOfRangeError`, what upstream's export
        met and let through, and its code.""",
    )


# The classes of a checkpoint given to an export that TensorFlow cannot read: name -> builder.
_EXPORT_CHECKPOINT_DAMAGE = {
    "ExportCheckpointDamagedError": _export_checkpoint_damaged_error,
    "ExportCheckpointTruncatedError": _export_checkpoint_truncated_error,
}

_BUILDERS.update(_EXPORT_CHECKPOINT_DAMAGE)
