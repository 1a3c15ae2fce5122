"""tensorflow_hub's `feature_column_v2` module path: `text_embedding_column_v2` (it lives in
`tfhub.feature_column`)."""

from __future__ import annotations

from .feature_column import text_embedding_column_v2

# Upstream's column class, where its code and tests name it (private, not in __all__).
from .feature_column.text_v2 import _TextEmbeddingColumnV2 as _TextEmbeddingColumnV2

__all__ = ["text_embedding_column_v2"]
