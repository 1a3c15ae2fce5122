"""Python programs run each in a process of its own, forked from ONE child that imported
TensorFlow without starting it: a program then starts as a fresh `python -c "import tensorflow;
..."` would (TensorFlow imported, its context, thread pools, devices, Keras flavour and
tf.py_function registry not yet made), for the cost of one import (~5 CPU-s) per module instead
of one per program.

`ForkServer` (the `forks` fixture of tests/tools/conftest.py) forks one program per call, when
the test runs, so each test keeps its own time budget; `run_programs` forks a test's few
programs from a child of their own. (Two programs cannot share one process instead: two
MirroredStrategy trainings in a process failed, "Shape mismatch in the collective instance 100
... Restart your program to reset".)
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from tests._helpers.python_process import child_env, python_command

_FORKING = """
import json, os, sys, textwrap, traceback

{prelude}


def run(request):
    # In the forked process: the program, its stdout and stderr in files; its exit code.
    os.environ.clear()
    os.environ.update(request["env"])
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.close(nothing)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = [request["name"], *request["args"]]
    try:
        code = textwrap.dedent(request["code"])
        exec(compile(code, request["name"], "exec"), {{"__name__": "__main__"}})
        return 0
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except BaseException:
        traceback.print_exc()
        return 1


def forked(request):
    # Runs `request` in a forked process; returns its exit code (-N: killed by signal N).
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        returned = 1
        try:
            returned = run(request)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(returned)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


for line in sys.stdin:
    print(json.dumps(forked(json.loads(line))), flush=True)
"""


class ForkServer:
    """A child that imported TensorFlow (or ran another `prelude`) and forks, for each `run`,
    a process running one program; closed with the `with` block (or `close`)."""

    def __init__(self, prelude: str = "import tensorflow") -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="forks-")
        self._log = open(Path(self._folder.name) / "server.err", "w+b")
        self._count = 0
        self._proc = subprocess.Popen(
            python_command(_FORKING.format(prelude=textwrap.dedent(prelude))),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=child_env(),
            start_new_session=True,
        )

    def run(
        self, code: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        """Runs `code` (it may be indented) as `python -c code *args` would, in a forked process
        whose environment is `env` (default: `child_env()`), and fails the test if it still
        runs after `timeout` seconds.

        Returns:
            Its exit code (0, SystemExit's code, 1 with the traceback of what it raised on its
            stderr, or -N if signal N killed it), stdout and stderr.
        """
        self._count += 1
        out, err = (Path(self._folder.name) / f"{self._count}.{end}" for end in ("out", "err"))
        request = {
            "name": f"program-{self._count}",
            "code": code,
            "args": [*map(str, args)],
            "env": dict(child_env() if env is None else env),
            "out": os.fspath(out),
            "err": os.fspath(err),
        }
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        line = self._proc.stdout.readline() if ready else ""
        if not line:
            self._kill()
            raise AssertionError(
                f"The forked program did not end within {timeout} s (or its server died): "
                f"{self._server_log()}{_tail(out)}{_tail(err)}"
            )
        return subprocess.CompletedProcess(
            ["python", "-c", code, *args], json.loads(line), _tail(out, 0), _tail(err, 0)
        )

    def _server_log(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-3000:]

    def _kill(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()

    def close(self) -> None:
        """Ends the server (and kills it if it does not end in 60 s); removes its files."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._kill()
        finally:
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._log.close()
            self._folder.cleanup()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _tail(path: Path, keep: int = 4000) -> str:
    """The text of `path` ("" if missing), its last `keep` characters if keep > 0."""
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-keep:] if keep else text


def run_programs(
    plan: Sequence[
        tuple[str, str, Sequence[str]] | tuple[str, str, Sequence[str], Mapping[str, str]]
    ],
    *,
    timeout: float = 600,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Runs each row (name, code, args[, env]) of `plan`, in plan order, each forked from one
    new `ForkServer`: `code` as `python -c code *args` would run it, with `child_env(**env)`.

    Args:
        plan: rows (name, code, args[, env]); names are unique.
        timeout: seconds each program may take.

    Returns:
        Each program's result by name (`ForkServer.run`).
    """
    with ForkServer() as server:
        return {
            row[0]: server.run(
                row[1],
                *map(str, row[2]),
                env=child_env(**dict(row[3] if len(row) > 3 else {})),
                timeout=timeout,
            )  # fmt: skip
            for row in plan
        }
