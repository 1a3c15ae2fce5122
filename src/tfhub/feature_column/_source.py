"""Where a TF1 column's module comes from: a handle string or a `hub.ModuleSpec`.

A handle is resolved to a local folder once (again only if that folder is gone). An in-memory
spec (e.g. from `hub.create_module_spec`) is written to a temporary folder on first use, through
the public `hub.Module(spec).export(...)`, so every column is loaded the same way: with
`tfhub.load`, in eager mode or in a graph.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
from collections.abc import Callable
from typing import Any

from .. import errors, saved_model
from ..keras._graph_tables import initialize_once
from ..saved_model_proto import read_saved_model_proto
from ..utils.temp_folders import make_temporary_folder
from ._base import (
    HubDenseColumn,
    LoadedModule,
    TensorFn,
    tf,
)
from ._checks import join_tokens, module_name, require_handle
from ._graph import add_once_to_collection
from ._signatures import Signature, read_tf1_signature, signature_from_spec

logger = logging.getLogger(__name__)


def _other_formats(column: str, path: str) -> str:
    """What to use instead of the TF1 column `column` for the SavedModel at `path`."""
    tf2 = {
        "image_embedding_column": (
            "For a TF2 SavedModel image model, apply hub.KerasLayer(handle) to the images"
        ),
        "sparse_text_embedding_column": (
            "hub.sparse_text_embedding_column takes TF1 Hub modules only; for a TF2 SavedModel "
            "text embedding, join each example's tokens into one text, "
            f"{join_tokens('tokens')}, and use hub.text_embedding_column_v2"
        ),
    }.get(column, "For a TF2 SavedModel text embedding use hub.text_embedding_column_v2")
    return (
        f"{tf2}; for a TF1 SavedModel (tf.compat.v1.saved_model) whose graph has no tags and a "
        "'default' signature, pass hub.create_module_spec_from_saved_model(path) as "
        f"module_spec{_tf1_saved_model_graphs(path)}."
    )


def _tf1_saved_model_graphs(path: str) -> str:
    """For a TF1 SavedModel without a graph of no tags holding a 'default' signature (what a
    spec of it needs for a column), what it has and how to call it instead; else ""."""
    try:
        meta_graphs = read_saved_model_proto(path).meta_graphs
    except errors.TFHubLoadError:  # No SavedModel here: nothing more to say.
        return ""
    if any(meta.HasField("object_graph_def") for meta in meta_graphs):  # A TF2 SavedModel.
        return ""
    if any(not meta.meta_info_def.tags and "default" in meta.signature_def for meta in meta_graphs):
        return ""
    graphs = "; ".join(
        f"tags {sorted(meta.meta_info_def.tags)}: signatures {sorted(meta.signature_def)}"
        for meta in meta_graphs
    )
    return (
        f" (this one has {graphs}: save it again that way, or call it with "
        "hub.KerasLayer(handle, signature=..., tags=...))"
    )


class ModuleSource:
    """A TF1 Hub module named by a handle or given as a ModuleSpec.

    Args:
        module_spec: a handle string (path, URL) or a `hub.ModuleSpec`.
        column: the public function's name, quoted in errors.

    Raises:
        tfhub.errors.ModuleSpecError: if `module_spec` is neither a string nor a ModuleSpec.
        tfhub.errors.NotATF1ModuleError: if the handle is a TF2 SavedModel.
    """

    def __init__(self, module_spec: Any, *, column: str) -> None:
        from ..tf1.module_spec import ModuleSpec

        self.module_spec = module_spec
        self._column = column
        self._path: str | None = None
        if isinstance(module_spec, str):
            path = saved_model.resolve(module_spec)
            if not saved_model.is_tf1_hub_module(path):
                raise errors.NotATF1ModuleError(
                    f"hub.{column} needs a module in the TF1 Hub format, but {module_spec!r} "
                    f"(at {path}) has no tfhub_module.pb. {_other_formats(column, path)} "
                    f"Received: module_spec={module_spec!r}"
                )
            self._path = path
        elif not isinstance(module_spec, ModuleSpec):
            raise errors.ModuleSpecError(
                f"hub.{column} expects a handle string or a hub.ModuleSpec as `module_spec`. "
                f"Received: module_spec={module_spec!r}"
            )
        else:  # A spec loaded from a folder is used from there; an in-memory one has no path.
            spec_path = getattr(module_spec, "module_path", None)
            if isinstance(spec_path, str) and saved_model.is_tf1_hub_module(spec_path):
                self._path = spec_path

    def signature(self, name: str = "default") -> Signature:
        """Returns the inputs and outputs of the signature `name` of the default graph.

        Raises:
            tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream's, and a ValueError)
                if the module has no default graph variant: the message names the column, the
                module and its tag sets, and says what to do.
            tfhub.errors.UnknownSignatureError: if the default graph has no signature `name`.
        """
        try:
            if self._path is not None:
                return read_tf1_signature(self._path, name)
            return signature_from_spec(self.module_spec, name)
        except errors.UnknownGraphVariantError as err:
            raise errors.UnknownGraphVariantError(
                self._no_default_variant(err.available), available=err.available
            ) from err

    def _no_default_variant(self, tag_sets: list[Any]) -> str:
        """Says that the module lacks the default graph variant the column uses, and what to do."""
        name = module_name(self.module_spec)
        return (
            f"hub.{self._column} uses a TF1 Hub module's default graph variant (the empty tag "
            f"set), which the module {name} lacks: its tag sets are {tag_sets}. Export the module "
            "with a default variant too (hub.create_module_spec(module_fn, tags_and_args=[(set(), "
            "{...}), ...])), or call the variant it has with hub.Module(spec, tags={...}) or "
            f"hub.KerasLayer(handle, tags=[...]). Received: module_spec={name}"
        )

    def module_spec_object(self) -> Any:
        """Returns a `hub.ModuleSpec` for the module (loading it for a handle)."""
        from ..tf1.module import as_module_spec

        return as_module_spec(self.module_spec)

    @property
    def local_path(self) -> str:
        """The module's local folder (an in-memory spec is exported on first access; a handle
        whose folder is gone, e.g. a cache cleaned since the column was made, is resolved
        again, into the cache in use now)."""
        if self._path is None:
            self._path = export_spec_to_temp_folder(self.module_spec)
        elif isinstance(self.module_spec, str):
            self._path = folder_or_resolved_again(self.module_spec, self._path)
        return self._path


def folder_or_resolved_again(handle: str, folder: str) -> str:
    """`folder`, where `handle` was resolved when a column was made, or, if it is gone (a cache
    cleaned since, e.g. by `tfhub cache rm`), `handle` resolved again, into the cache in use now
    (upstream's columns resolved their handle when their state was created)."""
    if tf.io.gfile.isdir(folder):
        return folder
    return saved_model.resolve(handle)


def export_spec_to_temp_folder(module_spec: Any) -> str:
    """Instantiates `module_spec` in a new graph, initializes it, and exports it to a temp folder.

    The folder is removed when the process exits.

    Returns:
        The path of the exported module.
    """
    from ..tf1.module_spec import export_spec

    folder = make_temporary_folder(
        "tfhub_feature_column_", needer="A feature column of a module spec built in memory"
    )
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    module_path = os.path.join(folder, "module")
    export_spec(module_spec, module_path)
    logger.info("Exported an in-memory ModuleSpec to %s for a feature column.", module_path)
    return module_path


class TF1ModuleColumn(HubDenseColumn):
    """A column embedding with the `default` signature of a TF1 Hub module (text or image).

    Subclasses set `_column` (the public function's name, quoted in errors) and call `_open`.
    """

    _column = ""
    _scopes_eager_names = True

    def _open(self, module_spec: Any) -> None:
        """Finds the module (a handle or a ModuleSpec) and reads its `default` signature."""
        self._source = ModuleSource(module_spec, column=self._column)
        self._signature = self._source.signature()

    @property
    def module_spec(self) -> Any:
        """The `hub.ModuleSpec` of the module (loaded, for a handle), as upstream's columns
        held it: e.g. for `hub.get_expected_image_size(column.module_spec)`."""
        return self._source.module_spec_object()

    @property
    def variable_shape(self) -> Any:
        return self._signature.outputs["default"].get_shape()[1:]

    def _load(self, *, trainable: bool, init_tables: bool = True) -> LoadedModule:
        """Eagerly, the module loaded with `tfhub.load` (see the base class). In a graph, a
        `hub.Module` made in the current variable scope, as upstream's columns made one.

        So its variables get upstream's names (`module/embeddings` in `DenseFeatures`, whose
        `create_state` runs in no variable scope; `input_layer/<key>_hub_module_embedding/
        module/...` in `input_layer`), which TF1 checkpoints written with upstream hold. The
        module adds its regularization losses and, if trainable, its UPDATE_OPS and trainable
        variables to the graph's collections, as upstream's did. Its table initializers run
        once, with the user's `tables_initializer()` (as upstream's); with `init_tables`
        (`DenseFeatures`), tf_keras' graph mode also runs them once (`initialize_once`).
        """
        if tf.executing_eagerly():
            loaded = super()._load(trainable=trainable)
            # Keyed in checkpoints as in a graph (the variables' names are the module's here).
            loaded.weight_names = ["module/" + variable.name for variable, _ in loaded.weights]
            if trainable:
                self._warn_reference_variables()
            return loaded
        key = tf.compat.v1.GraphKeys.TABLE_INITIALIZERS
        known = {id(op) for op in tf.compat.v1.get_collection(key)}
        module = self._graph_module(trainable=trainable)
        initializers = [op for op in tf.compat.v1.get_collection(key) if id(op) not in known]
        trained = {id(v) for v in module.trainable_variables}

        def fn(batch: Any, training: Any = False) -> Any:
            del training  # A hub.Module made in a graph runs its graph variant as it is.
            return module(batch)

        loaded = LoadedModule(
            fn,
            variables=module.variables,
            weights=[(v, id(v) in trained) for v in module.variables],
            regularization_losses=[_returning(loss) for loss in module.get_regularization_losses()],
        )
        loaded.weight_names = _names_in_first_module(module.variable_map, module.variables)
        if initializers and init_tables:
            loaded.tables_initialized = initialize_once(initializers)
        return loaded

    def _graph_module(self, *, trainable: bool) -> Any:
        """A `hub.Module` of the module, named "module" in the current variable scope.

        Raises:
            tfhub.errors.ModuleGraphError: (a RuntimeError, as upstream's) if that scope's
                name is taken (a tower's variable scope entered again, reused or not).
            tfhub.errors.EagerNotSupportedError: (a RuntimeError) inside a tf.function.
            Both name the column and what to do, as the column's user did not make the
            hub.Module and cannot rename it (hub.Module's own words follow).
        """
        from ..tf1.module import Module

        try:
            return Module(self._source.module_spec, trainable=trainable)
        except (errors.ModuleGraphError, errors.EagerNotSupportedError) as err:
            remedy = _GRAPH_MODULE_REMEDIES.get(type(err))
            if remedy is None:  # E.g. ControlFlowModuleError, which says what to do.
                raise
            raise type(err)(
                f"hub.{self._column}({getattr(self, 'key', '')!r}) makes its module as a "
                f"hub.Module named 'module' in the current variable scope: {remedy} "
                f"hub.Module said: {err}"
            ) from err

    def _warn_reference_variables(self) -> None:
        """Warns that an eager trainable column cannot train the module's TF1 reference
        variables (`get_variable(use_resource=False)`, TF1's default): TensorFlow's eager
        loader makes no Python object of them, so `DenseFeatures` has no weight for them and
        `fit` never changes them (eager `hub.Module` warns alike; docs/tf1.md)."""
        from ..tf1.meta_graph_lib import trainable_reference_variables

        meta_graph = self._source.module_spec_object().get_meta_graph()
        variables = trainable_reference_variables(meta_graph)
        if not variables:
            return
        logger.warning(
            "hub.%s(%r, trainable=True) cannot train %s of the module %s in eager mode: they "
            "are TF1 reference variables, of which TensorFlow's eager loader makes no Python "
            "objects, so DenseFeatures has no weights for them and fit does not change them. To "
            "fine-tune them, use the column in a graph with a tf.compat.v1.train optimizer: "
            "tf.compat.v1.feature_column.input_layer and optimizer.minimize(loss), or tf_keras "
            "with eager execution disabled and model.compile(optimizer="
            "tf.compat.v1.train.AdamOptimizer(...)) (tf_keras' own optimizers need resource "
            "variables); or use a version of the module exported with resource variables.",
            self._column,
            getattr(self, "key", ""),
            variables,
            module_name(self._source.module_spec),
        )

    def _input_layer_fn(self, collections: list[str], *, trainable: bool) -> TensorFn:
        """In a graph, the `hub.Module` of `_load` (eagerly, the base class's).

        Its variables join `collections`; the module itself already added its losses,
        UPDATE_OPS and trainable variables to the graph's collections.
        """
        if tf.executing_eagerly():
            return super()._input_layer_fn(collections, trainable=trainable)
        module = self._load(trainable=trainable, init_tables=False)
        for collection in collections:
            add_once_to_collection(collection, module.variables)
        return module.fn

    def get_config(self) -> dict[str, Any]:
        require_handle(self._source.module_spec, self._column)
        return super().get_config()


# What to do instead, for the errors hub.Module raises where a TF1 column makes one.
_GRAPH_MODULE_REMEDIES: dict[type[Exception], str] = {
    errors.ModuleGraphError: (
        "it cannot name it otherwise. For a feature column: apply "
        "tf.compat.v1.feature_column.input_layer once and use its output in every tower, or "
        "apply one tf_keras.layers.DenseFeatures(columns) layer in every tower (it shares the "
        "module), or call input_layer in a variable scope of its own in each tower (each gets "
        "a module of its own)."
    ),
    errors.EagerNotSupportedError: (
        "a tf.function's graph cannot hold one. Apply the columns with one "
        "tf_keras.layers.DenseFeatures(columns) layer made outside the tf.function and called "
        "inside it (it loads the module once), or call input_layer outside the tf.function "
        "(eagerly, or in a tf.Graph)."
    ),
}


def _names_in_first_module(variable_map: dict[str, Any], variables: list[Any]) -> list[str]:
    """For a `hub.Module` in a graph, each of `variables` named as in the graph's first module:
    `module/<its name in the module>:0` (e.g. `module/embeddings:0` also for `module_1`'s).

    tf_keras keys a weight of a TF-format checkpoint (`save_weights`) by the name the layer
    tracks it under: a name stable per module, whatever number the graph gave the module,
    lets a model whose module is `module_1` restore a checkpoint of one whose module was
    `module` (checkpoints written before keyed the weight by its variable's name, which was that
    for a graph's first module).

    Args:
        variable_map: the module's {name in the module: variable or list of partitions}.
        variables: the module's variables, in the order of the names returned.

    Returns:
        One name per variable.
    """
    names: dict[int, str] = {}
    for key, value in variable_map.items():
        parts = value if isinstance(value, list) else [value]
        for part in parts:
            tail = f"{key}/part_" if isinstance(value, list) else f"{key}:"
            names[id(part)] = "module/" + part.name[part.name.rindex(tail) :]
    return [names[id(variable)] for variable in variables]


def _returning(value: Any) -> Callable[[], Any]:
    """A zero-argument callable returning `value` (a graph's loss tensor, as a loss function)."""
    return lambda: value
