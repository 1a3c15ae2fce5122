"""The classifier's model, as upstream's: the module (a hub.KerasLayer), then Dropout, then a
softmax Dense layer with L1/L2 regularization, compiled with SGD and momentum on categorical
cross-entropy with label smoothing; in the Keras flavour in use (tf_keras if
TF_USE_LEGACY_KERAS=1, else Keras 3). TensorFlow is imported on first call.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...keras._compat import keras_package
from .hparams import HParams


def keras_module() -> Any:
    """Returns the Keras flavour in use: `tf_keras` if TF_USE_LEGACY_KERAS=1, else `keras`."""
    return importlib.import_module(keras_package())


# The names of the SavedModel's `serving_default` input and output, those of upstream's models
# (tf_keras named its first Input "input_1" and Dense "dense"), so TF Serving clients written
# for them work; Keras would otherwise number them per process (input_2, keras_tensor_5, ...).
SERVING_INPUT = "input_1"
SERVING_OUTPUT = "dense"


def _head_layers(hparams: HParams, num_classes: int) -> list[Any]:
    """The classifier's layers on top of the module: Dropout, softmax Dense (L1/L2) named
    `SERVING_OUTPUT`. The factors are given as Python floats: Keras refuses NumPy's (an
    `HParams` of a Python caller may hold them, as upstream's tf.keras took them)."""
    keras = keras_module()
    l1, l2 = float(hparams.l1_regularizer), float(hparams.l2_regularizer)
    regularizer = keras.regularizers.L1L2(l1=l1, l2=l2)
    return [
        keras.layers.Dropout(rate=float(hparams.dropout_rate)),
        keras.layers.Dense(
            num_classes,
            activation="softmax",
            kernel_regularizer=regularizer,
            name=SERVING_OUTPUT,
        ),
    ]


def build_model(module_layer: Any, hparams: HParams, image_size: Any, num_classes: int) -> Any:
    """Builds the classifier: module, Dropout, softmax Dense (call under the strategy's scope).

    Args:
        module_layer: the module as a hub.KerasLayer.
        hparams: uses dropout_rate, l1_regularizer and l2_regularizer.
        image_size: (height, width) of the input images.
        num_classes: the number of classes.

    Returns:
        A Sequential model taking float images [batch, height, width, 3] in [0, 1].
    """
    return _on_module(module_layer, image_size, _head_layers(hparams, num_classes))


def build_head(hparams: HParams, feature_dim: int, num_classes: int) -> Any:
    """Builds the classifier's head alone: Dropout, softmax Dense, on feature vectors (call
    under the strategy's scope). `attach_head` puts it on the module afterwards.

    Returns:
        A Sequential model taking float feature vectors [batch, feature_dim].
    """
    keras = keras_module()
    return keras.Sequential(
        [keras.Input(shape=(feature_dim,)), *_head_layers(hparams, num_classes)]
    )


def attach_head(module_layer: Any, head: Any, image_size: Any) -> Any:
    """The whole classifier, module then `head`'s layers (shared: the same weights), as
    `build_model` builds it; it predicts what `head` predicts on the module's outputs.

    Returns:
        A Sequential model taking float images [batch, height, width, 3] in [0, 1].
    """
    return _on_module(module_layer, image_size, head.layers)


def _on_module(module_layer: Any, image_size: Any, layers: list[Any]) -> Any:
    """A Sequential model taking float images [batch, height, width, 3] in [0, 1] (its input
    named `SERVING_INPUT`): the module, then `layers`."""
    keras = keras_module()
    return keras.Sequential(
        [
            keras.Input(shape=(image_size[0], image_size[1], 3), name=SERVING_INPUT),
            module_layer,
            *layers,
        ]
    )


def compile_model(model: Any, hparams: HParams, *, optimizer: Any = None) -> None:
    """Compiles as upstream: SGD with momentum (a new one, or `optimizer`: the one that trained
    a model of the same trainable weights, its steps and momentum kept), categorical
    cross-entropy with label smoothing, accuracy. The values are given as Python floats: Keras
    3 refuses NumPy's."""
    keras = keras_module()
    if optimizer is None:
        optimizer = keras.optimizers.SGD(
            learning_rate=float(hparams.learning_rate), momentum=float(hparams.momentum)
        )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=float(hparams.label_smoothing)),
        metrics=["accuracy"],
    )
