"""Feature columns over hub modules: `tfhub.text_embedding_column` and friends.

Importing this package imports TensorFlow (the columns subclass TensorFlow's column classes) and
registers the column classes, so tf_keras `DenseFeatures.from_config` finds them by name.
"""

from __future__ import annotations

from ._base import HubDenseColumn as DenseFeatureColumn  # Upstream's name of the base class.

# Upstream's column classes (the _ names), at the module path upstream's code and tests name
# them (`hub.feature_column._TextEmbeddingColumn`); not in __all__: upstream's were private.
from .image import _ImageEmbeddingColumn as _ImageEmbeddingColumn
from .image import image_embedding_column
from .text import _SparseTextEmbeddingColumn as _SparseTextEmbeddingColumn
from .text import _TextEmbeddingColumn as _TextEmbeddingColumn
from .text import sparse_text_embedding_column, text_embedding_column
from .text_v2 import text_embedding_column_v2

__all__ = [
    "DenseFeatureColumn",
    "image_embedding_column",
    "sparse_text_embedding_column",
    "text_embedding_column",
    "text_embedding_column_v2",
]
