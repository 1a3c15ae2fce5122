"""What hub.KerasLayer says when a call of the wrapped model fails on its inputs: how they
differ from every input spec the model was saved with (`tfhub.errors.CallInputSpecError`'s
message), or what to do about float16/bfloat16 inputs under a mixed precision policy.
"""

from __future__ import annotations

from typing import Any

from ..utils.lazy import tensorflow as tf
from .hub_callable import HubCallable


def input_mismatch_message(hub: HubCallable, inputs: Any) -> str | None:
    """Says how `inputs` differ from every input spec, or None if one of them matches."""
    if not hub.input_specs:
        return None
    for spec in hub.input_specs:
        if _compatible(inputs, spec):
            return None
    expected = " or ".join(_describe(spec) for spec in hub.input_specs)
    target = f"signature {hub.signature!r}" if hub.signature else "the model's __call__"
    return (
        f"The inputs do not match what {target} of {hub.handle!r} expects: {expected}. "
        f"Pass inputs of that dtype and shape{_batch_note(hub.input_specs)}."
        f"{_names_note(hub, inputs)}{_layer_dtype_hint(hub.input_specs, inputs)}"
        f"{_dense_hint(hub.input_specs, inputs)} Received: inputs={_describe(inputs)}"
    )


def _names_note(hub: HubCallable, inputs: Any) -> str:
    """Names the inputs a dict lacks, and those it has that the function does not take, if
    its names (with those `arguments` gives a signature) are not those of any input spec
    (TensorFlow's error, which upstream's layer let through, named them: "missing a required
    argument: 'x'", "got an unexpected keyword argument 'z'"); else "". What it lacks is said
    of the spec sharing the most names with it (the first of those that share as many); a
    name is unknown only if no spec has it."""
    specs = [set(spec) for spec in hub.input_specs if isinstance(spec, dict)]
    if not isinstance(inputs, dict) or not specs:
        return ""
    given = set(inputs) | (set(hub.arguments) if hub.signature else set())
    if given in specs:
        return ""
    wanted = max(specs, key=lambda spec: len(spec & given))  # The first of the closest.
    missing = sorted(wanted - given, key=str)
    unknown = sorted(set(inputs).difference(*specs), key=str)
    note = ""
    if missing:
        where = " (or to arguments= of hub.KerasLayer, for values fixed for every call)"
        note += f" The inputs dict lacks {missing}: add them to it{where if hub.signature else ''}."
    if unknown:
        note += f" It takes no input named {unknown}: leave them out."
    return note


def half_inputs_message(hub: HubCallable, inputs: Any, err: Exception) -> str | None:
    """Says what to do when a function that declares no input specs (a Python callable, a
    `tf.function` never traced) fails on float16/bfloat16 inputs, as TensorFlow's error
    names them: under a mixed precision policy Keras casts a layer's floating inputs to its
    compute dtype, and the layer cannot cast them back for such a function. Else None."""
    if hub.input_specs:
        return None
    halves = sorted({leaf.dtype.name for _, leaf in _leaves_with_paths(inputs) if _is_half(leaf)})
    said = str(err)
    if not halves or not any(word in said for word in ("half", *halves)):
        return None
    if hub.signature:
        target = f"Signature {hub.signature!r} of {hub.handle!r}"
    elif isinstance(hub.handle, str):
        target = f"The model's __call__ of {hub.handle!r}"
    else:
        target = f"The callable {hub.handle!r}"
    return (
        f"{target} cannot take the {' and '.join(halves)} inputs it was "
        "given: under a mixed precision policy Keras casts a layer's floating inputs to the "
        "policy's compute dtype, and this function declares no input signature, so "
        "hub.KerasLayer cannot cast them to the dtype it computes in. Pass dtype='float32' "
        "to this hub.KerasLayer (the rest of the model stays mixed), or give the function an "
        "input_signature (tf.function(..., input_signature=[tf.TensorSpec(...)])), then the "
        f"layer casts its inputs. TensorFlow said: {said.strip()} "
        f"Received: inputs={_describe(inputs)}"
    )


def _is_half(tensor: Any) -> bool:
    """A tensor of a 16-bit floating dtype (what mixed precision policies compute in)."""
    return getattr(tensor, "dtype", None) in (tf.float16, tf.bfloat16)


def _layer_dtype_hint(specs: Any, inputs: Any) -> str:
    """A hint for floating inputs to a model of strings or integers: Keras makes a layer's
    inputs of the layer's dtype (float32 unless `dtype=` is given), e.g. the Input that a
    Sequential model builds in front of its first layer, whatever the data; else ""."""
    leaves = [leaf for spec in specs for _, leaf in _leaves_with_paths(spec)]
    wanted = {getattr(leaf, "dtype", None) for leaf in leaves}
    given = {getattr(leaf, "dtype", None) for _, leaf in _leaves_with_paths(inputs)}
    if len(wanted) != 1 or len(given) != 1:
        return ""
    (want,), (got,) = wanted, given
    if want is None or got is None or not got.is_floating or want.is_floating:
        return ""
    return (
        f" Keras gives a layer inputs of the layer's dtype ({got.name} unless hub.KerasLayer "
        "gets dtype=; a Sequential model builds its Input with it, whatever the data): pass "
        f"dtype=tf.{want.name} to hub.KerasLayer, or start the model with "
        f"keras.Input(..., dtype={want.name!r})."
    )


def _dense_hint(specs: Any, inputs: Any) -> str:
    """How to make a RaggedTensor or SparseTensor input dense, if it is one and the model
    takes dense tensors only (or how to pass a SparseTensor's parts to a signature that takes
    them); else ""."""
    given = {_kind(leaf) for _, leaf in _leaves_with_paths(inputs)} - {""}
    wanted = {_kind(leaf) for spec in specs for _, leaf in _leaves_with_paths(spec)}
    kinds = sorted(given - wanted)
    stem = _sparse_parts_stem(specs) if kinds == ["SparseTensor"] else None
    if stem is not None:
        parts = ", ".join(f"'{stem}{part}': sparse.{part}" for part in _SPARSE_PARTS)
        return f" The signature takes a SparseTensor as its parts: pass {{{parts}}}."
    if not kinds or wanted != {""}:  # A model of ragged or sparse inputs wants them so.
        return ""
    how = ", ".join(_MAKE_DENSE[kind] for kind in kinds)
    return (
        f" The model takes no {' or '.join(kinds)}: make the inputs dense first ({how}), "
        "padded as the model expects."
    )


# How each kind of composite tensor is made dense.
_MAKE_DENSE = {"RaggedTensor": "ragged.to_tensor()", "SparseTensor": "tf.sparse.to_dense(sparse)"}


# The inputs a signature takes a SparseTensor as (`<input>_indices`, ...), in this order.
_SPARSE_PARTS = ("indices", "values", "dense_shape")


def _sparse_parts_stem(specs: Any) -> str | None:
    """The `<input>_` of a signature that takes a SparseTensor as `<input>_indices`,
    `<input>_values` and `<input>_dense_shape` (a TF1 Hub module's sparse input, as
    TensorFlow's signatures give it); None if no spec has those three."""
    for spec in specs:
        names = (
            {name for name in spec if isinstance(name, str)} if isinstance(spec, dict) else set()
        )
        for name in sorted(names):
            stem = name.removesuffix("indices")
            if stem != name and {stem + part for part in _SPARSE_PARTS} <= names:
                return stem
    return None


def _kind(value: Any) -> str:
    """ "RaggedTensor" or "SparseTensor" for such a tensor or its spec; "" for anything else
    (a dense tensor, a TensorSpec, an array)."""
    if isinstance(value, tf.RaggedTensor | tf.RaggedTensorSpec):
        return "RaggedTensor"
    if isinstance(value, tf.SparseTensor | tf.SparseTensorSpec):
        return "SparseTensor"
    return ""


def _batch_note(specs: Any) -> str:
    """The note that the batch dimension may vary, if every input of every spec has a free
    first dimension; else "" (a module traced for a fixed batch, e.g. of 1, takes only that)."""
    leaves = [leaf for spec in specs for _, leaf in _leaves_with_paths(spec)]
    shapes = [getattr(leaf, "shape", None) for leaf in leaves]
    free = all(
        shape is not None and (shape.rank is None or (shape.rank >= 1 and shape[0] is None))
        for shape in shapes
    )
    return " (the batch dimension may vary)" if free else ""


def _compatible(inputs: Any, spec: Any) -> bool:
    """True if `inputs` has the structure (dict keys too), kinds of tensors (dense, ragged,
    sparse) and dtypes/shapes of `spec`."""
    given, wanted = _leaves_with_paths(inputs), _leaves_with_paths(spec)
    if [path for path, _ in given] != [path for path, _ in wanted]:
        return False
    for (_, tensor), (_, tensor_spec) in zip(given, wanted, strict=True):
        if not hasattr(tensor_spec, "is_compatible_with"):
            continue
        if _kind(tensor) != _kind(tensor_spec):
            return False
        if getattr(tensor, "dtype", None) != tensor_spec.dtype:
            return False
        if not tensor_spec.shape.is_compatible_with(getattr(tensor, "shape", None)):
            return False
        if _kind(tensor_spec) and not _composite_fits(tensor, tensor_spec):
            return False  # A ragged_rank or a row-splits dtype of its own.
    return True


def _composite_fits(tensor: Any, tensor_spec: Any) -> bool:
    """Whether a ragged or sparse `tensor` fits its spec in what dtype and shape do not say
    (a RaggedTensor's ragged_rank and row-splits dtype): the spec's own check."""
    try:
        return bool(tensor_spec.is_compatible_with(tensor))
    except (TypeError, ValueError):
        return False


def _leaves_with_paths(structure: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, Any]]:
    """Flattens dicts (sorted keys), lists and tuples into (path, leaf) pairs."""
    if isinstance(structure, dict):
        items: list[tuple[Any, Any]] = []
        for key in sorted(structure, key=str):
            items += _leaves_with_paths(structure[key], (*prefix, key))
        return items
    if isinstance(structure, list | tuple):
        items = []
        for index, item in enumerate(structure):
            items += _leaves_with_paths(item, (*prefix, index))
        return items
    return [(prefix, structure)]


def _describe(structure: Any) -> str:
    """`structure` with each tensor or spec said as its dtype and shape (`float32[None, 3]`),
    after its kind if ragged or sparse (`RaggedTensor float32[2, None]`)."""

    def one(x: Any) -> str:
        dtype = getattr(x, "dtype", None)
        shape = getattr(x, "shape", None)
        if dtype is None:
            return repr(x)
        name = getattr(dtype, "name", str(dtype))
        dims = list(shape) if shape is not None and shape.rank is not None else "unknown"
        kind = _kind(x)
        return f"{kind} {name}{dims}" if kind else f"{name}{dims}"

    return str(tf.nest.map_structure(one, structure))
