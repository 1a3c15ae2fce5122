"""The local copy `tfhub mirror` publishes from, for a model folder read in place (gs://, or
another tf.io.gfile file system): listed and read through `tfhub.gfile_io` (each listing and
read call bounded by TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, its failures tfhub's
errors naming the path), confined to the copy's folder (an object named `model/../../x` is
refused, not written outside it; so is `model//x`, not read as `model/x`), and bounded in size
by TFHUB_MAX_EXTRACTED_BYTES (the bytes sent, not the sizes the bucket states)."""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Iterator

from .. import constants, errors
from ..utils.paths import is_url
from ..utils.printable import escaped
from ..utils.temp_folders import temporary_folder


@contextlib.contextmanager
def local_copy(path: str) -> Iterator[str]:
    """Yields `path` itself if it is local, else a temporary local copy of it (removed however
    the block ends).

    Raises:
        tfhub.errors.DownloadError: a listing or read failed, was refused, or (RetryTimeoutError)
            gave no answer in time.
        tfhub.errors.ModelNotFoundError: a listed file is gone.
        tfhub.errors.MirrorTooLargeError: the files pass TFHUB_MAX_EXTRACTED_BYTES.
        tfhub.errors.NotAModelError: a file or folder whose name leaves the folder (`..`); or
            the block found the copy no model (the error then names `path`, not the copy).
        tfhub.errors.PublishWriteError: (an OSError) the copy cannot be written in TMPDIR (a
            full disk, a quota), naming TMPDIR and what to do.
    """
    if not is_url(path):
        yield path
        return
    with temporary_folder("tfhub-mirror-", needer=f"Mirroring {escaped(path)}") as tmp:
        try:
            _copy_folder(path, tmp)
        except OSError as err:
            if isinstance(err, errors.TFHubError):
                raise
            raise _write_error(path, tmp, err) from err
        try:
            yield tmp
        except errors.NotAModelError as err:  # Named after the source: the copy will be gone.
            message = str(err).replace(tmp, path)
            raise errors.NotAModelError(message, path=path, reason=err.reason) from err


def _write_error(path: str, tmp: str, err: OSError) -> errors.PublishWriteError:
    """The error for the copy of the folder `path` that its local folder `tmp` (in TMPDIR) did
    not take (`err`): a full disk, a quota, or a name longer than a local file's may be."""
    todo = "Free space in TMPDIR, or set TMPDIR to a folder with room for the model"
    if err.errno == errno.ENAMETOOLONG and err.filename:  # GCS allows 1024 bytes, most disks 255.
        name = os.fspath(err.filename).replace(tmp, path.rstrip("/"), 1)
        todo = f"The name of {escaped(name)} is too long for a local file: rename that object"
    return errors.PublishWriteError(
        f"Cannot copy {escaped(path)} into a local folder to publish it from "
        f"({tmp}: {err.strerror or err}). {todo}; nothing was published.",
        path=tmp,
        errno=err.errno,
    )


def _copy_folder(path: str, tmp: str) -> None:
    """Copies the files of the remote folder `path` into the local folder `tmp`."""
    from .. import gfile_io  # Imports TensorFlow: not on a local folder's way.

    limit, total = constants.max_extracted_bytes(), 0
    for folder, names in gfile_io.walk(path):
        for name in names:
            # As listed: a folder `model//` (an object `model//x`) keeps both slashes.
            remote = f"{folder}{name}" if folder.endswith("/") else f"{folder}/{name}"
            target = _target(tmp, _relative(path, remote), remote)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with gfile_io.open_binary(remote) as source, open(target, "wb") as copy:
                while chunk := source.read(gfile_io.READ_STEP):
                    total += len(chunk)
                    _check_copied_size(total, limit, remote, path)
                    copy.write(chunk)


def _relative(path: str, remote: str) -> str:
    """The path of the file `remote` inside the folder `path`, as the listing names it."""
    base = path.rstrip("/") + "/"
    return remote[len(base) :] if remote.startswith(base) else remote


def _target(tmp: str, relative: str, remote: str) -> str:
    """Where the file `remote`, at `relative` in its folder, goes in `tmp`.

    Raises:
        tfhub.errors.NotAModelError: a name with a `..` part, or none left (`.`, `/`), or
            one starting with `/` (an object `model//x`, with an empty part after `model/`).
    """
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts or posixpath.isabs(relative):
        raise errors.NotAModelError(
            f"{escaped(remote)} would be written outside the folder the model is copied into, "
            f"at {escaped(relative)!r}: refused (a bucket's object names may hold '..'). Remove "
            "or rename it.",
            path=remote,
            reason=f"a file name that leaves the folder: {escaped(relative)}",
        )
    return os.path.join(tmp, *parts)


def _check_copied_size(total: int, limit: int, file: str, folder: str) -> None:
    """Raises MirrorTooLargeError if the files copied of a model folder, up to and including
    `file`, pass `limit` (TFHUB_MAX_EXTRACTED_BYTES, the bound of an archive's contents)."""
    if total > limit:
        name = constants.TFHUB_MAX_EXTRACTED_BYTES
        raise errors.MirrorTooLargeError(
            f"Mirroring {folder} is refused at {file}: its files pass {limit:,} bytes, the "
            f"limit set by {name}. If the model is that big, set {name} higher (bytes, or with "
            "a K/M/G/T suffix).",
            path=file,
            limit=limit,
        )
