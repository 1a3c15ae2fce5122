"""Background threads that leave the stop signals to the main thread.

The kernel gives a signal sent to the process (Ctrl-C's SIGINT, `kill`'s SIGTERM, a closed
terminal's SIGHUP) to any thread that does not block it. Python runs the handler in the main
thread, but only when that thread next runs Python: if the signal went to a helper thread
while the main thread waits in a system call (a stalled download's read, a lock), the wait is
not interrupted and Ctrl-C does nothing until it ends. A thread started here blocks those
signals, so the kernel gives them to the main thread, whose wait they interrupt.

`joined` runs a call that may never end (a name lookup, a request of TensorFlow's file systems)
in such a thread, for a caller that waits for it only so long: while it runs, a later caller
asking the same joins it rather than starting another thread (calls in a row on a dead server
left a thread each, for ever).
"""

from __future__ import annotations

import os
import signal
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from collections.abc import Callable
    from typing import Any

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def daemon_thread(
    target: Callable[..., None], *, name: str, args: tuple[Any, ...] = ()
) -> threading.Thread:
    """A daemon thread (not started) that runs `target(*args)` with the stop signals blocked."""

    def run() -> None:
        block = getattr(signal, "pthread_sigmask", None)  # POSIX only.
        if block is not None:
            block(signal.SIG_BLOCK, STOP_SIGNALS)
        target(*args)

    return threading.Thread(target=run, name=name, daemon=True)


class Call:
    """One call run in a daemon thread, after the call `after` (if any) has ended: its outcome
    (`value`, or the `error` it raised) is set before `done`; `began` once it has started."""

    def __init__(self, key: object, call: Callable[[], Any], after: Call | None = None) -> None:
        self.key = key
        self.call = call
        self.after = after
        self.began = False
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self._traceback: Any = None

    def run(self) -> None:
        try:
            if self.after is not None:
                self.after.done.wait()
                self.after = None  # Not kept alive by a chain of calls.
            with _RUNNING_LOCK:
                self.began = True
            self.value = self.call()
        except BaseException as err:  # Handed to the waiting threads.
            self.error, self._traceback = err, err.__traceback__
        finally:
            with _RUNNING_LOCK:
                if _RUNNING.get(self.key) is self:
                    del _RUNNING[self.key]
            self.done.set()

    def result(self) -> Any:
        """The call's value, once `done`.

        Raises:
            What the call raised (with its own traceback: each waiting thread's raise starts
            from it again rather than adding to the others').
        """
        if self.error is not None:
            raise self.error.with_traceback(self._traceback)
        return self.value


# The calls under way, by key: joined rather than started again.
_RUNNING: dict[object, Call] = {}
_RUNNING_LOCK = threading.Lock()


def _forget_in_child() -> None:
    """A forked child has none of its parent's threads: their calls never end there."""
    global _RUNNING_LOCK
    _RUNNING_LOCK = threading.Lock()
    _RUNNING.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def joined(key: object, call: Callable[[], Any], *, name: str, fresh: bool = False) -> Call:
    """The call under way for `key` (another caller's, still running), or `call` started now
    in a daemon thread named `name` (with the stop signals left to the main thread). Wait for
    it with `.done.wait(seconds)`, then take `.result()`.

    With `fresh`, the answer is never older than this call: a call that has already begun is
    not joined (its answer may predate a change, e.g. an entry completed meanwhile); a new one
    starts once it has ended, and later callers join that one until it begins. At most two
    threads run per key: one at work (perhaps stuck), one waiting for it.
    """
    with _RUNNING_LOCK:
        running = _RUNNING.get(key)
        if running is None or (fresh and running.began):
            running = _RUNNING[key] = Call(key, call, after=running if fresh else None)
            daemon_thread(running.run, name=name).start()
    return running


def running_keys() -> list[object]:
    """The keys of the calls under way (for tests and diagnostics)."""
    with _RUNNING_LOCK:
        return list(_RUNNING)
