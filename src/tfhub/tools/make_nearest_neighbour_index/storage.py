"""Local or remote files alike: a path with a scheme (gs://, s3://, hdfs://) goes through
tf.io.gfile (TensorFlow imported then only), any other through the local file system. A remote
read that TensorFlow's file system fails or refuses is a DownloadError naming the path (as for
a gs:// handle), not TensorFlow's bare OpError; one that gives no answer within
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (a GCS listing that always offers another
page, an object that trickles) is a RetryTimeoutError naming it (`within_http_timeouts`, as a
gs:// handle's check). A file is read in steps of READ_STEP bytes, each with that time, by
the reader of gs:// handles (`gfile_io.read_steps`), so a big index is not cut while each
step arrives in time; a link slower than that (16 MiB, or a
block of TensorFlow's GCS reader if bigger: GCS_READ_CACHE_BLOCK_SIZE_MB, within the time) is
cut, and the error says how much it waited for. `local_copies` copies remote files so, for
readers with no bound of their own (tf.data's TFRecordDataset).

The writes of a remote output folder are storage_writes' (re-exported here); both make their
remote calls through remote_calls."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from ... import errors

# True for paths with a scheme (gs://, s3://, hdfs://), written through tf.io.gfile: tfhub's one
# answer to "URL or local?".
from ...utils.paths import is_url as is_remote
from .remote_calls import join as join
from .remote_calls import remote_call
from .storage_writes import empty_folder as empty_folder
from .storage_writes import make_folder as make_folder
from .storage_writes import move as move
from .storage_writes import not_writable_error as _not_writable  # noqa: F401 (its old name)
from .storage_writes import remove as remove
from .storage_writes import upload as upload
from .storage_writes import write_call

READ_STEP = 16 << 20  # Bytes of a remote file read in one bounded call.


def exists(path: str) -> bool:
    """Whether a local or remote file exists.

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses to say, or
            (RetryTimeoutError) does not say in time (see the module's docstring).
    """
    if is_remote(path):
        from ... import gfile_io  # The gs:// resolver's own check: the same bound and error.

        return gfile_io.exists(path)
    return os.path.exists(path)


def list_names(folder: str) -> list[str]:
    """The names in a local or remote folder ([] if it is not a folder), listed, not globbed:
    the folder's own name may hold glob characters (`emb[1]`, `a*b`).

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses to list it, or
            (RetryTimeoutError) does not within its time (see the module's docstring).
    """
    if is_remote(folder):  # Not asking each entry whether it is a folder (`list_entries`).
        listed = remote_call(folder, _entries_of(folder, kinds=False), what=_LISTING)
        return [name for name, _ in listed]
    return os.listdir(folder) if os.path.isdir(folder) else []


def list_entries(folder: str) -> list[tuple[str, bool]]:
    """(name, whether it is a folder) for each entry of a local or remote folder, as
    `list_names` lists them. A GCS listing marks a folder with a trailing slash; other remote
    file systems (hdfs://, ram://) are asked of each entry, in the same bounded call.

    Raises:
        tfhub.errors.DownloadError: as `list_names`.
    """
    if is_remote(folder):
        return remote_call(folder, _entries_of(folder), what=_LISTING)
    if not os.path.isdir(folder):
        return []
    return [(name, os.path.isdir(os.path.join(folder, name))) for name in os.listdir(folder)]


_LISTING = "which names the folder holds"


def _entries_of(folder: str, *, kinds: bool = True) -> Callable[[Any], list[tuple[str, bool]]]:
    """The call (given tf.io.gfile) that lists the remote `folder` for `list_entries` (with
    `kinds`; without, an entry is a folder only if the listing marks it so)."""

    def entries(gfile: Any) -> list[tuple[str, bool]]:
        # exists() first: isdir(), which listdir() also asks, answers False for a listing
        # refused (403) or failing (503), where exists() raises.
        if not gfile.exists(folder) or not gfile.isdir(folder):
            return []
        marked = folder.startswith("gs://")

        def is_folder(name: str) -> bool:
            slash = name.endswith("/")
            return slash or (kinds and not marked and bool(gfile.isdir(join(folder, name))))

        return [(name.rstrip("/"), is_folder(name)) for name in gfile.listdir(folder)]

    return entries


def list_output_entries(folder: str, *, what: str, flag: str) -> list[tuple[str, bool]]:
    """`list_entries` of a remote output folder (`what`, named by `flag`) being written: its
    failure is the write's (`write_call`), not a failed download.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as `empty_folder`.
    """
    return write_call(folder, _entries_of(folder), _LISTING, "list", what=what, flag=flag)


def read_bytes(path: str) -> bytes:
    """Reads a local or remote file.

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses the read, or
            (RetryTimeoutError) a step of it that does not end in time (see the module's
            docstring).
        OSError: a local file that cannot be read.
    """
    if is_remote(path):
        return b"".join(_remote_chunks(path))
    with open(path, "rb") as handle:
        return handle.read()


def _remote_chunks(path: str) -> Iterator[bytes]:
    """The bytes of a remote file, READ_STEP at most at a time, read by `gfile_io.read_steps`
    (the bounded reader of gs:// handles and models: each read call bounded, and its own). A
    missing file is a DownloadError here, as any other failed read (exit 4), not the reader's
    ModelNotFoundError ("Check the handle"): the tool reads the folders its flags name."""
    from ... import gfile_io  # Not on a local path's way.

    try:
        yield from gfile_io.read_steps(path, step=READ_STEP)
    except errors.ModelNotFoundError as err:
        raise gfile_io.unreadable_error(path, err.__cause__) from err.__cause__


@contextlib.contextmanager
def local_copies(paths: list[str]) -> Iterator[list[str]]:
    """Yields local files with the contents of `paths` (files of one folder): `paths` itself
    if they are local, else copies in a `tfhub-copy-*` folder in TMPDIR, of the same names,
    each read in bounded steps (READ_STEP bytes in memory at a time; see the module's
    docstring) and removed however the block ends. For readers such as tf.data's
    TFRecordDataset that read a remote file with no time bound.

    Raises:
        tfhub.errors.DownloadError: a remote file system that fails or refuses a read, or
            (RetryTimeoutError) a step of it that does not end in time.
        tfhub.errors.OutputNotWritableError: (an OSError) the copies cannot be written in
            TMPDIR (a full disk, a quota, a read-only folder), naming it and what to do.
    """
    if not any(is_remote(path) for path in paths):
        yield paths
        return
    import shutil
    import tempfile

    folder, path = "", paths[0]
    try:
        try:
            folder = tempfile.mkdtemp(prefix="tfhub-copy-")
            copies = []
            for path in paths:
                copies.append(os.path.join(folder, path.rstrip("/").rsplit("/", 1)[-1]))
                with open(copies[-1], "wb") as out:
                    for chunk in _remote_chunks(path):
                        out.write(chunk)
        except OSError as err:
            if isinstance(err, errors.TFHubError):  # A remote read's DownloadError.
                raise
            raise _copies_not_written(err, path) from err
        yield copies
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _copies_not_written(err: OSError, remote: str) -> Exception:
    """The error for the local copy of the remote file `remote` that TMPDIR does not take
    (`err`: a full disk, a quota, a read-only folder)."""
    import tempfile

    from ...utils.printable import escaped
    from ..output_errors import not_written

    what = f"copy of {escaped(remote)} in the temporary folder"
    return not_written(err, tempfile.gettempdir(), what=what, flag="TMPDIR")
