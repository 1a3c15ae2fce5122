"""Several Python programs run one after another in ONE fresh interpreter, each with its own
`sys.argv`, stdout and stderr (captured at the file descriptors, as a child's pipes would be).

A fresh `python3` that imports TensorFlow costs ~5 CPU-s: the tests of a module that each need
a child configured the same way (2 logical CPUs, one Keras flavour) run their programs through
one child, from a module-scoped fixture, and each test asserts on its own program's result.
What a program leaves in the process (TensorFlow started, its thread pools fixed) the later
ones find: use it only where the programs do not check that. Two MirroredStrategy trainings
cannot share a process: TensorFlow's collective ops keep their instance keys per process, and
the second training failed ("Shape mismatch in the collective instance 100 ... Restart your
program to reset").
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests._helpers.python_process import child_env, run_python

_CHILD = """
import json, os, sys, textwrap, traceback

{prelude}


def run(name, code, args, env):
    \"\"\"Runs one program with its stdout and stderr in files; returns its exit code.\"\"\"
    before = {{key: os.environ.get(key) for key in env}}
    os.environ.update(env)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.path.join(folder, name + ".out"), "wb") as out, open(
        os.path.join(folder, name + ".err"), "wb"
    ) as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.argv = [name, *args]
        try:
            exec(compile(textwrap.dedent(code), name, "exec"), {{"__name__": "__main__"}})
            returned = 0
        except SystemExit as exit:
            returned = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
        except BaseException:
            traceback.print_exc()
            returned = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return returned


def forked(name, code, args, env):
    \"\"\"Runs one program in a child forked from this process; returns its exit code.\"\"\"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        returned = 1
        try:
            returned = run(name, code, args, env)
        finally:
            os._exit(returned)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


plan, folder, fork = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "fork"
codes = {{}}
for name, code, args, env in plan:
    codes[name] = (forked if fork else run)(name, code, args, env)
print(json.dumps(codes))
"""


def run_programs(
    plan: Sequence[
        tuple[str, str, Sequence[str]] | tuple[str, str, Sequence[str], Mapping[str, str]]
    ],
    *,
    prelude: str = "",
    env: Mapping[str, str] | None = None,
    fork: bool = False,
    timeout: float = 600,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Runs each row (name, code, args[, env]) of `plan`, in plan order, in one child process:
    `code` (it may be indented) as `python -c code *args` would run it, in fresh globals, with
    the row's env added to os.environ while it runs.

    Args:
        plan: rows (name, code, args[, env]); names are unique and usable as file names.
        prelude: Python statements the child runs once, first (e.g. configuring 2 logical
            CPUs before TensorFlow starts, or importing TensorFlow for `fork`).
        env: added to the child's environment (`child_env`).
        fork: whether each program runs in a process forked from the child after its prelude,
            so that none finds what another left: with `import tensorflow` as the prelude,
            each starts as a fresh `python -c "import tensorflow; ..."` would, TensorFlow
            imported but not started (its context, thread pools, registry of tf.py_function
            callbacks), for the cost of one import.
        timeout: seconds the whole child may take.

    Returns:
        Each program's result by name: returncode (0, SystemExit's code, or 1 with the
        traceback of what it raised on its stderr), stdout and stderr.
    """
    rows = [
        (row[0], row[1], [*map(str, row[2])], dict(row[3] if len(row) > 3 else {})) for row in plan
    ]
    with tempfile.TemporaryDirectory(prefix="one-child-") as folder:
        done = run_python(
            _CHILD.format(prelude=textwrap.dedent(prelude)),
            json.dumps(rows),
            folder,
            "fork" if fork else "in-turn",
            env=child_env(**dict(env or {})),
            timeout=timeout,
        )
        codes = json.loads(done.stdout.strip().splitlines()[-1])
        return {
            name: subprocess.CompletedProcess(
                [name, *args],
                codes[name],
                (Path(folder) / f"{name}.out").read_text(errors="replace"),
                (Path(folder) / f"{name}.err").read_text(errors="replace"),
            )
            for name, _, args, _ in rows
        }
