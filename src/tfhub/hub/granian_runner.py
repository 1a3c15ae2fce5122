"""Running the hub app with granian (`tfhub serve --server granian`, the default): its
supervisor (the `tfhub serve` process) and its worker processes, made to stop gracefully.

granian's own supervisor stopped badly when a stop signal (SIGINT, SIGTERM) reached the whole
process group at once, as Ctrl-C in a terminal, `kill -TERM -PGID` and systemd send it: it
exited 1 ("Unexpected exit from worker-1") when a worker stopped on its own copy first, and a
worker still starting ignored the signal and served on while the supervisor waited for it.
`serve_granian` runs granian's server class with those fixed (`_granian_supervisor`): a worker
still starting ends at once, stop signals are held across the fork until Python's fork
fix-ups ran, and workers ended by a stop signal that reached the supervisor too are a graceful
stop (exit 0).
"""

from __future__ import annotations

import copy
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from ..utils.threads import STOP_SIGNALS

logger = logging.getLogger(__name__)
GRANIAN_APP_FACTORY = "tfhub.hub.app:granian_app_from_env"  # Reads X-Forwarded-* as uvicorn.


def serve_granian(*, host: str, port: int, workers: int, stop_timeout: float) -> None:
    """Serves the app (`GRANIAN_APP_FACTORY`, one per worker process) until a stop signal.

    Args:
        host: the address to listen on.
        port: the TCP port.
        workers: how many worker processes.
        stop_timeout: the most seconds a worker may take to stop (its downloads in flight go on
            meanwhile) before it is killed, on a stop signal and on SIGHUP's restart alike.
    """
    from granian.constants import HTTPModes, Interfaces

    _granian_supervisor()(
        GRANIAN_APP_FACTORY,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        # HTTP/1.1 only: granian's default also took cleartext HTTP/2 (prior knowledge), which
        # no hub client speaks and where its deadline for request headers does not apply.
        http=HTTPModes.http1,
        workers=workers,
        factory=True,
        log_access=False,
        log_dictconfig=_log_config(),
        websockets=False,
        # granian waits for a worker forever without it (a slow client's download held a
        # stopped server for minutes); it reads 0 as "no limit", so 0 is made a millisecond.
        workers_kill_timeout=max(stop_timeout, 0.001),
    ).serve()


def _log_config() -> dict[str, Any]:
    """granian's logging config (`granian.log.LOGGING_CONFIG`) with its handlers writing on
    stderr, as uvicorn's log and tfhub's access log do.

    granian's own wrote its lifecycle lines ("Starting granian", "Listening at", ...) on
    stdout, where `tfhub serve` prints only its serving line: `tfhub serve ROOT | head -1`
    printed a "--- Logging error ---" traceback for each line once the reader had left.
    """
    from granian.log import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return config


# A granian worker's exit status when a stop signal ended it: 0, it stopped gracefully on its
# own copy of the signal; minus the signal, it was still starting (`_granian_supervisor`).
_STOPPED_WORKER_STATUSES = frozenset({0, -signal.SIGINT, -signal.SIGTERM})


def _granian_supervisor() -> Any:
    """granian's server class (its supervisor: the `tfhub serve` process) made to stop
    gracefully (exit 0) however SIGINT or SIGTERM reach its workers.

    Such a signal often reaches every process of the group at once (Ctrl-C in a terminal,
    `kill -TERM -PGID`, systemd). Each worker then stops on its own copy; when the supervisor
    saw a worker gone before its own handler had run (a busy machine), granian logged
    "Unexpected exit from worker-1" and exited 1. A worker still starting (forked with the
    supervisor's handler, which only set a flag of the worker's copy) ignored the signal, the
    supervisor's own SIGTERM too, and went on to serve: the supervisor waited for it forever.
    """
    from granian import Granian

    class Supervisor(Granian):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._ended: list[Any] = []  # Workers that ended unasked (`_watch_worker`).

        def signal_handler_interrupt(self, signum: int, frame: object) -> None:
            if os.getpid() != self.pid:  # In a worker still starting: it ends at once.
                signal.signal(signum, signal.SIG_DFL)
                signal.raise_signal(signum)
            super().signal_handler_interrupt(signum, frame)

        def _spawn_worker(self, *args: Any, **kwargs: Any) -> Any:
            worker = super()._spawn_worker(*args, **kwargs)
            if getattr(worker, "_spawn_method", None) == "fork":
                # Only a forked one: a spawned worker (macOS's default start method; granian
                # spawns for Python 3.14's forkserver) starts a new interpreter, which would keep
                # the signals blocked (no fork hook runs there): it never took SIGTERM.
                start = worker.start
                worker.start = lambda: _start_holding_stop_signals(start)
            worker._watcher = lambda: _watch_worker(self, worker)  # Run by `worker.start()`.
            return worker

        def shutdown(self, exit_code: int = 0) -> None:
            try:
                super().shutdown(exit_code)
            except SystemExit:  # A worker ended unasked (granian exits 1).
                if exit_code or not _ended_by_stop_signal(self):
                    raise

    return Supervisor


def _start_holding_stop_signals(start: Callable[[], None]) -> None:
    """Runs `start` (which forks a worker) with the stop signals blocked: one that reached the
    new worker before Python's fork fix-ups ran was dropped by them (the supervisor's SIGTERM
    too, and the worker served on). The worker unblocks them after those fix-ups (the hook
    `_unblock_stop_signals`), and one held meanwhile reaches the handler then."""
    global _fork_hook_registered
    if not _fork_hook_registered:
        os.register_at_fork(after_in_child=_unblock_stop_signals)
        _fork_hook_registered = True
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        start()
    finally:
        _unblock_stop_signals()


_fork_hook_registered = False


def _unblock_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _watch_worker(server: Any, worker: Any) -> None:
    """granian's watcher of a worker (a thread of the supervisor): notes a worker that ended
    unasked and wakes the supervisor, which then stops. Its error message waits for
    `_ended_by_stop_signal` when the exit status is a stop signal's; the stop signals are
    blocked here, so that the kernel gives them to the main thread, which runs the handler
    before it decides anything."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    worker.inner.join()
    if worker.interrupt_by_parent:
        return
    if getattr(worker.inner, "exitcode", None) not in _STOPPED_WORKER_STATUSES:
        logger.error("Unexpected exit from worker-%d", worker.idx + 1)
    server._ended.append(worker)
    server.interrupt_children.append(worker.idx)
    server.main_loop_interrupt.set()


def _ended_by_stop_signal(server: Any) -> bool:
    """Whether the workers that ended unasked all ended on a stop signal (their exit statuses
    say so) that reached the supervisor too: a graceful stop. Otherwise logs those that
    `_watch_worker` left unreported."""
    statuses = [worker.inner.exitcode for worker in server._ended]
    if server.interrupt_signal and all(code in _STOPPED_WORKER_STATUSES for code in statuses):
        return True
    for worker, code in zip(server._ended, statuses, strict=True):
        if code in _STOPPED_WORKER_STATUSES:
            logger.error(
                "Unexpected exit from worker-%d (exit status %s): a signal sent to it alone?",
                worker.idx + 1,
                code,
            )
    return False
