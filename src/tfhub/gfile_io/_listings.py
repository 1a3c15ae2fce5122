"""Listings and sizes of a model on gs:// (or any tf.io.gfile filesystem): whether a path is
a folder, its names, a file's size, a pattern's matches, a checkpoint's reader; each asked in
one call bounded as `exists` is (see `tfhub.gfile_io`)."""

from __future__ import annotations

import contextlib
from typing import Any

from ..utils.lazy import import_tensorflow
from ._requests import _asked, _bounded, refuse_unregistered


def is_dir(path: str) -> bool:
    """Returns True if a gs:// (or any tf.io.gfile) path is a folder (`tf.io.gfile.isdir`; on
    GCS, a listing of its prefix), asked in one call bounded as `exists` is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: as `exists`; RetryTimeoutError, no answer in time (a GCS
            listing that always offers another page).
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(lambda: bool(gfile.isdir(path)), path, what="whether it is a folder")


def listdir(folder: str) -> list[str]:
    """The names in a gs:// (or any tf.io.gfile) folder (`tf.io.gfile.listdir`: files, and
    sub-folders without their trailing slash on GCS), listed in one call bounded as `exists`
    is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: (an OSError) the folder does not exist, or TensorFlow's
            file system failed or refused the listing, naming the folder and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) no answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(lambda: list(gfile.listdir(folder)), folder, what="what it holds")


def size(path: str) -> int:
    """The size in bytes of a gs:// (or any tf.io.gfile) file (`tf.io.gfile.stat`), asked in
    one call bounded as `exists` is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: (an OSError) the file does not exist, or TensorFlow's file
            system failed or refused, naming the path and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) no answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(lambda: int(gfile.stat(path).length), path, what="its size")


def glob(pattern: str) -> list[str]:
    """The paths matching a gs:// (or any tf.io.gfile) pattern (`tf.io.gfile.glob`; on GCS, a
    listing of the folder before its first wildcard), listed in one call bounded as `exists`
    is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: as `listdir`; RetryTimeoutError, no answer in time.
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(lambda: list(gfile.glob(pattern)), pattern, what="what matches it")


def checkpoint_reader(prefix: str) -> Any:
    """TensorFlow's reader of the checkpoint `prefix` (`NewCheckpointReader`), for a gs:// (or
    any tf.io.gfile) path too. The reader looks its files up first, a listing of their folder
    (`prefix.index`, else `prefix` as a pattern): that lookup is asked first, bounded as
    `exists` is (a GCS listing that always offers another page). The reader itself then reads
    the index in TensorFlow's call, which holds Python's lock (GIL) while it runs, so no thread
    of Python's can bound it: its reads, and those of `get_tensor`, are TensorFlow's.

    Raises:
        tfhub.errors.UnregisteredFileSystemError: TensorFlow has no file system for the
            prefix's scheme (s3://).
        tensorflow.errors.OpError: as TensorFlow raises it (no such checkpoint, a damaged
            index): the callers say what is wrong with the model.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) the lookup gave no
            answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    tf = import_tensorflow("Reading checkpoints")

    def looked_up() -> list[str]:  # As the reader does: `prefix.index`, else `prefix`.
        return list(tf.io.gfile.glob(prefix + ".index") or tf.io.gfile.glob(prefix))

    refuse_unregistered(prefix)  # Before the reader, which would say it in TensorFlow's words.
    with contextlib.suppress(tf.errors.OpError):  # The reader says why, as before.
        _bounded(looked_up, prefix, what="which files its checkpoint has")
    return tf.compat.v1.train.NewCheckpointReader(prefix)
