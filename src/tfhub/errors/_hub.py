"""Errors of the private hub: the publishing format, pack, publish, mirror and serve."""

from __future__ import annotations

from ._base import TFHubError
from ._resolving import DownloadError

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
    """A documentation file that cannot be parsed at all (.path and .line say where; .offset,
    the byte offset, for a file that is not UTF-8)."""

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


class UrlClashError(PublishTargetError):
    """A version whose URL would also be another model's latest-version URL, or the reverse
    (`acme/x/1` beside a model `acme/x/1`): .path, the other model's doc; .other, its handle."""

    other: str


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


class MirrorSourceError(_HubDataError, DownloadError):
    """The JSON API of the hub `tfhub mirror` copies from did not answer (.url: the API URL,
    without credentials or query; .cause: what happened): no answer in time, a connection
    refused or cut, or a server error after the retries. That API names the version's handle
    and doc there, so nothing was written into the hub. A DownloadError (an OSError, as
    upstream's urlopen errors were)."""

    url: str
    cause: str
