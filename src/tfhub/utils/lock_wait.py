"""What a process waiting for a `filelock.weak_file_lock` says and when it gives up: a WARNING
after WARN_AFTER_SEC then INFO lines every LOG_EVERY_SEC (`WaitLog`), how long the holder has
shown no sign of life (`BeatWatch`), and the `LockTimeoutError` that names the holder.
"""

from __future__ import annotations

import logging
import os

from .. import errors
from .lock_file import holder_text, read_heartbeat, read_holder
from .printable import escaped

# The waiting lines are the lock's: logged under `tfhub.utils.filelock`, as before.
logger = logging.getLogger(__name__.rpartition(".")[0] + ".filelock")

LOG_EVERY_SEC = 10.0
# A wait this long is said once as a WARNING (shown without -v): waiting in silence for 14 s
# looked like a hang. The lines after it stay at INFO, every LOG_EVERY_SEC (also for the
# waits of `tfhub.cache.locks.wait_for_upstream_download`).
WARN_AFTER_SEC = 3.0


class WaitLog:
    """Says that a process waits for a lock: once as a WARNING after WARN_AFTER_SEC, then at
    INFO every LOG_EVERY_SEC (shown with -v). `slowest_beat` is as in `silence_limit`."""

    def __init__(
        self, lock_path: str, *, what: str, timeout: float, slowest_beat: float, started: float
    ) -> None:
        self._path = lock_path
        self._what = what
        self._timeout = timeout
        self._slowest_beat = slowest_beat
        self._started = started
        self._next = started + WARN_AFTER_SEC
        self._warned = False

    def tick(self, now: float) -> None:
        """Logs a line if one is due at `now` (monotonic seconds)."""
        if now < self._next:
            return
        self._next = now + LOG_EVERY_SEC
        who = _who(read_holder(self._path))
        if self._warned:
            logger.info(
                "Still waiting for %s: %s holds %s (%.0f s so far; TFHUB_LOCK_TIMEOUT=%g s)",
                self._what, who, escaped(self._path), now - self._started, self._timeout,
            )  # fmt: skip
            return
        self._warned = True
        limit = _limit_said(self._path, self._timeout, self._slowest_beat)
        logger.warning(
            "Waiting on the lock for %s: %s holds it (%s). Waiting lasts while the holder "
            "shows signs of life, and ends after %s.",
            self._what, who, escaped(self._path), limit,
        )  # fmt: skip


def _who(holder: str | None) -> str:
    """Who holds a lock, in words: "the process HOST pid N", "another thread of this process
    (pid N)" when the holder is this process (`holder_text`), or "another process"."""
    if not holder:
        return "another process"
    if holder == holder_text():
        return f"another thread of this process (pid {os.getpid()})"
    return f"the process {escaped(holder)}"


def silence_limit(lock_path: str, timeout: float, *, slowest_beat: float) -> float:
    """Seconds without a sign of life after which a waiter whose TFHUB_LOCK_TIMEOUT is
    `timeout` gives up on the holder of `lock_path`: `timeout`, or two of the holder's beats
    if that is longer (a shorter silence proves nothing about a live holder). The beat is the
    one the holder wrote in the lock, believed up to `slowest_beat`, the slowest a tfhub holder
    beats (`filelock.HEARTBEAT_SEC`, passed in: filelock imports this module); a lock with no
    beat in it gives `timeout`."""
    beat = read_heartbeat(lock_path)
    return max(timeout, 2 * min(beat, slowest_beat) if beat is not None else 0.0)


def _limit_said(lock_path: str, timeout: float, slowest_beat: float) -> str:
    """When waiting ends, as the waiting line says it: "10 s without one (two of its 5 s
    beats, longer than TFHUB_LOCK_TIMEOUT=3 s)", or "120 s without one (TFHUB_LOCK_TIMEOUT)"."""
    limit = silence_limit(lock_path, timeout, slowest_beat=slowest_beat)
    if limit <= timeout:
        return f"{timeout:g} s without one (TFHUB_LOCK_TIMEOUT)"
    return (
        f"{limit:g} s without one (two of its {limit / 2:g} s beats, longer than "
        f"TFHUB_LOCK_TIMEOUT={timeout:g} s)"
    )


class BeatWatch:
    """Tells how long a holder has shown no sign of life, on the waiter's monotonic clock.

    A sign of life is a CHANGE of the lock file's mtime (or inode), not its value: comparing a
    heartbeat's wall-clock stamp with the waiter's wall clock made a live holder look dead
    after a forward clock jump (NTP step, a resumed VM, a holder whose clock lags), and a
    stuck one look alive for as long as a backward jump.
    """

    def __init__(self, lock_path: str, started: float) -> None:
        self._path = lock_path
        self._seen = self._stamp()
        self._changed = started

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self._path)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def silence(self, now: float) -> float:
        """Seconds (monotonic) since the last change seen, or since waiting began."""
        stamp = self._stamp()
        if stamp != self._seen:
            self._seen, self._changed = stamp, now
        return now - self._changed


def timeout_error(
    lock_path: str, *, what: str, waited: float, silence: float = 0.0
) -> errors.LockTimeoutError:
    holder = read_holder(lock_path)
    ours = holder is not None and holder == holder_text()
    remedy = (
        "If that thread is stuck, end this process"
        if ours
        else "If that process is stuck (stopped or hung), end it"
    )
    return errors.LockTimeoutError(
        f"Gave up waiting for {what} after {waited:.0f} s: {_who(holder)} holds the lock "
        f"{escaped(lock_path)} and has shown no sign of life for {silence:.0f} s. {remedy}; "
        "or set TFHUB_LOCK_TIMEOUT to wait longer (seconds).",
        lock_path=lock_path,
        holder=holder,
        waited=waited,
    )
