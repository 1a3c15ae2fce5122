"""Review of session 41's bounded remote reads (`make_nearest_neighbour_index.storage`), read
through TensorFlow's own in-memory file system (ram://) with a GFile that can hold a read:
each test fails with the defect or mutant its docstring names."""

from __future__ import annotations

import os
import resource
import signal
import threading
import time

import pytest

tf = pytest.importorskip("tensorflow")

from tfhub import errors  # noqa: E402
from tfhub.tools.make_nearest_neighbour_index import storage  # noqa: E402

pytestmark = pytest.mark.tf

REAL_GFILE = tf.io.gfile.GFile


def _ram(name: str, data: bytes) -> str:
    path = f"ram://review41/{name}"
    tf.io.gfile.makedirs("ram://review41")
    with REAL_GFILE(path, "wb") as out:
        out.write(data)
    return path


class _Held(tf.io.gfile.GFile):
    """TensorFlow's GFile, counting opens and closes, whose read at `held_at` waits for
    `release`."""

    opened: list[_Held] = []
    closed: list[_Held] = []
    held_at: int | None = None
    release = threading.Event()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        _Held.opened.append(self)

    def read(self, n: int = -1) -> bytes:
        if _Held.held_at is not None and self.tell() == _Held.held_at:
            _Held.release.wait()
        return super().read(n)

    def close(self) -> None:
        _Held.closed.append(self)
        super().close()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(tf.io.gfile, "GFile", _Held)
    monkeypatch.setattr(storage, "READ_STEP", 4)
    monkeypatch.setenv("TFHUB_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("TFHUB_HTTP_RETRY_TIMEOUT", "0.2")
    _Held.opened, _Held.closed, _Held.held_at = [], [], None
    _Held.release = threading.Event()
    yield _Held
    _Held.release.set()


def test_a_normal_remote_read_closes_its_file(held: type[_Held]) -> None:
    """Kills dropping the close after the last step."""
    data = bytes(range(97, 123)) * 2
    assert storage.read_bytes(_ram("closes", data)) == data
    assert len(held.opened) == 1 and held.closed == held.opened


def test_a_read_answered_by_another_readers_step_goes_on_from_the_right_offset(
    held: type[_Held],
) -> None:
    """Kills dropping the seek of each step: a reader whose step at byte 8 is answered by
    another reader's queued call (`utils.threads.joined`) must go on from byte 12."""
    data = bytes(range(97, 123)) * 2
    path = _ram("joined", data)
    held.held_at = 8
    for _ in range(2):  # The first times out at byte 8; the second queues behind it, too.
        with pytest.raises(errors.RetryTimeoutError):
            storage.read_bytes(path)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(storage.read_bytes(path)))
    reader.start()
    time.sleep(0.05)  # The third reaches byte 8 and joins the second's queued call.
    held.held_at = None
    held.release.set()
    reader.join(10)
    assert got == [data]


def test_a_full_tmpdir_while_copying_says_where_and_what_to_do(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TMPDIR that does not take the copies of remote record files was a bare OSError
    ("[Errno 27] File too large", or 28 on a full disk) naming nothing."""
    monkeypatch.setenv("TMPDIR", os.fspath(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = _ram("emb-00000-of-00001.tfrecords", b"r" * 4096)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, hard))  # A write fails as on a full disk.
    try:
        with pytest.raises(errors.OutputNotWritableError) as caught, storage.local_copies([path]):
            pass
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)
    message = str(caught.value)
    assert f"copy of {path}" in message and f"TMPDIR={os.fspath(tmp_path)!r}" in message
    assert not os.listdir(tmp_path)  # The partial copy is gone.


def test_a_refused_upload_names_the_folder_given_and_the_file() -> None:
    """A refused upload said `Received: index_output_dir='gs://b/x/ann.index'` (the file, as
    if it were the flag's value, and called it the index folder)."""
    err = tf.errors.PermissionDeniedError(None, None, "HTTP response code 403")
    error = storage._not_writable("index folder", "index_output_dir")("gs://b/x", err, "ann.index")
    assert str(error).startswith("Cannot write the index folder gs://b/x: its file ann.index: ")
    assert str(error).endswith("Received: index_output_dir='gs://b/x'"), str(error)


def test_a_module_list_the_remote_file_system_fails_to_read_is_quoted_safely() -> None:
    """A gfile error whose message was blank raised IndexError (mutnn41's finding); one that
    quoted the server's answer printed its terminal escapes and an echoed access token."""
    from tfhub.tools.module_search import module_list

    blank = module_list._as_os_error(
        "gs://b/l.txt", tf.errors.UnavailableError(None, None, " \n"), missing=False
    )
    assert blank.strerror == "UnavailableError"
    hostile = tf.errors.PermissionDeniedError(
        None, None, "denied \x1b[2J Bearer ya29.np41-secret\nwhen reading gs://b/l.txt"
    )
    said = module_list._as_os_error("gs://b/l.txt", hostile, missing=False).strerror
    assert "\x1b" not in said and "np41-secret" not in said and "\n" not in said, said
    assert said.startswith("denied "), said
