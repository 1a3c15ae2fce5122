"""http(s) handles read in place from GCS (TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED).

The server is asked for `?tf-hub-format=uncompressed` and must answer `303 See Other` with the
model's gs:// folder in the body (after plain redirects, e.g. from http to https, and 303s whose
Location is an http(s) address, e.g. a mirror's, which are followed as urllib followed them for
upstream), which is then read in place through tf.io.gfile.
The body is read up to MAX_LOCATION_BYTES and must be a plain `gs://bucket/path`: a hostile or
broken server cannot make tfhub read megabytes or hand TensorFlow an arbitrary string.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from .. import constants, errors, handles
from ..utils import urls
from ..utils.printable import escaped
from ..utils.redact import redact
from .base import Resolver
from .path import PathResolver

MAX_LOCATION_BYTES = 4096
MAX_REDIRECTS = 30  # As requests (and so the compressed format's downloads).
_PLAIN_REDIRECTS = frozenset({301, 302, 307, 308})


class HttpUncompressedResolver(Resolver):
    """Resolves http(s) handles to the gs:// folder the hosting server names."""

    def __init__(self) -> None:
        self._path_resolver = PathResolver()

    def is_supported(self, handle: str) -> bool:
        if not handles.is_http_url(handle):
            return False
        return constants.model_load_format() is constants.ModelLoadFormat.UNCOMPRESSED

    def _resolve(self, handle: str) -> str:
        refuse_offline(handle)
        url = self._format_url(handle)
        return self._path_resolver(self._request_gcs_location(url, handle=handle))

    def _format_url(self, handle: str) -> str:
        """The URL asked for the gs:// location: the handle with `tf-hub-format=uncompressed`."""
        parsed = handles.parse(handle)
        # As upstream, the URL as given; Kaggle models at the same address as compressed ones
        # (TFHUB_KAGGLE_ENDPOINT's, a model's page without its version too; a signed URL not).
        if isinstance(parsed, handles.KaggleModel):
            model_url = parsed.model_url()
        else:
            model_url = handles.kaggle_mirror_url(str(parsed))
        return handles.append_format_query(model_url, handles.UNCOMPRESSED_FORMAT_QUERY)

    def _request_gcs_location(self, url: str, *, handle: str) -> str:
        """Returns the gs:// location from the server's 303 answer (plain redirects, and 303s
        to http(s) addresses, followed).

        Raises:
            tfhub.errors.RedirectLoopError: more than MAX_REDIRECTS redirects;
                UnfollowableRedirectError: a plain one to an address that is not http(s);
                UnreadableRedirectError: one whose Location cannot be read (DownloadErrors and,
                as upstream raised for any answer but a 303, ValueErrors).
            tfhub.errors.InvalidHandleError: (a ValueError, upstream's messages first) if the
                answer is not a 303, or its body is longer than MAX_LOCATION_BYTES or is not a
                gs:// path.
        """
        from .. import _http, _http_deadline, _token
        from .._http_errors import redirect_loop_error

        # One TFHUB_HTTP_RETRY_TIMEOUT for the redirects in all, as requests' redirects share it.
        budget = _http_deadline.RetryBudget(handle=handle, url=url)
        response = _http.get(
            url, handle=handle, allow_redirects=False, max_body=MAX_LOCATION_BYTES, budget=budget
        )
        redirects, with_token = 0, True
        while (target := _redirect_target(response, url=url, handle=handle)) is not None:
            if redirects == MAX_REDIRECTS:
                raise redirect_loop_error(
                    f"Cannot resolve {handle!r}",
                    status=response.status_code,
                    url=url,
                    target=target,
                    limit=MAX_REDIRECTS,
                )
            redirects += 1
            budget.redirected()  # A chain of slow redirects is bounded as failures are.
            # As requests: the token never follows to another host or port, nor to plain http.
            with_token = with_token and _token.kept_on_redirect(url, target)
            url = target
            response = _http.get(
                url,
                handle=handle,
                allow_redirects=False,
                max_body=MAX_LOCATION_BYTES,
                with_token=with_token,
                budget=budget,
            )
        try:
            if response.status_code != 303:
                raise _no_location_error(response, url=url, handle=handle)
            body = response.content
        finally:
            response.close()
        return _check_location(body, url=url)


# Answers refusing the request itself (Bad Request, Not Implemented), not the model: a server
# without the uncompressed format may give them to `?tf-hub-format=uncompressed`.
_REFUSED_REQUEST = frozenset({400, 501})


def _no_location_error(response: Any, *, url: str, handle: str) -> errors.InvalidHandleError:
    """The error for an answer other than 303 (upstream's ValueError message first): for an
    error status, what it means and what to do, as the compressed format says it (check the
    handle, try again later, ...); for a 200, a 406 or another answer, that this server offers
    no gs:// location, so switch format. Quotes the server's text/plain explanation."""
    from .. import _http, _http_status, _token

    status = response.status_code
    said = _http.server_says_text(response, None) if status != 200 else None  # Read by the capper.
    if said:  # It may quote the token or the URL's credentials it was sent.
        said = _token.without_secrets(said, url, limit=_http.SAID_CHARACTERS)
    message = f"Expected 303 See other HTTP response but received code {status} from {redact(url)}."
    if status == 304 or (status >= 400 and status != 406):
        retries = getattr(response, "_tfhub_retries", None)
        advice = _http_status.status_advice(
            status, handle=handle, url=url, server_says=said, retries=retries
        )
        if status in _REFUSED_REQUEST:  # The handle may be fine: the format is what it lacks.
            advice = (
                " The server may not offer the uncompressed format, which "
                f"{constants.TFHUB_MODEL_LOAD_FORMAT}=UNCOMPRESSED asks for. Unset "
                f"{constants.TFHUB_MODEL_LOAD_FORMAT} (or set it to COMPRESSED) to download the "
                f"archive.{advice}"
            )
        return errors.InvalidHandleError(message + advice)
    if said:
        message += f' The server says: "{said.rstrip(".")}."'
    if status == 200 and _is_page(response):
        return errors.InvalidHandleError(
            f"{message} The server sent a web page (text/html), not the gs:// location of the "
            "model's files: a model's page, or a login page? Check the handle (a model on a "
            "hosting-protocol server). UNCOMPRESSED needs a server backed by a bucket: unset "
            f"{constants.TFHUB_MODEL_LOAD_FORMAT} (or set it to COMPRESSED) to download the "
            "archive instead."
        )
    sent = (
        "The server sent the model itself, not the gs:// location of its files"
        if status == 200
        else "The server gave no gs:// location of the model's files"
    )
    return errors.InvalidHandleError(
        f"{message} {sent}: {constants.TFHUB_MODEL_LOAD_FORMAT}=UNCOMPRESSED reads models in "
        "place from a bucket, which only hosting-protocol servers backed by one offer. Unset "
        f"{constants.TFHUB_MODEL_LOAD_FORMAT} (or set it to COMPRESSED) to download the archive."
    )


def _is_page(response: Any) -> bool:
    """Whether an answer says it is a web page (HTML, XHTML) by its Content-Type (its body,
    maybe a whole archive, is not read)."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml")


def refuse_offline(handle: str) -> None:
    """Raises OfflineModeError, before any request, if TFHUB_OFFLINE is set: UNCOMPRESSED asks
    the server for the model's gs:// folder and reads it in place, so no cache entry serves it.

    Raises:
        tfhub.errors.OfflineModeError: (a FileNotFoundError, as the compressed format's) naming
            the handle and what to do.
        tfhub.errors.SettingError: TFHUB_OFFLINE is neither a yes nor a no.
    """
    if not constants.is_offline():
        return
    shown = redact(handle)
    raise errors.OfflineModeError(
        f"TFHUB_OFFLINE is set and {shown!r} would be read in place from the gs:// folder its "
        f"server names ({constants.TFHUB_MODEL_LOAD_FORMAT}=UNCOMPRESSED), which needs the "
        "network: offline mode serves cached archives only. Unset "
        f"{constants.TFHUB_MODEL_LOAD_FORMAT} (or set it to COMPRESSED) to use the cache (pre-fill "
        f"it with `tfhub pull {shown}` where the network is available), or unset TFHUB_OFFLINE.",
        handle=shown,
    )


def _redirect_target(response: Any, *, url: str, handle: str) -> str | None:
    """The URL a plain redirect (301, 302, 307, 308), or a 303 whose Location is an http(s)
    address (absolute or relative), leads to; None for any other answer (a 303 to gs:// or
    without a Location: its body names the location, as urllib left it to upstream).

    Raises:
        tfhub.errors.UnfollowableRedirectError: (a DownloadError, an HTTPError and a ValueError,
            as upstream's) a redirect to an address that is not http(s).
        tfhub.errors.UnreadableRedirectError: a Location that cannot be read
            (`_http_redirect.redirect_target`).
        tfhub.errors.InsecureRedirectError: a redirect from https to plain http.
    """
    location = response.headers.get("Location")
    if not location or not (
        response.status_code in _PLAIN_REDIRECTS
        or (response.status_code == 303 and _names_http(location))
    ):
        return None
    response.close()
    # Not at import: a cached handle needs no HTTP. requote_uri, as requests follows a
    # redirect: control characters (a hostile server's terminal escapes) are sent, and shown,
    # percent-encoded.
    from requests.utils import requote_uri

    from .._http_redirect import check_redirect, redirect_target

    target = requote_uri(redirect_target(response, handle=handle))
    check_redirect(url, target, handle=handle)  # Never from https to plain http.
    if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
        raise errors.UnfollowableRedirectError(
            f"Cannot resolve {handle!r}: {redact(url)} redirected to {redact(target)[:200]}, "
            "which is not an http(s) address (only a 303 answer names the gs:// location). "
            "Check the handle, or tell the server's owner.",
            status=response.status_code,
            url=redact(url),
            target=redact(target),
        )
    return target


def _names_http(location: str) -> bool:
    """Whether a Location is an http(s) address, or relative (to the http(s) URL that
    answered): those urllib followed; it refused others (gs://), whose 303 upstream read."""
    try:
        return urllib.parse.urlsplit(location).scheme.lower() in ("", "http", "https")
    except ValueError:  # An unclosed IPv6 host: no address urllib followed either.
        return False


def _check_location(body: bytes, *, url: str) -> str:
    """Returns the gs:// location in a 303 body, or raises InvalidHandleError saying why not."""
    if len(body) > MAX_LOCATION_BYTES:
        raise errors.InvalidHandleError(
            "Expected server to return a GCS location but received more than "
            f"{MAX_LOCATION_BYTES} bytes from {redact(url)}: not a gs:// path. Check the handle, "
            "or set TFHUB_MODEL_LOAD_FORMAT=COMPRESSED."
        )
    location = body.decode("utf-8", errors="replace").strip()
    if not urls.is_gcs_location(location):
        from .._token import without_secrets

        # What the server said may quote the token or credentials it was sent.
        shown = escaped(without_secrets(redact(location), url, limit=200))
        raise errors.InvalidHandleError(
            f"Expected server to return a GCS location but received {shown} from "
            f"{redact(url)}. Check the handle, or set TFHUB_MODEL_LOAD_FORMAT=COMPRESSED."
        )
    return location
