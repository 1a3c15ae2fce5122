"""A model published with the starter doc, before a newer model replaces it (shared by the
tests of the starter's stale `## Signatures` table: tests/hub/test_publish_stale_table_*, whose
models come from the `stale_table_models` fixture of tests/hub/conftest.py).

API (stable):
    HANDLE, DOC: the handle published and its doc's path below the hub root.
    old_and_new_models(work) -> {"old": path, "new": path}: two callable SavedModels whose
        signatures differ only in the input's width (3, then 5).
    publish_old_with_starter_doc(models, tmp_path) -> (root, given): the old model published
        with a starter doc, and a copy of that doc to give to the next publish.
    republish_with_edited_doc(models, tmp_path, edit) -> (given, kept): then the new model
        published with `--force --doc` that copy, once `edit` changed it.
TensorFlow is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

HANDLE = "lab/emb/1"
DOC = "assets/docs/lab/models/emb/1.md"


def _save_summing_model(path: Path, width: int) -> Path:
    """A callable tf.Module summing its [None, width] input; returns `path`."""
    import tensorflow as tf

    class Summed(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32)])
        def __call__(self, x: tf.Tensor) -> tf.Tensor:
            return tf.reduce_sum(x, axis=1, keepdims=True)

    tf.saved_model.save(Summed(), str(path))
    return path


def old_and_new_models(work: Path) -> dict[str, Path]:
    """Saves the "old" model (input [None, 3]) and the "new" one ([None, 5]) below `work`.

    Returns:
        {"old": its folder, "new": its folder}.
    """
    return {
        "old": _save_summing_model(work / "old", 3),
        "new": _save_summing_model(work / "new", 5),
    }


def publish_old_with_starter_doc(models: dict[str, Path], tmp_path: Path) -> tuple[Path, Path]:
    """Publishes `models["old"]` as HANDLE to the hub root `tmp_path/root` with a starter doc
    (task text-embedding), and copies that doc to `tmp_path/1.md`.

    Returns:
        (the hub root, the copy of the doc).
    """
    from tfhub.hub.publish import publish
    from tfhub.hub.starter import StarterInfo

    root = tmp_path / "root"
    publish(models["old"], root, HANDLE, info=StarterInfo(task="text-embedding"))
    given = tmp_path / "1.md"
    shutil.copy(root / DOC, given)
    return root, given


def republish_with_edited_doc(
    models: dict[str, Path], tmp_path: Path, edit: Callable[[Path], None]
) -> tuple[Path, Path]:
    """Publishes the old model with a starter doc (publish_old_with_starter_doc), lets `edit`
    change the copy of its doc, then publishes `models["new"]` over it with `--force --doc`
    that copy.

    Returns:
        (the doc given, the doc in the hub after the second publish).
    """
    from tfhub.hub.publish import publish

    root, given = publish_old_with_starter_doc(models, tmp_path)
    edit(given)
    publish(models["new"], root, HANDLE, doc=given, force=True)
    return given, root / DOC
