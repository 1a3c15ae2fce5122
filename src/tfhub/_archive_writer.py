"""Where an extraction's files are written: in this process, or shared with a writer process.

Creating a file costs three system calls (open, write, close); for an archive of many small files
they are most of the work (tmpfs: ~1.9 s of 3.5 s for 200,000 one-byte files; ext4: more), and
a second thread cannot take them off the parsing thread in CPython (it must retake the GIL after
every call). So once an archive has shown `WORKER_AFTER` small files, `Files` starts a writer
process (`_archive_write_worker`) and hands it the next small files in batches, on the other
core, while this process keeps parsing, checking paths and hashing; a full batch is written here
instead when the worker still has one waiting, so the two share the system calls. Archives of
few or big files never start one. Every path is decided here (`_archive_tree`) before it is
sent, and folders are made here first. A failed write of the worker is raised here as an
OSError naming the file (`WorkerWriteError`), as the same write in this process would have
failed; before `Files` returns (`close`) or fails (`abort`), every file sent is written and the
worker has exited.
"""

from __future__ import annotations

import array
import errno
import hashlib
import marshal
import os
import sys

from . import _archive_write_worker, errors
from ._archive_stream import TarSource
from .utils.printable import escaped

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` is not imported at run time.
    from typing import Any

WORKER_AFTER = 1000  # Small files written here before a writer process is started.
SMALL_FILE = 16 << 10  # Bytes: bigger files are written here (a pipe would copy them twice).
BATCH_FILES = 512  # Files per batch, at most (the unit of sharing between the two processes).
BATCH_BYTES = 1 << 20  # Data bytes per batch, about.
PIPE_BYTES = 1 << 20  # Pipe capacity asked for: batches wait there while the worker starts.
_sha256 = hashlib.sha256  # DIGEST_ALGORITHM; the constructor is faster than new().
_FILE_FLAGS = _archive_write_worker.FILE_FLAGS  # One home: this process and the worker alike.


class WorkerWriteError(OSError):
    """A file the writer process could not create; `filename` is its path in the target."""


def write_file(source: TarSource, path: str, size: int, overwrite: bool) -> str:
    """Writes the next `size` bytes into a new file (never through a link); returns its digest."""
    source.check_room(size)  # Before creating the file: a refused member leaves nothing.
    fd = os.open(path, _FILE_FLAGS | (os.O_TRUNC if overwrite else os.O_EXCL), 0o666)
    try:
        hasher = _sha256()
        source.copy_to(fd, size, hasher)
    finally:
        os.close(fd)
    return hasher.hexdigest()


def _short(missing: int) -> EOFError:
    return EOFError(f"unexpected end of data ({missing} bytes of a member missing)")


class Files:
    """Writes the files of one extraction into `target`; returns the sha256 of each."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._small = 0
        self._worker: WriterProcess | None = None

    @property
    def by_worker(self) -> int:
        """How many files were sent to a writer process (0: all were written here)."""
        return 0 if self._worker is None else self._worker.sent

    def write(self, source: TarSource, path: str, size: int, overwrite: bool) -> str:
        """Writes the next `size` bytes of `source` to the relative `path`; returns the digest.

        Raises:
            OSError: as `os.open`/`os.write` (`WorkerWriteError` for an earlier file the worker
                could not write).
        """
        worker = self._worker
        if size <= SMALL_FILE:
            if worker is not None:
                data = source.read_block(size)  # One step when the data is in the chunk.
                if len(data) < size:
                    raise _short(size - len(data))
                worker.add(path, data, overwrite)
                return _sha256(data).hexdigest()
            self._small += 1
            if self._small == WORKER_AFTER:
                self._worker = WriterProcess.start(self.target)
        elif worker is not None and overwrite:
            worker.sync()  # Its earlier copy of this file must not land after this one.
        return write_file(source, f"{self.target}/{path}", size, overwrite)

    def close(self) -> None:
        """Returns once every file is written.

        Raises:
            WorkerWriteError: for the first file the worker could not write.
            tfhub.errors.CacheError: if the worker died.
        """
        if self._worker is not None:
            self._worker.close()

    def abort(self) -> None:
        """After a failure: writes what was sent, then ends the worker, raising nothing."""
        if self._worker is not None:
            self._worker.abort()


def _worker_source() -> str | None:
    try:
        with open(_archive_write_worker.__file__) as f:
            return f.read()
    except OSError:  # pragma: no cover - e.g. tfhub imported from a zip: write here.
        return None


def _cores(cpu_max: str = "/sys/fs/cgroup/cpu.max") -> float:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container limited to one CPU gains nothing from a second process)."""
    try:
        cores: float = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux.
        cores = os.cpu_count() or 1
    try:
        with open(cpu_max) as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cores = min(cores, int(quota) / int(period))
    except (OSError, ValueError):
        pass  # No cgroup v2 quota readable: the affinity decides.
    return cores


def _can_help() -> bool:
    """True where a writer process can run and help: POSIX `dir_fd`, a Python interpreter as
    `sys.executable` (not a host program embedding Python, e.g. uwsgi), two cores or more."""
    name = os.path.basename(sys.executable or "").lower()
    return (
        os.name == "posix"
        and os.open in os.supports_dir_fd
        and ("python" in name or "pypy" in name)
        and _cores() >= 2
    )


def _widen(pipe: int) -> None:
    """Asks for a bigger pipe (Linux), so ~50,000 small files fit in it while the worker starts."""
    import fcntl  # POSIX only, as the worker.

    try:
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):  # pragma: no cover - other systems, limits.
        pass


class WriterProcess:
    """A running `_archive_write_worker` and the batch being filled for it.

    A full batch goes to the worker, unless the worker has a whole batch waiting already: then
    this process writes it itself (while the worker starts, or where creating a file costs more
    than parsing it, as on ext4), so neither side waits for the other.
    """

    def __init__(self, process: Any, target: str, root: int) -> None:
        self._process = process
        self._target = target
        self._root = root  # The target's folder fd, for the batches written here.
        self._requests: int = process.stdin.fileno()
        self._answers: int = process.stdout.fileno()
        self._items: list[tuple[str, bytes, bool]] = []
        self._bytes = 0
        self._overwrites = False  # The batch replaces a file: it must follow earlier batches.
        self._last = 0  # Bytes of the last batch sent.
        self._waiting = array.array("i", [0])
        self.sent = 0  # Files sent to the worker so far.
        self.here = 0  # Files of full batches written by this process instead.

    @classmethod
    def start(cls, target: str) -> WriterProcess | None:
        """Starts a worker writing into `target`; None where one cannot help or start."""
        code = _worker_source() if _can_help() else None
        if code is None:
            return None
        import subprocess

        root = os.open(target, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", code, str(root), str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                pass_fds=(root,),
            )
        except OSError:
            os.close(root)
            return None
        _widen(process.stdin.fileno())  # type: ignore[union-attr]
        return cls(process, target, root)

    @property
    def pid(self) -> int:
        return int(self._process.pid)

    def add(self, path: str, data: bytes, overwrite: bool) -> None:
        """Queues a file; sends the batch once full."""
        items = self._items
        items.append((path, data, overwrite))
        if overwrite:
            self._overwrites = True
        if data:
            self._bytes += len(data)
            if self._bytes >= BATCH_BYTES:
                self._flush()
                return
        if len(items) >= BATCH_FILES:
            self._flush()

    def _flush(self) -> None:
        """Sends the full batch, or writes it here if the worker has a batch waiting."""
        if self._overwrites or not self._last or self._backlog() < self._last:
            self._send()
            return
        items, self._items, self._bytes = self._items, [], 0
        failure = _archive_write_worker.write_batch(self._root, items)  # As the worker would.
        if failure is not None:
            path, number, message = failure
            raise WorkerWriteError(number, message, path)
        self.here += len(items)

    def _backlog(self) -> int:
        """Bytes sent that the worker has not read yet (0 if the system cannot tell)."""
        import fcntl  # POSIX only, as the worker.
        import termios

        try:
            fcntl.ioctl(self._requests, termios.FIONREAD, self._waiting, True)
        except OSError:  # pragma: no cover
            return 0
        return self._waiting[0]

    def _send(self) -> None:
        """Sends the batch (an empty one asks for an answer).

        Raises:
            WorkerWriteError: if the worker has stopped after a failed write.
        """
        items = self._items
        body = marshal.dumps(items)
        if items:
            self.sent += len(items)
            self._last = len(body)
        self._items, self._bytes, self._overwrites = [], 0, False
        data = memoryview(len(body).to_bytes(4, "little") + body)
        try:
            while data:
                data = data[os.write(self._requests, data) :]
        except BrokenPipeError:  # The worker died.
            self._raise_answer()
        if items and self._answered():
            self._raise_answer()  # A failed write, answered at once.

    def _answered(self) -> bool:
        """True if the worker has written an answer that nobody asked for yet (a failure)."""
        import select

        return bool(select.select([self._answers], [], [], 0)[0])

    def _raise_answer(self) -> None:
        """Reads the worker's answer; raises its failure.

        Raises:
            WorkerWriteError: for a file the worker could not write.
            tfhub.errors.CacheError: if the worker died (killed, out of memory).
        """
        answer = self._read_answer()
        if answer == "ok":
            return
        if isinstance(answer, tuple) and len(answer) == 3:
            path, number, message = answer
            raise WorkerWriteError(number, message, path)
        status = self._process.wait()
        raise errors.CacheError(
            errno.EIO,
            f"The process writing the extracted files into {escaped(self._target)} ended "
            f"unexpectedly (exit status {status}: killed, or out of memory?). Try again.",
            path=self._target,
        )

    def _read_answer(self) -> object:
        head = _archive_write_worker.read_exact(self._answers, 4)
        if len(head) < 4:
            return None
        size = int.from_bytes(head, "little")
        return marshal.loads(_archive_write_worker.read_exact(self._answers, size))

    def sync(self) -> None:
        """Returns once every file added so far is written.

        Raises:
            WorkerWriteError: for the first file the worker could not write.
            tfhub.errors.CacheError: if the worker died.
        """
        if self._items:
            self._flush()  # Written here if the worker is still busy: it finishes sooner.
        self._send()  # Empty: the worker answers once it has written everything before.
        self._raise_answer()

    def close(self) -> None:
        """Writes everything, then ends the worker.

        Raises:
            WorkerWriteError: for the first file the worker could not write.
            tfhub.errors.CacheError: if the worker died.
        """
        try:
            self.sync()
        finally:
            self.abort()

    def abort(self) -> None:
        """Sends what is queued, closes the pipes and waits for the worker to exit."""
        process = self._process
        if self._items:
            try:
                self._send()
            except OSError:
                pass  # The worker has stopped: its answer is not needed any more.
        for pipe in (process.stdin, process.stdout):
            pipe.close()
        if self._root >= 0:
            os.close(self._root)
            self._root = -1
        import subprocess

        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # A stuck worker (a hung disk) is killed.
            process.kill()
            process.wait()
