"""Local or remote files alike: a path with a scheme (gs://, s3://, hdfs://) goes through
tf.io.gfile (TensorFlow imported then only), any other through the local file system."""

from __future__ import annotations

import os
from typing import Any


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


def exists(path: str) -> bool:
    """Whether a local or remote file exists."""
    return bool(gfile_module().exists(path)) if is_remote(path) else os.path.exists(path)


def list_names(folder: str) -> list[str]:
    """The names in a local or remote folder ([] if it is not a folder), listed, not globbed:
    the folder's own name may hold glob characters (`emb[1]`, `a*b`)."""
    if is_remote(folder):
        gfile = gfile_module()
        return [name.rstrip("/") for name in gfile.listdir(folder)] if gfile.isdir(folder) else []
    return os.listdir(folder) if os.path.isdir(folder) else []


def read_bytes(path: str) -> bytes:
    """Reads a local or remote file."""
    if is_remote(path):
        with gfile_module().GFile(path, "rb") as handle:
            return bytes(handle.read())
    with open(path, "rb") as handle:
        return handle.read()
