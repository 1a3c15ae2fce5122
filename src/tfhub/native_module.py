"""tensorflow_hub's `native_module` module path: what a TF1 Hub format user calls from it
(`create_module_spec`, `add_signature`, `attach_message`, the format's `Loader`,
`get_module_proto_path`). The code lives in `tfhub.tf1`; upstream's graph-surgery helpers of
this module are not public here."""

from __future__ import annotations

import os

from .saved_model_proto import TF1_MODULE_MARKER
from .tf1.native_module import add_signature, attach_message, create_module_spec
from .tf1.native_spec import Loader

__all__ = [
    "Loader",
    "add_signature",
    "attach_message",
    "create_module_spec",
    "get_module_proto_path",
]


def get_module_proto_path(module_dir: str | bytes) -> bytes:
    """Returns the path of a module folder's `tfhub_module.pb`, as bytes (as upstream)."""
    return os.path.join(os.fsencode(module_dir), TF1_MODULE_MARKER.encode())
