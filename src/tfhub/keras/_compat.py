"""Which Keras flavour a program uses, and how to tell the two flavours' objects apart.

TensorFlow's convention: `tf.keras` is Keras 3 unless the environment variable
`TF_USE_LEGACY_KERAS` is exactly `1`, `true` or `True`, in which case it is tf_keras (Keras 2).
`hub.KerasLayer` follows the same rule, spelling for spelling, so the two always agree (`TRUE`
or ` 1` mean Keras 3 to both). Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

from .. import _tf_private

logger = logging.getLogger(__name__)

Flavour = Literal["keras3", "tf_keras"]

LEGACY_KERAS_ENV = "TF_USE_LEGACY_KERAS"
# The values of LEGACY_KERAS_ENV that ask for tf_keras: TensorFlow's own test, character for
# character (`tensorflow/__init__.py` and `python/util/lazy_loader.py`, TensorFlow 2.21).
LEGACY_KERAS_VALUES = ("true", "True", "1")
# The module that defines each flavour's KerasLayer.
LAYER_MODULES = {"keras3": "tfhub.keras.layer", "tf_keras": "tfhub.keras.tf_keras_layer"}


def use_legacy_keras() -> bool:
    """Returns True if `TF_USE_LEGACY_KERAS` asks for tf_keras (read at call time).

    Only the spellings TensorFlow accepts count (`LEGACY_KERAS_VALUES`, no other case and no
    spaces), so `hub.KerasLayer` is of the same flavour as `tf.keras`.
    """
    return os.environ.get(LEGACY_KERAS_ENV) in LEGACY_KERAS_VALUES


def default_flavour() -> Flavour:
    """Returns the flavour `hub.KerasLayer` resolves to: "tf_keras" or "keras3"."""
    return "tf_keras" if use_legacy_keras() else "keras3"


def keras_package(flavour: str | None = None) -> str:
    """Returns the package that is Keras for `flavour` (default: `default_flavour()`):
    "tf_keras" or "keras"."""
    return "tf_keras" if (flavour or default_flavour()) == "tf_keras" else "keras"


def class_path(flavour: Flavour) -> str:
    """Returns the import path of the KerasLayer class of `flavour`."""
    return f"{LAYER_MODULES[flavour]}.KerasLayer"


def object_flavour(obj: Any) -> Flavour | None:
    """Returns the Keras flavour that made `obj` (a KerasTensor, layer or model), if any.

    Looks only at the modules of the object's class and its bases, so it needs no import.
    """
    for klass in type(obj).__mro__:
        root = klass.__module__.split(".", 1)[0]
        if root == "tf_keras":
            return "tf_keras"
        if root == "keras":
            return "keras3"
    return None


def flavour_mismatch_message(layer_flavour: Flavour, other: Any) -> str | None:
    """Returns an error message if `other` belongs to the other Keras flavour, else None.

    Args:
        layer_flavour: the flavour of the hub.KerasLayer being used.
        other: an input (KerasTensor) or a model the layer is being put into.
    """
    other_flavour = object_flavour(other)
    if other_flavour is None or other_flavour == layer_flavour:
        return None
    names = {"keras3": "Keras 3 (`import keras`)", "tf_keras": "tf_keras (Keras 2)"}
    return (
        f"This hub.KerasLayer is a {names[layer_flavour]} layer ({class_path(layer_flavour)}), "
        f"but it is used with a {names[other_flavour]} object. Use "
        f"{class_path(other_flavour)} for {names[other_flavour]} models "
        f"(hub.KerasLayer picks tf_keras only when {LEGACY_KERAS_ENV}=1). "
        f"Received: {type(other).__module__}.{type(other).__name__}"
    )


def enclosing_flavour_mismatch_message(layer_flavour: Flavour) -> str | None:
    """Returns an error message if the layer is called inside a `call` of the other flavour.

    This catches a layer of one flavour inside a subclassed model (or layer) of the other,
    whose fit would otherwise not see the layer's weights. Looks only at the call contexts
    of the Keras flavours already imported; imports nothing.
    """
    running = _running_layers()
    if not running or layer_flavour in running:
        return None
    (other,) = running.values()
    return flavour_mismatch_message(layer_flavour, other)


def _running_layers() -> dict[Flavour, Any]:
    """The outermost Keras 3 layer and the innermost tf_keras layer whose `call` is running."""
    layers: dict[Flavour, Any] = {
        "keras3": _tf_private.keras3_running_layer(),
        "tf_keras": _tf_private.tf_keras_running_layer(),
    }
    return {flavour: layer for flavour, layer in layers.items() if layer is not None}
