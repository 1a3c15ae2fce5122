"""tensorflow_hub's `module_def_pb2` module path: the `ModuleDef` message of `tfhub_module.pb`
(built in `tfhub.protos`, wire-compatible with upstream's) and its file's `DESCRIPTOR`."""

from __future__ import annotations

from .protos import ModuleDef

DESCRIPTOR = ModuleDef.DESCRIPTOR.file

__all__ = ["DESCRIPTOR", "ModuleDef"]
