"""How every tfhub program (`tfhub` and the tools' commands) runs a command: its exit code, its
errors as one line, its stop signals unwound, stdout written safely, TensorFlow kept quiet."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

from .. import constants
from ..utils import lazy
from . import signals
from .report import report
from .signals import StopSignals
from .stdout import (
    GuardedStdout,
    flush_before_error,
    flush_stdout,
    guarded_stdout,
    printable_stdout,
    report_output_failure,
    stdout_is_closed,
)


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
        signals.stop_signals_unwind() as stops,
        printable_stdout(),
        guarded_stdout() as output,
        quiet_tensorflow(quiet=not tensorflow_logs),
        cli_logging(verbose=verbose),
    ):
        code = _run_command(command, prog, stops, output)
    if stops.late is not None:  # The command had ended: its outputs are whole.
        return signals.say_stopped(prog, stops.late, ", as it ended")
    return code


def _run_command(
    command: Callable[[], int | None],
    prog: str,
    stops: StopSignals,
    output: GuardedStdout | None,
) -> int:
    """`run_reported`'s work inside its context managers: the command's exit code."""
    try:
        try:
            code = int(command() or 0)
        finally:
            stops.command_over = True
        flush_stdout()  # A closed pipe shows here, not in Python's exit.
        signum = signals.stopped_by()
        if signum is not None:
            # Its KeyboardInterrupt was swallowed (a finalizer it interrupted) and the command
            # ran to its end before `_Redelivery` delivered it again: it did all its work, so
            # it ends as for a signal that arrives as it ends; it exited 0 as if not signalled.
            stops.late = signum
        return code
    except KeyboardInterrupt as err:  # Also when a library re-raised it as a plain one.
        flush_before_error(output)  # Else Python's flush at exit fails: exit 120, not 130.
        return signals.report_stopped(prog, err)
    except BrokenPipeError as err:
        if not stdout_is_closed():
            flush_before_error(output)
            return report(err)
        return 141  # 128 + SIGPIPE: what `cmd | head` expects of a writer it stopped.
    except Exception as err:
        if signals.stopped_by() is not None:  # A library made the signal's unwind an
            flush_before_error(output)  # error of its own (Apache Beam's may).
            return signals.report_stopped(prog, err)
        if output is not None and err is output.failed:  # Its output could not be written.
            return report_output_failure(err)
        flush_before_error(output)  # What it printed before failing, or why it cannot be.
        return report(err)


@contextlib.contextmanager
def quiet_tensorflow(*, quiet: bool) -> Iterator[None]:
    """Keeps TensorFlow's C++ start-up lines (CUDA, cuInit, CPU features, oneDNN) off stderr
    while the block runs, if `quiet` and the user has not set TF_CPP_MIN_LOG_LEVEL (empty or
    blank is unset, as for tfhub's own variables: TensorFlow would read it as level 0)."""
    if not quiet:
        yield
        return
    name = constants.TF_CPP_MIN_LOG_LEVEL
    previous = os.environ.get(name)
    if not (previous or "").strip():
        os.environ[name] = "3"  # Read by TensorFlow when it is imported.
    lazy.quiet_native_logs(True)
    # TensorFlow's Python warnings (e.g. load_v1_in_v2's "Unable to create a python object for
    # variable ... because it is a reference variable", once per load) too; -v shows them.
    tensorflow_logger = logging.getLogger("tensorflow")
    saved_level = tensorflow_logger.level
    tensorflow_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        tensorflow_logger.setLevel(saved_level)
        lazy.quiet_native_logs(False)
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
