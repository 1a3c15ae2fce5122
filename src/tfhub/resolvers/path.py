"""Local folders and file:// URLs; gs:// (and other tf.io.gfile) folders, read in place."""

from __future__ import annotations

import os

from .. import errors, handles
from . import gcs
from .base import Resolver


class PathResolver(Resolver):
    """Resolves handles that are paths: the last resolver tried, it accepts every handle."""

    def is_supported(self, handle: str) -> bool:
        """Accepts local paths, file://, and the schemes tf.io.gfile reads; not http(s) or typos.

        A `scheme://` handle of an unknown scheme (`htps://`, `ftp://`) is not a path: the
        registry then reports every resolver tried, without importing TensorFlow.
        """
        return not handles.is_http_url(handle) and handles.unknown_scheme(handle) is None

    def _resolve(self, handle: str) -> str:
        parsed = handles.parse(handle)
        if isinstance(parsed, handles.GcsPath):
            if not gcs.exists(parsed.url):
                raise errors.ModelNotFoundError(f"{handle} does not exist.", path=parsed.url)
            return parsed.url
        if isinstance(parsed, handles.LocalPath):
            # Other filesystems of tf.io.gfile (ram://, s3://, hdfs://...): as upstream, via gfile.
            found = gcs.exists if "://" in parsed.path else os.path.exists
            if not found(parsed.path):
                raise errors.ModelNotFoundError(f"{handle} does not exist.", path=parsed.path)
            return parsed.path
        raise errors.ModelNotFoundError(
            f"{handle} does not exist: no resolver accepted it as a URL, and it is not a local "
            "path.",
            path=handle,
        )
