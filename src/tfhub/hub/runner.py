"""Running the hub app: `tfhub serve` (granian or uvicorn, N worker processes) or in a thread.

`serve()` blocks and runs worker processes that each build the app from the settings in
`TFHUB_SERVE_SETTINGS` (see `settings`). `BackgroundServer` runs one uvicorn server in a
thread of this process on an already bound socket (port 0 works), for `tfhub demo` and tests.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .. import errors
from ..utils.lazy import require
from ..utils.threads import STOP_SIGNALS, daemon_thread
from . import APP_MODULES
from .docs_layout import docs_dir
from .settings import (
    SETTINGS_ENV,
    ServeSettings,
    check_cache_dir,
    default_cache_dir,
    host_port,
)

logger = logging.getLogger(__name__)
APP_FACTORY = "tfhub.hub.app:app_from_env"
GRANIAN_APP_FACTORY = "tfhub.hub.app:granian_app_from_env"  # Reads X-Forwarded-* as uvicorn.
SERVERS = ("granian", "uvicorn")
DEFAULT_SERVER = "granian"


def serve(
    settings: ServeSettings,
    *,
    host: str,
    port: int,
    workers: int,
    server: str,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serves ROOT until interrupted.

    Args:
        settings: the app's options (ROOT, token file, base URL, ...).
        host: the address to listen on.
        port: the TCP port.
        workers: how many worker processes (each a full, independent copy of the app).
        server: "granian" (Rust HTTP core, files sent natively) or "uvicorn".
        on_ready: called once the options passed their checks, before the server starts
            (`tfhub serve` prints its address then).

    Raises:
        tfhub.errors.ServeConfigError: for an unknown server or bad options (checked here,
            before any worker starts; each worker then scans ROOT).
        tfhub.errors.MissingDependencyError: (an ImportError) if the hub extra or `server` is
            not installed, naming what to install.
    """
    if server in SERVERS:  # An unknown one is check_options' error.
        require(*APP_MODULES, server, purpose="serving a hub")
    check_options(settings, host=host, port=port, workers=workers, server=server)
    if on_ready is not None:
        on_ready()
    os.environ[SETTINGS_ENV] = settings.to_env()
    # A stop signal before the server has put its handlers in place (before it listens or
    # starts a worker) meets the `tfhub` command's, whose KeyboardInterrupt stops the server as
    # one after would, as `uvicorn.run` does: granian's start ended `tfhub: terminated`, 143.
    with contextlib.suppress(KeyboardInterrupt):
        if server == "granian":
            _serve_granian(host=host, port=port, workers=workers)
        else:
            _serve_uvicorn(host=host, port=port, workers=workers)


def check_options(
    settings: ServeSettings, *, host: str, port: int, workers: int, server: str
) -> None:
    """Checks, in the parent before any worker starts, every option that can be checked, and
    warns (once: workers do not) about a setting that is likely a mistake.

    Raises:
        tfhub.errors.ServeConfigError: an unknown server, a port outside 1-65535 or already in
            use (granian shares ports between processes: a second server would silently take
            half the requests), fewer than 1 worker, a bad ROOT, token file, base URL or
            cache folder.
    """
    if server not in SERVERS:
        raise errors.ServeConfigError(
            f"Unknown server {server!r}; use one of {', '.join(SERVERS)}.", option="--server"
        )
    if workers < 1:
        raise errors.ServeConfigError(
            f"--workers must be 1 or more. Received: {workers}", option="--workers"
        )
    if not 0 < port < 65536:
        raise errors.ServeConfigError(
            f"--port must be between 1 and 65535. Received: {port}", option="--port"
        )
    from .app import check_settings, warn_about_settings

    check_settings(settings)
    check_cache_dir(settings.cache_dir or default_cache_dir(settings.root))
    _check_free(host, port)
    warn_about_settings(settings)
    _warn_if_no_docs(settings.root)


def _warn_if_no_docs(root: str) -> None:
    """Logs a warning if ROOT has no assets/docs: a folder inside a hub (`hub/assets`), a model
    folder or a new hub was given, and the hub has no models (it served an empty index)."""
    if docs_dir(root).is_dir():
        return
    logger.warning(
        "%s has no assets/docs folder, so the hub has no models: give the hub folder that holds "
        "assets/docs/<publisher>/... (not a folder inside it), or fill this one with `tfhub "
        "publish MODEL_DIR %s --handle publisher/model/version` (served within --rescan "
        "seconds).",
        root,
        root,
    )


def _check_free(host: str, port: int) -> None:
    """Binds (host, port) once, without SO_REUSEPORT, to see that nobody listens there.

    Raises:
        tfhub.errors.ServeConfigError: as `_bound_socket`, naming `--host` or `--port`.
    """
    _bound_socket(host, port, host_option="--host", port_option="--port", any_port=False).close()


def _serve_granian(*, host: str, port: int, workers: int) -> None:
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
        websockets=False,
    ).serve()


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


# uvicorn's h11 protocol with a deadline for request headers (hub/uvicorn_h11.py), by import
# path: uvicorn imports it in its worker processes too.
_UVICORN_HTTP_PROTOCOL = "tfhub.hub.uvicorn_h11:DeadlineH11Protocol"


def _serve_uvicorn(*, host: str, port: int, workers: int) -> None:
    import uvicorn

    with _sighup_stops_gracefully():
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level="warning",
            ws="none",
            http=_UVICORN_HTTP_PROTOCOL,
        )


@contextlib.contextmanager
def _sighup_stops_gracefully() -> Iterator[None]:
    """While the block runs, SIGHUP (the terminal that started the server closed) stops it as
    SIGTERM does: uvicorn's single server handles SIGINT and SIGTERM only, so SIGHUP met the
    `tfhub` command's own handler inside uvicorn's event loop (a traceback, exit 0). Its worker
    supervisor (`--workers` > 1) installs its own SIGHUP handler (it restarts the workers, as
    granian does). Left alone when SIGHUP is ignored (`nohup`) or outside the main thread."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    ):
        yield
        return
    previous = signal.signal(signal.SIGHUP, lambda *_: signal.raise_signal(signal.SIGTERM))
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


def _bound_socket(
    host: str,
    port: int,
    *,
    host_option: str = "host",
    port_option: str = "port",
    any_port: bool = True,
) -> socket.socket:
    """A socket bound to (host, port): an IPv4 or IPv6 address or a name of this machine.

    Args:
        host, port: where to listen.
        host_option, port_option: how errors name them (`--host` for `tfhub serve`).
        any_port: whether port 0 (any free port) is allowed, as errors then say.

    Raises:
        tfhub.errors.ServeConfigError: naming the host or port option (an OSError the cause)
            if the host is not an address of this machine, or the port is in use.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as err:
        raise errors.ServeConfigError(
            f"Cannot listen on {host!r}: {err.strerror}. Give an address of this machine, e.g. "
            f"127.0.0.1, 0.0.0.0 or ::1. Received: {host_option}={host!r}",
            option=host_option,
        ) from err
    bound = socket.socket(family, kind, proto)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind(address)
    except OSError as err:
        bound.close()
        raise errors.ServeConfigError(
            f"Cannot listen on {host_port(host, port)}: {err.strerror} (another server is there, "
            f"or the address is not this machine's); choose another {port_option}"
            f"{' (0 picks a free one)' if any_port else ''} or {host_option}. "
            f"Received: {port_option}={port}",
            option=port_option,
        ) from err
    return bound


class BackgroundServer:
    """The hub app served by uvicorn in a thread of this process (demo, tests)."""

    def __init__(self, settings: ServeSettings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Builds the app and binds the address (the server starts with `start` or `with`).

        Args:
            settings: the app's options.
            host: an address or name of this machine (IPv4 or IPv6).
            port: the TCP port; 0 picks a free one (`port` then says which).

        Raises:
            tfhub.errors.ServeConfigError: for bad settings (see `create_app`), a host that is
                not this machine's, or a port in use.
        """
        import uvicorn

        from .app import create_app

        self.app = create_app(settings)
        self._socket = _bound_socket(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        # log_config=None: uvicorn's default runs logging.config.dictConfig, which closes every
        # handler of the process (the caller's, pytest's) - not for a server inside a program.
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="none",
            http=_UVICORN_HTTP_PROTOCOL,
        )
        self._server = uvicorn.Server(config)
        self._failure: BaseException | None = None  # What ended the server's thread, if raised.
        self._thread = daemon_thread(  # Stop signals go to the main thread, not this one.
            self._run, name="tfhub-hub-server"
        )

    def _run(self) -> None:
        try:
            self._server.run([self._socket])
        except BaseException as err:  # Reported by `start` (a thread's exception is lost).
            self._failure = err

    def url(self, path: str = "") -> str:
        """The http:// URL of `path` on this server."""
        return f"http://{host_port(self.host, self.port)}/{path.lstrip('/')}"

    def start(self, *, timeout: float = 10.0) -> BackgroundServer:
        """Starts serving in a thread of this process and waits until it answers.

        Args:
            timeout: the longest wait, in seconds.

        Returns:
            This server.

        Raises:
            tfhub.errors.TFHubError: the server's thread ended while starting (naming what it
                raised, if anything), or it did not start within `timeout`; it is then
                stopped and its socket closed.
        """
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._socket.close()
                failure = self._failure
                reason = f": {type(failure).__name__}: {failure}" if failure else ""
                raise errors.TFHubError(
                    f"The hub server on {self.url()} stopped while starting{reason} (see the "
                    "log above for more)."
                )
            if time.monotonic() > deadline:
                self.stop()
                raise errors.TFHubError(
                    f"The hub server on {self.url()} did not start within {timeout:g} s (the "
                    "machine may be very busy: try a longer timeout)."
                )
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
