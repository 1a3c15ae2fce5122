"""The tools' tests run their Python programs each in a process of its own, forked from a server
that imported TensorFlow without starting it (tests/_helpers/warm_python.py): a program starts
as a fresh `python -c "import tensorflow; ..."` would (TensorFlow imported, its context, thread
pools, devices, Keras flavour and tf.py_function registry not yet made), without paying the
import (~5 CPU-s) again.

`ForkServer` (the `forks` fixture of tests/tools/conftest.py) runs one program per call, when
the test runs, so each test keeps its own time budget; `run_programs` runs a test's few programs
in turn. (Each program also gets a fresh TensorFlow context, devices and Keras flavour.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence

from tests._helpers.python_process import child_env
from tests._helpers.warm_python import run_warm_python


class ForkServer:
    """Runs programs through `run_warm_python` (one warm server per pytest worker serves every
    module's tests)."""

    def run(
        self, code: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        """Runs `code` (it may be indented) as `python -c code *args` would, in a forked process
        whose environment is `env` (default: `child_env()`); the program is killed and the test
        fails (subprocess.TimeoutExpired) if it still runs after `timeout` seconds.

        Returns:
            Its exit code (0, SystemExit's code, 1 with the traceback of what it raised on its
            stderr, or -N if signal N killed it), stdout and stderr.
        """
        return run_warm_python(
            code,
            *map(str, args),
            env=None if env is None else dict(env),
            timeout=timeout,
            check=False,
        )


def run_programs(
    plan: Sequence[
        tuple[str, str, Sequence[str]] | tuple[str, str, Sequence[str], Mapping[str, str]]
    ],
    *,
    timeout: float = 600,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Runs each row (name, code, args[, env]) of `plan`, in plan order, each in a process of
    its own (`ForkServer.run`): `code` as `python -c code *args` would run it, with
    `child_env(**env)`.

    Args:
        plan: rows (name, code, args[, env]); names are unique.
        timeout: seconds each program may take.

    Returns:
        Each program's result by name.
    """
    server = ForkServer()
    return {
        row[0]: server.run(
            row[1],
            *map(str, row[2]),
            env=child_env(**dict(row[3] if len(row) > 3 else {})),
            timeout=timeout,
        )
        for row in plan
    }
