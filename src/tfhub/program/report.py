"""The one line a `tfhub` program says on stderr for an error: `tfhub: <label>: <message>`."""

from __future__ import annotations

import contextlib
import sys
import traceback

from .. import constants, errors
from ..utils import lazy, open_files
from ..utils.printable import escaped, surrogate_reprs_as_bytes
from ..utils.redact import redact
from .error_table import classify


def report(err: BaseException) -> int:
    """Prints one line for `err` on stderr (the traceback before it if TFHUB_DEBUG is set).

    Args:
        err: the exception that ended the command.

    Returns:
        The process exit code (never 0).
    """
    label, code = classify(err)
    no_descriptor = lazy.no_descriptor_errno(err)
    if no_descriptor is not None:  # A C extension's import at the limit: not a missing package.
        label, code = "OS error", 1
    if constants.is_debug() and sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    message = redact(one_line(str(err))) or type(err).__name__
    if label == "unexpected error":
        message = f"{type(err).__name__}: {message}"
    if label == "OS error" and isinstance(err, OSError):
        message += _no_descriptor_advice(err.errno)
    elif no_descriptor is not None and not isinstance(err, errors.MissingDependencyError):
        message += _no_descriptor_advice(no_descriptor)  # lazy's error says it already.
    tell(f"tfhub: {label}: {message}")
    return code


def _no_descriptor_advice(err_no: int | None) -> str:
    """For an error of no descriptor left (errno EMFILE, ENFILE; a lazy import, a file opened
    outside the steps that say it themselves): why and what to do; "" for any other."""
    if err_no not in open_files.NO_DESCRIPTOR_ERRNOS:
        return ""
    why = open_files.no_descriptor_cause(err_no)
    return f": {why}. {open_files.no_descriptor_remedy(err_no)}, then run again."


def one_line(text: str) -> str:
    """`text` on one line: its lines, without the spaces around them, joined by one space.
    Runs of spaces within a line are kept: they may be part of a value (a file name with two
    spaces, quoted in the message) that the user copies from the error.

    Args:
        text: a message, maybe of several lines (a library's, indented).

    Returns:
        The one line ("" for a blank text).
    """
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def tell(line: str) -> None:
    """Prints `line` on stderr, if the process can: with stderr closed (`cmd 2>&-`) it cannot,
    and the exit code says what happened. (Never on stdout: Python sets `sys.stderr` to None
    when descriptor 2 was closed at start, and `print(file=None)` would write to stdout.)
    A character that is not printable, but a tab (the fields of `tfhub pack`'s report line), is
    written as an escape (`utils.printable.escaped`): a terminal escape or a right-to-left
    override quoted from a handle cannot recolour or reverse the line; a byte of a file name
    that is not UTF-8 is said as `\\xff`, also where a message quotes it by its repr
    (`Received: root='mod\\udcffel'`, see `surrogate_reprs_as_bytes`)."""
    if sys.stderr is None:
        return
    fields = surrogate_reprs_as_bytes(line).split("\t")
    with contextlib.suppress(OSError, ValueError):
        print("\t".join(map(escaped, fields)), file=sys.stderr, flush=True)
