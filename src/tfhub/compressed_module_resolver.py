"""tensorflow_hub's `compressed_module_resolver` module path: the resolvers of archives over
http(s) and gs:// under upstream's names and bases.

As upstream, `HttpCompressedFileResolver` is a `resolver.HttpResolverBase` (with its helpers and
`_append_compressed_format_query`) and `GcsCompressedFileResolver` a `resolver.Resolver`, so code
written for tensorflow_hub can subclass them; what they resolve goes through tfhub's own
resolvers (`tfhub.resolvers`): the cache, the safe extraction, the retries and the errors.
"""

from __future__ import annotations

from . import handles, resolver
from .resolvers import upstream_classes
from .resolvers.gcs import GcsCompressedResolver
from .resolvers.http_compressed import HttpCompressedResolver

# Upstream's lock timeout constant; tfhub waits while the holder shows signs of life, bounded by
# TFHUB_LOCK_TIMEOUT (see tfhub.constants).
LOCK_FILE_TIMEOUT_SEC = 10 * 60
_COMPRESSED_FORMAT_QUERY = handles.COMPRESSED_FORMAT_QUERY

__all__ = ["GcsCompressedFileResolver", "HttpCompressedFileResolver", "LOCK_FILE_TIMEOUT_SEC"]


def _module_dir(handle: str) -> str:
    """Returns the cache folder of `handle`, the one `hub.resolve` uses (`<cache>/<sha1>` of
    `handles.cache_handle(handle)`, or of the handle as given where tensorflow_hub left a
    complete entry), creating the cache folder (tensorflow_hub 0.10's function; its tests and
    resolvers written for it call it)."""
    from . import cache

    cache_dir = resolver.tfhub_cache_dir(use_temp=True)
    assert cache_dir is not None  # use_temp=True always gives a folder.
    key = handles.cache_handle(handle)
    if key != handle:  # As HttpCompressedResolver: tensorflow_hub hashed it as given.
        as_given = resolver.create_local_module_dir(cache_dir, handles.cache_key(handle))
        if cache.is_complete(as_given):
            return as_given
    return resolver.create_local_module_dir(cache_dir, handles.cache_key(key))


def _is_tarfile(filename: str) -> bool:
    """Returns True if `filename` names a tar archive (tensorflow_hub 0.10's function)."""
    return filename.endswith((".tar", ".tar.gz", ".tgz"))


def _append_compressed_format_query(handle: str) -> str:
    """Returns the URL with `tf-hub-format=compressed` added (tensorflow_hub 0.10's function)."""
    return handles.append_format_query(handle, _COMPRESSED_FORMAT_QUERY)


class HttpCompressedFileResolver(HttpCompressedResolver, resolver.HttpResolverBase):
    """Downloads and extracts http(s) archives into the cache: tfhub's `HttpCompressedResolver`
    as upstream's `HttpResolverBase` subclass.

    A subclass may narrow `is_supported` and call `super().__call__(handle)`. Resolution goes
    through tfhub's downloads (they resume, retry and read TFHUB_* settings) while
    `_call_urlopen` is `HttpResolverBase`'s own; where it is replaced (patched there or here, or
    overridden by a subclass), as upstream: the archive it returns for a `urllib.request.Request`
    of the URL with the format query is extracted into the same cache entry.
    """

    def _resolve(self, handle: str) -> str:
        """The cache entry of `handle`, downloaded if missing (see the class)."""
        if getattr(type(self), "_call_urlopen", None) is resolver._ORIGINAL_CALL_URLOPEN:
            return super()._resolve(handle)
        return self._download_through_urlopen(handle)

    def _download_through_urlopen(self, handle: str) -> str:
        """Upstream's download: `_call_urlopen`'s answer, extracted by `DownloadManager` into
        `_module_dir(handle)` under `atomic_download` (a complete entry is returned as it is).

        Raises:
            tfhub.errors.OfflineModeError: TFHUB_OFFLINE is set and the entry is missing.
            tfhub.errors.LockTimeoutError: another process downloading the same entry showed
                no sign of life for `_lock_file_timeout_sec()` seconds.
            tfhub.errors.ArchiveError: (an IOError) the answer is not a readable tar archive
                (`NotAnArchiveError` for one that is no archive, `UnsafeArchiveError` for a
                member that would land outside the entry).
            tfhub.errors.DownloadTooSlowError: (a TimeoutError) the answer arrives more slowly
                than TFHUB_DOWNLOAD_MIN_SPEED.
            tfhub.errors.CacheError: the entry cannot be written.
            Whatever `_call_urlopen` raises (`urllib.error.HTTPError`, `URLError`, as
            upstream's).
        """
        import urllib.request

        def download(handle: str, tmp_dir: str) -> None:
            request = urllib.request.Request(self._append_compressed_format_query(handle))
            response = self._call_urlopen(request)
            try:
                resolver.DownloadManager(handle).download_and_uncompress(response, tmp_dir)
            finally:
                close = getattr(response, "close", None)
                if callable(close):
                    close()

        module_dir = _module_dir(handle)
        resolver.atomic_download(handle, download, module_dir, self._lock_file_timeout_sec())
        return module_dir

    def _lock_file_timeout_sec(self) -> float:
        """Upstream's lock timeout (tfhub's downloads are bounded by TFHUB_LOCK_TIMEOUT)."""
        return LOCK_FILE_TIMEOUT_SEC

    def _append_compressed_format_query(self, handle: str) -> str:
        """Returns the URL with `tf-hub-format=compressed` added, as upstream's method."""
        return _append_compressed_format_query(handle)


class GcsCompressedFileResolver(GcsCompressedResolver, resolver.Resolver):
    """Extracts gs://.../*.tar.gz (or .tgz, .tar) archives into the cache: tfhub's
    `GcsCompressedResolver` as upstream's `resolver.Resolver` subclass."""


# A class-level patch of either (upstream's tests patch `HttpCompressedFileResolver.__call__`)
# reaches hub.resolve, hub.load and hub.Module, as upstream's registered instances did.
upstream_classes.record(
    "tfhub.resolvers.http_compressed.HttpCompressedResolver", HttpCompressedFileResolver
)
upstream_classes.record("tfhub.resolvers.gcs.GcsCompressedResolver", GcsCompressedFileResolver)
