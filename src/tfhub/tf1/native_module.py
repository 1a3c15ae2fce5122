"""Creating and loading modules in the TF1 Hub format (a SavedModel plus `tfhub_module.pb`).

Public: `create_module_spec`, `add_signature`, `attach_message`,
`create_module_spec_from_saved_model`. Internal: `Loader` (handle folder -> spec) and
`NativeModuleSpec`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import errors
from ..protos import FORMAT_V3, ModuleDef
from ..utils.lazy import import_tensorflow
from . import saved_model_lib, tensor_info
from .graph_state import (
    find_signature_input_error,
    find_signature_inputs_from_multivalued_ops,
    find_state_op_colocation_error,
)
from .module_spec import ModuleSpec

logger = logging.getLogger(__name__)

MODULE_PROTO_FILENAME_PB = "tfhub_module.pb"
_SUPPORTED_FEATURES: frozenset[str] = frozenset()

SUPPORTED_COLLECTIONS = frozenset(
    [
        "variables",
        "trainable_variables",
        "model_variables",
        "table_initializer",
        "update_ops",
        "regularization_losses",
        "asset_filepaths",
        "cond_context",
        "while_context",
        saved_model_lib.ATTACHMENT_COLLECTION_SAVED,
    ]
)
# Collections that TF1 SavedModels often carry but a module cannot use.
_ALWAYS_DROPPED_COLLECTIONS = frozenset(
    ["global_step", "summaries", "saved_model_main_op", "legacy_init_op", "saved_model_train_op"]
)


def get_module_proto_path(module_dir: str) -> str:
    """Returns the path of the module's `tfhub_module.pb` marker."""
    return os.path.join(module_dir, MODULE_PROTO_FILENAME_PB)


def _not_a_module_error(path: str, handle: str | None) -> errors.NotATF1ModuleError:
    tf = import_tensorflow()
    where = f"{handle!r} (at {path})" if handle and handle != path else path
    if not tf.io.gfile.exists(os.path.join(path, "saved_model.pb")):
        return errors.NotATF1ModuleError(
            f"{where} is not a TF1 Hub module: it has neither {MODULE_PROTO_FILENAME_PB} nor "
            "saved_model.pb."
        )
    return errors.NotATF1ModuleError(
        f"{where} is not a TF1 Hub module ({MODULE_PROTO_FILENAME_PB} is missing): it is a TF2 "
        "SavedModel. Load it with hub.load(handle) or hub.KerasLayer(handle) instead of "
        "hub.Module / hub.load_module_spec (or, for a TF1 SavedModel, use "
        "hub.create_module_spec_from_saved_model(path))."
    )


def _read_module_def(path: str, handle: str | None) -> Any:
    tf = import_tensorflow()
    module_def_path = get_module_proto_path(path)
    if not tf.io.gfile.exists(module_def_path):
        raise _not_a_module_error(path, handle)
    with tf.io.gfile.GFile(module_def_path, "rb") as handle_file:
        return ModuleDef.FromString(handle_file.read())


class Loader:
    """Loads a `NativeModuleSpec` from a local folder in the TF1 Hub format."""

    def is_supported(self, path: str) -> bool:
        """Returns True if `path` holds a FORMAT_V3 `tfhub_module.pb`."""
        try:
            return _read_module_def(path, None).format == FORMAT_V3
        except errors.NotATF1ModuleError:
            return False

    def __call__(self, path: str, *, handle: str | None = None) -> NativeModuleSpec:
        """Loads the spec.

        Raises:
            tfhub.errors.NotATF1ModuleError: if `path` is not a TF1 Hub module.
            tfhub.errors.TFHubLoadError: for an unsupported format or required feature.
        """
        module_def = _read_module_def(path, handle)
        if module_def.format != FORMAT_V3:
            raise errors.TFHubLoadError(
                f"Unsupported module def format in {path}. Received: format={module_def.format!r}"
            )
        unsupported = set(module_def.required_features) - _SUPPORTED_FEATURES
        if unsupported:
            raise errors.TFHubLoadError(f"Unsupported features: {sorted(unsupported)} in {path}")
        handler = saved_model_lib.load(path)
        return NativeModuleSpec(handler, saved_model_lib.get_variables_path(path), module_path=path)


def create_module_spec(
    module_fn: Callable[..., Any],
    tags_and_args: Iterable[tuple[Iterable[str], Mapping[str, Any]]] | None = None,
    drop_collections: Iterable[str] | None = None,
) -> NativeModuleSpec:
    """Creates a ModuleSpec from a function that builds the module's graph.

    `module_fn` is called in a new graph (with resource variables by default) and defines
    inputs with `tf.compat.v1.placeholder` and signatures with `hub.add_signature()`.

    Args:
        module_fn: builds the module's graph.
        tags_and_args: list of `(tags, kwargs)`: one graph variant per tag set, built by
            `module_fn(**kwargs)`. Default: `[(set(), {})]`.
        drop_collections: names of graph collections to leave out of the stored graphs (a
            single name may be given as a string).

    Returns:
        A ModuleSpec.

    Raises:
        tfhub.errors.ModuleSpecError: if a graph has no signature, a duplicate signature,
            unsupported collections, or a state op colocated with a non-state op, or a tag set
            is a string.
    """
    tf = import_tensorflow()
    report_tags = bool(tags_and_args)
    variants = list(tags_and_args) if tags_and_args else [(set(), {})]
    dropped = _collection_names(drop_collections)
    handler = saved_model_lib.SavedModelHandler()
    for tags, kwargs in variants:
        if isinstance(tags, str):
            raise errors.ModuleSpecError(
                "Each entry of tags_and_args needs a set of tags, e.g. ({'train'}, {...}), not a "
                f"string (it would be split into letters). Received: tags={tags!r}"
            )
        graph = tf.Graph()
        with graph.as_default():
            with tf.compat.v1.variable_scope("", use_resource=True):
                module_fn(**kwargs)
            for key in dropped:
                del tf.compat.v1.get_collection_ref(key)[:]
        error = find_state_op_colocation_error(graph, tags if report_tags else None)
        if error:
            raise errors.ModuleSpecError(error)
        handler.add_graph_copy(graph, tags=tags)
    return NativeModuleSpec(handler, None)


def _collection_names(drop_collections: Iterable[str] | str | None) -> list[str]:
    """The collection names to drop: a lone string is one name (not its letters)."""
    if isinstance(drop_collections, str):
        return [drop_collections]
    return list(drop_collections or [])


def add_signature(name: str | None = None, inputs: Any = None, outputs: Any = None) -> None:
    """Adds a signature to the module being defined (call it inside `module_fn`).

    Args:
        name: the signature name; default "default" (used when `signature` is not given).
        inputs: a dict {name: Tensor / SparseTensor / RaggedTensor}, or one tensor, stored
            as {"default": tensor}. Usually placeholders; any tensor of the graph works (it
            is replaced by the caller's value when the module is applied).
        outputs: a dict {name: Tensor / SparseTensor / RaggedTensor}, or one tensor, stored
            as {"default": tensor}.

    Raises:
        tfhub.errors.ModuleSpecError: if an input is subject to a tf.colocate_with(), a value
            is not a tensor, or it is called outside a module_fn (eagerly).
    """
    name = name or "default"
    inputs = {} if inputs is None else inputs
    outputs = {} if outputs is None else outputs
    if not isinstance(inputs, dict):
        inputs = {"default": inputs}
    if not isinstance(outputs, dict):
        outputs = {"default": outputs}
    _check_inside_module_fn("hub.add_signature()")
    warning = find_signature_inputs_from_multivalued_ops(inputs)
    if warning:
        logger.error(warning)  # As upstream: it works unless colocation makes it ambiguous.
    message = find_signature_input_error(name, inputs)
    if message:
        raise errors.ModuleSpecError(message)
    saved_model_lib.check_signature_values(name, inputs, outputs)
    saved_model_lib.add_signature(name, inputs, outputs)


def attach_message(key: str, message: Any) -> None:
    """Attaches a protocol message to the module being defined (call it inside `module_fn`).

    Args:
        key: a Python identifier starting with a letter; a later call with the same key wins.
        message: a protocol message, stored serialized.

    Raises:
        tfhub.errors.ModuleSpecError: if `key` is malformed, `message` is not a protocol
            message, or it is called outside a module_fn (eagerly).
    """
    if not isinstance(key, str) or not re.match(r"[a-zA-Z][a-zA-Z0-9_]*$", key):
        raise errors.ModuleSpecError(f"hub.attach_message() called with malformed key '{key}'")
    _check_inside_module_fn("hub.attach_message()")
    if not hasattr(message, "SerializeToString"):
        raise errors.ModuleSpecError(
            f"hub.attach_message() needs a protocol message for key '{key}'. "
            f"Received: message of type {type(message).__name__}"
        )
    saved_model_lib.attach_bytes(key, message.SerializeToString())


def _check_inside_module_fn(what: str) -> None:
    """Refuses calls made eagerly, i.e. not while `create_module_spec` runs a module_fn.

    Raises:
        tfhub.errors.ModuleSpecError: if called with eager execution (outside a module_fn).
    """
    tf = import_tensorflow()
    if tf.executing_eagerly():
        raise errors.ModuleSpecError(
            f"{what} must be called inside the module_fn given to hub.create_module_spec "
            "(which builds it in a graph), not eagerly."
        )


def create_module_spec_from_saved_model(
    saved_model_path: str, drop_collections: Iterable[str] | None = None
) -> NativeModuleSpec:
    """Creates a ModuleSpec from a TF1 SavedModel (its MetaGraphs become graph variants).

    Args:
        saved_model_path: folder of a SavedModel written by TF1 APIs
            (`tf.compat.v1.saved_model.Builder`, `simple_save`, ...).
        drop_collections: extra collections to drop (global_step, summaries and the
            SavedModel init/train op collections are always dropped).

    Returns:
        A ModuleSpec whose variables are read from the SavedModel's checkpoint.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder has no readable saved_model.pb.
        tfhub.errors.NotATF1ModuleError: if it is a TF2 SavedModel (use hub.load).
        tfhub.errors.ModuleSpecError: if collections remain that a module cannot hold.
    """
    handler = saved_model_lib.load(saved_model_path)
    if any(meta_graph.HasField("object_graph_def") for meta_graph in handler.meta_graphs):
        raise errors.NotATF1ModuleError(
            f"{saved_model_path} is a TF2 SavedModel (saved with tf.saved_model.save), not a TF1 "
            "SavedModel: its variables are saved by object, which a TF1 module spec cannot "
            "restore. Load it with hub.load(path) or hub.KerasLayer(path) instead. "
            f"Received: saved_model_path={saved_model_path!r}"
        )
    dropped = _ALWAYS_DROPPED_COLLECTIONS | set(_collection_names(drop_collections))
    for meta_graph in handler.meta_graphs:
        for key in dropped & set(meta_graph.collection_def):
            del meta_graph.collection_def[key]
    return NativeModuleSpec(handler, saved_model_lib.get_variables_path(saved_model_path))


def _check_unique_tags(tag_list: Iterable[frozenset[str]]) -> None:
    seen: set[frozenset[str]] = set()
    for tags in tag_list:
        if tags in seen:
            raise errors.ModuleSpecError(f"Tags {sorted(tags)!r} used repeatedly")
        seen.add(tags)


def _check_collections(handler: saved_model_lib.SavedModelHandler) -> None:
    for meta_graph in handler.meta_graphs:
        unsupported = set(meta_graph.collection_def) - SUPPORTED_COLLECTIONS
        if unsupported:
            raise errors.ModuleSpecError(
                f"Unsupported collections in graph: {sorted(unsupported)}\n"
                "Use hub.create_module_spec(..., drop_collections=[...]) as appropriate."
            )


class NativeModuleSpec(ModuleSpec):
    """ModuleSpec for the TF1 Hub format (backed by a SavedModel)."""

    def __init__(
        self,
        handler: saved_model_lib.SavedModelHandler,
        checkpoint_variables_path: str | None,
        *,
        module_path: str | None = None,
    ) -> None:
        _check_unique_tags(handler.get_tags())
        _check_collections(handler)
        self._handler = handler
        self._checkpoint_variables_path = checkpoint_variables_path
        self._module_path = module_path
        self._attachments = {
            tags: handler.get_attached_bytes_map(tags) for tags in handler.get_tags()
        }

    @property
    def module_path(self) -> str | None:
        """The folder the spec was loaded from (None for a spec built in memory)."""
        return self._module_path

    def get_tags(self) -> list[frozenset[str]]:
        """Lists the graph variants, as sets of tags."""
        return self._handler.get_tags()

    def get_signature_names(self, tags: Iterable[str] | None = None) -> list[str]:
        """Returns the signature names of the graph variant `tags`."""
        return list(self._handler.get_meta_graph(tags).signature_def.keys())

    def get_input_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, tensor_info.ParsedTensorInfo]:
        """Describes a signature's inputs (see ModuleSpec)."""
        return tensor_info.parse_tensor_info_map(self.get_signature_def(signature, tags).inputs)

    def get_output_info_dict(
        self, signature: str | None = None, tags: Iterable[str] | None = None
    ) -> dict[str, tensor_info.ParsedTensorInfo]:
        """Describes a signature's outputs (see ModuleSpec)."""
        return tensor_info.parse_tensor_info_map(self.get_signature_def(signature, tags).outputs)

    def get_signature_def(self, signature: str | None, tags: Iterable[str] | None) -> Any:
        """Returns the SignatureDef proto.

        Raises:
            tfhub.errors.UnknownSignatureError: if there is no such signature (lists them).
        """
        meta_graph = self._handler.get_meta_graph(tags)
        signature = "default" if signature is None else signature
        if signature not in meta_graph.signature_def:
            raise errors.UnknownSignatureError(
                f"Signature {signature!r} is missing from meta graph. Available signatures: "
                f"{sorted(meta_graph.signature_def)} in the graph variant "
                f"tags={sorted(tags or [])!r}{self._handler.where()}. "
                f"Received: signature={signature!r}"
            )
        return meta_graph.signature_def[signature]

    def get_meta_graph(self, tags: Iterable[str] | None = None) -> Any:
        """Returns the MetaGraphDef of the graph variant `tags` (do not modify it)."""
        return self._handler.get_meta_graph(tags)

    def _get_attached_bytes(self, key: str, tags: Iterable[str] | None) -> bytes | None:
        wanted = frozenset(tags or [])
        if wanted not in self._attachments:
            self._handler.get_meta_graph(wanted)  # Raises UnknownTagsError.
        return self._attachments[wanted].get(key)

    def _create_impl(self, name: str, trainable: bool, tags: set[str]) -> Any:
        from .module_impl import ModuleImpl

        return ModuleImpl(
            spec=self,
            meta_graph=self._handler.get_meta_graph(tags),
            trainable=trainable,
            checkpoint_path=self._checkpoint_variables_path,
            name=name,
        )

    def _export(self, path: str, variables_saver: Callable[[str], None]) -> None:
        """Writes the SavedModel with `variables_saver`, then the `tfhub_module.pb` marker.

        Raises:
            tfhub.errors.ExportError: if `path` already holds a module (checked first, so
                nothing is overwritten).
        """
        tf = import_tensorflow()
        if tf.io.gfile.exists(get_module_proto_path(path)):
            raise errors.ExportError(
                f"{path} already holds a TF1 Hub module; export to a new folder. "
                f"Received: path={path!r}"
            )
        self._handler.export(path, variables_saver=variables_saver)
        module_def = ModuleDef(format=FORMAT_V3)
        saved_model_lib.atomic_write(
            get_module_proto_path(path), module_def.SerializeToString(), overwrite=False
        )
        logger.info("Exported TF-Hub module to: %s", path)
