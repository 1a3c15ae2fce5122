"""tensorflow_hub's `saved_model_lib` module path: the TF1 Hub format's SavedModel handling
(`SavedModelHandler`, `load`, signatures and attached messages in a graph). It lives in
`tfhub.tf1.saved_model_lib`."""

from __future__ import annotations

from .tf1.saved_model_lib import (
    ATTACHMENT_COLLECTION_SAVED,
    SavedModelHandler,
    add_signature,
    attach_bytes,
    get_attached_bytes_map,
    get_variables_path,
    load,
)

__all__ = [
    "ATTACHMENT_COLLECTION_SAVED",
    "SavedModelHandler",
    "add_signature",
    "attach_bytes",
    "get_attached_bytes_map",
    "get_variables_path",
    "load",
]
