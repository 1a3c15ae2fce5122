"""`KerasLayer` for tf_keras (Keras 2: `import tf_keras`, or `tf.keras` with TF_USE_LEGACY_KERAS=1).

Behaves as `tensorflow_hub.keras_layer.KerasLayer` (0.16.1) does, with the shared logic of
`_common` (clearer errors, mixed-precision casting, `output_shape` with unknown batch size) and,
beyond upstream, `trainable=True` for signatures and TF1 Hub modules. Registered as
`tfhub>KerasLayer` in tf_keras, so `.keras`, `.h5` and SavedModel files load back without
`custom_objects`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import tensorflow as tf
import tf_keras

from .. import errors
from . import _calling, _common, _compat, _shapes

logger = logging.getLogger(__name__)


@tf_keras.saving.register_keras_serializable(package="tfhub", name="KerasLayer")
class KerasLayer(tf_keras.layers.Layer):
    """Wraps a SavedModel (TF2 or TF1 Hub format), or a callable, as a tf_keras layer.

    The arguments are upstream's; see also `docs/keras.md`.
    As upstream, regularization losses are always listed in `losses`, with value 0 while the
    layer is not trainable.

    Args:
        handle: a string for `hub.load` (path, URL, ...; required to save the layer's config) or
            a callable following the conventions: one positional input (tensor, list or dict),
            `training=` if it accepts one, optional `variables`, `trainable_variables` and
            `regularization_losses` (zero-argument callables) attributes.
        trainable: report the model's trainable variables as trainable weights, add its
            regularization losses, and pass `training` through.
        arguments: extra keyword arguments for every call; JSON-serializable to save the layer.
        _sentinel: blocks further positional arguments.
        tags: the MetaGraph's tags (TF1 Hub modules default to the empty set).
        signature: call this signature instead of the object (TF1 modules: `default`).
        signature_outputs_as_dict: return the signature's whole dict of outputs.
        output_key: return this output of a dict of outputs (TF1 modules: `default`).
        output_shape: the output shape(s) without the batch size, nested like the outputs.
        load_options: a `tf.saved_model.LoadOptions` for a string handle.
        **kwargs: Keras Layer arguments (`input_shape`, `dtype`, `name`, ...).

    Attributes (stable, for code that builds on the layer, e.g. `hub.export_layer`):
        resolved_object: what `hub.load(handle)` returned (or the callable passed).
        hub_callable: a `tfhub.keras._common.HubCallable`: `.fn` is the function the layer
            calls, `.signature`/`.output_key` the chosen endpoint, `.arguments` the extra kwargs.
        handle: the handle string (or callable) the layer was built from.
        output_shape_spec: the `output_shape` as a nest of `tf.TensorShape` (or None).

    Raises:
        ValueError: bad combinations of arguments (see `_common.check_output_options`).
        tfhub.errors.UnknownSignatureError: `signature` is not one of the model's signatures.
    """

    def __init__(
        self,
        handle: Any,
        trainable: bool = False,
        arguments: dict[str, Any] | None = None,
        _sentinel: None = None,
        tags: Any = None,
        signature: str | None = None,
        signature_outputs_as_dict: bool | None = None,
        output_key: str | None = None,
        output_shape: Any = None,
        load_options: Any = None,
        **kwargs: Any,
    ) -> None:
        _common.check_sentinel(_sentinel)
        obj = _common.load_handle(handle, tags, load_options)
        hub = _common.make_hub_callable(
            handle,
            obj=obj,
            arguments=arguments,
            signature=signature,
            signature_outputs_as_dict=signature_outputs_as_dict,
            output_key=output_key,
        )
        super().__init__(trainable=trainable, **kwargs)
        # Plain Python state, kept out of tf_keras's checkpoint tracking.
        self._hub = _NoTrack(hub)
        self._tags = _NoTrack(None if tags is None else list(tags))
        self._output_shape_spec = _NoTrack(
            None if output_shape is None else _shapes.nest_to_shapes(output_shape)
        )
        self._func = obj  # Tracked: SavedModel export keeps its tables and assets.
        self._wrap_variables()
        for loss_fn in _common.regularization_loss_fns(obj, hub.is_hub_module_v1):
            self.add_loss(self._loss_if_trainable(loss_fn))

    # --- Public attributes ----------------------------------------------------------------------

    @property
    def resolved_object(self) -> Any:
        """The object `hub.load(handle)` returned (or the callable the layer was built from)."""
        return self._hub.value.obj

    @property
    def hub_callable(self) -> _common.HubCallable:
        """How the layer calls the model (function, signature, output key, arguments)."""
        return self._hub.value

    @property
    def handle(self) -> Any:
        """The handle string (or callable) the layer was built from."""
        return self._hub.value.handle

    @property
    def output_shape_spec(self) -> Any:
        """The `output_shape` argument as a nest of `tf.TensorShape`, or None."""
        return self._output_shape_spec.value

    # --- Weights and losses ---------------------------------------------------------------------

    def _wrap_variables(self) -> None:
        """Registers the model's variables as this layer's weights (no copies)."""
        hub = self._hub.value
        trainable, non_trainable = _common.split_variables(hub.obj, hub.is_hub_module_v1)
        for variable, is_trainable in [(v, True) for v in trainable] + [
            (v, False) for v in non_trainable
        ]:
            self.add_weight(
                name=variable.name,
                shape=variable.shape,
                dtype=variable.dtype,
                trainable=is_trainable,
                experimental_autocast=False,
                getter=lambda *_, _v=variable, **__: _v,
            )

    def _loss_if_trainable(self, loss_fn: Any) -> Any:
        return lambda: loss_fn() if self.trainable else 0.0

    # --- Calling --------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else kwargs.get("inputs")
        if not isinstance(first, tf.Tensor):  # Only KerasTensors can be of the other flavour.
            _raise_on_flavour_mismatch(first)
        message = _compat.enclosing_flavour_mismatch_message("tf_keras")
        if message:  # E.g. inside a subclassed model of the other flavour.
            raise errors.KerasFlavourError(message)
        return super().__call__(*args, **kwargs)

    @tf.autograph.experimental.do_not_convert
    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the model; `training` reaches it only while the layer is trainable."""
        _common.warn_if_trainable_without_weights(self)
        if not self.trainable:
            training = False
        elif training is None:
            training = tf_keras.backend.learning_phase()
        if isinstance(training, int | np.bool_):
            training = bool(training)
        hub = self._hub.value
        outputs = _calling.call(hub, inputs, training, self._output_shape_spec.value)
        return _calling.cast_outputs(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns `(batch, *output_shape)` if `output_shape` was given, else traces `call`."""
        spec = self._output_shape_spec.value
        if spec is None:
            return super().compute_output_shape(input_shape)
        return _shapes.full_output_shape(input_shape, spec)

    # --- Config ---------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the config: the base Layer config plus handle, signature, outputs, ...

        Raises:
            tfhub.errors.SerializationError: the layer wraps a Python callable.
        """
        config = super().get_config()
        config.update(
            _common.config_entries(self._hub.value, self._output_shape_spec.value, self._tags.value)
        )
        return config

    def __repr__(self) -> str:
        return (
            f"<{_compat.TF_KERAS_CLASS} name={self.name!r} handle={self.handle!r} ("
            f"a tf_keras layer; for Keras 3 models use {_compat.KERAS3_CLASS})>"
        )


def _raise_on_flavour_mismatch(inputs: Any) -> None:
    """Raises KerasFlavourError if an input is a KerasTensor of the other Keras flavour."""
    for tensor in tf.nest.flatten(inputs):
        message = _compat.flavour_mismatch_message("tf_keras", tensor)
        if message:
            raise errors.KerasFlavourError(message)


class _NoTrack:
    """A box that hides plain Python state from tf_keras's attribute tracking."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value
