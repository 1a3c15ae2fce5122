"""Running Python code in a fresh interpreter that imports this checkout's tfhub.

Every test that spawns Python goes through here, so the child imports `src/` of this repository
(not an installed tfhub) and can import `tests._helpers`.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).parents[2]
SRC_DIR = REPO_ROOT / "src"


def child_env(**extra: str) -> dict[str, str]:
    """`os.environ` plus `extra`, with src/ and the repository first on PYTHONPATH."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}
    paths = [os.fspath(SRC_DIR), os.fspath(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    return env


def run_tfhub(
    *argv: str | bytes,
    text: bool = True,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 60,
    **env: str,
) -> subprocess.CompletedProcess[Any]:
    """Runs `python -m tfhub ARGV` as a shell would (stdin empty, in `cwd`, at most `timeout`
    seconds), with `env` added to the test's environment (a value "" leaves the variable empty,
    which tfhub reads as unset); its output as str, or as bytes if not `text`."""
    return subprocess.run(
        [sys.executable, "-m", "tfhub", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=text,
        cwd=cwd,
        env=child_env(**env),
        timeout=timeout,
        check=False,
    )


def python_command(code: str, *args: str, flags: Sequence[str] = ()) -> list[str]:
    """`[python, *flags, -c, code, *args]`; `code` may be indented (it is dedented)."""
    return [sys.executable, *flags, "-c", textwrap.dedent(code), *map(str, args)]


def run_python(
    code: str,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    flags: Sequence[str] = (),
    check: bool = True,
    max_memory: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs `python -c code *args` and fails the test, showing stderr, if it exits non-zero.

    Args:
        code: the program.
        *args: its `sys.argv[1:]`.
        env: the environment (default: `child_env()`).
        timeout: seconds before the child is killed and the test fails.
        flags: interpreter options, e.g. `["-S"]` (no `site`: no `.pth` file imports anything
            before the program runs).
        check: whether a non-zero exit fails the test.
        max_memory: bytes of address space the child may take (RLIMIT_AS), so that an
            unbounded read fails fast instead of filling the machine's memory.

    Returns:
        The finished process (stdout and stderr as text).
    """
    done = subprocess.run(
        python_command(code, *args, flags=flags),
        env=child_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=None if max_memory is None else functools.partial(cap_memory, max_memory),
    )
    assert not check or done.returncode == 0, done.stderr[-4000:]
    return done


def ctrl_c_as_in_a_terminal() -> None:
    """In a child before it runs (`preexec_fn=`): SIGINT's default action, as a terminal's shell
    gives its commands. A suite started in the background (`./run test &`, a CI step) passes
    SIGINT on ignored, and Python keeps an ignored SIGINT ignored: the child never saw Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cap_memory(limit: int) -> None:
    """In the child, before it runs: caps its address space at `limit` bytes."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def start_python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Starts `python -c code *args` without waiting (stdout and stderr piped, as text)."""
    return subprocess.Popen(
        python_command(code, *args),
        env=child_env() if env is None else env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
