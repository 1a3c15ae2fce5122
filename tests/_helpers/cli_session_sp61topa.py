"""Several `tfhub` commands run one after the other in ONE child process, each as `python -m
tfhub ARGV` would run it in a working folder of its own: its exit status, stdout and stderr.

A fresh `python -m tfhub` costs ~0.3 CPU-s before the command does anything (the interpreter,
tfhub's and argparse's imports); a test that checks what ten commands say pays it ten times.
`run_tfhub_session` pays it once: the child calls `tfhub.cli.main.main(argv)` per command, in
the command's folder, with file descriptors 1 and 2 pointed at files of the command's own (so
what Python's own `sys.stdout`/`sys.stderr` write, with their encodings and error handlers, and
what C code writes there, is caught), and takes a `SystemExit` (argparse's usage errors, --help)
as the exit status the process would have had.

Use it only where what is checked is each command's own work (its exit status, its lines, the
files it leaves): never where the process itself is the point (what `import tfhub` imports,
what a setting read when Python starts does, a signal, an exit), which needs
`python_process.run_tfhub`. The commands share the child's environment (`env`): a setting
that differs between commands needs a session of its own.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Mapping, Sequence

from .python_process import child_env, python_command

# Runs json.loads(argv[1]): a list of [argv, cwd]; prints [[code, stdout, stderr], ...] (the
# outputs' bytes as latin-1) on the real stdout once every command has run.
_SESSION = """
import json, os, sys, tempfile
from tfhub.cli.main import main

def caught_run(argv, cwd):
    os.chdir(cwd)
    outputs = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    sys.stdout.flush()
    sys.stderr.flush()
    kept = [os.dup(1), os.dup(2)]
    os.dup2(outputs[0].fileno(), 1)
    os.dup2(outputs[1].fileno(), 2)
    try:
        try:
            code = main(argv)
        except SystemExit as end:
            code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        for fd, copy in ((1, kept[0]), (2, kept[1])):
            os.dup2(copy, fd)
            os.close(copy)
    said = [code]
    for output in outputs:
        output.seek(0)
        said.append(output.read().decode("latin-1"))
        output.close()
    return said

results = [caught_run(argv, cwd) for argv, cwd in json.loads(sys.argv[1])]
print(json.dumps(results))
"""


@dataclasses.dataclass(frozen=True)
class Said:
    """What one command of a session did: its exit status and its outputs (UTF-8, undecodable
    bytes shown as `\\xNN`)."""

    returncode: int
    stdout: str
    stderr: str


def run_tfhub_session(
    commands: Sequence[tuple[Sequence[str], str | os.PathLike[str]]],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> list[Said]:
    """Runs each `(argv, cwd)` of `commands` as `tfhub ARGV` in folder `cwd`, in order, in one
    child process.

    Args:
        commands: the commands' arguments (without `tfhub`) and working folders.
        env: the child's environment (default: `python_process.child_env()`).
        timeout: seconds the whole session may take.

    Returns:
        What each command did, in the order of `commands`.

    Raises:
        AssertionError: the child itself failed (its stderr, not a command's, is quoted).
        subprocess.TimeoutExpired: the session took longer than `timeout`.
    """
    plan = json.dumps([[list(argv), os.fspath(cwd)] for argv, cwd in commands])
    done = subprocess.run(
        python_command(_SESSION, plan),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(child_env() if env is None else env),
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0 and done.stdout, done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    return [Said(code, *(_text(raw) for raw in outputs)) for code, *outputs in results]


def _text(raw: str) -> str:
    """An output the child sent as latin-1, as the UTF-8 text it was."""
    return raw.encode("latin-1").decode("utf-8", "backslashreplace")
