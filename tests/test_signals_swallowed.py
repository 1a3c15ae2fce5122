"""A stop signal whose KeyboardInterrupt a finalizer swallows just before a command ends."""

import os
import subprocess
import sys

# A command that gets SIGTERM inside a finalizer (whose exceptions Python drops), as a signal
# arriving at a random moment can, then ends at once: before the 1 s redelivery.
_CHILD = """
import os, signal, sys, time
from tfhub.program.runner import run_reported

class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        end = time.monotonic() + 5
        while time.monotonic() < end:  # The handler runs here; its _Terminated is dropped.
            pass

def command():
    Finalized()
    open(sys.argv[1], "w").write("all its work")
    return 0

sys.exit(run_reported(command, prog="cmd", verbose=False, tensorflow_logs=False))
"""


def test_a_swallowed_stop_signal_before_the_end_still_exits_128_plus_signum(tmp_path):
    """It exited 0, as if never signalled: `docker stop`, `timeout` and shells could not tell
    that the signal had arrived. The command did finish its work, so it says so."""
    done = tmp_path / "done"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    ended = subprocess.run(
        [sys.executable, "-c", _CHILD, str(done)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert ended.returncode == 143, ended.stderr
    assert "cmd: terminated (SIGTERM), as it ended" in ended.stderr
    assert done.read_text() == "all its work"


def _run(child: str, done: object) -> subprocess.CompletedProcess[str]:
    """Runs the `child` program (its argument: the file it writes when done)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-c", child, str(done)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_swallowed_stop_signal_prints_no_traceback(tmp_path):
    """Python printed "Exception ignored in: <function Finalized.__del__ ...>" and a traceback
    ending in `tfhub.program.signals._Terminated` before the one line that says how the command
    ended: noise in a log, where the one line is what tells."""
    ended = _run(_CHILD, tmp_path / "done")
    assert ended.returncode == 143, ended.stderr
    assert ended.stderr == "cmd: terminated (SIGTERM), as it ended\n"


def test_other_unraisable_exceptions_are_still_printed(tmp_path):
    """Only the swallowed stop signal is kept quiet: a finalizer's own error still shows."""
    child = _CHILD.replace(
        "os.kill(os.getpid(), signal.SIGTERM)", "raise ValueError('a finalizer bug')"
    )
    ended = _run(child, tmp_path / "done")
    assert ended.returncode == 0, ended.stderr
    assert "ValueError: a finalizer bug" in ended.stderr
