"""gs:// archives, downloaded into the cache through the gfile boundary (`tfhub.gfile_io`,
whose names this module also gives: `exists`, `open_binary`, `read_bytes` ...).
"""

from __future__ import annotations

from typing import Any

from .. import errors, handles
from ..gfile_io import (
    READ_STEP,
    access_todo,
    exists,
    is_file,
    open_binary,
    read_bytes,
    unreadable_error,
    walk,
)
from ..utils.redact import redact
from . import _progress
from .base import Resolver

__all__ = [
    "READ_STEP",
    "GcsCompressedResolver",
    "access_todo",
    "exists",
    "is_file",
    "open_binary",
    "read_bytes",
    "unreadable_error",
    "walk",
]


class GcsCompressedResolver(Resolver):
    """Resolves gs://.../*.tar.gz (or .tgz, .tar) by extracting the archive into the cache."""

    def is_supported(self, handle: str) -> bool:
        return handles.scheme(handle) == "gs" and handles.is_archive_path(handle)

    def _resolve(self, handle: str) -> str:
        from .. import _archive
        from ..archive_fetch import with_archive_hint
        from ..download import atomic_download

        url = handles.cache_handle(handle)  # The scheme lower-cased, as TensorFlow wants it.

        def fetch(target: str) -> _archive.ExtractResult:
            try:
                with (
                    open_binary(url) as archive,
                    _progress.counted(
                        archive, description=f"Downloading {url}", total=_size_for_bar(archive)
                    ) as reader,
                ):
                    return _archive.extract_fileobj(reader, target, source=redact(url))
            except errors.NotAnArchiveError as err:
                raise errors.NotAnArchiveError(f"{err} Check the handle.") from err
            except errors.ArchiveError as err:
                raise with_archive_hint(err, remote=True) from err

        return atomic_download(url, fetch)


def _size_for_bar(archive: Any) -> int | None:
    """The archive's size for a progress bar (asked only when bars are on: one request)."""
    size = getattr(archive, "size", None)
    return size() if callable(size) and _progress.bars_enabled() else None
