"""tensorflow_hub's `estimator` module path: `LatestModuleExporter` and
`register_module_for_export` (they live in `tfhub.tf1.export`)."""

from __future__ import annotations

from .tf1.export import LatestModuleExporter, register_module_for_export

__all__ = ["LatestModuleExporter", "register_module_for_export"]
