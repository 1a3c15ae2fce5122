"""`KerasLayer` for tf_keras (Keras 2: `import tf_keras`, or `tf.keras` with TF_USE_LEGACY_KERAS=1).

Behaves as `tensorflow_hub.keras_layer.KerasLayer` (0.16.1) does, with the logic both flavours
share (`_layer_body`: clearer errors, mixed-precision casting, `output_shape` with unknown batch
size) and, beyond upstream, `trainable=True` for signatures and TF1 Hub modules. Registered as
`tfhub>KerasLayer` in tf_keras, so `.keras`, `.h5` and SavedModel files load back without
`custom_objects`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import tf_keras

from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from . import _calling, _keras2_api, _layer_body, _shapes, _weight_names

logger = logging.getLogger(__name__)


@tf_keras.saving.register_keras_serializable(package="tfhub", name="KerasLayer")
class KerasLayer(_layer_body.HubLayerBody, _keras2_api.Keras2Aliases, tf_keras.layers.Layer):
    __doc__ = _layer_body.layer_docstring(
        "tf_keras",
        note="As upstream, regularization losses are always listed in `losses`, with value 0 "
        "while the layer is not trainable.",
    )

    _flavour = "tf_keras"

    def _init_keras_layer(self, *, trainable: bool, **kwargs: Any) -> None:
        # The next class in the MRO: tf_keras swaps in its TF1 Layer inside a tf.Graph.
        super(_layer_body.HubLayerBody, self).__init__(trainable=trainable, **kwargs)

    def _adopt_model(self, model: LoadedModel) -> None:
        """Registers the model's variables as this layer's weights (no copies), and its losses."""
        weights = model.weights()
        _weight_names.make_unique([variable for variable, _ in weights])
        add_existing_weights(self, weights)
        for loss_fn in model.regularization_losses():
            self.add_loss(self._loss_if_trainable(loss_fn))

    def _loss_if_trainable(self, loss_fn: Any) -> Any:
        return lambda: loss_fn() if self.trainable else 0.0

    @tf.autograph.experimental.do_not_convert
    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the model; `training` reaches it only while the layer is trainable."""
        self._warn_if_trainable_without_weights()
        if not self.trainable:
            training = False
        elif training is None:
            training = tf_keras.backend.learning_phase()
        if isinstance(training, int | np.bool_):
            training = bool(training)
        outputs = _calling.call(self.hub_callable, inputs, training, self.output_shape_spec)
        return _calling.cast_outputs(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns `(batch, *output_shape)` if `output_shape` was given, else traces `call`."""
        if self.output_shape_spec is None:
            return super().compute_output_shape(input_shape)
        return _shapes.full_output_shape(input_shape, self.output_shape_spec)


def add_existing_weights(layer: Any, weights: list[tuple[Any, bool]]) -> None:
    """Registers (variable, trainable) pairs as weights of the tf_keras `layer` (no copies)."""
    for variable, is_trainable in weights:
        layer.add_weight(
            name=variable.name,
            shape=variable.shape,
            dtype=variable.dtype,
            trainable=is_trainable,
            experimental_autocast=False,
            getter=lambda *_, _v=variable, **__: _v,
        )
