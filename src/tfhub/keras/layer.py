"""`KerasLayer` for Keras 3 (`import keras`, TensorFlow backend).

The SavedModel's own `tf.Variable`s become the layer's Keras weights (a Keras variable whose
value *is* the loaded variable, as `keras/src/export/tfsm_layer.py` does), so `model.fit`
trains exactly the variables the model's functions read. The layer is registered as
`tfhub>KerasLayer`, so `.keras` files load back without `custom_objects`. What both flavours
share lives in `_layer_body`.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import keras
import numpy as np

from .. import errors
from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from . import _calling, _docstring, _keras2_api, _layer_body, _ragged, _shapes, _weight_names

logger = logging.getLogger(__name__)

# id(tf.Variable) -> the live Keras variable that wraps it, shared by every layer over it. A
# wrapper holds its tf.Variable, so while an entry exists no other object can have its id.
_WRAPPERS: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


@keras.saving.register_keras_serializable(package="tfhub", name="KerasLayer")
class KerasLayer(_layer_body.HubLayerBody, _keras2_api.Keras2NodeApi, keras.layers.Layer):
    __doc__ = _docstring.layer_docstring("keras3")

    _flavour = "keras3"

    def _check_environment(self) -> None:
        """Raises if Keras 3 runs on a backend other than TensorFlow (SavedModels need it)."""
        backend = keras.backend.backend()
        if backend != "tensorflow":
            raise errors.SettingError(
                "hub.KerasLayer for Keras 3 needs the TensorFlow backend to run SavedModels: set "
                "KERAS_BACKEND=tensorflow before importing keras. "
                f"Received: keras.backend.backend()={backend!r}",
                name="KERAS_BACKEND",
            )

    @property
    def supports_jit(self) -> bool:
        """Whether Keras may compile this layer with XLA (`jit_compile`, by default on a GPU):
        not when its model takes or computes strings or uses lookup tables (a text model),
        on which XLA aborts the process; Keras then warns and compiles without XLA."""
        if not self.__dict__.get("_jit_allowed", True):
            return False
        state = self.__dict__.get("_state")
        return state is None or state.hub.compiles_with_xla

    @supports_jit.setter
    def supports_jit(self, value: bool) -> None:
        self.__dict__["_jit_allowed"] = bool(value)  # Keras's Layer sets True at its init.

    def _init_keras_layer(self, *, trainable: bool, **kwargs: Any) -> None:
        declared_input_shape = _pop_input_shape(kwargs)
        super(_layer_body.HubLayerBody, self).__init__(trainable=trainable, **kwargs)
        # Keras 3 infers masking support from an overridden compute_mask (Keras 2's, here).
        self.supports_masking = False
        self._declared_input_shape = declared_input_shape
        if declared_input_shape is not None and tf.as_dtype(self.compute_dtype).is_floating:
            # Sequential then starts with a float InputLayer, as for any Keras layer. For string
            # or int inputs, Sequential builds from `input_shape` with this layer's dtype.
            self._input_shape_arg = declared_input_shape

    def _adopt_model(self, model: LoadedModel) -> None:
        """Tracks the model's variables as Keras weights that share their storage.

        Their paths are `<layer name>/<name>`, as `add_weight` makes them for any Keras layer,
        with names unique within the layer: Keras 3 keys optimizer slots (and so `.h5` files)
        and `get_state_tree()` by path, and two layers over one model (or a model with two
        variables of one name) had the same paths. Layers over one loaded object (`obj =
        hub.load(h)` passed to two layers) share one Keras variable per variable, as tf_keras
        layers share the variable itself: Keras lists it once, so the optimizer updates it once
        per step (with a Keras variable per layer, it updated it once per layer). As for any
        Keras 3 variable, whether it trains is one flag for all those layers: the layer built
        (or whose `trainable` was set) last decides.
        """
        wrapper = {}
        names = _weight_names.UniqueNames()
        with keras.name_scope(self.name, caller=self):
            for variable, is_trainable in model.weights():
                wrapped = _WRAPPERS.get(id(variable))
                if wrapped is None:
                    wrapped = _WRAPPERS[id(variable)] = keras.Variable(
                        initializer=variable,
                        shape=variable.shape,
                        dtype=variable.dtype,
                        trainable=is_trainable,
                        autocast=False,
                        name=names.unique(_keras_variable_name(variable.name)),
                    )
                wrapper[id(variable)] = wrapped
                # This layer decides, as `layer.trainable = ...` would: a frozen layer over the
                # same object made it non-trainable, which Keras tracks for good.
                wrapped.trainable = is_trainable
                self._track_variable(wrapped)  # Which lowers it again if this layer is frozen.
        self._model_variables = _saved_model_holder(model)
        self._state.weight_order = [wrapper[id(v)] for v in model.upstream_weight_order()]
        self._loss_fns = model.regularization_losses()
        self._build_at_init()

    def __reduce__(self) -> Any:
        """Pickles the layer (`copy.deepcopy` too) as Keras 3 pickles any layer: its config and
        weights; unpickling loads `handle` again.

        Raises:
            tfhub.errors.ConfigNotSupportedError: the layer wraps a Python callable, which has
                no config (a NotImplementedError); the message says how to share it instead.
        """
        self._config_for_copy()
        return super().__reduce__()

    @property
    def input_shape(self) -> Any:
        """The input shape(s) with batch dimension: of the connected input, else `input_shape=`.

        Raises:
            AttributeError: the layer is not connected and got no `input_shape`, or it was
                called on inputs of different shapes (as Keras 2 raised).
        """
        if self._inbound_nodes:
            return self._shape_of_every_call("input")
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
            AttributeError: the layer has not been called on a keras.Input yet, or its calls
                gave outputs of different shapes (as Keras 2 raised).
        """
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name!r} has no defined output shape: call it on a keras.Input "
                "first (or use compute_output_shape)."
            )
        return self._shape_of_every_call("output")

    def _shape_of_every_call(self, which: str) -> Any:
        """The `which` ("input" or "output") shape(s), the same in every call on a keras.Input."""
        get_shape_at = getattr(self, f"get_{which}_shape_at")
        shapes = [get_shape_at(index) for index in range(len(self._inbound_nodes))]
        if any(shape != shapes[0] for shape in shapes[1:]):
            raise AttributeError(
                f"The layer {self.name!r} has multiple inbound nodes, with different {which} "
                f"shapes ({shapes}). Hence the notion of '{which} shape' is ill-defined for the "
                f"layer. Use `get_{which}_shape_at(node_index)` instead."
            )
        return shapes[0]

    @property
    def non_trainable_weights(self) -> list[Any]:
        """The weights not trained: all of them while frozen, in the order tensorflow_hub's
        layer listed them (a TF1 module's own order), which is the order of the legacy `.h5`
        files that Keras writes and reads by position (`trainable_weights +
        non_trainable_weights`), so upstream's tf_keras `.h5` files load right. `.keras` and
        `.weights.h5` files keep Keras's own order (`weights`), as tfhub always saved them."""
        weights = super().non_trainable_weights
        return weights if self.trainable else self._in_upstream_order(weights)

    def _get_own_losses(self) -> list[Any]:
        """The `add_loss` losses plus the model's regularization losses while trainable."""
        losses = super()._get_own_losses()
        if self.trainable:
            losses.extend(loss_fn() for loss_fn in self._loss_fns)
        return losses

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the model; `training` reaches it only while the layer is trainable."""
        if not self.trainable or training is None:
            training = False
        elif isinstance(training, bool | np.bool_ | int):
            training = bool(training)
        # Else a bool tensor (a custom train step's flag): smart_cond picks the mode, as
        # upstream's layer and Keras's own layers (Dropout, BatchNormalization) do.
        self._check_strategy_holds_variables(training)
        self._check_no_stateless_values()
        self._warn_if_trainable_without_weights()
        outputs = _calling.call(self.hub_callable, inputs, training, self.output_shape_spec)
        return _calling.cast_outputs(outputs, self._output_dtype)

    def _check_no_stateless_values(self) -> None:
        """Raises if a `keras.StatelessScope` gives values to the layer's weights, as
        `layer.stateless_call` and `model.stateless_call` do: the SavedModel's functions read
        its own `tf.Variable`s, so the outputs would silently ignore the values given.

        Raises:
            tfhub.errors.ArgumentError: (a ValueError, as Keras's errors of stateless_call)
                naming the weights that were given values.
        """
        # A Keras variable's `value` is its tf.Variable unless the scope maps it. stateless_call
        # maps every weight, so one tells (each costs ~1 us per eager call).
        weights = self._state.weight_order
        if not weights or isinstance(weights[0].value, tf.Variable):
            return
        given = [weight.path for weight in weights if not isinstance(weight.value, tf.Variable)]
        raise errors.ArgumentError(
            f"hub.KerasLayer {self.name!r} over {self.handle!r} cannot run with the weight values "
            "that stateless_call (or a keras.StatelessScope) gives: the SavedModel's functions "
            "read the model's own tf.Variables, so the outputs would ignore those values. Call "
            "the model as usual, after `variable.assign(value)` for the values you need. "
            f"Received: values for {given}"
        )

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Traces `call` to find the outputs' dtypes and shapes (`output_shape` applied)."""
        return _ragged.trace_output_spec(self.call, *args, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns the output shape(s): `(batch, *output_shape)`, or traced from `call`.

        Raises:
            NotImplementedError: without `output_shape`, if the model cannot be traced on
                dense inputs of that shape (e.g. it takes ragged inputs).
        """
        if self.output_shape_spec is not None:
            full = _shapes.full_output_shape(input_shape, self.output_shape_spec)
            return tf.nest.map_structure(lambda shape: tuple(shape.as_list()), full)
        inputs = self._symbolic_inputs(input_shape)
        try:
            spec = self.compute_output_spec(inputs)
        except (TypeError, ValueError) as err:  # As tf_keras's Layer.compute_output_shape.
            raise _shapes.untraceable_error(
                self.handle, self.compute_dtype, input_shape, err
            ) from err
        return tf.nest.map_structure(lambda t: tuple(t.shape), spec)

    def _symbolic_inputs(self, input_shape: Any) -> Any:
        """KerasTensors of the layer's dtype for a shape or a dict/list/tuple nest of shapes.

        Raises:
            NotImplementedError: for something that is neither.
        """
        try:
            shapes = _shapes.nest_to_shapes(input_shape)
            return tf.nest.map_structure(
                lambda shape: keras.KerasTensor(tuple(shape.as_list()), self.compute_dtype),
                shapes,
            )
        except (errors.ArgumentTypeError, ValueError) as err:  # ValueError: unknown rank.
            raise NotImplementedError(
                "hub.KerasLayer.compute_output_shape takes a shape or a dict/list of shapes; "
                f"pass output_shape=... otherwise. Received: input_shape={input_shape!r}"
            ) from err


def _saved_model_holder(model: LoadedModel) -> Any:
    """A `tf.Module` holding the model's own variables, for TensorFlow's SavedModel.

    Keras 3 shows `tf.saved_model.save` only the objects a layer holds as attributes, not its
    Keras variables; a loaded model holds its variables, but a callable (a `tf.function`
    capturing a variable) does not, and the variable was an "untracked resource" there.
    """
    holder = tf.Module(name="hub_model_variables")
    holder.tracked = list(model.variables)
    return holder


def _pop_input_shape(kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """Removes `input_shape`/`input_dim` from Layer kwargs; returns the shape without batch."""
    input_dim = kwargs.pop("input_dim", None)
    input_shape = kwargs.pop("input_shape", None)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    return None if input_shape is None else tuple(input_shape)


def _keras_variable_name(name: str) -> str:
    """Keras 3 variable names may not contain '/': 'dense/kernel:0' -> 'dense_kernel'."""
    return name.split(":", 1)[0].replace("/", "_")
