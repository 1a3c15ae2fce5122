"""Whether a URL names a server one can connect to: the one home of the host and port checks of
handles, `TFHUB_KAGGLE_ENDPOINT`, a hub doc's `asset-path` and `tfhub serve --base-url`."""

from __future__ import annotations

import urllib.parse


def server_problem(url: str) -> str | None:
    """Says why `url` names no server to connect to, or None if it names one.

    Args:
        url: an absolute URL (http(s), gs://, ...), as given.

    Returns:
        None, or a phrase that completes "The URL ...": "cannot be parsed (...)" (an unclosed
        IPv6 host such as `http://[::1`), "names no host" (`http:///x`, `https://:443/x`) or
        "names a port that is not a port number (1 to 65535)" (`:0`, `:70000`, `:x`).
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as err:
        return f"cannot be parsed ({err})"
    if not parts.hostname:
        return "names no host"
    try:
        port = parts.port
    except ValueError:  # Not a number, or above 65535.
        port = 0
    if port == 0:  # Nothing listens on port 0: connecting to it fails.
        return "names a port that is not a port number (1 to 65535)"
    return None
