"""Every exception tfhub raises, in one place.

Each class also subclasses the builtin that upstream tensorflow_hub raised in the same situation,
so existing ``except ValueError`` / ``except IOError`` clauses keep working. Messages say what went
wrong, where (handle, URL, path), and what to do.
"""

from __future__ import annotations

import errno

from .utils.redact import redact

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable
    from typing import Any, TypeVar

    _AnyError = TypeVar("_AnyError", bound=BaseException)


# OSError's fields, kept in the exception object itself, not in its `__dict__`.
_OS_ERROR_FIELDS = ("errno", "strerror", "filename", "filename2")


def _rebuild(
    cls: type[BaseException],
    args: tuple[Any, ...],
    state: dict[str, Any],
    os_fields: tuple[Any, ...] = (),
) -> Any:
    """Recreates a pickled tfhub error without calling `__init__` (its keywords are in `state`;
    an OSError's errno, strerror, filename and filename2 in `os_fields`)."""
    builtin: Any = cls  # The builtin whose memory layout `cls` has: its `__new__` is safe.
    while builtin.__module__ != "builtins":
        builtin = builtin.__base__ or BaseException  # Only `object` has no base.
    err = builtin.__new__(cls)
    err.args = args
    for name, value in zip(_OS_ERROR_FIELDS, os_fields, strict=False):
        if value is not None:  # Set to None, they would change OSError's str().
            setattr(err, name, value)
    err.__dict__.update(state)
    return err


class TFHubError(Exception):
    """Base class of every tfhub error.

    Every subclass survives `pickle.loads(pickle.dumps(err))` with its message and attributes
    (multiprocessing, Beam and `concurrent.futures` pickle exceptions), even when its `__init__`
    takes keyword-only data. Credentials in URLs (`https://user:secret@host`) are redacted from
    every message.
    """

    # AutoGraph (Keras's `fit`, `tf.function`) re-raises an exception whose class has its own
    # `__init__` as a `StagingError`, which is no longer the builtin its caller catches
    # (`except ValueError`); with this attribute, it lets tfhub's errors through as they are.
    ag_pass_through = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickling (and `copy.copy`) keeps the message, the data and OSError's fields."""
        os_fields = ()
        if isinstance(self, OSError):
            os_fields = tuple(getattr(self, name) for name in _OS_ERROR_FIELDS)
        return (_rebuild, (type(self), self.args, dict(self.__dict__), os_fields))


def restore_data_after_keras(err: BaseException) -> None:
    """Puts back the attributes (`.available`, ...) of an error Keras re-created.

    Keras (both flavours) re-raises an exception from a layer's `call` as `type(e)(message)`,
    the layer's arguments added to the message (and marks it `_keras_call_info_injected`): the
    new error keeps the class but not the original's data. The original is its `__context__`.
    """
    original = original_before_keras(err)
    if original is not None:
        err.__dict__.update(original.__dict__)


def original_before_keras(err: BaseException) -> BaseException | None:
    """The exception Keras re-created as `err` (see `restore_data_after_keras`), or None if
    Keras did not re-create it."""
    original = err.__context__
    if getattr(err, "_keras_call_info_injected", False) and type(original) is type(err):
        return original
    return None


def reworded(err: _AnyError, message: str) -> _AnyError:
    """A copy of `err` whose message is `message` (credentials redacted): same class and data,
    so `except` clauses that caught `err` catch it too."""
    import copy

    copied = copy.copy(err)
    copied.args = (redact(message),)
    return copied


class FrozenInstanceError(TFHubError, AttributeError):
    """An assignment to (or deletion of) a field of an immutable record: a parsed handle, an
    extraction's result (`utils/records.py`), as `dataclasses.FrozenInstanceError` for a frozen
    dataclass.

    Attributes:
        field: the name of the field.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class SettingError(TFHubError, ValueError):
    """An environment variable (TFHUB_*) or absl flag whose value tfhub cannot use.

    Attributes:
        name: the variable's name.
    """

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class ArgumentError(TFHubError, ValueError):
    """An argument of a public function or class (`hub.KerasLayer`, a feature column, ...)
    whose value, or whose combination with another argument, cannot be used; the message ends
    with what was received. Upstream raised ValueError."""


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of a type that cannot be used (upstream raised TypeError)."""


# --- Handles and resolvers ------------------------------------------------------------------------


class InvalidHandleError(TFHubError, ValueError):
    """A handle string that no form of handle matches (or that a resolver cannot parse).

    Attributes:
        tried: the resolvers that were asked, when the handle's scheme is unknown to all.
    """

    def __init__(self, message: str, *, tried: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class UnsupportedHandleError(TFHubError, RuntimeError):
    """No registered resolver accepts the handle; the message lists every resolver tried.

    Attributes:
        tried: the names of the resolvers tried, most recently registered first.
    """

    def __init__(self, message: str, *, tried: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class UnknownSchemeError(InvalidHandleError, UnsupportedHandleError):
    """A handle `scheme://...` whose scheme no resolver knows (e.g. a typo such as `htps://`)."""

    def __init__(self, message: str, *, scheme: str, tried: Iterable[str] = ()) -> None:
        super().__init__(message, tried=tried)
        self.scheme = scheme


class ModelNotFoundError(TFHubError, FileNotFoundError):
    """A local path, gs:// path or remote model that does not exist.

    Attributes:
        path: the path (or handle) that does not exist, if known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class EmptyHandleError(InvalidHandleError, FileNotFoundError):
    """An empty handle (often an unset setting). tensorflow_hub took it for a local path and
    raised IOError(" does not exist."), so `except IOError` still catches it."""


class HandleTypeError(InvalidHandleError, TypeError):
    """A handle that is not text (bytes, None, a number). tensorflow_hub's `resolve` raised
    TypeError or AttributeError, its `load` ValueError; this is both a ValueError and a
    TypeError."""


class SpacedHandleError(InvalidHandleError, OSError):
    """A URL with spaces or a line break around it (a line read from a file). tensorflow_hub took
    `" http://..."` for a missing local path, or sent `"http://... "` to the server, and raised
    an IOError either way."""


class FileUrlHostError(InvalidHandleError, FileNotFoundError):
    """A file:// URL that names a host (`file://models/m`, one slash short of
    `file:///models/m`). tensorflow_hub found no such path and raised IOError."""


# --- Cache ----------------------------------------------------------------------------------------


class CacheError(TFHubError, OSError):
    """The cache folder cannot be used (not writable, a full disk, a damaged entry).

    Like OSError, it takes `(errno, message)` as well as `(message)`.

    Attributes:
        path: the file or folder concerned, if one is.
    """

    def __init__(self, *args: Any, path: str | None = None) -> None:
        super().__init__(*args)
        self.path = path


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})  # The disk, or the quota, is full.
# A write the file system refused: no permission, or a read-only file system.
REFUSED_WRITE_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class DiskFullError(CacheError):
    """The disk of the cache folder (or the user's quota on it) is full.

    Attributes:
        path: the file or folder concerned, if one is.
        remedy: what to do, if the message says it already; None if the caller should add it
            (an extraction knows its target folder, not the cache folder to free space in).
    """

    def __init__(self, *args: Any, path: str | None = None, remedy: str | None = None) -> None:
        super().__init__(*args, path=path)
        self.remedy = remedy


class OfflineModeError(TFHubError, FileNotFoundError):
    """TFHUB_OFFLINE is set and the handle is not in the cache.

    Attributes:
        handle: the handle (credentials redacted).
        cache_dir: the cache folder that was looked in.
    """

    def __init__(
        self, message: str, *, handle: str | None = None, cache_dir: str | None = None
    ) -> None:
        super().__init__(message)
        self.handle = handle
        self.cache_dir = cache_dir


class LockTimeoutError(CacheError, TimeoutError):
    """Another process held a cache entry's lock longer than TFHUB_LOCK_TIMEOUT allows.

    Attributes:
        lock_path: the lock file.
        holder: who holds it ("host pid N"), if it says.
        waited: seconds waited.
    """

    def __init__(
        self, message: str, *, lock_path: str, holder: str | None = None, waited: float = 0.0
    ) -> None:
        super().__init__(message, path=lock_path)
        self.lock_path = lock_path
        self.holder = holder
        self.waited = waited


# --- Downloads ------------------------------------------------------------------------------------


class DownloadError(TFHubError, OSError):
    """A download failed (network error, timeout, server error after retries, full disk)."""


class DownloadRestartError(DownloadError):
    """The body broke off and the server cannot resume it: the download starts over.

    Raised inside a download and retried there (TFHUB_HTTP_RETRIES times); it reaches users only
    when every restart failed.
    """


class DownloadTooSlowError(DownloadError, TimeoutError):
    """A download slower than TFHUB_DOWNLOAD_MIN_SPEED (e.g. a server dripping bytes)."""

    def __init__(self, message: str, *, url: str, min_speed: float, seconds: float) -> None:
        super().__init__(message)
        self.url = url
        self.min_speed = min_speed
        self.seconds = seconds


class NotAnArchiveError(DownloadError):
    """The server sent something that is not a model archive (e.g. an HTML page)."""


class InsecureRedirectError(DownloadError):
    """An https URL redirected to a plain http one (a downgrade), which tfhub does not follow.

    Attributes:
        url: the plain http URL that was refused, credentials redacted.
        source: the https URL that redirected there, credentials redacted.
    """

    def __init__(self, message: str, *, url: str, source: str) -> None:
        super().__init__(message)
        self.url = url
        self.source = source


class RetryTimeoutError(DownloadError, TimeoutError):
    """A download kept failing, without receiving a byte, for longer than
    TFHUB_HTTP_RETRY_TIMEOUT allows (a stalled server, one failing slowly, or asking to wait).

    Attributes:
        url: the URL, credentials redacted.
        seconds: how long tfhub tried since the last byte arrived (or the download started).
        cause: the last failure, in words (credentials redacted).
        limit: the TFHUB_HTTP_RETRY_TIMEOUT in force, in seconds.
        attempts: the failed attempts (requests and broken bodies) in that time.
    """

    def __init__(
        self, message: str, *, url: str, seconds: float, cause: str, limit: float, attempts: int
    ) -> None:
        super().__init__(message)
        self.url = url
        self.seconds = seconds
        self.cause = cause
        self.limit = limit
        self.attempts = attempts


class ArchiveError(TFHubError, OSError):
    """A truncated or corrupt archive."""


class UnreadableArchiveError(TFHubError, PermissionError):
    """A local archive file (`.path`) this user may not read (`tfhub import`)."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class UnsafeArchiveError(ArchiveError):
    """An archive member that would write outside the target or is a special file."""


class ArchiveTooLargeError(ArchiveError):
    """An archive that expands beyond TFHUB_MAX_EXTRACTED_BYTES (e.g. a decompression bomb)."""

    def __init__(self, message: str, *, source: str, limit: int) -> None:
        super().__init__(message)
        self.source = source
        self.limit = limit


class ArchiveTooManyMembersError(ArchiveTooLargeError):
    """An archive of more members than TFHUB_MAX_ARCHIVE_MEMBERS (`.limit`), e.g. millions of
    empty files: tiny on the wire and far below TFHUB_MAX_EXTRACTED_BYTES, but not below the
    filesystem's inodes."""


# --- Loading models -------------------------------------------------------------------------------


class TFHubLoadError(TFHubError, ValueError):
    """A model folder that cannot be loaded as requested."""


class DamagedModelError(TFHubLoadError, OSError):
    """A model folder whose `saved_model.pb` or checkpoint is truncated or damaged.

    Also an OSError and a ValueError: TensorFlow raised either for such files (an IndexError or
    an OpError for some damaged checkpoints; that error is kept as `__cause__`).

    Attributes:
        path: the model's folder.
        problem: which file and how, e.g. "saved_model.pb (0 bytes) holds no MetaGraph".
    """

    def __init__(self, message: str, *, path: str, problem: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


class MissingModelFileError(DamagedModelError, FileNotFoundError):
    """A model folder without a file it needs: `saved_model.pb`, the variables' index or data."""


class ModelPathEncodingError(TFHubLoadError, UnicodeError):
    """A model folder whose path is not UTF-8 (e.g. a folder named in Latin-1): TensorFlow
    opens files by UTF-8 names only. Upstream let TensorFlow's UnicodeEncodeError through.

    Attributes:
        path: the model's folder (its undecodable bytes surrogate-escaped, as `os.fsdecode`).
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class MissingOpError(TFHubLoadError, RuntimeError):
    """A model that uses a TensorFlow op this process has not registered: an op of a library
    that registers its ops when imported (tensorflow_text's tokenizers, in BERT preprocessors
    and multilingual sentence encoders), or of a newer TensorFlow. A RuntimeError, as
    TensorFlow's "Op type not registered" error for TF2 SavedModels (TF1 modules raised its
    NotFoundError; that error is kept as `__cause__`).

    Attributes:
        path: the model's folder ("" for a module spec built in memory).
        op: the op's name, e.g. "SentencepieceOp".
        library: the Python module that registers it, e.g. "tensorflow_text", if known.
    """

    def __init__(self, message: str, *, path: str, op: str, library: str | None) -> None:
        super().__init__(message)
        self.path = path
        self.op = op
        self.library = library


class _AvailableMixin:
    """Keeps `available`: what could have been asked for instead."""

    available: list[Any]

    def _keep_available(self, available: Iterable[Any]) -> None:
        self.available = list(available)


class UnknownTagsError(_AvailableMixin, TFHubLoadError):
    """The requested tag set is not one of the model's tag sets (the message lists them).

    Attributes:
        available: the model's tag sets.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)


class UnknownSignatureError(_AvailableMixin, TFHubLoadError):
    """The requested signature does not exist (the message lists the available ones).

    Attributes:
        available: the names of the signatures there are.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)


class UnknownEvalSignatureError(UnknownSignatureError, KeyError):
    """`eval_function_for_module`'s function called with a signature the module lacks
    (upstream looked it up in a dict, so raised KeyError)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class SignatureRequiredError(_AvailableMixin, TFHubLoadError):
    """A model that is not callable (a Keras model exported with `model.export`, say): a
    signature, and the output to return, must be named (the message suggests them).

    Attributes:
        available: the names of the model's signatures.
        suggested: (signature, output_key) of its serving signature (else the first) when that
            has a single output, else None.
    """

    def __init__(
        self,
        message: str,
        *,
        available: Iterable[Any] = (),
        suggested: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self._keep_available(available)
        self.suggested = suggested


class UnknownOutputKeyError(_AvailableMixin, TFHubLoadError, KeyError):
    """The requested output key does not exist (the message lists the available ones).

    Attributes:
        available: the output keys there are.
    """

    def __init__(self, message: str, *, available: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self._keep_available(available)

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class DeletedModelError(TFHubError, AssertionError):
    """A function of a loaded model called after the model object was garbage collected
    (`hub.KerasLayer(hub.load(handle).serve)` keeps the function, not the object that owns its
    variables). An AssertionError, as TensorFlow's "Called a function referencing variables
    which have been deleted"."""


class InputSpecError(TFHubError, ValueError):
    """Inputs whose keys, dtype or shape do not match the signature (expected vs given)."""


class CallInputSpecError(InputSpecError, TypeError):
    """Inputs a hub.KerasLayer's function does not accept: also a TypeError, as TensorFlow's
    error binding inputs to a tf.function, which upstream's layer raised, was."""


class XlaStringInputError(TFHubError, ValueError):
    """A hub.KerasLayer called on strings inside a function that XLA compiles (Keras's
    `jit_compile=True`, `tf.function(jit_compile=True)`): XLA has no string tensors. Raised
    while tracing, instead of TensorFlow's "Detected unsupported operations ... DT_STRING" at
    the first step."""


class NotATF1ModuleError(TFHubLoadError):
    """A path that is not in the TF1 Hub format (the message says if it is a TF2 SavedModel)."""


class KerasFlavourError(TFHubError, TypeError):
    """A KerasLayer of one Keras flavour used in a model of the other flavour."""


class MissingDependencyError(TFHubError, ImportError):
    """An optional dependency (TensorFlow and Keras, the hub server's or the tools' packages) is
    not installed or fails to import; the message names the extra (or package) to install.

    Attributes:
        module: the module that could not be imported.
        command: the install command that works for how tfhub was installed.
    """

    def __init__(self, message: str, *, module: str = "", command: str = "") -> None:
        super().__init__(message)
        self.module = module
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_missing_dependency, (type(self), str(self), self.module, self.command))


def _rebuild_missing_dependency(
    cls: type[MissingDependencyError], message: str, module: str, command: str
) -> MissingDependencyError:
    return cls(message, module=module, command=command)


class SerializationError(TFHubError, ValueError):
    """A layer or module that cannot be saved as requested (e.g. built from a Python callable)."""


class ConfigNotSupportedError(SerializationError, NotImplementedError):
    """`get_config()` of a KerasLayer over a Python callable or a column over a ModuleSpec object.

    Upstream raised NotImplementedError, which `tf.saved_model.save` and Keras take as "no
    config" and fall back from; it is also a SerializationError (ValueError), as before.
    """


# --- The TF1 Hub format ---------------------------------------------------------------------------


class ModuleSpecError(TFHubError, ValueError):
    """A module_fn or module spec that breaks the TF1 Hub format's rules."""


class PartitionedVariablesError(ModuleSpecError, RuntimeError):
    """Partitioned variables whose parts do not fit together (upstream raised RuntimeError)."""


class SignatureInputError(InputSpecError, TypeError):
    """Inputs to hub.Module that do not fit its signature (upstream raised TypeError here)."""


class SignatureValueTypeError(ModuleSpecError, TypeError):
    """A signature value that is not a Tensor or composite tensor (upstream raised TypeError)."""


class NoDefaultOutputError(UnknownOutputKeyError, TypeError):
    """hub.Module called without as_dict=True on a signature with no "default" output.

    Upstream raised TypeError; the KeyError/ValueError bases keep tfhub's earlier contract.
    """


class UnknownGraphVariantError(UnknownTagsError, KeyError):
    """A ModuleSpec asked for a graph variant (tag set) it lacks (upstream raised KeyError)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class MissingAttachedMessageError(TFHubError, KeyError):
    """get_attached_message(..., required=True) for a key the module lacks (as upstream)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class ExportFolderError(TFHubError, RuntimeError):
    """No unique timestamped export folder could be made (upstream raised RuntimeError)."""


class ModuleGraphError(TFHubError, RuntimeError):
    """A hub.Module used with another graph or session than the one it was created in."""


class FunctionCollectionsError(TFHubError, NotImplementedError):
    """A hub.Module applied in a TPU function while its graph has collections (as upstream)."""


class EagerNotSupportedError(TFHubError, RuntimeError):
    """A TF1 feature that cannot work in eager mode (the message says what to do instead)."""


class ExportError(TFHubError, ValueError):
    """An export that cannot be done (bad arguments, checkpoint not matching the graph, ...)."""


class ExportWriteError(ExportError, OSError):
    """An export whose files the file system refused (a full disk or quota, no permission):
    nothing was written to the export folder.

    Attributes:
        path: the export folder.
        problem: why, e.g. "no space left on the device (the disk or quota is full)".
    """

    def __init__(self, message: str, *, path: str, problem: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


_LAZY_ERROR_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    """Builds, once, the error classes that subclass a class of a heavy import, so that
    `import tfhub` stays light; they pickle by name like the other classes.

    `ModuleExistsError`: a module file that exists already at an export path; upstream raised
    `tf.errors.AlreadyExistsError` (TensorFlow's rename refusing to overwrite), so this class is
    both that and an `ExportError` (TensorFlow is imported).

    `HTTPStatusError`: the server answered with an error status; upstream's `urlopen` raised
    `urllib.error.HTTPError`, so this class is both that (`.code`, `.reason`) and a
    `DownloadError` (`urllib.error` imports `tempfile`: 14 ms).

    `ConnectionFailedError`: no answer came (connection refused, unknown host, timeout) after the
    retries; upstream's `urlopen` raised `urllib.error.URLError`, so this class is both that
    (`.reason`) and a `DownloadError`.

    `RetryTimeoutStatusError`: TFHUB_HTTP_RETRY_TIMEOUT ran out while the server still answered
    with an error status (a 429 or 503 asking to wait): both a `RetryTimeoutError` (so a
    `TimeoutError`) and an `HTTPStatusError` (so urllib's `HTTPError`, as upstream raised).
    """
    builders = {
        "ModuleExistsError": _module_exists_error,
        "HTTPStatusError": _http_status_error,
        "ConnectionFailedError": _connection_failed_error,
        "RetryTimeoutStatusError": _retry_timeout_status_error,
    }
    if name not in builders:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _LAZY_ERROR_CLASSES:
        cls = builders[name]()
        cls.__module__ = __name__
        cls.__qualname__ = name
        _LAZY_ERROR_CLASSES[name] = cls
    return _LAZY_ERROR_CLASSES[name]


def _module_exists_error() -> type:
    import tensorflow as tf

    class ModuleExistsError(ExportError, tf.errors.AlreadyExistsError):
        """A module file exists already at the export path (`.path`)."""

        def __init__(self, message: str, *, path: str = "") -> None:
            tf.errors.AlreadyExistsError.__init__(self, None, None, redact(message))
            self.path = path

        def __str__(self) -> str:
            return str(self.message)

    return ModuleExistsError


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
        """No answer came from the server (refused, unknown host, timeout), after the retries.

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


def _retry_timeout_status_error() -> type:
    status_error: Any = __getattr__("HTTPStatusError")

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


def _reason_phrase(statuses: Any, status: int) -> str:
    try:
        return str(statuses(status).phrase)
    except ValueError:  # A status the standard does not name.
        return ""


# --- The private hub (publishing format, pack, publish, mirror) -----------------------------------


class _HubDataError(TFHubError):
    """Base of hub errors that carry data: keyword fields stored as attributes, kept by pickle."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self._fields = dict(fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[object, ...]:
        message = str(self.args[0]) if self.args else ""
        return (_rebuild_hub_error, (type(self), message, self._fields))


def _rebuild_hub_error(cls: type, message: str, fields: dict[str, object]) -> Exception:
    return cls(message, **fields)  # type: ignore[no-any-return]


class DocFormatError(_HubDataError, ValueError):
    """A documentation file that cannot be parsed at all (.path and .line say where)."""

    path: str
    line: int


class DocValidationError(_HubDataError, ValueError):
    """A documentation file with problems (.problems: `file:line: message` strings)."""

    problems: list[str]


class NotAModelError(_HubDataError, ValueError):
    """A folder or archive that is not a loadable model (.path, .reason)."""

    path: str
    reason: str


class VersionExistsError(_HubDataError, FileExistsError):
    """A model version that is already published (.handle, .path); versions are immutable."""

    handle: str
    path: str


class PublishTargetError(_HubDataError, ValueError):
    """A target that cannot be written as asked: an archive inside the folder it packs (.path)."""

    path: str


class PublishWriteError(_HubDataError, OSError):
    """A model version that could not be written into the hub folder (.path: the model's
    folder there; .errno: the system's error, e.g. a full disk); nothing was published."""

    path: str
    errno: int | None


class PublishBusyError(_HubDataError, TimeoutError):
    """Another process kept publishing into the same model folder for too long (.path)."""

    path: str


class SignatureSummaryError(_HubDataError, ValueError):
    """A signature summary file (<version>.signatures.json) that cannot be read (.path)."""

    path: str


class MirrorTooLargeError(_HubDataError, OSError):
    """What a mirror would copy or read is larger than its bound (.path: the file or URL;
    .limit: the bound in bytes); nothing was written into the hub."""

    path: str
    limit: int


# --- The private hub: serving (`tfhub serve`) -----------------------------------------------------


class ServeConfigError(_HubDataError, ValueError):
    """A `tfhub serve` option that cannot work (.option names it; the message says what to do)."""

    option: str


# --- Tools (tfhub.tools) --------------------------------------------------------------------------


class ToolError(TFHubError):
    """Base of the tools' errors: keyword data become attributes and survive pickling."""

    def __init__(self, message: str, **data: object) -> None:
        super().__init__(message)
        self.__dict__.update(data)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self.args[0]) if self.args else "",), dict(self.__dict__))


class ImageFolderError(ToolError, ValueError):
    """An image folder that cannot be trained on (`.path`, `.problem`): missing, fewer than 2
    class sub-folders, an empty class, no readable image."""


class NotAnImageModuleError(ToolError, ValueError):
    """A module that is not an image feature-vector module (`.handle`, `.problem`): input not
    float images [batch, height, width, 3], or output not a [batch, dim] vector."""


class ModuleUnavailableError(ToolError, FileNotFoundError):
    """A tool's module handle that leads to no model (`.handle`, `.flag`, `.problem`): the path
    does not exist, or the folder holds no saved_model.pb (not a SavedModel or TF1 Hub module).
    A FileNotFoundError (an OSError), as TensorFlow's loader raised."""


class ImageSizeError(ToolError, ValueError):
    """No usable image size (`.handle`, `.module_size`, `.requested`): a variable-size module
    without --image_size, or a requested size the module does not take; for a module that
    fails at the requested size but runs at another, `.works_at` (that size) and `.problem`
    (the module's own reason)."""


class OutputNotWritableError(ToolError, OSError):
    """An output path (`.path`, `.what`) that cannot be written; checked before training."""


class TFLiteConversionError(ToolError, ValueError):
    """The trained model cannot become a .tflite file (`.ops`: the ops TensorFlow Lite has no
    builtin for, if the converter named them; `.path`: the .tflite file)."""


class AccuracyError(ToolError, AssertionError):
    """Validation accuracy below --assert_accuracy_at_least (`.accuracy`, `.expected`); the
    message starts with "ACCURACY FAILED", as upstream's AssertionError."""


class TrainingDivergedError(ToolError, FloatingPointError):
    """Training stopped at the end of an epoch whose loss is NaN or infinite (`.loss`,
    `.epoch` from 1, `.learning_rate`, `.handle`): it diverged, or the module returns NaN or
    infinity for some images. A FloatingPointError (an ArithmeticError)."""


class UnknownStrategyError(ToolError, ValueError):
    """A distribution strategy name that is not known (`.name`, `.available`)."""


class UnsupportedStrategyError(ToolError, ValueError):
    """A distribution strategy the Keras flavour in use cannot train with (`.strategy`,
    `.workers`, `.keras`): Keras 3 and MultiWorkerMirroredStrategy over several workers."""


class ToolFlagError(ToolError, ValueError):
    """A tool's flag that is missing or has an unusable value (`.flag`, `.value`), found before
    any work: e.g. --num_trees 0, --dataset "#3", no --module."""


# --- Tools: make_nearest_neighbour_index and module_search ---------------------------------------


class NotATextEmbeddingError(ToolError, ValueError):
    """A module that is not a text embedding (`.handle`, `.problem`): it does not map a batch of
    strings [batch] to float vectors [batch, dim]."""


class ProjectedDimError(ToolError, ValueError):
    """--projected_dim not below the embedding's size (`.projected_dim`, `.embedding_dim`)."""


class EmbeddingFilesError(ToolError, ValueError):
    """Input or embedding files that cannot be used (`.path`, `.problem`, and `.record`, the
    record's number in `.path` from 1, when one record is at fault): no file matches the
    pattern, no .tfrecords in the folder, records without `item`/`embedding`, an item that is
    not UTF-8, an empty embedding, mixed sizes, NaN or infinite values."""


class IndexFilesError(ToolError, ValueError):
    """An index folder that cannot be read (`.path`, `.problem`): missing or damaged files."""


class UnsafeFileError(ToolError, ValueError):
    """A Python pickle (upstream's format) read without --allow_pickle (`.path`)."""


class IndexDimensionError(ToolError, ValueError):
    """Query vectors whose size differs from the index's (`.index_dir`, `.index_dim`,
    `.query_dim`), e.g. another module or projection matrix than the index was built with."""


class CorruptImageError(ToolError, ValueError):
    """Image files that cannot be decoded (`.paths`)."""


class DatasetUnavailableError(ToolError, ConnectionError):
    """A dataset name that is neither a local image folder nor available offline (`.dataset`)."""


class UnknownMeasureError(ToolError, NotImplementedError):
    """A distance measure module_search's utils do not compute (`.measure`, `.available`);
    a NotImplementedError, as upstream's."""


class PipelineError(ToolError, RuntimeError):
    """The Beam pipeline of `generate` failed on its runner (`.runner`, `.cause`: the last
    line of the runner's report, usually the worker's exception)."""
