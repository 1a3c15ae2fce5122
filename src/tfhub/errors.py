"""Every exception tfhub raises, in one place.

Each class also subclasses the builtin that upstream tensorflow_hub raised in the same situation,
so existing ``except ValueError`` / ``except IOError`` clauses keep working. Messages say what went
wrong, where (handle, URL, path), and what to do.
"""

from __future__ import annotations


class TFHubError(Exception):
    """Base class of every tfhub error."""


# --- Handles and resolvers ------------------------------------------------------------------------


class InvalidHandleError(TFHubError, ValueError):
    """A handle string that no form of handle matches (or that a resolver cannot parse)."""


class UnsupportedHandleError(TFHubError, RuntimeError):
    """No registered resolver accepts the handle; the message lists every resolver tried."""


class ModelNotFoundError(TFHubError, FileNotFoundError):
    """A local path, gs:// path or remote model that does not exist."""


# --- Cache ----------------------------------------------------------------------------------------


class CacheError(TFHubError, OSError):
    """The cache folder cannot be used (not writable, a damaged entry that cannot be repaired)."""


class OfflineModeError(TFHubError, FileNotFoundError):
    """TFHUB_OFFLINE is set and the handle is not in the cache."""


# --- Downloads ------------------------------------------------------------------------------------


class DownloadError(TFHubError, OSError):
    """A download failed (network error, timeout, server error after retries, full disk)."""


class HTTPStatusError(DownloadError):
    """The server answered with an error status (403, 404, 5xx after retries)."""

    def __init__(self, message: str, *, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class DownloadTooSlowError(DownloadError, TimeoutError):
    """A download slower than TFHUB_DOWNLOAD_MIN_SPEED (e.g. a server dripping bytes)."""

    def __init__(self, message: str, *, url: str, min_speed: float, seconds: float) -> None:
        super().__init__(message)
        self.url = url
        self.min_speed = min_speed
        self.seconds = seconds

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class NotAnArchiveError(DownloadError):
    """The server sent something that is not a model archive (e.g. an HTML page)."""


class ArchiveError(TFHubError, OSError):
    """A truncated or corrupt archive."""


class UnsafeArchiveError(ArchiveError):
    """An archive member that would write outside the target or is a special file."""


class ArchiveTooLargeError(ArchiveError):
    """An archive that expands beyond TFHUB_MAX_EXTRACTED_BYTES (e.g. a decompression bomb)."""

    def __init__(self, message: str, *, source: str, limit: int) -> None:
        super().__init__(message)
        self.source = source
        self.limit = limit

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[BaseException], args: tuple[object, ...], state: dict[str, object]
) -> object:
    """Unpickles an error whose __init__ takes keyword-only data (pickle passes only args)."""
    error = cls.__new__(cls, *args)
    BaseException.__init__(error, *args)
    error.__dict__.update(state)
    return error


# --- Loading models -------------------------------------------------------------------------------


class TFHubLoadError(TFHubError, ValueError):
    """A model folder that cannot be loaded as requested."""


class UnknownTagsError(TFHubLoadError):
    """The requested tag set is not one of the model's tag sets (the message lists them)."""


class UnknownSignatureError(TFHubLoadError):
    """The requested signature does not exist (the message lists the available ones)."""


class UnknownOutputKeyError(TFHubLoadError, KeyError):
    """The requested output key does not exist (the message lists the available ones)."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class InputSpecError(TFHubError, ValueError):
    """Inputs whose keys, dtype or shape do not match the signature (expected vs given)."""


class NotATF1ModuleError(TFHubLoadError):
    """A path that is not in the TF1 Hub format (the message says if it is a TF2 SavedModel)."""


class KerasFlavourError(TFHubError, TypeError):
    """A KerasLayer of one Keras flavour used in a model of the other flavour."""


class SerializationError(TFHubError, ValueError):
    """A layer or module that cannot be saved as requested (e.g. built from a Python callable)."""


# --- The TF1 Hub format ---------------------------------------------------------------------------


class ModuleSpecError(TFHubError, ValueError):
    """A module_fn or module spec that breaks the TF1 Hub format's rules."""


class SignatureInputError(InputSpecError, TypeError):
    """Inputs to hub.Module that do not fit its signature (upstream raised TypeError here)."""


class ModuleGraphError(TFHubError, RuntimeError):
    """A hub.Module used with another graph or session than the one it was created in."""


class EagerNotSupportedError(TFHubError, RuntimeError):
    """A TF1 feature that cannot work in eager mode (the message says what to do instead)."""


class ExportError(TFHubError, ValueError):
    """An export that cannot be done (bad arguments, checkpoint not matching the graph, ...)."""
