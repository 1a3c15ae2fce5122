"""The outputs of make_image_classifier: SavedModel, TFLite file, labels file, written in
order (`export`). Where they go is `outputs.Outputs`; the checks that run before training are
in `output_checks`; the SavedModel is saved by `saving`, converted to TFLite by `tflite`.

Every output is written under a temporary name beside its target and renamed into place when
complete (tfhub.tools.atomic_output), so an interrupted run leaves no half-written SavedModel,
.tflite or labels file. A URL output (gs://) is made whole locally first (the SavedModel in a
TMPDIR folder, the labels and the .tflite flatbuffer in memory), then uploaded, as upstream
wrote it through tf.io.gfile: a failed training or conversion uploads nothing. Every request
is bounded by TFHUB_HTTP_TIMEOUT plus TFHUB_HTTP_RETRY_TIMEOUT (`tfhub.gfile_io`, the home of
tfhub's bounded gs:// requests). The SavedModel's files go to a hidden sibling folder first,
then into place, `saved_model.pb` last (`gfile_io.upload_folder`; such folders that killed runs
left are removed once a day old, `gfile_io.sweep_stale_uploads`); a .tflite or labels file is
one object, which GCS shows whole or not at all. Before training, `output_checks` writes a
probe object beside each URL output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ... import errors
from ...utils.paths import is_url, special_kind
from ...utils.refused_writes import failed_write, is_quota
from .. import atomic_output
from ..output_errors import FILE_SIZE_LIMIT_TODO, refuse_folder_spelling
from .output_checks import (
    check_labels_one_per_line,
    check_outputs_apart_from_images,
    check_outputs_writable,
    remote_errors,
    remote_output_error,
)
from .outputs import SAVED_MODEL_NAMES, Outputs, given_outputs
from .saving import save_model
from .tflite import tflite_bytes

__all__ = [
    "SAVED_MODEL_NAMES",
    "Outputs",
    "check_labels_one_per_line",
    "check_outputs_apart_from_images",
    "check_outputs_writable",
    "export",
    "save_model",
    "tflite_bytes",
    "write_labels",
]

LAST_FILE = "saved_model.pb"  # The SavedModel's file uploaded last (a loader looks for it).


def write_labels(path: str, labels: Sequence[str]) -> None:
    """Writes the labels, one per line (ending with a newline), in prediction order, in UTF-8;
    a class folder name that is not UTF-8 is written as its bytes."""
    text = "".join(f"{label}\n" for label in labels)
    _write_file(path, text.encode("utf-8", "surrogateescape"), what="labels output file")


def _write_file(path: str, data: bytes, *, what: str) -> None:
    """Writes the output file `path` whole: a local one atomically (`atomic_output`), a URL
    one (gs://) in one upload (`_upload_file`).

    Raises:
        tfhub.errors.OutputNotWritableError: it cannot be written.
    """
    if is_url(path):
        _upload_file(path, data, what=what)
    else:
        atomic_output.write_file(path, data, what=what)


def _upload_saved_model(local: str, path: str) -> None:
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
    staged = gfile_io.stages_exports(path)  # gs://: no folders to make, a hidden staging.
    old_last = f"{path.rstrip('/')}/{LAST_FILE}"
    try:
        if staged:  # Before the old `saved_model.pb` goes (logs what it cannot do).
            gfile_io.sweep_stale_uploads(path)
        if gfile_io.exists_for_export(old_last):
            doing = f"to upload the SavedModel (its old {LAST_FILE} was removed first)"
            gfile_io.remove(old_last)
        if staged:
            gfile_io.upload_folder(local, path, last=LAST_FILE, remove_stale=False)
        else:
            _copy_in_place(local, path)
    except remote_errors() as err:
        raise remote_output_error(err, path, what=what, doing=doing) from err


def _copy_in_place(local: str, path: str) -> None:
    """Copies the files of the local folder `local` into the folder `path` of a file system
    with folders (file://, hdfs://), making them first, `saved_model.pb` last; each request
    bounded (`tfhub.gfile_io`).

    Raises:
        TensorFlow's OpError: refused; tfhub.errors.RetryTimeoutError: no answer in time.
    """
    from ... import gfile_io

    names = sorted(
        os.path.relpath(os.path.join(top, name), local).replace(os.sep, "/")
        for top, _, files in os.walk(local)
        for name in files
    )
    names.sort(key=lambda name: name == LAST_FILE)  # Stable: `saved_model.pb` goes last.
    target = path.rstrip("/")
    for name in names:
        folder = f"{target}/{name}".rsplit("/", 1)[0]
        gfile_io.makedirs(folder)
        gfile_io.copy(os.path.join(local, name), f"{target}/{name}")


def _upload_file(path: str, data: bytes, *, what: str) -> None:
    """Writes `data` as the remote file `path` (`what`), in one bounded request.

    Raises:
        tfhub.errors.OutputNotWritableError, tfhub.errors.OutputTimeoutError: as
            `_upload_saved_model`.
    """
    from ... import gfile_io

    refuse_folder_spelling(path, what=what, flag=None)  # Else GCS's marker of a folder.
    try:
        if not gfile_io.stages_exports(path):  # A file system with folders: make them.
            gfile_io.makedirs(path.rsplit("/", 1)[0])
        gfile_io.write_bytes(path, data)
    except remote_errors() as err:
        raise remote_output_error(err, path, what=what, doing="to upload it") from err


@contextlib.contextmanager
def _saved_model(model: Any, path: str) -> Iterator[str]:
    """Writes `model` as the SavedModel `path`, then yields a local folder holding it, kept
    till the block ends (the .tflite file is converted from it). A local `path` is written
    atomically (`atomic_output.write_folder`) and yielded; for a URL (gs://), the SavedModel
    is saved in a TMPDIR folder, uploaded (`_upload_saved_model`), and that
    folder is yielded, then removed.

    Raises:
        tfhub.errors.OutputNotWritableError: the SavedModel cannot be written or uploaded.
    """
    what = "saved model dir"
    if not is_url(path):
        with atomic_output.write_folder(path, what=what) as tmp:
            save_model(model, tmp)
        yield path
        return
    where = "the local copy it is uploaded from, in TMPDIR,"
    with _temporary_folder(path, what=what, where=where) as local:
        folder = os.path.join(local, "saved_model")
        _save_or_refuse(model, folder, path, what=what, where=where)
        _upload_saved_model(folder, path)
        yield folder


@contextlib.contextmanager
def _temporary_folder(output: str, *, what: str, where: str) -> Iterator[str]:
    """A TMPDIR folder for what the remote `output` is made from, removed when the block ends.

    Raises:
        tfhub.errors.OutputNotWritableError: TMPDIR takes no new folder.
    """
    try:
        local = tempfile.mkdtemp(prefix="tfhub-export-")
    except OSError as err:
        raise _staging_error(err, output, what=what, where=where) from err
    try:
        yield local
    finally:
        shutil.rmtree(local, ignore_errors=True)


def _save_or_refuse(model: Any, folder: str, output: str, *, what: str, where: str) -> None:
    """Saves `model` as a SavedModel in `folder`, a temporary one made for the output `output`
    (`what`): a write that fails there (a full disk) is an error naming `output` and `where`
    the temporary SavedModel is ("the temporary SavedModel it is converted from, beside it,").

    Raises:
        tfhub.errors.OutputNotWritableError: the SavedModel cannot be written in `folder`.
    """
    try:
        save_model(model, folder)
    except Exception as err:
        failed = failed_write(err, os.path.dirname(folder))
        if failed is None:
            raise
        raise _staging_error(failed, output, what=what, where=where) from err


def _staging_error(failed: OSError, output: str, *, what: str, where: str) -> Exception:
    """The error for the output `output` whose temporary copy (`where`) cannot be written."""
    return atomic_output.not_writable(
        output,
        f"{where} cannot be written ({failed.strerror})",
        what=what,
        disk_full=failed.errno in errors.DISK_FULL_ERRNOS,
        quota=is_quota(failed),
        todo=FILE_SIZE_LIMIT_TODO if failed.errno == errno.EFBIG else None,
    )


def _tflite_bytes_of(model: Any, output_file: str) -> bytes:
    """Converts `model` to a TFLite flatbuffer through a temporary SavedModel written beside
    the .tflite file (`atomic_output.scratch_folder`: hidden, removed after; one that a killed
    run left is removed by the next run), or in TMPDIR for a URL (gs://) .tflite file.

    Raises:
        tfhub.errors.TFLiteConversionError: the converter refused the model.
        tfhub.errors.OutputNotWritableError: the temporary SavedModel cannot be written (a
            full disk where the .tflite file goes).
    """
    what = "tflite output file"
    if is_url(output_file):
        where = "the temporary SavedModel it is converted from, in TMPDIR,"
        scratch = _temporary_folder(output_file, what=what, where=where)
    else:
        where = "the temporary SavedModel it is converted from, beside it,"
        scratch = atomic_output.scratch_folder(output_file, what=what)
    with scratch as folder:
        saved = os.path.join(folder, "saved_model")
        _save_or_refuse(model, saved, output_file, what=what, where=where)
        return tflite_bytes(saved, output_file=output_file)


def export(
    model: Any, labels: Sequence[str], outputs: Outputs, *, say: Callable[[str], None]
) -> None:
    """Writes the SavedModel, the labels file and the .tflite file that `outputs` ask for, in
    this order (the SavedModel replaces its folder whole: the others may be inside it).

    A .tflite without a SavedModel is converted from a temporary SavedModel, then removed.

    Each local output is replaced only once complete, so a run that fails (or is interrupted)
    after writing some outputs leaves the others as they were: maybe an earlier run's files,
    which do not match the new ones. A URL output is not (`_upload_saved_model` removes an old
    `saved_model.pb` first; a file:// file is written in place). Its error then says which
    outputs this run wrote and which are still an earlier run's (or were not written); an
    interrupt carries that as a note (`__notes__`, printed by tracebacks and the tools'
    "interrupted" line).

    Raises:
        tfhub.errors.TFLiteConversionError: the model cannot become a .tflite file (the
            SavedModel and labels file, written before, stay).
        tfhub.errors.OutputNotWritableError: an output cannot be written.
    """
    written: list[tuple[str, str]] = []
    try:
        _write_outputs(model, labels, outputs, say=say, written=written)
    except (Exception, KeyboardInterrupt) as err:
        late = getattr(err, "path", None) if isinstance(err, errors.OutputTimeoutError) else None
        note = _partial_note(outputs, written, timed_out=late)
        if note is None:
            raise
        if isinstance(err, errors.ToolError):  # The message is what the tools print.
            head, received, given = str(err).rpartition(" Received: ")
            message = f"{head} {note}{received}{given}" if received else f"{err} {note}"
            fields = {**vars(err), "written": [path for path, _ in written]}
            raise type(err)(message, **fields) from err.__cause__  # (`err` is its context.)
        # An interrupt, or an error tfhub did not expect: a note (`add_note`, set by hand as
        # Python 3.10 has no such method; 3.11's tracebacks print it).
        err.__notes__ = [*getattr(err, "__notes__", []), note]
        raise


def _write_outputs(
    model: Any,
    labels: Sequence[str],
    outputs: Outputs,
    *,
    say: Callable[[str], None],
    written: list[tuple[str, str]],
) -> None:
    """`export`'s writes; appends (path, what) of each output to `written` once it is."""
    with contextlib.ExitStack() as kept:
        saved = None  # A local folder holding the SavedModel, if one was asked for.
        if outputs.saved_model_dir:  # First: it replaces its folder; the others may be inside.
            saved = kept.enter_context(_saved_model(model, outputs.saved_model_dir))
            written.append((outputs.saved_model_dir, "saved model dir"))
            say(f"SavedModel model exported to {outputs.saved_model_dir}")
        if outputs.labels_output_file:
            write_labels(outputs.labels_output_file, labels)
            written.append((outputs.labels_output_file, "labels output file"))
            say(f"Labels written to {outputs.labels_output_file}")
        if outputs.tflite_output_file:
            output = outputs.tflite_output_file
            if saved is not None:
                flatbuffer = tflite_bytes(saved, output_file=output)
            else:
                flatbuffer = _tflite_bytes_of(model, output)
            _write_file(output, flatbuffer, what="tflite output file")
            written.append((output, "tflite output file"))
            say(f"TFLite model exported to {output}")


def _partial_note(
    outputs: Outputs, written: list[tuple[str, str]], *, timed_out: str | None = None
) -> str | None:
    """What an export that stopped after writing `written` left: which outputs this run wrote,
    which still hold an earlier run's files, which were not written; None if it wrote none
    (all are as they were) or all. A remote output (gs://) is not asked about (a request in an
    error path, maybe to a server that gives no answer): the note says what is true either way;
    for the remote output `timed_out`, whose upload gave no answer in time, that it may still
    land (TensorFlow's request runs on), not that an earlier run's file is untouched."""
    pending = [
        (path, what)
        for path, what, _ in given_outputs(outputs)
        if what != "summaries dir" and (path, what) not in written
    ]
    if not written or not pending:
        return None
    late = [each for each in pending if is_url(each[0]) and each[0] == timed_out]
    remote = [each for each in pending if is_url(each[0]) and each not in late]  # Not asked.
    earlier = [each for each in pending if each not in remote and _holds_earlier_output(each[0])]
    missing = [each for each in pending if each not in (*earlier, *remote, *late)]
    note = f"This run wrote only {_listed(written)}"
    if earlier:
        verb = "holds" if len(earlier) == 1 else "hold"
        note += f"; {_listed(earlier)} still {verb} an earlier run's output, not this run's"
    if missing:
        note += f"; {_listed(missing)} {'was' if len(missing) == 1 else 'were'} not written"
    if remote:
        files = "file there, if any, is" if len(remote) == 1 else "files there, if any, are"
        note += f"; this run did not write {_listed(remote)} (an earlier run's {files} untouched)"
    if late:
        note += (
            f"; this run's upload of {_listed(late)} timed out and may still land (TensorFlow's "
            "request runs on), replacing an earlier run's file there, if any"
        )
    return note + "."


def _holds_earlier_output(path: str) -> bool:
    """Whether the output `path` exists as a file or folder (not a stream such as /dev/null,
    into which nothing stays)."""
    return os.path.exists(path) and special_kind(path) is None


def _listed(outputs: list[tuple[str, str]]) -> str:
    """Names the outputs: "the saved model dir A, the labels output file B and the ..."."""
    named = [f"the {what} {path}" for path, what in outputs]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
