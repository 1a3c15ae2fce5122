"""The writes of the tool's remote output folders. One is made ready (`empty_folder`: whether
it exists, removing it, making it; `make_folder`, `remove`) and its staged files moved into
place (`move`, a copy on the server), each call bounded on its own (`write_call`: by
TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, as `remote_calls.remote_call`), and its files
are uploaded (`upload`) with none of tfhub's: an upload is one call of TensorFlow's, which a
healthy slow upload of a big index may make long (TensorFlow's GCS_* variables bound it). A
failure or refusal of any is an OutputNotWritableError naming the path and its flag; no answer
in time, an OutputTimeoutError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ... import errors
from .remote_calls import join, remote_call

_T = TypeVar("_T")


def not_writable_error(what: str, flag: str) -> Callable[..., Exception]:
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


def write_call(
    folder: str,
    call: Callable[[Any], _T],
    question: str,
    verb: str,
    *,
    what: str,
    flag: str,
    name: str | None = None,
) -> _T:
    """`remote_call` for a write to the remote output `folder` (`what`, named by `flag`), or to its
    file or sub-folder `name`: a failure or refusal is an OutputNotWritableError, no answer in
    time an OutputTimeoutError.

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) TensorFlow's file system failed or
            refused, naming the folder (and `name`), its flag and the server's answer.
        tfhub.errors.OutputTimeoutError: (an OutputNotWritableError and TimeoutError) no
            answer in time (see `remote_calls.remote_call`), naming the path and the flag.
    """
    path = folder if name is None else join(folder, name)

    def failed(_: str, err: Any) -> Exception:
        return not_writable_error(what, flag)(folder, err, name)

    try:
        return remote_call(path, call, what=question, verb=verb, failed=failed)
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
            without an answer in time (see `remote_calls.remote_call`), naming the flag.
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
    write_call(path, lambda gfile: gfile.makedirs(path), make, "make", what=what, flag=flag)


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

    found = write_call(folder, kind, "whether it exists", "check", what=what, flag=flag, name=name)
    if not found:
        return

    def removal(gfile: Any) -> None:
        (gfile.rmtree if found == "folder" else gfile.remove)(path)

    question = f"whether it removed the old {found}"
    write_call(folder, removal, question, "remove", what=what, flag=flag, name=name)


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
    write_call(folder, rename, question, "move", what=what, flag=flag, name=name)


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
        raise not_writable_error(what, flag)(folder, err, name) from err
