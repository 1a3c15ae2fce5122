"""What both `hub.KerasLayer` flavours share: arguments, public attributes, calling, config.

`HubLayerBody` is mixed into each flavour's class before that flavour's `Layer`:

    class KerasLayer(HubLayerBody, keras.layers.Layer): ...

It loads the model and builds the `HubCallable`; each flavour only initializes its Keras base
(`_init_keras_layer`), adopts the model's variables and losses (`_adopt_model`) and defines
`call` and its output shapes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import TYPE_CHECKING, Any, ClassVar

from .. import errors
from ..loaded_model import LoadedModel
from ..utils.lazy import tensorflow as tf
from ..utils.redact import redact
from . import _calling, _compat, _config, _graph_tables, _shapes
from ._arguments import check_sentinel
from ._docstring import FLAVOUR_NAMES
from ._strategy import check_strategy_holds_variables
from .hub_callable import HubCallable, load_handle, make_hub_callable

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # The flavour's Keras Layer comes after this class in the MRO.
    _LayerBase = Any
else:
    _LayerBase = object


class HubLayerBody(_LayerBase):
    """The shared body of both KerasLayer flavours (see the module docstring)."""

    _flavour: ClassVar[_compat.Flavour]

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
        check_sentinel(_sentinel)
        self._check_environment()
        handle, tags = _plain_handle_and_tags(handle, tags)
        model, added_tables = _load_counting_tables(handle, tags, load_options)
        hub = make_hub_callable(
            handle,
            model=model,
            arguments=arguments,
            signature=signature,
            signature_outputs_as_dict=signature_outputs_as_dict,
            output_key=output_key,
        )
        self._init_keras_base(trainable=trainable, kwargs=kwargs)
        # Plain Python state, kept out of Keras's attribute tracking.
        self._state = _Untracked(
            hub=hub,
            tags=None if tags is None else list(tags),
            output_shape=None if output_shape is None else _shapes.nest_to_shapes(output_shape),
        )
        self._state.tables_initialized = self._initialize_tables_once(added_tables)
        self._func = model.obj  # Tracked: saving keeps the model's tables and assets.
        try:
            self._adopt_model(model)
        except AssertionError as err:  # A signature of a model nothing keeps (_calling.py).
            deleted = _calling.deleted_model_error(err)
            if deleted is None:
                raise
            raise deleted from err

    def _init_keras_base(self, *, trainable: bool, kwargs: dict[str, Any]) -> None:
        """Initializes the flavour's Keras Layer with `trainable` and the keyword arguments the
        layer does not use itself.

        Raises:
            tfhub.errors.ArgumentTypeError: Keras refused one of them (a keyword it does not
                know, a dtype it cannot use, a `trainable` that is not a bool; the message
                names them all, `trainable` too). A ValueError as Keras 3's error and a TypeError as
                tf_keras's (and upstream's, "Keyword argument not understood").
        """
        try:
            self._init_keras_layer(trainable=trainable, **kwargs)
        except (TypeError, ValueError) as err:
            if isinstance(err, errors.TFHubError):
                raise
            given = {"trainable": trainable, **kwargs}
            received = ", ".join(f"{key}={value!r}" for key, value in given.items())
            raise errors.ArgumentTypeError(
                "hub.KerasLayer passes `trainable` and the keyword arguments it does not use "
                f"itself to the Keras Layer, which refused them: {err}. Pass a bool as "
                "trainable and, besides handle, arguments, tags, signature, "
                "signature_outputs_as_dict, output_key, output_shape and load_options, only "
                f"Keras Layer arguments (input_shape, dtype, name, ...). Received: {received}"
            ) from err

    # --- What each flavour defines -------------------------------------------------------------

    def _check_environment(self) -> None:
        """Raises if this flavour cannot run here (called before anything is loaded)."""

    def _init_keras_layer(self, *, trainable: bool, **kwargs: Any) -> None:
        """Initializes the flavour's Keras Layer base class."""
        raise NotImplementedError

    def _initialize_tables_once(self, added: list[Any]) -> Any:
        """What keeps the table initializers the model's load `added` to a graph running once
        (the tf_keras flavour's; Keras 3 runs in no graph of tf_keras): None here."""
        del added
        return None

    def _adopt_model(self, model: LoadedModel) -> None:
        """Makes the model's variables this layer's weights, and adds its losses."""
        raise NotImplementedError

    # --- Public attributes ----------------------------------------------------------------------

    @property
    def resolved_object(self) -> Any:
        """The object `hub.load(handle)` returned (or the callable the layer was built from)."""
        return self._state.hub.model.obj

    @property
    def hub_callable(self) -> HubCallable:
        """How the layer calls the model (function, signature, output key, arguments)."""
        return self._state.hub

    @property
    def handle(self) -> Any:
        """The handle string (or callable) the layer was built from."""
        return self._state.hub.handle

    @property
    def _shown_handle(self) -> str:
        """The handle as the repr and log lines show it: its repr, credentials redacted
        (`'https://***@host/m.tar.gz'`), as in tfhub's errors."""
        return redact(repr(self.handle))

    @property
    def output_shape_spec(self) -> Any:
        """The `output_shape` argument as a nest of `tf.TensorShape`, or None."""
        return self._state.output_shape

    # --- Calling --------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the layer after checking that no object of the other Keras flavour is involved.

        Python values as its input (`layer(["a sentence", ...])`, as the models' pages write
        it, or in a dict of inputs) become tensors first (a RaggedTensor for rows of different
        lengths): Keras 3 takes only tensors positionally ("Only input tensors may be passed as
        positional arguments").

        Raises:
            tfhub.errors.KerasFlavourError: an input or the enclosing layer is of the other
                flavour.
        """
        if args:
            args = (_calling.python_values_as_tensors(args[0], self._state.hub), *args[1:])
        first = args[0] if args else kwargs.get("inputs")
        if not isinstance(first, tf.Tensor):  # Only KerasTensors can be of the other flavour.
            for tensor in tf.nest.flatten(first):
                message = _compat.flavour_mismatch_message(self._flavour, tensor)
                if message:
                    raise errors.KerasFlavourError(message)
        message = _compat.enclosing_flavour_mismatch_message(self._flavour)
        if message:  # E.g. inside a subclassed model of the other flavour.
            raise errors.KerasFlavourError(message)
        try:
            return super().__call__(*args, **kwargs)
        except errors.TFHubError as err:
            errors.restore_data_after_keras(err)
            raise

    @property
    def _output_dtype(self) -> str | None:
        """The dtype the layer casts the model's floating outputs to: its compute dtype under a
        mixed precision policy (float16/bfloat16 computation over float32 variables), else None:
        the outputs keep the model's dtypes, as upstream's layer returned them (a float64
        output stays float64 under the default float32 policy)."""
        compute = self.compute_dtype
        return compute if compute != self.variable_dtype else None

    def _check_strategy_holds_variables(self, training: Any) -> None:
        """Raises if the layer would train variables that its distribution strategy did not
        create (see `_strategy.check_strategy_holds_variables`)."""
        if self.trainable:
            check_strategy_holds_variables(self.name, self._state.hub, training)

    def _warn_if_trainable_without_weights(self) -> None:
        """Logs once per layer (as upstream did) if it is trainable but has no trainable weights."""
        if not self.trainable or self.trainable_weights or self._state.warned_no_weights:
            return
        self._state.warned_no_weights = True
        logger.error(  # ERROR, as upstream.
            "hub.KerasLayer is trainable but has zero trainable weights (layer %r, handle %s).",
            self.name,
            self._shown_handle,
        )

    # --- Saved weights --------------------------------------------------------------------------

    def load_own_variables(self, store: Any) -> None:
        """Restores the layer's weights from a `.keras` file (Keras calls it while loading).

        A `.keras` file that tensorflow_hub's own layer saved over a model listing no
        `variables` (a `tf.Module` saved as it was) holds no weights for the layer: upstream's
        layer gave that model none. tfhub's tracks its variables (so that it can be
        fine-tuned); loading such a file keeps them at the model folder's values, which is what
        upstream's layer ran with. Any other count mismatch is Keras's error, as before.
        """
        if len(store.keys()) == 0 and self.weights and self._state.hub.model.variables_unlisted:
            logger.info(
                "hub.KerasLayer %r: the saved file holds no weights for this layer (saved by "
                "tensorflow_hub, which gave a model listing no `variables` none); its %d "
                "variables keep the values of the model folder %s.",
                self.name,
                len(self.weights),
                self._shown_handle,
            )
            return
        self._load_variables_by_position(store)

    def _load_variables_by_position(self, store: Any) -> None:
        """Assigns the values of a `.keras` file's store (keys "0", "1", ...) to the weights."""
        super().load_own_variables(store)

    def _in_upstream_order(self, weights: list[Any]) -> list[Any]:
        """`weights` (the layer's own, as Keras lists them) with the model's variables in the
        order tensorflow_hub's layer listed them (`LoadedModel.upstream_weight_order`), any
        others after them as they were."""
        state = self.__dict__.get("_state")  # Keras may ask before __init__ has set it.
        order = [] if state is None else state.weight_order
        ids = {id(weight) for weight in weights}
        first = [weight for weight in order if id(weight) in ids]
        placed = {id(weight) for weight in first}
        return first + [weight for weight in weights if id(weight) not in placed]

    # --- Config ---------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Returns the config: the base Layer config plus handle, signature, outputs, ...

        Raises:
            tfhub.errors.ConfigNotSupportedError: the layer wraps a Python callable
                (a NotImplementedError, as upstream raised).
        """
        config = super().get_config()
        state = self._state
        config.update(_config.config_entries(state.hub, state.output_shape, state.tags))
        return config

    def _config_for_copy(self) -> dict[str, Any]:
        """`get_config()` for a copy of the layer (`copy.deepcopy`, `pickle`), which both
        flavours build from the config, as Keras 3 pickles any layer.

        Raises:
            tfhub.errors.ConfigNotSupportedError: the layer wraps a Python callable, which has
                no config; the message says how to share it instead.
        """
        try:
            return self.get_config()
        except errors.ConfigNotSupportedError as err:
            raise errors.reworded(
                err,
                "copy.deepcopy(hub.KerasLayer) (and pickling it) builds the copy from the "
                f"layer's config, and this layer has none: {err} To share the callable's "
                "variables instead, build a second hub.KerasLayer over the same callable.",
            ) from err

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Rebuilds the layer from `get_config()` (loading a saved Keras model): loads `handle`
        again.

        Raises:
            tfhub.errors.ModelNotFoundError: the handle is a path that no longer exists;
            tfhub.errors.DownloadError (or a subclass), tfhub.errors.OfflineModeError: the
                handle is a URL that cannot be downloaded now (server gone, file removed,
                offline, with a cache that does not hold it);
            tfhub.errors.DamagedModelError (or a subclass): the model there is damaged or
                lacks a file (e.g. its variables/). The error keeps its class and data, and
                its message says that the saved model needs the handle, and how to do without
                it.
        """
        try:
            return cls(**dict(config))
        except _UNREACHABLE_HANDLE_ERRORS as err:
            raise _config.unreachable_handle_error(err, config) from err

    def __repr__(self) -> str:
        other: _compat.Flavour = "tf_keras" if self._flavour == "keras3" else "keras3"
        return (
            f"<{_compat.class_path(self._flavour)} name={self.name!r} handle={self._shown_handle} ("
            f"a {FLAVOUR_NAMES[self._flavour]} layer; for {FLAVOUR_NAMES[other]} models use "
            f"{_compat.class_path(other)})>"
        )


# What `from_config` says the saved layer's handle needs (`_config.unreachable_handle_error`).
_UNREACHABLE_HANDLE_ERRORS = (
    errors.ModelNotFoundError,
    errors.DownloadError,
    errors.OfflineModeError,
    errors.DamagedModelError,
)


def _plain_handle_and_tags(handle: Any, tags: Any) -> tuple[Any, Any]:
    """`handle` and `tags` as the layer keeps them: a path-like handle as a str (as `hub.load`
    takes a pathlib.Path), one tag given as a str as a list of it (as upstream's
    `tf.saved_model.load` took it)."""
    if isinstance(handle, os.PathLike):
        handle = os.fspath(handle)
    if isinstance(tags, str):
        tags = [tags]
    return handle, tags


def _load_counting_tables(
    handle: Any, tags: Any, load_options: Any
) -> tuple[LoadedModel, list[Any]]:
    """Loads the model (`hub_callable.load_handle`); returns it and the table initializers its
    load added to the current graph (none eagerly)."""
    known_tables = {id(op) for op in _graph_tables.table_initializers()}
    model = load_handle(handle, tags, load_options)
    added = [op for op in _graph_tables.table_initializers() if id(op) not in known_tables]
    return model, added


@dataclasses.dataclass(eq=False)  # Hashed by identity, as any attribute Keras may track.
class _Untracked:
    """The layer's plain Python state, hidden from Keras's attribute tracking."""

    hub: HubCallable
    tags: list[str] | None
    output_shape: Any
    warned_no_weights: bool = False
    # The layer's weights in upstream's order (set by `_adopt_model`; see `_in_upstream_order`).
    weight_order: list[Any] = dataclasses.field(default_factory=list)
    # tf_keras in a graph: the flag variable whose initializer runs the model's table
    # initializers (`_graph_tables.initialize_once`), kept alive here; None elsewhere.
    tables_initialized: Any = None
