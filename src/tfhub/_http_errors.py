"""What went wrong with an HTTP request that got no answer, in words.

`raise_for_request_error` turns what `requests` raises into tfhub errors naming the handle, the
URL and the real cause (refused, DNS, timeout, TLS, a proxy, redirect loop, bad URL). Error
statuses (answers) are `_http_status`'s.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import _token, constants, errors, handles
from ._http_deadline import proxy_variables
from .utils.redact import redact

if TYPE_CHECKING:
    from ._http_deadline import BudgetSpent

_DNS_FAILURES = (
    "name or service not known",
    "failed to resolve",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
    "no address associated",
)


# The system's own words inside requests' and urllib3's long messages, which put them last
# (`... (Caused by NewConnectionError("...: Failed to establish a new connection: [Errno 111]
# Connection refused"))`): up to the quote or bracket that closes them.
_SYSTEM_ERROR = re.compile(r"\[Errno -?\d+\] [^\"')]+")
_BRIEF_CHARACTERS = 160


def brief(err: BaseException) -> str:
    """Returns a short form of a connection error, for retry logs: the system's error
    (`[Errno 111] Connection refused`) where the message holds one, else the message cut at a
    word's end (`…` where it was cut)."""
    text = str(err)
    if "Failed to resolve" in text:
        text = text[text.index("Failed to resolve") :].rstrip('")')
    elif found := _SYSTEM_ERROR.search(text):
        text = found.group(0).rstrip()
    if len(text) > _BRIEF_CHARACTERS:
        end = text.rfind(" ", 0, _BRIEF_CHARACTERS + 1)
        text = text[: end if end > 0 else _BRIEF_CHARACTERS].rstrip(" ,:;(") + "…"
    return f"{type(err).__name__}: {text}"


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
    lowered = str(err).lower()
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
    # A ConnectionFailedError (so urllib's URLError): upstream's urlopen wrapped every TLS
    # error of the connection in URLError.
    raise errors.ConnectionFailedError(
        f"Cannot download {handle!r} from {url}: {what} ({err}). {remedy}",
        url=redact(url),
        cause=redact(what),
    ) from chained(err, url)


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
    _raise_if_bad_proxy(err, handle=handle, url=url)
    _raise_if_bad_url(err, handle=handle, url=url)
    _raise_if_headers_too_slow(err, handle=handle, url=url)
    if not is_connection_error(err):
        raise err
    if last:
        tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
        cause = cause_text(err, url=url)
        where = url
        if _after_redirect(err, url):  # The address that failed is the redirect's, not `url`.
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


def _raise_if_bad_url(err: BaseException, *, handle: str, url: str) -> None:
    """Turns requests' URL and redirect errors into tfhub errors (they are not retried)."""
    import requests
    import urllib3

    exc = requests.exceptions
    if isinstance(err, exc.InvalidHeader) and not _after_redirect(err, url):
        raise errors.DownloadError(  # urllib3's: conflicting Content-Length values, ...
            f"Cannot download {handle!r} from {url}: the server's answer is not valid HTTP "
            f"({type(err).__name__}: {' '.join(str(err).split())[:160]}). Tell the server's "
            "owner."
        ) from None
    if isinstance(err, exc.TooManyRedirects):
        raise _redirect_loop_error(err, handle=handle, url=url) from None
    if isinstance(err, urllib3.exceptions.LocationParseError):  # A host IDNA cannot encode.
        host = urllib.parse.urlsplit(url).hostname or ""
        if host and host in str(err).lower():  # The handle's own host, not a redirect's.
            raise errors.InvalidHandleError(
                f"Cannot fetch {url}: its host name is not valid ({err}). Check the handle. "
                f"Received: handle={handle!r}"
            ) from None
    if isinstance(
        err,
        (
            exc.InvalidURL,
            exc.InvalidSchema,
            exc.MissingSchema,
            exc.InvalidHeader,
            urllib3.exceptions.LocationParseError,
        ),
    ):
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


def _after_redirect(err: BaseException, url: str) -> bool:
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


def proxy_for(url: str) -> str:
    """The proxy requests sends `url` through (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, less
    NO_PROXY; none for a loopback URL), credentials redacted; "" for none."""
    return _shown_proxy(_raw_proxy_for(url))


def _shown_proxy(proxy: str) -> str:
    """A proxy setting with its credentials redacted, also when it has no scheme
    (`user:password@proxy:3128`, which requests cannot use)."""
    if proxy and "://" not in proxy:
        return redact(f"http://{proxy}").removeprefix("http://")
    return redact(proxy)


def _raw_proxy_for(url: str) -> str:
    """`proxy_for` with its credentials: only to compare with what requests says."""
    import requests

    if handles.is_loopback_url(url):
        return ""
    return requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url)) or ""


def _raise_if_bad_proxy(err: BaseException, *, handle: str, url: str) -> None:
    """A proxy setting requests cannot use (a SOCKS proxy without PySocks, a malformed URL) is
    named as such, not blamed on the server."""
    import requests

    proxy = _raw_proxy_for(url)
    exc = requests.exceptions
    if not proxy or not isinstance(err, (exc.InvalidSchema, exc.InvalidURL)):
        return
    scheme = urllib.parse.urlsplit(url).scheme.upper() or "HTTP"
    where = f"the proxy {_shown_proxy(proxy)} in {scheme}_PROXY (or ALL_PROXY)"
    if "socks" in str(err).lower():
        raise errors.MissingDependencyError(
            f"Cannot download {handle!r}: {where} is a SOCKS proxy, which needs PySocks: "
            "pip install 'requests[socks]'.",
            module="socks",
            command="pip install 'requests[socks]'",
        ) from None
    # requests' InvalidProxyURL ("Please check proxy URL") names no proxy: it is the proxy's.
    if isinstance(err, exc.InvalidProxyURL) or _names_proxy(str(err), proxy):
        raise errors.DownloadError(
            f"Cannot download {handle!r}: {where} is not a valid URL ({type(err).__name__}). "
            "Fix it, e.g. http://proxy.example:3128 (with any credentials as USER:PASSWORD@ "
            "before the host)."
        ) from None


def _names_proxy(text: str, proxy: str) -> bool:
    """Whether an error's text names the proxy: its whole URL (urllib3 2.7), or only its host
    and port (urllib3 2.8: "Failed to parse: '[::1:3128' is not a valid host or port")."""
    address = proxy.split("://", 1)[-1]
    host = address.rsplit("@", 1)[-1].split("/", 1)[0]
    return any(part and part in text for part in (proxy, address, host))


# A proxy's 407 status in an error's text; not the digits of a port (127.0.0.1:40791).
_ASKS_CREDENTIALS = re.compile(r"(?<![:\d])407(?!\d)")


def _proxy_cause(err: BaseException, url: str) -> str:
    """What a ProxyError means, naming the proxy and the variables that set it."""
    proxy = proxy_for(url) or "the proxy"
    settings = proxy_variables(url)
    if _ASKS_CREDENTIALS.search(str(err)):
        return (
            f"the proxy {proxy} asks for credentials (407): put them in its URL, as "
            f"USER:PASSWORD@ before the host, in {settings}"
        )
    tunnel = re.search(r"Tunnel connection failed: (\d{3}[^'\")]*)", str(err))
    if tunnel:  # The proxy answered CONNECT with an error: it was reached, and said no.
        host = _token.host_entry(url) or "the host"
        return (
            f"the proxy {proxy} refused to connect to {host} ({tunnel.group(1).strip()[:80]}): "
            f"ask your network admin to allow it, or check {settings}"
        )
    failure = _refused_or_dns(err)
    if failure == "refused":
        how = "refused the connection"
    elif failure == "dns":
        how = "has a host name that cannot be resolved"
    else:
        how = f"cannot be reached ({brief(err)})"
    return f"the proxy {proxy} {how}: check {settings}"


def _timeout_cause(err: BaseException, *, url: str, timeout: float | None) -> str:
    """What a timeout means: how long tfhub waited and which setting sets it, naming the proxy
    the request went through (`url`'s, "" for none), which is the one that did not answer for a
    plain http request or an https tunnel's CONNECT (past the tunnel, it is the server)."""
    setting = constants.http_timeout()
    cut_short = timeout is not None and timeout < setting  # By what the retry budget had left.
    seconds = f"{timeout:.2g} s" if cut_short else f"{setting:g} s"
    if cut_short:
        within = f"{seconds}, what {constants.TFHUB_HTTP_RETRY_TIMEOUT} had left"
    else:
        within = f"timeout {seconds}; {constants.TFHUB_HTTP_TIMEOUT} sets it"
    proxy = proxy_for(url) if url else ""
    if not proxy:
        return f"timed out ({type(err).__name__}: no answer within {within})"
    scheme = urllib.parse.urlsplit(url).scheme.upper() or "HTTP"
    check = f"check {proxy_variables(url)}"
    if cut_short:  # The wait was the retry budget's rest: TFHUB_HTTP_TIMEOUT did not set it.
        seconds = within
    else:
        check += f"; {constants.TFHUB_HTTP_TIMEOUT} sets how long to wait"
    if scheme == "HTTP":  # The proxy is the only peer: it, or the server behind it, is silent.
        return (
            f"the proxy {proxy} did not answer within {seconds} ({type(err).__name__}; the "
            f"server behind it may be the slow one): {check}"
        )
    if _in_tunnel_request(err):
        host = _token.host_entry(url) or "the host"
        return (
            f"the proxy {proxy} did not answer its request for a tunnel to {host} (CONNECT) "
            f"within {seconds} ({type(err).__name__}): {check}"
        )
    return f"timed out ({type(err).__name__}: no answer within {within}) through the proxy {proxy}"


def _budget_cause(err: BaseException, *, url: str) -> str:
    """What the cut of an answer still arriving when the retry budget ran out means
    (`_http_deadline.BudgetSpent` with `answering`: the headers, a small body read with them,
    or a proxy's answer to CONNECT had begun to come in): who had not finished answering
    (the proxy of `url`, "" for none, for a plain http request or a tunnel's CONNECT; else the
    server) and that TFHUB_HTTP_RETRY_TIMEOUT, not TFHUB_HTTP_TIMEOUT, cut it."""
    ran_out = f"when {constants.TFHUB_HTTP_RETRY_TIMEOUT} ran out"
    proxy = proxy_for(url) if url else ""
    if not proxy:
        return f"timed out: the server had not finished its answer {ran_out}"
    scheme = urllib.parse.urlsplit(url).scheme.upper() or "HTTP"
    check = f"check {proxy_variables(url)}"
    if scheme == "HTTP":  # The proxy is the only peer: it, or the server behind it, is slow.
        return (
            f"timed out: the proxy {proxy} had not finished its answer (the server behind it "
            f"may be the slow one) {ran_out}: {check}"
        )
    if _in_tunnel_request(err):
        host = _token.host_entry(url) or "the host"
        return (
            f"timed out: the proxy {proxy} had not finished its answer to the request for a "
            f"tunnel to {host} (CONNECT) {ran_out}: {check}"
        )
    return (
        f"timed out: the server had not finished its answer {ran_out} (through the proxy {proxy})"
    )


def _budget_spent(err: BaseException) -> BudgetSpent | None:
    """The cut of a wait for an answer when the retry budget ran out
    (`_http_deadline.BudgetSpent`) that `err` holds, or None (a timeout of a read, ...)."""
    from ._http_deadline import BudgetSpent

    return next((found for found in _nested_errors(err) if isinstance(found, BudgetSpent)), None)


def _in_tunnel_request(err: BaseException) -> bool:
    """Whether `err` (or an error it holds: requests and urllib3 nest them) was raised while
    waiting for a proxy's answer to CONNECT (http.client's `_tunnel`, which urllib3 runs as it
    connects through a proxy to an https server)."""
    import traceback

    return any(
        frame.f_code.co_name == "_tunnel"
        for found in _nested_errors(err)
        for frame, _ in traceback.walk_tb(found.__traceback__)
    )


def _nested_errors(err: BaseException) -> Iterator[BaseException]:
    """`err` and each error it holds, once each: requests and urllib3 nest them in their
    arguments, `reason` (urllib3's MaxRetryError), `__cause__` and `__context__`."""
    seen: list[BaseException] = []
    todo: list[object] = [err]
    while todo:
        found = todo.pop()
        if not isinstance(found, BaseException) or any(found is old for old in seen):
            continue
        seen.append(found)
        yield found
        todo += [*found.args, getattr(found, "reason", None), found.__cause__, found.__context__]


def cause_text(err: BaseException, *, url: str = "", timeout: float | None = None) -> str:
    """Names the real cause of a connection error: refused, DNS, timeout, reset, the proxy, ...

    Args:
        err: what requests (or urllib3) raised.
        url: the URL asked for; with it, a proxy's failure names the proxy.
        timeout: the timeout the attempt had, if less than TFHUB_HTTP_TIMEOUT (what was left
            of TFHUB_HTTP_RETRY_TIMEOUT).
    """
    import requests

    spent = _budget_spent(err)
    if spent is not None:  # Before ProxyError: urllib3 wraps the cut behind an http proxy.
        cut = str(getattr(getattr(err, "request", None), "url", None) or url)
        if spent.answering:
            return _budget_cause(err, url=cut)
        return _timeout_cause(err, url=cut, timeout=timeout)  # Silent: a timeout's words.
    if url and isinstance(err, requests.exceptions.ProxyError):
        # The proxy of the request that failed: after a redirect, of the address it led to.
        sent = getattr(getattr(err, "request", None), "url", None)
        return _proxy_cause(err, str(sent or url))
    text = str(err)
    if isinstance(err, (requests.Timeout, TimeoutError)) or "timed out" in text.lower():
        sent = getattr(getattr(err, "request", None), "url", None) or url
        return _timeout_cause(err, url=sent, timeout=timeout)
    malformed = _malformed_answer(err)
    if malformed is not None:
        return (
            f"the server's answer is not valid HTTP ({type(malformed).__name__}: "
            f"{' '.join(str(malformed).split())[:120]!r}): tell the server's owner, or check "
            "that the handle names an http(s) server (and the port is its http port)"
        )
    failure = _refused_or_dns(err)
    if failure == "refused":
        return "the connection was refused (is the server running, and is the port right?)"
    if failure == "dns":
        return "the host name cannot be resolved (DNS): check the host, or your network"
    return brief(err)


def _malformed_answer(err: BaseException) -> BaseException | None:
    """The http.client error inside `err` for a status line or headers that are not HTTP (too
    many or too long headers, a garbled status line), or None: requests nests it in the
    arguments of its ConnectionError and urllib3's ProtocolError."""
    import http.client

    for found in _nested_errors(err):
        if isinstance(found, http.client.RemoteDisconnected):  # A drop, not a bad answer.
            continue
        if isinstance(found, (http.client.BadStatusLine, http.client.LineTooLong)):
            return found
        if type(found) is http.client.HTTPException:  # "got more than 100 headers"
            return found
    return None


def _refused_or_dns(err: BaseException) -> str | None:
    """ "refused" for a refused connection, "dns" for a host name that does not resolve, else
    None (read from the error's text: requests nests the socket error in its message)."""
    lowered = str(err).lower()
    if "connection refused" in lowered or "errno 111" in lowered:
        return "refused"
    if any(marker in lowered for marker in _DNS_FAILURES):
        return "dns"
    return None
