"""Where a model's graph and the rest of its files disagree: a variable its checkpoint holds
in another dtype or shape, a tensor a signature names that the graph lacks.

A checkpoint copied from another model may hold a variable in another dtype or shape than the
graph: TensorFlow's restore then says "expected dtype float does not equal original" or
"Received incompatible tensor"; a signature naming a missing tensor gets "The name 'x:0' refers
to a Tensor which does not exist". Neither names the model nor the variable or tensor.
`variables_mismatch` (a TF1 graph's variable ops and a TF2 SavedModel's object graph alike) and
`missing_signature_tensor` find which, after such a failure, and their `*_error` functions word
the answer as `saved_model_proto.damaged_model_error` words every damaged model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import errors, gfile_io, saved_model_proto
from .saved_model_proto import damaged_model_error
from .utils.lazy import tensorflow as tf
from .utils.printable import escaped

VARIABLES_DIR = "variables"
# The ops that make a variable in a TF1 graph (`tf.compat.v1.get_variable`, resource or not).
VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable"})


def variables_mismatch_error(
    module_path: str, problem: str, *, handle: str | None = None
) -> errors.DamagedModelError:
    """The error for a checkpoint whose variable does not fit the graph (`variables_mismatch`):
    a `VariablesMismatchError` (a tf.errors.InvalidArgumentError, as TensorFlow's restore
    raised), worded as `damaged_model_error` words it."""
    found = damaged_model_error(module_path, problem, handle=handle)
    error: errors.DamagedModelError = errors.VariablesMismatchError(
        str(found), path=found.path, problem=found.problem
    )
    return error


def variables_mismatch(checkpoint_prefix: str, meta_graphs: Iterable[Any]) -> str | None:
    """Which variable the checkpoint `checkpoint_prefix` holds in another dtype or shape than
    the graphs: a TF1 graph's variable op (`VarHandleOp` / `VariableV2`, named as in its
    checkpoint) or a TF2 object graph's variable (`_object_variables`), e.g. "variables/ holds
    the variable 'w' as float64[2], its graph as float32[2] ...", or None (also if the
    checkpoint cannot be read: `diagnose` says why). TensorFlow says "expected dtype float does
    not equal original", or "Received incompatible tensor", naming no model."""
    try:
        reader = gfile_io.checkpoint_reader(checkpoint_prefix)
        shapes = reader.get_variable_to_shape_map()
        dtypes = reader.get_variable_to_dtype_map()
    except errors.RetryTimeoutError:
        raise
    except Exception:  # TensorFlow's OpError, ValueError: diagnosed elsewhere.
        return None
    for meta_graph in meta_graphs:
        graph_variables = [
            (node.name, node.name, node.attr["dtype"].type, node.attr["shape"].shape)
            for node in meta_graph.graph_def.node
            if node.op in VARIABLE_OPS
        ]
        for name, key, dtype, shape in [*graph_variables, *_object_variables(reader, meta_graph)]:
            if key not in dtypes:
                continue
            problem = _mismatch(name, dtype, shape, dtypes[key], shapes[key])
            if problem is not None:
                return problem
    return None


def _mismatch(name: str, dtype: Any, shape: Any, held: Any, held_shape: Any) -> str | None:
    """What differs between a graph's variable `name` (its DataType, TensorShapeProto) and the
    checkpoint's tensor of it (a tf.DType, a list of dims), or None."""
    dtype, shape = tf.dtypes.as_dtype(dtype), tf.TensorShape(shape)
    held_shape = tf.TensorShape(held_shape)
    if dtype.base_dtype == held and shape.is_compatible_with(held_shape):
        return None
    return (
        f"{VARIABLES_DIR}/ holds the variable '{escaped(name)}' as "
        f"{_typed(held, held_shape)}, its graph as {_typed(dtype, shape)} (was "
        f"{VARIABLES_DIR}/ copied from another model?)"
    )


# The checkpoint's tensor of a TF2 checkpoint's object graph (a TrackableObjectGraph).
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def _object_variables(reader: Any, meta_graph: Any) -> list[tuple[str, str, Any, Any]]:
    """(path, checkpoint key, DataType, TensorShapeProto) of each variable of a TF2 SavedModel's
    object graph, e.g. ("inner/w", "inner/w/.ATTRIBUTES/VARIABLE_VALUE", ...): its nodes matched
    with the checkpoint's object graph by their children's names from the root, as TensorFlow's
    restore matches them. Empty for a TF1 graph, or a checkpoint without a readable object
    graph (`diagnose` says what else is wrong)."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    saved = meta_graph.object_graph_def.nodes
    if not saved:
        return []
    try:
        held = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
            reader.get_tensor(_OBJECT_GRAPH_KEY)
        ).nodes
    except Exception:  # No such tensor (TF1), a damaged one: protobuf's DecodeError.
        return []
    found, pending, seen = [], [(0, 0, "")], set()
    while pending:
        saved_id, held_id, path = pending.pop()
        if saved_id in seen or saved_id >= len(saved) or held_id >= len(held):
            continue
        seen.add(saved_id)
        node, held_children = saved[saved_id], held[held_id].children
        for attribute in held[held_id].attributes:
            if node.HasField("variable") and attribute.name == "VARIABLE_VALUE":
                variable = node.variable
                found.append((path, attribute.checkpoint_key, variable.dtype, variable.shape))
        held_ids = {child.local_name: child.node_id for child in held_children}
        for child in node.children:
            if child.local_name in held_ids:
                named = f"{path}/{child.local_name}" if path else child.local_name
                pending.append((child.node_id, held_ids[child.local_name], named))
    return found


def _typed(dtype: Any, shape: Any) -> str:
    """ "float32[2, 3]", "float32[?, 3]", "float32[...]" (unknown rank)."""
    if shape.rank is None:
        return f"{dtype.base_dtype.name}[...]"
    dims = ", ".join("?" if dim is None else str(dim) for dim in shape.as_list())
    return f"{dtype.base_dtype.name}[{dims}]"


def signature_tensor_error(
    module_path: str, problem: str, *, handle: str | None = None
) -> errors.SignatureTensorError:
    """The error for a signature naming a tensor its graph lacks (`missing_signature_tensor`):
    a `SignatureTensorError` (a KeyError, as TensorFlow raised), worded as
    `damaged_model_error` words it."""
    found = damaged_model_error(module_path, problem, handle=handle)
    return errors.SignatureTensorError(str(found), path=found.path, problem=found.problem)


def missing_signature_tensor(
    meta_graphs: Iterable[Any], *, signature: str | None = None, nodes: set[str] | None = None
) -> str | None:
    """Which tensor a signature of `meta_graphs` (only `signature`, if given) names that its
    graph lacks, e.g. "saved_model.pb: signature 'default' names the tensor 'x:0' (output
    'default'), which its graph lacks", or None. TensorFlow says only "The name 'x:0' refers
    to a Tensor which does not exist", naming no model. Names from the file are `escaped`.

    Args:
        meta_graphs: the MetaGraphs to check.
        signature: the one signature to check (default: all).
        nodes: the names of the nodes of the (one) MetaGraph's graph, if known already.
    """
    for meta_graph in meta_graphs:
        known = nodes if nodes is not None else graph_node_names(meta_graph)
        for name, signature_def in sorted(meta_graph.signature_def.items()):
            if signature is not None and name != signature:
                continue
            for kind, infos in (("input", signature_def.inputs), ("output", signature_def.outputs)):
                for key, info in sorted(infos.items()):
                    for tensor in _tensor_info_names(info):
                        if tensor.split(":")[0] not in known:
                            return (
                                f"{saved_model_proto.SAVED_MODEL_FILENAME_PB}: signature "
                                f"'{escaped(name)}' names the tensor '{escaped(tensor)}' ({kind} "
                                f"'{escaped(key)}'), which its graph lacks"
                            )
    return None


def graph_node_names(meta_graph: Any) -> set[str]:
    """The names of the nodes of a MetaGraph's graph."""
    return {node.name for node in meta_graph.graph_def.node}


def _tensor_info_names(info: Any) -> list[str]:
    """The tensor names of a TensorInfo: one, or the parts of a sparse or composite tensor."""
    encoding = info.WhichOneof("encoding")
    if encoding == "coo_sparse":
        sparse = info.coo_sparse
        names = [
            sparse.indices_tensor_name,
            sparse.values_tensor_name,
            sparse.dense_shape_tensor_name,
        ]
    elif encoding == "composite_tensor":
        parts = info.composite_tensor.components
        names = [name for part in parts for name in _tensor_info_names(part)]
    else:
        names = [info.name] if encoding == "name" else []
    return names
