"""How a model's signatures take and give their tensors, for `tfhub inspect` and the hub's
signature summary (`model_info.describe`): each input's and output's dtype and shape from the
signature's TensorInfo, and what a TF1 Hub module's sparse input or a TF2 signature's composite
input (a SparseTensor or RaggedTensor, which a TF2 signature takes as its dense components
`x`, `x_1`, `x_2`) is, with the keys its components are passed under. TensorFlow is the
caller's (`tf`), imported by it.
"""

from __future__ import annotations

from typing import Any

from . import _tf_private


def _shape(shape_proto: Any) -> list[int | None] | None:
    if shape_proto.unknown_rank:
        return None
    return [None if dim.size < 0 else int(dim.size) for dim in shape_proto.dim]


def tensors(tensor_map: Any, tf: Any) -> dict[str, dict[str, Any]]:
    """{key: {dtype, shape}} of a signature's TensorInfo map; a sparse (COO) or composite
    one (a TF1 Hub module's SparseTensor or RaggedTensor) also has its "type"."""
    return {key: _tensor(info, tf) for key, info in sorted(tensor_map.items())}


def _tensor(info: Any, tf: Any) -> dict[str, Any]:
    if info.WhichOneof("encoding") in ("coo_sparse", "composite_tensor"):
        from .tf1 import tensor_info  # Here: importing tfhub.tf1 costs ~0.2 s.

        try:
            return spec_entry(tensor_info.parse_tensor_info(info).type_spec, tf)
        except Exception:  # A composite this TensorFlow cannot decode: shown as stored.
            pass
    return {
        "dtype": tf.dtypes.as_dtype(info.dtype).name if info.dtype else "composite",
        "shape": _shape(info.tensor_shape),
    }


def spec_entry(spec: Any, tf: Any) -> dict[str, Any]:
    """{dtype, shape} of a `tf.TypeSpec`, with "type" (SparseTensor, RaggedTensor, ...) for
    one that is not a dense tensor's."""
    shape = getattr(spec, "shape", None)
    dtype = getattr(spec, "dtype", None)
    entry = {
        "dtype": dtype.name if isinstance(dtype, tf.dtypes.DType) else "composite",
        "shape": None if shape is None or shape.rank is None else shape.as_list(),
    }
    if isinstance(spec, tf.TensorSpec):
        return entry
    return {"type": spec.value_type.__name__, **entry}


def _component_parts(spec: Any, count: int, tf: Any) -> list[str]:
    """The names of a composite's components, in their flat order (what a TF2 signature
    takes in its place: `x` indices, `x_1` values, `x_2` dense_shape of a SparseTensor)."""
    if isinstance(spec, tf.SparseTensorSpec):
        return ["indices", "values", "dense_shape"]
    if isinstance(spec, tf.RaggedTensorSpec) and count >= 2:
        splits = ["row_splits"] if count == 2 else [f"row_splits[{i}]" for i in range(count - 1)]
        return ["flat_values", *splits]
    return [f"component {i}" for i in range(count)]


def _signature_wrappers(object_graph: Any) -> dict[str, str]:
    """{signature name: its concrete function's name} from a TF2 object graph's root
    `signatures` child."""
    nodes = object_graph.nodes
    if not nodes:
        return {}
    found = next((c.node_id for c in nodes[0].children if c.local_name == "signatures"), None)
    if found is None:
        return {}
    return {
        child.local_name: nodes[child.node_id].bare_concrete_function.concrete_function_name
        for child in nodes[found].children
        if nodes[child.node_id].WhichOneof("kind") == "bare_concrete_function"
    }


def _called_function(meta: Any, wrapper: str) -> tuple[str, list[str]] | None:
    """(the function a TF2 signature's wrapper calls, the wrapper's arguments it passes, in
    order), from the wrapper's FunctionDef; None if it calls none."""
    for function in meta.graph_def.library.function:
        if function.signature.name != wrapper:
            continue
        for node in function.node_def:
            if node.op in ("PartitionedCall", "StatefulPartitionedCall") and "f" in node.attr:
                inputs = [name for name in node.input if not name.startswith("^")]
                return node.attr["f"].func.name, inputs
    return None


def _composite_inputs(meta: Any, name: str, tf: Any) -> list[tuple[Any, list[str]]]:
    """[(composite spec, the signature input keys of its components)] of one TF2 signature:
    its structured input signature (the function it wraps) names them; a signature takes a
    SparseTensor or RaggedTensor as its components (dense tensors `x`, `x_1`, `x_2`)."""
    wrapper = _signature_wrappers(meta.object_graph_def).get(name)
    called = _called_function(meta, wrapper) if wrapper else None
    if called is None or called[0] not in meta.object_graph_def.concrete_functions:
        return []
    callee, inputs = called
    signature = meta.object_graph_def.concrete_functions[callee].canonicalized_input_signature
    specs = [
        spec
        for spec in tf.nest.flatten(_tf_private.decode_structure(signature))
        if isinstance(spec, tf.TypeSpec)
    ]
    found, position = [], 0
    for spec in specs:
        count = len(tf.nest.flatten(spec, expand_composites=True))
        if not isinstance(spec, tf.TensorSpec):
            found.append((spec, inputs[position : position + count]))
        position += count
    return found


def signature_inputs(meta: Any, name: str, signature: Any, tf: Any) -> dict[str, Any]:
    """A signature's inputs (`tensors`), with a TF2 signature's composite inputs shown as
    such: under their first component's key, their components listed (key, part, dtype,
    shape) and taken out of the map."""
    found = tensors(signature.inputs, tf)
    if not meta.HasField("object_graph_def"):
        return found
    try:
        composites = _composite_inputs(meta, name, tf)
    except Exception:  # An object graph this TensorFlow cannot decode: the dense components.
        return found
    for spec, keys in composites:
        if not keys or not all(key in found for key in keys):
            continue
        parts = _component_parts(spec, len(keys), tf)
        pairs = zip(keys, parts, strict=True)
        components = [{"key": key, "part": part, **found.pop(key)} for key, part in pairs]
        found[keys[0]] = {**spec_entry(spec, tf), "components": components}
    return dict(sorted(found.items()))
