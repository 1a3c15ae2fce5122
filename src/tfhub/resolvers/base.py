"""The `Resolver` base class: `is_supported(handle)` plus a template-method `__call__`."""

from __future__ import annotations

import abc
import logging

from ..utils.redact import redact

logger = logging.getLogger(__name__)


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
        logger.debug("%s resolved %r to %s", type(self).__name__, redact(handle), path)
        return path
