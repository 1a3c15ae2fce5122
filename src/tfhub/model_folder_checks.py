"""What a folder given as a model holds, read without TensorFlow: the model files it has
(saved_model.pb or .pbtxt), what a file given in its place is (an archive, a Keras or TFLite
model...), the model folders one level down (TF Serving's version folders), and so why a folder
has no saved_model.pb and what to do (`no_pb_problem`, which `saved_model_proto` and
`model_damage` put in their errors).
"""

from __future__ import annotations

import os

from . import cache, handles
from .utils.numbers import is_number
from .utils.paths import is_url, special_kind

SAVED_MODEL_FILENAME_PB = "saved_model.pb"


# Model files that are not SavedModel folders, by file name ending (any case; the first that
# matches): what they are, what to do.
_OTHER_MODEL_FILES = (
    (  # Before the Keras model files: what `model.save_weights` writes is no model (a
        # `.weights.json` is the index of Keras 3's shards, saved with max_shard_size).
        (".weights.h5", ".weights.json"),
        "a Keras weights file (weights only, no model)",
        "Build the model in code and call model.load_weights(FILE) (keras.models.load_model "
        "finds no model in it); hub needs the SavedModel folder.",
    ),
    (
        (".keras", ".h5", ".hdf5"),
        "a Keras model file",
        "Load it with keras.models.load_model, or export a SavedModel from it: "
        "model.export(FOLDER) in Keras 3, model.save(FOLDER) in tf_keras.",
    ),
    ((".tflite",), "a TensorFlow Lite model", "Run it with tf.lite.Interpreter."),
    ((".zip",), "a ZIP archive", "Unzip it and pass the folder that holds saved_model.pb."),
    (
        (".pb",),
        "a protocol buffer file, e.g. a frozen TensorFlow 1 graph",
        "A SavedModel is a folder holding saved_model.pb (and variables/); load a frozen graph "
        "with tf.compat.v1.GraphDef and tf.graph_util.import_graph_def.",
    ),
)


MODEL_FILE_NAMES = (SAVED_MODEL_FILENAME_PB, "saved_model.pbtxt")


def model_files_in(folder: str) -> list[str]:
    """The names of the MODEL_FILE_NAMES that the local `folder` holds (as files)."""
    return [name for name in MODEL_FILE_NAMES if os.path.isfile(os.path.join(folder, name))]


def model_file_kind(path: str) -> tuple[str, str]:
    """What a file given where a model folder belongs is, and what to do with it.

    Returns:
        (what it is, e.g. "a Keras model file"; what to do, a sentence: "Load it with ...").
    """
    if handles.is_archive_path(path):
        return "an archive file", (
            f"Extract it, or put it into the cache with `tfhub import {path} --handle HANDLE` "
            "and load HANDLE."
        )
    name = os.path.basename(path)
    if name in MODEL_FILE_NAMES:
        return f"the model's {name}", f"Pass its folder, {os.path.dirname(os.path.abspath(path))}."
    return other_model_file_kind(name) or (
        "a file",
        f"Pass the folder that holds {SAVED_MODEL_FILENAME_PB}.",
    )


def other_model_file_kind(name: str) -> tuple[str, str] | None:
    """What a model file that is not a SavedModel folder is, by its name's ending (a Keras
    `.keras` or `.h5` file, a `.tflite` model...), and what to do with it; None if the ending is
    none of those.

    Returns:
        (what it is, e.g. "a Keras model file"; what to do, a sentence), or None.
    """
    for endings, what, todo in _OTHER_MODEL_FILES:
        if name.lower().endswith(endings):
            return what, todo
    return None


def models_below(folder: str) -> list[str]:
    """The sub-folders of the local `folder` (one level down) that hold a saved_model.pb (or
    .pbtxt), e.g. of an archive packed one level too high, or TF Serving's version folders
    (`1/`, `2/`): numbered ones first, newest first, then the others by name."""
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return []
    ordered = sorted(
        names, key=lambda name: (not is_number(name), -int(name) if is_number(name) else 0, name)
    )
    return [
        os.path.join(folder, name) for name in ordered if model_files_in(os.path.join(folder, name))
    ]


def model_below(folder: str) -> str | None:
    """The first of `models_below(folder)`, or None if there is none."""
    found = models_below(folder)
    return found[0] if found else None


def no_pb_problem(module_path: str) -> tuple[str, str | None]:
    """Why a folder has no saved_model.pb, and what to do if that is not the default: it is a
    file (an archive, a Keras or TFLite model, the saved_model.pb itself), a TensorFlow.js
    model, its model is one folder down, or it lacks one."""
    not_a_saved_model = f"it holds no {SAVED_MODEL_FILENAME_PB}, so it is not a SavedModel"
    if is_url(module_path):  # Remote folders get the plain answer (no listing).
        return not_a_saved_model, None
    if os.path.isfile(module_path):
        what, todo = model_file_kind(module_path)
        return f"it is {what}, not a model folder", todo
    special = special_kind(module_path)  # /dev/null: a character device.
    if special is not None:
        return f"it is a {special}, not a model folder", (
            f"Pass the folder that holds {SAVED_MODEL_FILENAME_PB}."
        )
    if os.path.isfile(os.path.join(module_path, "model.json")):
        return (  # Kaggle and tfhub.dev publish TF.js variants of many models.
            "it is a TensorFlow.js model (model.json), not a SavedModel",
            "Load it with TensorFlow.js, or get the model's TensorFlow 2 (SavedModel) variant.",
        )
    found = models_below(module_path)
    if not found:
        return not_a_saved_model, None
    below = found[0]
    name = os.path.basename(below)
    if cache.read_descriptor_handle(module_path) is None:
        versions = [os.path.basename(path) for path in found if is_number(os.path.basename(path))]
        if len(versions) > 1:  # TF Serving's layout: <model>/<version>/saved_model.pb.
            listed = ", ".join(f"{version}/" for version in sorted(versions, key=int))
            return (
                f"it holds no {SAVED_MODEL_FILENAME_PB}, but its version folders {listed} do "
                "(TF Serving's layout)",
                f"Did you mean {below} (the newest)?",
            )
        return f"it holds no {SAVED_MODEL_FILENAME_PB}, but its folder {name}/ does", (
            f"Did you mean {below}?"
        )
    return (  # Downloading it again would give the same: the archive is packed so.
        f"its archive holds the model in a folder, {name}/, not at its top",
        f"Load {below}, or repack the archive with the model's files at its top (`tfhub "
        "pack MODEL_FOLDER -o model.tar.gz` packs a folder's contents).",
    )
