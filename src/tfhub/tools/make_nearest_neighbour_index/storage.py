"""Local or remote files alike: a path with a scheme (gs://, s3://, hdfs://) goes through
tf.io.gfile (TensorFlow imported then only), any other through the local file system. A remote
read that TensorFlow's file system fails or refuses is a DownloadError naming the path (as for
a gs:// handle), not TensorFlow's bare OpError."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


def is_remote(path: str) -> bool:
    """True for paths with a scheme (gs://, s3://, hdfs://): written through tf.io.gfile."""
    return "://" in path


def join(folder: str, name: str) -> str:
    """Joins a file name to a local or remote folder."""
    return folder.rstrip("/") + "/" + name if is_remote(folder) else os.path.join(folder, name)


def gfile_module() -> Any:
    """`tf.io.gfile` (TensorFlow is imported then).

    Raises:
        tfhub.errors.MissingDependencyError: TensorFlow is not installed.
    """
    from ...utils.lazy import import_tensorflow

    return import_tensorflow("Remote folders (gs:// etc.)").io.gfile


def _remote(path: str, call: Callable[[Any], _T]) -> _T:
    """Returns `call(tf.io.gfile)`, a read about the remote `path`.

    Raises:
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system failed or refused
            (a 403, a 503, a broken connection), naming the path and what to do.
    """
    from ...resolvers.gcs import unreadable_error
    from ...utils.lazy import import_tensorflow

    tf = import_tensorflow("Remote folders (gs:// etc.)")
    try:
        return call(tf.io.gfile)
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err


def exists(path: str) -> bool:
    """Whether a local or remote file exists.

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses to say.
    """
    if is_remote(path):
        return _remote(path, lambda gfile: bool(gfile.exists(path)))
    return os.path.exists(path)


def list_names(folder: str) -> list[str]:
    """The names in a local or remote folder ([] if it is not a folder), listed, not globbed:
    the folder's own name may hold glob characters (`emb[1]`, `a*b`)."""
    if is_remote(folder):
        return _remote(
            folder,
            lambda gfile: (
                [name.rstrip("/") for name in gfile.listdir(folder)] if gfile.isdir(folder) else []
            ),
        )
    return os.listdir(folder) if os.path.isdir(folder) else []


def read_bytes(path: str) -> bytes:
    """Reads a local or remote file.

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses the read.
        OSError: a local file that cannot be read.
    """
    if is_remote(path):
        return _remote(path, lambda gfile: _read_all(gfile, path))
    with open(path, "rb") as handle:
        return handle.read()


def _read_all(gfile: Any, path: str) -> bytes:
    with gfile.GFile(path, "rb") as handle:
        return bytes(handle.read())
