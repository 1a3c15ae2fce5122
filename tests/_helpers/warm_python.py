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
different servers, each started with its first program's environment (so do those that differ
in a variable of TensorFlow's GCS file system, `IMPORT_TIME_PREFIX`).

The server (`serve`) forks, per request, a monitor that forks the program and reports its pid
and then its wait status on a socket of the request's own; the server waits for its monitors (so
the programs' CPU time is counted in the worker's children, as a fresh child's is) and ends when
its pytest worker closes their socket.
"""

from __future__ import annotations

import atexit
import contextlib
import io
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
    "TF_USE_LEGACY_KERAS",
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
# TensorFlow's GCS file system reads its settings (GCS_RETRY_CONFIG_MAX_RETRIES, ...) when
# TensorFlow is imported: every variable of this prefix counts as one of IMPORT_TIME_VARIABLES.
# (It reads the proxy, CURL_CA_BUNDLE and GOOGLE_AUTH_TOKEN_FOR_TESTING at each request.)
IMPORT_TIME_PREFIX = "GCS_"

_NUMBER = struct.Struct("!q")
_READY = b"R"
_KILL_WAIT = 30.0  # Seconds to wait for a killed program's status.


def run_warm_python(
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    check: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    max_memory: int | None = None,
    stdout: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs `python -c code *args` as `python_process.run_python` does (stdin empty, stdout and
    stderr captured as text, the test failed showing stderr on a non-zero exit if `check`, its
    address space capped at `max_memory` bytes if given), in a child forked from the warm server
    for `env`, in the folder `cwd` (default: this one). Given `stdout` (a descriptor of the
    caller's: a pipe's or socket's end, a file opened for appending), the program's descriptor 1
    is a copy of it, as a shell's redirection gives (same offset and flags), instead of a
    captured file; the caller reads what it wrote (a pipe's reader must read while it runs).

    Returns:
        The finished process: `args` is the command a fresh interpreter would run, and
        `returncode` is negative for a program killed by a signal, as subprocess reports it
        (`stdout` "" if the caller's descriptor was given).

    Raises:
        subprocess.TimeoutExpired: the program ran over `timeout` seconds (it is killed first).
    """
    child_env = python_process.child_env() if env is None else env
    server = _WarmServer.shared(child_env)
    command = python_process.python_command(code, *args)
    done = server.run(
        command, child_env, timeout, os.fspath(cwd or os.getcwd()), max_memory, stdout
    )
    assert not check or done.returncode == 0, done.stderr[-4000:]
    return done


# `python -m tfhub ARGV` (sys.argv[1:]), as the interpreter runs a module given with -m.
_TFHUB_MAIN = "import runpy\nrunpy.run_module('tfhub', run_name='__main__', alter_sys=True)\n"


def run_warm_tfhub(
    *argv: str, cwd: str | os.PathLike[str] | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python_process.run_tfhub(*argv, cwd=cwd, timeout=timeout, **env)` (`python -m tfhub
    ARGV`, its exit status not checked), in a child forked from the warm server: for a command
    that imports TensorFlow (`inspect`, `publish`, the tools), where what is checked is the
    command's work, not what a fresh process imports or prints as TensorFlow starts."""
    return run_warm_python(
        _TFHUB_MAIN, *argv, env=python_process.child_env(**env), timeout=timeout, check=False,
        cwd=cwd,
    )  # fmt: skip


def start_warm_python(code: str, *args: str, env: dict[str, str] | None = None) -> WarmProcess:
    """Starts `python -c code *args` as `python_process.start_python` does (without waiting;
    stdin and stdout piped, as text), in a child forked from the warm server for `env`
    (default: `python_process.child_env()`). Its stderr goes to a temporary file, read as
    `stderr` (no pipe to fill while a test reads stdout alone).

    Returns:
        The running program: a `subprocess.Popen`-like `WarmProcess` whose `pid` is the
        program's own (a signal sent to it reaches the program, as to a fresh interpreter).
    """
    child_env = python_process.child_env() if env is None else env
    server = _WarmServer.shared(child_env)
    return server.start(python_process.python_command(code, *args), child_env)


class WarmProcess:
    """A program started by `start_warm_python`: the parts of `subprocess.Popen` tests use."""

    def __init__(
        self,
        args: list[str],
        pid: int,
        status: socket.socket,
        stdin_fd: int,
        stdout_fd: int,
        err: Any,
    ) -> None:
        self.args = args
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = open(stdin_fd, "w", encoding=locale.getpreferredencoding(False))
        self.stdout = open(stdout_fd, encoding=locale.getpreferredencoding(False))
        self._status = status
        self._received = b""
        self._err = err

    @property
    def stderr(self) -> io.StringIO:
        """What the program wrote to stderr so far (a new stream at each access)."""
        return io.StringIO(_text(self._err))

    def poll(self) -> int | None:
        """The exit status if the program has ended, else None."""
        if self.returncode is None:
            self._status.setblocking(False)
            try:
                self._receive()
            except BlockingIOError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Waits for the program's end; its status (negative: killed by that signal).

        Raises:
            subprocess.TimeoutExpired: it ran on past `timeout` seconds.
        """
        if self.returncode is None:
            self._status.settimeout(timeout)
            try:
                self._receive()
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout or 0.0) from None
        assert self.returncode is not None
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Closes stdin, reads stdout to its end, waits; returns (stdout, stderr).

        Raises:
            subprocess.TimeoutExpired: stdout did not end within `timeout` seconds.
        """
        with contextlib.suppress(BrokenPipeError):
            self.stdin.close()
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.append(self.stdout.read()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        self.wait(timeout)
        return out[0], _text(self._err)

    def send_signal(self, signum: int) -> None:
        """Sends `signum` to the program unless it has ended."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL, as `Popen.kill`."""
        self.send_signal(signal.SIGKILL)

    def _receive(self) -> None:
        """Reads the monitor's report of the program's wait status, if any yet (BlockingIOError
        or TimeoutError if none, per the socket's mode)."""
        while len(self._received) < _NUMBER.size:
            chunk = self._status.recv(_NUMBER.size - len(self._received))
            if not chunk:
                raise RuntimeError("the warm Python server's monitor ended without a status")
            self._received += chunk
        self.returncode = _returncode(int(_NUMBER.unpack(self._received)[0]))
        self._status.close()
        self._err.seek(0, io.SEEK_END)


class _WarmServer:
    """The pytest worker's end of a warm server (started on first use), one for each set of
    import-time settings (`IMPORT_TIME_VARIABLES`) its programs ask for."""

    _shared: dict[tuple[object, ...], _WarmServer] = {}
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
        """The worker's server for `env`'s import-time settings (IMPORT_TIME_VARIABLES and those
        of IMPORT_TIME_PREFIX), (re)started if need be (with `env`, so TensorFlow is imported as
        a fresh interpreter with `env` would import it)."""
        key = tuple(_import_time_value(env, name) for name in IMPORT_TIME_VARIABLES) + tuple(
            sorted(item for item in env.items() if item[0].startswith(IMPORT_TIME_PREFIX))
        )
        with cls._lock:
            server = cls._shared.get(key)
            if server is None or server._process.poll() is not None:
                server = cls._shared[key] = cls(env)
            return server

    def run(
        self,
        command: list[str],
        env: Mapping[str, str],
        timeout: float,
        cwd: str,
        max_memory: int | None = None,
        stdout: int | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Runs `command` (`python -c code *args`) in a forked child in the folder `cwd`, its
        stdout the caller's descriptor `stdout` if given; see `run_warm_python`."""
        request = json.dumps(
            {
                "code": command[2],
                "args": command[3:],
                "env": dict(env),
                "cwd": cwd,
                "max_memory": max_memory,
            }
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
                    [
                        stdin.fileno(),
                        out.fileno() if stdout is None else stdout,
                        err.fileno(),
                        status_end.fileno(),
                    ],
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

    def start(self, command: list[str], env: Mapping[str, str]) -> WarmProcess:
        """Starts `command` (`python -c code *args`) in a forked child; see
        `start_warm_python`."""
        request = json.dumps(
            {"code": command[2], "args": command[3:], "env": dict(env), "cwd": os.getcwd()}
        ).encode()
        status, status_end = socket.socketpair()
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        err = tempfile.TemporaryFile()
        try:
            with self._request_lock:  # One request at a time on the socket.
                socket.send_fds(
                    self._control,
                    [_NUMBER.pack(len(request)) + request],
                    [stdin_read, stdout_write, err.fileno(), status_end.fileno()],
                )
        finally:
            for fd in (stdin_read, stdout_write):
                os.close(fd)
            status_end.close()
        status.settimeout(_KILL_WAIT)
        pid = _read_number(status)
        return WarmProcess(command, pid, status, stdin_write, stdout_read, err)

    def close(self) -> None:
        """Ends the server (programs already running finish on their own)."""
        self._control.close()
        try:
            self._process.wait(timeout=_KILL_WAIT)
        except subprocess.TimeoutExpired:
            self._process.kill()


def _import_time_value(env: Mapping[str, str], name: str) -> object:
    """What `env`'s variable `name` means where it is read at start: TF_USE_LEGACY_KERAS as
    TensorFlow reads it (tf_keras for `1`, `true` or `True`; Keras 3 for any other value or
    none, so `0` and unset share a server), any other as its value."""
    value = env.get(name)
    if name == "TF_USE_LEGACY_KERAS":
        return value in ("1", "true", "True")
    return value


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
    _fresh_stdout()
    if request.get("max_memory") is not None:
        python_process.cap_memory(request["max_memory"])
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


def _fresh_stdout() -> None:
    """`sys.stdout` made again for descriptor 1 as the interpreter makes it at start: the
    server's was made for its own descriptor 1 (a seekable file, say, where the program's is a
    pipe or a socket: `reconfigure` of that wrapper then failed to seek)."""
    made = sys.stdout
    stream = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
        encoding=made.encoding,
        errors=made.errors,
        newline="\n",
        line_buffering=os.isatty(1),
    )
    sys.stdout = sys.__stdout__ = stream


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
