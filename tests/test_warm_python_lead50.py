"""A program run by `run_warm_python` (forked from a server that imported TensorFlow) ends as it
would in a fresh interpreter: the same output, exit status and environment."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from tests._helpers import python_process
from tests._helpers._across_workers import computed_once
from tests._helpers.warm_python import run_warm_python, run_warm_tfhub, start_warm_python

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
        "import tensorflow as tf\n"  # tf.keras is the first access to Keras.
        "print(tf.keras.__name__.split('.')[0], tf.reduce_sum(tf.ones([3])).numpy())\n"
        "import keras\n"
        "from google.protobuf.internal import api_implementation\n"
        "print(keras.config.floatx(), api_implementation.Type())\n"
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


def _fresh_run(name: str) -> list[object]:
    """[exit status, stdout, stderr] of program `name` in a fresh interpreter."""
    fresh = python_process.run_python(_PROGRAMS[name], "a", "b c", env=_env(name), check=False)
    return [fresh.returncode, fresh.stdout, fresh.stderr]


@pytest.fixture(scope="module")
def fresh_keras_run(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """`_fresh_run("keras 3")` (a fresh interpreter importing TensorFlow: seconds of CPU), run
    once per test run for the two tests comparing a warm program with it (`computed_once`)."""
    return computed_once(
        tmp_path_factory, f"{__name__}.fresh_keras_run", lambda: _fresh_run("keras 3")
    )


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_a_program_ends_as_in_a_fresh_interpreter(
    name: str, request: pytest.FixtureRequest
) -> None:
    code = _PROGRAMS[name]
    fresh = request.getfixturevalue("fresh_keras_run") if name == "keras 3" else _fresh_run(name)
    warm = run_warm_python(code, "a", "b c", env=_env(name), check=False)
    assert (warm.returncode, _normalized(warm.stdout), _normalized(warm.stderr)) == (
        fresh[0],
        _normalized(fresh[1]),
        _normalized(fresh[2]),
    )
    assert warm.args == python_process.python_command(code, "a", "b c")


def test_the_program_runs_with_tensorflow_already_imported() -> None:
    code = "import sys\nprint('tensorflow' in sys.modules)\n"
    assert run_warm_python(code).stdout.strip() == "True"
    assert python_process.run_python(code).stdout.strip() == "False"


def test_settings_read_when_tensorflow_is_imported_get_a_server_of_their_own(
    tmp_path, fresh_keras_run: list[object]
) -> None:
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
    # Without those settings, a server of the default ones: Keras's floatx and protobuf's
    # implementation as in a fresh interpreter (the "keras 3" program prints them too).
    default = run_warm_python(_PROGRAMS["keras 3"], "a", "b c", env=_env("keras 3"))
    assert _normalized(default.stdout) == _normalized(fresh_keras_run[1])


def test_a_program_finds_temporary_files_where_its_environment_says(tmp_path) -> None:
    code = "import tempfile\nprint(tempfile.gettempdir())\n"
    env = python_process.child_env(TMPDIR=str(tmp_path))
    assert run_warm_python(code, env=env).stdout.strip() == str(tmp_path)


def test_legacy_keras_is_chosen_by_the_programs_environment() -> None:
    code = "import tensorflow as tf\nprint(tf.keras.__name__)\n"
    legacy = run_warm_python(code, env=python_process.child_env(TF_USE_LEGACY_KERAS="1"))
    assert legacy.stdout.strip().startswith("tf_keras")
    assert not run_warm_python(code).stdout.strip().startswith("tf_keras")


def test_legacy_keras_imports_do_not_depend_on_the_server_started_first() -> None:
    # suite51a: TensorFlow reads TF_USE_LEGACY_KERAS at its import (where `tensorflow.keras`
    # imports come from); a server started without it served `from tensorflow.keras import ...`
    # from Keras 3 to a program asking for tf_keras.
    code = "from tensorflow.keras import layers\nprint(layers.Dense.__module__)\n"
    run_warm_python("pass", env=python_process.child_env())
    legacy = run_warm_python(code, env=python_process.child_env(TF_USE_LEGACY_KERAS="1"))
    assert legacy.stdout.strip().startswith("tf_keras"), legacy.stdout


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


def test_a_started_program_talks_through_its_pipes_and_reports_its_end() -> None:
    """start_warm_python: as `start_python`'s Popen, a program of its own whose pid is the one
    it sees, reading stdin, writing stdout, its stderr kept, its exit status reported."""
    code = (
        "import os, sys\n"
        "print('ready', os.getpid(), flush=True)\n"
        "print('got', sys.stdin.readline().strip(), flush=True)\n"
        "print('on stderr', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    program = start_warm_python(code)
    assert program.stdout.readline().split() == ["ready", str(program.pid)]
    assert program.poll() is None
    program.stdin.write("go\n")
    program.stdin.flush()
    assert program.communicate(timeout=60) == ("got go\n", "on stderr\n")
    assert program.returncode == 3 and program.poll() == 3


def test_a_started_program_killed_or_waited_past_its_time() -> None:
    program = start_warm_python("import time\nprint('x', flush=True)\ntime.sleep(60)\n")
    assert program.stdout.readline() == "x\n"
    with pytest.raises(subprocess.TimeoutExpired):
        program.wait(timeout=0.2)
    program.kill()
    assert program.wait(timeout=30) == -9
    assert not _alive(program.pid)


def test_gcs_settings_read_when_tensorflow_is_imported_get_a_server_of_their_own() -> None:
    """TensorFlow's GCS file system reads GCS_RETRY_CONFIG_* when TensorFlow is imported: a
    program that sets them gets a server started with them (a proxy that refuses every
    connection: the read fails after the one retry asked for, not after the default ten with
    waits of seconds)."""
    code = (
        "import time, tensorflow as tf\n"
        "start = time.monotonic()\n"
        "try:\n"
        "    tf.io.gfile.exists('gs://some-bucket/x')\n"
        "except tf.errors.OpError as err:\n"
        "    print(str(err).split('.')[0], time.monotonic() - start < 20)\n"
    )
    env = python_process.child_env(
        GCS_RETRY_CONFIG_MAX_RETRIES="1",
        GCS_RETRY_CONFIG_INIT_DELAY_TIME_US="10000",
        HTTPS_PROXY="http://127.0.0.1:9",  # Nothing listens on port 9 (discard).
        NO_GCE_CHECK="true",
        GOOGLE_AUTH_TOKEN_FOR_TESTING="token",
    )
    assert run_warm_python(code, env=env, timeout=60).stdout == "All 1 retry attempts failed True\n"


def test_a_tfhub_command_runs_as_python_dash_m_would(tmp_path) -> None:
    """run_warm_tfhub: `python -m tfhub ARGV` in the folder given, with the settings given."""
    argv = ["cache", "info"]
    env = {"TFHUB_CACHE_DIR": "cache"}  # Relative: in the working folder.
    warm = run_warm_tfhub(*argv, cwd=tmp_path, **env)
    fresh = python_process.run_tfhub(*argv, cwd=tmp_path, **env)
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, fresh.stdout, fresh.stderr)
    assert f"cache folder: {tmp_path / 'cache'}\n" in warm.stdout


def test_a_program_capped_in_memory_cannot_take_more() -> None:
    """max_memory: the program's address space is capped (RLIMIT_AS), as run_python's is."""
    code = "try:\n    bytearray(12 << 30)\nexcept MemoryError:\n    print('refused')\n"
    assert run_warm_python(code, max_memory=8 << 30).stdout == "refused\n"
