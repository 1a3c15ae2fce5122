"""Errors for an address requests refuses to fetch: the handle's URL, where a redirect led
(or a redirect loop), or a proxy setting it cannot use. None of them is retried.
"""

from __future__ import annotations

import urllib.parse

from . import errors
from ._http_proxy import names_proxy, raw_proxy_for, shown_proxy
from .utils.redact import redact


def raise_if_bad_url(err: BaseException, *, handle: str, url: str) -> None:
    """Turns requests' URL and redirect errors into tfhub errors (they are not retried).

    Raises:
        tfhub.errors.DownloadError: an answer that is not valid HTTP, a redirect loop
            (RedirectLoopError), a redirect to an address that cannot be fetched.
        tfhub.errors.InvalidHandleError: `url` itself cannot be fetched.
    """
    import requests

    _raise_if_invalid_answer(err, handle=handle, url=url)
    if isinstance(err, requests.exceptions.TooManyRedirects):
        raise _redirect_loop_error(err, handle=handle, url=url) from None
    _raise_if_bad_host(err, handle=handle, url=url)
    _raise_if_unfetchable(err, handle=handle, url=url)


def _raise_if_invalid_answer(err: BaseException, *, handle: str, url: str) -> None:
    """urllib3's InvalidHeader for `url`'s own answer (conflicting Content-Length values, ...)
    is the server's fault: a DownloadError saying so."""
    import requests

    if isinstance(err, requests.exceptions.InvalidHeader) and not after_redirect(err, url):
        raise errors.DownloadError(  # urllib3's: conflicting Content-Length values, ...
            f"Cannot download {handle!r} from {url}: the server's answer is not valid HTTP "
            f"({type(err).__name__}: {' '.join(str(err).split())[:160]}). Tell the server's "
            "owner."
        ) from None


def _raise_if_bad_host(err: BaseException, *, handle: str, url: str) -> None:
    """A host name IDNA cannot encode, if it is the handle's own (not a redirect's): an
    InvalidHandleError."""
    import urllib3

    if isinstance(err, urllib3.exceptions.LocationParseError):  # A host IDNA cannot encode.
        host = urllib.parse.urlsplit(url).hostname or ""
        if host and host in str(err).lower():  # The handle's own host, not a redirect's.
            raise errors.InvalidHandleError(
                f"Cannot fetch {url}: its host name is not valid ({err}). Check the handle. "
                f"Received: handle={handle!r}"
            ) from None


def _raise_if_unfetchable(err: BaseException, *, handle: str, url: str) -> None:
    """An address requests refuses: a redirect's if `url` is a sound http(s) URL (or the
    error is an InvalidHeader, which only a redirect's answer reaches here with), a
    DownloadError; else `url`'s own, an InvalidHandleError."""
    import requests
    import urllib3

    exc = requests.exceptions
    unfetchable = (
        exc.InvalidURL,
        exc.InvalidSchema,
        exc.MissingSchema,
        exc.InvalidHeader,
        urllib3.exceptions.LocationParseError,
    )
    if not isinstance(err, unfetchable):
        return
    parsed = urllib.parse.urlsplit(url)
    url_is_sound = parsed.scheme in ("http", "https") and bool(parsed.hostname)
    if url_is_sound or isinstance(err, exc.InvalidHeader):  # Then a redirect was bad.
        raise errors.DownloadError(
            f"Cannot download {handle!r} from {url}: the server redirected to an address "
            f"that cannot be fetched ({type(err).__name__}: {err})."
        ) from None
    raise errors.InvalidHandleError(
        f"Cannot fetch {url}: {type(err).__name__}: {err}. Check the handle. "
        f"Received: handle={handle!r}"
    ) from None


def _redirect_loop_error(err: BaseException, *, handle: str, url: str) -> errors.DownloadError:
    """The RedirectLoopError of requests' TooManyRedirects (an HTTPError with the last
    redirect's status and a ValueError, as upstream's urllib and its UNCOMPRESSED resolver
    raised), naming where the last redirect led."""
    import requests

    from ._http_redirect import redirect_target

    limit = requests.models.DEFAULT_REDIRECT_LIMIT
    last = getattr(err, "response", None)  # requests keeps the last redirect's answer.
    status = getattr(last, "status_code", None) or 302
    target = redirect_target(last, handle=handle) if last is not None else url
    return redirect_loop_error(
        f"Cannot download {handle!r} from {url}", status=status, url=url, target=target, limit=limit
    )


def redirect_loop_error(
    failed: str, *, status: int, url: str, target: str, limit: int
) -> errors.DownloadError:
    """The RedirectLoopError of a server that redirected more than `limit` times (an HTTPError
    with the last redirect's status, and a ValueError, as upstream raised).

    Args:
        failed: what failed, the message's start ("Cannot resolve 'HANDLE'").
        status: the last redirect's status.
        url: the URL asked for.
        target: where the last redirect led.
        limit: the most redirects followed.
    """
    return errors.RedirectLoopError(
        f"{failed}: the server redirects in a loop (more than {limit} redirects, last to "
        f"{redact(target)[:200]}). Check the handle, or tell the server's owner.",
        status=status,
        url=redact(url),
        target=redact(target),
        redirects=limit,
    )


def after_redirect(err: BaseException, url: str) -> bool:
    """Whether requests raised `err` for a request a redirect led to (not `url` itself, which
    requests sent as it prepares URLs: a non-ASCII path percent-encoded, a host in IDNA)."""
    request = getattr(err, "request", None)
    sent = getattr(request, "url", url)
    return request is not None and sent != url and sent != _as_sent(url)


def _as_sent(url: str) -> str:
    """`url` as requests sends it (only on a failure's path: it costs a PreparedRequest)."""
    import requests

    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
    except requests.exceptions.RequestException:
        return url
    return str(prepared.url)


def raise_if_bad_proxy(err: BaseException, *, handle: str, url: str) -> None:
    """A proxy setting requests cannot use (a SOCKS proxy without PySocks, a malformed URL) is
    named as such, not blamed on the server."""
    import requests

    proxy = raw_proxy_for(url)
    exc = requests.exceptions
    if not proxy or not isinstance(err, (exc.InvalidSchema, exc.InvalidURL)):
        return
    scheme = urllib.parse.urlsplit(url).scheme.upper() or "HTTP"
    where = f"the proxy {shown_proxy(proxy)} in {scheme}_PROXY (or ALL_PROXY)"
    if "socks" in str(err).lower():
        raise errors.MissingDependencyError(
            f"Cannot download {handle!r}: {where} is a SOCKS proxy, which needs PySocks: "
            "pip install 'requests[socks]'.",
            module="socks",
            command="pip install 'requests[socks]'",
        ) from None
    # requests' InvalidProxyURL ("Please check proxy URL") names no proxy: it is the proxy's.
    if isinstance(err, exc.InvalidProxyURL) or names_proxy(str(err), proxy):
        raise errors.DownloadError(
            f"Cannot download {handle!r}: {where} is not a valid URL ({type(err).__name__}). "
            "Fix it, e.g. http://proxy.example:3128 (with any credentials as USER:PASSWORD@ "
            "before the host)."
        ) from None
