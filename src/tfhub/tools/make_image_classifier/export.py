"""The outputs of make_image_classifier: SavedModel, TFLite file, labels file, and the checks
that run before training (every output path writable); the conversion to TFLite is in `tflite`.

Every output is written under a temporary name beside its target and renamed into place when
complete (tfhub.tools.atomic_output), so an interrupted run leaves no half-written SavedModel,
.tflite or labels file.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from ... import errors
from ...utils.paths import STREAMS, relative_below, special_kind
from ...utils.refused_writes import failed_write
from .. import atomic_output, module_handles
from .model import SERVING_INPUT, SERVING_OUTPUT
from .tflite import tflite_bytes

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Outputs:
    """Where make_image_classifier writes (each optional, as upstream's flags).

    Attributes:
        saved_model_dir: the SavedModel folder (signature `serving_default`).
        tflite_output_file: the .tflite file.
        labels_output_file: the labels, one per line, in the order of the predictions.
        summaries_dir: the TensorBoard summaries folder.
    """

    saved_model_dir: str | None = None
    tflite_output_file: str | None = None
    labels_output_file: str | None = None
    summaries_dir: str | None = None


# What a SavedModel folder holds (Keras 3's export, tf.saved_model.save, tf_keras' save).
SAVED_MODEL_NAMES = frozenset(
    {"saved_model.pb", "saved_model.pbtxt", "variables", "assets", "assets.extra"}
    | {"fingerprint.pb", "keras_metadata.pb"}
)


def check_outputs_writable(outputs: Outputs, *, module: str | None = None) -> None:
    """Checks, before training, that every requested output can be written (creates nothing),
    and that --saved_model_dir, which is replaced whole, holds nothing else than a SavedModel
    and the other outputs put inside it (e.g. the image folder given as --saved_model_dir
    would be deleted).

    Args:
        outputs: the outputs asked for.
        module: the --tfhub_module handle: no output may be at or inside its local folder, nor
            --saved_model_dir hold it.

    Raises:
        tfhub.errors.OutputNotWritableError: naming the first output that cannot be written.
    """
    if module:
        _check_apart_from_module(outputs, module)
    for path, what, is_dir in _given(outputs):
        atomic_output.check_writable(path, is_dir=is_dir, what=what)
    if outputs.saved_model_dir:
        _check_saved_model_dir(outputs, outputs.saved_model_dir)
    _check_apart(outputs)


def check_outputs_apart_from_images(outputs: Outputs, image_dir: str) -> None:
    """Refuses, before training, an output folder at or inside `image_dir` (unless below a
    hidden folder, which is not read): the next reading of the images would take it, or the
    folders the summaries make in it, as a class.

    Raises:
        tfhub.errors.OutputNotWritableError: naming the output and --image_dir.
    """
    from ..image_folders import is_hidden

    for path, what, is_dir in _given(outputs):
        relative = relative_below(path, image_dir) if is_dir else None
        if relative is None:
            continue
        parts = [] if relative == os.curdir else relative.split(os.sep)
        if any(is_hidden(part) for part in parts):
            continue
        where = "is the image folder" if relative == os.curdir else "is inside the image folder"
        raise errors.OutputNotWritableError(
            f"Cannot write the {what} {path}: it {where} {image_dir}, whose next reading would "
            "take it (or the folders it holds) as a class of images. Choose a folder outside "
            f"--image_dir. Received: {_flag(what)}={path!r}, image_dir={image_dir!r}",
            path=path,
            what=what,
        )


def _check_apart_from_module(outputs: Outputs, module: str) -> None:
    """Refuses an output at or inside the local module's folder, or a --saved_model_dir (replaced
    whole) that holds it."""
    for path, what, _ in _given(outputs):
        module_handles.check_output_apart(
            path,
            module,
            what=what,
            flag=_flag(what),
            module_flag="tfhub_module",
            replaced_whole=what == "saved model dir",
        )


def _given(outputs: Outputs) -> list[tuple[str, str, bool]]:
    """(path, what, whether it is a folder) of each output asked for, in the order written."""
    return [
        (path, what, is_dir)
        for path, what, is_dir in (
            (outputs.saved_model_dir, "saved model dir", True),
            (outputs.tflite_output_file, "tflite output file", False),
            (outputs.labels_output_file, "labels output file", False),
            (outputs.summaries_dir, "summaries dir", True),
        )
        if path
    ]


def _check_apart(outputs: Outputs) -> None:
    """Refuses two outputs at the same path (links followed, relative paths made absolute), or
    one inside another, which one write would overwrite or the other would fail on after
    training. The labels and .tflite files may be inside the saved model dir (they are written
    after it); a stream (/dev/null, /dev/stdout) may take several outputs."""
    given = [each for each in _given(outputs) if special_kind(each[0]) not in STREAMS]
    for index, (path, what, _) in enumerate(given):
        for other, other_what, other_is_dir in given[:index] + given[index + 1 :]:
            relative = relative_below(path, other)
            if relative is None or (other_what == "saved model dir" and not _is_folder(what)):
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
                f"{_flag(what)}={path!r}, {_flag(other_what)}={other!r}",
                path=path,
                what=what,
            )


def _is_folder(what: str) -> bool:
    return what.endswith(" dir")


def _flag(what: str) -> str:
    return what.replace(" ", "_")


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


def write_labels(path: str, labels: Sequence[str]) -> None:
    """Writes the labels, one per line (ending with a newline), in prediction order, in UTF-8;
    a class folder name that is not UTF-8 is written as its bytes."""
    text = "".join(f"{label}\n" for label in labels)
    data = text.encode("utf-8", "surrogateescape")
    atomic_output.write_file(path, data, what="labels output file")


def save_model(model: Any, folder: str) -> None:
    """Saves a Keras model as a SavedModel with `serving_default` (float images -> softmax),
    its input and output named as upstream's (`model.SERVING_INPUT`, `model.SERVING_OUTPUT`).

    Keras 3 models go through `keras.export.ExportArchive` (what `model.export` uses, with the
    output named: `model.export` calls it `output_0`), tf_keras models through
    `tf.saved_model.save` (which names them after the Input and Dense layers). Either way the
    loaded SavedModel is callable, as upstream's: `tf.saved_model.load(folder)(images)` returns
    the probabilities, and `hub.KerasLayer(folder)` reuses the classifier (with its
    `variables`, `trainable_variables` and `regularization_losses`).

    Args:
        model: the classifier (`model.build_model`), in either Keras flavour.
        folder: where the SavedModel is written.
    """
    import tensorflow as tf

    from ..._tf_private import keras3_archive_set_call
    from ...keras._compat import object_flavour

    if object_flavour(model) != "keras3":
        tf.saved_model.save(model, folder)
        return
    import keras

    archive = keras.export.ExportArchive()
    archive.track(model)
    spec = tf.TensorSpec(model.inputs[0].shape, model.inputs[0].dtype, name=SERVING_INPUT)
    archive.add_endpoint(
        "serve",
        lambda images: {SERVING_OUTPUT: model(images, training=False)},
        input_signature=[spec],
    )
    # Not an endpoint: each endpoint is also a signature, and serving_default stays the one.
    keras3_archive_set_call(
        archive,
        lambda images: model(images, training=False),
        [spec],
        regularization_losses=[_loss_at(model, i) for i in range(len(model.losses))],
    )
    archive.write_out(folder, verbose=False)


def _loss_at(model: Any, index: int) -> Callable[[], Any]:
    """A function returning the model's `index`-th loss (the Dense kernel's L2 term, and the
    module's own losses when fine-tuned), computed from the variables when called."""
    return lambda: model.losses[index]


def _tflite_bytes_of(model: Any, output_file: str) -> bytes:
    """Converts `model` to a TFLite flatbuffer through a temporary SavedModel written beside
    the .tflite file (`atomic_output.scratch_folder`: hidden, removed after; one that a killed
    run left is removed by the next run).

    Raises:
        tfhub.errors.TFLiteConversionError: the converter refused the model.
        tfhub.errors.OutputNotWritableError: the temporary SavedModel cannot be written (a
            full disk where the .tflite file goes).
    """
    what = "tflite output file"
    with atomic_output.scratch_folder(output_file, what=what) as scratch:
        folder = os.path.join(scratch, "saved_model")
        try:
            save_model(model, folder)
        except Exception as err:
            failed = failed_write(err, scratch)
            if failed is None:
                raise
            raise atomic_output.not_writable(
                output_file,
                "the temporary SavedModel it is converted from, beside it, cannot be written "
                f"({failed.strerror})",
                what=what,
                disk_full=failed.errno in errors.DISK_FULL_ERRNOS,
            ) from err
        return tflite_bytes(folder, output_file=output_file)


def export(
    model: Any, labels: Sequence[str], outputs: Outputs, *, say: Callable[[str], None]
) -> None:
    """Writes the SavedModel, the labels file and the .tflite file that `outputs` ask for, in
    this order (the SavedModel replaces its folder whole: the others may be inside it).

    A .tflite without a SavedModel is converted from a temporary SavedModel, then removed.

    Each output is replaced only once complete, so a run that fails (or is interrupted) after
    writing some outputs leaves the others as they were: maybe an earlier run's files, which do
    not match the new ones. Its error then says which outputs this run wrote and which are
    still an earlier run's (or were not written); an interrupt carries that as a note
    (`__notes__`, printed by tracebacks and the tools' "interrupted" line).

    Raises:
        tfhub.errors.TFLiteConversionError: the model cannot become a .tflite file (the
            SavedModel and labels file, written before, stay).
        tfhub.errors.OutputNotWritableError: an output cannot be written.
    """
    written: list[tuple[str, str]] = []
    try:
        _write_outputs(model, labels, outputs, say=say, written=written)
    except (Exception, KeyboardInterrupt) as err:
        note = _partial_note(outputs, written)
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
    if outputs.saved_model_dir:  # First: it replaces its folder, and the others may be inside.
        with atomic_output.write_folder(outputs.saved_model_dir, what="saved model dir") as tmp:
            save_model(model, tmp)
        written.append((outputs.saved_model_dir, "saved model dir"))
        say(f"SavedModel model exported to {outputs.saved_model_dir}")
    if outputs.labels_output_file:
        write_labels(outputs.labels_output_file, labels)
        written.append((outputs.labels_output_file, "labels output file"))
        say(f"Labels written to {outputs.labels_output_file}")
    if outputs.tflite_output_file:
        if outputs.saved_model_dir:
            flatbuffer = tflite_bytes(
                outputs.saved_model_dir, output_file=outputs.tflite_output_file
            )
        else:
            flatbuffer = _tflite_bytes_of(model, outputs.tflite_output_file)
        atomic_output.write_file(outputs.tflite_output_file, flatbuffer, what="tflite output file")
        written.append((outputs.tflite_output_file, "tflite output file"))
        say(f"TFLite model exported to {outputs.tflite_output_file}")


def _partial_note(outputs: Outputs, written: list[tuple[str, str]]) -> str | None:
    """What an export that stopped after writing `written` left: which outputs this run wrote,
    which still hold an earlier run's files, which were not written; None if it wrote none
    (all are as they were) or all."""
    pending = [
        (path, what)
        for path, what, _ in _given(outputs)
        if what != "summaries dir" and (path, what) not in written
    ]
    if not written or not pending:
        return None
    earlier = [(path, what) for path, what in pending if _holds_earlier_output(path)]
    missing = [each for each in pending if each not in earlier]
    note = f"This run wrote only {_listed(written)}"
    if earlier:
        verb = "holds" if len(earlier) == 1 else "hold"
        note += f"; {_listed(earlier)} still {verb} an earlier run's output, not this run's"
    if missing:
        note += f"; {_listed(missing)} {'was' if len(missing) == 1 else 'were'} not written"
    return note + "."


def _holds_earlier_output(path: str) -> bool:
    """Whether the output `path` exists as a file or folder (not a stream such as /dev/null,
    into which nothing stays)."""
    return os.path.exists(path) and special_kind(path) is None


def _listed(outputs: list[tuple[str, str]]) -> str:
    """Names the outputs: "the saved model dir A, the labels output file B and the ..."."""
    named = [f"the {what} {path}" for path, what in outputs]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
