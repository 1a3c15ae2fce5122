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

A remote output folder is made ready (`empty_folder`: whether it exists, removing it, making it;
`make_folder`, `remove`) and its staged files moved into place (`move`, a copy on the server)
with the same bound, each call on its own (`_write_call`), and its files are uploaded (`upload`)
with none of tfhub's: an upload is one call of TensorFlow's, which a healthy slow upload of a big
index may make long (TensorFlow's GCS_* variables bound it). A failure or refusal of any is an
OutputNotWritableError naming the path and its flag; no answer in time, an OutputTimeoutError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ... import errors

# True for paths with a scheme (gs://, s3://, hdfs://), written through tf.io.gfile: tfhub's one
# answer to "URL or local?".
from ...utils.paths import is_url as is_remote

_T = TypeVar("_T")

READ_STEP = 16 << 20  # Bytes of a remote file read in one bounded call.


def join(folder: str, name: str) -> str:
    """Joins a file name to a local or remote folder."""
    return folder.rstrip("/") + "/" + name if is_remote(folder) else os.path.join(folder, name)


def _remote(
    path: str,
    call: Callable[[Any], _T],
    *,
    what: str,
    verb: str = "read",
    failed: Callable[[str, Any], Exception] | None = None,
    key: object = None,
) -> _T:
    """Returns `call(tf.io.gfile)`, a request about the remote `path` asking `what` (in words,
    for the error), if it ends within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.

    Args:
        path: the path the request is about, named in the errors.
        call: the request.
        what: the question, in words ("whether it exists").
        verb: what could not be done to `path` if no answer comes in time ("read", "remove").
        failed: the error for `path` and TensorFlow's OpError (by default a read's,
            `gfile_io.unreadable_error`).
        key: the question's key for `within_http_timeouts` (default: `what` about `path`).

    Raises:
        tfhub.errors.UnregisteredFileSystemError: TensorFlow has no file system for the path's
            scheme (s3://; `gfile_io.refuse_unregistered`), unless `failed` gives the error.
        tfhub.errors.DownloadError: (an OSError) TensorFlow's file system failed or refused
            (a 403, a 503, a broken connection), naming the path and what to do; or the error
            `failed` gives.
        tfhub.errors.RetryTimeoutError: (a DownloadError and TimeoutError) no answer in time;
            the call goes on in its thread (TensorFlow's cannot be stopped).
    """
    from ..._http_deadline import within_http_timeouts  # Not on a local path's way.
    from ...gfile_io import refuse_unregistered, unreadable_error
    from ...utils.lazy import import_tensorflow

    tf = import_tensorflow("Remote folders (gs:// etc.)")
    try:
        refuse_unregistered(path, verb=verb)  # An s3:// path, said as everywhere.
        return within_http_timeouts(
            lambda: call(tf.io.gfile), path=path, what=what, verb=verb, key=key
        )
    except errors.UnregisteredFileSystemError as err:
        if failed is None:
            raise
        raise failed(path, err) from err
    except tf.errors.OpError as err:
        raise (failed or unreadable_error)(path, err) from err


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
        listed = _remote(folder, _entries_of(folder, kinds=False), what=_LISTING)
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
        return _remote(folder, _entries_of(folder), what=_LISTING)
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
    failure is the write's (`_write_call`), not a failed download.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as `empty_folder`.
    """
    return _write_call(folder, _entries_of(folder), _LISTING, "list", what=what, flag=flag)


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


def _not_writable(what: str, flag: str) -> Callable[..., Exception]:
    """The error for a remote output (`what`, named by `flag`) whose write TensorFlow's file
    system failed or refused (its OpError), naming the path and the server's answer."""

    def error(path: str, err: Any, name: str | None = None) -> Exception:
        """`name`: the file of the folder `path` whose write failed, if not the folder's."""
        from ...gfile_io import access_todo
        from ...utils.printable import quoted_reason
        from ..output_errors import not_writable

        if name is None:
            reason = quoted_reason(err, path)
        else:
            reason = f"its file {name}: {quoted_reason(err, join(path, name))}"
        # No file system for the scheme (s3://): its reason says what to do, not the access.
        unregistered = isinstance(err, errors.UnregisteredFileSystemError)
        todo = "Choose another folder." if unregistered else access_todo(path) + "."
        return not_writable(path, reason, what=what, flag=flag, todo=todo)

    return error


def _write_call(
    folder: str,
    call: Callable[[Any], _T],
    question: str,
    verb: str,
    *,
    what: str,
    flag: str,
    name: str | None = None,
) -> _T:
    """`_remote` for a write to the remote output `folder` (`what`, named by `flag`), or to its
    file or sub-folder `name`: a failure or refusal is an OutputNotWritableError, no answer in
    time an OutputTimeoutError.

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) TensorFlow's file system failed or
            refused, naming the folder (and `name`), its flag and the server's answer.
        tfhub.errors.OutputTimeoutError: (an OutputNotWritableError and TimeoutError) no
            answer in time (see the module's docstring), naming the path and the flag.
    """
    path = folder if name is None else join(folder, name)

    def failed(_: str, err: Any) -> Exception:
        return _not_writable(what, flag)(folder, err, name)

    try:
        return _remote(path, call, what=question, verb=verb, failed=failed)
    except errors.RetryTimeoutError as err:  # A write's: not a failed download.
        raise errors.OutputTimeoutError(
            f"{err} Received: {flag}={folder!r}", path=path, what=what
        ) from err


def empty_folder(path: str, *, what: str, flag: str) -> None:
    """Makes the remote folder `path` exist and hold nothing: removes it if it exists (with
    every file in it), then makes it. Each of those calls gets TFHUB_HTTP_TIMEOUT plus
    TFHUB_HTTP_RETRY_TIMEOUT (the removal lists the folder and deletes its files one by one:
    a handful for an index folder).

    Args:
        path: the remote folder.
        what: what it is ("index folder"), for the error.
        flag: the flag that named it, for the error.

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) TensorFlow's file system failed or
            refused, naming the path, its flag and the server's answer.
        tfhub.errors.OutputTimeoutError: (an OutputNotWritableError and TimeoutError) a call
            without an answer in time (see the module's docstring), naming the flag.
    """
    remove(path, what=what, flag=flag)
    make_folder(path, what=what, flag=flag)


def make_folder(path: str, *, what: str, flag: str) -> None:
    """Makes the remote folder `path` (and its parents), in one bounded call.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as
            `empty_folder`.
    """
    make = "whether it made the folder"
    _write_call(path, lambda gfile: gfile.makedirs(path), make, "make", what=what, flag=flag)


def remove(folder: str, name: str | None = None, *, what: str, flag: str) -> None:
    """Removes the remote `folder`, or its file or sub-folder `name`, if it exists (a folder
    with every file in it): whether it exists, and its removal, each in one bounded call.

    Args:
        folder: the remote folder (the flag's value, or a sub-folder of it).
        name: the entry of `folder` to remove (None: `folder` itself).
        what: what the output is ("embedding folder"), for the error.
        flag: the flag that named it, for the error.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as
            `empty_folder`.
    """
    path = folder if name is None else join(folder, name)

    def kind(gfile: Any) -> str:
        return ("folder" if gfile.isdir(path) else "file") if gfile.exists(path) else ""

    found = _write_call(folder, kind, "whether it exists", "check", what=what, flag=flag, name=name)
    if not found:
        return

    def removal(gfile: Any) -> None:
        (gfile.rmtree if found == "folder" else gfile.remove)(path)

    question = f"whether it removed the old {found}"
    _write_call(folder, removal, question, "remove", what=what, flag=flag, name=name)


def move(source: str, folder: str, name: str, *, what: str, flag: str) -> None:
    """Moves the remote file `source` to `name` in the remote `folder` (replacing it) in one
    bounded call: within a bucket GCS copies it on the server (nothing is downloaded), then
    deletes `source`.

    Args:
        source: the remote file.
        folder: the folder it goes to (the flag's value), on the same file system.
        name: its name there.
        what: what the output `folder` is ("embedding folder"), for the error.
        flag: the flag that named it, for the error.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as
            `empty_folder`, naming `folder` and the file.
    """

    def rename(gfile: Any) -> None:
        gfile.rename(source, join(folder, name), overwrite=True)

    question = "whether it moved the file"
    _write_call(folder, rename, question, "move", what=what, flag=flag, name=name)


def upload(local: str, folder: str, name: str, *, what: str, flag: str) -> None:
    """Copies the local file `local` to `name` in the remote `folder` (replacing it), with no time
    bound of tfhub's: TensorFlow sends it in one call, which a big file on a slow link makes
    long; its GCS_* variables bound it (GCS_REQUEST_IDLE_TIMEOUT_SECS, a stall;
    GCS_WRITE_REQUEST_TIMEOUT_SECS, an attempt; GCS_RETRY_CONFIG_MAX_RETRIES, the retries).

    Args:
        local: the file to send.
        folder: the remote folder it goes to (the flag's value).
        name: its name there.
        what: what the remote output is ("index folder"), for the error.
        flag: the flag that named it, for the error.

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) TensorFlow's file system failed or
            refused, naming `folder` and the file, the flag and the server's answer.
    """
    from ...utils.lazy import import_tensorflow

    tf = import_tensorflow("Remote folders (gs:// etc.)")
    try:
        tf.io.gfile.copy(local, join(folder, name), overwrite=True)
    except tf.errors.OpError as err:
        raise _not_writable(what, flag)(folder, err, name) from err
