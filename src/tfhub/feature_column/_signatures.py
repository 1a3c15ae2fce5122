"""What a module's inputs and outputs look like, read from disk or from a ModuleSpec.

Feature columns check a module before they use it. Reading the `saved_model.pb` proto is cheap and
works the same in eager mode and inside a `tf.Graph` (nothing is loaded, no op is created).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import errors
from .._tf_private import decode_structure
from ..saved_model_proto import read_saved_model_proto, signature_def_of
from ..tf1.saved_model_lib import SavedModelHandler
from ..tf1.tensor_info import ParsedTensorInfo, parse_tensor_info_map
from ..utils.lazy import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Signature:
    """The inputs and outputs of one signature, as `tfhub.tf1.tensor_info.ParsedTensorInfo`s."""

    inputs: dict[str, ParsedTensorInfo]
    outputs: dict[str, ParsedTensorInfo]


def describe(info: ParsedTensorInfo) -> str:
    """Returns e.g. `Tensor(shape=(None, 4), dtype=float32)`."""
    kind = "SparseTensor" if info.is_sparse else "Tensor"
    shape = info.get_shape()
    dims = "<unknown>" if shape.rank is None else tuple(shape.as_list())
    return f"{kind}(shape={dims}, dtype={info.dtype.name})"


def default_embedding_output_issue(signature: Signature, *, any_batch: bool = False) -> str | None:
    """Says why the signature's `default` output is not float32 `[None, K]` with a known K.

    Args:
        signature: the module's signature.
        any_batch: also refuse an output of a fixed batch size (e.g. `[32, K]`), as upstream's
            text columns did (its image column took one).

    Returns:
        A phrase for an error message ("it has no 'default' output ..."), or None if it fits.
    """
    output = signature.outputs.get("default")
    if output is None:
        return f"it has no 'default' output (outputs: {sorted(signature.outputs)})"
    shape = output.get_shape()
    if not (output.dtype == tf.float32 and shape.rank == 2 and shape[1]):
        return f"its 'default' output is {describe(output)}"
    if any_batch and shape[0] is not None:
        return f"its 'default' output is {describe(output)}, of a fixed batch size"
    return None


def read_tf1_signature(module_path: str, signature: str = "default") -> Signature:
    """Reads a signature of the default (empty-tag) graph of a TF1 Hub module.

    Args:
        module_path: local folder of a TF1 Hub module.
        signature: the signature name.

    Returns:
        The signature's inputs and outputs.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder is unreadable.
        tfhub.errors.UnknownGraphVariantError: (a KeyError, as upstream's, and a ValueError) if
            the module has no default graph variant (lists its tag sets).
        tfhub.errors.UnknownSignatureError: if the signature does not exist.
    """
    handler = SavedModelHandler(read_saved_model_proto(module_path), source=module_path)
    signature_def = signature_def_of(handler.get_meta_graph(None), signature, module_path)
    return Signature(
        parse_tensor_info_map(signature_def.inputs), parse_tensor_info_map(signature_def.outputs)
    )


def signature_from_spec(module_spec: Any, signature: str = "default") -> Signature:
    """Reads a signature of the default graph of a `hub.ModuleSpec` through its public API.

    Raises:
        tfhub.errors.UnknownSignatureError: if the spec has no such signature.
    """
    return Signature(
        module_spec.get_input_info_dict(signature), module_spec.get_output_info_dict(signature)
    )


def _tf2_call_functions(module_path: str) -> list[Any]:
    """Returns the SavedConcreteFunction protos traced for a TF2 SavedModel's `__call__`.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no TF2 SavedModel with a `__call__`.
    """
    saved_model = read_saved_model_proto(module_path)
    object_graph = saved_model.meta_graphs[0].object_graph_def
    root = object_graph.nodes[0] if object_graph.nodes else None
    call_ids = [c.node_id for c in root.children if c.local_name == "__call__"] if root else []
    functions = object_graph.nodes[call_ids[0]].function.concrete_functions if call_ids else []
    if not functions:
        raise errors.TFHubLoadError(
            f"The SavedModel at {module_path} has no callable __call__ (a TF1 Hub module or a "
            "TF2 SavedModel saved without one, as Keras 3's model.export and "
            "tf.saved_model.save(keras_model) write); text_embedding_column_v2 calls the "
            f"object itself. {_what_it_has(saved_model.meta_graphs[0])}Save an object whose "
            "__call__ embeds a batch of strings: a tf.Module holding the model, with "
            "@tf.function(input_signature=[tf.TensorSpec([None], tf.string)]) on "
            "`def __call__(self, text): return self.model(text)`, through "
            f"tf.saved_model.save(obj, path). Received: module_path={module_path!r}"
        )
    return [object_graph.concrete_functions[name] for name in functions]


def _what_it_has(meta_graph: Any) -> str:
    """The sentence naming the functions and signatures a SavedModel's `meta_graph` offers
    instead of `__call__` (e.g. Keras 3's `serve` endpoint), or "" if it has none."""
    nodes = meta_graph.object_graph_def.nodes
    root_children = nodes[0].children if nodes else []
    functions = [
        child.local_name
        for child in root_children
        if nodes[child.node_id].WhichOneof("kind") == "function" and child.local_name[:1] != "_"
    ]
    signatures = [name for name in meta_graph.signature_def if not name.startswith("__")]
    if not (functions or signatures):
        return ""
    return (
        f"It has the functions {sorted(functions)} and the signatures {sorted(signatures)}, "
        "which the column does not call. "
    )


def read_tf2_call_outputs(module_path: str) -> Any:
    """Returns the output structure (TensorSpec or dict of them) of a TF2 SavedModel's `__call__`.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no TF2 SavedModel with a `__call__`.
    """
    concrete = _tf2_call_functions(module_path)[0]
    return decode_structure(concrete.output_signature)


def read_tf2_call_inputs(module_path: str) -> list[tuple[Any, list[Any]]]:
    """Returns, for each traced `__call__` of a TF2 SavedModel, its first argument and the
    tensors it takes besides (but `training`, which the column passes as a flag).

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no TF2 SavedModel with a `__call__`.
    """
    traces = []
    for concrete in _tf2_call_functions(module_path):
        args, kwargs = decode_structure(concrete.canonicalized_input_signature)
        arguments = [*args, *kwargs.values()]
        first = arguments[0] if arguments else None
        others = [
            spec
            for spec in tf.nest.flatten(arguments[1:])
            if isinstance(spec, tf.TensorSpec) and spec.name != "training"  # Passed as a flag.
        ]
        traces.append((first, others))
    return traces
