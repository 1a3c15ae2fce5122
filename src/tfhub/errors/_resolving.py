"""Errors of handles, resolvers, the cache, downloads and archives."""

from __future__ import annotations

import errno

from ._base import TFHubError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Iterable
    from typing import Any

# --- Handles and resolvers ------------------------------------------------------------------------


class InvalidHandleError(TFHubError, ValueError):
    """A handle string that no form of handle matches (or that a resolver cannot parse): a
    ValueError, as upstream's. Subclasses say which trouble: EmptyHandleError, HandleTypeError,
    SpacedHandleError, FileUrlHostError, UnknownSchemeError.

    Attributes:
        tried: the resolvers that were asked (UnknownSchemeError); [] for the others.
    """

    def __init__(self, message: str, *, tried: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class UnsupportedHandleError(TFHubError, RuntimeError):
    """No registered resolver accepts the handle (a resolver registry, `MultiImplRegistry`, none
    of whose implementations supports it: e.g. after `registry.clear_implementations()`); the
    message lists every resolver tried. A RuntimeError, as upstream's registry raised.

    Attributes:
        tried: the names of the resolvers tried, most recently registered first.
    """

    def __init__(self, message: str, *, tried: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.tried = list(tried)


class UnknownSchemeError(InvalidHandleError, UnsupportedHandleError):
    """A handle `scheme://...` whose scheme no resolver knows (e.g. a typo such as `htps://`):
    both an InvalidHandleError (ValueError) and an UnsupportedHandleError (RuntimeError).

    Attributes:
        scheme: the scheme, e.g. "htps".
        tried: the names of the resolvers tried, most recently registered first.
    """

    def __init__(self, message: str, *, scheme: str, tried: Iterable[str] = ()) -> None:
        super().__init__(message, tried=tried)
        self.scheme = scheme


class ModelNotFoundError(TFHubError, FileNotFoundError):
    """A local path, gs:// path or remote model that does not exist (or a hub folder without its
    docs folder); a FileNotFoundError, as upstream's IOError("... does not exist.").

    Attributes:
        path: the path (or handle) that does not exist, if known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ModelAccessError(ModelNotFoundError, PermissionError):
    """A local model path this user may not reach: a folder on its way denies search
    permission (a colleague's home, a group's model folder), so whether the model is there
    cannot be told. A PermissionError, so `except PermissionError` catches it; still a
    ModelNotFoundError (a FileNotFoundError, as upstream's IOError("... does not exist.")), so
    the clauses written for a missing path keep catching it.

    Attributes:
        path: the path that cannot be reached.
    """


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
    """TFHUB_OFFLINE is set and the handle is not in the cache, or its entry is incomplete or
    damaged (it cannot be downloaded again); a FileNotFoundError.

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


class UnsafeLockFileError(CacheError):
    """A lock file (or its folder of locks) that is a link or not a regular file: in a cache a
    group writes, any member may plant `.locks/<sha1>.lock` as a link to another user's file,
    which the process taking the lock would truncate, overwrite and chmod. tfhub refuses it and
    writes nothing through it. An OSError, as upstream's failures to write its lock were.

    Attributes:
        path: the lock file or folder that is unsafe.
    """


class OtherUsersEntryError(CacheError, PermissionError):
    """A cache entry (in a cache several users share) that another user owns and this user may
    not read (made under umask 077), or, to remove or replace it, may not change: not damage
    this user may repair. tfhub neither uses (when unreadable), renames nor removes it (renaming
    it aside took the owner's model, and its files could not be deleted).
    A PermissionError: tensorflow_hub 0.10.0 failed there listing the folder (TensorFlow's
    PermissionDeniedError).

    Attributes:
        path: the entry's folder.
    """


# --- Downloads ------------------------------------------------------------------------------------


class DownloadError(TFHubError, OSError):
    """A download failed (network error, timeout, server error after retries): an OSError
    (IOError), as upstream's urlopen errors were. Subclasses say which failure; a full disk
    while downloading is a DiskFullError (a CacheError), not a DownloadError."""


class DownloadRestartError(DownloadError):
    """The body broke off and the server cannot resume it: the download starts over.

    Raised inside a download and retried there (TFHUB_HTTP_RETRIES times); it reaches users only
    when every restart failed.
    """


class DownloadTooSlowError(DownloadError, TimeoutError):
    """A download slower than TFHUB_DOWNLOAD_MIN_SPEED (e.g. a server dripping bytes), or a
    server slower to send its headers than a multiple of TFHUB_HTTP_TIMEOUT; a TimeoutError.

    Attributes:
        url: the URL, credentials redacted.
        min_speed: the TFHUB_DOWNLOAD_MIN_SPEED in force, in bytes per second (0.0 for slow
            headers).
        seconds: how long the too-slow part took (the pace window, or the headers' wait).
    """

    def __init__(self, message: str, *, url: str, min_speed: float, seconds: float) -> None:
        super().__init__(message)
        self.url = url
        self.min_speed = min_speed
        self.seconds = seconds


class PartialContentError(DownloadError):
    """A server (or a proxy or cache in front of it) answered a request for the whole file with
    206 Partial Content and a part of it: a Content-Range other than `bytes 0-(N-1)/N`, or
    none. Upstream took the part for the archive (an IOError: "does not appear to be a valid
    module"); this is an OSError too, refused before a byte is extracted.

    Attributes:
        url: the URL, credentials redacted.
        content_range: the answer's Content-Range ("" if it sent none).
    """

    def __init__(self, message: str, *, url: str, content_range: str) -> None:
        super().__init__(message)
        self.url = url
        self.content_range = content_range


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
    """A truncated or corrupt archive (or one with duplicate or unreadable members); an
    OSError. Subclasses: UnsafeArchiveError, ArchiveTooLargeError, UndecodableArchiveError."""


class UndecodableArchiveError(ArchiveError):
    """A compressed archive this machine cannot decompress although it shows no damage (an xz
    filter or option this liblzma does not support; zlib out of memory): the message says what
    to do instead of calling it corrupt."""


class UnreadableArchiveError(TFHubError, PermissionError):
    """A local archive file this user may not read (`tfhub import`, `tfhub publish` of an
    archive): a PermissionError, not an ArchiveError (the archive may be sound); nothing is
    extracted.

    Attributes:
        path: the archive file.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class UnsafeArchiveError(ArchiveError, ValueError):
    """An archive member that would write outside the target or is a special file (a link
    or device); also a ValueError, as upstream's `extract_tarfile_to_destination` raised."""


class ArchiveTooLargeError(ArchiveError):
    """An archive that expands beyond TFHUB_MAX_EXTRACTED_BYTES (e.g. a decompression bomb).

    Attributes:
        source: the archive (URL or file) as messages name it.
        limit: the bound in force, in bytes.
    """

    def __init__(self, message: str, *, source: str, limit: int) -> None:
        super().__init__(message)
        self.source = source
        self.limit = limit


class ArchiveTooManyMembersError(ArchiveTooLargeError):
    """An archive of more members than TFHUB_MAX_ARCHIVE_MEMBERS (`.limit`), e.g. millions of
    empty files: tiny on the wire and far below TFHUB_MAX_EXTRACTED_BYTES, but not below the
    filesystem's inodes. `.source`: the archive, as messages name it."""


class UnreadableRedirectError(DownloadError, ValueError):
    """A redirect whose Location cannot be read as an address (not UTF-8, an unclosed IPv6
    host such as `http://[::1/x`, a port above 65535). Upstream's urllib (as requests) raised
    the ValueError of `urllib.parse` (or a UnicodeDecodeError, a ValueError too) for it, so
    this class is both a DownloadError and a ValueError."""
