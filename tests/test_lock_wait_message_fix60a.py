"""The waiting line names when waiting really ends: a waiter whose TFHUB_LOCK_TIMEOUT is
shorter than two of its holder's beats waits for two beats (docs/resolving.md), but the
line said "ends after 1 s without one" (session 60's probe: TFHUB_LOCK_TIMEOUT=3 said 3 s,
the wait ended after ~10 s). A real holder in another process, a real wait."""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import time

import pytest
from tests._helpers.python_process import child_env

from tfhub import errors
from tfhub.utils import filelock, lock_wait

# A tfhub holder whose own limit is 8 s: it beats every 2 s (a quarter), holds for 4 s.
_HOLDER = """
import sys, time
from tfhub.utils import filelock
with filelock.weak_file_lock(sys.argv[1], what="the holder", timeout=8) as held:
    assert held
    print("held", flush=True)
    time.sleep(4)
"""


@pytest.mark.parametrize(
    ("timeout", "said"),
    [
        (
            1,
            "ends after 4 s without one (two of its 2 s beats, longer than TFHUB_LOCK_TIMEOUT=1 s)",
        ),
        (5, "ends after 5 s without one (TFHUB_LOCK_TIMEOUT)."),
    ],
    ids=["beats-longer", "timeout-longer"],
)
def test_the_waiting_line_names_when_waiting_ends(
    timeout: float, said: str, tmp_path, caplog: pytest.LogCaptureFixture
):
    lock_path = str(tmp_path / ".locks" / "entry.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, lock_path],
        stdout=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with caplog.at_level(logging.WARNING, logger="tfhub.utils.filelock"):
            with filelock.weak_file_lock(lock_path, what="the test", timeout=timeout) as held:
                assert held
        assert holder.wait(timeout=10) == 0
    finally:
        holder.kill()
        holder.wait()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert said in warnings[0], warnings


def test_the_line_and_the_giving_up_read_one_slowest_beat(
    tmp_path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    """A lock claiming 60 s beats (not tfhub's, or damaged) is believed up to
    filelock.HEARTBEAT_SEC: the waiting line says that limit and the wait ends there. The line
    read a copy of that setting in lock_wait (SLOWEST_BEAT_SEC, 5 s), so with the setting at
    0.5 s it said "ends after 10 s" of a wait that ended after 1 s."""
    monkeypatch.setattr(filelock, "HEARTBEAT_SEC", 0.5)  # The setting, made short for the test.
    monkeypatch.setattr(lock_wait, "WARN_AFTER_SEC", 0.1)  # The line, before the wait ends.
    lock_path = tmp_path / "entry.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:  # Held through a descriptor of its own, by a holder that never beats.
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"otherhost pid 1\nheartbeat 60\n")
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="tfhub.utils.filelock"):
            with pytest.raises(errors.LockTimeoutError, match="otherhost pid 1"):
                with filelock.weak_file_lock(str(lock_path), what="the test", timeout=0.2):
                    pass
        waited = time.monotonic() - started
    finally:
        os.close(fd)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    said = "ends after 1 s without one (two of its 0.5 s beats, longer than TFHUB_LOCK_TIMEOUT="
    assert len(warnings) == 1 and said in warnings[0], warnings
    assert 0.9 < waited < 6
