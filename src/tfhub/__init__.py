"""tfhub: the TensorFlow Hub client, whole again, on TensorFlow 2.21, Keras 3 and tf_keras.

Use it as upstream's library: ``import tfhub as hub``. Every public name is imported lazily,
so ``import tfhub`` and ``hub.resolve(...)`` never import TensorFlow; only the names that need
it (``hub.load``, ``hub.KerasLayer``, ``hub.Module``, ...) do, on first use.
"""

from __future__ import annotations

from .utils.import_hooks import call_after_import as _call_after_import

# `import tfhub` runs at the start of every process that resolves a handle, extracts an archive
# or runs a `tfhub` command, so it imports nothing but `utils/import_hooks.py`: no `typing`
# (`TYPE_CHECKING` is spelled out, as type checkers accept), no `logging`, no other tfhub module.
# `tests/test_import_is_lazy.py` checks what stays out.
TYPE_CHECKING = False

__version__ = "0.1.0"


def _define_absl_flags() -> None:
    """Defines upstream's absl flags (`absl_flags.define_absl_flags`)."""
    from .absl_flags import define_absl_flags
    from .constants import ABSL_FLAGS

    define_absl_flags(ABSL_FLAGS)


def _register_keras_layer() -> None:
    """Registers `tfhub>KerasLayer` with Keras 3 (see `keras/_registration.py`)."""
    from .keras._registration import register

    register("keras")


def _register_tf_keras_layer() -> None:
    """Registers `tfhub>KerasLayer` with tf_keras (see `keras/_registration.py`)."""
    from .keras._registration import register

    register("tf_keras")


# Upstream's absl flags (--tfhub_cache_dir, --tfhub_model_load_format) must exist before an
# absl app parses argv, which it does after importing absl.flags: they are defined then (or now,
# if absl.flags is imported already), so `import tfhub` itself does not import absl.
_call_after_import("absl.flags", _define_absl_flags)
# Saved Keras models name the layer `tfhub>KerasLayer`: register it as soon as Keras is imported
# (or now, if it is already); nothing heavy is imported before that.
_call_after_import("keras", _register_keras_layer)
_call_after_import("tf_keras", _register_tf_keras_layer)

# Public name -> module that defines it (relative to this package).
_LAZY_ATTRIBUTES: dict[str, str] = {
    # Handles, resolvers, cache (no TensorFlow).
    "resolve": ".saved_model",
    "register_resolver": ".resolvers",
    "disable_progress_bars": ".utils.progress",
    "enable_progress_bars": ".utils.progress",
    # TF2 SavedModels and Keras.
    "load": ".saved_model",
    "KerasLayer": ".keras",
    "export_layer": ".keras.export",
    # The TF1 Hub format.
    "Module": ".tf1.module",
    "eval_function_for_module": ".tf1.eval_function",
    "ModuleSpec": ".tf1.module_spec",
    "load_module_spec": ".tf1.module",
    "create_module_spec": ".tf1.native_module",
    "create_module_spec_from_saved_model": ".tf1.native_module",
    "add_signature": ".tf1.native_module",
    "attach_message": ".tf1.native_module",
    "LatestModuleExporter": ".tf1.export",
    "register_module_for_export": ".tf1.export",
    # Image modules.
    "ImageModuleInfo": ".image_util",
    "attach_image_module_info": ".image_util",
    "get_expected_image_size": ".image_util",
    "get_num_image_channels": ".image_util",
    # Feature columns.
    "text_embedding_column": ".feature_column",
    "text_embedding_column_v2": ".feature_column",
    "sparse_text_embedding_column": ".feature_column",
    "image_embedding_column": ".feature_column",
}

__all__ = sorted([*_LAZY_ATTRIBUTES, "__version__"])

if TYPE_CHECKING:  # pragma: no cover - static imports for type checkers and IDEs only.
    from typing import Any

    from .feature_column import (
        image_embedding_column,
        sparse_text_embedding_column,
        text_embedding_column,
        text_embedding_column_v2,
    )
    from .image_util import (
        ImageModuleInfo,
        attach_image_module_info,
        get_expected_image_size,
        get_num_image_channels,
    )
    from .keras import KerasLayer
    from .keras.export import export_layer
    from .resolvers import register_resolver
    from .saved_model import load, resolve
    from .tf1.eval_function import eval_function_for_module
    from .tf1.export import LatestModuleExporter, register_module_for_export
    from .tf1.module import Module, load_module_spec
    from .tf1.module_spec import ModuleSpec
    from .tf1.native_module import (
        add_signature,
        attach_message,
        create_module_spec,
        create_module_spec_from_saved_model,
    )
    from .utils.progress import disable_progress_bars, enable_progress_bars


# Submodules that `import tfhub` used to import, so `hub.errors.OfflineModeError` and
# `hub.constants.cache_dir()` keep working after a bare `import tfhub`: imported on first access.
# So do tensorflow_hub's module paths (`hub.resolver.HttpResolverBase`, `hub.registry.resolver`,
# `hub.keras_layer.KerasLayer`): upstream's package imported them all.
_UPSTREAM_MODULE_PATHS = frozenset(
    {
        "compressed_module_resolver",
        "config",
        "estimator",
        "feature_column",
        "feature_column_v2",
        "file_utils",
        "image_module_info_pb2",
        "image_util",
        "keras_layer",
        "meta_graph_lib",
        "module",
        "module_attachment_pb2",
        "module_def_pb2",
        "module_impl",
        "module_spec",
        "module_v2",
        "native_module",
        "registry",
        "resolver",
        "saved_model_lib",
        "saved_model_module",
        "tensor_info",
        "tf_utils",
        "tools",
        "uncompressed_module_resolver",
        "version",
    }
)
_LAZY_SUBMODULES = frozenset({"constants", "errors", "keras", "utils"}) | _UPSTREAM_MODULE_PATHS


def __getattr__(name: str) -> Any:
    """Imports a public name (or one of `_LAZY_SUBMODULES`) on first access (PEP 562).

    Raises:
        AttributeError: if `name` is not part of the public API.
    """
    module_name = f".{name}" if name in _LAZY_SUBMODULES else _LAZY_ATTRIBUTES.get(name)
    if module_name is None:  # Also how `from tfhub import _archive` first asks: answer cheaply.
        raise AttributeError(f"module 'tfhub' has no attribute {name!r}")
    from importlib import import_module

    from .utils import collector

    def imported() -> Any:
        module = import_module(module_name, __name__)
        # A submodule: the import system has set the attribute. A name: reading it may import
        # more (`KerasLayer` imports Keras and TensorFlow).
        return module if name in _LAZY_SUBMODULES else getattr(module, name)

    value = collector.paused(imported)  # Those imports may be TensorFlow's: seconds.
    if name not in _LAZY_SUBMODULES:
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_ATTRIBUTES))
