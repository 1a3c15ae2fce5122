"""The `Resolver` base class: `is_supported(handle)` plus a template-method `__call__`."""

from __future__ import annotations

import abc
import sys
from typing import Any

from ..utils.redact import redact


class Resolver(abc.ABC):
    """Turns handles of one kind into local folders.

    Subclasses implement `is_supported` and `_resolve`; `__call__` does the shared work
    (logging) around `_resolve`. Upstream-style resolvers (any object with `is_supported(handle)`
    and `__call__(handle)`) can be registered too.
    """

    @abc.abstractmethod
    def is_supported(self, handle: str) -> bool:
        """Returns True if the handle has the form this resolver handles (not that it exists)."""

    @abc.abstractmethod
    def _resolve(self, handle: str) -> str:
        """Returns the local folder (or gs:// path) of a supported handle."""

    def __call__(self, handle: str) -> str:
        """Resolves a supported handle.

        Args:
            handle: a handle for which `is_supported` returned True.

        Returns:
            The path of the folder that holds the model.
        """
        path = self._resolve(handle)
        _log_resolved(type(self).__name__, handle, path)
        return path


def debug_logger(name: str) -> Any:
    """The logger `name` if the program has imported `logging` and that logger logs DEBUG;
    else None (nothing to log, and nothing to format).

    A program that never imported `logging` has configured no handler, so a DEBUG record would
    reach none; importing `logging` (5-8 ms) would be a quarter of a cached handle's first
    resolve in a fresh process, which imports nothing else it does not need.
    """
    logging = sys.modules.get("logging")
    if logging is None:
        return None
    logger = logging.getLogger(name)
    return logger if logger.isEnabledFor(logging.DEBUG) else None


def _log_resolved(resolver: str, handle: str, path: str) -> None:
    """Logs a resolve at DEBUG level (see `debug_logger`)."""
    logger = debug_logger(__name__)
    if logger is not None:
        logger.debug("%s resolved %r to %s", resolver, redact(handle), path)
