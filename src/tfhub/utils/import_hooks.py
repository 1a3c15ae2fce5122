"""Run a function right after a module is imported, or at once if it has been already.

`import tfhub` uses it for what must happen only once another package is in use: upstream's
absl flags are defined when `absl.flags` is imported (an absl app parses argv only after
that), so a program that never uses absl does not pay ~15 ms to import it; the KerasLayer
classes are registered when `keras` or `tf_keras` is imported (`keras/_registration.py`).

This module is on the path of every `import tfhub`, so it imports only what the interpreter
has loaded before running any code (`sys`, `_thread`): no `logging`, `threading`, `typing` or
`importlib.abc` (the latter imports `importlib.resources` and `pathlib` on Python 3.11). Its
finder and loader follow the import protocol by duck typing, which is all `sys.meta_path` asks.
"""

from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only (`typing` costs ~3 ms to import).
    from collections.abc import Callable, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

_lock = _thread.allocate_lock()
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
        import logging  # Only on failure: `logging` costs ~5 ms to import.

        logging.getLogger(__name__).debug(
            "A hook after importing %s failed.", module_name, exc_info=True
        )


def _run_pending(module_name: str) -> None:
    with _lock:
        callbacks = _pending.pop(module_name, [])
    for callback in callbacks:
        _run(module_name, callback)


class _ImportWatcher:
    """A `sys.meta_path` finder that finds nothing itself.

    For a watched module, it asks the finders after it for the real spec (as the import
    system would) and wraps that spec's loader so the module's hooks run after its code.
    """

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in _pending:
            return None
        spec = _find_after(self, fullname, path, target)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(spec.loader, fullname)  # type: ignore[assignment]  # Duck-typed.
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached (`importlib.invalidate_caches()` calls this on every finder)."""


def _find_after(
    watcher: _ImportWatcher, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    """Returns the spec the first finder after `watcher` on `sys.meta_path` gives, or None."""
    finders = list(sys.meta_path)
    start = finders.index(watcher) + 1 if watcher in finders else 0
    for finder in finders[start:]:
        find_spec = getattr(finder, "find_spec", None)
        spec = None if find_spec is None else find_spec(fullname, path, target)
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


class _HookedLoader:
    """Delegates to the real loader, then runs the hooks of that module."""

    def __init__(self, loader: Any, module_name: str) -> None:
        self._loader = loader
        self._module_name = module_name

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _run_pending(self._module_name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_resource_reader, get_data, ...
