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

from collections import deque
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
    the variable 'w' as float64[2], its graph as float32[2] ...", or one the graph gives a
    dtype TensorFlow does not know ("its graph as invalid[2]"), or None (also if the checkpoint
    cannot be read: `diagnose` says why). TensorFlow says "expected dtype float does not equal
    original", or "Received incompatible tensor", naming no model."""
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


def _mismatch(name: str, dtype: int, shape: Any, held: Any, held_shape: Any) -> str | None:
    """What differs between a graph's variable `name` (its DataType, TensorShapeProto) and the
    checkpoint's tensor of it (a tf.DType, a list of dims), or None. A DataType TensorFlow
    does not know (DT_INVALID, 0: a damaged graph) is a difference, shown as "invalid"."""
    graph_dtype, shape = _known_dtype(dtype), tf.TensorShape(shape)
    held_shape = tf.TensorShape(held_shape)
    if graph_dtype is None:
        graph, hint = f"invalid{_dims(shape)}", "is its graph damaged?"
    elif graph_dtype.base_dtype == held and shape.is_compatible_with(held_shape):
        return None
    else:
        graph, hint = _typed(graph_dtype, shape), f"was {VARIABLES_DIR}/ copied from another model?"
    return (
        f"{VARIABLES_DIR}/ holds the variable '{escaped(name)}' as "
        f"{_typed(held, held_shape)}, its graph as {graph} ({hint})"
    )


def _known_dtype(dtype: int) -> Any:
    """The tf.DType of a DataType, or None for one TensorFlow does not know (DT_INVALID)."""
    try:
        return tf.dtypes.as_dtype(dtype)
    except TypeError:
        return None


# The checkpoint's tensor of a TF2 checkpoint's object graph (a TrackableObjectGraph).
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
# What a variable's checkpoint key ends with ("inner/w/.ATTRIBUTES/VARIABLE_VALUE").
_VALUE_ATTRIBUTE = "VARIABLE_VALUE"
_VALUE_SUFFIX = f"/.ATTRIBUTES/{_VALUE_ATTRIBUTE}"


def _object_variables(reader: Any, meta_graph: Any) -> list[tuple[str, str, int, Any]]:
    """(name, checkpoint key, DataType, TensorShapeProto) of each variable of a TF2 SavedModel's
    object graph, its optimizer slots included, e.g. ("inner/w",
    "inner/w/.ATTRIBUTES/VARIABLE_VALUE", ...): its nodes matched with the checkpoint's object
    graph (`_matched_nodes`), as TensorFlow's restore matches them. A variable is named by its
    checkpoint key without "/.ATTRIBUTES/VARIABLE_VALUE", as `tf.train.list_variables` shows
    it (e.g. "layer_with_weights-0/kernel", not one of its aliases such as
    "keras_api/trainable_variables/0"). Empty for a TF1 graph, or a checkpoint without a
    readable object graph (`diagnose` says what else is wrong)."""
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
    matched = _matched_nodes(saved, held)
    found = []
    for saved_id, held_id in {**matched, **_matched_slots(matched, saved, held)}.items():
        if not (0 <= saved_id < len(saved) and 0 <= held_id < len(held)):
            continue
        if not saved[saved_id].HasField("variable"):
            continue
        variable = saved[saved_id].variable
        for attribute in held[held_id].attributes:
            if attribute.name == _VALUE_ATTRIBUTE:
                key = attribute.checkpoint_key
                found.append((key.removesuffix(_VALUE_SUFFIX), key, variable.dtype, variable.shape))
    return found


def _matched_nodes(saved: Any, held: Any) -> dict[int, int]:
    """{SavedModel object graph node id: checkpoint object graph node id} of the nodes both
    reach from the root by the same children's names (breadth-first, each node once)."""
    matched: dict[int, int] = {}
    pending = deque([(0, 0)])
    while pending:
        saved_id, held_id = pending.popleft()
        if saved_id in matched or not (0 <= saved_id < len(saved) and 0 <= held_id < len(held)):
            continue
        matched[saved_id] = held_id
        held_ids = {child.local_name: child.node_id for child in held[held_id].children}
        pending.extend(
            (child.node_id, held_ids[child.local_name])
            for child in saved[saved_id].children
            if child.local_name in held_ids
        )
    return matched


def _matched_slots(matched: dict[int, int], saved: Any, held: Any) -> dict[int, int]:
    """The same for optimizer slot variables (e.g. Adam's "m" of a kernel), which no node has
    as a child: an optimizer's slot is matched by its variable (matched already) and name."""
    slots: dict[int, int] = {}
    for saved_id, held_id in matched.items():
        held_slots = {
            (ref.original_variable_node_id, ref.slot_name): ref.slot_variable_node_id
            for ref in held[held_id].slot_variables
        }
        for ref in saved[saved_id].slot_variables:
            original = matched.get(ref.original_variable_node_id)
            slot = held_slots.get((original, ref.slot_name))
            if slot is not None and ref.slot_variable_node_id not in matched:
                slots[ref.slot_variable_node_id] = slot
    return slots


def _typed(dtype: Any, shape: Any) -> str:
    """ "float32[2, 3]", "float32[?, 3]", "float32[...]" (unknown rank)."""
    return f"{dtype.base_dtype.name}{_dims(shape)}"


def _dims(shape: Any) -> str:
    """ "[2, 3]", "[?, 3]", "[...]" (unknown rank)."""
    if shape.rank is None:
        return "[...]"
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape.as_list()) + "]"


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
