"""Whether a URL names a server one can connect to: the one home of the host and port checks of
handles, `TFHUB_KAGGLE_ENDPOINT`, a hub doc's `asset-path` and `tfhub serve --base-url`; and
whether a location is a gs:// folder clients read uncompressed models from (the 303 answer's
body a resolver follows, `tfhub serve --uncompressed-base`)."""

from __future__ import annotations

import re
import urllib.parse

# gs://, a GCS bucket name, then printable ASCII without spaces (compiled at first use: `re`
# caches it; the start path of a cached resolve imports this module and never calls it).
_GCS_FOLDER = r"gs://[a-z0-9][a-z0-9._\-]{1,221}[a-z0-9](/[\x21-\x7e]*)?"


def is_gcs_folder(location: str) -> bool:
    """True if `location` is `gs://bucket[/path]` with no `..` segment (`/../`, a final `/..`)."""
    return re.fullmatch(_GCS_FOLDER, location) is not None and ".." not in location.split("/")


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
