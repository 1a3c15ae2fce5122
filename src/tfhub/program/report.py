"""The one line a `tfhub` program says on stderr for an error: `tfhub: <label>: <message>`."""

from __future__ import annotations

import contextlib
import re
import sys
import traceback

from .. import constants
from ..utils.printable import escaped
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
    if constants.is_debug() and sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            traceback.print_exception(type(err), err, err.__traceback__, file=sys.stderr)
    message = redact(one_line(str(err))) or type(err).__name__
    if label == "unexpected error":
        message = f"{type(err).__name__}: {message}"
    tell(f"tfhub: {label}: {message}")
    return code


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


# `\udc80`..`\udcff` as repr() writes a surrogate escape, after an even number of backslashes
# (`\\udcff`, a name really holding a backslash and "udcff", is left alone).
_SURROGATE_REPR = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def surrogate_reprs_as_bytes(text: str) -> str:
    """`text` with each `\\udcXX` that repr() wrote for a byte of a non-UTF-8 file name (a
    message's `Received: root='mod\\udcffel'`) as that byte, `\\xXX`, as `escaped` writes the
    name itself: one name is said one way in the line, the way `ls -b` says it.

    Args:
        text: a line to say.

    Returns:
        The line, the escapes of other characters left as they are.
    """
    return _SURROGATE_REPR.sub(r"\1\\x\2", text)
