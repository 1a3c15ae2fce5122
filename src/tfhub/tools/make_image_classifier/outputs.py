"""`Outputs`: where make_image_classifier writes (upstream's flags), and the outputs asked for,
each with what it is and whether it is a folder, in the order they are written."""

from __future__ import annotations

import dataclasses
import os

from ... import errors


def path_text(value: object, *, argument: str) -> str:
    """Returns `value`, a path the tool reads or writes, as a str: an os.PathLike
    (pathlib.Path) is taken, bytes are decoded as the file system does (`os.fsdecode`).

    Args:
        value: the path as the Python API's caller gave it.
        argument: its parameter's name, for the message.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) for anything else (a number would be
            read as a file descriptor).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | os.PathLike):
        return os.fsdecode(os.fspath(value))
    raise errors.ArgumentTypeError(
        f"{argument} is a path: pass it as a str, bytes or os.PathLike (pathlib.Path). "
        f"Received: {argument}={value!r} of type {type(value).__name__}"
    )


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

    def __post_init__(self) -> None:
        """Takes each path given as os.PathLike or bytes as its str (`path_text`).

        Raises:
            tfhub.errors.ArgumentTypeError: a path that is no str, bytes or os.PathLike.
        """
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None:  # Frozen: set as dataclasses' own __init__ does.
                object.__setattr__(self, field.name, path_text(value, argument=field.name))


# What a SavedModel folder holds (Keras 3's export, tf.saved_model.save, tf_keras' save).
SAVED_MODEL_NAMES = frozenset(
    {"saved_model.pb", "saved_model.pbtxt", "variables", "assets", "assets.extra"}
    | {"fingerprint.pb", "keras_metadata.pb"}
)


def given_outputs(outputs: Outputs) -> list[tuple[str, str, bool]]:
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


def is_folder(what: str) -> bool:
    """Whether the output `what` (as `given_outputs` names it) is a folder."""
    return what.endswith(" dir")


def check_outputs_type(outputs: object) -> None:
    """Refuses, before any work, `train_and_export`'s `outputs` that is no `Outputs` (None, a
    dict of its fields), which failed at its first use with an AttributeError.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) saying to pass an `Outputs`.
    """
    if isinstance(outputs, Outputs):
        return
    raise errors.ArgumentTypeError(
        "outputs says where train_and_export writes: pass an Outputs(saved_model_dir=..., "
        "tflite_output_file=..., labels_output_file=..., summaries_dir=...), Outputs() for no "
        f"output. Received: outputs={outputs!r} of type {type(outputs).__name__}"
    )
