"""tensorflow_hub's `module_attachment_pb2` module path: the `ModuleAttachment` message (built in
`tfhub.protos`, wire-compatible with upstream's) and its file's `DESCRIPTOR`."""

from __future__ import annotations

from .protos import ModuleAttachment

DESCRIPTOR = ModuleAttachment.DESCRIPTOR.file

__all__ = ["DESCRIPTOR", "ModuleAttachment"]
