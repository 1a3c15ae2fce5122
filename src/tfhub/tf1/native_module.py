"""Creating modules in the TF1 Hub format from Python code or a TF1 SavedModel.

Public: `create_module_spec`, `add_signature`, `attach_message`,
`create_module_spec_from_saved_model`. Loading a module folder is `native_spec.py`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from ..utils.paths import folder_path_text
from . import saved_model_lib
from .colocation_checks import (
    find_signature_input_error,
    find_signature_inputs_from_multivalued_ops,
    find_state_op_colocation_error,
)
from .native_spec import NativeModuleSpec

logger = logging.getLogger(__name__)

# Collections that TF1 SavedModels often carry but a module cannot use.
_ALWAYS_DROPPED_COLLECTIONS = frozenset(
    ["global_step", "summaries", "saved_model_main_op", "legacy_init_op", "saved_model_train_op"]
)


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
            is a string or given twice.
        tfhub.errors.ArgumentTypeError: (a TypeError) if `module_fn` is not callable.
    """
    if not callable(module_fn):
        raise errors.ArgumentTypeError(
            "hub.create_module_spec needs a module_fn to call: a function that builds the "
            "module's graph with placeholders and hub.add_signature(). "
            f"Received: {module_fn!r} of type {type(module_fn).__name__}"
        )
    report_tags = bool(tags_and_args)
    variants = list(tags_and_args) if tags_and_args else [(set(), {})]
    dropped = _collection_names(drop_collections)
    handler = saved_model_lib.SavedModelHandler()
    pairs = [_tags_and_kwargs(variant) for variant in variants]
    _check_tag_sets_differ([tags for tags, _ in pairs], variants)
    for tags, kwargs in pairs:
        graph = tf.Graph()
        with graph.as_default():
            with tf.compat.v1.variable_scope("", use_resource=True):
                _call_module_fn(module_fn, kwargs)
            for key in dropped:
                del tf.compat.v1.get_collection_ref(key)[:]
        error = find_state_op_colocation_error(graph, tags if report_tags else None)
        if error:
            raise errors.ModuleSpecError(error)
        handler.add_graph_copy(graph, tags=tags)
    return NativeModuleSpec(handler, None)


_KERAS3_NOTE = (
    "tfhub: under Keras 3, build module_fn with tf.compat.v1.get_variable and raw TensorFlow ops"
    " (tf.matmul, tf.nn.*), or run with TF_USE_LEGACY_KERAS=1 (with tf_keras installed) to use"
    " tf.compat.v1.layers."
)


_EAGER_CAPTURE = "Attempting to capture an EagerTensor"


def _call_module_fn(module_fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
    """Calls `module_fn(**kwargs)`; TensorFlow's AttributeError for a TF1 Keras API (e.g.
    `tf.compat.v1.layers.dense`) under Keras 3 gets a note saying what to use instead (a note,
    set by hand as Python 3.10 has no `add_note`, so the error keeps its class and words).

    Raises:
        tfhub.errors.EagerValueInModuleFnError: (a RuntimeError, as TensorFlow's) if the
            module_fn reads an eager tensor or variable made outside it.
    """
    try:
        module_fn(**kwargs)
    except AttributeError as err:
        if "is not available with Keras 3" in str(err):
            err.__notes__ = [*getattr(err, "__notes__", []), _KERAS3_NOTE]
        raise
    except RuntimeError as err:
        if _EAGER_CAPTURE not in str(err) or isinstance(err, errors.TFHubError):
            raise
        name = getattr(module_fn, "__qualname__", module_fn)
        raise errors.EagerValueInModuleFnError(
            f"module_fn {name} reads a tensor or tf.Variable made eagerly, outside it (e.g. at "
            "module level): a module's values must be made inside the module_fn, in the graph "
            "hub.create_module_spec builds. Make variables there with "
            "tf.compat.v1.get_variable (initialized from the outside value if need be) and "
            f"constants with tf.constant. TensorFlow said: {err}"
        ) from err


def _tags_and_kwargs(entry: Any) -> tuple[Iterable[str], Mapping[str, Any]]:
    """Returns one entry of `tags_and_args` as (tags, kwargs for module_fn).

    Raises:
        tfhub.errors.ModuleSpecError: if the entry is not a pair, or its tags are a string.
    """
    unordered = isinstance(entry, str | bytes | Mapping | set | frozenset)
    pair = tuple(entry) if isinstance(entry, Iterable) and not unordered else ()
    if len(pair) != 2:
        raise errors.ModuleSpecError(
            "Each entry of tags_and_args must be a pair (tags, kwargs for module_fn), e.g. "
            f"({{'train'}}, {{'is_training': True}}). Received: entry={entry!r}"
        )
    tags, kwargs = pair
    if isinstance(tags, str):
        raise errors.ModuleSpecError(
            "Each entry of tags_and_args needs a set of tags, e.g. ({'train'}, {...}), not a "
            f"string (it would be split into letters). Received: tags={tags!r}"
        )
    return tags, kwargs


def _check_tag_sets_differ(tag_sets: list[Iterable[str]], variants: list[Any]) -> None:
    """Refuses two graph variants with the same tag set, before any module_fn runs.

    Raises:
        tfhub.errors.ModuleSpecError: naming the repeated tag set.
    """
    seen: set[frozenset[str]] = set()
    for tags in map(saved_model_lib.tag_set, tag_sets):
        if tags in seen:
            raise errors.ModuleSpecError(
                f"Tags {sorted(tags)!r} used repeatedly in tags_and_args: each graph variant "
                "needs its own set of tags (e.g. set() and {'train'}), which hub.Module(spec, "
                f"tags=...) picks. Received: tags_and_args={variants!r}"
            )
        seen.add(tags)


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
        tfhub.errors.SignatureValueTypeError: (a TypeError and ModuleSpecError) if `name` or
            a key of `inputs` or `outputs` is neither a str nor bytes (taken, as upstream
            took them, and stored as str).
    """
    name = name or "default"
    inputs = {} if inputs is None else inputs
    outputs = {} if outputs is None else outputs
    if not isinstance(inputs, dict):
        inputs = {"default": inputs}
    if not isinstance(outputs, dict):
        outputs = {"default": outputs}
    _check_inside_module_fn("hub.add_signature()")
    _check_names_are_strings(name, inputs, outputs)
    warning = find_signature_inputs_from_multivalued_ops(inputs)
    if warning:
        logger.error(warning)  # As upstream: it works unless colocation makes it ambiguous.
    message = find_signature_input_error(name, inputs)
    if message:
        raise errors.ModuleSpecError(message)
    saved_model_lib.add_signature(name, inputs, outputs)


def _check_names_are_strings(
    name: Any, inputs: Mapping[Any, Any], outputs: Mapping[Any, Any]
) -> None:
    """Refuses a signature name or input/output key that is not a str (or bytes, as upstream).

    The SignatureDef map of the stored MetaGraph is keyed by strings; it raised a bare
    "bad argument type for built-in operation" at the end of `create_module_spec`.

    Raises:
        tfhub.errors.SignatureValueTypeError: naming the offending name or key.
    """
    if not isinstance(name, str | bytes):
        raise errors.SignatureValueTypeError(
            f"hub.add_signature() needs a string name. Received: name={name!r} of type "
            f"{type(name).__name__}"
        )
    for kind, tensors in (("inputs", inputs), ("outputs", outputs)):
        for key in tensors:
            if not isinstance(key, str | bytes):
                raise errors.SignatureValueTypeError(
                    f"hub.add_signature() needs string keys in {kind} (signature {name!r}). "
                    f"Received: {kind} key {key!r} of type {type(key).__name__}"
                )


def attach_message(key: str, message: Any) -> None:
    """Attaches a protocol message to the module being defined (call it inside `module_fn`).

    Args:
        key: a Python identifier starting with a letter; a later call with the same key wins.
        message: a protocol message, stored serialized.

    Raises:
        tfhub.errors.ModuleSpecError: if `key` is malformed, or it is called outside a
            module_fn (eagerly); `AttachedMessageKeyTypeError` (also a TypeError, as
            upstream's) if it is not a string.
        tfhub.errors.NotAMessageError: (a TypeError and AttributeError, as upstream's
            serialization raised for a message class and a non-message) if `message` is no
            protocol message instance.
    """
    if not isinstance(key, str) or not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", key):
        malformed = isinstance(key, str)
        raise (errors.ModuleSpecError if malformed else errors.AttachedMessageKeyTypeError)(
            f"hub.attach_message() called with malformed key '{key}': a key is a Python "
            "identifier starting with a letter (letters, digits and '_'), e.g. "
            f"'image_module_info'. Received: key={key!r}"
        )
    _check_inside_module_fn("hub.attach_message()")
    if isinstance(message, type) or not hasattr(message, "SerializeToString"):
        # A message class has SerializeToString too, unbound ("needs an argument").
        received = (
            f"the class {message.__name__}, not an instance of it"
            if isinstance(message, type)
            else f"message of type {type(message).__name__}"
        )
        raise errors.NotAMessageError(  # A TypeError and AttributeError, as upstream raised.
            f"hub.attach_message() needs a protocol message for key '{key}' (an instance, "
            f"e.g. tf.train.Int64List(value=[1])). Received: {received}"
        )
    saved_model_lib.attach_bytes(key, message.SerializeToString())


def _check_inside_module_fn(what: str) -> None:
    """Refuses calls made eagerly, i.e. not while `create_module_spec` runs a module_fn.

    Raises:
        tfhub.errors.ModuleSpecError: if called with eager execution (outside a module_fn).
    """
    if tf.executing_eagerly():
        raise errors.ModuleSpecError(
            f"{what} must be called inside the module_fn given to hub.create_module_spec "
            "(which builds it in a graph), not eagerly."
        )


def create_module_spec_from_saved_model(
    saved_model_path: str | bytes | os.PathLike[str],
    drop_collections: Iterable[str] | None = None,
) -> NativeModuleSpec:
    """Creates a ModuleSpec from a TF1 SavedModel (its MetaGraphs become graph variants).

    Args:
        saved_model_path: folder of a SavedModel written by TF1 APIs
            (`tf.compat.v1.saved_model.Builder`, `simple_save`, ...): a str, bytes (as
            upstream took) or os.PathLike.
        drop_collections: extra collections to drop (global_step, summaries and the
            SavedModel init/train op collections are always dropped).

    Returns:
        A ModuleSpec whose variables are read from the SavedModel's checkpoint.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder has no readable saved_model.pb.
        tfhub.errors.NotATF1ModuleError: if it is a TF2 SavedModel (use hub.load).
        tfhub.errors.ModuleSpecError: if collections remain that a module cannot hold.
        tfhub.errors.ArgumentTypeError: (a TypeError) if `saved_model_path` is not a str,
            bytes or os.PathLike.
    """
    saved_model_path = _saved_model_folder(saved_model_path)
    handler = saved_model_lib.load(saved_model_path)
    if any(meta_graph.HasField("object_graph_def") for meta_graph in handler.meta_graphs):
        raise errors.NotATF1ModuleError(
            f"{saved_model_path} is a TF2 SavedModel (saved with tf.saved_model.save), not a TF1 "
            f"SavedModel: {_why_not_tf1(handler)}. Load it with hub.load(path) or "
            "hub.KerasLayer(path) instead. "
            f"Received: saved_model_path={saved_model_path!r}"
        )
    dropped = _ALWAYS_DROPPED_COLLECTIONS | set(_collection_names(drop_collections))
    for meta_graph in handler.meta_graphs:
        for key in dropped & set(meta_graph.collection_def):
            del meta_graph.collection_def[key]
    return NativeModuleSpec(handler, saved_model_lib.get_variables_path(saved_model_path))


def _why_not_tf1(handler: Any) -> str:
    """Why a TF2 SavedModel (`handler`'s MetaGraphs hold an object graph) makes no TF1 module
    spec, true of it: with variables, they are saved by object; without, tfhub takes only TF1
    SavedModels (tensorflow_hub 0.10.0 took such a model in a graph, not eagerly)."""
    nodes = [node for meta in handler.meta_graphs for node in meta.object_graph_def.nodes]
    if any(node.HasField("variable") for node in nodes):
        return "its variables are saved by object, which a TF1 module spec cannot restore"
    return (
        "it has no variables, but its functions are saved as objects, and tfhub makes TF1 "
        "module specs only of TF1 SavedModels (written by tf.compat.v1.saved_model.Builder or "
        "simple_save; tf.compat.v1.saved_model.save is tf.saved_model.save)"
    )


def _saved_model_folder(path: object) -> str:
    """`path`, the folder `create_module_spec_from_saved_model` reads, as a str (bytes
    decoded, os.PathLike taken).

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError) if `path` is not a str, bytes or
            os.PathLike.
    """
    return folder_path_text(
        path,
        argument="saved_model_path",
        use="create_module_spec_from_saved_model reads a TF1 SavedModel's folder",
    )
