"""make_nearest_neighbour_index generate under a stop signal, with Beam worker processes
(--direct_running_mode=multi_processing), as `kill PID` and `docker stop` send it: to the
command's process only, not to its workers.

The command runs in a process forked from the warm server (tests/_helpers/warm_python.py:
TensorFlow imported once per pytest worker, not ~5 CPU-s per test): what is checked is the
command's handling of the signal and of a failed step, which it does the same way there (its
own pid, SIGTERM unblocked by the program; Beam's worker processes are fresh interpreters all
the same)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests._helpers.warm_python import run_warm_python, start_warm_python
from tests.tools import _nn_support as nn

from tfhub.utils.processes import parent_pids

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# As a shell starts a command: SIGTERM not blocked (a mask the test process may have been
# given, e.g. by a library's thread, would be inherited).
_COMMAND = (
    "import signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM}); "
    "from tfhub.tools.make_nearest_neighbour_index.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    return [child for child, parent in parent_pids().items() if parent == pid]


def _kill_tree(pid: int) -> None:
    """Kills `pid`'s descendants, then `pid` (what the test started, if the command hung)."""
    for child in _children(pid):
        _kill_tree(child)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds worker processes in /proc")
def test_sigterm_while_a_worker_process_starts_ends_generate(text_module: str, tmp_path: Path):
    """A stop signal that came while a worker process was starting (before it connected to the
    runner) left the command waiting for that worker for ever: Beam told only connected
    workers to stop, and then waited for every worker process to end."""
    data = nn.write_lines(tmp_path / "lines.txt", nn.lines(20))
    out = tmp_path / "out"
    out.mkdir()
    proc = start_warm_python(
        _COMMAND,
        "generate",
        f"--data_file_pattern={data}",
        f"--module_url={text_module}",
        f"--embed_output_dir={out / 'embeds'}",
        "--direct_num_workers=1",
        "--direct_running_mode=multi_processing",
    )
    try:
        deadline = time.monotonic() + 180
        while not _children(proc.pid):  # The worker process (Beam's `sh -c`) is starting.
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("generate still runs 120 s after SIGTERM (waiting for its worker)")
    finally:
        _kill_tree(proc.pid)
        proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "make_nearest_neighbour_index: terminated (SIGTERM)"
    assert os.listdir(out) == []  # No staging folder left beside the target.


# With a worker process (multi_processing), test_nearest_neighbour_cli's
# test_worker_processes_get_the_options_and_a_failure_is_one_error checks the same on its
# failing run (a line that is not UTF-8, one worker process): one worker's start of TensorFlow
# (~5 CPU-s) less.
@pytest.mark.parametrize("mode", ["multi_threading"])
def test_a_failed_step_of_a_worker_logs_no_second_traceback(
    text_module: str, tmp_path: Path, mode: str
):
    """A worker (threads of the command's process, or a worker process) printed a failed
    step's traceback, then logged it again ("ERROR:apache_beam.runners.worker.sdk_worker:Error
    processing instruction ... Original traceback is" and the same ~35 lines). Once now; the
    one-line error last."""
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café hello\n".encode("latin-1"))
    done = run_warm_python(
        "import sys; from tfhub.tools.make_nearest_neighbour_index.cli import main; "
        "sys.exit(main(sys.argv[1:]))",
        "generate",
        f"--data_file_pattern={bad}",
        f"--module_url={text_module}",
        f"--embed_output_dir={tmp_path / 'out'}",
        "--direct_num_workers=1",
        f"--direct_running_mode={mode}",
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Error processing instruction" not in done.stderr, done.stderr
    assert done.stderr.count("Traceback (most recent call last)") <= 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tfhub: error: The Beam pipeline failed"), last
    assert f"Line 1 of {bad} is not UTF-8 text" in last
