"""What a module's inputs and outputs look like, read from disk or from a ModuleSpec.

Feature columns check a module before they use it. Reading the `saved_model.pb` proto is cheap and
works the same in eager mode and inside a `tf.Graph` (nothing is loaded, no op is created).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import errors
from .._tf_private import decode_structure
from ..saved_model import read_saved_model_proto
from ..utils.lazy import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """The dtype and static shape of one signature input or output.

    Attributes:
        dtype: a `tf.DType`.
        shape: a `tf.TensorShape` (possibly of unknown rank).
        is_sparse: True for a `tf.SparseTensor`.
    """

    dtype: Any
    shape: Any
    is_sparse: bool = False

    def describe(self) -> str:
        """Returns e.g. `Tensor(shape=(None, 4), dtype=float32)`."""
        kind = "SparseTensor" if self.is_sparse else "Tensor"
        shape = "<unknown>" if self.shape.rank is None else tuple(self.shape.as_list())
        return f"{kind}(shape={shape}, dtype={self.dtype.name})"


@dataclasses.dataclass(frozen=True)
class Signature:
    """The inputs and outputs of one signature."""

    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]


def default_embedding_output_issue(signature: Signature) -> str | None:
    """Says why the signature's `default` output is not float32 `[None, K]` with a known K.

    Returns:
        A phrase for an error message ("it has no 'default' output ..."), or None if it fits.
    """
    output = signature.outputs.get("default")
    if output is None:
        return f"it has no 'default' output (outputs: {sorted(signature.outputs)})"
    if not (output.dtype == tf.float32 and output.shape.rank == 2 and output.shape[1]):
        return f"its 'default' output is {output.describe()}"
    return None


def _tensor_info(proto: Any) -> TensorInfo:
    """Converts a `TensorInfo` proto into a `TensorInfo`."""
    shape = tf.TensorShape(proto.tensor_shape)
    return TensorInfo(tf.as_dtype(proto.dtype), shape, proto.HasField("coo_sparse"))


def read_tf1_signature(module_path: str, signature: str = "default") -> Signature:
    """Reads a signature of the default (empty-tag) graph of a TF1 Hub module.

    Args:
        module_path: local folder of a TF1 Hub module.
        signature: the signature name.

    Returns:
        The signature's inputs and outputs.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder is unreadable or has no default graph.
        tfhub.errors.UnknownSignatureError: if the signature does not exist.
    """
    saved_model = read_saved_model_proto(module_path)
    graphs = [mg for mg in saved_model.meta_graphs if not mg.meta_info_def.tags]
    if not graphs:
        tag_sets = [sorted(mg.meta_info_def.tags) for mg in saved_model.meta_graphs]
        raise errors.TFHubLoadError(
            f"The module at {module_path} has no graph with the default (empty) tag set; "
            f"its tag sets are {tag_sets}. Received: module_path={module_path!r}"
        )
    meta_graph = graphs[0]
    if signature not in meta_graph.signature_def:
        raise errors.UnknownSignatureError(
            f"The module at {module_path} has no signature {signature!r}; it has "
            f"{sorted(meta_graph.signature_def)}. Received: signature={signature!r}",
            available=sorted(meta_graph.signature_def),
        )
    sig = meta_graph.signature_def[signature]
    return Signature(
        inputs={name: _tensor_info(info) for name, info in sig.inputs.items()},
        outputs={name: _tensor_info(info) for name, info in sig.outputs.items()},
    )


def signature_from_spec(module_spec: Any, signature: str = "default") -> Signature:
    """Reads a signature of the default graph of a `hub.ModuleSpec` through its public API.

    Raises:
        tfhub.errors.UnknownSignatureError: if the spec has no such signature.
    """
    names = list(module_spec.get_signature_names())
    if signature not in names:
        raise errors.UnknownSignatureError(
            f"The module spec has no signature {signature!r}; it has {sorted(names)}. "
            f"Received: signature={signature!r}",
            available=sorted(names),
        )

    def convert(info_dict: dict[str, Any]) -> dict[str, TensorInfo]:
        return {
            name: TensorInfo(info.dtype, info.get_shape(), bool(getattr(info, "is_sparse", False)))
            for name, info in info_dict.items()
        }

    return Signature(
        inputs=convert(module_spec.get_input_info_dict(signature)),
        outputs=convert(module_spec.get_output_info_dict(signature)),
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
            "TF2 SavedModel saved without one); text_embedding_column_v2 calls the object "
            f"itself. Received: module_path={module_path!r}"
        )
    return [object_graph.concrete_functions[name] for name in functions]


def read_tf2_call_outputs(module_path: str) -> Any:
    """Returns the output structure (TensorSpec or dict of them) of a TF2 SavedModel's `__call__`.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no TF2 SavedModel with a `__call__`.
    """
    concrete = _tf2_call_functions(module_path)[0]
    return decode_structure(concrete.output_signature)


def read_tf2_call_first_inputs(module_path: str) -> list[Any]:
    """Returns what each traced `__call__` of a TF2 SavedModel takes as its first argument.

    Raises:
        tfhub.errors.TFHubLoadError: if the folder holds no TF2 SavedModel with a `__call__`.
    """
    firsts = []
    for concrete in _tf2_call_functions(module_path):
        args, kwargs = decode_structure(concrete.canonicalized_input_signature)
        firsts.append(args[0] if args else next(iter(kwargs.values()), None))
    return firsts
