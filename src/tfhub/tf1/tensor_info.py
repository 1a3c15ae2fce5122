"""Descriptions of the tensors in a signature, and conversion of inputs to match them.

A signature's inputs and outputs are stored as `TensorInfo` protos (dense by name, sparse as
COO components, or composite such as ragged). This module parses them into `ParsedTensorInfo`
objects that look like tensors (`dtype`, `get_shape()`), converts user inputs to compatible
tensors, and maps them onto the tensor names of a MetaGraph.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .. import _tf_private, errors
from ..utils.lazy import tensorflow as tf
from ..utils.printable import op_message, short_repr

logger = logging.getLogger(__name__)


def supported_argument_types() -> tuple[type, ...]:
    """The kinds of values hub.Module takes and returns (`tf_utils.SUPPORTED_ARGUMENT_TYPES`)."""
    return (tf.Tensor, tf.SparseTensor, tf.RaggedTensor)


class ParsedTensorInfo:
    """A tensor-looking description of a signature input or output (dtype, shape, kind)."""

    def __init__(
        self, dtype: Any = None, shape: Any = None, is_sparse: bool = False, type_spec: Any = None
    ) -> None:
        """Upstream's constructor: a dense or sparse tensor of `dtype` and `shape`, or any
        value described by `type_spec` (which then wins).

        Raises:
            tfhub.errors.ArgumentError: (a ValueError) neither a dtype nor a type_spec.
        """
        if type_spec is None:
            if dtype is None:
                raise errors.ArgumentError(
                    "ParsedTensorInfo needs a dtype (with a shape) or a type_spec. Received: "
                    "dtype=None, type_spec=None"
                )
            spec_class = tf.SparseTensorSpec if is_sparse else tf.TensorSpec
            type_spec = spec_class(tf.TensorShape(shape), tf.as_dtype(dtype))
        self._type_spec = type_spec

    @classmethod
    def from_type_spec(cls, type_spec: Any) -> ParsedTensorInfo:
        """The info of a value described by a `tf.TypeSpec`."""
        return cls(type_spec=type_spec)

    @property
    def dtype(self) -> Any:
        """The `tf.DType` of the elements."""
        return self._type_spec.dtype

    def get_shape(self) -> Any:
        """The `tf.TensorShape` (dense shape for sparse and ragged tensors)."""
        return self._type_spec.shape

    @property
    def is_sparse(self) -> bool:
        """Whether this is a `tf.SparseTensor`."""
        return isinstance(self._type_spec, tf.SparseTensorSpec)

    @property
    def is_composite(self) -> bool:
        """Whether this is a composite tensor (sparse or ragged)."""
        return not isinstance(self._type_spec, tf.TensorSpec)

    @property
    def type_spec(self) -> Any:
        """The `tf.TypeSpec` of the value."""
        return self._type_spec

    @property
    def is_supported_type(self) -> bool:
        """Whether hub.Module takes or returns such values: a Tensor, SparseTensor or
        RaggedTensor (`supported_argument_types()`)."""
        return issubclass(self._type_spec.value_type, supported_argument_types())

    def __repr__(self) -> str:
        if self.is_composite and not self.is_sparse:
            return f"<hub.ParsedTensorInfo type_spec={self._type_spec}>"
        return (
            f"<hub.ParsedTensorInfo shape={self.get_shape()} dtype={self.dtype.name} "
            f"is_sparse={self.is_sparse}>"
        )


def check_supported_types(
    signature: str, input_info: Mapping[str, Any], output_info: Mapping[str, Any]
) -> None:
    """Refuses a signature with an input or output that hub.Module neither takes nor returns
    (e.g. an IndexedSlices, which a newer writer could record): the module still loads, and its
    other signatures work.

    Raises:
        tfhub.errors.ModuleSpecError: (a ValueError, as upstream's) naming the signature, the
            input or output and its type.
    """
    for kind, infos in (("input", input_info), ("output", output_info)):
        for key in sorted(infos):
            info = infos[key]
            if getattr(info, "is_supported_type", True):  # A spec of one's own may lack it.
                continue
            type_name = info.type_spec.value_type.__name__
            raise errors.ModuleSpecError(
                f"Signature {signature!r} expects a {type_name} for {kind} {key!r}, which is not "
                "supported by this version of tensorflow_hub. (hub.Module takes and returns "
                "Tensor, SparseTensor and RaggedTensor values: call another signature of the "
                "module, or use a version of it without this one.)"
            )


def _decode_composite_type_spec(tensor_info: Any) -> Any:
    from tensorflow.core.protobuf import struct_pb2

    value = struct_pb2.StructuredValue()
    value.type_spec_value.CopyFrom(tensor_info.composite_tensor.type_spec)
    return _tf_private.decode_structure(value)


def parse_tensor_info(tensor_info: Any) -> ParsedTensorInfo:
    """Parses one `TensorInfo` proto.

    Raises:
        tfhub.errors.ModuleSpecError: for an unknown encoding.
    """
    encoding = tensor_info.WhichOneof("encoding")
    dtype = tf.dtypes.as_dtype(tensor_info.dtype) if tensor_info.dtype else None
    shape = tf.TensorShape(tensor_info.tensor_shape)
    if encoding == "name":
        return ParsedTensorInfo.from_type_spec(tf.TensorSpec(shape, dtype))
    if encoding == "coo_sparse":
        return ParsedTensorInfo.from_type_spec(tf.SparseTensorSpec(shape, dtype))
    if encoding == "composite_tensor":
        return ParsedTensorInfo.from_type_spec(_decode_composite_type_spec(tensor_info))
    raise errors.ModuleSpecError(
        f"Unsupported TensorInfo encoding. Received: encoding={encoding!r}"
    )


def parse_tensor_info_map(protomap: Mapping[str, Any]) -> dict[str, ParsedTensorInfo]:
    """Parses a proto map<string, TensorInfo> into a dict of `ParsedTensorInfo`."""
    return {key: parse_tensor_info(value) for key, value in protomap.items()}


def _type_spec_of(value: Any) -> Any:
    if isinstance(value, ParsedTensorInfo):
        return value.type_spec
    if _tf_private.is_composite_tensor(value):
        return value._type_spec
    return tf.TensorSpec.from_tensor(value)


def _to_sparse_tensor(value: Any, target: ParsedTensorInfo) -> Any:
    """A SparseTensorValue becomes a SparseTensor with values of `target.dtype`.

    Its values are converted like a dense input (Python ints fit an int64 or float input),
    instead of keeping the dtype numpy guessed for them.
    """
    if isinstance(value, tf.compat.v1.SparseTensorValue):
        values = tf.convert_to_tensor(value.values, dtype=target.dtype)
        return tf.SparseTensor(value.indices, values, value.dense_shape)
    return tf.compat.v1.convert_to_tensor_or_sparse_tensor(value, target.dtype)


def _where(key: str, signature: str | None) -> str:
    """`'x'`, or `'x' of signature 'default'` when the signature is known."""
    return f"{key!r}" if signature is None else f"{key!r} of signature {signature!r}"


def _to_tensor(value: Any, target: ParsedTensorInfo, key: str, signature: str | None) -> Any:
    """Converts a plain value (list, numpy, SparseTensorValue) to the kind of `target`."""
    try:
        if target.is_sparse:
            return _to_sparse_tensor(value, target)
        if target.is_composite and isinstance(value, list | tuple):  # Ragged from nested lists.
            ragged_rank = getattr(target.type_spec, "ragged_rank", None)
            return tf.ragged.constant(value, dtype=target.dtype, ragged_rank=ragged_rank)
        return tf.convert_to_tensor(value, dtype=target.dtype)
    # RuntimeError: sparse dtype mismatch; InvalidArgumentError: eager stacking of a list.
    except (TypeError, ValueError, RuntimeError, tf.errors.InvalidArgumentError) as err:
        raise errors.SignatureInputError(
            f"Can't convert {_where(key, signature)}: {_reason(err)} (the signature expects "
            f"{target.type_spec}){_stacked_hint(value, target)}. "
            f"Received: {key}={short_repr(value)}"
        ) from err


def _reason(err: Exception) -> str:
    """TensorFlow's words for `err`, without the op and function names an eager op adds."""
    return op_message(err) if isinstance(err, tf.errors.OpError) else str(err)


def _stacked_hint(value: Any, target: ParsedTensorInfo) -> str:
    """For a list or tuple given for a dense input: that it is stacked into one tensor."""
    if target.is_composite or not isinstance(value, list | tuple):
        return ""
    return (
        "; a list is stacked into one tensor, so its items must have one shape and together "
        f"make the expected one: pass one tensor of shape {target.get_shape()}"
    )


def _convert_one(value: Any, target: ParsedTensorInfo, key: str, signature: str | None) -> Any:
    """Converts `value` to a tensor compatible with `target`, or raises SignatureInputError."""
    # A variable is a CompositeTensor in TF 2.x; upstream read it (convert_to_tensor), as here.
    passed_as_is = _tf_private.is_composite_tensor(value) and not isinstance(value, tf.Variable)
    tensor = value if passed_as_is else _to_tensor(value, target, key, signature)
    got, expected = _type_spec_of(tensor), target.type_spec
    if not got.is_compatible_with(expected):
        if got.value_type != expected.value_type:
            got_text, expected_text = got.value_type.__name__, expected.value_type.__name__
        else:
            got_text, expected_text = str(got), str(expected)
        raise errors.SignatureInputError(
            f"Can't convert {_where(key, signature)}: Got {got_text}. Expected "
            f"{expected_text}. Pass a value that fits this input{_stacked_hint(value, target)}. "
            f"Received: {key}={got}"
        )
    return tensor


def convert_dict_to_compatible_tensor(
    values: Mapping[str, Any],
    targets: Mapping[str, ParsedTensorInfo],
    *,
    signature: str | None = None,
) -> dict[str, Any]:
    """Converts each value to a tensor compatible with the target of the same key.

    Args:
        values: the inputs, by key.
        targets: the signature's input infos, by the same keys.
        signature: the signature's name, for error messages.

    Returns:
        A dict of tensors (dense, sparse or ragged), by key.

    Raises:
        tfhub.errors.SignatureInputError: (a ValueError and TypeError) if a value has the wrong
            dtype, shape or kind; the message names the input and the signature.
    """
    return {
        key: _convert_one(value, targets[key], key, signature)
        for key, value in sorted(values.items())
    }


def build_input_map(protomap: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Maps the tensor names of a signature's inputs to the given input tensors.

    Args:
        protomap: the signature's map<string, TensorInfo> of inputs.
        inputs: tensors (or composite tensors) with the same keys.

    Returns:
        A dict from tensor name in the MetaGraph to the tensor (or component) that feeds it.

    Raises:
        tfhub.errors.ModuleSpecError: if the keys differ or an encoding is unknown.
    """
    if set(protomap) != set(inputs):
        raise errors.ModuleSpecError(
            f"Input keys {sorted(inputs)} do not match the signature's {sorted(protomap)}."
        )
    return {
        name: tensor
        for key, info in protomap.items()
        for name, tensor in zip(
            tensor_names(info), tf.nest.flatten(inputs[key], expand_composites=True), strict=True
        )
    }


def _output_from_tensor_info(info: Any, get_tensor: Callable[[str], Any]) -> Any:
    parts = [get_tensor(name) for name in tensor_names(info)]
    if info.WhichOneof("encoding") == "name":
        return parts[0]
    spec = parse_tensor_info(info).type_spec  # A SparseTensorSpec or the composite's spec.
    return tf.nest.pack_sequence_as(spec, parts, expand_composites=True)


def build_output_map(
    protomap: Mapping[str, Any], get_tensor_by_name: Callable[[str], Any]
) -> dict[str, Any]:
    """Builds the output tensors of a signature, resolving tensor names with
    `get_tensor_by_name`."""
    return {
        key: _output_from_tensor_info(info, get_tensor_by_name) for key, info in protomap.items()
    }


def tensor_info_proto_maps_match(map_a: Mapping[str, Any], map_b: Mapping[str, Any]) -> bool:
    """Whether two signatures' inputs (or outputs) have the same keys and, for each, the same
    dtype, shape and kind (dense, sparse, ragged...)."""
    parsed_a, parsed_b = parse_tensor_info_map(map_a), parse_tensor_info_map(map_b)
    return parsed_a.keys() == parsed_b.keys() and all(
        parsed_a[key].type_spec == parsed_b[key].type_spec for key in parsed_a
    )


def tensor_names(info: Any) -> list[str]:
    """Returns the names of the tensors that make up one TensorInfo, in `tf.nest.flatten` order.

    Raises:
        tfhub.errors.ModuleSpecError: for an unknown encoding.
    """
    encoding = info.WhichOneof("encoding")
    if encoding == "name":
        return [info.name]
    if encoding == "coo_sparse":
        sparse = info.coo_sparse
        return [
            sparse.indices_tensor_name,
            sparse.values_tensor_name,
            sparse.dense_shape_tensor_name,
        ]
    if encoding == "composite_tensor":
        return [part.name for part in info.composite_tensor.components]
    raise errors.ModuleSpecError(f"Invalid TensorInfo encoding: {encoding!r}")
