"""tensorflow_hub's `module_impl` module path: `ModuleImpl`, what a `hub.Module` delegates to
(it lives in `tfhub.tf1.module_impl`)."""

from __future__ import annotations

from .tf1.module_impl import ModuleImpl

__all__ = ["ModuleImpl"]
