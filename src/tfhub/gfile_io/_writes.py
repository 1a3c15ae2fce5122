"""Writes (a cache on a gfile filesystem).

Each function below is one bounded request (or a few, as one question) of TensorFlow's about
a path of a cache on gs:// (or any tf.io.gfile filesystem): it ends within TFHUB_HTTP_TIMEOUT
plus TFHUB_HTTP_RETRY_TIMEOUT, else a RetryTimeoutError names the path and both settings.
TensorFlow's GCS writer waits for an upload's answer up to an hour, then retries. Each call
is a request of its own (its key numbered): none waits behind another that is stuck (a stuck
`makedirs` of the cache folder held back every entry's copy). A call that timed out runs on
in its thread until TensorFlow's request ends; `landing(paths)` says which still do, by the
paths they change. What the file system refuses (a 403, no such file) is raised as
TensorFlow's OpError: the cache says what it was writing (`tfhub.cache.remote` turns it into
a CacheError quoting it).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from .. import constants, errors
from ..utils.lazy import import_tensorflow
from ..utils.printable import escaped
from ._requests import _bounded

_T = TypeVar("_T")

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
    from ..utils.threads import running_keys

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
