"""tensorflow_hub's `config` module path. Upstream's `config._run()`, run when tensorflow_hub was
imported (and by its tests after `registry._clear()`), registered the built-in resolvers and the
TF1 Hub module loader; in tfhub they are registered on first use and with `tfhub.tf1`, and
`_run()` registers again those the registries lack."""

from __future__ import annotations

from .resolvers import reinstall_default_resolvers

__all__: list[str] = []


def _run() -> None:
    """Registers the built-in resolvers and the TF1 Hub format's loader, each one the registries
    lack (upstream's entry point): after `registry._clear()`, the registries are as a fresh
    import leaves them; otherwise nothing is registered twice."""
    reinstall_default_resolvers()
    from .tf1 import native_spec, registry  # No TensorFlow: as `import tfhub.registry` does.

    if not any(type(impl) is native_spec.Loader for impl in registry.loader.implementations):
        registry.loader.add_implementation(native_spec.Loader())
