"""The machinery shared by tfhub's feature columns.

Every column is both a v1 `_DenseColumn` (for `tf.compat.v1.feature_column.input_layer`) and a v2
`DenseColumn` (for tf_keras `DenseFeatures`, eager or graph). The module is loaded with `tfhub.load`
(`tf.compat.v1.saved_model.load_v2`), whose functions run in eager mode and inside a `tf.Graph`
alike, so unlike upstream's TF1 columns these also work in eager `DenseFeatures`. In
`input_layer` (a graph) a TF1 column makes a `hub.Module` instead, as upstream's did (see
`_source.TF1ModuleColumn`), so its variables get upstream's names.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from .. import _tf_private, errors
from ..keras._graph_tables import initialize_once
from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from ..utils.lazy import tf_keras
from ._checks import symbolic_input_remedy
from ._graph import add_to_collections, ops_added_to, with_gradient_built
from ._naming import rename_taken, scope_eager_names, state_attribute
from ._restoring import decoded, unreachable_module_error

logger = logging.getLogger(__name__)

RESOURCE_NAME = "hub_module"
TensorFn = Callable[..., Any]  # fn(inputs, training=False) -> embedding

_V1DenseColumn: Any
_V2DenseColumn: Any
_V1DenseColumn, _V2DenseColumn = _tf_private.feature_column_base_classes()


class LoadedModule:
    """A hub module in the current context, reduced to one tensor-to-tensor function.

    Attributes:
        fn: the function that embeds a batch.
        variables: all variables of the module.
        weights: every variable once as (variable, trainable), as `LoadedModel.weights()`.
        trainable_variables: those the module reports as trainable.
        regularization_losses: zero-argument callables, one scalar loss each.
        tracked: what a Keras layer holding the module must track so that a SavedModel-format
            save reaches the module's tables and assets (None: nothing to track).
        tables_initialized: in a graph, the variable whose initializer runs the module's table
            initializers for tf_keras (see `initialize_once`), else None.
        weight_names: the name under which a Keras layer tracks each of `weights` (the key of
            its value in a tf_keras TF-format checkpoint), or None for the variables' names.
    """

    tables_initialized: Any = None
    weight_names: list[str] | None = None

    def __init__(
        self,
        fn: TensorFn,
        *,
        variables: list[Any],
        weights: list[tuple[Any, bool]],
        regularization_losses: list[Callable[[], Any]],
        tracked: Any = None,
    ) -> None:
        self.fn = fn
        self.variables = variables
        self.weights = weights
        self.trainable_variables = [v for v, trainable in weights if trainable]
        self.regularization_losses = regularization_losses
        self.tracked = tracked

    @classmethod
    def of_model(cls, model: LoadedModel, fn: TensorFn) -> LoadedModule:
        """The module of a model loaded with `tfhub.load` (`saved_model.load_model`)."""
        return cls(
            fn,
            variables=model.variables,
            weights=model.weights(),  # Reads a TF1 module's collections once.
            regularization_losses=model.regularization_losses(),
            tracked=model.obj,  # Keeps the variables and tables alive.
        )


def keras_module_layer(
    module: LoadedModule | None, *, trainable: bool, name: str, taken: Iterable[str] = ()
) -> Any:
    """Wraps a module as a tf_keras layer, so `DenseFeatures` tracks and trains its weights.

    Args:
        module: the module, or None to give it later with the layer's `attach(module)` (before
            the layer is called).
        trainable: whether the module's trainable variables are trainable weights of the layer.
        name: the layer name.
        taken: weight names the module's eager variables must not have (see `_naming.rename_taken`).

    Returns:
        A tf_keras `Layer` whose call runs `module.fn`; its `module` is the module (or None).
    """
    from ..keras.tf_keras_layer import add_existing_weights  # Imports tf_keras.

    class HubModuleLayer(tf_keras.layers.Layer):  # type: ignore[name-defined]
        """Holds a hub module's variables as existing weights (as upstream's KerasLayer does)."""

        def __init__(self) -> None:
            # float32 whatever the global policy: under mixed precision, Keras would cast a
            # float input (images) to float16, which the module's float32 input refuses.
            super().__init__(trainable=trainable, name=name, dtype="float32")
            self.module: LoadedModule | None = None
            if module is not None:
                self.attach(module, taken=taken)

        def attach(self, module: LoadedModule, *, taken: Iterable[str] = ()) -> None:
            """Holds `module`: tracks its variables as weights and its losses."""
            rename_taken([variable for variable, _ in module.weights], taken)
            self.module = module
            if module.tracked is not None:
                _track(self, module.tracked)
            add_existing_weights(self, module.weights, names=module.weight_names)
            for loss_fn in module.regularization_losses if trainable else []:
                self.add_loss(self._while_trainable(loss_fn))

        def _while_trainable(self, loss_fn: Callable[[], Any]) -> Callable[[], Any]:
            # A closure, not a default argument: a SavedModel export cannot encode that.
            return lambda: loss_fn() if self.trainable else 0.0

        def call(self, inputs: Any, training: Any = None) -> Any:
            # As upstream's KerasLayer: `training` reaches the module only while trainable.
            module = self.module
            assert module is not None, "attach(module) before calling the layer"
            outputs, added = ops_added_to(
                tf.compat.v1.GraphKeys.UPDATE_OPS,
                lambda: module.fn(inputs, training=training if self.trainable else False),
            )
            if added and self.trainable:  # A trainable hub.Module's: tf_keras' graph-mode fit
                self.add_update(added)  # runs them while training (tf_keras 2 layers: a no-op).
            return outputs

    return HubModuleLayer()


def _track(layer: Any, tracked: Any) -> None:
    """Makes the module layer `layer` track the module's object `tracked`, so a SavedModel-format
    save reaches its tables: as `_hub_module_object` and also under the name upstream's
    KerasLayer gave it (`_func`): checkpoints key the model's variables by that path too
    (`.../_func/embeddings`), the same whatever the layers are named, e.g. in a second model of
    the process (`dense_features_1`)."""
    layer._hub_module_object = tracked
    layer._func = tracked


class HubDenseColumn(_V1DenseColumn, _V2DenseColumn):
    """Base class of tfhub's dense columns; subclasses define `_fields`, `load()` and `embed()`.

    Equality and hashing follow the configuration, as for TensorFlow's namedtuple columns.
    """

    _fields: tuple[str, ...] = ()
    # Whether `create_state` names the module's eager variables `<layer>/<column>/...` (a TF2
    # SavedModel's get that name scope as they load; a TF1 module's keep their own names).
    _scopes_eager_names = False

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, field) for field in self._fields)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, *(_hashable(v) for v in self._values())))

    def __repr__(self) -> str:
        fields = ", ".join(f"{field}={getattr(self, field)!r}" for field in self._fields)
        return f"{type(self).__name__}({fields})"

    # --- Naming and parsing ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """`<key>_hub_module_embedding`, as upstream: used for scopes, sorting and resources."""
        key = self.key if isinstance(self.key, str) else self.key.name  # type: ignore[attr-defined]
        return f"{key}_hub_module_embedding"

    @property
    def dtype(self) -> Any:
        return tf.float32

    @property
    def _is_v2_column(self) -> bool:
        return True

    @property
    def parents(self) -> list[Any]:
        return [self.key]  # type: ignore[attr-defined]

    @property
    def _parse_example_spec(self) -> dict[str, Any]:
        return self.parse_example_spec

    @property
    def _variable_shape(self) -> Any:
        return self.variable_shape

    # What the column's feature must be, for error messages (set by each column).
    _takes = "its feature"

    def _transform_feature(self, inputs: Any) -> Any:
        return self._read_feature(inputs)

    def transform_feature(self, transformation_cache: Any, state_manager: Any) -> Any:
        return self._read_feature(transformation_cache, state_manager)

    def _read_feature(self, cache: Any, *args: Any) -> Any:
        """`cache.get(self.key, *args)`: the feature as TensorFlow's feature-column code reads it.

        For a string key, `get` only looks the feature up and converts the user's value to a
        tensor, so its ValueError or TypeError is about that value. A key that is a feature
        column is read through that column's transform: its errors are its own (they name
        its key) and pass through unchanged, as does anything else `get` raises.

        Args:
            cache: TensorFlow's `_LazyBuilder` (`input_layer`) or `FeatureTransformationCache`
                (`DenseFeatures`); both hold the user's features as `_features`.
            *args: the rest of `get`'s arguments (the v2 state manager).

        Raises:
            tfhub.errors.CallInputSpecError: (a ValueError and a TypeError, as TensorFlow's
                errors were) if the features have no string `key`, or hold a scalar or a value
                TensorFlow cannot take (e.g. a tf.RaggedTensor, or a symbolic Keras input,
                for which the message says what to use) under it.
        """
        key = self.key  # type: ignore[attr-defined]
        if not isinstance(key, str):
            return cache.get(key, *args)
        try:
            return cache.get(key, *args)
        except (ValueError, TypeError) as err:
            where = f"hub.{getattr(self, '_column', type(self).__name__)}({key!r})"
            value = getattr(cache, "_features", {}).get(key)
            remedy = symbolic_input_remedy(value)
            if remedy is not None:
                raise errors.CallInputSpecError(
                    f"{where} cannot read its feature {key!r}: {remedy}. Received: {key!r} "
                    f"of type {type(value).__module__}.{type(value).__name__}"
                ) from err
            raise errors.CallInputSpecError(
                f"{where} cannot read its feature {key!r} from the features given: "
                f"{str(err).strip()} Pass a dict of features holding under {key!r} "
                f"{self._takes}. Received: key={key!r}"
            ) from err

    # --- Building --------------------------------------------------------------------------------

    def load(self) -> LoadedModule:
        """Loads a fresh copy of the module in the current context (eager or graph)."""
        raise NotImplementedError(f"{type(self).__name__} must define load()")

    def embed(self, inputs: Any, fn: TensorFn) -> Any:
        """Returns the `[batch, D]` embedding of the column's transformed input through `fn`."""
        raise NotImplementedError(f"{type(self).__name__} must define embed()")

    def _load(self, *, trainable: bool, init_tables: bool = True) -> LoadedModule:
        """`load()`, plus, in a graph, what the module needs there.

        Its table initializers join the graph's TABLE_INITIALIZERS (as upstream's did), so the
        user's `tf.compat.v1.tables_initializer()` runs them once; with `init_tables`
        (`DenseFeatures`), tf_keras' graph mode runs them once too (see `initialize_once`).
        For a trainable module the gradient of each call is built at once (see
        `_graph.with_gradient_built`).
        """
        if tf.executing_eagerly():
            return self.load()
        module, initializers = ops_added_to(tf.compat.v1.GraphKeys.TABLE_INITIALIZERS, self.load)
        if initializers and init_tables:
            module.tables_initialized = initialize_once(initializers)
        if trainable and module.trainable_variables:
            module.fn = with_gradient_built(module.fn, module.trainable_variables)
        return module

    def _is_trainable(self, requested: bool | None) -> bool:
        return bool(getattr(self, "trainable", False)) and bool(requested)

    def create_state(self, state_manager: Any) -> None:
        """Loads the module for a `DenseFeatures` layer and registers it as a resource.

        In a graph, a column with `_makes_graph_module_at_call` registers its layer without the
        module, which `get_dense_tensor` makes at the first call.
        """
        trainable = self._is_trainable(state_manager._trainable)
        owner = getattr(state_manager, "_layer", None)  # The DenseFeatures layer.
        layer = keras_module_layer(None, trainable=trainable, name=self.name)
        if not (self._makes_graph_module_at_call and not tf.executing_eagerly()):
            self._attach_module(layer, owner)
        state_manager.add_resource(self, self._resource_name, layer)
        if owner is not None:  # A named attribute, so `model.save("x.keras")` saves its weights.
            rivals = [getattr(c, "name", "") for c in getattr(owner, "_feature_columns", [])]
            setattr(owner, state_attribute(self.name, rivals), layer)

    @property
    def _resource_name(self) -> str:
        """The name under which `DenseFeatures` holds the column's module layer, as upstream's
        column registered it: the layer tracks it as `_resources/<column name>/<this>`, so
        TF-format checkpoints and SavedModel folders key the module's weights by this path."""
        return RESOURCE_NAME

    # Whether, in a graph, `DenseFeatures` makes the column's module when it first calls the
    # column rather than in `create_state` (upstream's sparse text column made its hub.Module
    # at call time, so after every other column's: upstream's `module_<n>` numbering follows).
    _makes_graph_module_at_call = False

    def _attach_module(self, layer: Any, owner: Any) -> None:
        """Loads the module into the `keras_module_layer` `layer` of the DenseFeatures `owner`."""
        trainable = layer.trainable
        module = self._load(trainable=trainable)
        if trainable:  # In a tf.Graph, so a tf.compat.v1 optimizer's minimize() trains them.
            add_to_collections(module, [tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES])
        if owner is not None and self._scopes_eager_names:
            scope_eager_names(module.variables, f"{owner.name}/{self.name}")
        taken = [weight.name for weight in owner.weights] if owner is not None else []
        layer.attach(module, taken=taken)

    def get_dense_tensor(
        self, transformation_cache: Any, state_manager: Any, training: Any = None
    ) -> Any:
        """Embeds the input with the module layer; `training` comes from `DenseFeatures`."""
        inputs = transformation_cache.get(self, state_manager)
        layer = state_manager.get_resource(self, self._resource_name)
        if layer.module is None:
            self._attach_module(layer, getattr(state_manager, "_layer", None))
        return self.embed(inputs, functools.partial(layer, training=training))

    def _get_dense_tensor(
        self,
        inputs: Any,
        weight_collections: list[str] | None = None,
        trainable: bool | None = None,
    ) -> Any:
        """The v1 path (`input_layer`): makes the module in the current graph on each call.

        As upstream's (`self.trainable and trainable`), the module trains only if the column is
        trainable and the caller asks for it: `trainable=None` (not said) leaves it frozen.
        """
        trainable = self._is_trainable(trainable)
        fn = self._input_layer_fn(list(weight_collections or []), trainable=trainable)
        return self.embed(inputs.get(self), fn)

    def _input_layer_fn(self, collections: list[str], *, trainable: bool) -> TensorFn:
        """Loads the module for `input_layer`; returns the function that embeds a batch.

        The module's variables join `collections` (and, if trainable, TRAINABLE_VARIABLES, and
        its regularization losses the graph's collection), as a `hub.Module` does. (In a graph a
        TF1 column makes a `hub.Module` instead, which collects its UPDATE_OPS itself.)
        """
        module = self._load(trainable=trainable, init_tables=False)
        if trainable:
            collections.append(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
            for loss_fn in module.regularization_losses:  # As a trainable hub.Module does.
                tf.compat.v1.add_to_collection(
                    tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES, loss_fn()
                )
        add_to_collections(module, collections)
        return module.fn

    # --- Serialization ---------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self._fields}

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: Any = None, columns_by_name: Any = None
    ) -> HubDenseColumn:
        """Rebuilds the column from `get_config()` (loading a saved Keras model): loads the
        module from its handle again.

        Raises:
            tfhub.errors.ModelNotFoundError: the handle is a path that no longer exists;
            tfhub.errors.DownloadError (or a subclass), tfhub.errors.OfflineModeError: the
                handle is a URL that cannot be downloaded now. The error keeps its class and
                data; its message says that the saved model needs the module, and how to do
                without it.
        """
        del custom_objects, columns_by_name
        try:
            return cls(**{field: decoded(value) for field, value in config.items()})
        except (errors.ModelNotFoundError, errors.DownloadError, errors.OfflineModeError) as err:
            raise unreachable_module_error(err, cls, config) from err


def _hashable(value: Any) -> Any:
    """Returns `value` if hashable, else its identity (e.g. a ModuleSpec without __hash__)."""
    try:
        hash(value)
    except TypeError:
        return id(value)
    return value
