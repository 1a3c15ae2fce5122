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


class NotAnArchiveError(DownloadError):
    """The server sent something that is not a model archive (e.g. an HTML page)."""


class ArchiveError(TFHubError, OSError):
    """A truncated or corrupt archive."""


class UnsafeArchiveError(ArchiveError):
    """An archive member that would write outside the target or is a special file."""


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


class PublishBusyError(_HubDataError, TimeoutError):
    """Another process kept publishing into the same model folder for too long (.path)."""

    path: str


class SignatureSummaryError(_HubDataError, ValueError):
    """A signature summary file (<version>.signatures.json) that cannot be read (.path)."""

    path: str


# --- The private hub: serving (`tfhub serve`) -----------------------------------------------------


class ServeConfigError(_HubDataError, ValueError):
    """A `tfhub serve` option that cannot work (.option names it; the message says what to do)."""

    option: str
