"""tensorflow_hub's `keras_layer` module path: `from tfhub.keras_layer import KerasLayer` works as
`from tensorflow_hub.keras_layer import KerasLayer` did. The layer lives in `tfhub.keras`."""

from __future__ import annotations

from typing import Any

from . import errors
from .keras import KerasLayer
from .loaded_model import takes_training
from .saved_model import load_model

__all__ = ["KerasLayer", "func_has_training_argument", "load_module"]


def load_module(handle: Any, tags: Any = None, load_options: Any = None) -> Any:
    """Returns the object a KerasLayer wraps, as upstream's helper: `hub.load(handle)`, or
    `handle` itself if it is callable already.

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) for tags or load_options with a callable.
    """
    if callable(handle):
        for name, value in (("tags", tags), ("load_options", load_options)):
            if value is not None:
                raise errors.ArgumentError(
                    f"Passing a callable handle is mutually exclusive with setting {name}. "
                    f"Received: {name}={value!r}"
                )
        return handle
    return load_model(handle, tags=tags, options=load_options, options_named="load_options").obj


def func_has_training_argument(func: Any) -> bool:
    """Returns True if `func(...)` takes a `training` argument (by name), read from
    `func.__call__` as upstream's helper and `hub.KerasLayer` read it: True for a restored
    `tf.function` or a callable object whose `__call__` takes it; False for a plain Python
    function, a signature's ConcreteFunction or a non-callable."""
    return takes_training(func)
