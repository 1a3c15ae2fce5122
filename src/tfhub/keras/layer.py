"""`KerasLayer` for Keras 3 (`import keras`, TensorFlow backend).

The SavedModel's own `tf.Variable`s become the layer's Keras weights (a Keras variable whose
value *is* the loaded variable, as `keras/src/export/tfsm_layer.py` does), so `model.fit`
trains exactly the variables the model's functions read. The layer is registered as
`tfhub>KerasLayer`, so `.keras` files load back without `custom_objects`.
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .. import errors
from . import _calling, _common, _compat, _shapes

logger = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="tfhub", name="KerasLayer")
class KerasLayer(keras.layers.Layer):
    """Wraps a SavedModel (TF2 or TF1 Hub format), or a callable, as a Keras 3 layer.

    The arguments are upstream's; see also `docs/keras.md`.

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
        _check_backend()
        declared_input_shape = _pop_input_shape(kwargs)
        super().__init__(trainable=trainable, **kwargs)
        self._declared_input_shape = declared_input_shape
        if declared_input_shape is not None and _is_float(self.compute_dtype):
            # Sequential then starts with a float InputLayer, as for any Keras layer. For string
            # or int inputs, Sequential builds from `input_shape` with this layer's dtype.
            self._input_shape_arg = declared_input_shape
        self._tags = None if tags is None else list(tags)
        obj = _common.load_handle(handle, tags, load_options)
        self._hub = _common.make_hub_callable(
            handle,
            obj=obj,
            arguments=arguments,
            signature=signature,
            signature_outputs_as_dict=signature_outputs_as_dict,
            output_key=output_key,
        )
        self._output_shape_spec = (
            None if output_shape is None else _shapes.nest_to_shapes(output_shape)
        )
        self._func = obj  # Tracked: model.export() keeps its tables and assets.
        self._loss_fns = _common.regularization_loss_fns(obj, self._hub.is_hub_module_v1)
        self._wrap_variables()
        self._build_at_init()

    # --- Public attributes ----------------------------------------------------------------------

    @property
    def resolved_object(self) -> Any:
        """The object `hub.load(handle)` returned (or the callable the layer was built from)."""
        return self._hub.obj

    @property
    def hub_callable(self) -> _common.HubCallable:
        """How the layer calls the model (function, signature, output key, arguments)."""
        return self._hub

    @property
    def handle(self) -> Any:
        """The handle string (or callable) the layer was built from."""
        return self._hub.handle

    @property
    def output_shape_spec(self) -> Any:
        """The `output_shape` argument as a nest of `tf.TensorShape`, or None."""
        return self._output_shape_spec

    @property
    def input_shape(self) -> Any:
        """The input shape(s) with batch dimension: of the connected input, else `input_shape=`.

        Raises:
            AttributeError: the layer is not connected and got no `input_shape`.
        """
        if self._inbound_nodes:
            return tf.nest.map_structure(lambda t: tuple(t.shape), self.input)
        if self._declared_input_shape is not None:
            return (None, *self._declared_input_shape)
        raise AttributeError(
            f"The layer {self.name!r} has no defined input shape: it has not been called on a "
            "keras.Input and got no input_shape=."
        )

    @property
    def output_shape(self) -> Any:
        """The output shape(s) of the connected layer (functional or Sequential model).

        Raises:
            AttributeError: the layer has not been called on a keras.Input yet.
        """
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name!r} has no defined output shape: call it on a keras.Input "
                "first (or use compute_output_shape)."
            )
        return tf.nest.map_structure(lambda t: tuple(t.shape), self.output)

    # --- Weights and losses ---------------------------------------------------------------------

    def _wrap_variables(self) -> None:
        """Tracks the model's variables as Keras weights that share their storage."""
        trainable, non_trainable = _common.split_variables(
            self._hub.obj, self._hub.is_hub_module_v1
        )
        for variable, is_trainable in [(v, True) for v in trainable] + [
            (v, False) for v in non_trainable
        ]:
            wrapped = keras.Variable(
                initializer=variable,
                shape=variable.shape,
                dtype=variable.dtype,
                trainable=is_trainable,
                autocast=False,
                name=_keras_variable_name(variable.name),
            )
            self._track_variable(wrapped)

    def _get_own_losses(self) -> list[Any]:
        """The `add_loss` losses plus the model's regularization losses while trainable."""
        losses = super()._get_own_losses()
        if self.trainable:
            losses.extend(loss_fn() for loss_fn in self._loss_fns)
        return losses

    # --- Calling --------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        first = args[0] if args else kwargs.get("inputs")
        if not isinstance(first, tf.Tensor):  # Only KerasTensors can be of the other flavour.
            _raise_on_flavour_mismatch(first)
        message = _compat.enclosing_flavour_mismatch_message("keras3")
        if message:  # E.g. inside a subclassed model of the other flavour.
            raise errors.KerasFlavourError(message)
        return super().__call__(*args, **kwargs)

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the model; `training` reaches it only while the layer is trainable."""
        training = bool(training) if self.trainable and _is_python_bool(training) else False
        _common.warn_if_trainable_without_weights(self)
        outputs = _calling.call(self._hub, inputs, training, self._output_shape_spec)
        return _calling.cast_outputs(outputs, self.compute_dtype)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Traces `call` to find the outputs' dtypes and shapes (`output_shape` applied)."""
        from keras.src import backend

        return backend.compute_output_spec(self.call, *args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns the output shape(s): `(batch, *output_shape)`, or traced from `call`.

        Raises:
            NotImplementedError: without `output_shape`, for an input that is not one shape.
        """
        if self._output_shape_spec is not None:
            full = _shapes.full_output_shape(input_shape, self._output_shape_spec)
            return tf.nest.map_structure(lambda shape: tuple(shape.as_list()), full)
        if not _shapes.is_shape(input_shape):
            raise NotImplementedError(
                "hub.KerasLayer.compute_output_shape traces only single inputs; pass "
                f"output_shape=... for nested inputs. Received: input_shape={input_shape!r}"
            )
        spec = self.compute_output_spec(keras.KerasTensor(tuple(input_shape), self.compute_dtype))
        return tf.nest.map_structure(lambda t: tuple(t.shape), spec)

    # --- Config ---------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the config: the base Layer config plus handle, signature, outputs, ...

        Raises:
            tfhub.errors.SerializationError: the layer wraps a Python callable.
        """
        config = super().get_config()
        config.update(_common.config_entries(self._hub, self._output_shape_spec, self._tags))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KerasLayer:
        """Rebuilds the layer from `get_config()`: loads `handle` again."""
        config = dict(config)
        return cls(**config)

    def __repr__(self) -> str:
        return (
            f"<{_compat.KERAS3_CLASS} name={self.name!r} handle={self.handle!r} ("
            f"a Keras 3 layer; for tf_keras models use {_compat.TF_KERAS_CLASS})>"
        )


def _raise_on_flavour_mismatch(inputs: Any) -> None:
    """Raises KerasFlavourError if an input is a KerasTensor of the other Keras flavour."""
    for tensor in tf.nest.flatten(inputs):
        message = _compat.flavour_mismatch_message("keras3", tensor)
        if message:
            raise errors.KerasFlavourError(message)


def _check_backend() -> None:
    """Raises if Keras 3 runs on a backend other than TensorFlow (SavedModels need it)."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise errors.TFHubError(
            "hub.KerasLayer for Keras 3 needs the TensorFlow backend to run SavedModels: set "
            "KERAS_BACKEND=tensorflow before importing keras. "
            f"Received: keras.backend.backend()={backend!r}"
        )


def _pop_input_shape(kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """Removes `input_shape`/`input_dim` from Layer kwargs; returns the shape without batch."""
    input_dim = kwargs.pop("input_dim", None)
    input_shape = kwargs.pop("input_shape", None)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    return None if input_shape is None else tuple(input_shape)


def _is_float(dtype: Any) -> bool:
    return dtype is not None and tf.as_dtype(dtype).is_floating


def _is_python_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _keras_variable_name(name: str) -> str:
    """Keras 3 variable names may not contain '/': 'dense/kernel:0' -> 'dense_kernel'."""
    return name.split(":", 1)[0].replace("/", "_")
