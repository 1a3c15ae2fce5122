"""tensorflow_hub's `saved_model_module` module path: `create_module_spec_from_saved_model` (it
lives in `tfhub.tf1.native_module`)."""

from __future__ import annotations

from .tf1.native_module import create_module_spec_from_saved_model

__all__ = ["create_module_spec_from_saved_model"]
