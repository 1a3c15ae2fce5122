"""`tfhub publish` and `mirror` arguments as review46b left them (session 46): a doc pipe that
stalls or a terminal as the doc, a case twin that holds no model, mirror's case-twin advice,
and `mirror --from-docs` of a doc whose asset-path is too long to serve."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from tfhub import errors
from tfhub.hub import publish_doc

# --- L1: read_doc is bounded as a whole -----------------------------------------------------


def _read_in_thread(path: Path, unblock: object) -> BaseException | str:
    """read_doc(path) in a thread; if it is still reading after 20 s, `unblock()` releases it
    and the test fails (it hung)."""
    result: list[BaseException | str] = []

    def run() -> None:
        try:
            result.append(publish_doc.read_doc(path))
        except BaseException as err:  # The test reads it.
            result.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    if thread.is_alive():
        unblock()  # type: ignore[operator]
        thread.join(timeout=20)
        pytest.fail(f"read_doc({path}) hung")
    return result[0]


def test_a_pipe_whose_writer_stalls_after_the_first_byte_is_refused_in_time(tmp_path, monkeypatch):
    """The 60 s bound covered the first byte only: a writer that sent `#` and stalled kept
    publish waiting until it closed."""
    monkeypatch.setattr(publish_doc, "FIFO_WRITER_WAIT", 0.3)
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    release = threading.Event()

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink:
            sink.write(b"#")
            release.wait(60)
            with contextlib.suppress(BrokenPipeError):  # The reader gave up: as it should.
                sink.write(b" Module acme/emb/1\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        err = _read_in_thread(pipe, release.set)
    finally:
        release.set()
        writer.join(timeout=10)
    assert isinstance(err, errors.DocFormatError), err
    assert "did not finish the doc" in str(err) and "within 0.3 s" in str(err), err


def test_a_pipe_written_in_two_parts_within_the_bound_is_read_whole(tmp_path):
    pipe = tmp_path / "1.md"
    os.mkfifo(pipe)
    text = "# Module acme/emb/1\nTwo parts \u2713.\n"

    def write() -> None:
        with open(pipe, "wb", buffering=0) as sink:
            sink.write(text[:5].encode())
            sink.write(text[5:].encode())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert publish_doc.read_doc(pipe) == text
    writer.join(timeout=10)


def test_a_terminal_as_the_doc_is_refused_at_once_saying_to_pipe_it(tmp_path):
    """`--doc /dev/stdin` from a terminal (a pty here) waited without limit for an end of file
    the user does not know to type."""
    master, slave = os.openpty()
    try:
        tty = Path(os.ttyname(slave))
        err = _read_in_thread(tty, lambda: os.write(master, b"\n\x04"))
    finally:
        os.close(slave)
        os.close(master)
    assert isinstance(err, errors.DocFormatError), err
    assert "is a terminal" in str(err) and "--doc /dev/stdin < 1.md" in str(err), err


def test_a_missing_doc_with_a_non_utf8_name_says_no_such_file(tmp_path):
    """It said "Cannot read the doc ... as UTF-8 text: [Errno 2] ..."."""
    doc = tmp_path / os.fsdecode(b"missing\xfe.md")
    with pytest.raises(errors.DocFormatError) as caught:
        publish_doc.read_doc(doc)
    assert str(caught.value).startswith(f"Cannot read the doc {doc}: no such file;")
    assert "UTF-8" not in str(caught.value) and "Errno" not in str(caught.value)
    assert isinstance(caught.value.__cause__, FileNotFoundError)
