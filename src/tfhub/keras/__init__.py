"""`hub.KerasLayer` in two flavours: Keras 3 (default) and tf_keras (Keras 2).

Importing this package imports neither TensorFlow nor Keras. `tfhub.keras.KerasLayer` (and so
`hub.KerasLayer`) is resolved on first attribute access, following TensorFlow's convention:
tf_keras if the environment variable `TF_USE_LEGACY_KERAS` is `1`, `true` or `True` (exactly
these, as TensorFlow checks), else Keras 3.
Both classes can also be imported explicitly:

    from tfhub.keras.layer import KerasLayer           # Keras 3
    from tfhub.keras.tf_keras_layer import KerasLayer  # tf_keras
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .. import errors
from ..utils.lazy import require
from ._compat import LAYER_MODULES, default_flavour, keras_package

__all__ = ["KerasLayer", "keras_layer_class"]

if TYPE_CHECKING:  # pragma: no cover
    from .layer import KerasLayer


def keras_layer_class(flavour: str | None = None) -> type:
    """Returns the KerasLayer class of `flavour` ("keras3" or "tf_keras"; default: by env).

    Raises:
        tfhub.errors.ArgumentError: (a ValueError) for an unknown flavour.
        tfhub.errors.MissingDependencyError: TensorFlow or that flavour's Keras is missing.
    """
    flavour = flavour or default_flavour()
    if flavour not in LAYER_MODULES:
        raise errors.ArgumentError(
            f"Unknown Keras flavour; expected one of {sorted(LAYER_MODULES)}. Received: {flavour=}"
        )
    require("tensorflow", keras_package(flavour), purpose="hub.KerasLayer")
    return importlib.import_module(LAYER_MODULES[flavour]).KerasLayer


def __getattr__(name: str) -> Any:
    """Resolves `KerasLayer` lazily (PEP 562), by the TF_USE_LEGACY_KERAS convention.

    Raises:
        AttributeError: for names this package does not define.
    """
    if name == "KerasLayer":
        return keras_layer_class()
    if name in ("layer", "tf_keras_layer", "export"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tfhub.keras' has no attribute {name!r}")
