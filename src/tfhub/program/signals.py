"""Stop signals: SIGTERM, SIGHUP and Ctrl-C unwind a `tfhub` command, so that it cleans up, and
say how it ended (130 for Ctrl-C, 128 + the signal otherwise)."""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading
import weakref
from collections.abc import Iterator

from ..utils.redact import redact
from ..utils.threads import daemon_thread
from .report import one_line, tell


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


@contextlib.contextmanager
def _quiet_swallowed_stops() -> Iterator[None]:
    """Keeps Python from printing a traceback ("Exception ignored in: ...") for a _Terminated
    that a finalizer swallowed: the command still says, on one line, how the signal ended it
    (`_Redelivery` delivers it again, or the runner reports it at the end). Every other
    unraisable exception goes to the hook that was in place."""
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, _Terminated):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


class StopSignals:
    """What `stop_signals_unwind` shares with the block it wraps.

    Once the block sets `command_over` (the command returned or raised), a stop signal no
    longer raises: raised there, while the command's error is reported or the block's other
    context managers close, it escaped as a traceback and exit 1, and left the handlers in
    place. It is noted in `late` instead, unless the command was stopped already.
    """

    def __init__(self) -> None:
        self.command_over = False
        self.late: signal.Signals | None = None


@contextlib.contextmanager
def stop_signals_unwind() -> Iterator[StopSignals]:
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
        with _quiet_swallowed_stops():
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
    that cut the command short (128 + signum). One whose KeyboardInterrupt the server caught
    (it came while the server started) is not delivered again."""
    global _stopped_by
    _stopped_by = None
    if _redelivery is not None:
        _redelivery.stop()


def stopped_by() -> signal.Signals | None:
    """The stop signal (Ctrl-C too) that is ending the running command, if one arrived."""
    return _stopped_by


def report_stopped(prog: str, err: BaseException) -> int:
    """Says how a signal (or Ctrl-C) ended the command, with the notes the command added to
    the exception `err` it unwound with (e.g. which outputs it had written), on one line;
    returns its exit code: 130 for Ctrl-C, 128 + the signal for SIGTERM and SIGHUP."""
    if _redelivery is not None:
        _redelivery.stop()  # While the caught _Terminated is still alive.
    notes = getattr(err, "__notes__", None)
    said = " ".join(str(note) for note in notes) if isinstance(notes, list) else ""
    said = f". {redact(one_line(said))}" if said.strip() else ""
    return say_stopped(prog, _stopped_by or signal.SIGINT, said)


def say_stopped(prog: str, signum: signal.Signals, said: str) -> int:
    """Tells that `signum` ended the command (`said`: what to add); returns the exit code:
    130 for Ctrl-C (SIGINT), as Python's own handler ends it; 128 + the signal otherwise."""
    if signum == signal.SIGINT:
        tell(f"{prog}: interrupted{said}")
        return 130
    tell(f"{prog}: terminated ({signum.name}){said}")
    return 128 + signum
