"""One request of TensorFlow's about a path, bounded in time when the path is a URL
(`_bounded`), and the errors tfhub raises for what TensorFlow could not read: the part every
other module of `tfhub.gfile_io` shares.

It is also the one home of the refusal of a path whose file system TensorFlow has not
registered in this process (s3://, hdfs://: `refuse_unregistered`): every request goes
through `_bounded`, which refuses it before TensorFlow is asked, so each caller (the path
resolver, a TF1 module's load, a cache on such a folder, an export, a tool's output) meets the
same `UnregisteredFileSystemError`. TensorFlow itself answers some of them (a listing, a
walk, `isdir`) as if the path were an empty or missing folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from .. import errors
from ..utils.lazy import import_tensorflow
from ..utils.lazy import tensorflow as tf  # Imported by the callers before any error.
from ..utils.paths import is_url  # Whether a request is bounded: a URL's.
from ..utils.printable import quoted_reason
from ..utils.redact import redact

_T = TypeVar("_T")


def _asked(call: Callable[[], _T], path: str, *, what: str) -> _T:
    """`call()`, one question of TensorFlow's about `path`, bounded (`_bounded`), with what
    TensorFlow raises for it as tfhub's error (`unreadable_error`)."""
    tf = import_tensorflow("Reading gs:// paths")
    try:
        return _bounded(call, path, what=what)
    except errors.UnregisteredFileSystemError:
        raise  # Said already (and an OpError too).
    except tf.errors.OpError as err:
        raise unreadable_error(path, err) from err


def _bounded(call: Callable[[], _T], path: str, *, what: str, **question: Any) -> _T:
    """`call()`, one request of TensorFlow's about `path`, within TFHUB_HTTP_TIMEOUT plus
    TFHUB_HTTP_RETRY_TIMEOUT (`within_http_timeouts`, given `question`'s key and why;
    RetryTimeoutError if not). A local path's request is made here, in the caller's thread,
    as tfhub's other local file operations are: a thread per call cost a local TF1 module's
    load and `tfhub inspect` milliseconds each. A URL of a file system TensorFlow has not
    registered is refused first (`refuse_unregistered`, with `question`'s verb)."""
    if not is_url(path):
        return call()
    refuse_unregistered(path, verb=str(question.get("verb", "read")))
    from .._http_deadline import within_http_timeouts  # Not on a local handle's path.

    return within_http_timeouts(call, path=path, what=what, **question)


def unreadable_error(path: str, err: Any) -> errors.DownloadError:
    """The error for a gs:// (or other tf.io.gfile) path TensorFlow could not read (`err`, its
    OpError): the reason quoted as `quoted_reason` does, and what to do. Also the tools'."""
    reason = quoted_reason(err, path)
    scheme = _scheme(path)
    if isinstance(err, tf.errors.UnimplementedError) and not _is_registered(scheme):
        return _unregistered_error(path, scheme, reason, verb="read")
    if "File contents are inconsistent" in reason:  # TensorFlow's InternalError for GCS.
        todo = (
            "Its content changed while it was read (the object was replaced meanwhile, or the "
            "size its metadata gives and its data disagree): try again"
        )
    else:
        todo = access_todo(path)
    return errors.DownloadError(f"Cannot read {path}: {reason}. {todo}.")


# A path's scheme as TensorFlow's `ParseURI` reads it: a letter, then letters, digits and dots,
# before "://"; TensorFlow takes any other path for a local one ("s3+x://b" too).
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9.]*)://")


def _scheme(path: str) -> str:
    """The scheme TensorFlow reads in `path` ("" for a local path), in the case written (its
    file systems' schemes are: "GS://b" is not gs://)."""
    found = _SCHEME.match(path)
    return "" if found is None else found.group(1)


def _is_registered(scheme: str) -> bool:
    """Whether TensorFlow has a file system for `scheme` in this process (a package such as
    tensorflow-io, or `tf.experimental.register_filesystem_plugin`, may have added one)."""
    return scheme in tf.io.gfile.get_registered_schemes()


def refuse_unregistered(path: str, *, verb: str = "read") -> None:
    """Raises if TensorFlow has registered no file system for the scheme of `path` (s3://,
    hdfs:// on TensorFlow 2.21, unless a package registered one): TensorFlow answers some
    requests about such a path as if it were a missing or empty folder (`listdir`, `walk`,
    `isdir`). Asks TensorFlow nothing for a local path or a registered scheme.

    Raises:
        tfhub.errors.UnregisteredFileSystemError: (a DownloadError, and TensorFlow's
            UnimplementedError) naming what it could not `verb` ("read", "write", "make"...),
            the file systems TensorFlow has, and what to do; chained to TensorFlow's own
            UnimplementedError, whose message has the URL's credentials hidden too.
    """
    scheme = _scheme(path)
    if not scheme or _is_registered(scheme):  # A local path: TensorFlow is not asked.
        return
    try:
        tf.io.gfile.stat(path)  # TensorFlow's own refusal: its words, asked of no server.
    except tf.errors.UnimplementedError as err:
        refusal = tf.errors.UnimplementedError(None, None, redact(err.message))
    except tf.errors.OpError:
        return  # Registered meanwhile: the request says what it finds.
    else:
        return  # Registered meanwhile, and the path is there.
    # Raised out of the `except` block: TensorFlow's error, which shows the credentials, is
    # not chained to it as its context.
    raise _unregistered_error(path, scheme, str(refusal), verb=verb) from refusal


def _unregistered_error(path: str, scheme: str, reason: str, *, verb: str) -> errors.DownloadError:
    """The UnregisteredFileSystemError for `path` (its message and str() have the credentials
    of the URL hidden; its `.path` is `path` as given)."""
    ones = [f"{name}://" for name in sorted(tf.io.gfile.get_registered_schemes()) if name]
    works = "local paths" if not ones else f"local paths and {_listed(ones)} ones"
    if verb == "read":  # A model read; the others ("list" too) are a cache's or an output's.
        todo = (
            "copy the model to a local folder, or serve it over http(s) (e.g. `tfhub serve`), "
            "or import the package that registers that file system first"
        )
    else:
        todo = (
            "choose a local folder (or one of those file systems) instead, or import the "
            "package that registers that file system first"
        )
    message = (
        f"Cannot {verb} {path}: {reason}. TensorFlow reads no {scheme}:// paths in this process "
        f"(it has no file system registered for them; it reads {works}): {todo}."
    )
    error: errors.DownloadError = errors.UnregisteredFileSystemError(
        message, path=path, scheme=scheme
    )
    return error


def _listed(names: list[str]) -> str:
    """`names` as prose: "a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def access_todo(path: str) -> str:
    """What to check when TensorFlow's file system fails or refuses `path` (a sentence without
    its final period): the path, the network, the access (for gs://, the credentials)."""
    todo = "Check the path, your network and your access to it"
    if path.lower().startswith("gs://"):
        todo += " (the credentials in GOOGLE_APPLICATION_CREDENTIALS)"
    return todo
