"""Imports of heavy optional dependencies, done on first use with an install hint."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

_INSTALL_HINT = 'Install it with: pip install "tfhub[tf]" (TensorFlow 2.21 and tf_keras).'


_NATIVE_LOGGING = ("tensorflow", "keras", "tf_keras")
_quiet_native_logs = False


def quiet_native_logs(quiet: bool) -> None:
    """Asks that TensorFlow's C++ start-up messages be hidden when it is first imported.

    The `tfhub` command sets this unless `-v`: TensorFlow prints CUDA and CPU-feature lines to
    the process's stderr (file descriptor 2) while importing, before any Python logging.
    """
    global _quiet_native_logs
    _quiet_native_logs = quiet


@contextlib.contextmanager
def _native_stderr_silenced(module_name: str) -> Iterator[None]:
    if not _quiet_native_logs or module_name.split(".")[0] not in _NATIVE_LOGGING:
        yield
        return
    if "tensorflow" in sys.modules:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


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
        with _native_stderr_silenced(module_name):
            return importlib.import_module(module_name)
    except ImportError as err:
        raise ImportError(f"{purpose} needs the package {module_name!r}. {_INSTALL_HINT}") from err


def import_tensorflow(purpose: str = "This tfhub feature") -> ModuleType:
    """Returns the `tensorflow` module, imported on first use.

    Raises:
        ImportError: if TensorFlow is not installed.
    """
    return import_optional("tensorflow", purpose=purpose)
