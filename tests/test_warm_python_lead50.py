"""A program run by `run_warm_python` (forked from a server that imported TensorFlow) ends as it
would in a fresh interpreter: the same output, exit status and environment."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from tests._helpers import python_process
from tests._helpers.warm_python import run_warm_python

_PROGRAMS = {
    "streams, argv, cwd and environment": (
        "import os, sys\n"
        "print('out', sys.argv[1:], os.getcwd() == os.environ['WANT_CWD'])\n"
        "print('err', os.environ['EXTRA'], file=sys.stderr)\n"
        "print(__name__, sys.argv[0], sys.path[0] == '', repr(sys.stdin.read()))\n"
    ),
    "exit status": "import sys\nprint('before')\nsys.exit(3)\n",
    "exit with a message": "import sys\nsys.exit('went wrong')\n",
    "uncaught exception": "def f():\n    raise ValueError('bad value')\nf()\n",
    "atexit and a thread that outlives the program's code": (
        "import atexit, threading, time\n"
        "atexit.register(print, 'atexit ran')\n"
        "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done')))\n"
        "t.start()\n"
        "print('main done')\n"
    ),
    "killed by a signal": "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n",
    "keyboard interrupt": "raise KeyboardInterrupt\n",
    "a child process of its own": (
        "import subprocess, sys\n"
        "print(subprocess.run([sys.executable, '-c', 'print(6 * 7)'],"
        " capture_output=True, text=True).stdout.strip())\n"
    ),
    "keras 3": (
        "import tensorflow as tf\n"
        "print(tf.keras.__name__.split('.')[0], tf.reduce_sum(tf.ones([3])).numpy())\n"
    ),
}


def _env(name: str) -> dict[str, str]:
    return python_process.child_env(EXTRA=name, WANT_CWD=os.getcwd())


# TensorFlow's own lines when it is imported (a warm program's server printed them once).
_START_UP = ("absl::InitializeLog", "port.cc:", "cpu_feature_guard", "rebuild TensorFlow", "cuda")


def _normalized(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not any(mark in line for mark in _START_UP)
    )


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_a_program_ends_as_in_a_fresh_interpreter(name: str) -> None:
    code = _PROGRAMS[name]
    fresh = python_process.run_python(code, "a", "b c", env=_env(name), check=False)
    warm = run_warm_python(code, "a", "b c", env=_env(name), check=False)
    assert (warm.returncode, _normalized(warm.stdout), _normalized(warm.stderr)) == (
        fresh.returncode,
        _normalized(fresh.stdout),
        _normalized(fresh.stderr),
    )
    assert warm.args == python_process.python_command(code, "a", "b c")


def test_the_program_runs_with_tensorflow_already_imported() -> None:
    code = "import sys\nprint('tensorflow' in sys.modules)\n"
    assert run_warm_python(code).stdout.strip() == "True"
    assert python_process.run_python(code).stdout.strip() == "False"


def test_settings_read_when_tensorflow_is_imported_get_a_server_of_their_own(tmp_path) -> None:
    (tmp_path / "keras.json").write_text('{"floatx": "float16", "backend": "tensorflow"}')
    code = (
        "import keras\n"
        "from google.protobuf.internal import api_implementation\n"
        "print(keras.config.floatx(), api_implementation.Type())\n"
    )
    env = python_process.child_env(
        KERAS_HOME=str(tmp_path), PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="python"
    )
    fresh = python_process.run_python(code, env=env).stdout.strip()
    assert fresh == "float16 python"
    assert run_warm_python(code, env=env).stdout.strip() == fresh
    assert run_warm_python(code).stdout.strip() == python_process.run_python(code).stdout.strip()


def test_a_program_finds_temporary_files_where_its_environment_says(tmp_path) -> None:
    code = "import tempfile\nprint(tempfile.gettempdir())\n"
    env = python_process.child_env(TMPDIR=str(tmp_path))
    assert run_warm_python(code, env=env).stdout.strip() == str(tmp_path)


def test_legacy_keras_is_chosen_by_the_programs_environment() -> None:
    code = "import tensorflow as tf\nprint(tf.keras.__name__)\n"
    legacy = run_warm_python(code, env=python_process.child_env(TF_USE_LEGACY_KERAS="1"))
    assert legacy.stdout.strip().startswith("tf_keras")
    assert not run_warm_python(code).stdout.strip().startswith("tf_keras")


def test_a_program_over_its_timeout_is_killed(tmp_path) -> None:
    pid_file = tmp_path / "pid"
    code = "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_warm_python(code, str(pid_file), timeout=2)
    assert time.monotonic() - started < 30
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_failing_program_fails_the_test_with_its_stderr_when_checked() -> None:
    with pytest.raises(AssertionError, match="bad value"):
        run_warm_python("raise ValueError('bad value')")
