"""Waiting for a lock that another thread of the same process holds.

The waiting line named this process as the holder ("the process HOST pid N holds it ... while
that process shows signs of life"), as if another process held the lock: it now says that
another thread of this process holds it; a holder in another process is named as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

from tfhub.utils import filelock, lock_wait
from tfhub.utils.lock_file import holder_text


def test_a_lock_held_by_another_thread_is_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(lock_wait, "WARN_AFTER_SEC", 0.2)
    lock_path = os.fspath(tmp_path / "entry.lock")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with filelock.weak_file_lock(lock_path, what="the entry", timeout=30):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        threading.Timer(1.0, release.set).start()
        with caplog.at_level(logging.INFO, logger="tfhub.utils.filelock"):
            started = time.monotonic()
            with filelock.weak_file_lock(lock_path, what="the entry", timeout=30) as locked:
                assert locked
            assert time.monotonic() - started >= 0.5  # It waited for the other thread.
    finally:
        release.set()
        holder.join(10)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert f"another thread of this process (pid {os.getpid()}) holds it" in warnings[0]
    assert "the process" not in warnings[0] and "that process" not in warnings[0]


def test_the_timeout_error_names_this_process_thread(tmp_path: Path) -> None:
    lock_path = tmp_path / "entry.lock"
    lock_path.write_text(f"{holder_text()}\n", encoding="utf-8")
    error = lock_wait.timeout_error(os.fspath(lock_path), what="the entry", waited=31, silence=30)
    assert f"another thread of this process (pid {os.getpid()}) holds the lock" in str(error)
    assert "If that thread is stuck, end this process" in str(error)


def test_another_process_is_named_as_before(tmp_path: Path) -> None:
    lock_path = tmp_path / "entry.lock"
    lock_path.write_text("otherhost pid 4242\n", encoding="utf-8")
    error = lock_wait.timeout_error(os.fspath(lock_path), what="the entry", waited=31, silence=30)
    assert "the process otherhost pid 4242 holds the lock" in str(error)
    assert "If that process is stuck (stopped or hung), end it" in str(error)
