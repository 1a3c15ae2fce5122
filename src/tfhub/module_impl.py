"""tensorflow_hub's `module_impl` module path: `ModuleImpl`, the interface a `hub.Module`
delegates to, which a `ModuleSpec` of one's own implements (it lives in `tfhub.tf1.module_impl`,
beside tfhub's own implementation for the TF1 Hub format, `NativeModuleImpl`)."""

from __future__ import annotations

from .tf1.module_impl import ModuleImpl

__all__ = ["ModuleImpl"]
