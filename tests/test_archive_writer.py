"""The writer process of extractions of many small files (`_archive_writer`).

It writes what the in-process path writes, its errors are raised as theirs, and it never outlives
the extraction.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import signal
import subprocess
import sys
import tarfile
import time

import pytest
from tests._helpers.archives import read_tree

from tfhub import _archive, _archive_writer, errors

SRC = os.path.dirname(os.path.dirname(os.path.abspath(_archive.__file__)))


def _tar_bytes(files: list[tuple[str, bytes]], *, links: dict[str, str] | None = None) -> bytes:
    """An uncompressed tar of `files` (in order, names may repeat) and symbolic `links`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def _small_files(count: int) -> list[tuple[str, bytes]]:
    return [(f"d{i % 7}/f{i}", str(i).encode()) for i in range(count)]


def _extract(data: bytes, target: os.PathLike[str]) -> _archive.ExtractResult:
    os.makedirs(target)
    return _archive.extract(io.BytesIO(data), str(target), source="test.tar")


def _pids_of_children(parent: int) -> list[int]:
    """Live processes whose parent is `parent` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry))
    return found


def _started_since(before: list[int]) -> list[int]:
    """This process's live children that were not among `before` (the ones a test started)."""
    return [pid for pid in _pids_of_children(os.getpid()) if pid not in before]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_worker_writes_what_the_in_process_path_writes(tmp_path, monkeypatch):
    files = _small_files(300)
    files += [("d1/f5", b"second copy, small"), ("big", os.urandom(40_000))]  # Overwrites...
    files += [("d2/f9", os.urandom(20_000)), ("d3/f10", b""), ("big", b"small again")]
    data = _tar_bytes(files, links={"alias": "d1/f5"})
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 10**9)
    here = _extract(data, tmp_path / "here")
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 20)
    monkeypatch.setattr(_archive_writer, "BATCH_FILES", 16)  # Many batches.
    worker = _extract(data, tmp_path / "worker")
    assert here.by_worker == 0 and 16 <= worker.by_worker <= 300 - 20 + 3
    assert worker.files == here.files
    assert read_tree(tmp_path / "worker") == read_tree(tmp_path / "here")
    assert (tmp_path / "worker" / "d2" / "f9").read_bytes() == dict(files)["d2/f9"]
    assert os.readlink(tmp_path / "worker" / "alias") == "d1/f5"
    modes = {os.stat(tmp_path / side / "d1" / "f5").st_mode for side in ("here", "worker")}
    assert len(modes) == 1


def test_no_worker_for_few_or_big_files(tmp_path, monkeypatch):
    few = _extract(_tar_bytes(_small_files(50)), tmp_path / "few")
    assert few.by_worker == 0 and len(few.files) == 50
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 5)
    big = [(f"b{i}", bytes(_archive_writer.SMALL_FILE + 1)) for i in range(20)]
    assert _extract(_tar_bytes(big), tmp_path / "big").by_worker == 0


def test_no_worker_when_the_interpreter_is_embedded(tmp_path, monkeypatch):
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 5)
    monkeypatch.setattr(sys, "executable", "/usr/bin/uwsgi")  # `uwsgi -c` is not Python's.
    result = _extract(_tar_bytes(_small_files(50)), tmp_path / "t")
    assert result.by_worker == 0 and len(result.files) == 50


@pytest.mark.parametrize(
    ("cpu_max", "at_most"),
    [("max 100000\n", 64.0), ("100000 100000\n", 1.0), ("50000 100000", 0.5)],
)
def test_a_cgroup_cpu_quota_counts_as_fewer_cores(tmp_path, cpu_max, at_most):
    (tmp_path / "cpu.max").write_text(cpu_max)
    cores = _archive_writer._cores(str(tmp_path / "cpu.max"))
    assert 0 < cores <= at_most
    assert cores == min(len(os.sched_getaffinity(0)), at_most)


class _Intruder(io.RawIOBase):
    """A tar stream that creates `path` in the target once `at` bytes have been read.

    The decoder reads at most a few MiB ahead of the writer, so with `at` that far past the start
    and the member of that name further on, the file appears after the target was scanned and
    before the extraction reaches the member: its write fails with EEXIST.
    """

    def __init__(self, data: bytes, path: os.PathLike[str], at: int) -> None:
        super().__init__()
        self._data, self._path, self._at, self._offset = data, path, at, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._offset >= self._at and not os.path.exists(self._path):
            with open(self._path, "wb") as f:
                f.write(b"intruder")
        chunk = self._data[self._offset : self._offset + len(buffer)]
        buffer[: len(chunk)] = chunk
        self._offset += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("worker_after", [10**9, 1000])
def test_a_write_error_is_the_same_error_with_or_without_the_worker(
    tmp_path, monkeypatch, worker_after
):
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", worker_after)
    data = _tar_bytes(_small_files(14_000))  # 1 KiB per member: 14 MiB of tar.
    target = tmp_path / "t"
    for folder in range(7):
        os.makedirs(target / f"d{folder}")
    stream = _Intruder(data, target / f"d{12000 % 7}" / "f12000", at=9 << 20)
    with pytest.raises(errors.ArchiveError) as info:
        _archive.extract(io.BufferedReader(stream), str(target), source="test.tar")
    assert str(info.value) == (
        "test.tar does not appear to be a valid module. Archive member "
        f"'d{12000 % 7}/f12000' cannot be written (File exists)."
    )
    cause = info.value.__cause__.__cause__  # The member's error, then the system call's.
    assert isinstance(cause, OSError) and cause.errno == errno.EEXIST
    assert (target / f"d{12000 % 7}" / "f12000").read_bytes() == b"intruder"
    assert (target / f"d{11999 % 7}" / "f11999").read_bytes() == b"11999"  # All before: written.


def test_the_worker_refuses_paths_outside_its_folder(tmp_path):
    (tmp_path / "root").mkdir()
    worker = _archive_writer.WriterProcess.start(str(tmp_path / "root"))
    if worker is None:
        pytest.skip("one core: no writer process is started")
    worker.add("ok", b"1", False)
    worker.add("../escaped", b"2", False)
    with pytest.raises(_archive_writer.WorkerWriteError) as info:
        worker.close()
    assert info.value.filename == "../escaped" and info.value.errno == errno.EPERM
    assert os.listdir(tmp_path) == ["root"]
    assert os.listdir(tmp_path / "root") == ["ok"]
    assert not _alive(worker.pid)


def test_a_failed_extraction_ends_its_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 10)
    data = gzip.compress(_tar_bytes(_small_files(3000)))
    before = _pids_of_children(os.getpid())  # E.g. a warm Python server of other tests.
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt"):
        _extract(data[: len(data) // 2], tmp_path / "t")
    assert _started_since(before) == []


_KILLED_PARENT = """
import sys
from tfhub import _archive_writer, _archive
_archive_writer.WORKER_AFTER = 10
_archive.extract(sys.stdin.buffer, sys.argv[1], source="stdin")
"""


def test_the_worker_exits_when_its_parent_is_killed(tmp_path):
    data = _tar_bytes(_small_files(3000))
    env = dict(os.environ, PYTHONPATH=SRC)
    parent = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT, str(tmp_path)], stdin=subprocess.PIPE, env=env
    )
    try:
        assert parent.stdin is not None
        parent.stdin.write(data[: len(data) // 2])  # The rest never comes: the parent waits.
        parent.stdin.flush()
        deadline = time.monotonic() + 60
        while not (workers := _pids_of_children(parent.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers, "no writer process started"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, workers)), "a writer process outlived its parent"
    finally:
        parent.kill()
        parent.wait()


def test_a_failed_resolve_with_a_worker_leaves_no_temporary_folder(server, served_dir, monkeypatch):
    import tfhub as hub

    monkeypatch.setattr(_archive_writer, "WORKER_AFTER", 10)
    data = gzip.compress(_tar_bytes(_small_files(3000)))
    (served_dir / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    before = _pids_of_children(os.getpid())  # E.g. a warm Python server of other tests.
    with pytest.raises(errors.ArchiveError, match="truncated or corrupt"):
        hub.resolve(server.url("cut.tar.gz"))
    cache_dir = os.environ["TFHUB_CACHE_DIR"]
    assert [n for n in os.listdir(cache_dir) if n != ".locks"] == []
    assert _started_since(before) == []


def test_full_batches_are_written_here_while_the_worker_is_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(_archive_writer, "BATCH_FILES", 4)
    (tmp_path / "taken").write_bytes(b"before")
    worker = _archive_writer.WriterProcess.start(str(tmp_path))
    if worker is None:
        pytest.skip("one core: no writer process is started")
    os.kill(worker.pid, signal.SIGSTOP)  # Behind: the first batch stays in the pipe.
    try:
        for index in range(12):
            worker.add(f"f{index}", b"%d" % index, False)
        assert (worker.sent, worker.here) == (4, 8)
        assert sorted(os.listdir(tmp_path)) == sorted(["taken"] + [f"f{i}" for i in range(4, 12)])
        for name in ("g1", "g2", "taken"):
            worker.add(name, b"x", False)
        with pytest.raises(_archive_writer.WorkerWriteError) as info:
            worker.add("g3", b"x", False)  # Fills the batch, written here: fails as the worker's.
        assert info.value.filename == "taken" and info.value.errno == errno.EEXIST
    finally:
        os.kill(worker.pid, signal.SIGCONT)
        worker.abort()
    assert read_tree(tmp_path)["f0"] == b"0" and read_tree(tmp_path)["f11"] == b"11"
    assert not _alive(worker.pid)


def test_a_worker_that_dies_is_a_cache_error(tmp_path):
    worker = _archive_writer.WriterProcess.start(str(tmp_path))
    if worker is None:
        pytest.skip("one core: no writer process is started")
    os.kill(worker.pid, signal.SIGKILL)
    worker.add("f", b"x", False)
    with pytest.raises(errors.CacheError, match="ended unexpectedly") as info:
        worker.close()
    assert info.value.path == str(tmp_path) and info.value.errno == errno.EIO
    assert not _alive(worker.pid)


_DEFAULT_SIGPIPE = """
import os, select, signal, sys, time
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # As some programs do: a closed pipe kills.
from tfhub import _archive_writer
_archive_writer.BATCH_FILES = 2
open(os.path.join(sys.argv[1], "taken"), "wb").close()
worker = _archive_writer.WriterProcess.start(sys.argv[1])
try:
    worker.add("taken", b"x", False)
    worker.add("a", b"x", False)  # The first full batch goes to the worker, which fails.
    select.select([worker._answers], [], [], 60)  # It has answered: it stopped writing.
    time.sleep(0.5)  # Time to exit, for a worker that would (ordering, not speed).
    worker.add("b", b"x", False)
    worker.add("c", b"x", False)  # The next batch is sent to it all the same.
    worker.close()
except _archive_writer.WorkerWriteError as err:
    print("raised", err.filename)
finally:
    worker.abort()
"""


def test_a_failed_worker_never_leaves_its_parent_writing_into_a_closed_pipe(tmp_path):
    env = dict(os.environ, PYTHONPATH=SRC)
    done = subprocess.run(
        [sys.executable, "-c", _DEFAULT_SIGPIPE, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "raised taken"), done.stderr
    assert sorted(os.listdir(tmp_path)) == ["taken"]  # Nothing after the failure.


_KILLED_WITH_BATCHES_SENT = """
import os, sys
from tfhub import _archive_writer
_archive_writer.BATCH_FILES = 2
worker = _archive_writer.WriterProcess.start(sys.argv[1])
os.kill(worker.pid, 19)  # SIGSTOP: the batches below stay in the pipe.
for name in ("a", "b", "c", "d"):
    worker.add(name, b"x", True)  # Overwrites: every full batch is sent to the worker.
print(worker.pid, flush=True)
os._exit(0)  # Killed: no close, no abort.
"""


def test_batches_left_in_the_pipe_by_a_killed_parent_are_not_written(tmp_path):
    """A download killed mid-extraction left batches in the writer's pipe, which it went on
    writing after its parent's death, while the next resolve of the entry was removing that
    temporary folder: a leftover `.deleting.tmp` folder in the cache."""
    env = dict(os.environ, PYTHONPATH=SRC)
    parent = subprocess.Popen(  # Not run(): the stopped worker holds an inherited stderr.
        [sys.executable, "-c", _KILLED_WITH_BATCHES_SENT, str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = parent.stdout.readline()  # type: ignore[union-attr]
    assert parent.wait(timeout=60) == 0
    parent.stdout.close()  # type: ignore[union-attr]
    if not line.strip():
        pytest.skip("one core: no writer process is started")
    pid = int(line)
    os.kill(pid, signal.SIGCONT)
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert os.listdir(tmp_path) == []
