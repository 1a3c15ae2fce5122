"""utils/regular_files: a path is opened without waiting and read only if it is a regular file
(a named pipe with no writer returns at once, /dev/zero is never read, a terminal is not made
the controlling one)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests._helpers.python_process import child_env

from tfhub.utils.regular_files import (
    open_regular,
    open_without_waiting,
    read_open,
    read_regular,
)

_WAIT = 10.0  # Seconds a call may take before it is taken for one waiting for a writer.


def _returns_at_once(call: Callable[[], object], fifo: Path | None = None) -> object:
    """The result of `call`, run in a thread that must end within _WAIT s; if it does not, a
    writer opened on `fifo` releases it (no thread left waiting) and the test fails."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(_WAIT)
    if thread.is_alive():
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(_WAIT)
        pytest.fail(f"the call waited for more than {_WAIT} s")
    return result[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system (os.mkfifo)")
    path = tmp_path / "descriptor.txt"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_opened_and_read(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    file = open_regular(path)
    assert file is not None
    with file:
        assert file.read() == b"abc"
    assert read_regular(path, limit=10) == b"abc"


def test_read_regular_reads_one_byte_more_than_the_limit_only(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, limit=10) == b"x" * 11
    assert read_regular(path, limit=100) == b"x" * 100
    assert read_regular(path, limit=99) == b"x" * 100


def test_read_open_reads_on_past_the_size_fstat_gave_and_leaves_the_descriptor_open() -> None:
    # A pipe's fstat size is 0 while it holds 50 bytes: as a file grown after its fstat.
    reader, writer = os.pipe()
    try:
        os.write(writer, b"y" * 50)
        os.close(writer)
        assert read_open(reader, limit=20) == b"y" * 21
        os.fstat(reader)  # Still open: the caller closes it.
    finally:
        os.close(reader)


def test_a_named_pipe_with_no_writer_is_none_at_once(fifo: Path) -> None:
    assert _returns_at_once(lambda: open_regular(fifo), fifo) is None
    assert _returns_at_once(lambda: read_regular(fifo, limit=10), fifo) is None


def test_open_without_waiting_opens_a_named_pipe_with_no_writer_at_once(fifo: Path) -> None:
    fd = _returns_at_once(lambda: open_without_waiting(fifo), fifo)
    assert isinstance(fd, int)
    os.close(fd)


def test_a_folder_is_none(tmp_path: Path) -> None:
    assert open_regular(tmp_path) is None
    assert read_regular(tmp_path, limit=10) is None


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_dev_zero_is_never_read() -> None:
    assert _returns_at_once(lambda: read_regular("/dev/zero", limit=1 << 40)) is None
    assert open_regular("/dev/zero") is None


def test_a_symlink_is_followed_unless_told_not_to(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"linked")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_regular(link, limit=10) == b"linked"
    for call in (
        lambda: open_regular(link, follow_links=False),
        lambda: read_regular(link, limit=10, follow_links=False),
        lambda: open_without_waiting(link, follow_links=False),
    ):
        with pytest.raises(OSError) as raised:
            call()
        assert raised.value.errno == errno.ELOOP


def test_a_symlink_to_a_named_pipe_is_none(fifo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(fifo)
    assert _returns_at_once(lambda: open_regular(link), fifo) is None


def test_a_missing_file_raises_as_open_does(tmp_path: Path) -> None:
    for call in (
        lambda: open_regular(tmp_path / "missing"),
        lambda: read_regular(tmp_path / "missing", limit=10),
    ):
        with pytest.raises(FileNotFoundError) as raised:
            call()
        assert raised.value.filename == str(tmp_path / "missing")


def test_no_descriptor_is_left_open(tmp_path: Path, fifo: Path) -> None:
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc/self/fd to count the open descriptors")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert open_regular(fifo) is None
        assert open_regular(tmp_path) is None
        assert read_regular(tmp_path, limit=1) is None
    assert len(os.listdir("/proc/self/fd")) == before


# A session leader with no controlling terminal opens a terminal: without O_NOCTTY it would
# take it as its controlling terminal (then /dev/tty opens).
_CTTY_CODE = """
import os, sys
from tests._helpers.python_process import child_env
from tfhub.utils.regular_files import open_regular
os.setsid()
master, slave = os.openpty()
name = os.ttyname(slave)
if sys.argv[1] == "plain":
    os.close(os.open(name, os.O_RDONLY | os.O_NONBLOCK))
else:
    assert open_regular(name) is None
try:
    os.close(os.open("/dev/tty", os.O_RDONLY | os.O_NONBLOCK))
except OSError:
    print("no controlling terminal")
else:
    print("controlling terminal taken")
"""


def _ctty_after(how: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CTTY_CODE, how],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.skipif(not hasattr(os, "setsid"), reason="no sessions on this system (os.setsid)")
def test_a_terminal_is_not_made_the_controlling_terminal() -> None:
    if _ctty_after("plain") != "controlling terminal taken":
        pytest.skip("this system gives no controlling terminal on open: nothing to compare")
    assert _ctty_after("open_regular") == "no controlling terminal"
