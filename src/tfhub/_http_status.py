"""What an HTTP error status means, in words: `status_error` turns a 4xx/5xx answer into a tfhub
error naming the handle and the URL, with hints about tfhub.dev's move to Kaggle, tokens sent
(or not) across redirects, and the retries made.
"""

from __future__ import annotations

import http
import urllib.parse

from . import _token, constants, errors
from ._http_proxy import proxy_for
from .utils import urls
from .utils.redact import redact

# Where tfhub.dev's models were served from: (host, path prefix).
_MOVED_LOCATIONS = (
    ("tfhub.dev", "/"),
    ("hub.tensorflow.google.cn", "/"),
    ("storage.googleapis.com", "/tfhub-modules/"),
    ("gcs.tensorflow.google.cn", "/tfhub-modules/"),
)
_KAGGLE_HOSTS = ("www.kaggle.com", "kaggle.com")
# The statuses a request is retried on (`_http`'s requests), and told to try again later after.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class RetryRecord:
    """How often a request was sent and how long tfhub waited between the sends, for the error
    when the server still fails (a 429 or 503 storm). A plain class, not a dataclass: `import
    dataclasses` costs 5 ms on every download's start path (see utils/records.py).

    Attributes:
        wait_cap: the longest wait tfhub honours per retry (seconds).
        attempts: requests sent.
        waited: seconds slept between them, in all.
        asked: the wait the server's last Retry-After asked for (not capped), if any.
    """

    def __init__(
        self, wait_cap: float, attempts: int = 1, waited: float = 0.0, asked: float | None = None
    ) -> None:
        self.wait_cap = wait_cap
        self.attempts = attempts
        self.waited = waited
        self.asked = asked

    def text(self) -> str:
        """E.g. "tfhub tried 5 times over 61.8 s; the server asked to wait 3600 s (Retry-After),
        tfhub waits at most 30 s at a time"."""
        said = f"tfhub tried {self.attempts} time{'' if self.attempts == 1 else 's'}"
        said += f" over {self.waited:.1f} s"
        if self.asked is not None and self.asked > self.wait_cap:
            said += (
                f"; the server asked to wait {self.asked:.0f} s (Retry-After), tfhub waits at "
                f"most {self.wait_cap:g} s at a time"
            )
        return said


def trailing_slash_hint(handle: str, url: str, status: int) -> str:
    """Returns, for a 404 of a URL whose path ends with "/" (`.../m.tar.gz/`, a link copied with
    its slash), the handle to try without it, else ""."""
    path = urllib.parse.urlsplit(url).path
    if status != 404 or len(path) < 2 or not path.endswith("/"):
        return ""
    return (
        f" The URL's path ends with '/': try the handle without it, {redact(handle.rstrip('/'))!r}."
    )


def moved_hint(url: str) -> str:
    """Returns a hint about tfhub.dev's move to Kaggle for URLs it explains, else ""."""
    parsed = urllib.parse.urlsplit(url)
    host, path = parsed.hostname or "", parsed.path
    if any(
        (host == moved or host.endswith("." + moved)) and path.startswith(prefix)
        for moved, prefix in _MOVED_LOCATIONS
    ):
        return (
            " tfhub.dev models moved to Kaggle Models (https://www.kaggle.com/models): "
            "use the model's Kaggle URL, e.g. https://www.kaggle.com/models/OWNER/MODEL/"
            "FRAMEWORK/VARIATION/VERSION."
        )
    return ""


def kaggle_hint(url: str, status: int) -> str:
    """Returns what a Kaggle 401/403/404 usually means, else ""."""
    if (urllib.parse.urlsplit(url).hostname or "") not in _KAGGLE_HOSTS:
        return ""
    if status == 404:
        return (
            " Check the handle: Kaggle model URLs look like https://www.kaggle.com/models/"
            "OWNER/MODEL/FRAMEWORK/VARIATION/VERSION."
        )
    return (
        " Kaggle refuses it: the model may be private, or need you to accept its terms on its "
        "Kaggle page first."
    )


def redirect_hint(url: str, final_url: str | None, status: int) -> str:
    """What a 401/403 from the host a redirect led to means, else "" (same host, or none)."""
    if status not in (401, 403) or not final_url:
        return ""
    there = _token.host_entry(final_url)
    if there == _token.host_entry(url):
        return ""
    return (
        f" It was {there}, where {_token.host_entry(url)} redirected the request, that refused "
        f"it: {constants.TFHUB_TOKEN} is never sent across a redirect to another host, so no "
        "token setting changes this; the link it redirects to may have expired (try again), "
        "or that host needs access of its own: ask the hub's admin."
    )


def not_modified_hint(url: str) -> str:
    """What a 304 means: tfhub asks for no cached copy (it sends neither If-None-Match nor
    If-Modified-Since), so a cache on the way, or a server that got it wrong, answered."""
    proxy = proxy_for(url)
    on_the_way = f"the proxy {proxy}" if proxy else "a cache on the way (a proxy)"
    return (
        " tfhub asked for no cached copy (it sends no If-None-Match or If-Modified-Since), so "
        f"{on_the_way} or the server got it wrong: try again; if it persists, tell the owner "
        "of the proxy or the server."
    )


def status_error(
    status: int,
    *,
    handle: str,
    url: str,
    server_says: str | None = None,
    final_url: str | None = None,
    retries: RetryRecord | None = None,
) -> errors.DownloadError:
    """Builds the error for an HTTP error status, naming the handle and URL, and quoting what
    the server said (the first line of its text/plain body), if anything.

    Args:
        status: the HTTP status.
        handle: the handle as given.
        url: the URL requested.
        server_says: the first line of the server's text/plain error body, if any.
        final_url: the URL that answered, if redirects led elsewhere.
        retries: how the request was retried, said for a failing or overloaded server.
    """
    what = _phrase(status)
    where = url if not final_url or final_url == url else f"{url} (redirected to {final_url})"
    message = f"Cannot download {handle!r}: the server answered {status} {what} for {where}."
    message += status_advice(
        status,
        handle=handle,
        url=url,
        server_says=server_says,
        final_url=final_url,
        retries=retries,
    )
    return errors.HTTPStatusError(message, status=status, url=redact(url))


def status_advice(
    status: int,
    *,
    handle: str,
    url: str,
    server_says: str | None = None,
    final_url: str | None = None,
    retries: RetryRecord | None = None,
) -> str:
    """What an HTTP error status means and what to do, quoting what the server said: the
    sentences `status_error` puts after "the server answered ...", each with a leading space
    (the one home of this advice, for every format's errors).

    Args:
        status: the HTTP status.
        handle: the handle as given.
        url: the URL requested.
        server_says: the first line of the server's text/plain error body, if any.
        final_url: the URL that answered, if redirects led elsewhere.
        retries: how the request was retried, said for a failing or overloaded server.
    """
    if status == 303 and server_says and urls.is_gcs_location(server_says):
        return _gcs_location_advice(server_says)
    message = ""
    if server_says:
        message += f' The server says: "{server_says.rstrip(".")}."'  # One period, inside.
    if status in (401, 403, 404):
        message += _not_found_advice(status, handle=handle, url=url, final_url=final_url)
    elif status == 304:
        message += not_modified_hint(url)
    elif status == 407:
        message += _proxy_credentials_advice(url)
    elif status in _GATEWAY_STATUSES and (proxy := _plain_http_proxy(final_url or url)):
        message += _gateway_advice(status, proxy=proxy, retries=retries)
    elif status == 501:
        message += NOT_IMPLEMENTED_ADVICE
    elif status in RETRY_STATUSES:
        message += _overloaded_advice(retries)
    elif status == 511:
        message += NETWORK_LOGIN_ADVICE
    elif status >= 500:
        message += _not_retried_advice(status)
    else:
        message += " Check the handle."
    return message


def _not_found_advice(status: int, *, handle: str, url: str, final_url: str | None) -> str:
    """The advice for a 401/403/404: the first hint that applies, else "Check the handle"."""
    hint = (
        moved_hint(url)
        or redirect_hint(url, final_url, status)
        or kaggle_hint(url, status)
        or _token.status_hint(url, status)
        or trailing_slash_hint(handle, url, status)
    )
    return hint or " Check the handle."


def _proxy_credentials_advice(url: str) -> str:
    """The advice for a 407: the proxy of `url` wants credentials in its setting."""
    scheme = urllib.parse.urlsplit(url).scheme.upper() or "HTTP"
    return (
        f" The proxy {proxy_for(url) or '(from the environment)'} asks for credentials: put "
        f"them in its URL, as USER:PASSWORD@ before the host, in {scheme}_PROXY (or "
        "ALL_PROXY)."
    )


def _gateway_advice(status: int, *, proxy: str, retries: RetryRecord | None) -> str:
    """The advice for a 502/503/504 that came through the plain http proxy `proxy`."""
    retried = retries.text() if retries else "the request was retried"
    return (
        f" It came through the proxy {proxy}, which answers "
        f"{status} itself when it cannot reach the host or hears nothing from it ({retried}; "
        f"{constants.TFHUB_HTTP_RETRIES} sets how often): check HTTP_PROXY (or ALL_PROXY) and "
        "NO_PROXY, try again later, or tell the proxy's or the server's owner."
    )


def _gcs_location_advice(location: str) -> str:
    """The advice for a 303 without a Location whose text is a plain gs:// folder
    (`urls.is_gcs_location`): the answer of the uncompressed format (upstream's resolver read
    that folder from the body); or a gs:// archive (`.tar.gz`, ...), which tfhub reads as a
    handle (as `_http_redirect.check_followable` says of a redirect to one)."""
    from .handle_urls import is_archive_path
    from .utils.printable import escaped

    if is_archive_path(location):
        return (
            f" Its text names the model's archive on gs://, {escaped(location)}: tfhub reads "
            "gs:// archives, use it as the handle."
        )
    return (
        f" Its text names the gs:// folder {escaped(location)} as the uncompressed format "
        "answers: the server offers that format only. To read the model in place from there, "
        f"set {constants.TFHUB_MODEL_LOAD_FORMAT}=UNCOMPRESSED (or use that folder as the "
        "handle)."
    )


# A 501 (Not Implemented) is never retried: the server lacks what was asked, now and later.
NOT_IMPLEMENTED_ADVICE = (
    " The server does not implement this request; trying again will not help. Check the "
    "handle (a model's address on a server of the hosting protocol), or tell the server's owner."
)


# A 511 (Network Authentication Required) is a captive portal's (a hotel's, an airport's, a
# company's network login), never the server's: not retried, as logging in is the user's.
NETWORK_LOGIN_ADVICE = (
    " The network asks for a login before it lets requests out (a captive portal: a hotel's, "
    "an airport's or a company's network); trying again will not help. Log in to the network "
    "(open any web page in a browser), then run again."
)


def _not_retried_advice(status: int) -> str:
    """The advice for a 5xx that is never retried (not in `RETRY_STATUSES`, nor 501 or 511:
    505 HTTP Version Not Supported, 507 Insufficient Storage, ...): the server cannot answer."""
    return (
        f" The server cannot answer this request (HTTP {status} is not retried: trying again "
        "at once will not help): tell the server's owner, or try again much later."
    )


def _overloaded_advice(retries: RetryRecord | None) -> str:
    """The advice for a status of `RETRY_STATUSES` (408, 429, 500, 502-504) from the server
    itself, after its retries."""
    retried = retries.text() if retries else "the request was retried"
    return (
        f" The server is failing or overloaded ({retried}; "
        f"{constants.TFHUB_HTTP_RETRIES} sets how often): try again later, or tell the "
        "server's owner."
    )


# What a proxy answers itself when the host cannot be reached (502, Squid's ERR_CONNECT_FAIL;
# 503, its ERR_DNS_FAIL) or does not answer (504): blamed on the server, they sent users to it.
_GATEWAY_STATUSES = (502, 503, 504)


def _plain_http_proxy(url: str) -> str:
    """The proxy (credentials redacted) a plain-http `url` went through, else "": the only
    peer of such a request, whose own error answers look like the server's (rf56d-F6). Past
    an https tunnel, the answer is the server's."""
    if urllib.parse.urlsplit(url).scheme.lower() != "http":
        return ""
    return proxy_for(url)


def _phrase(status: int) -> str:
    """The status's standard reason phrase ("Internal Server Error"), or "HTTP error" for a
    status without one (e.g. 599)."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
