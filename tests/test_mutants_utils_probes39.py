"""Mutants of `tfhub.utils`, `tfhub.constants` and `tfhub.file_utils` that the other tests let
live (session 39): each test here fails with one such change made to the code it names."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.utils import filelock

# --- utils.filelock ---------------------------------------------------------------------------


@contextlib.contextmanager
def _held_by_hand(lock_path: Path, text: str) -> Iterator[None]:
    """Holds an flock on `lock_path` through a descriptor of its own (an flock belongs to the
    open file: another `open` of it, in this process too, waits as another process would),
    with `text` written in it as a holder that never beats again."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, text.encode())
        yield
    finally:
        os.close(fd)  # Releases the flock.


def _wait_for_lock(lock_path: Path, timeout: float) -> tuple[float, BaseException | None]:
    """Waits for `lock_path` in a thread (bounded by the holder: the caller releases it);
    returns how long the wait lasted and what it raised."""
    outcome: list[BaseException | None] = []
    started = time.monotonic()

    def wait() -> None:
        try:
            with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=timeout):
                outcome.append(None)
        except BaseException as err:  # Handed to the test.
            outcome.append(err)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout=8)
    return time.monotonic() - started, outcome[0] if outcome else None


@pytest.mark.parametrize("beat", ["nan", "inf", "1e400"])
def test_a_heartbeat_line_that_is_no_finite_number_gives_the_holder_no_grace(
    tmp_path: Path, beat: str
) -> None:
    """A lock whose holder wrote `heartbeat nan` (a damaged or foreign lock file) is timed out
    like one that wrote none: read as nan, the waiter's "two beats" of grace was nan, every
    comparison with it false, and a stuck holder was waited for for ever (`inf`: 10 s, not
    the waiter's 0.3 s)."""
    lock_path = tmp_path / "entry.lock"
    with _held_by_hand(lock_path, f"otherhost pid 1\nheartbeat {beat}\n"):
        assert filelock.read_heartbeat(str(lock_path)) is None
        waited, raised = _wait_for_lock(lock_path, timeout=0.3)
    assert isinstance(raised, errors.LockTimeoutError) and "otherhost pid 1" in str(raised)
    assert waited < 5


def test_a_lock_taken_with_timeout_0_beats_at_the_normal_rate(tmp_path: Path) -> None:
    """`timeout=0` tries once: its holder beats every HEARTBEAT_SEC (and says so in the lock),
    not every 50 ms as a quarter of a zero wait, floored, would make it."""
    lock_path = tmp_path / "entry.lock"
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=0) as held:
        assert held and filelock.read_heartbeat(str(lock_path)) == filelock.HEARTBEAT_SEC
    assert filelock.heartbeat_interval(0) == filelock.heartbeat_interval(-1) == 5.0


@pytest.mark.parametrize(
    ("timeout", "beat"), [(1.0, 0.25), (0.1, 0.05), (0.01, 0.05), (100.0, 5.0)]
)
def test_a_holder_beats_every_quarter_of_its_timeout_from_50_ms_to_5_s(
    tmp_path: Path, timeout: float, beat: float
) -> None:
    """As `heartbeat_interval` says: a quarter of the holder's timeout, at least 50 ms, at most
    HEARTBEAT_SEC; the lock's second line tells waiters that rate."""
    lock_path = tmp_path / "entry.lock"
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=timeout) as held:
        assert held and filelock.read_heartbeat(str(lock_path)) == beat


def test_a_holder_claiming_slow_beats_gets_at_most_two_beats_of_the_fastest_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tfhub holder never beats slower than HEARTBEAT_SEC: one whose lock says it beats every
    60 s (not tfhub's, or a damaged lock) gets two HEARTBEAT_SEC of silence, not 120 s."""
    monkeypatch.setattr(filelock, "HEARTBEAT_SEC", 0.5)  # The setting, made short for the test.
    lock_path = tmp_path / "entry.lock"
    with _held_by_hand(lock_path, "otherhost pid 1\nheartbeat 60\n"):
        waited, raised = _wait_for_lock(lock_path, timeout=0.2)
    assert isinstance(raised, errors.LockTimeoutError)
    assert 0.9 < waited < 6


def test_a_lock_file_removed_between_its_open_and_its_lock_is_locked_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder's `cache prune` removes the lock file, then ends, just after a waiter opened
    it and before the waiter locks it: the waiter's lock is then on a file no one else can
    open, and a third process would lock the new file at that path too. The waiter sees the
    file is no longer linked and locks the one at the path. (The removal is made at that
    point by wrapping the real `_open_shared`, which runs unchanged.)"""
    lock_path = tmp_path / "entry.lock"
    real_open_shared = filelock._open_shared
    hand = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(hand, fcntl.LOCK_EX)
    opened: list[int] = []

    def open_then_removed_by_the_holder(path: str) -> int:
        fd = real_open_shared(path)
        opened.append(fd)
        if len(opened) == 1:
            os.remove(path)  # The holder removes the lock file, then ends.
            os.close(hand)
        return fd

    monkeypatch.setattr(filelock, "_open_shared", open_then_removed_by_the_holder)
    with filelock.weak_file_lock(str(lock_path), what="a probe", timeout=2) as held:
        assert held and len(opened) == 2
        assert lock_path.exists() and filelock.try_lock(str(lock_path)) is False
