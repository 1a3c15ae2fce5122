"""tensorflow_hub's `uncompressed_module_resolver` module path: the resolver of
`?tf-hub-format=uncompressed` under upstream's name and base.

As upstream, `HttpUncompressedFileResolver` is a `resolver.HttpResolverBase` with its helpers
(`_append_uncompressed_format_query`, a `_call_urlopen` that returns the 303's gs:// body,
`path_resolver`), so code written for tensorflow_hub can subclass it; what it resolves goes
through tfhub's `HttpUncompressedResolver` (bounded reads, checked locations, tfhub's errors).
"""

from __future__ import annotations

from typing import Any

from . import errors, handles, resolver
from .resolvers.http_uncompressed import (
    MAX_LOCATION_BYTES,
    HttpUncompressedResolver,
    refuse_offline,
)
from .utils.redact import redact

__all__ = ["HttpUncompressedFileResolver"]

_UNCOMPRESSED_FORMAT_QUERY = handles.UNCOMPRESSED_FORMAT_QUERY


class HttpUncompressedFileResolver(HttpUncompressedResolver, resolver.HttpResolverBase):
    """Resolves http(s) handles to the gs:// folder the hosting server names: tfhub's
    `HttpUncompressedResolver` as upstream's `HttpResolverBase` subclass.

    Resolution asks the server through tfhub's HTTP client (bounded reads, checked redirects,
    TFHUB_* settings), not through `_call_urlopen` (nor its `_set_url_context`): a subclass
    changes how the location is asked by overriding `_request_gcs_location`, and how it is
    read by replacing `path_resolver`.
    """

    def __init__(self) -> None:
        HttpUncompressedResolver.__init__(self)  # Neither chains to the other.
        resolver.HttpResolverBase.__init__(self)
        self.path_resolver = resolver.PathResolver()

    def _resolve(self, handle: str) -> str:
        """Upstream's `__call__`: `_request_gcs_location(url)` with the format query, then
        `self.path_resolver` (a subclass may override either, with upstream's signature); with
        TFHUB_OFFLINE set, OfflineModeError before any request."""
        refuse_offline(handle)
        return self.path_resolver(self._request_gcs_location(self._format_url(handle)))

    def _append_uncompressed_format_query(self, handle: str) -> str:
        """Returns the URL with `tf-hub-format=uncompressed` added, as upstream's method."""
        return self._append_format_query(handle, _UNCOMPRESSED_FORMAT_QUERY)

    def _request_gcs_location(self, url: str, *, handle: str | None = None) -> str:
        """Returns the gs:// location the server answers `url` (with the format query) with;
        upstream's call, with the URL only, names that URL in errors."""
        return super()._request_gcs_location(url, handle=url if handle is None else handle)

    def _call_urlopen(self, request: Any) -> Any:
        """Opens `request`, a `?tf-hub-format=uncompressed` URL, and returns the body of its
        303 See Other answer (a str), as upstream's method.

        Raises:
            tfhub.errors.InvalidHandleError: (a ValueError, as upstream's) for any other answer,
                or a body longer than MAX_LOCATION_BYTES (upstream read it all, however long it
                took) or not UTF-8 text (upstream's UnicodeDecodeError).
        """
        import urllib.error

        try:
            response = super()._call_urlopen(request)
        except urllib.error.HTTPError as err:  # urllib does not follow a 303 to gs://.
            with err:
                if err.code == 303:
                    return _location_text(_read_body(err, request), request)
            code = err.code
        else:
            code = response.status
            response.close()
        url = redact(str(getattr(request, "full_url", request)))
        raise errors.InvalidHandleError(
            f"Expected 303 See other HTTP response but received code {code} from {url}. Only "
            "hosting-protocol servers backed by a bucket name the gs:// folder of a model."
        )


def _read_body(response: Any, request: Any) -> bytes:
    """At most MAX_LOCATION_BYTES + 1 bytes of a 303 answer's body, read as they arrive and
    held to TFHUB_DOWNLOAD_MIN_SPEED, as tfhub's downloads are (a server dripping its body a
    byte at a time within TFHUB_HTTP_TIMEOUT held `read(n)` until all n bytes had come).

    Raises:
        tfhub.errors.DownloadTooSlowError: (a TimeoutError) the body arrives too slowly.
    """
    from .resolvers._progress import PacedReader

    reader = PacedReader(response, url=str(getattr(request, "full_url", request)))
    body = b""
    while len(body) <= MAX_LOCATION_BYTES:
        chunk = reader.read(MAX_LOCATION_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return body


def _location_text(body: bytes, request: Any) -> str:
    """The text of a 303 body read up to MAX_LOCATION_BYTES + 1 bytes, as sent.

    Raises:
        tfhub.errors.InvalidHandleError: the body is longer than MAX_LOCATION_BYTES, or is not
            UTF-8 text: no gs:// location either way.
    """
    url = redact(str(getattr(request, "full_url", request)))
    if len(body) > MAX_LOCATION_BYTES:
        problem = f"more than {MAX_LOCATION_BYTES} bytes"
    else:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as err:
            problem = f"bytes that are not UTF-8 text (\\x{body[err.start]:02x})"
    raise errors.InvalidHandleError(
        f"Expected server to return a GCS location but received {problem} in the 303 See "
        f"other answer from {url}. Check the handle, or tell the server's owner."
    )
