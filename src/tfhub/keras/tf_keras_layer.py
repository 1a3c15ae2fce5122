"""`KerasLayer` for tf_keras (Keras 2: `import tf_keras`, or `tf.keras` with TF_USE_LEGACY_KERAS=1).

Behaves as `tensorflow_hub.keras_layer.KerasLayer` (0.16.1) does, with the logic both flavours
share (`_layer_body`: clearer errors, mixed-precision casting, `output_shape` with unknown batch
size) and, beyond upstream, `trainable=True` for signatures and TF1 Hub modules. Registered as
`tfhub>KerasLayer` in tf_keras, so `.keras`, `.h5` and SavedModel files load back without
`custom_objects`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import tf_keras

from .. import errors
from ..graph_gradients import build_gradient_in_graph
from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from . import _calling, _docstring, _graph_tables, _keras2_api, _layer_body, _shapes, _weight_names

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])


def _without_autograph(call: _F) -> _F:
    """`call` that AutoGraph leaves alone (`tf.autograph.experimental.do_not_convert`; errors
    keep their class), with its own signature still visible to tf_keras.

    tf_keras reads a layer's `call` arguments with `inspect.getfullargspec`, which does not follow
    `__wrapped__`: it saw the wrapper's `(*args, **kwargs)`, so it passed `training` again after
    a positional one ("got multiple values for argument 'training'"), passed `mask=` to `call`,
    and failed on `layer(inputs=x)` with an IndexError. `__signature__` is what it reads.
    """
    wrapper = tf.autograph.experimental.do_not_convert(call)
    wrapper.__signature__ = inspect.signature(call)
    return wrapper


@tf_keras.saving.register_keras_serializable(package="tfhub", name="KerasLayer")
class KerasLayer(_layer_body.HubLayerBody, _keras2_api.Keras2Aliases, tf_keras.layers.Layer):
    __doc__ = _docstring.layer_docstring(
        "tf_keras",
        note="As upstream, regularization losses are always listed in `losses`, with value 0 "
        "while the layer is not trainable.",
    )

    _flavour = "tf_keras"

    def _initialize_tables_once(self, added: list[Any]) -> Any:
        """In a graph, has tf_keras run the table initializers the load `added` once, before
        the first fit/evaluate/predict (it runs none; upstream's layer failed with "Table not
        initialized"); a user's own tables_initializer() still works. Returns the flag
        variable (`_graph_tables.initialize_once`) or None."""
        return _graph_tables.initialize_once(added) if added else None

    def _init_keras_layer(self, *, trainable: bool, **kwargs: Any) -> None:
        # The next class in the MRO: tf_keras swaps in its TF1 Layer inside a tf.Graph.
        super(_layer_body.HubLayerBody, self).__init__(trainable=trainable, **kwargs)

    def _adopt_model(self, model: LoadedModel) -> None:
        """Registers the model's variables as this layer's weights (no copies), and its losses."""
        weights = model.weights()
        _weight_names.make_unique([variable for variable, _ in weights])
        add_existing_weights(self, weights)
        self._state.weight_order = model.upstream_weight_order()  # The weights themselves.
        for loss_fn in model.regularization_losses():
            self.add_loss(self._loss_if_trainable(loss_fn))

    def _loss_if_trainable(self, loss_fn: Any) -> Any:
        """The loss callable to add: `loss_fn()` while trainable (its gradient built at once in
        a graph, see `build_gradient_in_graph`), else 0.0."""

        def loss() -> Any:
            if not self.trainable:
                return 0.0
            value = loss_fn()
            build_gradient_in_graph(value, self.trainable_weights)
            return value

        return loss

    @_without_autograph
    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the model; `training` reaches it only while the layer is trainable."""
        self._warn_if_trainable_without_weights()
        if not self.trainable:
            training = False
        elif training is None:
            training = tf_keras.backend.learning_phase()
        if isinstance(training, int | np.bool_):
            training = bool(training)
        self._check_strategy_holds_variables(training)
        outputs = _calling.call(self.hub_callable, inputs, training, self.output_shape_spec)
        # In tf_keras' graph mode, `fit` after `predict` needs the call op's gradient built now.
        build_gradient_in_graph(outputs, [inputs, self.trainable_weights if self.trainable else []])
        return _calling.cast_outputs(outputs, self._output_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Returns `(batch, *output_shape)` if `output_shape` was given, else traces `call`.

        Raises:
            NotImplementedError: without `output_shape`, if the model cannot be traced on
                dense inputs of that shape (e.g. it takes strings and the layer got no
                `dtype=tf.string`, or it takes ragged inputs); the message says why (where
                tf_keras's own said to implement this method) and to pass `output_shape`.
                Outside eager mode (in a `tf.Graph`), where tf_keras traces nothing and its
                error had no message, always; the message says to pass `output_shape`.
        """
        if self.output_shape_spec is not None:
            return _shapes.full_output_shape(input_shape, self.output_shape_spec)
        try:
            return super().compute_output_shape(input_shape)
        except NotImplementedError as err:
            cause = err.__cause__  # tf_keras's: the call's error (graph mode: none).
            if cause is not None:
                raise _shapes.untraceable_error(
                    self.handle, self.dtype, input_shape, cause
                ) from cause
            if tf.executing_eagerly():
                raise  # Not tf_keras's graph-mode refusal: the model's own error.
            raise _shapes.graph_mode_error(self.handle, input_shape) from None

    def __deepcopy__(self, memo: dict[int, Any]) -> KerasLayer:
        """Copies the layer as Keras 3 copies (pickles) its layers: a new layer from the config,
        which loads `handle` again, given the weights' current values. tf_keras copies a Layer
        attribute by attribute, and a loaded model's functions cannot be copied (a TypeError,
        "cannot pickle 'FuncGraph' object").

        Raises:
            tfhub.errors.ConfigNotSupportedError: the layer wraps a Python callable, which has
                no config (a NotImplementedError).
        """
        copied = type(self).from_config(self._config_for_copy())
        memo[id(self)] = copied
        copied.set_weights(self.get_weights())
        return copied

    # --- Weight order -------------------------------------------------------------------------
    # tf_keras `.h5` files hold a layer's `trainable_weights + non_trainable_weights` and `.keras`
    # files its own weights, both by position; upstream listed a TF1 module's variables in the
    # module's order, all non-trainable. tfhub's frozen layer lists them in that order too, so
    # such files load in either library; a trainable TF1 layer (beyond upstream) lists its
    # trainable weights first in `.h5`, as Keras does for any layer. `weights` (`get_weights`)
    # keeps upstream's order either way, as a Keras layer's does not change with `trainable`.

    @property
    def non_trainable_weights(self) -> list[Any]:
        """The weights not trained: all of them, in upstream's order, while frozen."""
        weights = super().non_trainable_weights
        return weights if self.trainable else self._in_upstream_order(weights)

    @property
    def weights(self) -> list[Any]:
        """All the weights, in upstream's order whether the layer is trainable or not (as
        upstream's layer listed them, trainable or not), so `get_weights()` values go back
        with `set_weights()` after `trainable` changed, as for any Keras layer (tf_keras's
        own `trainable_weights + non_trainable_weights` put a trainable TF1 module's
        non-trainable variables last: its values went back shifted)."""
        return self._in_upstream_order(super().weights)

    def save_own_variables(self, store: Any) -> None:
        """Stores the weights for a `.keras` file, in upstream's order whatever `trainable` is."""
        for index, variable in enumerate(self._own_weights()):
            store[f"{index}"] = variable.numpy()

    def _load_variables_by_position(self, store: Any) -> None:
        """Restores the weights `save_own_variables` stored (or upstream's layer did).

        Raises:
            tfhub.errors.ArgumentError: the store holds another number of weights (a
                ValueError, as tf_keras's own error).
        """
        variables = self._own_weights()
        if len(store.keys()) != len(variables):
            raise errors.ArgumentError(
                f"hub.KerasLayer {self.name!r} over {self.handle!r} has {len(variables)} weights "
                f"({[v.name for v in variables]}), but the file holds {len(store.keys())} for "
                f"it: it was saved over another model. Received: {len(store.keys())} weights"
            )
        for index, variable in enumerate(variables):
            variable.assign(store[f"{index}"])

    def _own_weights(self) -> list[Any]:
        self._update_trackables()
        return self._in_upstream_order(self._trainable_weights + self._non_trainable_weights)


def add_existing_weights(
    layer: Any, weights: list[tuple[Any, bool]], *, names: list[str] | None = None
) -> None:
    """Registers (variable, trainable) pairs as weights of the tf_keras `layer` (no copies).

    Args:
        layer: the tf_keras layer.
        weights: the (variable, trainable) pairs.
        names: the name under which the layer tracks each variable (the key of its value in a
            TF-format checkpoint of `save_weights`), one per weight; None: the variable's name.
            The variables keep their own names.
    """
    for (variable, is_trainable), name in zip(
        weights, names or [variable.name for variable, _ in weights], strict=True
    ):
        layer.add_weight(
            name=name,
            shape=variable.shape,
            dtype=variable.dtype,
            trainable=is_trainable,
            experimental_autocast=False,
            getter=lambda *_, _v=variable, **__: _v,
        )
