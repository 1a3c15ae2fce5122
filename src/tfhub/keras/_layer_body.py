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
from ..model_calls import static_training
from ..utils.lazy import tensorflow as tf
from ..utils.redact import redact
from . import _calling, _compat, _config, _graph_tables, _shapes
from ._arguments import check_sentinel
from .hub_callable import HubCallable, load_handle, make_hub_callable

logger = logging.getLogger(__name__)

_DOCSTRING = """Wraps a SavedModel (TF2 or TF1 Hub format), or a callable, as {what}.

    The arguments are upstream's; see also `docs/keras.md`.{note}

    Args:
        handle: a string for `hub.load` (path, URL, ...; required to save the layer's config) or
            a callable following the conventions: one positional input (tensor, list or dict),
            `training=` if it accepts one, optional `variables`, `trainable_variables` and
            `regularization_losses` (zero-argument callables) attributes.
        trainable: report the model's trainable variables as trainable weights, add its
            regularization losses, and pass `training` through.
        arguments: extra keyword arguments for every call; JSON-serializable to save the layer.
        _sentinel: blocks further positional arguments.
        tags: the MetaGraph's tags (TF1 Hub modules default to the empty set); a string is
            one tag, as for `tf.saved_model.load`.
        signature: call this signature instead of the object (TF1 modules: `default`).
        signature_outputs_as_dict: return the signature's whole dict of outputs.
        output_key: return this output of a dict of outputs (TF1 modules: `default`).
        output_shape: the output shape(s) without the batch size, nested like the outputs.
        load_options: a `tf.saved_model.LoadOptions` for a string handle.
        **kwargs: Keras Layer arguments (`input_shape`, `dtype`, `name`, ...).

    Attributes (stable, for code that builds on the layer, e.g. `hub.export_layer`):
        resolved_object: what `hub.load(handle)` returned (or the callable passed).
        hub_callable: a `tfhub.keras.hub_callable.HubCallable`: `.fn` is the function the layer
            calls, `.signature`/`.output_key` the chosen endpoint, `.arguments` the extra kwargs.
        handle: the handle string (or callable) the layer was built from.
        output_shape_spec: the `output_shape` as a nest of `tf.TensorShape` (or None).

    Raises:
        ValueError: a `signature` without exactly one of `output_key` and
            `signature_outputs_as_dict`, a callable `handle` with `tags` or `load_options`, or
            a non-dict `arguments`.
        tfhub.errors.ArgumentTypeError: (a ValueError and a TypeError) a keyword argument
            Keras's Layer refuses, such as one it does not know.
        tfhub.errors.UnknownSignatureError: `signature` is not one of the model's signatures.
        tfhub.errors.UnknownOutputKeyError: the signature has no output `output_key`.
    """

_NAMES = {"keras3": "Keras 3", "tf_keras": "tf_keras"}


def layer_docstring(flavour: _compat.Flavour, *, note: str = "") -> str:
    """The class docstring of the KerasLayer of `flavour` (`note`: an extra paragraph)."""
    return _DOCSTRING.format(what=f"a {_NAMES[flavour]} layer", note=note and f"\n    {note}")


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
        if isinstance(handle, os.PathLike):  # A pathlib.Path, as hub.load takes: kept as str.
            handle = os.fspath(handle)
        if isinstance(tags, str):  # One tag, as upstream's tf.saved_model.load took it.
            tags = [tags]
        known_tables = {id(op) for op in _graph_tables.table_initializers()}
        model = load_handle(handle, tags, load_options)
        added_tables = [
            op for op in _graph_tables.table_initializers() if id(op) not in known_tables
        ]
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
        """Raises if the layer would train, under a strategy that mirrors variables (Mirrored,
        MultiWorkerMirrored, TPU), variables that the strategy did not create: the optimizer
        step fails on them (Keras 3 with a bare AssertionError). Other strategies (e.g.
        OneDeviceStrategy) update any variable. Only Python-time work, and only under one.

        Raises:
            tfhub.errors.ArgumentError: (a ValueError, as tf_keras's "was not created in the
                distribution strategy scope") a trainable layer called with `training` not
                known to be False (`model_calls.static_training`) under such a strategy that
                does not hold its trainable variables.
        """
        if not self.trainable or not tf.distribute.has_strategy():
            return
        if static_training(training) is False:  # Only inference: no optimizer step.
            return
        strategy = tf.distribute.get_strategy()
        if not isinstance(strategy, _mirroring_strategies()):
            return
        hub = self._state.hub
        outside = [
            variable.name
            for variable in hub.model.trainable_variables()
            if not strategy.extended.variable_created_in_scope(variable)
        ]
        if not outside:
            return
        if hub.is_hub_module_v1:
            remedy = (
                "TensorFlow loads a TF1 Hub module's variables outside any distribution "
                "strategy (tf.compat.v1.saved_model.load_v2), so they cannot be mirrored. Keep "
                "the layer frozen (trainable=False) under the strategy, train without the "
                "strategy, or use a TF2 SavedModel of the model"
            )
        else:
            remedy = "Create the layer inside strategy.scope()"
        raise errors.ArgumentError(
            f"hub.KerasLayer {self.name!r} over {self.handle!r} cannot train under "
            f"{type(strategy).__name__}: the strategy did not create its variables "
            f"{outside}. {remedy}. Received: trainable=True, training={training!r}"
        )

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
                offline, with a cache that does not hold it). The error keeps its class and
                data, and its message says that the saved model needs the handle, and how to
                do without it.
        """
        try:
            return cls(**dict(config))
        except (errors.ModelNotFoundError, errors.DownloadError, errors.OfflineModeError) as err:
            raise _unreachable_handle_error(err, config) from err

    def __repr__(self) -> str:
        other: _compat.Flavour = "tf_keras" if self._flavour == "keras3" else "keras3"
        return (
            f"<{_compat.class_path(self._flavour)} name={self.name!r} handle={self._shown_handle} ("
            f"a {_NAMES[self._flavour]} layer; for {_NAMES[other]} models use "
            f"{_compat.class_path(other)})>"
        )


def _mirroring_strategies() -> tuple[Any, ...]:
    """The public strategies whose optimizer updates need the variables they created."""
    distribute = tf.distribute
    return (
        distribute.MirroredStrategy,
        distribute.MultiWorkerMirroredStrategy,
        distribute.TPUStrategy,
        distribute.experimental.TPUStrategy,
    )


def _unreachable_handle_error(err: errors.TFHubError, config: dict[str, Any]) -> Exception:
    """`err` saying that the saved layer `config` needs the model its handle named, and how to
    restore the weights without it: a copy of the same class and data (as pickling makes it),
    so `except` clauses that caught `err` catch it too."""
    if isinstance(err, errors.ModelNotFoundError):
        remedy = "Put the model back there"
    else:
        remedy = "Load it where the handle can be downloaded (or a cache holds it)"
    message = (
        f"The saved model's hub.KerasLayer {config.get('name')!r} loads the model it wraps from "
        f"its handle, {config.get('handle')!r}: {err} A saved Keras model keeps the layer's "
        f"weights, not that model. {remedy}, or build your model again with hub.KerasLayer(<the "
        "model's new path or URL>) and restore the weights with model.load_weights(<the saved "
        "file>)."
    )
    return errors.reworded(err, message)


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
