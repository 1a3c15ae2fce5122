"""The gfile boundary for gs:// (and other tf.io.gfile) paths, bounded in time.

tfhub reaches Google Cloud Storage only through TensorFlow's `tf.io.gfile`, as upstream does.
The functions here are that boundary (the gs:// resolver, `tfhub.resolvers.gcs`, gives the
first of them too): reads (`exists`, `is_file`, `walk`, `open_binary`, `read_bytes`), the
requests of a cache on such a filesystem (`makedirs`, `copy`, `rename`, `remove`, ...: see
"Writes"), and listings and sizes of a model there (`is_dir`, `listdir`, `size`, `glob`,
`checkpoint_reader`). Everything else in tfhub is filesystem-agnostic. Each of their
requests about a URL path (an existence check, a size, one read call, an upload) must end
within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`), else a
RetryTimeoutError names the path (a local path's are made directly, as tfhub's other local
file operations are): TensorFlow's GCS reader waits for an object that trickles
for an hour per request, and retries. A reader's read calls are its own: another reader of the
same bytes does not wait behind one that is stuck. A read call is of READ_STEP bytes at most
where tfhub chooses (`read_bytes`), or of the archive reader's chunk; TensorFlow's GCS reader
fetches a block of GCS_READ_CACHE_BLOCK_SIZE_MB for it when that is bigger, so a link slower
than one block in that time is cut too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, TypeVar

from . import constants, errors
from .utils.lazy import import_tensorflow
from .utils.lazy import tensorflow as tf  # Imported by `open_binary` before any read.
from .utils.printable import escaped, quoted_reason

_T = TypeVar("_T")

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


def _asked(call: Callable[[], _T], path: str, *, what: str) -> _T:
    """`call()`, one question of TensorFlow's about `path`, bounded (`_bounded`), with what
    TensorFlow raises for it as tfhub's error (`unreadable_error`)."""
    tf = import_tensorflow("Reading gs:// paths")
    try:
        return _bounded(call, path, what=what)
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err


def _bounded(call: Callable[[], _T], path: str, *, what: str, **question: Any) -> _T:
    """`call()`, one request of TensorFlow's about `path`, within TFHUB_HTTP_TIMEOUT plus
    TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`, given `question`'s key and why;
    RetryTimeoutError if not). A local path's request is made here, in the caller's thread,
    as tfhub's other local file operations are: a thread per call cost a local TF1 module's
    load and `tfhub inspect` milliseconds each."""
    if not is_url(path):
        return call()
    from ._http_deadline import within_http_timeouts  # Not on a local handle's path.

    return within_http_timeouts(call, path=path, what=what, **question)


def is_url(path: Any) -> bool:
    """True for a tf.io.gfile URL (gs://, ram://, even file://: each has a scheme), False for
    a local path (a str, bytes or os.PathLike, as tf.io.gfile takes them): the one question
    whether tfhub's requests about `path` are bounded (see the module's docstring)."""
    return "://" in os.fsdecode(path)


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


# Writes (a cache on a gfile filesystem)
#
# Each function below is one bounded request (or a few, as one question) of TensorFlow's about
# a path of a cache on gs:// (or any tf.io.gfile filesystem): it ends within TFHUB_HTTP_TIMEOUT
# plus TFHUB_HTTP_RETRY_TIMEOUT, else a RetryTimeoutError names the path and both settings.
# TensorFlow's GCS writer waits for an upload's answer up to an hour, then retries. Each call
# is a request of its own (its key numbered): none waits behind another that is stuck (a stuck
# `makedirs` of the cache folder held back every entry's copy). A call that timed out runs on
# in its thread until TensorFlow's request ends; `landing(paths)` says which still do, by the
# paths they change. What the file system refuses (a 403, no such file) is raised as
# TensorFlow's OpError: the cache says what it was writing (`tfhub.cache.remote` turns it into
# a CacheError quoting it).

_WRITE_WHY = "its server may be failing, or taking the request too slowly"
_WRITES = itertools.count()  # Numbers the write calls: each one's key is its own.


def _gfile() -> Any:
    return import_tensorflow("A cache on a tf.io.gfile filesystem (TFHUB_CACHE_DIR)").io.gfile


def _write(
    call: Callable[[], _T],
    path: str,
    *,
    what: str,
    verb: str,
    changes: bool = True,
    **paths: str,
) -> _T:
    """`_bounded` for a request of the cache, keyed by its own number; `path` is the path it
    changes (`landing`), unless `changes` is False (a listing, a read); `paths` are the others
    it names (a copy's source).

    Raises:
        tfhub.errors.RetryTimeoutError: no answer in time; or at once, if MOST_LATE requests
            of the same question that timed out still run (each one a thread stuck with it).
    """
    question = (what, path, *sorted(paths.items()))
    late = _still_running(question)
    if late >= MOST_LATE:
        limit = constants.http_retry_timeout()
        raise errors.RetryTimeoutError(
            f"Cannot {verb} {escaped(path)}: {late} earlier requests asking TensorFlow's file "
            f"system {what} timed out and are still running in this process (TensorFlow "
            f"cannot stop them; {_WRITE_WHY}). Try again once they have ended, or restart the "
            "process.",
            url=path,
            seconds=0.0,
            cause="earlier requests still running",
            limit=limit,
            attempts=0,
        )
    key = ("gfile-write", next(_WRITES), path, what)
    try:
        return _bounded(call, path, what=what, verb=verb, key=key, why=_WRITE_WHY)
    except errors.RetryTimeoutError:
        with _LATE_LOCK:
            _LATE[key] = _Late(question, path if changes else None)
        raise


MOST_LATE = 2  # Timed-out requests of one question that may still run when it is asked again.


class _Late(NamedTuple):
    """A write call that timed out: its question, and the path it changes (None: none)."""

    question: tuple[object, ...]
    changes: str | None


_LATE: dict[object, _Late] = {}  # The write calls that timed out and may still run, by key.
_LATE_LOCK = threading.Lock()


def _forget_late_in_child() -> None:
    """A forked child has none of its parent's threads (their requests may still land on the
    file system, but not from the child, which cannot wait for them): it starts afresh."""
    global _LATE_LOCK
    _LATE_LOCK = threading.Lock()
    _LATE.clear()


os.register_at_fork(after_in_child=_forget_late_in_child)


def _pruned_late() -> list[_Late]:
    """The timed-out write calls still running (the others are forgotten: landed or failed).
    Call with _LATE_LOCK held."""
    from .utils.threads import running_keys

    running = set(running_keys())
    for key in [key for key in _LATE if key not in running]:
        del _LATE[key]
    return list(_LATE.values())


def _still_running(question: tuple[object, ...]) -> int:
    """How many timed-out write calls of `question` still run."""
    with _LATE_LOCK:
        return sum(late.question == question for late in _pruned_late())


def landing(changes: Callable[[str], bool]) -> list[str]:
    """The paths of the write calls that timed out and still run (TensorFlow's request may
    still land) for which `changes(path)` is True: e.g. those into one cache entry. Listings
    and reads that timed out are not among them: landing, they change nothing."""
    with _LATE_LOCK:
        late = _pruned_late()
    return sorted(
        item.changes for item in late if item.changes is not None and changes(item.changes)
    )


def makedirs(path: str) -> None:
    """Makes a folder and its parents (`tf.io.gfile.makedirs`), bounded.

    Raises:
        tfhub.errors.RetryTimeoutError: no answer within TFHUB_HTTP_TIMEOUT plus
            TFHUB_HTTP_RETRY_TIMEOUT. TensorFlow's OpError: refused.
    """
    gfile = _gfile()
    _write(lambda: gfile.makedirs(path), path, what="whether it made the folder", verb="make")


def copy(source: str, target: str, *, overwrite: bool = True) -> None:
    """Copies a file to `target` (`tf.io.gfile.copy`: for a local `source`, one upload),
    bounded. Raises as `makedirs`."""
    gfile = _gfile()
    _write(
        lambda: gfile.copy(source, target, overwrite=overwrite),
        target,
        what=f"whether it wrote the copy of {source}",
        verb="write",
        source=source,
    )


def rename(source: str, target: str, *, overwrite: bool = True) -> None:
    """Renames a file (`tf.io.gfile.rename`; on GCS a copy then a removal), bounded. Raises
    as `makedirs`."""
    gfile = _gfile()
    _write(
        lambda: gfile.rename(source, target, overwrite=overwrite),
        target,
        what=f"whether it moved {source} there",
        verb="write",
        source=source,
    )


def remove(path: str) -> None:
    """Removes a file (`tf.io.gfile.remove`), bounded. Raises as `makedirs` (a missing file:
    TensorFlow's NotFoundError)."""
    gfile = _gfile()
    _write(lambda: gfile.remove(path), path, what="whether it removed the file", verb="remove")


def rmtree(path: str) -> None:
    """Removes a folder and everything in it (`tf.io.gfile.rmtree`: a listing, then a removal
    per file), bounded as one call. Raises as `makedirs`."""
    gfile = _gfile()
    _write(lambda: gfile.rmtree(path), path, what="whether it removed the folder", verb="remove")


def write_text(path: str, text: str) -> None:
    """Writes a whole text file (UTF-8), as `_write_whole` does. Raises as `makedirs`."""
    _write_whole(_gfile(), path, text.encode("utf-8"))


def _write_whole(gfile: Any, path: str, data: bytes) -> None:
    """Writes a whole file with `gfile` (tf.io.gfile: opened, written, closed; on GCS the
    upload is sent at the close), bounded as one call. Raises as `makedirs`."""

    def written() -> None:
        with gfile.GFile(path, "wb") as out:
            out.write(data)

    _write(written, path, what="whether it wrote the file", verb="write")


def read_text(path: str, *, most: int) -> str:
    """The first `most` characters of a small text file, read in one bounded call. Raises as
    `makedirs` (a missing file: TensorFlow's NotFoundError)."""
    gfile = _gfile()

    def read() -> str:
        with gfile.GFile(path, "r") as text:
            return str(text.read(most))

    return _write(read, path, what="what the file holds", verb="read", changes=False)


def walk_tree(
    folder: str, *, enter: Callable[[str, str], bool] | None = None
) -> list[tuple[str, list[str], list[str]]]:
    """Each folder under `folder` (itself first) with the names of its folders and files
    (`tf.io.gfile.walk`), all listed in one bounded call; `enter(top, name)` False keeps the
    walk out of a sub-folder (it is still named). Raises as `makedirs`."""
    gfile = _gfile()

    def walked() -> list[tuple[str, list[str], list[str]]]:
        found = []
        for top, folders, names in gfile.walk(folder):
            found.append((str(top), list(folders), list(names)))
            if enter is not None:
                folders[:] = [name for name in folders if enter(top, name)]
        return found

    return _write(walked, folder, what="which files it holds", verb="list", changes=False)


def mtime_nsec(path: str) -> int:
    """A file's modification time in ns since the epoch (0 if the file system keeps none),
    bounded. Raises as `makedirs`."""
    gfile = _gfile()
    return _write(
        lambda: int(gfile.stat(path).mtime_nsec),
        path,
        what="when it changed",
        verb="read",
        changes=False,
    )


# Listings and sizes (models on gs://)


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
        tensorflow.errors.OpError: as TensorFlow raises it (no such checkpoint, a damaged
            index): the callers say what is wrong with the model.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) the lookup gave no
            answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    tf = import_tensorflow("Reading checkpoints")

    def looked_up() -> list[str]:  # As the reader does: `prefix.index`, else `prefix`.
        return list(tf.io.gfile.glob(prefix + ".index") or tf.io.gfile.glob(prefix))

    with contextlib.suppress(tf.errors.OpError):  # The reader says why, as before.
        _bounded(looked_up, prefix, what="which files its checkpoint has")
    return tf.compat.v1.train.NewCheckpointReader(prefix)


# Misc reads (session 44)


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


# Exports (a module written to a gfile filesystem)
#
# A TF1 module exported to gs:// (`hub.Module.export`, `ModuleSpec.export`, the exporter) is
# written by TensorFlow's Saver and tfhub into a local folder first (the Saver's writes are
# TensorFlow's own calls, which no thread of Python's can bound), then uploaded (`upload_folder`)
# in requests bounded as the writes above are; an export elsewhere (local, ram://) is written in
# place through the same bounded calls. What the file system refuses is raised as TensorFlow's
# OpError, as before: the export says what it was writing.

UPLOAD_PREFIX = ".tfhub-upload-"  # The hidden sibling folder an upload goes to first.


def _export_gfile() -> Any:
    return import_tensorflow("Exporting a module").io.gfile


def stages_exports(path: str) -> bool:
    """Whether an export to `path` is written into a local folder first, then uploaded
    (`upload_folder`): a gs:// path."""
    return path.lower().startswith("gs://")


def exists_for_export(path: str) -> bool:
    """Returns True if `path` exists (`tf.io.gfile.exists`), bounded as `makedirs` is; unlike
    `exists`, what the file system refuses is raised as TensorFlow's OpError (as the export's
    writes are)."""
    gfile = _export_gfile()
    return _write(
        lambda: bool(gfile.exists(path)),
        path,
        what="whether it exists",
        verb="read",
        changes=False,
    )


def listdir_for_export(folder: str) -> list[str]:
    """The names in `folder` (`tf.io.gfile.listdir`), listed in one call bounded as `makedirs`
    is; unlike `listdir`, what the file system refuses (a missing folder: NotFoundError) is
    raised as TensorFlow's OpError, as the export's writes are."""
    gfile = _export_gfile()
    return _write(
        lambda: list(gfile.listdir(folder)),
        folder,
        what="what it holds",
        verb="read",
        changes=False,
    )


def write_bytes(path: str, data: bytes) -> None:
    """Writes a whole binary file of an export (`_write_whole`). Raises as `makedirs`."""
    _write_whole(_export_gfile(), path, data)


def latest_checkpoint(folder: str) -> str | None:
    """The prefix of the latest checkpoint its `checkpoint` file names in `folder`
    (`tf.train.latest_checkpoint`: that file's read, then a lookup of the prefix's files), or
    None; asked in one call bounded as `exists` is. Imports TensorFlow.

    Raises:
        tfhub.errors.DownloadError: as `listdir`; RetryTimeoutError, no answer in time.
    """
    tf = import_tensorflow("Reading checkpoints")
    return _asked(
        lambda: tf.train.latest_checkpoint(folder), folder, what="which checkpoint is its latest"
    )


def upload_folder(local: str, target: str, *, last: str) -> None:
    """Uploads the files of the local folder `local` to the folder `target` of a gfile file
    system (gs://), each request bounded (`copy`, `rename`): each file is copied into the hidden
    sibling folder `<parent>/.tfhub-upload-<uuid>-<name>` first, then all are moved to their
    place in `target` (overwriting a file there), the file named `last` (relative to `local`)
    last, never overwriting: `target` holds no `last` of this upload's until all its other
    files are there. An upload that fails removes what it copied or moved, except when `last`
    exists in `target` already (another export's): then only its hidden copies are removed, as
    the files moved into `target` may have replaced that export's. After a timeout no request
    is sent: a warning names the hidden folder and `target`. TensorFlow's overwrite=False is
    a check then a rename, not atomic: an export writing `last` meanwhile is overwritten. Empty
    folders are not uploaded (GCS has none).

    Raises:
        tfhub.errors.RetryTimeoutError: a request gave no answer in time.
        TensorFlow's OpError: the file system refused a request (e.g. AlreadyExistsError:
            `last` exists in `target` already).
    """
    names = sorted(
        os.path.relpath(os.path.join(top, name), local).replace(os.sep, "/")
        for top, _, files in os.walk(local)
        for name in files
    )
    names.sort(key=lambda name: name == last)  # Stable: `last` moves to the end.
    target = target.rstrip("/")
    staging = _upload_staging(target)
    done: list[str] = []  # What is in place in staging or target, to remove on failure.
    try:
        for name in names:
            copy(os.path.join(local, name), f"{staging}/{name}")
            done.append(f"{staging}/{name}")
        for index, name in enumerate(names):
            rename(f"{staging}/{name}", f"{target}/{name}", overwrite=name != last)
            done[index] = f"{target}/{name}"
    except errors.RetryTimeoutError:
        _warn_left(staging, target, moved=[path for path in done if path.startswith(target)])
        raise
    except BaseException as err:
        # Another export's marker: files in `target` may be its own, which this upload
        # overwrote (as upstream, writing in place, did); they are left, never removed.
        clashed = isinstance(err, _export_gfile_errors().AlreadyExistsError)
        _remove_quietly([path for path in done if not clashed or path.startswith(f"{staging}/")])
        raise


def _export_gfile_errors() -> Any:
    return import_tensorflow("Exporting a module").errors


def _upload_staging(target: str) -> str:
    """The hidden folder beside `target` an upload to it goes to first (inside `target` for a
    bucket itself, which has no folder beside it)."""
    import uuid  # Only here: the rest of the module names nothing at random.

    folder = target.rstrip("/")
    parent, name = folder.rsplit("/", 1)
    hidden = f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"
    return f"{folder}/{hidden}" if parent.endswith(":/") else f"{parent}/{hidden}-{name}"


def _warn_left(staging: str, target: str, *, moved: list[str]) -> None:
    """Warns that a timed-out upload left `staging`, and the files `moved` into `target`."""
    import logging  # Only here: the rest of the module logs nothing.

    logger = logging.getLogger(__name__)
    if not moved:
        logger.warning(
            "The upload to %s timed out; what it uploaded so far stays in %s (its requests "
            "may still run): delete that folder once they have ended.",
            escaped(target),
            escaped(staging),
        )
        return
    logger.warning(
        "The upload to %s timed out while moving its files there; what it uploaded so far "
        "stays in %s, and %d files it moved already stay in %s without the module's last "
        "file (its requests may still run): delete that folder and those files (%s) once "
        "they have ended.",
        escaped(target),
        escaped(staging),
        len(moved),
        escaped(target),
        ", ".join(escaped(path.removeprefix(f"{target}/")) for path in moved),
    )


def _remove_quietly(paths: list[str]) -> None:
    """Removes the files `paths` of a failed upload, each in a bounded request; a removal
    that fails or times out stops the clean-up (the upload's own error is the one raised)."""
    tf = import_tensorflow("Exporting a module")
    for path in paths:
        try:
            remove(path)
        except (tf.errors.OpError, errors.RetryTimeoutError):
            return
