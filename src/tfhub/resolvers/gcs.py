"""gs:// archives (downloaded into the cache) and the gfile boundary for gs:// paths.

tfhub reaches Google Cloud Storage only through TensorFlow's `tf.io.gfile`, as upstream does.
`exists` and `open_binary` are that boundary: everything else in tfhub is filesystem-agnostic.
"""

from __future__ import annotations

from typing import Any

from .. import handles
from ..utils.lazy import import_tensorflow
from .base import Resolver


def exists(path: str) -> bool:
    """Returns True if a gs:// (or any tf.io.gfile) path exists. Imports TensorFlow."""
    tf = import_tensorflow("Reading gs:// paths")
    return bool(tf.io.gfile.exists(path))


def open_binary(path: str) -> Any:
    """Opens a gs:// (or any tf.io.gfile) file for binary reading. Imports TensorFlow."""
    tf = import_tensorflow("Reading gs:// paths")
    return tf.io.gfile.GFile(path, "rb")


class GcsCompressedResolver(Resolver):
    """Resolves gs://.../*.tar.gz (or .tgz, .tar) by extracting the archive into the cache."""

    def is_supported(self, handle: str) -> bool:
        return handles.scheme(handle) == "gs" and handles.is_archive_path(handle)

    def _resolve(self, handle: str) -> str:
        from .. import _archive
        from ..download import atomic_download

        url = handles.cache_handle(handle)  # The scheme lower-cased, as TensorFlow wants it.

        def fetch(target: str) -> _archive.ExtractResult:
            with open_binary(url) as archive:
                return _archive.extract_fileobj(archive, target, source=url)

        return atomic_download(url, fetch)
