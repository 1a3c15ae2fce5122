"""One ordered table from exceptions to one-line messages and exit codes for the `tfhub` command."""

from __future__ import annotations

import sys
import traceback

from .. import constants, errors
from ..utils.redact import redact

# (exception class, label, exit code); the first matching row wins.
_TABLE: list[tuple[type[BaseException], str, int]] = [
    (errors.OfflineModeError, "offline", 3),
    (errors.HTTPStatusError, "download failed", 4),
    (errors.NotAnArchiveError, "not a model archive", 4),
    (errors.DownloadError, "download failed", 4),
    (errors.UnsafeArchiveError, "unsafe archive", 5),
    (errors.ArchiveError, "bad archive", 5),
    (errors.CacheError, "cache error", 6),
    (errors.ModelNotFoundError, "not found", 7),
    (errors.UnknownSchemeError, "invalid handle", 2),
    (errors.UnsupportedHandleError, "unsupported handle", 2),
    (errors.InvalidHandleError, "invalid handle", 2),
    (errors.TFHubError, "error", 1),
    (FileNotFoundError, "not found", 7),
    (ImportError, "missing dependency", 8),
    (OSError, "OS error", 1),
    (ValueError, "invalid value", 2),
]


def report(err: BaseException) -> int:
    """Prints one line for `err` on stderr (the traceback before it if TFHUB_DEBUG is set).

    Args:
        err: the exception that ended the command.

    Returns:
        The process exit code (never 0).
    """
    label, code = "unexpected error", 1
    for cls, row_label, row_code in _TABLE:
        if isinstance(err, cls):
            label, code = row_label, row_code
            break
    if constants.is_debug():
        traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    message = redact(" ".join(str(err).split())) or type(err).__name__
    if label == "unexpected error":
        message = f"{type(err).__name__}: {message}"
    print(f"tfhub: {label}: {message}", file=sys.stderr)
    return code
