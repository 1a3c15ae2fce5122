"""Files on TensorFlow's file systems (ram://, gs://) for tests: written and read whole."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator


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
