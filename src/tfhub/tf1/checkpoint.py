"""Initialising a module's variables from a checkpoint on any `tf.io.gfile` filesystem, and
saying what is wrong with a checkpoint TensorFlow cannot read: which file is missing, cut short
or damaged (`missing_file`, `data_shortfall`; for a TF1 export, `damaged_index_error` and
`restore_checked`)."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .. import _tf_private, errors, gfile_io
from ..model_damage import is_access_error
from ..utils.lazy import tensorflow as tf
from ..utils.printable import escaped
from .checkpoint_shards import cut_short, damaged_files, shown_files

logger = logging.getLogger(__name__)


def _prefix_taken_for_folder(checkpoint_path: str) -> bool:
    """True if `checkpoint_path` is a checkpoint prefix that the filesystem calls a folder.

    TensorFlow's `ram://` filesystem reports any prefix of a file name as a folder, so
    `tf.compat.v1.train.init_from_checkpoint` would look for a `checkpoint` file under
    `.../variables/variables` instead of reading `.../variables/variables.index`.

    Raises:
        tfhub.errors.DownloadError: the file system cannot answer (`gfile_io`);
            RetryTimeoutError: no answer within TFHUB_HTTP_TIMEOUT plus
            TFHUB_HTTP_RETRY_TIMEOUT (a gs:// listing that always offers another page).
    """
    return gfile_io.is_dir(checkpoint_path) and gfile_io.exists(checkpoint_path + ".index")


def init_from_checkpoint(checkpoint_path: str, variable_map: Mapping[str, Any]) -> None:
    """Makes the initializers of `variable_map`'s variables read them from the checkpoint.

    Args:
        checkpoint_path: a checkpoint prefix (or a folder with a `checkpoint` file), local or
            any tf.io.gfile URL.
        variable_map: {name in the checkpoint: Variable, or list of partitions}.

    Raises:
        tfhub.errors.TFHubLoadError: (a ValueError, as TensorFlow raised) if a variable is
            missing from the checkpoint or has another shape.
    """
    if not _prefix_taken_for_folder(checkpoint_path):
        try:
            tf.compat.v1.train.init_from_checkpoint(checkpoint_path, dict(variable_map))
        except ValueError as err:  # A variable it lacks, or holds in another shape.
            raise errors.TFHubLoadError(
                f"The checkpoint {checkpoint_path} does not hold the module's variables: {err}"
            ) from err
        return
    shapes = tf.compat.v1.train.NewCheckpointReader(checkpoint_path).get_variable_to_shape_map()
    for name, variable in sorted(variable_map.items()):
        shape = full_shape(variable)
        if name not in shapes or not shape.is_compatible_with(shapes[name]):
            raise errors.TFHubLoadError(
                f"The checkpoint {checkpoint_path} has no variable {name!r} of shape "
                f"{shape} (it holds {shapes.get(name, 'no such variable')})."
            )
        # The same initializer that init_from_checkpoint sets, without its folder lookup.
        _tf_private.set_checkpoint_initializer(variable, checkpoint_path, name)


def unreadable(checkpoint_path: str) -> Exception | None:
    """Why `checkpoint_path` is not a checkpoint that `init_from_checkpoint` can read (neither a
    checkpoint prefix nor a folder whose `checkpoint` file names one), or None if it is.

    TensorFlow's own answer comes late and raw: a NotFoundError ("Unsuccessful
    TensorSliceReader constructor") for a prefix without files.

    Raises:
        tfhub.errors.DownloadError: the file system cannot answer (`gfile_io`);
            RetryTimeoutError: a look-up (on gs://, a listing that pages on) gave no answer
            within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    checkpoint_path = os.fsdecode(checkpoint_path)  # Also bytes or an os.PathLike.
    if _prefix_taken_for_folder(checkpoint_path):
        return None
    try:
        prefix = checkpoint_path
        if gfile_io.is_dir(checkpoint_path):  # As tf.train.load_checkpoint: its latest one.
            prefix = gfile_io.latest_checkpoint(checkpoint_path) or ""
            if not prefix:  # TensorFlow's ValueError, as load_checkpoint said it.
                return ValueError(
                    f"Couldn't find 'checkpoint' file or checkpoints in given directory "
                    f"{checkpoint_path}"
                )
        gfile_io.checkpoint_reader(prefix)  # Its lookup of the files bounded (gs://).
    except (tf.errors.OpError, ValueError) as err:
        return err
    return None


def missing_file(checkpoint_path: str) -> str | None:
    """Which file of the checkpoint `checkpoint_path` (a prefix, `<module>/variables/variables`)
    is missing, e.g. "variables/variables.index is missing", or None if none is: its folder, its
    index, or a data shard (`<prefix>.data-00001-of-00002`: the first absent one).

    TensorFlow's own answer names the prefix, not the file: a NotFoundError ("Unsuccessful
    TensorSliceReader constructor") for a missing index or folder, only at the session's
    initialization for a missing data file.

    Raises:
        tfhub.errors.DownloadError: the file system cannot answer (`gfile_io`).
    """
    paths = posixpath if gfile_io.is_url(checkpoint_path) else os.path
    folder, prefix = paths.split(checkpoint_path)
    shown = paths.basename(folder)
    if not gfile_io.exists(f"{checkpoint_path}.index"):
        if gfile_io.is_file(checkpoint_path):  # A V1 checkpoint: one file, no index.
            return None
        if not gfile_io.is_dir(folder):
            return f"{shown}/ is missing"
        return f"{shown}/{prefix}.index is missing"
    absent = absent_shard(prefix, gfile_io.listdir(folder))
    return None if absent is None else f"{shown}/{absent} is missing"


def absent_shard(prefix: str, names: Iterable[str]) -> str | None:
    """The name of a data file of the checkpoint `prefix` that the folder listing `names`
    lacks: "variables.data-*" if it has none, else the first absent one of "-of-N" (stopping
    there: a hostile "-of-99999999" costs as many lookups as there are shards). A data file is
    named as TensorFlow names it, `<prefix>.data-<i>-of-<N>` in ASCII digits (`int` would read
    "٣" as 3 and refuse "²" and 4,300 digits, none of which TensorFlow writes)."""
    present = {name.rstrip("/") for name in names}
    shard_name = re.compile(re.escape(f"{prefix}.data-") + "[0-9]+-of-([0-9]{1,12})")
    counts = sorted(match[1] for name in present if (match := shard_name.fullmatch(name)))
    if not counts:
        return f"{prefix}.data-*"
    count = counts[0]
    for number in range(int(count)):
        name = f"{prefix}.data-{number:05d}-of-{count}"
        if name not in present:
            return name
    return None


def data_shortfall(checkpoint_path: str) -> str | None:
    """What the sizes alone show wrong with a checkpoint: data files that hold fewer bytes than
    the fixed-size tensors of its index take (a file cut short by an interrupted copy or
    download). Reads the index and the data files' sizes, not the tensors: cheap. In graph mode
    the tensors are read only when the user's session initializes the variables, where
    TensorFlow says "Read less bytes than requested" and names no file.

    Returns:
        The problem, or None if the sizes add up or cannot be read, or a file is missing
        (`missing_file`: loading then says why).

    Raises:
        tfhub.errors.RetryTimeoutError: a lookup or listing of the checkpoint's files, or a
            size, gave no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT
            (`gfile_io`): loading would wait for it too.
    """
    try:
        reader = gfile_io.checkpoint_reader(checkpoint_path)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
        paths = posixpath if gfile_io.is_url(checkpoint_path) else os.path
        folder, prefix = paths.split(checkpoint_path)
        names = gfile_io.listdir(folder)
        if absent_shard(prefix, names) is not None:
            return None  # Missing, not cut short: `missing_file` says which.
        shards = [paths.join(folder, name) for name in names if name.startswith(f"{prefix}.data-")]
        have = sum(gfile_io.size(shard) for shard in shards)
    except errors.RetryTimeoutError:
        raise
    except (tf.errors.OpError, ValueError, OSError):
        return None
    need = 0
    for name, shape in shapes.items():
        dtype = dtypes[name]
        if dtype.is_numpy_compatible and dtype != tf.string:
            need += dtype.size * math.prod(shape)
    if have >= need:
        return None
    data_files = sorted(paths.basename(shard) for shard in shards)
    short = cut_short(checkpoint_path, data_files) if len(data_files) > 1 else []
    which = f"; {', '.join(short)} holds fewer bytes than its tensors take" if short else ""
    return (
        f"its checkpoint in {paths.basename(folder)}/ is cut short: its data files hold {have} "
        f"bytes, its index lists {need}{which} (an interrupted copy or download?)"
    )


def full_shape(variable: Any) -> Any:
    """The `tf.TensorShape` of a variable, or of the whole of a partitioned one (a list of parts).

    None for an object without a shape (e.g. a lookup table's saveable).
    """
    parts = list(variable) if isinstance(variable, list | tuple) else [variable]
    info = getattr(parts[0], "_save_slice_info", None)
    if info is not None:
        return tf.TensorShape(info.full_shape)
    shape = getattr(parts[0], "shape", None)
    return None if shape is None else tf.TensorShape(shape)


# A checkpoint given to a TF1 export whose files are there but TensorFlow cannot read.


def resolved_prefix(checkpoint_path: str | bytes | os.PathLike[str]) -> str:
    """The checkpoint prefix `checkpoint_path` names: itself, or for a folder the latest
    checkpoint its `checkpoint` file names ("" if none).

    Raises:
        tfhub.errors.DownloadError: the file system cannot answer (`gfile_io`);
            RetryTimeoutError: no answer within TFHUB_HTTP_TIMEOUT plus
            TFHUB_HTTP_RETRY_TIMEOUT.
    """
    path = os.fsdecode(checkpoint_path)
    if gfile_io.exists(f"{path}.index") or not gfile_io.is_dir(path):
        return path
    return gfile_io.latest_checkpoint(path) or ""


def damaged_index_error(given: str, prefix: str, cause: BaseException) -> errors.ExportError | None:
    """The error for the checkpoint `prefix` whose reader TensorFlow refused with `cause` though
    its index is there (cut short, empty, garbage: "not an sstable"), or None: no index (the
    checkpoint is missing), or TensorFlow could not ask the file system (no access, a network
    failure), which says nothing of the checkpoint's bytes.

    Args:
        given: the checkpoint path the user passed (a prefix or a folder).
        prefix: the checkpoint prefix it names (`resolved_prefix`).
        cause: what TensorFlow's reader raised.

    Returns:
        tfhub.errors.ExportCheckpointDamagedError for an index whose bytes TensorFlow cannot
        read; a plain tfhub.errors.ExportError for an index this process may not read (a
        local file's permissions, a gs:// 403: TensorFlow's reader says either with a bare
        OpError, code UNKNOWN, not a PermissionDeniedError); None else.

    Raises:
        tfhub.errors.RetryTimeoutError: the read of the index's first byte (`_read_refused`)
            gave no answer within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    if not isinstance(cause, tf.errors.OpError) or isinstance(cause, tf.errors.NotFoundError):
        return None
    if is_access_error(cause) or not prefix or not gfile_io.exists(f"{prefix}.index"):
        return None
    refused = _read_refused(f"{prefix}.index")
    if refused is not None:
        return _refused_error(given, prefix, refused)
    problem = f"{shown_files(prefix, ['.index'])} cannot be read ({_reason(cause)})"
    return _damaged_error("ExportCheckpointDamagedError", given, prefix, problem)


def _refused_error(given: str, prefix: str, refused: str) -> errors.ExportError:
    """The error for the checkpoint `prefix` whose index this process may not read
    (`refused`: why), and what to do."""
    return errors.ExportError(
        _refused_message(given, prefix, shown_files(prefix, [".index"]), refused)
    )


def _refused_message(given: str, prefix: str, shown: str, refused: str) -> str:
    """Says the file `shown` of the checkpoint `prefix` is there but this process may not
    read it (`refused`: why), and what to do."""
    credentials = (
        " (the credentials in GOOGLE_APPLICATION_CREDENTIALS)"
        if prefix.lower().startswith("gs://")
        else ""
    )
    return (
        f"The checkpoint at {prefix} cannot be read: {shown} is there, but this process may "
        f"not read it ({refused}). Give it read access to the checkpoint's files{credentials}, "
        f"or pass another checkpoint. Received: checkpoint_path={given!r}"
    )


def _read_refused(path: str) -> str | None:
    """Why the file `path` may not be read (a local file's "Permission denied", a gs:// 403:
    `is_access_error`), read from its first byte, or None if it may (or is not there, or is
    a folder: TensorFlow's reader's reason says it).

    Raises:
        tfhub.errors.RetryTimeoutError: a gs:// read gave no answer in time (`gfile_io`).
    """
    if not gfile_io.is_url(path):
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except PermissionError as err:
            return err.strerror or "Permission denied"
        except OSError:
            return None
        return None
    try:
        gfile_io.read_bytes(path, most=0)
    except errors.RetryTimeoutError:
        raise
    except (errors.DownloadError, errors.ModelNotFoundError) as err:
        cause = err.__cause__
        return _reason(cause) if cause is not None and is_access_error(cause) else None
    return None


# The ops that read a checkpoint's tensors (Saver's and init_from_checkpoint's restores).
_RESTORE_OPS = frozenset({"RestoreV2", "Restore", "RestoreSlice"})


@contextlib.contextmanager
def restore_checked(given: str, prefix: str = "") -> Iterator[None]:
    """Runs, in its body, the restore of the checkpoint `prefix` (a session's initializer of
    variables set by `init_from_checkpoint`, a Saver's restore): TensorFlow's failure to read
    its tensors ("Graph execution error", naming no file) becomes an error naming the file.

    Args:
        given: the checkpoint path the user passed (a prefix or a folder).
        prefix: the checkpoint prefix it names (default: `resolved_prefix(given)`, looked up
            only if the restore fails).

    Raises:
        tfhub.errors.ExportCheckpointTruncatedError: (an ExportCheckpointDamagedError and, as
            TensorFlow raised, a tf.errors.OutOfRangeError) if a data file is cut short.
        tfhub.errors.ExportCheckpointDamagedError: (an ExportError and, as TensorFlow raised,
            a tf.errors.DataLossError) if a tensor's checksum does not match, or the index
            cannot be read.
        tfhub.errors.ExportCheckpointUnreadableError: (an ExportError and, as TensorFlow
            raised, a tf.errors.PermissionDeniedError) if this process may not read a data
            file (its permissions, a gs:// 403).
        TensorFlow's error is the `__cause__`; others pass unchanged.
    """
    try:
        yield
    except errors.TFHubError:
        raise
    except tf.errors.PermissionDeniedError as err:
        if getattr(err.op, "type", None) not in _RESTORE_OPS:
            raise
        raise _unreadable_data_error(given, prefix or resolved_prefix(given), err) from err
    except (tf.errors.OutOfRangeError, tf.errors.DataLossError) as err:
        if getattr(err.op, "type", None) not in _RESTORE_OPS:
            raise
        prefix = prefix or resolved_prefix(given)
        truncated = isinstance(err, tf.errors.OutOfRangeError)
        reason = _reason(err)
        what = "is cut short" if truncated else "cannot be read"
        problem = f"{shown_files(prefix, damaged_files(prefix, reason))} {what} ({reason})"
        name = "ExportCheckpointTruncatedError" if truncated else "ExportCheckpointDamagedError"
        raise _damaged_error(name, given, prefix, problem) from err


def _unreadable_data_error(
    given: str, prefix: str, cause: BaseException
) -> errors.ExportCheckpointUnreadableError:
    """The error for the checkpoint `prefix` whose restore TensorFlow refused with `cause` (a
    PermissionDeniedError): it names the data file and says what to do."""
    reason = _reason(cause)
    shown = shown_files(prefix, damaged_files(prefix, reason))
    unreadable: errors.ExportCheckpointUnreadableError = errors.ExportCheckpointUnreadableError(
        _refused_message(given, prefix, shown, reason),
        path=given,
        problem=f"this process may not read {shown} ({reason})",
    )
    return unreadable


def _damaged_error(
    name: str, given: str, prefix: str, problem: str
) -> errors.ExportCheckpointDamagedError:
    """The error `name` saying the checkpoint `prefix` is damaged and what to do."""
    damaged: errors.ExportCheckpointDamagedError = getattr(errors, name)(
        f"The checkpoint at {prefix} is damaged: {problem}. Save the checkpoint again (copy "
        "it again whole, if it was copied), or pass another one, such as an earlier "
        f"checkpoint of its training. Received: checkpoint_path={given!r}",
        path=given,
        problem=problem,
    )
    return damaged


def _reason(err: BaseException) -> str:
    """TensorFlow's reason, on one line: the line after "Node: ..." of a "Graph execution
    error", else the message's first line; escaped."""
    lines = [line.strip() for line in str(getattr(err, "message", err)).splitlines()]
    lines = [line for line in lines if line]
    nodes = [i for i, line in enumerate(lines) if line.startswith("Node: ")]
    at = nodes[-1] + 1 if nodes and nodes[-1] + 1 < len(lines) else 0
    return escaped(lines[at]) if lines else type(err).__name__
