"""What went wrong with an HTTP request that got no answer, as a tfhub error.

`raise_for_request_error` turns what `requests` raises into tfhub errors naming the handle, the
URL and the real cause (`_http_cause`: refused, DNS, timeout, a proxy), or explains a TLS
failure or headers too slow to wait for; an address requests refuses (a bad URL, a redirect
loop, an unusable proxy setting) is `_http_url_errors`'. Error statuses (answers) are
`_http_status`'s.
"""

from __future__ import annotations

from . import _token, constants, errors
from ._http_cause import cause_text
from ._http_deadline import proxy_variables
from ._http_proxy import proxy_for as proxy_for
from ._http_url_errors import after_redirect, raise_if_bad_proxy, raise_if_bad_url
from ._http_url_errors import redirect_loop_error as redirect_loop_error
from .utils.redact import redact


def chained(err: BaseException, url: str) -> BaseException | None:
    """The cause to chain a tfhub error to: `err`, or None if `url` or an error of its chain
    holds a secret.

    requests' and urllib3's messages quote the request's path and query as sent (`Max retries
    exceeded with url: /m.tar.gz?X-Amz-Signature=...`), also those of a signed URL a redirect
    led to, and a traceback prints every chained error: then the tfhub error (redacted, and
    naming the cause) stands alone.
    """
    if redact(url) != url:
        return None
    seen: BaseException | None = err
    for _ in range(20):  # A chain, not a cycle.
        if seen is None:
            return err
        text = str(seen)
        if redact(text) != text:
            return None
        seen = seen.__cause__ or seen.__context__
    return None


def is_connection_error(err: BaseException) -> bool:
    """Returns True for errors worth a retry (not certificate errors: they do not heal)."""
    import requests
    import urllib3

    if isinstance(err, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
        return False
    return isinstance(
        err,
        (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            urllib3.exceptions.HTTPError,
            ConnectionError,
            TimeoutError,
        ),
    )


# OpenSSL's words for a peer that answered the TLS handshake with something that is not TLS
# (most often plain HTTP): not a certificate problem.
_NOT_TLS = ("wrong_version_number", "wrong version number", "record_layer_failure", "http_request")


def _raise_if_ssl_error(err: BaseException, *, handle: str, url: str) -> None:
    """Turns a TLS error into a ConnectionFailedError (a DownloadError and, as upstream's
    urlopen raised, urllib's URLError; `.cause` says which) saying what to do: a certificate
    that cannot be verified (set the CA bundle), or a server that does not speak TLS on that
    port."""
    import requests

    if not isinstance(err, requests.exceptions.SSLError):
        return
    what, remedy = _tls_failure(str(err).lower(), url)
    # A ConnectionFailedError (so urllib's URLError): upstream's urlopen wrapped every TLS
    # error of the connection in URLError.
    raise errors.ConnectionFailedError(
        f"Cannot download {handle!r} from {url}: {what} ({err}). {remedy}",
        url=redact(url),
        cause=redact(what),
    ) from chained(err, url)


def _tls_failure(lowered: str, url: str) -> tuple[str, str]:
    """What a TLS error (its text, lowercased) means for `url`, and what to do about it."""
    host = _token.host_entry(url)
    if "hostname mismatch" in lowered:
        what = f"the server's TLS certificate is not valid for {host}"
        remedy = (
            "Use the host name the certificate names in the handle, or ask the server's owner "
            "for a certificate for this name; for a trusted server only, set "
            "TFHUB_DISABLE_CERT_VALIDATION=true."
        )
    elif "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        what = "TLS certificate verification failed"
        remedy = (
            "Point REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) at your CA bundle, or, for a trusted "
            "server only, set TFHUB_DISABLE_CERT_VALIDATION=true."
        )
    elif any(marker in lowered for marker in _NOT_TLS):
        what = f"the server at {host} does not speak TLS (https) there"
        proxy = proxy_for(url)
        via = f" (or the proxy {proxy} in HTTPS_PROXY is not an http proxy)" if proxy else ""
        remedy = f"Check the port{via}; if the server serves plain http there, use http://."
    else:
        what = "the TLS handshake failed"
        remedy = "Try again; if it keeps failing, tell the server's owner (or your network admin)."
    return what, remedy


def raise_for_request_error(
    err: Exception, *, handle: str, url: str, last: bool, attempts: int
) -> None:
    """Re-raises `err` as a tfhub error, unless it is a connection error worth a retry.

    Raises:
        tfhub.errors.ConnectionFailedError: TLS errors (explained; not retried).
        tfhub.errors.DownloadError: redirect loops (RedirectLoopError), bad redirects.
        tfhub.errors.ConnectionFailedError: on the last attempt, the connection error itself,
            named by its real cause (also urllib's `URLError`, as upstream's `urlopen` raised).
        tfhub.errors.InvalidHandleError: a URL that requests refuses to fetch.
    """
    _raise_if_ssl_error(err, handle=handle, url=url)
    raise_if_bad_proxy(err, handle=handle, url=url)
    raise_if_bad_url(err, handle=handle, url=url)
    _raise_if_headers_too_slow(err, handle=handle, url=url)
    if not is_connection_error(err):
        raise err
    if last:
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        cause = cause_text(err, url=url)
        where = url
        if after_redirect(err, url):  # The address that failed is the redirect's, not `url`.
            where = f"{url} (redirected to {err.request.url})"  # type: ignore[attr-defined]
        raise errors.ConnectionFailedError(
            f"Cannot download {handle!r} from {where}: {cause} (after {tries}; "
            "TFHUB_HTTP_RETRIES sets how many).",
            url=redact(url),
            cause=redact(cause),
        ) from chained(err, url)


def _raise_if_headers_too_slow(err: BaseException, *, handle: str, url: str) -> None:
    """A server that sends its headers too slowly is cut off, not retried (it would be again)."""
    from ._http_deadline import (
        HEADERS_DEADLINE_FACTOR,
        TUNNEL_ANSWER,
        HeadersTooSlow,
        slow_proxy_hint,
    )

    if not isinstance(err, HeadersTooSlow):
        return
    bound = f"{HEADERS_DEADLINE_FACTOR:g} x {constants.TFHUB_HTTP_TIMEOUT}"
    if err.what == TUNNEL_ANSWER:  # The proxy's own answer (rf57f-F4).
        what = (
            f"the proxy {proxy_for(url) or '(from the environment)'} took more than "
            f"{err.seconds:g} s to answer its request for a tunnel to "
            f"{_token.host_entry(url) or 'the host'} (CONNECT) ({bound}), so the connection was "
            f"cut. Check {proxy_variables(url, default_scheme='HTTPS')}"
        )
    else:
        what = (
            f"the server took more than {err.seconds:g} s to send its {err.what} ({bound}), so "
            "the connection was cut. Try again later, or tell the server's owner"
        )
    via = "" if err.what == TUNNEL_ANSWER else slow_proxy_hint(url, proxy_for(url))
    raise errors.DownloadTooSlowError(  # The proxy may be the slow one (rf57f-F1): `via`.
        f"Cannot download {handle!r} from {url}: {what}; on a very slow network set "
        f"{constants.TFHUB_HTTP_TIMEOUT} higher.{via}",
        url=redact(url),
        min_speed=0.0,
        seconds=err.seconds,
    ) from None
