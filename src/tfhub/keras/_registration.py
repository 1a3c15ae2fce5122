"""Registers the KerasLayer classes with Keras as soon as Keras is imported.

Saved models name the layer `tfhub>KerasLayer`, and Keras finds such a name only among the
classes registered in the running process (`register_keras_serializable`). `import tfhub`
imports no Keras (its API is lazy), so a program that only does

    import tfhub as hub
    import keras
    model = keras.saving.load_model("classifier.keras")

would never have registered the class. `import tfhub` closes that gap: for each of `keras` and
`tf_keras`, it asks `utils/import_hooks.py` to call `register(package)` right after that Keras
finishes importing, or at once if it already has (`tfhub/__init__.py` wires the hooks itself, so
`import tfhub` does not import this package). `register` imports the matching layer module, whose
decorator registers the class. Nothing is imported while neither Keras is in use, and Keras 3 on
a backend other than TensorFlow is left alone.
"""

from __future__ import annotations

import importlib
import logging
import sys

from . import _compat

logger = logging.getLogger(__name__)

# Top-level Keras package -> the tfhub module that registers its KerasLayer.
LAYER_MODULES = {
    "keras": _compat.LAYER_MODULES["keras3"],
    "tf_keras": _compat.LAYER_MODULES["tf_keras"],
}


def register(package: str) -> bool:
    """Imports the layer module for `package` ("keras" or "tf_keras"), which registers it.

    Never raises: a failure here must not break the user's `import keras`; it is logged, and
    using `hub.KerasLayer` later reports the real error.

    Returns:
        True if the class is registered.
    """
    if package == "keras" and not _keras3_uses_tensorflow():
        return False
    try:
        importlib.import_module(LAYER_MODULES[package])
    except Exception:
        logger.debug(
            "Could not register %s with %s.", LAYER_MODULES[package], package, exc_info=True
        )
        return False
    return True


def _keras3_uses_tensorflow() -> bool:
    """True if Keras 3 runs on the TensorFlow backend (the only one SavedModels run on)."""
    keras = sys.modules.get("keras")
    config = getattr(keras, "config", None)
    backend = getattr(config, "backend", None)
    return backend is not None and backend() == "tensorflow"
