"""`hub.eval_function_for_module`: a module's signatures run on numpy values in a private graph."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import errors
from ..utils.lazy import tensorflow as tf
from ..utils.printable import short_repr
from .module import Module
from .module_scope import scope_part
from .module_spec import ModuleSpec
from .signature_io import check_no_sentinel, prepare_dict_inputs, prepare_outputs

logger = logging.getLogger(__name__)


def _placeholder_for(info: Any, name: str) -> Any:
    """A placeholder (sparse, or ragged built from component placeholders) matching `info`."""
    if info.is_composite and not info.is_sparse:
        parts = tf.nest.flatten(info.type_spec, expand_composites=True)
        inputs = [
            tf.compat.v1.placeholder(p.dtype, p.shape, name=f"{name}_{i}")
            for i, p in enumerate(parts)
        ]
        return tf.nest.pack_sequence_as(info.type_spec, inputs, expand_composites=True)
    shape = info.get_shape()
    dims = None if shape.rank is None else shape.as_list()
    make = tf.compat.v1.sparse_placeholder if info.is_sparse else tf.compat.v1.placeholder
    return make(info.dtype, shape=dims, name=name)


def _feed_items(placeholder: Any, value: Any) -> list[tuple[Any, Any]]:
    """(key, value) pairs for feed_dict; a ragged input is fed by its components."""
    if not isinstance(placeholder, tf.RaggedTensor):
        return [(placeholder, value)]
    if isinstance(value, list | tuple):
        value = tf.compat.v1.ragged.constant_value(
            value, dtype=placeholder.dtype.as_numpy_dtype, ragged_rank=placeholder.ragged_rank
        )
    keys = tf.nest.flatten(placeholder, expand_composites=True)
    return list(zip(keys, [value.flat_values, *value.nested_row_splits], strict=True))


def _root_scope(signature: str) -> str:
    """`signature` as a root variable scope: `scope_part`, with "signature_" before a first
    character no root scope may start with ("_", "-", ">", or "_" for a non-ASCII letter)."""
    part = scope_part(signature)
    first = part[:1]
    if first.isascii() and (first.isalnum() or first == "."):
        return part
    return f"signature_{part}"


def _build_eval_graph(
    spec: ModuleSpec | str, tags: Iterable[str] | None
) -> tuple[Any, dict[str, Any], dict[str, Any], list[Any]]:
    """Builds a private graph with every signature applied to placeholders."""
    graph = tf.Graph()
    with graph.as_default():
        module = Module(spec, tags=tags)
        placeholders, outputs = {}, {}
        for signature in module.get_signature_names():
            with tf.compat.v1.variable_scope(_root_scope(signature)):
                info_map = module.get_input_info_dict(signature)
                placeholders[signature] = {k: _placeholder_for(v, k) for k, v in info_map.items()}
                outputs[signature] = module(
                    placeholders[signature], signature=signature, as_dict=True
                )
        init = [tf.compat.v1.global_variables_initializer(), tf.compat.v1.tables_initializer()]
    return graph, placeholders, outputs, init


@contextlib.contextmanager
def eval_function_for_module(
    spec: ModuleSpec | str, tags: Iterable[str] | None = None
) -> Iterator[Callable[..., Any]]:
    """Context manager that yields a function computing the module's outputs for numpy inputs.

    The function takes the same arguments as `Module.__call__` (inputs, signature=,
    as_dict=) and returns numpy values, computed in a private graph and session. As upstream,
    the block runs with the caller's default graph and session (and eagerly, if called
    eagerly): the private ones are never made the default.

    Args:
        spec: a ModuleSpec or a handle.
        tags: the graph variant to use.

    Yields:
        The evaluation function. It raises tfhub.errors.UnknownEvalSignatureError (a KeyError,
        as upstream's dict lookup, and an UnknownSignatureError) for a signature the module
        lacks.
    """
    graph, placeholders, outputs, init = _build_eval_graph(spec, tags)
    # Not `with Session(...)`: that would make the private graph and session the default ones.
    session = tf.compat.v1.Session(graph=graph)
    try:
        session.run(init)

        def func(
            inputs: Any = None,
            _sentinel: None = None,
            signature: str | None = None,
            as_dict: bool | None = None,
        ) -> Any:
            check_no_sentinel(_sentinel)
            if session._closed:  # The block has ended (rf51b-F2: TensorFlow's bare error).
                raise errors.EvalFunctionClosedError(
                    "The function of eval_function_for_module was called after its `with` "
                    "block ended, which closed its session: call it inside the block "
                    "(`with hub.eval_function_for_module(spec) as f: ... f(inputs)`)."
                )
            return _evaluate(session, placeholders, outputs, inputs, signature, as_dict)

        yield func
    finally:
        session.close()


def _evaluate(
    session: Any,
    placeholders: dict[str, Any],
    outputs: dict[str, Any],
    inputs: Any,
    signature: str | None,
    as_dict: bool | None,
) -> Any:
    """Runs a signature of the eval graph on `inputs` (as `Module.__call__` takes them).

    Raises:
        tfhub.errors.UnknownEvalSignatureError: (a KeyError) for a signature the module lacks.
        tfhub.errors.SignatureInputError: for inputs the signature cannot take.
    """
    signature = signature or "default"
    if signature not in placeholders:
        raise errors.UnknownEvalSignatureError(
            f"Signature {signature!r} is missing. Available signatures: "
            f"{sorted(placeholders)}. Received: signature={signature!r}",
            available=sorted(placeholders),
        )
    feeds = prepare_dict_inputs(inputs, placeholders[signature], signature)
    feeds = {key: _fed_value(value, session) for key, value in feeds.items()}
    fetch = prepare_outputs(outputs[signature], as_dict, signature)
    feed_dict = dict(
        item
        for key, value in feeds.items()
        for item in _feed_items(placeholders[signature][key], value)
    )
    return _run(session, fetch, feed_dict, signature, placeholders[signature])


def _fed_value(value: Any, session: Any) -> Any:
    """`value` as a Session can feed it: a TensorFlow value becomes its numpy value.

    An eager tensor (made before the block or in it, eagerly) is read; a tensor of the private
    graph is evaluated. Session.run refused both ("The value of a feed cannot be a tf.Tensor").
    """
    if not isinstance(value, tf.Tensor | tf.SparseTensor | tf.RaggedTensor):
        return value
    parts = tf.nest.flatten(value, expand_composites=True)
    if all(getattr(part, "graph", None) is session.graph for part in parts):
        return session.run(value)
    if not all(hasattr(part, "numpy") for part in parts):
        return value  # A tensor of another graph: Session.run says so.
    if isinstance(value, tf.SparseTensor):
        return tf.compat.v1.SparseTensorValue(
            value.indices.numpy(), value.values.numpy(), value.dense_shape.numpy()
        )
    if isinstance(value, tf.RaggedTensor):
        result = value.flat_values.numpy()
        for splits in reversed(value.nested_row_splits):
            result = tf.compat.v1.ragged.RaggedTensorValue(result, splits.numpy())
        return result
    return value.numpy()


def _check_string_feeds(
    feed_dict: dict[Any, Any], placeholders: dict[str, Any], signature: str
) -> None:
    """Names the input and the values when a value other than str or bytes (numbers, booleans,
    nested lists) was fed to a string input (dense, the values of a sparse one, the flat values
    of a ragged one), as `Module.__call__` does. Called only after Session.run failed with
    TensorFlow's bare InternalError ("Unsupported object type int"), which named neither the
    input nor the signature: a good call pays nothing for it.

    A SparseTensorValue or RaggedTensorValue fed to a dense input is left alone: its mistake is
    its kind, which `_run`'s message (what each input takes) tells.

    Raises:
        tfhub.errors.StringFeedError: (a SignatureInputError, so ValueError and TypeError, and
            the tf.errors.InternalError upstream let through) naming the input, the signature
            and what it takes.
    """
    keys = {
        id(part): key
        for key, placeholder in placeholders.items()
        for part in [placeholder, *tf.nest.flatten(placeholder, expand_composites=True)]
    }
    composite_values = (tf.compat.v1.SparseTensorValue, tf.compat.v1.ragged.RaggedTensorValue)
    for fed, value in feed_dict.items():
        if fed.dtype != tf.string or id(fed) not in keys:
            continue
        if isinstance(fed, tf.SparseTensor):
            if not (isinstance(value, tuple) and len(value) == 3):
                continue  # Session.run names the malformed value.
            value = value[1]
        elif isinstance(value, composite_values):
            continue  # Sparse or ragged for a dense input: not a matter of its items.
        kinds = _non_string_kinds(value)
        if kinds:
            key = keys[id(fed)]
            raise errors.StringFeedError(
                f"Cannot feed input {key!r} of signature {signature!r}: it takes strings "
                f"({_described(placeholders[key])}), but the value holds {', '.join(kinds)}. "
                f"Pass str or bytes values. Received: {key}={short_repr(value)}"
            )


def _non_string_kinds(value: Any) -> list[str]:
    """The sorted type names of the items of `value` that are neither str nor bytes (none if
    numpy cannot make an array of it)."""
    import numpy as np

    try:
        array = np.asarray(value, dtype=object if isinstance(value, list | tuple) else None)
    except (ValueError, TypeError):
        return []
    if array.dtype.kind in "SU":
        return []
    return sorted({type(v).__name__ for v in array.flat if not isinstance(v, bytes | str)})


def _run(
    session: Any,
    fetch: Any,
    feed_dict: dict[Any, Any],
    signature: str,
    placeholders: dict[str, Any],
) -> Any:
    """Runs `fetch`; a value the placeholders cannot take names the signature.

    Args:
        session: the eval function's session.
        fetch: what to compute.
        feed_dict: the placeholders (or their components) and the values fed to them.
        signature: the signature's name, for the error message.
        placeholders: the signature's placeholders, by input key, for the error message.

    Returns:
        The computed numpy values.

    Raises:
        tfhub.errors.SignatureInputError: (a ValueError and TypeError, as Session.run raised)
            if a fed value has the wrong shape or dtype.
        tfhub.errors.StringFeedError: (a SignatureInputError and the tf.errors.InternalError
            Session.run raised, "Unsupported object type int") if a value holds items that are
            not str or bytes for a string input (or a sparse or ragged value a dense one): the
            message names the input and its items, or else what each input takes.
    """
    try:
        return session.run(fetch, feed_dict=feed_dict)
    except (ValueError, TypeError) as err:  # Raised while feeding, before anything runs.
        raise errors.SignatureInputError(_feed_message(signature, str(err), placeholders)) from err
    except tf.errors.InternalError as err:
        reason = str(err.message).strip().splitlines()[-1:] or [""]
        if not reason[0].startswith("Unsupported object type"):
            raise
        _check_string_feeds(feed_dict, placeholders, signature)
        raise errors.StringFeedError(_feed_message(signature, reason[0], placeholders)) from err


def _feed_message(signature: str, reason: str, placeholders: dict[str, Any]) -> str:
    """Says that the inputs of `signature` could not be fed (why) and what each input takes."""
    expected = {key: _described(p) for key, p in placeholders.items()}
    return (
        f"Cannot feed the inputs of signature {signature!r}: {reason}. The signature's "
        f"inputs take {expected}; pass values of those dtypes and shapes."
    )


def _described(placeholder: Any) -> str:
    """What a placeholder takes, e.g. "float32 (None, 3)" or "SparseTensorValue of int64 ..."."""
    kinds = {tf.SparseTensor: "SparseTensorValue of ", tf.RaggedTensor: "RaggedTensorValue of "}
    kind = next((text for cls, text in kinds.items() if isinstance(placeholder, cls)), "")
    return f"{kind}{placeholder.dtype.name} {placeholder.shape}"
