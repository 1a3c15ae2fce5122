"""tensorflow_hub 0.10.0's private helpers of its `resolver` module, which `tfhub.resolver` gives.

What tests and custom resolvers written against tensorflow_hub import from its `resolver` (its
resolver_test.py plants a download's lock with `_lock_filename` and `_lock_file_contents`,
reads the descriptor at `_module_descriptor_file`, sizes a download's temporary folder with
`_dir_size`): upstream's names and results over tfhub's cache layout, which keeps upstream's
file names (rf57f-F2). tfhub's own cache (`tfhub.download`, `tfhub.cache`) does not use them.

Those that call another of these names (`_lock_filename`, `_temp_download_dir`,
`_locked_tmp_dir_size`, `_write_module_descriptor_file`) live in `tfhub.resolver`, so that a
patch of that name on `tfhub.resolver` reaches them, as in tensorflow_hub; their leaf parts
(`_is_not_found`, `_write_descriptor`) are here.
"""

from __future__ import annotations

import os
import sys

from . import constants
from .utils.paths import is_url

_TFHUB_CACHE_DIR = constants.TFHUB_CACHE_DIR
_TFHUB_DOWNLOAD_PROGRESS = constants.TFHUB_DOWNLOAD_PROGRESS
_TFHUB_MODEL_LOAD_FORMAT = constants.TFHUB_MODEL_LOAD_FORMAT


def _merge_relative_path(dst_path: str, rel_path: str) -> str:
    """`file_utils.merge_relative_path`: an archive member's path joined to `dst_path`.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) `rel_path` leads out of `dst_path`.
    """
    from .file_utils import merge_relative_path

    return merge_relative_path(dst_path, rel_path)


def _module_descriptor_file(module_dir: str) -> str:
    """Returns the descriptor file of the entry `module_dir` (`<module_dir>.descriptor.txt`)."""
    return f"{module_dir}.descriptor.txt"


def _write_descriptor(handle: str, path: str) -> None:
    """Writes (replaces) the descriptor file `path` in upstream's format: the handle
    (credentials hidden), the time, this host and process id; never half-written
    (`tfhub.resolver._write_module_descriptor_file`, which names the file).

    Raises:
        tfhub.errors.CacheError: a local descriptor cannot be written (full disk, read-only).
    """
    from .cache import bookkeeping

    upstream_lines = bookkeeping.descriptor_text(handle).splitlines()[:3]  # Not tfhub's mark.
    text = "\n".join(upstream_lines)
    if is_url(path):
        from . import gfile_io

        gfile_io.write_text(path, text)
    else:
        bookkeeping.atomic_write_text(path, text)


def _lock_file_contents(task_uid: str) -> str:
    """Returns what a download's lock file holds: `<host>.<pid>.<task_uid>`."""
    import socket

    return f"{socket.gethostname()}.{os.getpid()}.{task_uid}"


def _module_dir(lock_filename: str) -> str:
    """Returns the entry folder of the lock file `lock_filename` (its name less `.lock`).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError, as upstream's) the name does not end in
            `.lock`.
    """
    if not lock_filename.endswith(".lock"):
        from . import errors

        raise errors.ArgumentError(
            f"Lock file name ({lock_filename}) has to end with .lock. "
            f"Received: lock_filename={lock_filename!r}"
        )
    return lock_filename[: -len(".lock")]


def _task_uid_from_lock_file(lock_filename: str) -> str:
    """Returns the task uid a lock file names (what follows its content's last dot)."""
    if is_url(lock_filename):
        from . import gfile_io

        return gfile_io.read_bytes(lock_filename).decode("utf-8", "replace").split(".")[-1]
    with open(lock_filename, encoding="utf-8", errors="replace") as text:
        return text.read().split(".")[-1]


def _dir_size(directory: str) -> int:
    """Returns the size in bytes of the files under `directory` (local, or a tf.io.gfile URL),
    as upstream's: a link to a folder counts what that folder holds, a link to a file its size
    (a link leading nowhere counts 0: tfhub's extraction may leave one); a link back to a
    folder being counted is not walked again (upstream's recursion never ended).

    Raises:
        tf.errors.NotFoundError: (TensorFlow's own class, as upstream's `ListDirectory`
            raised; TensorFlow is imported then) `directory`, or a folder in it, is missing or
            not a folder: "Could not find directory X".
        tf.errors.PermissionDeniedError: (TensorFlow's, as upstream's) a local folder in it
            this user may not list: "X; Permission denied".
        tfhub.errors.UnregisteredFileSystemError: a URL of a file system TensorFlow has not
            registered (s3://).
        tfhub.errors.DownloadError: a URL's folder cannot be listed; OSError, a local folder
            cannot for another reason (an I/O error).
    """
    try:
        return _counted(directory)
    except (FileNotFoundError, NotADirectoryError) as err:
        raise _folder_not_found(getattr(err, "path", None) or err.filename or directory) from None
    except PermissionError as err:
        raise _permission_denied(err.filename or directory) from None


def _counted(directory: str) -> int:
    """`_dir_size` of a folder that exists; FileNotFoundError (or NotADirectoryError) if it,
    or a folder in it, does not."""
    if is_url(directory):
        return _gfile_dir_size(directory)
    return _local_dir_size(directory, frozenset())


def _local_dir_size(folder: str, ancestors: frozenset[str]) -> int:
    """The size of the files under the local `folder`, links followed; `ancestors` are the
    real paths of the folders counting it (a link back to one of them counts 0)."""
    real = os.path.realpath(folder)
    if real in ancestors:
        return 0
    total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():  # Through a link too, as upstream's `Stat`.
                total += _local_dir_size(entry.path, ancestors | {real})
                continue
            try:
                total += entry.stat().st_size
            except FileNotFoundError:  # A link leading nowhere.
                continue
    return total


def _gfile_dir_size(folder: str) -> int:
    """The size of the files under a tf.io.gfile `folder`, each request bounded (`gfile_io`).

    Raises:
        tfhub.errors.ModelNotFoundError: (a FileNotFoundError) the folder is missing
            (TensorFlow's NotFoundError).
    """
    from . import errors, gfile_io
    from .utils.lazy import tensorflow as tf  # Imported by gfile_io before any error.

    try:
        tops = gfile_io.walk(folder)
        return sum(
            gfile_io.size(f"{top.rstrip('/')}/{name}") for top, names in tops for name in names
        )
    except errors.UnregisteredFileSystemError:
        raise
    except errors.DownloadError as err:
        if isinstance(err.__cause__, tf.errors.NotFoundError):
            raise errors.ModelNotFoundError(f"{folder} does not exist.", path=folder) from err
        raise


def _folder_not_found(folder: str) -> Exception:
    """TensorFlow's NotFoundError for a folder that is missing, in upstream's words."""
    from .utils.lazy import import_tensorflow
    from .utils.redact import redact

    tf = import_tensorflow("tensorflow_hub's resolver._dir_size")
    return tf.errors.NotFoundError(None, None, f"Could not find directory {redact(folder)}")


def _permission_denied(folder: str) -> Exception:
    """TensorFlow's PermissionDeniedError for a folder this user may not list, in upstream's
    words."""
    from .utils.lazy import import_tensorflow
    from .utils.redact import redact

    tf = import_tensorflow("tensorflow_hub's resolver._dir_size")
    return tf.errors.PermissionDeniedError(None, None, f"{redact(folder)}; Permission denied")


def _is_not_found(err: BaseException) -> bool:
    """Whether `err` is TensorFlow's NotFoundError (what `_dir_size` raises for a missing
    folder), without importing TensorFlow (if it is not imported, `err` is not one)."""
    tf = sys.modules.get("tensorflow")
    not_found = getattr(getattr(tf, "errors", None), "NotFoundError", None)
    return isinstance(not_found, type) and isinstance(err, not_found)


def _absolute(path: str) -> str:
    """`path` made absolute if local (a URL as given), as upstream's `tf_utils.absolute_path`."""
    return path if is_url(path) else os.path.abspath(path)
