"""The loader registry: which code turns a module folder into a `hub.ModuleSpec`.

As upstream's `registry.loader`: `hub.load_module_spec` asks `loader(path, handle=...)`, and the
native TF1 Hub format's `Loader` is registered where the package is assembled
(`tfhub/tf1/__init__.py`), so no module imports the implementation it dispatches to.
"""

from __future__ import annotations

from typing import Any

from ..resolvers.registry import MultiImplRegistry

loader: MultiImplRegistry[Any] = MultiImplRegistry("loader")
