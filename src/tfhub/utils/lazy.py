"""Imports of heavy optional dependencies, done on first use with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

_INSTALL_HINT = 'Install it with: pip install "tfhub[tf]" (TensorFlow 2.21 and tf_keras).'


def import_optional(module_name: str, *, purpose: str) -> ModuleType:
    """Imports `module_name`, or raises an ImportError that says how to install it.

    Args:
        module_name: dotted module name, e.g. "tensorflow".
        purpose: what the caller needs it for, quoted in the error.

    Returns:
        The imported module.

    Raises:
        ImportError: if the module is not installed.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as err:
        raise ImportError(f"{purpose} needs the package {module_name!r}. {_INSTALL_HINT}") from err


def import_tensorflow(purpose: str = "This tfhub feature") -> ModuleType:
    """Returns the `tensorflow` module, imported on first use.

    Raises:
        ImportError: if TensorFlow is not installed.
    """
    return import_optional("tensorflow", purpose=purpose)
