"""Running `python -c code` in a child forked from a server that already imported TensorFlow.

A fresh interpreter spends ~3-5 CPU seconds importing TensorFlow before a test's child does any
work, and the suite starts ~140 such children. `run_warm_python` runs the same program in a
process forked from one server per pytest worker that imported TensorFlow once, with the
request's environment, arguments, working folder and standard streams, and ends it as the
interpreter would (exit status, uncaught exception, SystemExit, non-daemon threads, atexit).

Use it only where the child's work is the point. A test of what happens when a process starts
(what `import tfhub` imports, TensorFlow's start-up lines, which the server printed on its own
stderr) needs a fresh interpreter: `python_process.run_python`. Programs whose environments differ
in a variable read when Python starts or TensorFlow is imported (`IMPORT_TIME_VARIABLES`) get
different servers, each started with its first program's environment.

The server (`serve`) forks, per request, a monitor that forks the program and reports its pid
and then its wait status on a socket of the request's own; the server waits for its monitors (so
the programs' CPU time is counted in the worker's children, as a fresh child's is) and ends when
its pytest worker closes their socket.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
import types
from collections.abc import Mapping
from typing import Any, NoReturn

from . import python_process

# Read when Python starts or TensorFlow is imported (which imports Keras 3 and protobuf too):
# programs that set one differently get different servers.
IMPORT_TIME_VARIABLES = (
    "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION",
    "KERAS_BACKEND",
    "KERAS_HOME",
    "HOME",
    "TF_XLA_FLAGS",
    "MKL_NUM_THREADS",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_CPP_MAX_VLOG_LEVEL",
    "TF_CPP_VMODULE",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "OMP_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "PYTHONHASHSEED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONWARNINGS",
    "PYTHONDEVMODE",
    "PYTHONFAULTHANDLER",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONSAFEPATH",
    "LC_ALL",
    "LC_CTYPE",
    "LANG",
)

_NUMBER = struct.Struct("!q")
_READY = b"R"
_KILL_WAIT = 30.0  # Seconds to wait for a killed program's status.


def run_warm_python(
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Runs `python -c code *args` as `python_process.run_python` does (stdin empty, stdout and
    stderr captured as text, the test failed showing stderr on a non-zero exit if `check`), in
    a child forked from the warm server if `env` allows, else in a fresh interpreter.

    Returns:
        The finished process: `args` is the command a fresh interpreter would run, and
        `returncode` is negative for a program killed by a signal, as subprocess reports it.

    Raises:
        subprocess.TimeoutExpired: the program ran over `timeout` seconds (it is killed first).
    """
    child_env = python_process.child_env() if env is None else env
    server = _WarmServer.shared(child_env)
    done = server.run(python_process.python_command(code, *args), child_env, timeout)
    assert not check or done.returncode == 0, done.stderr[-4000:]
    return done


class _WarmServer:
    """The pytest worker's end of a warm server (started on first use), one for each set of
    import-time settings (`IMPORT_TIME_VARIABLES`) its programs ask for."""

    _shared: dict[tuple[str | None, ...], _WarmServer] = {}
    _lock = threading.Lock()

    def __init__(self, env: Mapping[str, str]) -> None:
        self._control, server_end = socket.socketpair()
        self._request_lock = threading.Lock()
        log = tempfile.TemporaryFile()  # TensorFlow's start-up lines go here.
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import serve; serve({server_end.fileno()})"],
            env=env,
            cwd=python_process.REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stderr=log,
            pass_fds=[server_end.fileno()],
            start_new_session=True,  # Ctrl-C in a terminal reaches pytest, not the server.
        )
        server_end.close()
        if self._control.recv(1) != _READY:
            raise RuntimeError(f"the warm Python server did not start: {_text(log)[-4000:]}")
        log.close()
        atexit.register(self.close)

    @classmethod
    def shared(cls, env: Mapping[str, str]) -> _WarmServer:
        """The worker's server for `env`'s import-time settings, (re)started if need be (with
        `env`, so TensorFlow is imported as a fresh interpreter with `env` would import it)."""
        key = tuple(env.get(name) for name in IMPORT_TIME_VARIABLES)
        with cls._lock:
            server = cls._shared.get(key)
            if server is None or server._process.poll() is not None:
                server = cls._shared[key] = cls(env)
            return server

    def run(
        self, command: list[str], env: Mapping[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Runs `command` (`python -c code *args`) in a forked child; see `run_warm_python`."""
        request = json.dumps(
            {"code": command[2], "args": command[3:], "env": dict(env), "cwd": os.getcwd()}
        ).encode()
        status, status_end = socket.socketpair()
        with (
            status,
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
            open(os.devnull, "rb") as stdin,
        ):
            with status_end, self._request_lock:  # One request at a time on the socket.
                socket.send_fds(
                    self._control,
                    [_NUMBER.pack(len(request)) + request],
                    [stdin.fileno(), out.fileno(), err.fileno(), status_end.fileno()],
                )
            status.settimeout(timeout)
            pid = _read_number(status)
            try:
                wait_status = _read_number(status)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                status.settimeout(_KILL_WAIT)
                _read_number(status)
                raise subprocess.TimeoutExpired(
                    command, timeout, output=_text(out), stderr=_text(err)
                ) from None
            return subprocess.CompletedProcess(
                command, _returncode(wait_status), _text(out), _text(err)
            )

    def close(self) -> None:
        """Ends the server (programs already running finish on their own)."""
        self._control.close()
        try:
            self._process.wait(timeout=_KILL_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _read_number(connection: socket.socket) -> int:
    """One number sent by the monitor; TimeoutError past the socket's timeout."""
    data = b""
    while len(data) < _NUMBER.size:
        chunk = connection.recv(_NUMBER.size - len(data))
        if not chunk:
            raise RuntimeError("the warm Python server's monitor ended without a status")
        data += chunk
    return int(_NUMBER.unpack(data)[0])


def _text(stream: Any) -> str:
    """A captured stream as subprocess's text mode gives it (locale encoding, universal
    newlines)."""
    stream.seek(0)
    text = stream.read().decode(locale.getpreferredencoding(False))
    return str(text.replace("\r\n", "\n").replace("\r", "\n"))


def _returncode(status: int) -> int:
    """subprocess's returncode for a wait status."""
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


# The server's side: a separate process started by `_WarmServer`.


def serve(control_fd: int) -> None:
    """Imports TensorFlow, says it is ready, then runs each request until the worker leaves."""
    import tensorflow  # noqa: F401  # The point of the server.

    base_path = _base_sys_path()
    with socket.socket(fileno=control_fd) as control:
        control.sendall(_READY)
        while True:
            _reap_monitors(block=False)
            try:
                message, fds, _, _ = socket.recv_fds(control, 1 << 20, 4)
            except OSError:
                message = b""
            if not message:  # The worker closed its end.
                _reap_monitors(block=True)
                return
            size = _NUMBER.unpack(message[: _NUMBER.size])[0]
            payload = message[_NUMBER.size :]
            while len(payload) < size:
                payload += control.recv(size - len(payload))
            _start_monitor(json.loads(payload), fds, control, base_path)
            for fd in fds:
                os.close(fd)


def _reap_monitors(*, block: bool) -> None:
    """Waits for the monitors that ended (all of them if `block`), so that their programs' CPU
    time is counted in the server's children and, once the server ends, in the worker's."""
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _base_sys_path() -> list[str]:
    """The server's `sys.path` without what `python -c` and PYTHONPATH put first."""
    given = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return [p for p in sys.path[1:] if p not in given]


def _start_monitor(
    request: dict[str, Any], fds: list[int], control: socket.socket, base_path: list[str]
) -> None:
    """Forks a monitor that forks the program, then sends its pid and wait status."""
    if os.fork() != 0:
        return
    try:  # The monitor.
        control.close()
        stdin, stdout, stderr, status_fd = fds
        status = socket.socket(fileno=status_fd)
        pid = os.fork()
        if pid == 0:
            status.close()
            _become_program(request, (stdin, stdout, stderr), base_path)
        status.sendall(_NUMBER.pack(pid))
        _, wait_status = os.waitpid(pid, 0)
        status.sendall(_NUMBER.pack(wait_status))
    finally:
        os._exit(0)


def _become_program(
    request: dict[str, Any], streams: tuple[int, int, int], base_path: list[str]
) -> NoReturn:
    """In the forked program: takes the request's streams, environment, folder and arguments,
    runs its code as `python -c` would and ends as the interpreter would."""
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    given = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = ["", *given, *base_path]
    sys.argv = ["-c", *request["args"]]
    tempfile.tempdir = None  # Found again from the program's TMPDIR.
    for name in [name for name in sys.modules if name == "tests" or name.startswith("tests.")]:
        del sys.modules[name]  # Imported by the server; the program imports its own.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(request["code"], "<string>", "exec"), main.__dict__)
    except SystemExit as stop:
        code = _exit_code(stop)
    except KeyboardInterrupt as interrupt:
        traceback.print_exception(_without_this_frame(interrupt))
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ends by the signal, as Python does.
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException as error:
        sys.excepthook(type(error), error, _without_this_frame(error).__traceback__)
        code = 1
    os._exit(_shut_down(code))


def _without_this_frame(error: BaseException) -> BaseException:
    """`error` with its traceback starting in the program's code, as Python prints it."""
    if error.__traceback__ is not None:
        error.__traceback__ = error.__traceback__.tb_next
    return error


def _exit_code(stop: SystemExit) -> int:
    """The status Python exits with for an uncaught SystemExit."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code & 0xFF
    print(stop.code, file=sys.stderr)
    return 1


def _shut_down(code: int) -> int:
    """What the interpreter does at its end: joins non-daemon threads, runs atexit, flushes;
    returns the exit status (120 if flushing stdout failed, as Python)."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    return code if _flush() else 120


def _flush() -> bool:
    """Flushes stdout and stderr; False if stdout could not be."""
    ok = True
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            ok = ok and stream is not sys.stdout
    return ok
