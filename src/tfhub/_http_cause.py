"""The real cause of a connection error, in words: refused, DNS, a timeout, a proxy, ...

`cause_text` names what went wrong with a request that got no answer (or a cut-off one), the
setting that bounded the wait (TFHUB_HTTP_TIMEOUT, TFHUB_HTTP_RETRY_TIMEOUT) and the proxy it
went through; `brief` is the short form retry logs use. Both read the errors requests and
urllib3 nest inside each other.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import _token, constants
from ._http_deadline import proxy_variables
from ._http_proxy import proxy_for

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
