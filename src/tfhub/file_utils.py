"""tensorflow_hub's `file_utils` module path: extracting a tar archive into a folder (local, or
a tf.io.gfile URL such as gs://), with upstream's names.

`extract_tarfile_to_destination` uses tfhub's own extraction, which refuses what upstream's let
through or half-wrote (a member that would land outside the folder, a link out of it, a
device, an archive that expands beyond TFHUB_MAX_EXTRACTED_BYTES) and names what is wrong.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Callable, Iterator
from typing import Any

from . import _archive, errors, gfile_io
from .utils.lazy import import_tensorflow
from .utils.paths import is_url
from .utils.printable import escaped
from .utils.temp_folders import temporary_folder

__all__ = ["extract_file", "extract_tarfile_to_destination", "merge_relative_path"]


def extract_file(
    tgz: Any,
    tarinfo: Any,
    dst_path: str,
    buffer_size: int = 10 << 20,
    log_function: Callable[[int], Any] | None = None,
) -> None:
    """Copies the member `tarinfo` of the open `tarfile.TarFile` `tgz` to the file `dst_path`
    (a local path or a tf.io.gfile URL; a str, bytes or os.PathLike); `log_function(n)` is
    called per chunk of n bytes. A member that is no file (a folder, a device) writes nothing;
    a link's target in the archive is copied (as tarfile's `extractfile` gives it). For a URL
    (gs://) the member is copied to a file in TMPDIR first (TensorFlow's GCS writer stages
    its upload there too: room for twice the member), then sent in one request bounded as
    `extract_tarfile_to_destination`'s are: an upload that takes longer than
    TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT in all is cut (set the latter higher for
    a big member on a slow link).

    Raises:
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) a URL's file system
            gave no answer to the upload within TFHUB_HTTP_TIMEOUT plus
            TFHUB_HTTP_RETRY_TIMEOUT, naming `dst_path`.
        tensorflow.errors.OpError: TensorFlow's file system refused the write (as upstream's).
        tfhub.errors.TempFolderError: (a FileNotFoundError) for a URL, Python has no temporary
            folder it can use (set TMPDIR).
        tfhub.errors.DiskFullError: (a CacheError) for a URL, the temporary folder has no room
            for the member, naming it and TMPDIR.
    """
    source = tgz.extractfile(tarinfo)
    if source is None:
        return
    if not gfile_io.is_url(dst_path):  # A str, bytes or os.PathLike, as GFile takes.
        gfile = import_tensorflow("file_utils.extract_file").io.gfile
        with source, gfile.GFile(dst_path, "wb") as target:
            _copy_chunks(source, target, buffer_size, log_function)
        return
    with source, _staging_folder(dst_path) as local:
        staged = os.path.join(local, "member")
        with open(staged, "wb") as target:
            _copy_chunks(source, target, buffer_size, log_function)
        gfile_io.copy(staged, os.fsdecode(dst_path), overwrite=True)


def _copy_chunks(
    source: Any, target: Any, buffer_size: int, log_function: Callable[[int], Any] | None
) -> None:
    """Copies `source` to `target` (binary files), `buffer_size` bytes at a time, calling
    `log_function(n)` after each chunk of n bytes."""
    while chunk := source.read(buffer_size):
        target.write(chunk)
        if log_function is not None:
            log_function(len(chunk))


def extract_tarfile_to_destination(
    fileobj: Any, dst_path: str, log_function: Callable[[int], Any] | None = None
) -> None:
    """Extracts the tar archive (plain or compressed) read from `fileobj` into `dst_path` (made
    if missing; a gs:// folder is written after a complete local extraction);
    `log_function(n)` is called with each extracted file's size.

    Raises:
        tfhub.errors.NotAnArchiveError: (an IOError; upstream's let tarfile.ReadError out)
            content that is not a tar archive, naming `fileobj.name` and how it starts.
        tfhub.errors.ArchiveError: a damaged archive; `UnsafeArchiveError` for a member that
            would be written outside `dst_path` or is a link or device; nothing is written to
            a remote `dst_path` then.
        tfhub.errors.CacheError: a local `dst_path` cannot be created.
        tfhub.errors.TempFolderError: (a FileNotFoundError) for a URL `dst_path`, Python has
            no temporary folder it can use (set TMPDIR).
    """
    result = extract_into(fileobj, dst_path, source=str(getattr(fileobj, "name", "the archive")))
    if log_function is not None:
        for size, _ in result.files.values():
            log_function(size)


def extract_into(fileobj: Any, dst_path: str, *, source: str) -> _archive.ExtractResult:
    """Extracts the tar archive read from `fileobj` into `dst_path`: a local folder, made if
    missing (as upstream's extraction made each member's folders), or a tf.io.gfile URL
    (gs://), written after a complete local extraction.

    Args:
        fileobj: a binary file object with `read(n)`.
        dst_path: the folder to fill.
        source: the archive's URL or path, named in errors.

    Returns:
        What `_archive.extract` returns.

    Raises:
        tfhub.errors.CacheError: a local `dst_path` cannot be created (naming it and why).
        tfhub.errors.RetryTimeoutError: a tf.io.gfile `dst_path` whose file system gave no
            answer to a request within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
        tfhub.errors.TempFolderError: (a FileNotFoundError) for a URL `dst_path`, Python has
            no temporary folder it can use (set TMPDIR).
        The errors of `_archive.extract`.
    """
    dst_path = os.fsdecode(dst_path)  # Also bytes or an os.PathLike.
    if not gfile_io.is_url(dst_path):
        _make_folder(dst_path, source=source)
        return _archive.extract_fileobj(fileobj, dst_path, source=source)
    with _staging_folder(dst_path) as local:
        result = _archive.extract_fileobj(fileobj, local, source=source)
        for rel in sorted(result.files):
            target = merge_relative_path(dst_path, rel)
            gfile_io.makedirs(posixpath.dirname(target))
            gfile_io.copy(os.path.join(local, rel), target, overwrite=True)
    return result


@contextlib.contextmanager
def _staging_folder(dst_path: str) -> Iterator[str]:
    """A new folder in Python's temporary folder (TMPDIR) for what is sent to the URL
    `dst_path`, removed afterwards.

    Raises:
        tfhub.errors.TempFolderError: (a FileNotFoundError) Python has no temporary folder it
            can use, naming `dst_path` and TMPDIR.
        tfhub.errors.DiskFullError: (a CacheError) the temporary folder's disk filled up while
            in use, naming it and TMPDIR; a CacheError for a file over the file-size limit.
    """
    with temporary_folder("tfhub-extract-", needer=f"Writing to {escaped(dst_path)}") as path:
        try:
            yield path
        except OSError as err:
            if err.errno not in (*errors.DISK_FULL_ERRNOS, errno.EFBIG):
                raise
            # os.strerror: an extraction's own error puts a whole sentence in `strerror`.
            where = (
                f"{os.strerror(err.errno)} in the temporary folder "
                f"{escaped(os.path.dirname(path))} (TMPDIR), where what is written to "
                f"{escaped(dst_path)} is put first."
            )
            if err.errno == errno.EFBIG:  # `ulimit -f`, or a file system's size limit.
                raise errors.CacheError(
                    err.errno,
                    f"{where} A file is larger than the file-size limit (`ulimit -f`) or that "
                    "file system allows: raise the limit, or set TMPDIR to a folder on another "
                    "file system.",
                    path=path,
                ) from err
            raise errors.DiskFullError(
                err.errno,
                f"{where} Free space there, or set TMPDIR to a folder with room for it.",
                path=path,
                remedy="Free space in TMPDIR, or set TMPDIR to a folder with room for it.",
            ) from err


def _make_folder(dst_path: str, *, source: str) -> None:
    """Creates the local folder `dst_path` (and its parents) if missing.

    Raises:
        tfhub.errors.CacheError: it cannot be created, naming it, `source` and why.
    """
    try:
        os.makedirs(dst_path, exist_ok=True)
    except OSError as err:
        raise errors.CacheError(
            err.errno,
            f"Cannot create the folder {escaped(dst_path)} to extract {source} into: "
            f"{err.strerror}. Check that path (a file on it?) and its permissions.",
            path=dst_path,
        ) from err


def merge_relative_path(dst_path: str, rel_path: str) -> str:
    """Joins an archive member's path to a destination folder (a local path or a URL).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError, as upstream's) `rel_path` would lead out of
            `dst_path`.
    """
    join, normpath = (
        (posixpath.join, posixpath.normpath)
        if is_url(dst_path)
        else (os.path.join, os.path.normpath)
    )
    relative = normpath(rel_path.lstrip("/"))
    if relative == ".":
        return dst_path
    merged = join(dst_path, relative)
    if relative == ".." or relative.startswith(("../", "..\\")) or not merged.startswith(dst_path):
        raise errors.ArgumentError(
            f"Relative path {rel_path!r} is invalid: it leads out of {dst_path!r}. Received: "
            f"rel_path={rel_path!r}"
        )
    return merged
