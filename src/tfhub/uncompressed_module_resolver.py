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
from .resolvers import upstream_classes
from .resolvers.http_uncompressed import (
    MAX_LOCATION_BYTES,
    HttpUncompressedResolver,
    _check_location,
    refuse_offline,
)
from .utils.redact import redact

__all__ = ["HttpUncompressedFileResolver"]

_UNCOMPRESSED_FORMAT_QUERY = handles.UNCOMPRESSED_FORMAT_QUERY


class HttpUncompressedFileResolver(HttpUncompressedResolver, resolver.HttpResolverBase):
    """Resolves http(s) handles to the gs:// folder the hosting server names: tfhub's
    `HttpUncompressedResolver` as upstream's `HttpResolverBase` subclass.

    Resolution asks the server through tfhub's HTTP client (bounded reads, checked redirects,
    TFHUB_* settings) while `_call_urlopen` is this module's own over `HttpResolverBase`'s; a
    subclass changes how the location is asked by overriding `_request_gcs_location`, and how
    it is read by replacing `path_resolver`. Where `_call_urlopen` is replaced (patched here or
    on `resolver.HttpResolverBase`, as upstream's tests do, or overridden by a subclass), the
    location is what it returns for a `urllib.request.Request` of the URL, as upstream read it.
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
        upstream's call, with the URL only, names that URL in errors. Through `_call_urlopen`
        where it is replaced (see the class).

        Raises:
            tfhub.errors.InvalidHandleError: (a ValueError, upstream's message first) the
                answer is not a 303, or names no gs:// folder.
        """
        if self._call_urlopen_replaced():
            import urllib.request

            return _gcs_location(self._call_urlopen(urllib.request.Request(url)), url=url)
        return super()._request_gcs_location(url, handle=url if handle is None else handle)

    def _call_urlopen_replaced(self) -> bool:
        """Whether `_call_urlopen`, looked up now, is not this module's own over
        `resolver.HttpResolverBase`'s own (`resolver._ORIGINAL_CALL_URLOPEN`)."""
        own = getattr(type(self), "_call_urlopen", None) is _OWN_CALL_URLOPEN
        base = vars(resolver.HttpResolverBase).get("_call_urlopen")
        return not own or base is not resolver._ORIGINAL_CALL_URLOPEN

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
            code = response.code  # As upstream read it (an HTTPResponse's status).
            response.close()
        url = redact(str(getattr(request, "full_url", request)))
        raise errors.InvalidHandleError(
            f"Expected 303 See other HTTP response but received code {code} from {url}. Only "
            "hosting-protocol servers backed by a bucket name the gs:// folder of a model."
        )


_OWN_CALL_URLOPEN = vars(HttpUncompressedFileResolver)["_call_urlopen"]


def _gcs_location(answer: object, *, url: str) -> str:
    """The gs:// location in what a replaced `_call_urlopen` returned for `url` (upstream's
    took its text as the location).

    Raises:
        tfhub.errors.InvalidHandleError: (a ValueError, upstream's message first) it names no
            gs:// folder.
    """
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return _check_location(text.encode("utf-8"), url=url)


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


# A class-level patch (upstream's tests patch `_request_gcs_location`, and `_call_urlopen` on
# `resolver.HttpResolverBase`) reaches hub.resolve, hub.load and hub.Module, as upstream's did.
upstream_classes.record(
    "tfhub.resolvers.http_uncompressed.HttpUncompressedResolver", HttpUncompressedFileResolver
)
