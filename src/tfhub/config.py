"""tensorflow_hub's `config` module path. Upstream's `config._run()`, run when tensorflow_hub was
imported, registered the built-in resolvers and the TF1 Hub module loader; in tfhub the loader
is registered with `tfhub.tf1` and the resolvers on first use, so `_run()` only makes sure of
the resolvers."""

from __future__ import annotations

from .resolvers import install_default_resolvers

__all__: list[str] = []


def _run() -> None:
    """Installs the built-in resolvers, once (upstream's entry point)."""
    install_default_resolvers()
