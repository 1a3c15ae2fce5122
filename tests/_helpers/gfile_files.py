"""Files on TensorFlow's file systems (ram://, gs://) for tests: written and read whole."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any


def write_file(path: str, data: bytes) -> None:
    """Writes `data` to the tf.io.gfile file `path`."""
    import tensorflow as tf

    with tf.io.gfile.GFile(path, "wb") as out:
        out.write(data)


def read_file(path: str) -> bytes:
    """Returns the bytes of the tf.io.gfile file `path`."""
    import tensorflow as tf

    with tf.io.gfile.GFile(path, "rb") as source:
        return bytes(source.read())


@contextlib.contextmanager
def fresh_ram_folder(owner: str, name: str, files: dict[str, bytes]) -> Iterator[str]:
    """A new ram:// folder `ram://<owner>/<unique>/<name>` holding `files` (names to bytes),
    removed afterwards."""
    import tensorflow as tf

    path = f"ram://{owner}/{uuid.uuid4().hex}/{name}"
    tf.io.gfile.makedirs(path)
    for file_name, data in files.items():
        write_file(f"{path}/{file_name}", data)
    try:
        yield path
    finally:
        tf.io.gfile.rmtree(path)


def hold_gfile_call(
    monkeypatch: Any, name: str, held: Callable[..., bool], release: threading.Event
) -> list[str]:
    """Holds TensorFlow's `tf.io.gfile.<name>` on `release` (30 s at most) for the first call
    whose arguments `held(*args)` picks, as a request to a server that trickles is held; the
    other calls go through. Returns the list that gets the held call's first argument."""
    import tensorflow as tf

    real, seen = getattr(tf.io.gfile, name), list[str]()

    def call(*args: Any, **kwargs: Any) -> Any:
        if not seen and held(*args):
            seen.append(str(args[0]))
            release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(tf.io.gfile, name, call)
    return seen
