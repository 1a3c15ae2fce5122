"""Running the hub app: `tfhub serve` (granian or uvicorn, N worker processes) or in a thread.

`serve()` blocks and runs worker processes that each build the app from the settings in
`TFHUB_SERVE_SETTINGS` (see `settings`); granian's supervision of them is `granian_runner`.
`BackgroundServer` runs one uvicorn server in a thread of this process on an already bound
socket (port 0 works), for `tfhub demo` and tests.
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

from .. import constants, errors
from ..utils.lazy import require
from ..utils.threads import daemon_thread
from . import APP_MODULES
from .cache_dir import check_cache_dir, default_cache_dir
from .docs_layout import docs_dir
from .granian_runner import serve_granian
from .settings import (
    SETTINGS_ENV,
    ServeSettings,
    check_port,
    check_settings,
    host_port,
    warn_about_settings,
)

logger = logging.getLogger(__name__)
APP_FACTORY = "tfhub.hub.app:app_from_env"
SERVERS = ("granian", "uvicorn")
DEFAULT_SERVER = "granian"
# How long a stop signal lets the downloads in flight go on before it cuts them (`--stop-timeout`):
# within Kubernetes' 30 s of grace and systemd's 90 s, so that the server ends on its own (exit 0).
DEFAULT_STOP_TIMEOUT = 20.0
# The longest `--stop-timeout`: a day. granian's supervisor waits for its workers with
# Process.join(timeout), which raised OverflowError (a traceback, exit 1) at the stop, not at
# the start, from ~2,147,484 s (2**31 ms).
MAX_STOP_TIMEOUT = 86400.0


def serve(
    settings: ServeSettings,
    *,
    host: str,
    port: int,
    workers: int,
    server: str,
    on_ready: Callable[[], None] | None = None,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
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
        stop_timeout: on SIGINT or SIGTERM, the most seconds the answers in flight (a slow
            client's download) may go on before they are cut; both servers otherwise waited for
            each to end, whatever it took.

    Raises:
        tfhub.errors.ServeConfigError: for an unknown server or bad options (checked here,
            before any worker starts; each worker then scans ROOT).
        tfhub.errors.MissingDependencyError: (an ImportError) if the hub extra or `server` is
            not installed, naming what to install.
    """
    if server in SERVERS:  # An unknown one is check_options' error.
        require(*APP_MODULES, server, purpose="serving a hub")
    check_stop_timeout(stop_timeout)
    check_options(settings, host=host, port=port, workers=workers, server=server)
    if on_ready is not None:
        on_ready()
    os.environ[SETTINGS_ENV] = settings.to_env()
    # A stop signal before the server has put its handlers in place (before it listens or
    # starts a worker) meets the `tfhub` command's, whose KeyboardInterrupt stops the server as
    # one after would, as `uvicorn.run` does: granian's start ended `tfhub: terminated`, 143.
    with contextlib.suppress(KeyboardInterrupt):
        if server == "granian":
            serve_granian(host=host, port=port, workers=workers, stop_timeout=stop_timeout)
        else:
            _serve_uvicorn(host=host, port=port, workers=workers, stop_timeout=stop_timeout)


def check_options(
    settings: ServeSettings, *, host: str, port: int, workers: int, server: str
) -> None:
    """Checks, in the parent before any worker starts, every option that can be checked, and
    warns (once: workers do not) about a setting that is likely a mistake.

    Raises:
        tfhub.errors.ServeConfigError: an unknown server, a port outside 1-65535 or already in
            use (granian shares ports between processes: a second server would silently take
            half the requests), fewer than 1 worker or more than `max_workers()` (`--workers
            1000` forked a thousand servers), a bad ROOT, token file, base URL or
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
    if workers > max_workers():
        raise errors.ServeConfigError(
            f"--workers must be at most {max_workers()} ({constants.SERVE_WORKERS_PER_CPU} per "
            f"CPU; this machine runs this process on {_cpus()}). Received: {workers}",
            option="--workers",
        )
    check_port(port)
    check_settings(settings)
    given = settings.cache_dir  # The default folder must be this user's (no team folder).
    check_cache_dir(
        given or default_cache_dir(settings.root),
        team=bool(given),
        shared_parents=settings.cache_dir_shared_parents,
    )
    _check_free(host, port)
    warn_about_settings(settings)
    _warn_if_no_docs(settings.root)


def check_stop_timeout(seconds: float) -> None:
    """Checks `--stop-timeout`.

    Raises:
        tfhub.errors.ServeConfigError: unless `seconds` is from 0 to MAX_STOP_TIMEOUT (NaN
            is refused too).
    """
    if not 0 <= seconds <= MAX_STOP_TIMEOUT:
        raise errors.ServeConfigError(
            f"--stop-timeout must be a number of seconds from 0 to {MAX_STOP_TIMEOUT:g} (a "
            "day; 0: a stop cuts the downloads in flight at once). Received: "
            f"{seconds:g}",
            option="--stop-timeout",
        )


def max_workers() -> int:
    """The most worker processes `serve` starts: SERVE_WORKERS_PER_CPU per CPU this process
    may run on (each worker is a full copy of the app)."""
    return constants.SERVE_WORKERS_PER_CPU * _cpus()


def _cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS says, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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


# uvicorn's h11 protocol with a deadline for request headers (hub/uvicorn_h11.py), by import
# path: uvicorn imports it in its worker processes too.
_UVICORN_HTTP_PROTOCOL = "tfhub.hub.uvicorn_h11:DeadlineH11Protocol"


def _serve_uvicorn(*, host: str, port: int, workers: int, stop_timeout: float) -> None:
    import uvicorn

    from .uvicorn_h11 import MAX_REQUEST_HEAD_BYTES, graceful_shutdown_timeout

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
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
            # Typed int, used as asyncio's timeout: fractions of a second are kept.
            timeout_graceful_shutdown=graceful_shutdown_timeout(stop_timeout),  # type: ignore[arg-type]
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
        from .uvicorn_h11 import MAX_REQUEST_HEAD_BYTES

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
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
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
