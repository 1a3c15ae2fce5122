"""Whether a URL names a server one can connect to: the one home of the host and port checks of
handles, `TFHUB_KAGGLE_ENDPOINT`, a hub doc's `asset-path` and `tfhub serve --base-url`; and
whether a location is a gs:// folder clients read uncompressed models from (the 303 answer's
body a resolver follows and an error explains, `tfhub serve --uncompressed-base`)."""

from __future__ import annotations

import re
import urllib.parse

# A GCS bucket name, and the path after it: printable ASCII without spaces (compiled at first
# use: `re` caches them; the start path of a cached resolve imports this module, never calls it).
_GCS_BUCKET = r"[a-z0-9][a-z0-9._\-]{1,221}[a-z0-9]"
_GCS_PATH = r"[\x21-\x7e]*"


def is_gcs_folder(location: str) -> bool:
    """True if `location` is `gs://bucket[/path]` with no `..` segment (`/../`, a final `/..`)."""
    return gcs_folder_problem(location) is None


def gcs_folder_problem(location: str) -> str | None:
    """Says why `location` is no `gs://bucket[/path]` folder (as a clause: "it is not a gs://
    URL", "'b' is not a bucket name (...)", ...), or None if it is one."""
    if not location.startswith("gs://"):
        return "it is not a gs:// URL"
    bucket, _, path = location[len("gs://") :].partition("/")
    if re.fullmatch(_GCS_BUCKET, bucket) is None:
        return (
            f"{bucket!r} is not a bucket name (3 to 223 characters: lower-case letters, digits, "
            "'-', '_' and '.', starting and ending with a letter or digit)"
        )
    if re.fullmatch(_GCS_PATH, path) is None:
        return "its path holds a space or a character that is not printable ASCII"
    if ".." in path.split("/"):
        return "its path has a '..' segment"
    return None


# Printable ASCII and the space: what `is_gcs_location` leaves as it is for `is_gcs_folder`.
_ASCII = "".join(map(chr, range(0x20, 0x7F)))


def is_gcs_location(location: str) -> bool:
    """Whether `location`, a server's text (the uncompressed format's 303 body), is a
    `gs://bucket/path` folder: `is_gcs_folder` (an ASCII bucket name, no spaces, no `..`
    segment), with printable non-ASCII characters taken in the path, as GCS object names are
    UTF-8 text and tensorflow_hub took them (`gs://b/modèles/1`).

    Refused: control and format characters, separators other than the space (a right-to-left
    override or a zero-width space would show another path), and U+FFFD (a body that is not
    UTF-8, as decoded)."""
    if not location.isprintable() or "\ufffd" in location:
        return False
    return is_gcs_folder(urllib.parse.quote(location, safe=_ASCII))


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
