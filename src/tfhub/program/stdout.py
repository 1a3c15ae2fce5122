"""stdout as `tfhub` programs write it: any file name or character whatever its encoding, a
write that fails reported as the output's (a closed pipe ends quietly with 141, a full disk is
one line and 1; the lines that report a command's work stop none of it: `WorkReport`), and
argparse's own output (--help, --version) written the same way."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import select
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from ..utils import printable
from ..utils.redact import redact
from .report import one_line, report, tell


@contextlib.contextmanager
def printable_stdout() -> Iterator[None]:
    """Lets the command print any text and file name, whatever stdout's encoding.

    Python decodes a file name that is not UTF-8 with surrogate escapes, and a stdout with the
    "strict" error handler (the default under a UTF-8 locale such as en_US.UTF-8; only the C and
    POSIX locales get "surrogateescape") fails on it: `tfhub resolve` of such a folder said
    "invalid value: 'utf-8' codec can't encode character". Such a name is written as its bytes
    (as `ls` does); a character the encoding lacks (`\u00e8` on an ASCII stdout,
    PYTHONIOENCODING=ascii) as an escape, as on stderr (see `printable.register_output_errors`).
    Restored when the block ends.
    """
    stream = sys.stdout
    before = getattr(stream, "errors", None)
    if before not in ("strict", "surrogateescape") or not isinstance(stream, io.TextIOWrapper):
        yield
        return
    stream.reconfigure(errors=printable.register_output_errors())
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):  # A closed or broken stdout.
            stream.reconfigure(errors=before)


def flush_stdout() -> None:
    """Flushes stdout, if the process has one: started with stdout closed (`cmd >&-`), Python
    sets `sys.stdout` to None and `print` writes nothing, as the caller chose."""
    if sys.stdout is not None:
        sys.stdout.flush()


class GuardedStdout:
    """stdout while a command runs: notes a write or flush that failed (a full disk, an I/O
    error), so that the error is reported as the output's, not as the command's."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        """Writes `text` to the stream (noting an OSError, then raising it)."""
        try:
            return self._stream.write(text)
        except OSError as err:
            self.failed = err
            raise

    def flush(self) -> None:
        """Flushes the stream (noting an OSError, then raising it)."""
        try:
            self._stream.flush()
        except OSError as err:
            self.failed = err
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class WorkReport:
    """The lines a command prints as it works through a list (`tfhub cache rm` an entry at a
    time): a line that cannot be written (the reader of a pipe gone, `| head -1`; a full disk)
    stops the printing, not the work, which the lines only report; `finish()` then raises."""

    def __init__(self) -> None:
        self.failed: OSError | None = None

    def say(self, line: str, *, flush: bool = False) -> None:
        """Prints `line` (flushed if `flush`: shown as each step ends), unless a line before
        it could not be written; a write that fails is noted, not raised."""
        if self.failed is not None:
            return
        try:
            print(line, flush=flush)
        except OSError as err:
            self.failed = err

    def finish(self) -> None:
        """Raises the error that stopped the printing, if one did (the command then ends as
        for any output it could not write: quietly with 141 for a closed pipe, else 1).

        Raises:
            OSError: the one `say` noted (BrokenPipeError for a pipe whose reader left).
        """
        if self.failed is not None:
            raise self.failed

    def end(self, exit_code: int) -> int:
        """Ends the report of work whose failures gave `exit_code` (0: none): without failures,
        as `finish`; with one, the output's failure is said (quietly for a closed pipe) and
        `exit_code` returned, the work's failure being what the command ends with.

        Raises:
            OSError: as `finish`, if `exit_code` is 0.
        """
        if not exit_code:
            self.finish()
        elif self.failed is not None:
            if not (isinstance(self.failed, BrokenPipeError) and stdout_is_closed()):
                report_output_failure(self.failed)
        return exit_code


@contextlib.contextmanager
def guarded_stdout() -> Iterator[GuardedStdout | None]:
    """Puts a `GuardedStdout` in `sys.stdout` while the block runs (None without stdout)."""
    stream = sys.stdout
    if stream is None:
        yield None
        return
    output = GuardedStdout(stream)
    sys.stdout = output  # type: ignore[assignment]  # A TextIO by duck typing.
    try:
        yield output
    finally:
        if sys.stdout is output:
            sys.stdout = stream


def write_output(text: str) -> int:
    """Writes `text` (argparse's --help or --version, kept aside while parsing) to stdout.

    Args:
        text: what to write.

    Returns:
        0; 141 if stdout is a pipe its reader closed; 1 (said on stderr) if it cannot be written.
    """
    if sys.stdout is None or not text:
        return 0
    try:
        with printable_stdout():
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError as err:
        return 141 if stdout_is_closed() else report(err)
    except OSError as err:
        return report_output_failure(err)
    return 0


def flush_before_error(output: GuardedStdout | None) -> None:
    """Writes what a command printed before it failed, its error being what it reports next:
    a stdout that cannot take it, or that already failed a write the command went on from
    (`output.failed`: `WorkReport`), is said in a line of its own (a full disk; a pipe whose
    reader left, quietly) and goes to /dev/null, so that Python's flush at exit does not fail
    ("Exception ignored ... OSError", exit 120)."""
    failed = output.failed if output is not None else None
    try:
        flush_stdout()
    except OSError as err:
        failed = err
    if failed is None or (isinstance(failed, BrokenPipeError) and stdout_is_closed()):
        return
    report_output_failure(failed)


def report_output_failure(err: OSError) -> int:
    """Says that stdout could not be written (`> /dev/full`: ENOSPC) and returns 1; stdout goes
    to /dev/null from now on, so that Python's flush at exit does not fail again ("Exception
    ignored ... OSError", exit 120)."""
    _discard_stdout()
    tell(f"tfhub: OS error: cannot write the output to stdout: {redact(one_line(str(err)))}")
    return 1


def _discard_stdout() -> None:
    """Points descriptor 1 at /dev/null (what is still buffered goes there), if it is one."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def stdout_is_closed() -> bool:
    """True if stdout is a pipe whose reader went away; stdout then goes to /dev/null."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):  # Not a real file (a test's capture).
        return False
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    if not any(events & select.POLLERR for _, events in poller.poll(0)):
        return False  # Writable: the broken pipe was another one (a socket, a subprocess).
    _discard_stdout()  # Python's own flush at exit must not fail again.
    return True


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str], *, known: bool = False) -> Any:
    """`parser.parse_args(argv)` (`parse_known_args` if `known`), writing what argparse prints
    on stdout (--help, --version) as the commands write theirs: argparse hid a failed write
    (exit 0, the help lost) or left it to Python's exit ("Exception ignored ...
    BrokenPipeError", exit 120).

    Args:
        parser: the program's parser.
        argv: the arguments.
        known: return `(namespace, other arguments)`, as `parse_known_args` does.

    Returns:
        What `parse_args` (or `parse_known_args`) returns.

    Raises:
        SystemExit: as argparse does (--help, --version, a usage error), with 141 or 1 if
            stdout could not be written.
    """
    kept = io.StringIO()
    try:
        with contextlib.redirect_stdout(kept):
            return parser.parse_known_args(argv) if known else parser.parse_args(argv)
    except SystemExit as stop:
        sys.exit(write_output(kept.getvalue()) or stop.code)  # As argparse ends.
