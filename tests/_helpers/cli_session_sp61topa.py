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
`python_process.run_tfhub`. The commands share the child's environment (`env`); a command
may set variables of its own (its overlay, str or bytes values: bytes are set as they are,
e.g. a value that is not UTF-8), put back as they were once it has run. A setting read when
Python starts or when tfhub is imported is not a setting an overlay can change.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Mapping, Sequence

from .python_process import child_env, python_command

# Runs json.loads(argv[1]): a list of [argv, cwd, overlay] (the overlay's names and values
# as the latin-1 text of their bytes); prints [[code, stdout, stderr], ...] (the outputs'
# bytes as latin-1) on the real stdout once every command has run.
_SESSION = """
import json, os, sys, tempfile
from tfhub.cli.main import main

def run_with(argv, cwd, overlay):
    names = [name.encode("latin-1") for name in overlay]
    kept = {name: os.environb.get(name) for name in names}
    for name, value in zip(names, overlay.values()):
        os.environb[name] = value.encode("latin-1")
    try:
        return caught_run(argv, cwd)
    finally:
        for name, value in kept.items():
            if value is None:
                del os.environb[name]
            else:
                os.environb[name] = value

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

results = [run_with(*command) for command in json.loads(sys.argv[1])]
print(json.dumps(results))
"""


@dataclasses.dataclass(frozen=True)
class Said:
    """What one command of a session did: its exit status and its outputs (UTF-8, undecodable
    bytes shown as `\\xNN`)."""

    returncode: int
    stdout: str
    stderr: str


Overlay = Mapping[str, str | bytes]
Command = (
    tuple[Sequence[str], str | os.PathLike[str]]
    | tuple[Sequence[str], str | os.PathLike[str], Overlay]
)


def run_tfhub_session(
    commands: Sequence[Command],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> list[Said]:
    """Runs each `(argv, cwd)` (or `(argv, cwd, overlay)`) of `commands` as `tfhub ARGV` in
    folder `cwd`, with the overlay's variables set for that command only, in order, in one
    child process.

    Args:
        commands: the commands' arguments (without `tfhub`), working folders and optional
            environment overlays (str values are encoded as the OS does, bytes set as given).
        env: the child's environment (default: `python_process.child_env()`).
        timeout: seconds the whole session may take.

    Returns:
        What each command did, in the order of `commands`.

    Raises:
        AssertionError: the child itself failed, or wrote to its stderr outside a command
            (at exit, "Exception ignored in", a late thread: a fresh `python -m tfhub` would
            show it as the command's last stderr line); its stderr is quoted.
        subprocess.TimeoutExpired: the session took longer than `timeout`.
    """
    plan = json.dumps([_planned(*command) for command in commands])
    done = subprocess.run(
        python_command(_SESSION, plan),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=dict(child_env() if env is None else env),
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0 and done.stdout and done.stderr == "", done.stderr[-3000:]
    results = json.loads(done.stdout.splitlines()[-1])
    return [Said(code, *(_text(raw) for raw in outputs)) for code, *outputs in results]


def _planned(
    argv: Sequence[str], cwd: str | os.PathLike[str], overlay: Overlay | None = None
) -> list[object]:
    """One command as the child reads it: [argv, cwd, {name: value}], names and values as
    the latin-1 text of their bytes."""
    as_text = {
        os.fsencode(name).decode("latin-1"): os.fsencode(value).decode("latin-1")
        for name, value in (overlay or {}).items()
    }
    return [list(argv), os.fspath(cwd), as_text]


def _text(raw: str) -> str:
    """An output the child sent as latin-1, as the UTF-8 text it was."""
    return raw.encode("latin-1").decode("utf-8", "backslashreplace")
