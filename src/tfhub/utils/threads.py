"""Background threads that leave the stop signals to the main thread.

The kernel gives a signal sent to the process (Ctrl-C's SIGINT, `kill`'s SIGTERM, a closed
terminal's SIGHUP) to any thread that does not block it. Python runs the handler in the main
thread, but only when that thread next runs Python: if the signal went to a helper thread
while the main thread waits in a system call (a stalled download's read, a lock), the wait is
not interrupted and Ctrl-C does nothing until it ends. A thread started here blocks those
signals, so the kernel gives them to the main thread, whose wait they interrupt.
"""

from __future__ import annotations

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
