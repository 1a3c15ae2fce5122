"""tensorflow_hub's `module_v2` module path: `resolve` and `load` (they live in
`tfhub.saved_model`)."""

from __future__ import annotations

from .saved_model import load, resolve

__all__ = ["load", "resolve"]
