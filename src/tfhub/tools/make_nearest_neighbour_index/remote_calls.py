"""One bounded call about a local or remote path: `remote_call` asks TensorFlow's file system
(tf.io.gfile, imported then only) within TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT, its
failure or refusal an error naming the path; `join` joins a name to a local or remote folder.
The reads (storage) and writes (storage_writes) of the tool's folders call it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from ... import errors
from ...utils.paths import is_url as is_remote

_T = TypeVar("_T")


def join(folder: str, name: str) -> str:
    """Joins a file name to a local or remote folder."""
    return folder.rstrip("/") + "/" + name if is_remote(folder) else os.path.join(folder, name)


def remote_call(
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
