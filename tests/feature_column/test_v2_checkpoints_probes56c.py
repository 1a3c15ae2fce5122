"""A fine-tuned `text_embedding_column_v2` restores across tensorflow_hub 0.10.0 and tfhub.

0.10.0's column registers its module layer with `DenseFeatures` as the resource
`hub_text_column_<key>` (feature_column_v2.py: `_resource_name`), which the layer tracks as
`_resources/<column name>/hub_text_column_<key>`: a TF-format checkpoint (`model.save_weights`,
`ModelCheckpoint(save_weights_only=True)`) and a tf_keras SavedModel folder key the module's
weights by that path. tfhub registered it as `hub_module`, so the fine-tuned weights of either
library's checkpoint silently stayed pretrained in the other's model, and 0.10.0's SavedModel
folder did not load once tfhub was imported (AssertionError: "Found 1 Python objects that were
not bound to checkpointed values"). The same code runs with 0.10.0 (in a child,
tests/_helpers/upstream_010.py) and with tfhub (in this process).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests._helpers.upstream_010 import upstream_env, upstream_package
from tests._helpers.upstream_records import upstream_path
from tests.keras._child_parts import result_of, run_parts

pytestmark = [pytest.mark.tf, pytest.mark.slow]

# 0.10.0's KerasLayer imports `tensorflow.python.training.tracking.data_structures`, which
# TensorFlow 2.21 keeps as `tensorflow.python.trackable.data_structures`.
UPSTREAM_INIT = """\
import sys, types
from tensorflow.python.trackable import data_structures as _data_structures
_tracking = types.ModuleType("tensorflow.python.training.tracking")
_tracking.data_structures = _data_structures
sys.modules["tensorflow.python.training.tracking"] = _tracking
sys.modules["tensorflow.python.training.tracking.data_structures"] = _data_structures
from tensorflow_hub.feature_column_v2 import text_embedding_column_v2
from tensorflow_hub.version import __version__
from tensorflow_hub.config import _run

_run()
"""

UPSTREAM_SCRIPT = """
    import sys
    import tensorflow_hub as hub
    from tests.feature_column.test_v2_checkpoints_probes56c import embeddings_seen

    @part
    def trained():
        return embeddings_seen(hub, sys.argv[1], "train", folder_too=True)

    @part
    def restored():
        return embeddings_seen(hub, sys.argv[2], "restore")
"""

TEXTS = ["hello world", "cat", ""]


def _model(hub: Any) -> tuple[Any, Any]:
    """A tf_keras model: DenseFeatures over a trainable v2 column, then Dense(1) of ones."""
    import tensorflow as tf
    import tf_keras

    column = hub.text_embedding_column_v2("t", upstream_path("tf2_text_embedding"), trainable=True)
    inputs = {"t": tf_keras.Input(shape=(), dtype=tf.string, name="t")}
    features = tf_keras.layers.DenseFeatures([column])
    outputs = tf_keras.layers.Dense(1, kernel_initializer="ones")(features(inputs))
    return tf_keras.Model(inputs, outputs), features


def embeddings_seen(
    hub: Any, folder: str, mode: str, *, folder_too: bool = False
) -> dict[str, Any]:
    """ "train": fine-tunes the module's weights (x3) and saves a TF-format checkpoint into
    `folder` (and, if `folder_too`, the model as a SavedModel folder); "restore": restores them
    into a new model.

    Returns:
        {"embeddings": the column's output for TEXTS, "matched": whether every object of the
        model got a value from the checkpoint (restore only)}.
    """
    import tensorflow as tf

    model, features = _model(hub)
    seen: dict[str, Any] = {}
    if mode == "train":
        for weight in features.trainable_weights:
            weight.assign(weight * 3.0)
        model.save_weights(os.path.join(folder, "ckpt"))
        if folder_too:
            model.save(os.path.join(folder, "saved_model"))
    else:
        status = model.load_weights(os.path.join(folder, "ckpt"))
        try:
            status.assert_existing_objects_matched()
            seen["matched"] = True
        except AssertionError:
            seen["matched"] = False
    seen["embeddings"] = features({"t": tf.constant(TEXTS)}).numpy().tolist()
    return seen


@pytest.fixture(scope="module")
def exchanged(tmp_path_factory) -> dict[str, Any]:
    """Each library fine-tunes and saves; each restores what the other saved."""
    import tfhub

    upstream_010 = upstream_package(tmp_path_factory.mktemp("tensorflow_hub_010"), UPSTREAM_INIT)
    folders = {saver: tmp_path_factory.mktemp(f"saved_by_{saver}") for saver in ("0.10.0", "tfhub")}
    ours_trained = embeddings_seen(tfhub, os.fspath(folders["tfhub"]), "train")
    parts = run_parts(
        UPSTREAM_SCRIPT,
        *map(os.fspath, folders.values()),
        env=upstream_env(upstream_010, TF_USE_LEGACY_KERAS="1"),
    )
    upstream_trained = result_of(parts, "trained")
    ours_restored = embeddings_seen(tfhub, os.fspath(folders["0.10.0"]), "restore")
    return {
        "0.10.0": (upstream_trained, ours_restored),
        "tfhub": (ours_trained, result_of(parts, "restored")),
        "folders": folders,
    }


@pytest.mark.parametrize("saver", ["0.10.0", "tfhub"])
def test_a_checkpoint_of_a_fine_tuned_v2_column_restores_in_the_other_library(exchanged, saver):
    trained, restored = exchanged[saver]
    pretrained = np.array(trained["embeddings"]) / 3.0
    assert not np.allclose(restored["embeddings"], pretrained), "fine-tuned weights not restored"
    np.testing.assert_allclose(restored["embeddings"], trained["embeddings"], atol=1e-6)
    assert restored["matched"]


def test_a_saved_model_folder_of_0_10_0_loads_with_tfhub_imported(exchanged):
    import tensorflow as tf
    import tf_keras

    import tfhub  # noqa: F401  (registers the column classes, as a user's process has)

    folder: Path = exchanged["folders"]["0.10.0"]
    model = tf_keras.models.load_model(os.fspath(folder / "saved_model"))
    trained, _ = exchanged["0.10.0"]
    features = next(layer for layer in model.layers if "dense_features" in layer.name)
    embeddings = features({"t": tf.constant(TEXTS)}).numpy()
    np.testing.assert_allclose(embeddings, trained["embeddings"], atol=1e-6)
