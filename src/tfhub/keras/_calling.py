"""Calling the wrapped model, shared by both KerasLayer flavours.

Passes inputs by the layer's convention (one positional input; a signature's dict inputs as
keywords; `training` if the function takes it), casts floating inputs/outputs for mixed
precision, picks `output_key`, applies `output_shape`, and turns input mismatches into
`tfhub.errors.CallInputSpecError` messages that state the expected spec.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .. import _tf_private, errors
from ..model_calls import call_with_training, static_training
from ..utils.lazy import tensorflow as tf
from . import _shapes
from ._arguments import check_output_key
from ._call_messages import half_inputs_message, input_mismatch_message
from .hub_callable import HubCallable

logger = logging.getLogger(__name__)
# What TensorFlow says when a restored function outlives the object that owned its variables.
_DELETED_VARIABLES = "referencing variables which have been deleted"


def call(hub: HubCallable, inputs: Any, training: Any, output_shape: Any = None) -> Any:
    """Calls the wrapped function on `inputs` and picks/reshapes the outputs.

    Args:
        hub: the HubCallable.
        inputs: a tensor, or a list/dict of tensors.
        training: a Python bool (or bool tensor), used only if the function takes `training`.
        output_shape: optional nest of TensorShapes without the batch dimension.

    Returns:
        The output tensor(s).

    Raises:
        tfhub.errors.CallInputSpecError: (an InputSpecError, and a TypeError as upstream's)
            inputs that match none of the function's input specs, or float16/bfloat16 inputs
            (mixed precision) that a function of unknown input specs cannot take; a
            `CallInputArgumentError` (also TensorFlow's InvalidArgumentError, as upstream's)
            where the function refused them while running.
        tfhub.errors.UnknownOutputKeyError: `output_key` is not among the outputs.
        tfhub.errors.XlaStringInputError: string inputs in a function XLA compiles.
        tfhub.errors.DeletedModelError: the function's model was deleted (see
            `deleted_model_error`).
        tfhub.errors.TrainingModeError: `training` may be True and the model was saved for
            inference only (see `_check_training_saved`).
    """
    _check_no_strings_for_xla(hub, inputs)
    _check_training_saved(hub, training)
    inputs = _named_for_signature(hub, inputs)
    inputs = cast_inputs(inputs, hub.input_specs)
    result = select_output(_invoke_explained(hub, inputs, training), hub.output_key)
    if output_shape is not None:
        result = _shapes.apply_output_shape(inputs, result, output_shape)
    return result


def _invoke_explained(hub: HubCallable, inputs: Any, training: Any) -> Any:
    """`_invoke(hub, inputs, training)`, its errors about the inputs or a deleted model said
    as `call` promises (CallInputSpecError, CallInputArgumentError, DeletedModelError); any
    other error as it is."""
    try:
        return _invoke(hub, inputs, training)
    except (TypeError, ValueError, tf.errors.InvalidArgumentError) as err:
        message = input_mismatch_message(hub, inputs) or half_inputs_message(hub, inputs, err)
        if message is None:
            raise
        if isinstance(err, tf.errors.InvalidArgumentError):  # What upstream let through.
            raise errors.CallInputArgumentError(message) from err
        raise errors.CallInputSpecError(message) from err
    except AssertionError as err:
        deleted = deleted_model_error(err)
        if deleted is None:
            raise
        raise deleted from err


_PYTHON_SCALARS = (str, bytes, bool, int, float)


def python_values_as_tensors(inputs: Any, hub: HubCallable) -> Any:
    """`inputs` with Python values made tensors: the whole input, or each value of a dict of
    inputs (`{"a": [[1.0, 2.0]], ...}`); anything else as it is. Numbers take the dtype the
    model expects for them, as far as it is known (`[[1, 2, 3]]` for a float32 input would be
    int32, which the model refuses)."""
    if _is_python_value(inputs):
        return _python_value_as_tensor(inputs, _input_spec_for(inputs, hub))
    if isinstance(inputs, dict) and any(_is_python_value(value) for value in inputs.values()):
        spec = _input_spec_for(inputs, hub)
        specs = spec if isinstance(spec, dict) else {}
        return {
            key: _python_value_as_tensor(value, specs.get(key))
            if _is_python_value(value)
            else value
            for key, value in inputs.items()
        }
    return inputs


def _input_spec_for(inputs: Any, hub: HubCallable) -> Any:
    """The model's input spec if it was traced for one (for a signature's lone input given
    alone, that input's spec); else None."""
    if len(hub.input_specs) != 1:
        return None
    (spec,) = hub.input_specs
    if isinstance(spec, dict) and hub.signature is not None and not isinstance(inputs, dict):
        if hub.open_input is not None:
            return spec[hub.open_input]
        if len(spec) == 1:
            (spec,) = spec.values()
    return spec


def _is_python_value(value: Any) -> bool:
    """A Python scalar or a (nested) non-empty list or tuple of them: no tensor, no array."""
    if isinstance(value, _PYTHON_SCALARS):
        return True
    if not isinstance(value, (list, tuple)) or not value:
        return False
    return all(isinstance(leaf, _PYTHON_SCALARS) for leaf in tf.nest.flatten(value))


def _python_value_as_tensor(value: Any, spec: Any = None) -> Any:
    """`tf.constant(value)`, numbers of `spec`'s dtype (see `_number_dtype`); a ragged nesting
    (sentences of different lengths) as a RaggedTensor."""
    dtype = _number_dtype(value, spec)
    try:
        return tf.constant(value, dtype=dtype)
    except ValueError:
        return tf.ragged.constant(value, dtype=dtype)


def _number_dtype(value: Any, spec: Any) -> Any:
    """`spec`'s dtype for Python numbers it can hold exactly (any number for a floating dtype,
    ints for an integer one); None (TensorFlow's own pick) otherwise, e.g. for bools."""
    dtype = getattr(spec, "dtype", None)
    if dtype is None or not (dtype.is_floating or dtype.is_integer):
        return None
    leaves = tf.nest.flatten(value)
    numbers = (int,) if dtype.is_integer else (int, float)
    if all(isinstance(leaf, numbers) and not isinstance(leaf, bool) for leaf in leaves):
        return dtype
    return None


def deleted_model_error(err: AssertionError) -> errors.DeletedModelError | None:
    """Returns the error to raise for TensorFlow's AssertionError about deleted variables.

    A function of a loaded model (`hub.load(handle).serve`, or one of its `.signatures`)
    holds the model's variables only weakly: once nothing keeps the model, TensorFlow raises
    "Called a function referencing variables which have been deleted" when the variables are
    read, at the layer's construction (a signature's variables) or at its first call.

    Args:
        err: the AssertionError raised.

    Returns:
        A `tfhub.errors.DeletedModelError` (an AssertionError, as TensorFlow's) saying to keep
        the model, if `err` is TensorFlow's error about deleted variables; else None.
    """
    if _DELETED_VARIABLES not in str(err):
        return None
    return errors.DeletedModelError(
        "The function this hub.KerasLayer calls uses variables of a loaded model that no "
        "longer exists: in `hub.KerasLayer(hub.load(handle).serve)` (or of "
        "`hub.load(handle).signatures[name]`) nothing keeps the object `hub.load` returned, so "
        "its variables were deleted. Keep it for as long as the layer: `model = "
        "hub.load(handle)`, then `hub.KerasLayer(model.serve)` (or pass the handle, with "
        "`signature=`)."
    )


def _check_no_strings_for_xla(hub: HubCallable, inputs: Any) -> None:
    """Raises if XLA will compile this call and `inputs` hold strings, which XLA cannot take:
    TensorFlow would fail only at the first step, naming neither the layer nor the fix."""
    if not _tf_private.in_xla_compilation():
        return
    if not any(getattr(x, "dtype", None) == tf.string for x in tf.nest.flatten(inputs)):
        return
    raise errors.XlaStringInputError(
        f"XLA cannot compile the model of {hub.handle!r} on strings: XLA has no string tensors "
        "(nor lookup tables), and this hub.KerasLayer is called on string inputs inside a "
        "function compiled with XLA. Compile without it: `model.compile(..., "
        "jit_compile=False)` in Keras, or a `tf.function` without `jit_compile=True`."
    )


def _check_training_saved(hub: HubCallable, training: Any) -> None:
    """Raises if the call may run the model in training mode (`training` True, or a tensor
    known only when it runs) and its function was traced for no `training=True`: TensorFlow
    would refuse the call ("Could not find matching concrete function"), naming neither the
    model nor what to do. A frozen layer passes False, so only a trainable one gets here.

    Raises:
        tfhub.errors.TrainingModeError: (a ValueError, as TensorFlow's) saying to keep the
            layer frozen or to save the model for training too.
    """
    saved = hub.saved_training
    if saved is None or True in saved or hub.train_fn is not None:
        return
    if training is None or static_training(training) is False:
        return
    traced = ", ".join(
        "`training` left out (its default)" if value is None else f"training={value!r}"
        for value in sorted(saved, key=repr)
    )
    raise errors.TrainingModeError(
        f"The model's __call__ of {hub.handle!r} was saved for inference only (traced for "
        f"{traced}, never for training=True), so it cannot run in training mode, which a "
        "trainable hub.KerasLayer asks for in `fit` (training=True). Keep the layer frozen "
        "(trainable=False: the model runs in inference mode and the layers around it still "
        "train), or save the model with its __call__ traced for training=True too (e.g. "
        "`model.__call__.get_concrete_function(spec, training=True)` before "
        f"tf.saved_model.save). Received: training={training!r}",
        handle=hub.handle,
    )


def _named_for_signature(hub: HubCallable, inputs: Any) -> Any:
    """`{name: inputs}` for a lone input of a signature whose other inputs all come from
    `arguments` (`hub.open_input`), cast as that input expects: signatures take keywords only
    (TensorFlow passes a lone positional input only to a signature with one input). Else
    `inputs` as they are."""
    name = hub.open_input
    if name is None or isinstance(inputs, dict):
        return inputs
    return {name: _cast_one(inputs, hub.input_specs[0][name])}


def _invoke(hub: HubCallable, inputs: Any, training: Any) -> Any:
    """Runs the function with the layer's calling convention."""
    args: tuple[Any, ...] = (inputs,)
    kwargs = hub.arguments
    if hub.signature is not None and isinstance(inputs, dict):  # A signature's inputs.
        args, kwargs = (), {**kwargs, **inputs}
    takes_training = hub.has_training_argument
    if takes_training and "training" in kwargs:  # The layer's wins, as upstream's partial let it.
        kwargs = {key: value for key, value in kwargs.items() if key != "training"}
    return call_with_training(
        training,
        hub.fn,
        args,
        kwargs,
        train_fn=hub.train_fn,
        pass_training=takes_training,
        saved_training=hub.saved_training,
        signature=hub.signature,
    )


def select_output(result: Any, output_key: str | None) -> Any:
    """Returns `result[output_key]`, or `result` if no key is set.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) `output_key` is set but the result is
            not a dict.
        tfhub.errors.UnknownOutputKeyError: the key is missing (the message lists the keys).
    """
    if not output_key:
        return result
    if not isinstance(result, dict):
        raise errors.ArgumentError(
            f"Specifying `output_key` is forbidden if output type {type(result)} is not a "
            f"dict. Received: output_key={output_key!r}"
        )
    check_output_key(result, output_key)
    return result[output_key]


def cast_inputs(inputs: Any, specs: Sequence[Any]) -> Any:
    """Casts floating inputs to the floating dtype the function expects (mixed precision).

    Uses the first traced input spec whose dtypes the inputs already have (that trace runs,
    as `obj(x)` would run it: a float64 input of a model traced for float32 and float64 is not
    cast), else the first one; a single tensor passed for a signature with one input is
    matched to that input. Integer and string inputs are never cast.
    """
    if not specs:
        return inputs
    spec = specs[0]
    if len(specs) > 1:
        spec = next((each for each in specs if _has_dtypes_of(inputs, each)), spec)
    if hasattr(inputs, "dtype"):  # Fast path: one tensor.
        if isinstance(spec, dict) and len(spec) == 1:
            (spec,) = spec.values()  # A signature's only input, passed positionally.
        return _cast_one(inputs, spec)
    try:
        return tf.nest.map_structure(_cast_one, inputs, spec)
    except (TypeError, ValueError):
        return inputs  # Another structure: the call reports the mismatch.


def _has_dtypes_of(inputs: Any, spec: Any) -> bool:
    """True if `inputs` are nested as `spec` and each input has the dtype of its place in
    `spec` (a place of no dtype takes any)."""
    if hasattr(inputs, "dtype") and isinstance(spec, dict) and len(spec) == 1:
        (spec,) = spec.values()  # A signature's only input, passed positionally.
    try:
        matches = tf.nest.map_structure(
            lambda tensor, leaf: getattr(leaf, "dtype", None) in (None, tensor.dtype),
            inputs,
            spec,
        )
    except (AttributeError, TypeError, ValueError):  # Another structure, or no dtype.
        return False
    return all(tf.nest.flatten(matches))


def _cast_one(tensor: Any, spec: Any) -> Any:
    dtype = getattr(spec, "dtype", None)
    if dtype is None or not dtype.is_floating:
        return tensor
    tensor_dtype = getattr(tensor, "dtype", None)
    if tensor_dtype is None or tensor_dtype == dtype or not tensor_dtype.is_floating:
        return tensor
    return tf.cast(tensor, dtype)


def cast_outputs(outputs: Any, dtype: Any) -> Any:
    """Casts floating outputs to `dtype` (the layer's compute dtype under a mixed precision
    policy), leaving others alone; None: returns `outputs` as they are."""
    if dtype is None:
        return outputs
    target = tf.TensorSpec(None, tf.as_dtype(dtype))
    if not target.dtype.is_floating or getattr(outputs, "dtype", None) == target.dtype:
        return outputs  # Fast path: nothing to cast, or one tensor of the right dtype.
    return tf.nest.map_structure(lambda tensor: _cast_one(tensor, target), outputs)
