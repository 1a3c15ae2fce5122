"""How tfhub calls a loaded model in training or in inference mode.

Whether a function takes `training`, which `training` values TensorFlow traced it for, and the
call itself with a Python bool or a bool tensor as the mode (`call_with_training`, over
`smart_cond`). The Keras layers and the feature columns ask these, through `loaded_model`'s
names or here.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Callable
from typing import Any

from . import errors
from .utils.lazy import tensorflow as tf


def takes_training(fn: Any) -> bool:
    """Returns True if `fn(...)` accepts a `training` argument (by name).

    As upstream's KerasLayer, looks at `fn.__call__`: for a restored `tf.function` that is its
    Python signature; a plain Python function or a signature's ConcreteFunction gives False.
    """
    if not callable(fn):
        return False
    try:
        parameters = inspect.signature(fn.__call__).parameters
    except (TypeError, ValueError):  # No signature (e.g. a builtin).
        return False
    parameter = parameters.get("training")
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )


def traced_functions(fn: Any) -> list[Any]:
    """The concrete functions TensorFlow traced for `fn`: a restored (or Python) `tf.function`'s
    own, or those of an object's `__call__` that is one; [] for anything else."""
    concrete = getattr(fn, "concrete_functions", None)
    if concrete is None and callable(fn):
        concrete = getattr(fn.__call__, "concrete_functions", None)
    return list(concrete or [])


def saved_training_values(fn: Any) -> frozenset[Any] | None:
    """The `training` values TensorFlow traced `fn`'s functions for, as Python values: True,
    False, or None (the model's own default of None, `training` left out when it was traced).

    Returns:
        None if any value can be passed or it is unknown: `training` traced as a tensor, a
        function without `training`, or nothing traced (a Python callable).
    """
    values = set()
    for function in traced_functions(fn):
        parameter = function.function_type.parameters.get("training")
        constraint = getattr(parameter, "type_constraint", None)
        if constraint is None or isinstance(constraint, tf.TypeSpec):
            return None
        if not hasattr(constraint, "value"):  # Not a Python value (a Literal) either.
            return None
        values.add(constraint.value)
    return frozenset(values) or None


def smart_cond(training: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """Runs `true_fn()` or `false_fn()` for a Python bool (None: False) or a bool tensor.

    A tensor whose value is known statically picks its branch in Python; any other tensor
    builds a `tf.cond` (what TensorFlow's private `smart_cond` does).
    """
    known = False if training is None else static_training(training)
    if known is not None:
        return true_fn() if known else false_fn()
    return tf.cond(training, true_fn, false_fn)


def static_training(training: Any) -> bool | None:
    """A `training` value as Python knows it: a Python bool, or a scalar whose value is known
    statically (`training=0`, a NumPy bool, a constant tensor: Keras 3 makes such values bool
    tensors before `call`); None for None and for anything else (a tensor known only when it
    runs, a value of several elements)."""
    if training is None or isinstance(training, bool):
        return training
    static = tf.get_static_value(training)
    if static is None or getattr(static, "ndim", 0) != 0:
        return None
    return bool(static)


def call_with_training(
    training: Any,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    train_fn: Callable[..., Any] | None = None,
    pass_training: bool = False,
    saved_training: frozenset[Any] | None = None,
    signature: str | None = None,
) -> Any:
    """Calls `fn(*args, **kwargs)` in training or in inference mode.

    While training, `train_fn` (a TF1 module's function that also runs its UPDATE_OPS) runs
    instead of `fn`; without one, `pass_training` passes the mode on to `fn` as `training=`, a
    Python bool. `training` is a Python bool (None: False) or a bool tensor (see `smart_cond`).
    `saved_training` (`saved_training_values(fn)`): for a model saved only with `training`
    left to its default of None, inference calls `fn` without `training`, as `obj(x)` does
    (TensorFlow refuses `training=False` there: "Could not find matching concrete function").
    `signature`: the name of the signature `fn` is, for error messages.

    Raises:
        tfhub.errors.SignatureInputError: from `check_fixed_shapes`.
    """
    check_fixed_shapes(fn, args, kwargs, signature=signature)
    if train_fn is None and not pass_training:
        return fn(*args, **kwargs)
    infer_by_default = (
        saved_training is not None and None in saved_training and False not in saved_training
    )

    def run(mode: bool) -> Any:
        if train_fn is not None:
            return (train_fn if mode else fn)(*args, **kwargs)
        if not mode and infer_by_default:
            return fn(*args, **kwargs)
        return fn(*args, training=mode, **kwargs)

    return smart_cond(training, lambda: run(True), lambda: run(False))


def check_fixed_shapes(
    fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], *, signature: str | None = None
) -> None:
    """Refuses inputs to a TF1 module's signature whose known shape disagrees with its input's.

    TensorFlow's TF1 loader prunes each signature from the module's graph
    (`tf.compat.v1.wrap_function`) and does not check the shapes it is called with: a tensor
    of another height and width runs silently (a wrong result), one of another rank may abort
    the process. hub.Module in a graph refuses such inputs; this does the same for the calls
    that come here (hub.KerasLayer, feature columns). A dim unknown on either side passes (a
    symbolic Keras input's batch), so a Keras call checks once, while it is traced.

    Args:
        fn: the function about to be called; only a TF1 signature (a pruned function, with a
            `structured_input_signature` of keyword inputs) is checked.
        args: its positional inputs: one, for a signature of one input.
        kwargs: its keyword inputs, by the signature's input names.
        signature: the signature's name, for the message (else TensorFlow's function name).

    Raises:
        tfhub.errors.SignatureInputError: (a ValueError and TypeError, as hub.Module's) an
            input's rank or a known dim differs; names the input, both shapes, the signature.
    """
    expected = _tf1_signature_inputs(fn)
    if not expected:
        return
    given = dict(kwargs)
    if len(args) == 1 and len(expected) == 1:
        given[next(iter(expected))] = args[0]
    where = signature or _signature_name(fn)
    for name, spec in expected.items():
        shape = getattr(given.get(name), "shape", None)  # A tensor's, or a NumPy array's.
        if shape is None:
            continue
        shape = shape if isinstance(shape, tf.TensorShape) else tf.TensorShape(shape)
        if shape.is_compatible_with(spec.shape):
            continue
        raise errors.SignatureInputError(
            f"Input {name!r} of signature {where!r} has shape {shape}, but the module expects "
            f"{spec.shape} (a dim of None takes any size): resize or reshape the input to "
            f"fit, as hub.Module would ask. Received: {name}.shape={shape}"
        )


_SIGNATURE_INPUTS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _tf1_signature_inputs(fn: Any) -> dict[str, Any]:
    """{input name: TensorSpec} of a TF1 signature (a pruned function); {} for any other.

    Read once per function (TensorFlow rebuilds `structured_input_signature` on each read).
    """
    try:
        return _SIGNATURE_INPUTS[fn]
    except (KeyError, TypeError):  # TypeError: not weakly referenceable (or not hashable).
        pass
    specs = _read_signature_inputs(fn)
    with contextlib.suppress(TypeError):
        _SIGNATURE_INPUTS[fn] = specs
    return specs


def _read_signature_inputs(fn: Any) -> dict[str, Any]:
    """`_tf1_signature_inputs`, read from `fn`."""
    if not hasattr(fn, "prune"):  # Only WrappedFunctions: TensorFlow checks other functions.
        return {}
    structured = getattr(fn, "structured_input_signature", None)
    if not isinstance(structured, tuple) or len(structured) != 2 or structured[0]:
        return {}
    specs = structured[1]
    if not isinstance(specs, dict):
        return {}
    return {name: spec for name, spec in specs.items() if isinstance(spec, tf.TensorSpec)}


def _signature_name(fn: Any) -> str:
    """The signature's function name as TensorFlow keeps it (e.g. 'pruned'), for messages."""
    name = getattr(fn, "name", "?")
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
