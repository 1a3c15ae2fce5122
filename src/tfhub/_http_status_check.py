"""An answer's status checked: anything but a 200/206 success becomes the tfhub error of
`_http_status.status_error`, quoting the first line of a short text/plain body (what a hub
server says went wrong), read within the headers' deadline and with its secrets taken out.
"""

from __future__ import annotations

from typing import Any

from . import _http_deadline as _deadline
from . import _http_socket, _token
from ._http_status import status_error


def check_status(
    response: Any, *, handle: str, url: str, budget: _deadline.RetryBudget | None = None
) -> None:
    """Raises HTTPStatusError unless the response is a 200/206 success; the first line of a
    short text/plain body (what a hub server says went wrong) is quoted in it, if it arrives
    within the headers' deadline (and what is left of `budget`, failures being under way)."""
    if response.status_code not in (200, 206):
        said = server_says_text(response, budget)
        if said:  # It may quote the token or the URL's credentials it was sent.
            said = _token.without_secrets(said, url, response.url, limit=SAID_CHARACTERS)
        response.close()
        raise status_error(
            response.status_code,
            handle=handle,
            url=url,
            server_says=said,
            final_url=redirected_to(response),
            retries=getattr(response, "_tfhub_retries", None),
        )


_ERROR_BODY_LIMIT = 2048
SAID_CHARACTERS = 300  # Of the server's line, quoted in the error.


def server_says_text(response: Any, budget: _deadline.RetryBudget | None) -> str | None:
    """The first non-empty line of a text/plain error body (at most 2 KB read, printable
    characters only; the caller cuts it to SAID_CHARACTERS once the secrets are out), or None
    for another body or a failed read."""
    if not response.headers.get("Content-Type", "").lower().startswith("text/plain"):
        return None
    try:
        if getattr(response, "_content_consumed", False):  # Read by the body capper.
            data = (response.content or b"")[:_ERROR_BODY_LIMIT]
        elif budget is None:
            data = _http_socket.read_within(response, _ERROR_BODY_LIMIT, what="error text")
        else:
            with _deadline.bounded_by(budget):
                data = _http_socket.read_within(response, _ERROR_BODY_LIMIT, what="error text")
    except Exception:  # Dropped, or too slow (cut): the status alone is the answer.
        return None
    for line in data.decode("utf-8", "replace").splitlines():
        text = "".join(char for char in line if char.isprintable()).strip()
        if text:
            return text
    return None


def redirected_to(response: Any) -> str | None:
    """The URL redirects led `response` to (a login portal's page, say), or None if it was not
    redirected."""
    return str(response.url) if getattr(response, "history", None) else None
