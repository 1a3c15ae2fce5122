"""gs:// archives (downloaded into the cache) and the gfile boundary for gs:// paths.

tfhub reaches Google Cloud Storage only through TensorFlow's `tf.io.gfile`, as upstream does.
`exists`, `open_binary` and `read_bytes` are that boundary: everything else in tfhub is
filesystem-agnostic. Each of their requests (an existence check, a size, one read call) must
end within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`), else a
RetryTimeoutError names the path: TensorFlow's GCS reader waits for an object that trickles
for as long as bytes keep coming. A read call is of READ_STEP bytes at most where tfhub chooses
(`read_bytes`), or of the archive reader's chunk; TensorFlow's GCS reader fetches a block of
GCS_READ_CACHE_BLOCK_SIZE_MB for it when that is bigger, so a link slower than one block in
that time is cut too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .. import errors, handles
from ..utils.lazy import import_tensorflow
from ..utils.lazy import tensorflow as tf  # Imported by `open_binary` before any read.
from ..utils.printable import quoted_reason
from ..utils.redact import redact
from . import _progress
from .base import Resolver

_T = TypeVar("_T")

READ_STEP = 16 << 20  # Bytes `read_bytes` asks for in one bounded read call.


def exists(path: str) -> bool:
    """Returns True if a gs:// (or any tf.io.gfile) path exists. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: (an OSError) the file system cannot answer: no network,
            no access, a bad path; the message names the path and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) it gives no answer
            within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    tf = import_tensorflow("Reading gs:// paths")
    try:
        return _bounded(lambda: bool(tf.io.gfile.exists(path)), path, what="whether it exists")
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err


def _bounded(call: Callable[[], _T], path: str, *, what: str) -> _T:
    """`call()`, one request of TensorFlow's about `path`, within TFHUB_HTTP_TIMEOUT plus
    TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`; RetryTimeoutError if not)."""
    from .._http_deadline import within_http_timeouts  # Not on a local handle's path.

    return within_http_timeouts(call, path=path, what=what)


def read_bytes(path: str) -> bytes:
    """Reads a whole gs:// (or any tf.io.gfile) file, READ_STEP bytes per bounded read call.
    Imports TensorFlow.

    Raises:
        tfhub.errors.ModelNotFoundError: (a FileNotFoundError) the file does not exist.
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system failed or refused
            the read, naming the path and what to check.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) one read call gave
            no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    chunks = []
    with open_binary(path) as reader:
        while chunk := reader.read(READ_STEP):
            chunks.append(chunk)
    return b"".join(chunks)


def unreadable_error(path: str, err: Any) -> errors.DownloadError:
    """The error for a gs:// (or other tf.io.gfile) path TensorFlow could not read (`err`, its
    OpError): the reason quoted as `quoted_reason` does, and what to do. Also the tools'."""
    reason = quoted_reason(err, path)
    if isinstance(err, tf.errors.UnimplementedError):  # "File system scheme 's3' not ..."
        scheme = path.split("://", 1)[0]
        todo = (
            f"TensorFlow reads no {scheme}:// paths in this process (it reads gs:// and local "
            "ones): copy the model to a local folder, or serve it over http(s) (e.g. `tfhub "
            "serve`), or import the package that registers that file system first"
        )
    elif "File contents are inconsistent" in reason:  # TensorFlow's InternalError for GCS.
        todo = (
            "Its content changed while it was read (the object was replaced meanwhile, or the "
            "size its metadata gives and its data disagree): try again"
        )
    else:
        todo = access_todo(path)
    return errors.DownloadError(f"Cannot read {path}: {reason}. {todo}.")


def access_todo(path: str) -> str:
    """What to check when TensorFlow's file system fails or refuses `path` (a sentence without
    its final period): the path, the network, the access (for gs://, the credentials)."""
    todo = "Check the path, your network and your access to it"
    if path.lower().startswith("gs://"):
        todo += " (the credentials in GOOGLE_APPLICATION_CREDENTIALS)"
    return todo


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

    def listed() -> list[tuple[str, list[str]]]:
        return [(top, list(names)) for top, _, names in tf.io.gfile.walk(folder)]

    try:
        return _bounded(listed, folder, what="which files it holds")
    except tf.errors.OpError as err:
        raise unreadable_error(folder, err) from err


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
    calls are bounded (`_bounded`). After a read call that timed out (it may still run in its
    thread), the file is left open: closing it under that call is not safe."""

    def __init__(self, path: str, gfile: Any) -> None:
        self._path = path
        self._gfile = gfile
        self._offset = 0  # Bytes read so far.
        self._stuck = False  # A read call timed out and may still run.

    def read(self, size: int = -1) -> bytes:
        offset = self._offset
        amount = "it" if size < 0 else f"its {size:,} bytes"
        what = f"what {amount} from byte {offset:,} hold{'s' if size < 0 else ''}"

        def step() -> bytes:
            # Seeks: another reader's read of the same bytes, still under way, may answer in
            # this one's stead (`utils.threads.joined`), leaving this file where it was.
            self._gfile.seek(offset)
            return bytes(self._gfile.read(size))

        try:
            data = _bounded(step, self._path, what=what)
        except errors.RetryTimeoutError:
            self._stuck = True
            raise
        except tf.errors.NotFoundError as err:
            raise errors.ModelNotFoundError(
                f"{self._path} does not exist. Check the handle.", path=self._path
            ) from err
        except tf.errors.OpError as err:
            raise unreadable_error(self._path, err) from err
        self._offset += len(data)
        return data

    def size(self) -> int | None:
        """The file's size in bytes, or None if the file system does not say.

        Raises:
            tfhub.errors.RetryTimeoutError: no answer in time (see the module's docstring).
        """
        try:
            return _bounded(
                lambda: int(tf.io.gfile.stat(self._path).length), self._path, what="its size"
            )
        except tf.errors.OpError:
            return None

    def close(self) -> None:
        if not self._stuck:
            self._gfile.close()

    def __enter__(self) -> _GfileReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class GcsCompressedResolver(Resolver):
    """Resolves gs://.../*.tar.gz (or .tgz, .tar) by extracting the archive into the cache."""

    def is_supported(self, handle: str) -> bool:
        return handles.scheme(handle) == "gs" and handles.is_archive_path(handle)

    def _resolve(self, handle: str) -> str:
        from .. import _archive
        from ..download import atomic_download, with_archive_hint

        url = handles.cache_handle(handle)  # The scheme lower-cased, as TensorFlow wants it.

        def fetch(target: str) -> _archive.ExtractResult:
            try:
                with (
                    open_binary(url) as archive,
                    _progress.counted(
                        archive, description=f"Downloading {url}", total=_size_for_bar(archive)
                    ) as reader,
                ):
                    return _archive.extract_fileobj(reader, target, source=redact(url))
            except errors.NotAnArchiveError as err:
                raise errors.NotAnArchiveError(f"{err} Check the handle.") from err
            except errors.ArchiveError as err:
                raise with_archive_hint(err, remote=True) from err

        return atomic_download(url, fetch)


def _size_for_bar(archive: Any) -> int | None:
    """The archive's size for a progress bar (asked only when bars are on: one request)."""
    size = getattr(archive, "size", None)
    return size() if callable(size) and _progress.bars_enabled() else None
