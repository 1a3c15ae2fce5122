"""What tfhub checks of a redirect before requests follows it.

`redirect_body_capper` reads none of a redirect's body (requests reads it whole: a 302 with an
endless body filled the RAM), `downgrade_refuser` stops a redirect from https to plain http
(whose answer anyone on the way could replace), and one to an address requests cannot fetch
(a model archive's gs:// address), and counts it against the download's retry budget,
`redirect_target` reads a Location as requests does, with a tfhub error for one that cannot be
read.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from . import errors
from ._http_deadline import RetryBudget, bound_next
from .utils.redact import redact


def redirect_body_capper(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests response hook: a redirect's body is not read at all (its connection is closed).

    Hooks run before requests follows a redirect, which would otherwise read the whole body (a
    302 streaming without end filled the RAM), and any read of it could be dripped a byte per
    TFHUB_HTTP_TIMEOUT for hours. The body of a redirect is never used.
    """
    if response.is_redirect:
        response._content = b""  # requests' documented-by-use cache of the body.
        response._content_consumed = True
        response.raw.close()
    return response


def downgrade_refuser(
    handle: str, budget: RetryBudget | None = None, *, follows: bool = True
) -> Any:
    """Returns a requests response hook that refuses a redirect from https to plain http (and
    one requests would follow to an address that is not http(s)), and counts each redirect
    against `budget` (the next hop's headers are cut when it runs out).

    Args:
        handle: the handle being resolved, named in the errors.
        budget: the download's retry budget, or None.
        follows: whether requests follows the redirects (allow_redirects): then one to an
            address that is not http(s) is refused too (`check_followable`); otherwise the
            caller reads it (the uncompressed protocol's 303 naming a gs:// folder).
    """

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.is_redirect:
            try:
                target = redirect_target(response, handle=handle)
                check_redirect(response.url, target, handle=handle)
                if follows:
                    check_followable(response, target, handle=handle)
            except errors.DownloadError:
                response.close()
                raise
            if budget is not None:
                budget.redirected()
                bound_next(budget)
        return response

    return hook


def redirect_target(response: Any, *, handle: str) -> str:
    """The absolute URL a redirect's Location names, read as requests reads it (its bytes as
    UTF-8, relative to the answering URL).

    Raises:
        tfhub.errors.UnreadableRedirectError: (a DownloadError and a ValueError) a Location
            that cannot be read or parsed (not UTF-8, an unclosed IPv6 host, a port above
            65535): requests, urllib.parse and so upstream raised a builtin ValueError or
            UnicodeDecodeError for it.
    """
    location = response.headers.get("Location", "")
    try:
        target = urllib.parse.urljoin(response.url, location.encode("latin-1").decode("utf-8"))
        _ = urllib.parse.urlsplit(target).port  # A ValueError for a port out of range.
    except (ValueError, UnicodeError) as err:  # UnicodeError is a ValueError too.
        from .utils.printable import escaped

        shown = escaped(redact(location)[:200])
        raise errors.UnreadableRedirectError(
            f"Cannot download {handle!r}: {redact(response.url)} redirected to an address that "
            f"cannot be read ({type(err).__name__}: {str(err)[:80]}; Location: {shown}). Tell "
            "the server's owner."
        ) from None
    return target


def check_redirect(source: str, target: str, *, handle: str) -> None:
    """Raises InsecureRedirectError if `source` is https and `target` plain http.

    Args:
        source: the URL that answered with a redirect.
        target: the absolute URL it redirects to.
        handle: the handle being resolved, named in the error.
    """
    if urllib.parse.urlsplit(source).scheme.lower() != "https":
        return
    if urllib.parse.urlsplit(target).scheme.lower() != "http":
        return
    raise errors.InsecureRedirectError(
        f"Cannot download {handle!r}: {source} redirected to {redact(target)[:300]}, a plain "
        "http address: refused, since anyone on the network path could replace the model "
        "there. Ask the server's owner to redirect to https; if you trust that network, use "
        "the http:// address as the handle.",
        url=redact(target),
        source=redact(source),
    )


def check_followable(response: Any, target: str, *, handle: str) -> None:
    """Raises UnfollowableRedirectError if the redirect `response` leads to `target`, an
    address that is not http(s), which requests cannot fetch (it raised InvalidSchema).

    Args:
        response: the redirect (its `.url` and `.status_code` are named in the error).
        target: the absolute URL it redirects to (`redirect_target`).
        handle: the handle being resolved, named in the error.

    Raises:
        tfhub.errors.UnfollowableRedirectError: for a gs:// target, saying to resolve that
            address itself (tfhub reads gs:// archives) or to use the uncompressed protocol;
            for another scheme, to tell the server's owner. Also urllib's HTTPError with the
            redirect's status, as upstream's urlopen raised.
    """
    from .utils.printable import escaped

    parts = urllib.parse.urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return
    shown = escaped(redact(target)[:300])  # Followed by a space: redact stops there.
    where = (
        f"{redact(response.url)} redirected to an address that an http download does not "
        f"follow: {shown}"
    )
    if scheme == "gs":
        plain = urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
        what = (
            f"{where} (the model's archive's address on gs://; HTTP {response.status_code}). "
            f"tfhub reads gs:// archives: use {escaped(redact(plain)[:300])} as the handle; or, "
            "if the server speaks the uncompressed protocol (a 303 naming the model's gs:// "
            "folder), set TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED."
        )
    else:
        what = (
            f"{where} (a {escaped(scheme[:20])}:// address; HTTP {response.status_code}). "
            "tfhub downloads over http(s) only: tell the server's owner."
        )
    raise errors.UnfollowableRedirectError(
        f"Cannot download {handle!r}: {what}",
        status=int(response.status_code),
        url=redact(response.url),
        target=redact(target),
    )
