"""`save_model`: the trained classifier as a SavedModel with `serving_default`, its input and
output named as upstream's, in either Keras flavour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import SERVING_INPUT, SERVING_OUTPUT


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
