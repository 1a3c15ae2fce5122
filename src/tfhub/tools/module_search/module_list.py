"""`--module_list`: module handles read from a text file, one a line: a local file, or a
tf.io.gfile URL (`gs://bucket/candidates.txt`) as upstream's `tf.io.gfile.GFile` read it."""

from __future__ import annotations

import errno

from ... import errors
from ...utils.lazy import import_tensorflow
from ...utils.paths import closed_descriptor, describe_descriptor, home_expanded, is_url

# Bytes of a module list read at most: ~10,000 handles. A larger file is not a module list
# (a model archive given by mistake, /dev/zero), and reading it whole took all the memory.
MAX_BYTES = 2**20


def read_module_list(path: str) -> list[str]:
    """Module handles of a file, one a line (a leading ~ expanded, as in --module); empty
    lines and lines starting with # ignored. A UTF-8 byte order mark, which Windows Notepad
    writes at the start, is not part of the first line.

    Raises:
        tfhub.errors.ToolFlagError: the file does not exist, is not UTF-8 text, or is larger
            than `MAX_BYTES` (1 MiB; no more is read).
        tfhub.errors.RetryTimeoutError: a read call of a URL without an answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT.
    """
    try:
        content = _read_bytes(path)
        if len(content) > MAX_BYTES:
            raise _too_large(path)
        text = content.decode("utf-8-sig")
    except errors.RetryTimeoutError:
        raise  # Names the path and the settings: no answer in time.
    except (OSError, UnicodeDecodeError) as err:
        raise _unreadable(path, err) from err
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [home_expanded(line) for line in lines if line and not line.startswith("#")]


def _read_bytes(path: str) -> bytes:
    """The bytes of a local file or of a tf.io.gfile URL (`scheme://...`): its first
    `MAX_BYTES` + 1 if it is longer (the caller refuses it).

    Raises:
        OSError: a local file that cannot be read.
        tfhub.errors.ToolFlagError: a URL that cannot be read (chained to a FileNotFoundError
            if it does not exist).
        tfhub.errors.RetryTimeoutError: a read call of a URL without an answer within
            TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`gfile_io`).
    """
    if not is_url(path):
        with open(path, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    import_tensorflow("Reading a --module_list URL")  # The install hint if it is missing.
    from ... import gfile_io  # The gfile boundary: each read call bounded in time.

    try:
        return gfile_io.read_bytes(path, most=MAX_BYTES)
    except errors.RetryTimeoutError:
        raise  # Names the path and the settings: no answer in time.
    except (errors.ModelNotFoundError, errors.DownloadError) as err:  # Caused by an OpError.
        missing = isinstance(err, errors.ModelNotFoundError)
        cause = err.__cause__ if isinstance(err.__cause__, Exception) else err
        failure = _as_os_error(path, cause, missing=missing)
        raise _unreadable(path, failure) from failure


def _as_os_error(path: str, err: Exception, *, missing: bool) -> OSError:
    """tf.io.gfile's error `err` reading `path` as the OSError a local file would give (a
    FileNotFoundError if `missing`), chained to it."""
    if missing:
        failure: OSError = FileNotFoundError(errno.ENOENT, "No such file or directory", path)
    else:
        from ...utils.printable import quoted_reason  # One line, escaped, tokens hidden.

        failure = OSError(errno.EIO, quoted_reason(err, path) or type(err).__name__, path)
    failure.__cause__ = err
    return failure


def _too_large(path: str) -> errors.ToolFlagError:
    """The error for a module list larger than `MAX_BYTES`."""
    return errors.ToolFlagError(
        f"The module list {path} is larger than {MAX_BYTES // 2**20} MiB, more than a list of "
        "modules holds (about 10,000 handles): is it the right file? Pass a UTF-8 text file "
        f"with one module per line, or name the modules with --module. Received: "
        f"module_list={path!r}",
        flag="module_list",
        value=path,
    )


def _unreadable(path: str, err: OSError | UnicodeDecodeError) -> errors.ToolFlagError:
    """The error for a module list that cannot be read."""
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    closed = closed_descriptor(path)
    if closed is not None:  # /dev/stdin after `<&-`: "No such file" would mislead.
        reason = f"it names {describe_descriptor(closed)}, which is closed"
    return errors.ToolFlagError(
        f"Cannot read the module list {path}: {reason}. Pass a UTF-8 text file with one "
        f"module per line, or name the modules with --module. Received: module_list={path!r}",
        flag="module_list",
        value=path,
    )
