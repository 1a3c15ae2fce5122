"""make_image_classifier's exports to a URL (`--saved_model_dir gs://b/sm`, a gs://
--labels_output_file or --tflite_output_file), which upstream 0.10.0 wrote through TensorFlow's
file systems (make_image_classifier.py: tf.saved_model.save, tf.io.gfile.GFile).

Each export is made complete locally first (the SavedModel in a TMPDIR folder, the labels and
the .tflite flatbuffer in memory), then uploaded: a failed training or conversion uploads
nothing. Every request is bounded by TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT
(`tfhub.gfile_io`: the home of tfhub's bounded gs:// requests, which
make_nearest_neighbour_index's `storage` uses too). The SavedModel's files go to a hidden
sibling folder first, then into place, `saved_model.pb` last (`gfile_io.upload_folder`): the
folder holds no `saved_model.pb` until all its other files are there. A .tflite or labels file
is one object, which GCS shows whole or not at all.

Before training, `check_remote_writable` writes a small probe object beside the output and
removes it: a refused or unreachable bucket fails then, not after the training.
"""

from __future__ import annotations

import uuid

from ... import errors
from ...utils.printable import quoted_reason
from ..output_errors import flag_name, not_writable

PROBE_PREFIX = ".tfhub-write-test-"  # The probe object `check_remote_writable` writes.
LAST_FILE = "saved_model.pb"  # The SavedModel's file uploaded last (a loader looks for it).


def _beside(path: str, name: str) -> str:
    """The path `name` beside the remote output `path` (inside it for a bucket itself)."""
    folder = path.rstrip("/")
    parent = folder.rsplit("/", 1)[0]
    return f"{folder}/{name}" if parent.endswith(":/") else f"{parent}/{name}"


def _failed(
    err: BaseException, path: str, *, what: str, doing: str, about: str | None = None
) -> Exception:
    """The error for the remote output `path` (`what`) whose request (`doing`, in words, about
    the path `about`, by default `path`) TensorFlow's file system failed or refused (its
    OpError), or that gave no answer in time (a RetryTimeoutError)."""
    from ...gfile_io import access_todo

    flag = flag_name(what)
    if isinstance(err, errors.RetryTimeoutError):
        return errors.OutputTimeoutError(
            f"Cannot write the {what} {path}: {err} Received: {flag}={path!r}",
            path=path,
            what=what,
        )
    reason = f"TensorFlow's file system failed {doing} ({quoted_reason(err, about or path)})"
    return not_writable(path, reason, what=what, flag=flag, todo=access_todo(path) + ".")


def _opaque_errors() -> tuple[type[BaseException], ...]:
    """The errors of a bounded gs:// request that `_failed` turns into the output's error."""
    from ...utils.lazy import import_tensorflow

    tf = import_tensorflow("Writing outputs to gs:// (or another TensorFlow file system)")
    return (tf.errors.OpError, errors.RetryTimeoutError)


def check_remote_writable(path: str, *, what: str) -> None:
    """Checks, before training, that the remote output `path` (`what`) can be written: a probe
    object `.tfhub-write-test-<hex>` beside it is written, then removed (each request bounded).

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) the file system refused or failed
            (no such bucket, no access, no network), naming `path`, its flag and the server's
            answer; OutputTimeoutError (also a TimeoutError) if it gave no answer in time.
    """
    from ... import gfile_io

    probe = _beside(path, f"{PROBE_PREFIX}{uuid.uuid4().hex}")
    try:
        gfile_io.write_bytes(probe, b"tfhub checks it can write here\n")
        gfile_io.remove(probe)
    except _opaque_errors() as err:
        doing = f"to write the probe file {probe}"
        raise _failed(err, path, what=what, doing=doing, about=probe) from err


def upload_saved_model(local: str, path: str) -> None:
    """Uploads the SavedModel in the local folder `local` into the remote folder `path`, its
    files replacing those of the same names (other files there stay, as upstream's
    tf.saved_model.save left them); an old `saved_model.pb` is removed first, and the new one
    comes last, so the folder never holds the old one beside new variables.

    Raises:
        tfhub.errors.OutputNotWritableError: a request failed or was refused (the upload's own
            files are removed again; an old SavedModel there no longer loads), or
            OutputTimeoutError, gave no answer in time.
    """
    from ... import gfile_io

    what = "saved model dir"
    doing = "to upload the SavedModel"
    try:
        if gfile_io.exists_for_export(f"{path.rstrip('/')}/{LAST_FILE}"):
            doing = f"to upload the SavedModel (its old {LAST_FILE} was removed first)"
            gfile_io.remove(f"{path.rstrip('/')}/{LAST_FILE}")
        gfile_io.upload_folder(local, path, last=LAST_FILE)
    except _opaque_errors() as err:
        raise _failed(err, path, what=what, doing=doing) from err


def upload_file(path: str, data: bytes, *, what: str) -> None:
    """Writes `data` as the remote file `path` (`what`), in one bounded request.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as
            `upload_saved_model`.
    """
    from ... import gfile_io

    try:
        gfile_io.write_bytes(path, data)
    except _opaque_errors() as err:
        raise _failed(err, path, what=what, doing="to upload it") from err
