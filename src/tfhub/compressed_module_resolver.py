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

    A subclass may narrow `is_supported` and call `super().__call__(handle)`. Resolution does not
    go through `_call_urlopen` (tfhub's downloads resume, retry and read TFHUB_* settings).
    """

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
