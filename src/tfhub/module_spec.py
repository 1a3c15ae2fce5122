"""tensorflow_hub's `module_spec` module path: `ModuleSpec` (it lives in `tfhub.tf1`)."""

from __future__ import annotations

from .tf1.module_spec import ModuleSpec

__all__ = ["ModuleSpec"]
