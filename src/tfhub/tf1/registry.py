"""The loader registry: which code turns a module folder into a `hub.ModuleSpec`.

As upstream's `registry.loader`: `hub.load_module_spec` asks `loader.load(path, handle=...)`, and
the native TF1 Hub format's `Loader` is registered where the package is assembled
(`tfhub/tf1/__init__.py`), so no module imports the implementation it dispatches to.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..resolvers.registry import MultiImplRegistry


class LoaderRegistry(MultiImplRegistry[Any]):
    """The registry of module loaders, with upstream's protocol: `is_supported(path)` and
    `loader(path)`, so a loader written for tensorflow_hub works as it is."""

    def load(self, path: str, *, handle: str | None = None) -> Any:
        """Returns the spec from the most recently registered loader that supports `path`.

        A loader whose call takes `handle=` (tfhub's native `Loader`, which names the handle
        in its errors) gets it; any other gets the path alone, as upstream called it.

        Args:
            path: the module's local (or gfile) folder.
            handle: what the user loaded, if it differs from `path`.

        Raises:
            tfhub.errors.UnsupportedHandleError: (a RuntimeError) no loader supports `path`; it
                lists every one tried.
        """
        for impl in reversed(self.implementations):
            if impl.is_supported(path):
                return impl(path, handle=handle) if _takes_handle(impl) else impl(path)
        return self(path)  # None supports it: raises, listing each one tried.


def _takes_handle(impl: Any) -> bool:
    """Whether calling `impl` accepts the keyword argument `handle`."""
    try:
        parameters = inspect.signature(impl).parameters.values()
    except (TypeError, ValueError):  # No signature to read: call it as upstream did.
        return False
    return any(
        p.name == "handle" and p.kind is not p.POSITIONAL_ONLY or p.kind is p.VAR_KEYWORD
        for p in parameters
    )


loader = LoaderRegistry("loader")
