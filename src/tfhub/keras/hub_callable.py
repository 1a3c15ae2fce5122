"""`HubCallable`: the model a `hub.KerasLayer` wraps, and how the layer calls it.

Nothing here depends on Keras: each KerasLayer flavour holds one `HubCallable`
(`layer.hub_callable`) and adds only the Keras bookkeeping; `_calling` runs it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import _tf_private, errors
from .. import saved_model as saved_model_lib
from ..loaded_model import LoadedModel
from ..model_calls import saved_training_values, takes_training, traced_functions
from ..utils.lazy import tensorflow as tf
from ..utils.paths import is_url, working_folder_gone
from . import _arguments, _xla
from ._endpoints import endpoint
from ._endpoints import select_function as select_function  # Keeps its old import path.


@dataclasses.dataclass
class HubCallable:
    """The model a KerasLayer wraps, and how to call it.

    Attributes:
        handle: the string handle (or the Python callable) the layer was built from.
        model: the loaded model (object, folder, tags, TF1 or TF2).
        fn: the function the layer calls (`obj` itself or `obj.signatures[signature]`).
        signature: the signature called, or None to call `obj` directly.
        output_key: the output returned from a dict of outputs, or None.
        signature_outputs_as_dict: return the signature's whole dict of outputs.
        has_training_argument: `fn` accepts `training=`.
        arguments: extra keyword arguments passed on every call.
        input_specs: the input structures `fn` was traced for (may be empty if unknown).
        train_fn: for a TF1 module whose graph has UPDATE_OPS (e.g. batch norm), `fn` that
            also runs them; called instead of `fn` when training. None otherwise.
        open_input: for a signature whose inputs `arguments` give all but one, that one's
            name: a lone tensor passed to the layer goes there. None otherwise.
        saved_training: the `training` values `fn` was saved for
            (`model_calls.saved_training_values`); None if any, or unknown.
    """

    handle: Any
    model: LoadedModel
    fn: Callable[..., Any]
    signature: str | None
    output_key: str | None
    signature_outputs_as_dict: bool | None
    has_training_argument: bool
    arguments: dict[str, Any]
    input_specs: list[Any]
    train_fn: Callable[..., Any] | None = None
    open_input: str | None = None
    saved_training: frozenset[Any] | None = None

    @property
    def is_hub_module_v1(self) -> bool:
        """The model is in the TF1 Hub format."""
        return self.model.is_hub_module_v1

    @functools.cached_property
    def compiles_with_xla(self) -> bool:
        """XLA can compile calls of `fn` (no strings in or inside, no lookup tables)."""
        return _xla.compiles_with_xla(self.fn, self.input_specs)


def load_handle(handle: Any, tags: Any = None, load_options: Any = None) -> LoadedModel:
    """Returns the model a KerasLayer wraps: `hub.load(handle)` or the callable itself.

    A string handle loads with `load_options` or, if None, with the options of the Keras model
    load in progress (`tf_keras.models.load_model(path, options=...)` rebuilding the layer from
    its config), as upstream: e.g. `experimental_io_device` on a TPU host. Else TensorFlow's
    defaults.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) for a callable combined with
            `tags`/`load_options`, or a non-string, non-callable handle.
        tfhub.errors.ModelNotFoundError: the handle does not exist (for a relative path, the
            message says to what it was resolved).
    """
    if isinstance(handle, str):
        try:
            options = _tf_private.load_context_options() if load_options is None else load_options
            return saved_model_lib.load_model(handle, tags=tags, options=options)
        except errors.ModelNotFoundError as err:
            if is_url(handle) or os.path.isabs(handle) or working_folder_gone():
                raise  # Then the resolver's message says why.
            raise errors.ModelNotFoundError(
                f"{err} The handle {handle!r} is a relative path, resolved against the current "
                f"folder {os.getcwd()!r} to {os.path.abspath(handle)!r}. A Keras config (and a "
                ".keras or SavedModel file) keeps the handle as given: load the model from the "
                "folder it was built in, or build the layer with an absolute path."
            ) from err
    if not callable(handle):
        raise errors.ArgumentError(  # Upstream (hub.load) said "Expected a string, got ...".
            f"Expected a string, got {handle!r}: hub.KerasLayer expects a string handle for "
            f"hub.load() or a callable object. Received: handle={handle!r}"
        )
    if tags is not None or load_options is not None:
        raise errors.ArgumentError(
            "Passing a callable handle is mutually exclusive with setting tags or "
            f"load_options. Received: tags={tags!r}, load_options={load_options!r}"
        )
    return LoadedModel.of(handle)


def make_hub_callable(
    handle: Any,
    *,
    model: LoadedModel,
    arguments: dict[str, Any] | None,
    signature: str | None,
    signature_outputs_as_dict: bool | None,
    output_key: str | None,
) -> HubCallable:
    """Checks the arguments and builds the HubCallable for a loaded model.

    Raises:
        ValueError: bad combinations of arguments (see `check_output_options`).
        tfhub.errors.UnknownSignatureError: `signature` is not one of the model's signatures.
        tfhub.errors.UnknownOutputKeyError: the signature has no output `output_key`.
        tfhub.errors.ArgumentTypeError: the function takes no parameter of a name in
            `arguments`, or `arguments` lacks one it needs besides its input or gives a value
            that parameter's traced spec cannot take, or `signature` is not a string (an
            empty one means none, as upstream).
    """
    signature, signature_outputs_as_dict, output_key = endpoint(
        model, signature, signature_outputs_as_dict, output_key
    )
    fn = select_function(model.obj, signature, handle)
    if signature and output_key:
        _arguments.check_output_key(getattr(fn, "structured_outputs", None), output_key)
    arguments = _arguments.check_arguments(arguments)
    has_training_argument = takes_training(fn)
    if has_training_argument:
        _arguments.warn_if_training_given(arguments, handle=handle)
    _check_arguments_fit(fn, arguments, handle=handle, signature=signature)
    input_specs = input_specs_of(fn, is_signature=signature is not None)
    return HubCallable(
        handle=handle,
        model=model,
        fn=fn,
        signature=signature,
        output_key=output_key,
        signature_outputs_as_dict=signature_outputs_as_dict,
        has_training_argument=has_training_argument,
        arguments=arguments,
        input_specs=input_specs,
        train_fn=model.training_function(signature) if signature else None,
        open_input=_open_signature_input(input_specs, arguments) if signature else None,
        saved_training=saved_training_values(fn) if has_training_argument else None,
    )


def _check_arguments_fit(
    fn: Any, arguments: dict[str, Any], *, handle: Any, signature: str | None
) -> None:
    """Checks `arguments` against `fn`'s parameters, if TensorFlow knows them: each is taken,
    none it needs is missing, each value fits its traced spec.

    Raises:
        tfhub.errors.ArgumentTypeError: one does not.
    """
    parameters = function_parameters(fn)
    if parameters is not None:
        _arguments.check_arguments_taken(arguments, parameters, handle=handle, signature=signature)
        check_argument_values(fn, arguments, handle=handle, signature=signature)


def _open_signature_input(input_specs: list[Any], arguments: dict[str, Any]) -> str | None:
    """The one input of a signature that `arguments` leaves to the call, if it gives all the
    others (e.g. `scale` of `f(x, scale)`): a lone tensor is that input. None without
    `arguments` (a lone tensor goes positionally, as upstream) or with several left."""
    if not arguments or not input_specs or not isinstance(input_specs[0], dict):
        return None
    left = [name for name in input_specs[0] if name not in arguments]
    return left[0] if len(left) == 1 else None


# Parameters a call can name (not `*args`): the only ones `arguments` can give.
_NAMED = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.KEYWORD_ONLY,
)


class FunctionParameters(NamedTuple):
    """The parameters of the functions TensorFlow traced for a callable, in order."""

    names: list[str]
    required: list[str]  # Those without a default value.


def function_parameters(fn: Any) -> FunctionParameters | None:
    """The parameters of every function TensorFlow traced for `fn` (a restored function, an
    object's `__call__`, a signature); None if unknown: a Python callable, nothing traced, or a
    function that takes `**kwargs`. A parameter with a default in the `tf.function` itself is
    not required (its traced functions, made for an `input_signature`, record none)."""
    functions = traced_functions(fn) or ([fn] if hasattr(fn, "function_type") else [])
    defaulted = _parameters_with_defaults(fn)
    names: dict[str, None] = {}
    required: dict[str, None] = {}
    for function in functions:
        parameters = list(function.function_type.parameters.values())
        if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
            return None
        names.update(dict.fromkeys(parameter.name for parameter in parameters))
        required.update(
            dict.fromkeys(
                p.name
                for p in parameters
                if p.default is p.empty and p.kind in _NAMED and p.name not in defaulted
            )
        )
    return FunctionParameters(list(names), list(required)) if names else None


_PYTHON_VALUES = (bool, int, float, str, bytes, list, tuple, type(None))


def check_argument_values(
    fn: Any, arguments: dict[str, Any], *, handle: Any, signature: str | None
) -> None:
    """Raises if a Python value of `arguments` (what a saved config holds) fits the spec of its
    parameter in none of the functions TensorFlow traced for `fn`: a tensor spec (a string or
    None for a float32 scalar, a list for a scalar) or, for a parameter traced for Python
    values, the values it was traced for (`scale=5` where it was traced for 2 and 3).
    TensorFlow said so only at the first call ("Binding inputs to tf.function failed", "Could
    not find matching concrete function"), inside `fit` or `predict`. Parameters traced for
    other Python structures, and tensors or arrays given, are left to it.

    Raises:
        tfhub.errors.ArgumentTypeError: (a TypeError, as TensorFlow's at the call) naming the
            argument, what the function takes and why the value does not fit.
    """
    functions = traced_functions(fn) or ([fn] if hasattr(fn, "function_type") else [])
    for name, value in arguments.items():
        constraints = [
            function.function_type.parameters[name].type_constraint
            for function in functions
            if name in function.function_type.parameters
        ]
        if not isinstance(value, _PYTHON_VALUES) or not constraints:
            continue
        if not all(isinstance(spec, tf.TensorSpec) or _is_literal(spec) for spec in constraints):
            continue
        problems = [_misfit(spec, value) for spec in constraints]
        if all(problems):
            target = f"signature {signature!r}" if signature else "the model's __call__"
            takes = " or ".join(dict.fromkeys(map(_described, constraints)))
            values = all(map(_is_literal, constraints))
            remedy = "one of those values" if values else "a value of that dtype and shape"
            raise errors.ArgumentTypeError(
                f"`arguments` gives {name}={value!r}, which {target} of {handle!r} cannot take: "
                f"it takes {name} as {takes} ({problems[0]}). Pass {remedy}. Received: "
                f"arguments={arguments!r}"
            )


def _is_literal(constraint: Any) -> bool:
    """A parameter traced for a Python value (TensorFlow's `Literal` trace type, which keeps
    it as `.value`): not a tensor spec."""
    return not isinstance(constraint, tf.TypeSpec) and hasattr(constraint, "value")


def _described(constraint: Any) -> str:
    """`float32[]` for a tensor spec, `2` for a Python value traced."""
    if isinstance(constraint, tf.TensorSpec):
        return f"{constraint.dtype.name}{constraint.shape.as_list()}"
    return repr(constraint.value)


def _misfit(spec: Any, value: Any) -> str:
    """Why `value` cannot be passed for a parameter of `spec` ("" if it can): equal to the
    Python value a parameter was traced for (as TensorFlow matches it: `3.0` for 3), or
    converted to a tensor spec as TensorFlow converts a call's Python values (in a graph of
    its own: no op is left in the caller's)."""
    if _is_literal(spec):
        if _equal(value, spec.value):
            return ""
        return "the model was saved for these Python values only"
    try:
        with tf.Graph().as_default():
            shape = tf.convert_to_tensor(value, dtype=spec.dtype).shape
    except (TypeError, ValueError) as err:
        return str(err)
    if not spec.shape.is_compatible_with(shape):
        return f"a value of shape {shape.as_list()}"
    return ""


def _equal(value: Any, traced: Any) -> bool:
    """`value == traced` for hashable values of one kind (`3.0` is 3, `"3"` is not); False for
    what cannot be compared so (a list: TensorFlow traces it as a list, never as a value)."""
    try:
        return bool(hash(value) == hash(traced) and value == traced)
    except TypeError:  # Unhashable.
        return False


def _parameters_with_defaults(fn: Any) -> set[str]:
    """The parameters that have a default in `fn`'s own `tf.function` (or its `__call__`'s),
    as it was saved: `def __call__(self, x, scale=1.0)`."""
    for candidate in (fn, fn.__call__ if callable(fn) else None):
        function_type = getattr(candidate, "function_type", None)
        if function_type is not None:
            return {p.name for p in function_type.parameters.values() if p.default is not p.empty}
    return set()


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
    specs = []
    for function in traced_functions(fn):
        args = function.structured_input_signature[0]
        if args and args[0] not in specs:
            specs.append(args[0])
    return specs
