"""tensorflow_hub's `image_module_info_pb2` module path: the `ImageModuleInfo` message (built in
`tfhub.protos`, wire-compatible with upstream's) and its file's `DESCRIPTOR`."""

from __future__ import annotations

from .protos import ImageModuleInfo

DESCRIPTOR = ImageModuleInfo.DESCRIPTOR.file

__all__ = ["DESCRIPTOR", "ImageModuleInfo"]
