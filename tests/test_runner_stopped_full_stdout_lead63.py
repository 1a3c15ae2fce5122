"""A command that printed lines (still buffered) and was stopped by Ctrl-C, with stdout on a
full disk: Python's flush at exit failed ("Exception ignored ... OSError") and the exit status
was 120, not 130 (review rv63b). What it printed is flushed (or said to be unwritable) before
the stop is reported, as for an error."""

from __future__ import annotations

import subprocess
import sys

from tests._helpers.python_process import child_env

_PRINTS_THEN_STOPPED = """
import sys
from tfhub.program.runner import run_reported

def command():
    print("a line")
    raise KeyboardInterrupt

sys.exit(run_reported(command, prog="tfhub", verbose=False, tensorflow_logs=False))
"""


def test_ctrl_c_after_buffered_lines_to_a_full_disk_exits_130_without_python_noise() -> None:
    env = child_env(PYTHONUNBUFFERED="")  # Buffered, as in a shell.
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", _PRINTS_THEN_STOPPED],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 130, done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr
    assert "cannot write the output" in done.stderr and "tfhub: interrupted" in done.stderr
