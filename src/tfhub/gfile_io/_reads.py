"""Reads of a gs:// (or any tf.io.gfile) path: whether it exists or is a file, a folder's
walk, a file read whole (`read_bytes`), in steps (`read_steps`) or by its reader
(`open_binary`), each read call bounded and the reader's own (see `tfhub.gfile_io`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from .. import errors
from ..utils.lazy import import_tensorflow
from ..utils.lazy import tensorflow as tf  # Imported by `open_binary` before any read.
from ._listings import size
from ._requests import _asked, _bounded, is_url, unreadable_error

READ_STEP = 16 << 20  # Bytes `read_bytes` asks for in one bounded read call.
_READ_WHY = "its server may be failing, or sending the object too slowly"
_READERS = itertools.count()  # Numbers the readers: each one's read calls are its own.


def exists(path: str) -> bool:
    """Returns True if a gs:// (or any tf.io.gfile) path exists. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: (an OSError) the file system cannot answer: no network,
            no access, a bad path; the message names the path and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) it gives no answer
            within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(lambda: bool(gfile.exists(path)), path, what="whether it exists")


def is_file(path: str) -> bool:
    """Returns True if a gs:// (or any tf.io.gfile) path is a file: it exists and is no
    folder, asked in one call bounded as `exists` is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: as `exists`; RetryTimeoutError, no answer in time.
    """
    gfile = import_tensorflow("Reading gs:// paths").io.gfile
    return _asked(
        lambda: bool(gfile.exists(path) and not gfile.isdir(path)),
        path,
        what="whether it is a file",
    )


def read_bytes(path: str, *, most: int | None = None) -> bytes:
    """Reads a whole gs:// (or any tf.io.gfile) file, READ_STEP bytes per bounded read call,
    or its first `most` + 1 bytes if it is longer (the caller refuses it: a file larger than
    it can be is not read whole). Imports TensorFlow.

    Raises:
        tfhub.errors.ModelNotFoundError: (a FileNotFoundError) the file does not exist.
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system failed or refused
            the read, naming the path and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) one read call gave
            no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    chunks, got = [], 0
    with open_binary(path) as reader:
        while most is None or got <= most:
            step = READ_STEP if most is None else min(READ_STEP, most + 1 - got)
            chunk = reader.read(step)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    return b"".join(chunks)


def walk(folder: str) -> list[tuple[str, list[str]]]:
    """Each folder under a gs:// (or any tf.io.gfile) folder, itself first, with the names of
    its files (`tf.io.gfile.walk`), listed in one call bounded as `exists` is. Imports
    TensorFlow.

    Raises:
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system failed or refused a
            listing, naming the folder and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) the listings gave
            no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (a GCS listing
            that always offers another page).
    """
    tf = import_tensorflow("Reading gs:// paths")

    def refused(err: Any) -> None:
        # tf.io.gfile.walk takes a folder it cannot list (NotFoundError "Could not find
        # directory X" for a refused, unknown or missing one) for an empty one, and walks on.
        raise err

    def listed() -> list[tuple[str, list[str]]]:
        return [(top, list(names)) for top, _, names in tf.io.gfile.walk(folder, onerror=refused)]

    return _asked(listed, folder, what="which files it holds")


def open_binary(path: str) -> Any:
    """Opens a gs:// (or any tf.io.gfile) file for binary reading. Imports TensorFlow.

    Returns:
        A reader with `read(n)`, `size()` and `close()`, usable with `with`, whose failures
        are tfhub's: `ModelNotFoundError` (a FileNotFoundError) for a missing file,
        `DownloadError` (an OSError) for any other (no access, a network error), naming the
        path; `RetryTimeoutError` (a DownloadError) for a call that gave no answer within
        TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (see the module's docstring).
    """
    tf = import_tensorflow("Reading gs:// paths")
    return _GfileReader(path, tf.io.gfile.GFile(path, "rb"))


class _GfileReader:
    """A tf.io.gfile file whose read errors (TensorFlow's OpErrors) are tfhub's, and whose
    calls are bounded (`_bounded`), each read call keyed by this reader and its offset. A read
    call that timed out or was interrupted may still run in its thread: the reader is then
    spent, and its file is left to that call rather than closed under it (a local path's
    calls run in the caller's thread: they have ended)."""

    def __init__(self, path: str, gfile: Any) -> None:
        self._path = path
        self._gfile = gfile
        self._number = next(_READERS)
        self._offset = 0  # Bytes read so far.
        self._stuck = False  # A read call may still run in its thread.

    def read(self, size: int = -1) -> bytes:
        if self._stuck:
            raise errors.DownloadError(
                f"Cannot read {self._path}: an earlier read of this reader was cut short (it may "
                "still run); open the file again."
            )
        amount = "it" if size < 0 else f"its {size:,} bytes"
        what = f"what {amount} from byte {self._offset:,} hold{'s' if size < 0 else ''}"
        key = ("gfile-read", self._number, self._offset)
        try:
            data = _bounded(
                lambda: bytes(self._gfile.read(size)), self._path, what=what, key=key, why=_READ_WHY
            )
        except errors.UnregisteredFileSystemError:
            raise  # Said already (and an OpError too).
        except tf.errors.NotFoundError as err:
            raise errors.ModelNotFoundError(
                f"{self._path} does not exist. Check the handle.", path=self._path
            ) from err
        except tf.errors.OpError as err:
            raise unreadable_error(self._path, err) from err
        except BaseException:  # A timeout or an interruption: a URL's call may still run.
            self._stuck = is_url(self._path)  # A local path's ran in this thread: it ended.
            raise
        self._offset += len(data)
        return data

    def size(self) -> int | None:
        """The file's size in bytes, or None if the file system does not say.

        Raises:
            tfhub.errors.RetryTimeoutError: no answer in time (see the module's docstring).
        """
        try:
            return size(self._path)
        except errors.RetryTimeoutError:
            raise
        except errors.DownloadError:  # TensorFlow's OpError: the file system does not say.
            return None

    def close(self) -> None:
        if not self._stuck:
            self._gfile.close()

    def __enter__(self) -> _GfileReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_steps(path: str, *, step: int = READ_STEP) -> Iterator[bytes]:
    """The bytes of a gs:// (or any tf.io.gfile) file in order, `step` bytes at most at a time,
    each read call bounded by `open_binary`'s reader (its own: another reader of the file never
    waits behind it); the file is closed after the last, not after a call that timed out (it
    may still run in its thread). For callers that keep a big file out of memory, or choose
    their step; `read_bytes` reads one whole. Imports TensorFlow.

    Raises:
        As `open_binary`'s reader: tfhub.errors.ModelNotFoundError (a FileNotFoundError) for a
            missing file, tfhub.errors.DownloadError (an OSError) for a failed or refused read,
            each with TensorFlow's OpError as `__cause__`; tfhub.errors.RetryTimeoutError (a
            DownloadError and TimeoutError) for a read call without an answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, naming the path and its offset.
            A file system that refuses the open itself (TensorFlow's GFile opens at its first
            read) is a DownloadError too.
    """
    tf = import_tensorflow("Reading gs:// paths")
    try:
        reader = open_binary(path)
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err
    with reader:
        while chunk := reader.read(step):
            yield chunk
