"""tensorflow_hub's `registry` module path: `resolver` and `loader`, the registries that
`hub.resolve` and `hub.load_module_spec` ask, and their class.

Code written for tensorflow_hub 0.10, which had no `hub.register_resolver`, registers its
resolvers with `registry.resolver.add_implementation(...)`: as upstream, the built-in resolvers
are in place once this module is imported, so a resolver added here is tried before them.
"""

from __future__ import annotations

from .resolvers import install_default_resolvers
from .resolvers import registry as resolver
from .resolvers.registry import MultiImplRegistry as MultiImplRegister
from .tf1.registry import loader

install_default_resolvers()


def _clear() -> None:
    """Removes every resolver and loader, as upstream's test helper; `config._run()` registers
    the built-in ones again."""
    resolver.clear_implementations()
    loader.clear_implementations()


__all__ = ["MultiImplRegister", "loader", "resolver"]
