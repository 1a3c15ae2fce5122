"""tfhub.gfile_io makes a local path's requests in the caller's thread.

Only URL paths (gs://, ram://, file://) are bounded in time by a thread per request
(`within_http_timeouts`): a local TF1 module's load and `tfhub inspect` ask many small
questions of local files, and a thread each cost them milliseconds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tensorflow")
from tfhub import gfile_io

pytestmark = pytest.mark.tf


@pytest.fixture
def started_threads() -> Iterator[list[str]]:
    """The names of the Python threads started while the test runs."""
    names: list[str] = []

    def note(*_: Any) -> None:
        names.append(threading.current_thread().name)
        threading.setprofile(None)  # type: ignore[arg-type]  # Only this thread's start.

    threading.setprofile(note)
    try:
        yield names
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]


def _calls(folder: Path) -> dict[str, Callable[[], object]]:
    """Each public request of gfile_io on local paths under `folder`."""
    file = folder / "a.txt"
    file.write_text("hello")

    def read_one() -> bytes:
        with gfile_io.open_binary(str(file)) as reader:
            return bytes(reader.read(5))

    return {
        "exists": lambda: gfile_io.exists(str(file)),
        "is_file": lambda: gfile_io.is_file(str(file)),
        "walk": lambda: gfile_io.walk(str(folder)),
        "read_bytes": lambda: gfile_io.read_bytes(str(file)),
        "open_binary": read_one,
        "is_dir": lambda: gfile_io.is_dir(str(folder)),
        "listdir": lambda: gfile_io.listdir(str(folder)),
        "size": lambda: gfile_io.size(str(file)),
        "glob": lambda: gfile_io.glob(str(folder / "*.txt")),
        "makedirs": lambda: gfile_io.makedirs(str(folder / "made" / "deep")),
        "write_text": lambda: gfile_io.write_text(str(folder / "b.txt"), "b"),
        "read_text": lambda: gfile_io.read_text(str(file), most=100),
        "copy": lambda: gfile_io.copy(str(file), str(folder / "c.txt")),
        "rename": lambda: gfile_io.rename(str(folder / "c.txt"), str(folder / "d.txt")),
        "remove": lambda: gfile_io.remove(str(folder / "d.txt")),
        "walk_tree": lambda: list(gfile_io.walk_tree(str(folder))),
        "mtime_nsec": lambda: gfile_io.mtime_nsec(str(file)),
        "rmtree": lambda: gfile_io.rmtree(str(folder / "made")),
    }


def test_local_requests_start_no_thread(tmp_path: Path, started_threads: list[str]) -> None:
    calls = _calls(tmp_path)
    answers = {name: call() for name, call in calls.items()}  # In order: each one's files.
    assert started_threads == []
    assert answers["exists"] is True and answers["is_file"] is True
    assert answers["read_bytes"] == b"hello" and answers["open_binary"] == b"hello"
    assert answers["read_text"] == "hello" and answers["size"] == 5
    assert sorted(gfile_io.listdir(str(tmp_path))) == ["a.txt", "b.txt"]


def test_local_failures_are_tfhub_errors_as_before(tmp_path: Path) -> None:
    from tfhub import errors

    with pytest.raises(errors.ModelNotFoundError):
        gfile_io.read_bytes(str(tmp_path / "missing"))
    with pytest.raises(errors.DownloadError, match="missing"):
        gfile_io.size(str(tmp_path / "missing"))


def test_url_requests_are_still_made_in_a_thread(started_threads: list[str]) -> None:
    gfile_io.makedirs("ram://tfhub-lead44/folder")
    assert gfile_io.is_dir("ram://tfhub-lead44/folder")
    assert "tfhub-gfile-request" in started_threads


@pytest.mark.parametrize("form", [Path, os.fsencode], ids=["pathlib", "bytes"])
def test_local_paths_may_be_path_objects_or_bytes(tmp_path: Path, form: Callable) -> None:
    """tf.io.gfile takes them, and so did gfile_io when every path went through a thread."""
    (tmp_path / "a.txt").write_text("hello")
    assert gfile_io.exists(form(str(tmp_path / "a.txt")))
    assert gfile_io.is_dir(form(str(tmp_path)))


@pytest.mark.parametrize("form", [Path, os.fsencode], ids=["pathlib", "bytes"])
def test_module_spec_export_takes_a_checkpoint_path_object(tmp_path: Path, form: Callable) -> None:
    import tensorflow as tf

    import tfhub as hub

    tf1 = tf.compat.v1

    def module_fn() -> None:
        w = tf1.get_variable("w", initializer=[2.0, 3.0])
        x = tf1.placeholder(tf.float32, [None, 2])
        hub.add_signature(inputs=x, outputs=x * w)

    spec = hub.create_module_spec(module_fn)
    with tf.Graph().as_default():
        module = hub.Module(spec)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            saver = tf1.train.Saver({"w": module.variable_map["w"]})
            prefix = saver.save(session, str(tmp_path / "ckpt" / "model"))
    spec.export(str(tmp_path / "exported"), checkpoint_path=form(prefix))
    assert (tmp_path / "exported" / "tfhub_module.pb").is_file()


class _InterruptedFile:
    """A file whose read is interrupted (Ctrl-C during a local read), noting its close."""

    closed = False

    def read(self, size: int) -> bytes:
        raise KeyboardInterrupt

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("path", "closed"), [("/tmp/local.bin", True), ("ram://tfhub-lead44/x.bin", False)]
)
def test_an_interrupted_local_read_is_closed_a_urls_is_left_to_its_call(
    path: str, closed: bool
) -> None:
    """A local read ran in the caller's thread and has ended: its file is closed; a URL's read
    call may still run in its thread, which keeps the file."""
    file = _InterruptedFile()
    with pytest.raises(KeyboardInterrupt), gfile_io._reads._GfileReader(path, file) as reader:
        reader.read(4)
    assert file.closed is closed
