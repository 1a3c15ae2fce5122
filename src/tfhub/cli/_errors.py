"""One ordered table from exceptions to one-line messages and exit codes for the `tfhub` command."""

from __future__ import annotations

import _thread
import contextlib
import io
import os
import select
import signal
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TextIO

from .. import constants, errors
from ..utils import lazy, printable
from ..utils.redact import redact
from ..utils.threads import daemon_thread

# NotAModelError's `.reason` (hub/pack.py's check_model_folder) when no model is where the
# command was pointed: the path is missing or not a folder, or the folder holds no
# saved_model.pb. Its other reasons (a symlink inside, a model that does not load) are 1.
_NO_MODEL_THERE = frozenset({"not a folder", "no saved_model.pb"})


def _no_model_there(err: BaseException) -> bool:
    return getattr(err, "reason", None) in _NO_MODEL_THERE


def _file_missing(err: BaseException) -> bool:
    """True for an error raised because a file the command was given does not exist: its cause
    is the FileNotFoundError of opening it (`serve --token-file`, `publish --doc`, serve's
    ROOT), not a tfhub error such as MissingModelFileError (a model missing one of its files is
    damaged: 1)."""
    return type(err.__cause__) is FileNotFoundError


def _bad_option_value(err: BaseException) -> bool:
    """True for a `tfhub serve` option whose value cannot be (`--port 70000`, `--workers 0`,
    `--rescan -1`, a `--base-url` without a scheme): an invalid value, 2, as in every command.
    ROOT, the token file and an address the machine cannot listen on (an OSError behind the
    error: in use, not this machine's) are about what is there, not about the value: 7 or 1."""
    option = getattr(err, "option", "")
    return (
        isinstance(option, str)
        and option.startswith("--")
        and option != "--token-file"
        and not isinstance(err.__cause__, OSError)
    )


class _Row(NamedTuple):
    """One row of `_TABLE`: errors of class `cls` (for which `when` holds, if given) are
    reported as `tfhub: <label>: <message>` and exit `code`."""

    cls: type[BaseException]
    label: str
    code: int
    when: Callable[[BaseException], bool] | None = None


# The exit codes (docs/cli.md, `tfhub --help`): 2 invalid handle or value, 3 offline and not
# cached, 4 download failed, 5 bad or unsafe archive, 6 cache not usable, 7 not found (a path or
# handle that does not exist, or that does not hold what the command needs there: an archive
# file, a model's saved_model.pb or variables, a hub's assets/docs), 8 missing dependency, 1 any
# other error.
# The first matching row wins, so a class comes before its bases; the builtins whose meaning
# has a code (FileNotFoundError, ImportError) come before the catch-all TFHubError, which tfhub's
# MissingModelFileError or MissingDependencyError would match first (their MRO lists it first).
_TABLE: list[_Row] = [
    _Row(errors.OfflineModeError, "offline", 3),
    _Row(errors.NotAnArchiveError, "not a model archive", 4),
    _Row(errors.DownloadError, "download failed", 4),
    _Row(errors.UnsafeArchiveError, "unsafe archive", 5),
    _Row(errors.ArchiveError, "bad archive", 5),
    _Row(errors.CacheError, "cache error", 6),
    _Row(errors.ModelNotFoundError, "not found", 7),
    _Row(errors.NotAModelError, "not found", 7, when=_no_model_there),
    _Row(errors.UnknownSchemeError, "invalid handle", 2),
    _Row(errors.UnsupportedHandleError, "unsupported handle", 2),
    _Row(errors.InvalidHandleError, "invalid handle", 2),
    _Row(errors.SettingError, "invalid value", 2),
    _Row(errors.ServeConfigError, "invalid value", 2, when=_bad_option_value),
    _Row(errors.ArgumentError, "invalid value", 2),
    _Row(FileNotFoundError, "not found", 7),
    _Row(errors.TFHubError, "not found", 7, when=_file_missing),
    _Row(ImportError, "missing dependency", 8),
    _Row(errors.TFHubError, "error", 1),
    _Row(OSError, "OS error", 1),
    _Row(ValueError, "invalid value", 2),
]


def classify(err: BaseException) -> tuple[str, int]:
    """Returns the label and exit code of `err`: those of the first row of `_TABLE` it matches.

    Args:
        err: the exception that ended the command.

    Returns:
        (label, exit code); ("unexpected error", 1) for an exception no row matches.
    """
    for row in _TABLE:
        if isinstance(err, row.cls) and (row.when is None or row.when(err)):
            return row.label, row.code
    return "unexpected error", 1


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
    when descriptor 2 was closed at start, and `print(file=None)` would write to stdout.)"""
    if sys.stderr is None:
        return
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def quiet_tensorflow(*, quiet: bool) -> Iterator[None]:
    """Keeps TensorFlow's C++ start-up lines (CUDA, cuInit, CPU features, oneDNN) off stderr
    while the block runs, if `quiet` and the user has not set TF_CPP_MIN_LOG_LEVEL."""
    if not quiet:
        yield
        return
    name = constants.TF_CPP_MIN_LOG_LEVEL
    previous = os.environ.get(name)
    os.environ.setdefault(name, "3")  # Read by TensorFlow when it is imported.
    lazy.quiet_native_logs(True)
    try:
        yield
    finally:
        lazy.quiet_native_logs(False)
        if previous is None:
            os.environ.pop(name, None)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, SIGHUP or Ctrl-C arrived: unwinds as Ctrl-C does (libraries such as Apache Beam
    pass a KeyboardInterrupt through, or re-raise one), so `finally` blocks remove temporary
    folders; watched by `_Redelivery` in case it is swallowed."""


# The signals that end a command after its clean-up: SIGTERM (`kill`, `timeout`, `docker stop`)
# and SIGHUP (the terminal or the ssh connection that started it closed).
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

# Set by the handler: the signal whose KeyboardInterrupt ends the command, if any (Ctrl-C too).
_stopped_by: signal.Signals | None = None

# How often, after such a signal, the command is checked for having lost its _Terminated.
_REDELIVER_SECONDS = 1.0


class _Redelivery:
    """Delivers the stop signal again while the command runs on after its _Terminated is gone.

    A KeyboardInterrupt raised by a signal handler can be swallowed: by a finalizer
    (`__del__`, whose exceptions Python drops) or a library's bare `except:` it happened to
    interrupt. The command then runs to its end (a whole Beam pipeline) and exits 0, and
    `docker stop` kills it after its grace period, leaving its temporaries. Each _Terminated
    is watched through a weak reference: one that unwinds stays alive (held while it
    propagates, while a `finally` or `__exit__` it triggered runs, or by the exception that
    wraps it), so clean-up is never interrupted; one that was swallowed is freed, and the
    signal is delivered again (`_thread.interrupt_main`, which does nothing once the default
    handler is back).
    """

    def __init__(self) -> None:
        self._raised: weakref.ref[_Terminated] | None = None
        self._signum = signal.SIGTERM  # The last stop signal that arrived.
        self._stop = threading.Event()
        self._thread = daemon_thread(self._watch, name="tfhub-sigterm")

    def start(self) -> None:
        """Starts the watching thread (before any signal: the handler itself takes no lock, as
        starting a thread would, which the code it interrupted may hold)."""
        self._thread.start()

    def raised(self, signum: signal.Signals) -> _Terminated:
        """A new _Terminated to raise for `signum`, watched from now on (called by the
        handler)."""
        error = _Terminated()
        self._signum = signum
        self._raised = weakref.ref(error)
        return error

    def stop(self) -> None:
        """Stops watching (the command has ended or reported its termination)."""
        self._stop.set()

    def join(self) -> None:
        """Waits for the watching thread to end (after `stop`; at once if it never started)."""
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(_REDELIVER_SECONDS):
            raised = self._raised
            if raised is not None and raised() is None:
                _thread.interrupt_main(self._signum)


_redelivery: _Redelivery | None = None


class StopSignals:
    """What `_stop_signals_unwind` shares with the block it wraps.

    Once the block sets `command_over` (the command returned or raised), a stop signal no
    longer raises: raised there, while the command's error is reported or the block's other
    context managers close, it escaped as a traceback and exit 1, and left the handlers in
    place. It is noted in `late` instead, unless the command was stopped already.
    """

    def __init__(self) -> None:
        self.command_over = False
        self.late: signal.Signals | None = None


@contextlib.contextmanager
def _stop_signals_unwind() -> Iterator[StopSignals]:
    """Makes SIGTERM (`kill`, `timeout`, `docker stop`) and SIGHUP (a closed terminal or ssh
    connection) unwind the command as Ctrl-C does; each of the three (Ctrl-C while Python's
    own handler is in place) is delivered again if its KeyboardInterrupt is swallowed.

    By default either ends Python at once, leaving what a command had under way: a partial
    download's temporary folder (maybe gigabytes) in the cache, a tool's temporary output
    folder beside its target. Only in the main thread, and only for a signal nobody else
    handles or ignores (`nohup` ignores SIGHUP; an ASGI server that installs its own handler
    replaces this one while it serves). If the KeyboardInterrupt is swallowed, the signal is
    delivered again (`_Redelivery`).
    """
    stops = StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield stops
        return
    handled = [num for num in _STOP_SIGNALS if signal.getsignal(num) is signal.SIG_DFL]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # Python's own Ctrl-C.
        handled.append(signal.SIGINT)
    if not handled:
        yield stops
        return
    previous = {signum: signal.getsignal(signum) for signum in handled}
    redelivery = _Redelivery()

    def terminate(signum: int, frame: object) -> None:
        global _stopped_by
        if stops.command_over:  # Too late to unwind the command: noted (see StopSignals).
            if _stopped_by is None:
                stops.late = signal.Signals(signum)
            return
        _stopped_by = signal.Signals(signum)
        raise redelivery.raised(signal.Signals(signum))

    global _stopped_by, _redelivery
    _stopped_by, _redelivery = None, redelivery
    for signum in handled:
        signal.signal(signum, terminate)
    try:
        redelivery.start()  # Inside: the handlers are put back even if no thread can start.
        yield stops
    finally:
        redelivery.stop()
        redelivery.join()  # No redelivery after this: Python's Ctrl-C handler comes back.
        for signum in handled:
            signal.signal(signum, previous[signum])
        _stopped_by, _redelivery = None, None  # The command has reported it (inside the block).


def stop_signal_was_the_end() -> None:
    """Called by a command whose normal end is a stop signal (`tfhub serve` stops gracefully on
    SIGINT, SIGTERM or SIGHUP: exit 0) once it has ended so: the signal is not reported as one
    that cut the command short (128 + signum)."""
    global _stopped_by
    _stopped_by = None


@contextlib.contextmanager
def _file_names_printable() -> Iterator[None]:
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


def run_reported(
    command: Callable[[], int | None], *, prog: str, verbose: bool, tensorflow_logs: bool
) -> int:
    """Runs a command the way every tfhub program does: its exit code, errors as one line.

    tfhub's log records go to stderr while it runs (INFO too when `verbose`); TensorFlow's
    C++ start-up lines do not, unless `tensorflow_logs` (or TF_CPP_MIN_LOG_LEVEL is set); Ctrl-C
    exits 130, SIGTERM 143 and SIGHUP 129, each after the command's clean-up (temporary folders
    removed); a reader that stops reading stdout (`tfhub cache list | head -1`) ends the
    command quietly with 141, as SIGPIPE would; any other exception is reported by `report`.

    Args:
        command: the command's work; returns its exit code (None means 0).
        prog: the program's name, for the interrupted message.
        verbose: log INFO records too.
        tensorflow_logs: let TensorFlow print its start-up lines (the programs' `-v`).

    Returns:
        The process exit code.
    """
    from ..utils.logging import cli_logging

    with (
        _stop_signals_unwind() as stops,
        _file_names_printable(),
        _guarded_stdout() as output,
        quiet_tensorflow(quiet=not tensorflow_logs),
        cli_logging(verbose=verbose),
    ):
        code = _run_command(command, prog, stops, output)
    if stops.late is not None:  # The command had ended: its outputs are whole.
        return _say_stopped(prog, stops.late, ", as it ended")
    return code


def _run_command(
    command: Callable[[], int | None],
    prog: str,
    stops: StopSignals,
    output: _GuardedStdout | None,
) -> int:
    """`run_reported`'s work inside its context managers: the command's exit code."""
    try:
        try:
            code = int(command() or 0)
        finally:
            stops.command_over = True
        flush_stdout()  # A closed pipe shows here, not in Python's exit.
        if _stopped_by is not None:
            # Its KeyboardInterrupt was swallowed (a finalizer it interrupted) and the command
            # ran to its end before `_Redelivery` delivered it again: it did all its work, so
            # it ends as for a signal that arrives as it ends; it exited 0 as if not signalled.
            stops.late = _stopped_by
        return code
    except KeyboardInterrupt as err:  # Also when a library re-raised it as a plain one.
        return _report_stopped(prog, err)
    except BrokenPipeError as err:
        if not _stdout_is_closed():
            return report(err)
        return 141  # 128 + SIGPIPE: what `cmd | head` expects of a writer it stopped.
    except Exception as err:
        if _stopped_by is not None:  # A library made the signal's unwind an error of its
            return _report_stopped(prog, err)  # own (Apache Beam's runner may).
        if isinstance(err, OSError) and output is not None and output.failed is not None:
            return _report_output_failure(err)
        return report(err)


def _report_stopped(prog: str, err: BaseException) -> int:
    """Says how a signal (or Ctrl-C) ended the command, with the notes the command added to
    the exception `err` it unwound with (e.g. which outputs it had written), on one line;
    returns its exit code: 130 for Ctrl-C, 128 + the signal for SIGTERM and SIGHUP."""
    if _redelivery is not None:
        _redelivery.stop()  # While the caught _Terminated is still alive.
    notes = getattr(err, "__notes__", None)
    said = " ".join(str(note) for note in notes) if isinstance(notes, list) else ""
    said = f". {redact(one_line(said))}" if said.strip() else ""
    return _say_stopped(prog, _stopped_by or signal.SIGINT, said)


def _say_stopped(prog: str, signum: signal.Signals, said: str) -> int:
    """Tells that `signum` ended the command (`said`: what to add); returns the exit code:
    130 for Ctrl-C (SIGINT), as Python's own handler ends it; 128 + the signal otherwise."""
    if signum == signal.SIGINT:
        tell(f"{prog}: interrupted{said}")
        return 130
    tell(f"{prog}: terminated ({signum.name}){said}")
    return 128 + signum


def flush_stdout() -> None:
    """Flushes stdout, if the process has one: started with stdout closed (`cmd >&-`), Python
    sets `sys.stdout` to None and `print` writes nothing, as the caller chose."""
    if sys.stdout is not None:
        sys.stdout.flush()


class _GuardedStdout:
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


@contextlib.contextmanager
def _guarded_stdout() -> Iterator[_GuardedStdout | None]:
    """Puts a `_GuardedStdout` in `sys.stdout` while the block runs (None without stdout)."""
    stream = sys.stdout
    if stream is None:
        yield None
        return
    output = _GuardedStdout(stream)
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
        with _file_names_printable():
            sys.stdout.write(text)
            sys.stdout.flush()
    except BrokenPipeError as err:
        return 141 if _stdout_is_closed() else report(err)
    except OSError as err:
        return _report_output_failure(err)
    return 0


def _report_output_failure(err: OSError) -> int:
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


def _stdout_is_closed() -> bool:
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
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)  # Python's own flush at exit must not fail again.
    os.close(devnull)
    return True
