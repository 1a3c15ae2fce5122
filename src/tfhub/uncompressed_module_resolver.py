"""tensorflow_hub's `uncompressed_module_resolver` module path: the resolver of
`?tf-hub-format=uncompressed` under upstream's name (it lives in `tfhub.resolvers`)."""

from __future__ import annotations

from .resolvers.http_uncompressed import HttpUncompressedResolver as HttpUncompressedFileResolver

__all__ = ["HttpUncompressedFileResolver"]
