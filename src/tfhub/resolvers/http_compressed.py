"""http(s) handles fetched as archives: `.tar.gz` URLs and the hosting protocol's compressed form.

As upstream, `?tf-hub-format=compressed` is added to every http(s) handle (merged with any query
there) and the handle *without* it is hashed for the cache folder. hub.tensorflow.google.cn is
mapped to its GCS mirror; Kaggle model URLs are canonicalized so both forms share one entry.
"""

from __future__ import annotations

from .. import cache, constants, handles
from .base import Resolver


class HttpCompressedResolver(Resolver):
    """Downloads and extracts http(s) archives into the cache (TFHUB_MODEL_LOAD_FORMAT AUTO or
    COMPRESSED)."""

    def is_supported(self, handle: str) -> bool:
        if not handles.is_http_url(handle):
            return False
        return constants.model_load_format() in (
            constants.ModelLoadFormat.COMPRESSED,
            constants.ModelLoadFormat.AUTO,
        )

    def _resolve(self, handle: str) -> str:
        parsed = handles.parse(handle)
        assert isinstance(parsed, (handles.HttpModel, handles.KaggleModel))
        key = handles.cache_handle(handle, parsed)
        if key != handle:  # Kaggle's other form, a signed URL: tensorflow_hub hashed it as given.
            as_given = cache.module_dir(handle)
            if cache.is_complete(as_given):
                return as_given
        module_path = cache.module_dir(key)
        if cache.is_complete(module_path):
            return module_path  # The hot path: no download machinery is imported.
        from ..archive_fetch import fetch_http_archive
        from ..download import atomic_download

        fetch = fetch_http_archive(parsed.download_url(), handle=handle)  # Returns the hashes.
        return atomic_download(key, fetch, module_path=module_path)
