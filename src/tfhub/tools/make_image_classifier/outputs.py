"""`Outputs`: where make_image_classifier writes (upstream's flags), and the outputs asked for,
each with what it is and whether it is a folder, in the order they are written."""

from __future__ import annotations

import dataclasses


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
