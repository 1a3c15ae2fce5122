"""The checks of make_image_classifier's outputs that run before training: every output path
writable, none at or inside another, the image folder or the module's folder, the SavedModel's
folder (replaced whole) holding nothing else, a URL output (gs://) writable there (a probe
object written and removed: `check_remote_writable`), and class names the labels file can hold."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

from ... import errors
from ...utils.paths import STREAMS, is_url, relative_below, special_kind
from ...utils.printable import escaped, quoted_reason
from .. import atomic_output, module_handles
from ..output_errors import flag_name, not_writable, refuse_folder_spelling
from .outputs import SAVED_MODEL_NAMES, Outputs, given_outputs, is_folder


def check_outputs_writable(outputs: Outputs, *, module: str | None = None) -> None:
    """Checks, before training, that every requested output can be written (creates nothing),
    and that --saved_model_dir, which is replaced whole, holds nothing else than a SavedModel
    and the other outputs put inside it (e.g. the image folder given as --saved_model_dir
    would be deleted), and is neither the working directory nor one of its parents.

    Args:
        outputs: the outputs asked for.
        module: the --tfhub_module handle: no output may be at or inside its local folder, nor
            --saved_model_dir hold it.

    A URL output (gs://) is checked by writing a probe object beside it, then removing it
    (`check_remote_writable`), after the local outputs' checks; a URL
    --summaries_dir is left to TensorBoard's writer, which writes gs:// itself, as upstream's.

    Raises:
        tfhub.errors.OutputNotWritableError: naming the first output that cannot be written
            (for a URL, OutputTimeoutError if its file system gave no answer in time).
    """
    if module:
        _check_apart_from_module(outputs, module)
    remote = []
    for path, what, is_dir in given_outputs(outputs):
        if is_url(path):
            if not is_dir:  # `gs://b/out/` would be a folder's marker holding the file.
                refuse_folder_spelling(path, what=what, flag=None)
                _refuse_top(path, what=what)
            remote += [] if what == "summaries dir" else [(path, what)]
            continue
        atomic_output.check_writable(path, is_dir=is_dir, what=what)
    if outputs.saved_model_dir and not is_url(outputs.saved_model_dir):
        atomic_output.refuse_working_folder(outputs.saved_model_dir, what="saved model dir")
        _check_saved_model_dir(outputs, outputs.saved_model_dir)
    _check_apart(outputs)
    for path, what in remote:
        check_remote_writable(path, what=what)


PROBE_PREFIX = ".tfhub-write-test-"  # The probe object `check_remote_writable` writes.


def check_remote_writable(path: str, *, what: str) -> None:
    """Checks, before training, that the remote output `path` (`what`) can be written: a probe
    object `.tfhub-write-test-<hex>` beside it (on a file system with folders, in the nearest
    folder above it that exists) is written, then removed (each request bounded; also when
    the check is interrupted, as by Ctrl-C).

    Raises:
        tfhub.errors.OutputNotWritableError: (an OSError) the file system refused or failed
            (no such bucket, no access, no network), naming `path`, its flag and the server's
            answer; OutputTimeoutError (also a TimeoutError) if it gave no answer in time.
    """
    from ... import gfile_io

    probe = _beside(path, f"{PROBE_PREFIX}{uuid.uuid4().hex}")
    doing = f"to write the probe file {probe}"
    try:
        if not gfile_io.stages_exports(path):  # A file system with folders (file://, hdfs://).
            probe = f"{_nearest_existing_folder(path)}/{probe.rsplit('/', 1)[1]}"
            doing = f"to write the probe file {probe}"
        gfile_io.write_bytes(probe, b"tfhub checks it can write here\n")
        # The export replaces files and moves them (a copy, then a delete): it needs deletes.
        doing = (
            f"to remove the probe file {probe} it wrote (the export replaces and moves files "
            "there, which needs deletes too; remove it)"
        )
        gfile_io.remove(probe)
    except remote_errors() as err:
        raise remote_output_error(err, path, what=what, doing=doing, about=probe) from err
    except BaseException:  # Ctrl-C once the write was asked for: no probe left behind.
        gfile_io.remove_quietly([probe])  # One bounded request; nothing raised.
        raise


def _nearest_existing_folder(path: str) -> str:
    """The nearest folder above the remote output `path` that exists (a file system with
    folders: the one the export makes its folders in), each question bounded.

    Raises:
        TensorFlow's OpError: refused; tfhub.errors.RetryTimeoutError: no answer in time.
    """
    from ... import gfile_io

    folder = path.rstrip("/").rsplit("/", 1)[0]
    while not _is_top(folder) and not gfile_io.exists_for_export(folder):
        folder = folder.rsplit("/", 1)[0]
    return folder


def _refuse_top(path: str, *, what: str) -> None:
    """Refuses a file output that names a bucket itself (`gs://bucket`) or another file
    system's top: its probe would go inside it and pass, and its write fail after training."""
    if not _is_top(path):
        return
    top = path.rstrip("/")
    example = "file:///NAME" if top.lower() in ("file:", "file:/") else f"{top}/NAME"
    raise not_writable(
        path,
        "it names a bucket (or a file system's top), not a file in it",
        what=what,
        todo=f"Give the path of a file in it, e.g. {example}.",
    )


def _is_top(folder: str) -> bool:
    """Whether the remote `folder` has no folder above it: its file system's top
    (`hdfs://namenode`, or `file://`, whose path `file:///probe` is in `/`). Climbing past it
    would leave the URL (`file:/`, a name that tf.io.gfile reads in the working folder)."""
    _, _, rest = folder.partition("://")
    return not rest.strip("/") or "/" not in rest


def _beside(path: str, name: str) -> str:
    """The path `name` beside the remote output `path` (inside it for a bucket itself)."""
    folder = path.rstrip("/")
    parent = folder.rsplit("/", 1)[0]
    return f"{folder}/{name}" if parent.endswith(":/") else f"{parent}/{name}"


def remote_output_error(
    err: BaseException, path: str, *, what: str, doing: str, about: str | None = None
) -> Exception:
    """The error for the remote output `path` (`what`) whose request (`doing`, in words, about
    the path `about`, by default `path`) TensorFlow's file system failed or refused (its
    OpError), or that gave no answer in time (a RetryTimeoutError)."""
    from ...gfile_io import access_todo

    flag = flag_name(what)
    if isinstance(err, errors.RetryTimeoutError):
        # Its own message starts "Cannot <verb> <its path>: ": said once, by this one.
        detail = str(err).partition(f" {escaped(err.url)}: ")[2] or str(err)
        return errors.OutputTimeoutError(
            f"Cannot write the {what} {path}: asked {doing}, {detail} Received: {flag}={path!r}",
            path=path,
            what=what,
        )
    reason = f"TensorFlow's file system failed {doing} ({quoted_reason(err, about or path)})"
    return not_writable(path, reason, what=what, flag=flag, todo=access_todo(path) + ".")


def remote_errors() -> tuple[type[BaseException], ...]:
    """The errors of a bounded gs:// request that `remote_output_error` turns into the
    output's error (TensorFlow imported then)."""
    from ...utils.lazy import import_tensorflow

    tf = import_tensorflow("Writing outputs to gs:// (or another TensorFlow file system)")
    return (tf.errors.OpError, errors.RetryTimeoutError)


def check_outputs_apart_from_images(outputs: Outputs, image_dir: str) -> None:
    """Refuses, before training, an output folder at or inside `image_dir` (unless below a
    hidden folder, which is not read), and any output whose writing would make a new visible
    folder beside the class folders (`runs/.logs`, `new/labels.txt` would make an empty class
    `runs` or `new`): the next reading of the images would take it, or the folders the
    summaries make in it, as a class. A file beside the class folders or in one is allowed.

    Raises:
        tfhub.errors.OutputNotWritableError: naming the output and --image_dir.
    """
    from ..image_folders import is_hidden

    for path, what, is_dir in given_outputs(outputs):
        if is_url(path):
            continue  # Remote (gs://): never in a local image folder.
        folder = path if is_dir else os.path.dirname(os.path.abspath(path))
        relative = relative_below(folder, image_dir)
        if relative is None or (not is_dir and relative == os.curdir):
            continue  # Outside, or a file beside the class folders (not read as a class).
        parts = [] if relative == os.curdir else relative.split(os.sep)
        top_made = bool(parts) and not os.path.isdir(os.path.join(image_dir, parts[0]))
        if is_dir and not any(is_hidden(part) for part in parts):
            where = "is the image folder" if not parts else "is inside the image folder"
        elif top_made and not is_hidden(parts[0]):
            where = f"would make the folder {parts[0]!r} in the image folder"
        else:
            continue  # Below a hidden folder, or a file in a class folder that exists.
        raise errors.OutputNotWritableError(
            f"Cannot write the {what} {path}: it {where} {image_dir}, whose next reading would "
            "take it (or the folders it holds) as a class of images. Choose a folder outside "
            f"--image_dir. Received: {flag_name(what)}={path!r}, image_dir={image_dir!r}",
            path=path,
            what=what,
        )


def _check_apart_from_module(outputs: Outputs, module: str) -> None:
    """Refuses an output at or inside the local module's folder, or a --saved_model_dir (replaced
    whole) that holds it."""
    for path, what, _ in given_outputs(outputs):
        module_handles.check_output_apart(
            path,
            module,
            what=what,
            flag=flag_name(what),
            module_flag="tfhub_module",
            replaced_whole=what == "saved model dir",
        )


def _check_apart(outputs: Outputs) -> None:
    """Refuses two outputs at the same path (links followed, relative paths made absolute), or
    one inside another, which one write would overwrite or the other would fail on after
    training. The labels and .tflite files may be inside the saved model dir (they are written
    after it); a stream (/dev/null, /dev/stdout) may take several outputs."""
    given = [each for each in given_outputs(outputs) if special_kind(each[0]) not in STREAMS]
    for index, (path, what, _) in enumerate(given):
        for other, other_what, other_is_dir in given[:index] + given[index + 1 :]:
            relative = relative_below(path, other)
            if relative is None or (other_what == "saved model dir" and not is_folder(what)):
                continue
            if relative == os.curdir:
                reason, todo = "it is the same path as", "one would overwrite the other"
            elif other_is_dir:
                reason, todo = "it is inside", "the two would mix their files"
            else:
                reason, todo = "it is inside", "a file cannot hold another output"
            raise errors.OutputNotWritableError(
                f"Cannot write the {what} {path}: {reason} the {other_what} {other} ({todo}). "
                "Give each output its own path, none inside another. Received: "
                f"{flag_name(what)}={path!r}, {flag_name(other_what)}={other!r}",
                path=path,
                what=what,
            )


def _first_part_inside(path: str, folder: str) -> str | None:
    """The first component of `path` below `folder` ("" for `folder` itself), or None if
    `path` is not inside it."""
    relative = relative_below(path, folder)
    if relative is None:
        return None
    return "" if relative == os.curdir else relative.split(os.sep)[0]


def _check_saved_model_dir(outputs: Outputs, folder: str) -> None:
    """Refuses outputs that the SavedModel's folder would delete when it replaces `folder`
    (the summaries, written during training, inside it; another output at its path), and a
    `folder` holding anything else than a SavedModel and the outputs written after it."""
    kept = set()
    for path, what in (
        (outputs.summaries_dir, "summaries dir"),
        (outputs.tflite_output_file, "tflite output file"),
        (outputs.labels_output_file, "labels output file"),
    ):
        part = None if not path else _first_part_inside(path, folder)
        if part == "" or (part is not None and what == "summaries dir"):
            raise atomic_output.not_writable(
                path or "",
                f"it is inside the saved model dir {folder}, which is replaced whole by the "
                "SavedModel",
                what=what,
            )
        if part is not None:
            kept.add(part)
    atomic_output.check_replaceable(
        folder, lambda name: name in SAVED_MODEL_NAMES or name in kept, what="saved model dir"
    )


def check_labels_one_per_line(labels: Sequence[str], image_dir: str, *, flag: str) -> None:
    """Refuses, before training, class names (the class folders' names) that the labels file,
    one label per line, cannot hold: a name with a line break (newline, carriage return, or
    another that `str.splitlines` splits at) would read back as several labels, and every
    label after it would name the wrong prediction.

    Args:
        labels: the class names, in prediction order.
        image_dir: the image folder, named in the error.
        flag: the flag that named it ("image_dir").

    Raises:
        tfhub.errors.ImageFolderError: naming the class folders to rename.
    """
    broken = [label for label in labels if label.splitlines() != [label]]
    if not broken:
        return
    problem = f"the class folder name(s) {broken} hold a line break"
    raise errors.ImageFolderError(
        f"Cannot use the image folder {image_dir}: {problem}, which the labels file (one label "
        "per line) cannot hold. Rename the class folder(s) without newlines or carriage "
        f"returns. Received: {flag}={image_dir!r}",
        path=image_dir,
        problem=problem,
    )
