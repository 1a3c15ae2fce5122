"""What both KerasLayer flavours share: load the handle, check arguments, variables, config.

`HubCallable` holds everything about the wrapped model that does not depend on Keras: the loaded
object, the function the layer calls, the chosen signature/output, the variables and
regularization losses. Each flavour's layer owns one and only adds the Keras bookkeeping;
`_calling` runs it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from .. import errors
from .. import saved_model as saved_model_lib
from . import _shapes

logger = logging.getLogger(__name__)

TF1_DEFAULT_SIGNATURE = "default"
TF1_DEFAULT_OUTPUT = "default"


@dataclasses.dataclass
class HubCallable:
    """The model a KerasLayer wraps, and how to call it.

    Attributes:
        handle: the string handle (or the Python callable) the layer was built from.
        obj: the object `hub.load` returned (or the callable itself): `resolved_object`.
        fn: the function the layer calls (`obj` itself or `obj.signatures[signature]`).
        signature: the signature called, or None to call `obj` directly.
        output_key: the output returned from a dict of outputs, or None.
        signature_outputs_as_dict: return the signature's whole dict of outputs.
        is_hub_module_v1: the model is in the TF1 Hub format.
        has_training_argument: `fn` accepts `training=`.
        arguments: extra keyword arguments passed on every call.
        input_specs: the input structures `fn` was traced for (may be empty if unknown).
        train_fn: for a TF1 module whose graph has UPDATE_OPS (e.g. batch norm), `fn` that
            also runs them; called instead of `fn` when training. None otherwise.
    """

    handle: Any
    obj: Any
    fn: Callable[..., Any]
    signature: str | None
    output_key: str | None
    signature_outputs_as_dict: bool | None
    is_hub_module_v1: bool
    has_training_argument: bool
    arguments: dict[str, Any]
    input_specs: list[Any]
    train_fn: Callable[..., Any] | None = None

    @property
    def uses_dict_inputs(self) -> bool:
        """True if inputs that are dicts are passed as keyword arguments (signatures)."""
        return self.signature is not None


def load_handle(handle: Any, tags: Any = None, load_options: Any = None) -> Any:
    """Returns the object a KerasLayer wraps: `hub.load(handle)` or the callable itself.

    Raises:
        ValueError: for a callable combined with `tags`/`load_options`, or a non-string,
            non-callable handle.
    """
    if isinstance(handle, str):
        return saved_model_lib.load(handle, tags=tags, options=load_options)
    if not callable(handle):
        raise ValueError(
            "hub.KerasLayer expects a string handle for hub.load() or a callable object. "
            f"Received: handle={handle!r}"
        )
    if tags is not None or load_options is not None:
        raise ValueError(
            "Passing a callable handle is mutually exclusive with setting tags or "
            f"load_options. Received: tags={tags!r}, load_options={load_options!r}"
        )
    return handle


def check_sentinel(sentinel: Any) -> None:
    """Raises ValueError if an argument after `arguments` was passed positionally."""
    if sentinel is not None:
        raise ValueError(
            "hub.KerasLayer takes `handle`, `trainable` and `arguments` positionally; "
            f"pass the rest by keyword. Received: _sentinel={sentinel!r}"
        )


def check_output_options(
    *,
    is_hub_module_v1: bool,
    signature: str | None,
    signature_outputs_as_dict: bool | None,
    output_key: str | None,
) -> tuple[str | None, bool | None, str | None]:
    """Applies the TF1 defaults and checks the signature/output arguments.

    Returns:
        (signature, signature_outputs_as_dict, output_key) after defaults.

    Raises:
        ValueError: if `signature` comes without exactly one of `output_key` and
            `signature_outputs_as_dict`, or `signature_outputs_as_dict` without a signature.
    """
    if is_hub_module_v1:
        signature = signature or TF1_DEFAULT_SIGNATURE
        if not signature_outputs_as_dict:
            output_key = output_key or TF1_DEFAULT_OUTPUT
    if signature and (output_key is not None) == bool(signature_outputs_as_dict):
        raise ValueError(
            "When using a signature, either output_key or signature_outputs_as_dict=True "
            f"should be set. Received: signature={signature!r}, output_key={output_key!r}, "
            f"signature_outputs_as_dict={signature_outputs_as_dict!r}"
        )
    if not signature and signature_outputs_as_dict:
        raise ValueError(
            "signature_outputs_as_dict is only valid if specifying a signature (or using a "
            "legacy TF1 Hub format). Received: signature=None, signature_outputs_as_dict=True"
        )
    return signature, signature_outputs_as_dict, output_key


def select_function(obj: Any, signature: str | None, handle: Any) -> Callable[..., Any]:
    """Returns `obj` itself (if callable and no signature) or `obj.signatures[signature]`.

    Raises:
        tfhub.errors.UnknownSignatureError: the signature does not exist (lists the others).
        ValueError: `obj` is neither callable nor has signatures.
    """
    if callable(obj) and not signature:
        return obj
    signatures = getattr(obj, "signatures", None)
    if signatures is None:
        what = "has no signatures" if signature else "is not callable and has no signatures"
        raise ValueError(f"The object loaded from {handle!r} {what}. Received: {obj!r}")
    if signature is None:
        raise ValueError(
            f"The object loaded from {handle!r} is not callable: pass one of its signatures "
            f"({sorted(signatures.keys())}) as `signature=`. Received: signature=None"
        )
    if signature not in signatures:
        raise errors.UnknownSignatureError(
            f"Unknown signature {signature!r} in {handle!r} (available signatures: "
            f"{sorted(signatures.keys())}). Received: signature={signature!r}"
        )
    return signatures[signature]


def has_training_argument(fn: Any) -> bool:
    """Returns True if `fn` accepts a `training` argument (upstream's rule)."""
    if not callable(fn):
        return False
    from tensorflow.python.util import tf_inspect

    spec = tf_inspect.getfullargspec(fn.__call__)
    return "training" in spec.args or "training" in spec.kwonlyargs


def input_specs_of(fn: Any, *, is_signature: bool) -> list[Any]:
    """Returns the input structures `fn` accepts (first positional argument), if TF knows them.

    For a signature this is the dict of keyword inputs; for a restored `tf.function` it is the
    first argument of each traced concrete function; for a Python `tf.function` with an
    `input_signature`, its first entry. Other Python callables give [].
    """
    if is_signature:
        kwargs = fn.structured_input_signature[1]
        return [kwargs] if kwargs else []
    input_signature = getattr(fn, "input_signature", None)
    if input_signature:
        return [input_signature[0]]
    concrete = getattr(fn, "concrete_functions", None)
    if concrete is None and callable(fn):
        concrete = getattr(fn.__call__, "concrete_functions", None)
    specs = []
    for function in concrete or []:
        args = function.structured_input_signature[0]
        if args and args[0] not in specs:
            specs.append(args[0])
    return specs


def make_hub_callable(
    handle: Any,
    *,
    obj: Any,
    arguments: dict[str, Any] | None,
    signature: str | None,
    signature_outputs_as_dict: bool | None,
    output_key: str | None,
) -> HubCallable:
    """Checks the arguments and builds the HubCallable for a loaded `obj`."""
    is_v1 = bool(getattr(obj, "_is_hub_module_v1", False))
    signature, signature_outputs_as_dict, output_key = check_output_options(
        is_hub_module_v1=is_v1,
        signature=signature,
        signature_outputs_as_dict=signature_outputs_as_dict,
        output_key=output_key,
    )
    fn = select_function(obj, signature, handle)
    if signature and output_key:
        check_output_key(getattr(fn, "structured_outputs", None), output_key)
    return HubCallable(
        handle=handle,
        obj=obj,
        fn=fn,
        signature=signature,
        output_key=output_key,
        signature_outputs_as_dict=signature_outputs_as_dict,
        is_hub_module_v1=is_v1,
        has_training_argument=has_training_argument(fn),
        arguments=check_arguments(arguments),
        input_specs=input_specs_of(fn, is_signature=signature is not None),
        train_fn=tf1_training_function(obj, signature) if is_v1 and signature else None,
    )


def tf1_training_function(obj: Any, signature: str) -> Callable[..., Any] | None:
    """For a TF1 module with UPDATE_OPS, returns the signature's function that also runs them.

    The returned function takes the signature's inputs (one positional input, or keywords)
    and returns its dict of outputs, like `obj.signatures[signature]`. Returns None if the
    graph has no UPDATE_OPS or the object was not loaded by `hub.load`.
    """
    graph = obj.graph
    update_ops = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
    module_path = getattr(obj, "_tfhub_module_path", None)
    if not update_ops or module_path is None:
        return None
    signature_def = saved_model_lib.read_signature_def(module_path, obj._tfhub_tags, signature)
    names = sorted(signature_def.inputs)
    feeds = [graph.get_tensor_by_name(signature_def.inputs[name].name) for name in names]
    outputs = {
        key: graph.get_tensor_by_name(info.name) for key, info in signature_def.outputs.items()
    }
    pruned = obj.prune(feeds=feeds, fetches=(outputs, update_ops))

    def train_fn(*args: Any, **kwargs: Any) -> Any:
        values = list(args) if args else [kwargs[name] for name in names]
        return pruned(*values)[0]

    return train_fn


def check_output_key(outputs: Any, output_key: str) -> None:
    """Raises UnknownOutputKeyError early if a signature's known outputs lack `output_key`."""
    if isinstance(outputs, dict) and output_key not in outputs:
        raise errors.UnknownOutputKeyError(unknown_output_key_message(outputs, output_key))


def unknown_output_key_message(outputs: dict[str, Any], output_key: str) -> str:
    """The message of UnknownOutputKeyError: lists the available output keys."""
    return (
        f"KerasLayer output does not contain the output key {output_key!r} (available: "
        f"{sorted(outputs.keys())}). Received: output_key={output_key!r}"
    )


def check_arguments(arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Returns a copy of `arguments`; it must be a dict (JSON-ness is checked on save)."""
    if arguments is None:
        return {}
    if not isinstance(arguments, dict):
        raise ValueError(f"`arguments` must be a dict. Received: arguments={arguments!r}")
    return dict(arguments)


# --- Variables and losses -------------------------------------------------------------------------


def split_variables(obj: Any, is_hub_module_v1: bool) -> tuple[list[Any], list[Any]]:
    """Returns (trainable, non_trainable) variables of the loaded object, without duplicates.

    TF2 objects report `trainable_variables` and `variables`; a TF1 Hub module loaded eagerly
    has only `variables`, and its graph's TRAINABLE_VARIABLES collection says which train.
    """
    all_vars = list(getattr(obj, "variables", None) or [])
    if is_hub_module_v1:
        graph = obj.graph
        names = {v.name for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)}
        trainable = [v for v in all_vars if v.name in names]
    else:
        trainable = list(getattr(obj, "trainable_variables", None) or [])
    seen = {id(v) for v in trainable}
    non_trainable = []
    for variable in all_vars:
        if id(variable) not in seen:
            seen.add(id(variable))
            non_trainable.append(variable)
    return trainable, non_trainable


def regularization_loss_fns(obj: Any, is_hub_module_v1: bool) -> list[Callable[[], Any]]:
    """Returns zero-argument callables, one per regularization loss of the model.

    TF2: `obj.regularization_losses`. TF1 Hub format: the REGULARIZATION_LOSSES collection of
    the module's graph, pruned into one function.

    Raises:
        ValueError: if `obj.regularization_losses` holds something that is not callable.
    """
    if is_hub_module_v1:
        return _tf1_regularization_loss_fns(obj)
    losses = list(getattr(obj, "regularization_losses", None) or [])
    for loss in losses:
        if not callable(loss):
            raise ValueError(
                "hub.KerasLayer(obj) expects obj.regularization_losses to be an iterable of "
                f"callables, each returning a scalar loss term. Received: {loss!r}"
            )
    return losses


def warn_if_trainable_without_weights(layer: Any) -> None:
    """Logs once per layer (as upstream did) if it is trainable but has no trainable weights."""
    if not layer.trainable or layer.trainable_weights:
        return
    if getattr(layer, "_tfhub_warned_no_weights", False):
        return
    layer._tfhub_warned_no_weights = True
    logger.warning(
        "hub.KerasLayer %r is trainable but has zero trainable weights (handle %r).",
        layer.name,
        layer.hub_callable.handle,
    )


def _tf1_regularization_loss_fns(obj: Any) -> list[Callable[[], Any]]:
    """Prunes the REGULARIZATION_LOSSES tensors of a TF1 module's graph into callables."""
    tensors = obj.graph.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
    if not tensors:
        return []
    pruned = obj.prune(feeds=[], fetches=list(tensors))

    def make(index: int) -> Callable[[], Any]:
        return lambda: pruned()[index]

    return [make(i) for i in range(len(tensors))]


# --- Config -----------------------------------------------------------------------------------


def config_entries(hub: HubCallable, output_shape: Any, tags: Any) -> dict[str, Any]:
    """Returns the KerasLayer-specific part of `get_config()` (JSON-serializable).

    Raises:
        tfhub.errors.SerializationError: the layer was built from a Python callable, or its
            `arguments`/`output_shape` are not JSON-serializable.
    """
    if not isinstance(hub.handle, str):
        raise errors.SerializationError(
            "Can only save or get the config of a hub.KerasLayer built from a string handle "
            "(a path or URL that hub.load() can load again); this one wraps a Python callable, "
            "which cannot be written into a Keras config. Save the callable as a SavedModel "
            "(tf.saved_model.save) and build the layer from its path. "
            f"Received: handle={hub.handle!r}"
        )
    config: dict[str, Any] = {"handle": hub.handle}
    if output_shape is not None:
        config["output_shape"] = _json_checked(
            _shapes.nest_from_shapes(output_shape), "output_shape"
        )
    if hub.arguments:
        config["arguments"] = _json_checked(hub.arguments, "arguments")
    if hub.signature and not (hub.is_hub_module_v1 and hub.signature == TF1_DEFAULT_SIGNATURE):
        config["signature"] = hub.signature
    if hub.output_key and not (hub.is_hub_module_v1 and hub.output_key == TF1_DEFAULT_OUTPUT):
        config["output_key"] = hub.output_key
    if hub.signature_outputs_as_dict:
        config["signature_outputs_as_dict"] = True
    if tags is not None:
        config["tags"] = sorted(tags)
    return config


def _json_checked(value: Any, what: str) -> Any:
    try:
        json.dumps(value)
    except TypeError as err:
        raise errors.SerializationError(
            f"hub.KerasLayer(..., {what}=) is not JSON-serializable, so the layer's config "
            f"cannot be saved. Received: {what}={value!r}"
        ) from err
    return value
