"""Registers the KerasLayer classes with Keras as soon as Keras is imported.

Saved models name the layer `tfhub>KerasLayer`, and Keras finds such a name only among the
classes registered in the running process (`register_keras_serializable`). `import tfhub`
imports no Keras (its API is lazy), so a program that only does

    import tfhub as hub
    import keras
    model = keras.saving.load_model("classifier.keras")

would never have registered the class. `install()` (called by `import tfhub`) closes that gap:
for each of `keras` and `tf_keras`, it imports the matching layer module (whose decorator
registers the class) right after that Keras finishes importing, or at once if it already has.
Nothing is imported while neither Keras is in use, and Keras 3 on a backend other than
TensorFlow is left alone.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

logger = logging.getLogger(__name__)

# Top-level Keras package -> the tfhub module that registers its KerasLayer.
LAYER_MODULES = {"keras": "tfhub.keras.layer", "tf_keras": "tfhub.keras.tf_keras_layer"}

_lock = threading.Lock()


def install() -> None:
    """Registers the layer of every Keras already imported; watches for the others."""
    for package in LAYER_MODULES:
        if _is_imported(package):
            register(package)
    with _lock:
        if not any(isinstance(finder, _KerasImportWatcher) for finder in sys.meta_path):
            sys.meta_path.insert(0, _KerasImportWatcher())


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


def _is_imported(package: str) -> bool:
    """True if `package` is in sys.modules and done initializing."""
    module = sys.modules.get(package)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def _keras3_uses_tensorflow() -> bool:
    """True if Keras 3 runs on the TensorFlow backend (the only one SavedModels run on)."""
    keras = sys.modules.get("keras")
    config = getattr(keras, "config", None)
    backend = getattr(config, "backend", None)
    return backend is not None and backend() == "tensorflow"


class _KerasImportWatcher(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of `keras`/`tf_keras` to register afterwards."""

    def __init__(self) -> None:
        self._finding: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in LAYER_MODULES or fullname in self._finding:
            return None
        self._finding.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)  # The real finders.
        finally:
            self._finding.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _RegisteringLoader(spec.loader, fullname)
        return spec


class _RegisteringLoader(importlib.abc.Loader):
    """Delegates to the real loader, then registers the KerasLayer for that package."""

    def __init__(self, loader: Any, package: str) -> None:
        self._loader = loader
        self._package = package

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register(self._package)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_resource_reader, get_data, ...
