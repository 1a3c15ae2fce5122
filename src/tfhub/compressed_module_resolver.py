"""tensorflow_hub's `compressed_module_resolver` module path: the resolvers of archives over
http(s) and gs:// under upstream's names (they live in `tfhub.resolvers`)."""

from __future__ import annotations

from .resolvers.gcs import GcsCompressedResolver as GcsCompressedFileResolver
from .resolvers.http_compressed import HttpCompressedResolver as HttpCompressedFileResolver

# Upstream's lock timeout constant; tfhub waits while the holder shows signs of life, bounded by
# TFHUB_LOCK_TIMEOUT (see tfhub.constants).
LOCK_FILE_TIMEOUT_SEC = 10 * 60

__all__ = ["GcsCompressedFileResolver", "HttpCompressedFileResolver", "LOCK_FILE_TIMEOUT_SEC"]
