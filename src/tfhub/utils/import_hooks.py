"""Run a function right after a module is imported, or at once if it has been already.

`import tfhub` uses it for what must happen only once another package is in use: upstream's
absl flags are defined when `absl.flags` is imported (an absl app parses argv only after
that), so a program that never uses absl does not pay ~15 ms to import it; the KerasLayer
classes are registered when `keras` or `tf_keras` is imported (`keras/_registration.py`).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pending: dict[str, list[Callable[[], object]]] = {}


def call_after_import(module_name: str, callback: Callable[[], object]) -> None:
    """Calls `callback()` now if `module_name` is imported, else right after it is.

    The callback runs once, in the thread that imports the module, after the module's code has
    run. Its exceptions are logged (at debug level), never raised into that import.

    Args:
        module_name: the full dotted name ("absl.flags").
        callback: what to run.
    """
    with _lock:
        if not is_imported(module_name):
            _pending.setdefault(module_name, []).append(callback)
            if not any(isinstance(finder, _ImportWatcher) for finder in sys.meta_path):
                sys.meta_path.insert(0, _ImportWatcher())
            return
    _run(module_name, callback)


def is_imported(module_name: str) -> bool:
    """True if `module_name` is in sys.modules and done initializing."""
    module = sys.modules.get(module_name)
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def _run(module_name: str, callback: Callable[[], object]) -> None:
    try:
        callback()
    except Exception:
        logger.debug("A hook after importing %s failed.", module_name, exc_info=True)


def _run_pending(module_name: str) -> None:
    with _lock:
        callbacks = _pending.pop(module_name, [])
    for callback in callbacks:
        _run(module_name, callback)


class _ImportWatcher(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of a watched module to run its hooks after it."""

    def __init__(self) -> None:
        self._finding: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _pending or fullname in self._finding:
            return None
        self._finding.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)  # The real finders.
        finally:
            self._finding.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(spec.loader, fullname)
        return spec


class _HookedLoader(importlib.abc.Loader):
    """Delegates to the real loader, then runs the hooks of that module."""

    def __init__(self, loader: Any, module_name: str) -> None:
        self._loader = loader
        self._module_name = module_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _run_pending(self._module_name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_resource_reader, get_data, ...
