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

tf_keras models also name tfhub's feature columns (`_TextEmbeddingColumn`, ...) in the config of
their `DenseFeatures` layer, which TensorFlow finds only among the column classes registered in
the process; `register("tf_keras")` imports `tfhub.feature_column` too (about 20 ms once tf_keras
is loaded), so such a model loads back after `import tfhub` alone, as one with a KerasLayer does.
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
# Top-level Keras package -> further tfhub modules whose classes its saved models name.
EXTRA_MODULES = {"tf_keras": ("tfhub.feature_column",)}  # DenseFeatures' hub columns.


def register(package: str) -> bool:
    """Imports the layer module for `package` ("keras" or "tf_keras"), which registers it,
    and the other modules of `EXTRA_MODULES[package]` (tf_keras: the feature columns).

    Never raises: a failure here must not break the user's `import keras`; it is logged, and
    using `hub.KerasLayer` (or a column) later reports the real error.

    Returns:
        True if the class is registered.
    """
    if package == "keras" and not _keras3_uses_tensorflow():
        return False
    registered = _import_quietly(LAYER_MODULES[package], package)
    for module in EXTRA_MODULES.get(package, ()):
        _import_quietly(module, package)
    return registered


def _import_quietly(module: str, package: str) -> bool:
    """Imports `module`; logs (at debug level) and returns False if that fails."""
    try:
        importlib.import_module(module)
    except Exception:
        logger.debug("Could not register %s with %s.", module, package, exc_info=True)
        return False
    return True


def _keras3_uses_tensorflow() -> bool:
    """True if Keras 3 runs on the TensorFlow backend (the only one SavedModels run on)."""
    keras = sys.modules.get("keras")
    config = getattr(keras, "config", None)
    backend = getattr(config, "backend", None)
    return backend is not None and backend() == "tensorflow"
