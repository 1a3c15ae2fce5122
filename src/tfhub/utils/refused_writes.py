"""Whether a failure was a write the file system refused (a full disk, no permission), for a
file in a given folder: raised by Python as an OSError, or by TensorFlow's own writers (a
SavedModel, summaries) as its OpError, whose message names the file."""

from __future__ import annotations

import errno
import os

from .paths import relative_below

# TensorFlow's error codes (tf.errors.*) for a file it could not write: ENOSPC and EDQUOT
# become RESOURCE_EXHAUSTED; EACCES, EPERM and EROFS PERMISSION_DENIED.
_TF_RESOURCE_EXHAUSTED, _TF_PERMISSION_DENIED = 8, 7


def failed_write(err: BaseException, folder: str) -> OSError | None:
    """`err` as the OSError of a refused write of a file in `folder`; None if it is not one
    (a bug, a bad input, a file elsewhere), to raise as it is.

    An OSError counts when it names a file in `folder`. TensorFlow's own writes (a SavedModel,
    summaries) raise its OpError instead, whose message names the file: counted when that is
    in `folder` (as the caller named it) and its code is one of a refused write.
    """
    if isinstance(err, OSError):
        named = err.filename
        return err if isinstance(named, str) and relative_below(named, folder) is not None else None
    code, message = getattr(err, "error_code", None), getattr(err, "message", None)
    if not isinstance(message, str) or os.path.join(folder, "") not in message:
        return None
    if code == _TF_RESOURCE_EXHAUSTED:
        return OSError(errno.ENOSPC, "no space left on the device (the disk or quota is full)")
    if code == _TF_PERMISSION_DENIED:
        return OSError(errno.EACCES, "permission denied")
    return None
