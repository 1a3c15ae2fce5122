"""One request of TensorFlow's about a path, bounded in time when the path is a URL
(`_bounded`), and the errors tfhub raises for what TensorFlow could not read: the part every
other module of `tfhub.gfile_io` shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .. import errors
from ..utils.lazy import import_tensorflow
from ..utils.lazy import tensorflow as tf  # Imported by the callers before any error.
from ..utils.paths import is_url  # Whether a request is bounded: a URL's.
from ..utils.printable import quoted_reason

_T = TypeVar("_T")


def _asked(call: Callable[[], _T], path: str, *, what: str) -> _T:
    """`call()`, one question of TensorFlow's about `path`, bounded (`_bounded`), with what
    TensorFlow raises for it as tfhub's error (`unreadable_error`)."""
    tf = import_tensorflow("Reading gs:// paths")
    try:
        return _bounded(call, path, what=what)
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err


def _bounded(call: Callable[[], _T], path: str, *, what: str, **question: Any) -> _T:
    """`call()`, one request of TensorFlow's about `path`, within TFHUB_HTTP_TIMEOUT plus
    TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`, given `question`'s key and why;
    RetryTimeoutError if not). A local path's request is made here, in the caller's thread,
    as tfhub's other local file operations are: a thread per call cost a local TF1 module's
    load and `tfhub inspect` milliseconds each."""
    if not is_url(path):
        return call()
    from .._http_deadline import within_http_timeouts  # Not on a local handle's path.

    return within_http_timeouts(call, path=path, what=what, **question)


def unreadable_error(path: str, err: Any) -> errors.DownloadError:
    """The error for a gs:// (or other tf.io.gfile) path TensorFlow could not read (`err`, its
    OpError): the reason quoted as `quoted_reason` does, and what to do. Also the tools'."""
    reason = quoted_reason(err, path)
    if isinstance(err, tf.errors.UnimplementedError):  # "File system scheme 's3' not ..."
        scheme = path.split("://", 1)[0]
        todo = (
            f"TensorFlow reads no {scheme}:// paths in this process (it reads gs:// and local "
            "ones): copy the model to a local folder, or serve it over http(s) (e.g. `tfhub "
            "serve`), or import the package that registers that file system first"
        )
    elif "File contents are inconsistent" in reason:  # TensorFlow's InternalError for GCS.
        todo = (
            "Its content changed while it was read (the object was replaced meanwhile, or the "
            "size its metadata gives and its data disagree): try again"
        )
    else:
        todo = access_todo(path)
    return errors.DownloadError(f"Cannot read {path}: {reason}. {todo}.")


def access_todo(path: str) -> str:
    """What to check when TensorFlow's file system fails or refuses `path` (a sentence without
    its final period): the path, the network, the access (for gs://, the credentials)."""
    todo = "Check the path, your network and your access to it"
    if path.lower().startswith("gs://"):
        todo += " (the credentials in GOOGLE_APPLICATION_CREDENTIALS)"
    return todo
