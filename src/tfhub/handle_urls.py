"""Read a handle's scheme and shape: which scheme, an archive or not, loopback or not; add the
hosting protocol's `tf-hub-format` query. Plain string work: nothing is parsed into a record here
(`handles.py` does that)."""

from __future__ import annotations

import re
import urllib.parse

COMPRESSED_FORMAT_QUERY = ("tf-hub-format", "compressed")
UNCOMPRESSED_FORMAT_QUERY = ("tf-hub-format", "uncompressed")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")

# Schemes that tf.io.gfile reads (TensorFlow's own and tensorflow-io's): read in place, as upstream.
GFILE_SCHEMES = frozenset({"gs", "ram", "s3", "hdfs", "viewfs", "har", "az", "abfss", "oss"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def scheme(handle: str) -> str | None:
    """Returns the lower-cased scheme of a `scheme://...` handle, or None for a plain path."""
    match = _SCHEME.match(handle)
    return match.group(1).lower() if match else None


def is_http_url(handle: str) -> bool:
    """Returns True for http:// and https:// handles (the scheme in any case)."""
    return scheme(handle) in ("http", "https")


def is_loopback_url(url: str) -> bool:
    """Whether `url`'s host is this machine's loopback: localhost (or a name under .localhost),
    127.0.0.0/8 or ::1. No proxy can reach it (a proxy's loopback is the proxy's own)."""
    import ipaddress

    try:
        host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".")
    except ValueError:  # A malformed port or bracket: not a URL this can answer for.
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def without_userinfo(url: str) -> str:
    """Returns `url` without the user name and password before its host (`https://u:p@h/m` ->
    `https://h/m`); any other URL as given."""
    scheme_end = url.find("://")
    if scheme_end < 0 or "@" not in url:  # The first test keeps resolve's hot path fast.
        return url
    start = scheme_end + 3
    authority_end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found >= 0:
            authority_end = min(authority_end, found)
    at = url.rfind("@", start, authority_end)
    return url if at < 0 else url[:start] + url[at + 1 :]


def unknown_scheme(handle: str) -> str | None:
    """Returns the scheme of a `scheme://` handle that no built-in resolver reads, else None."""
    found = scheme(handle)
    if found is None or found in ("http", "https", "file") or found in GFILE_SCHEMES:
        return None
    return found


def normalize_scheme(handle: str) -> str:
    """Returns the handle with its scheme lower-cased (`HTTP://h/x` -> `http://h/x`)."""
    found = scheme(handle)
    return found + handle[len(found) :] if found else handle


def is_archive_path(path: str) -> bool:
    """Returns True if the path names a .tar, .tar.gz or .tgz file: an http(s) URL's path
    (without its query and fragment); any other path as written, as upstream read it (a gs://
    object or a local file may be named `v#1.tar.gz`, which TensorFlow reads as written)."""
    if is_http_url(path):
        return urllib.parse.urlsplit(path).path.endswith(ARCHIVE_SUFFIXES)
    return path.endswith(ARCHIVE_SUFFIXES)


def append_format_query(url: str, query: tuple[str, str]) -> str:
    """Adds `tf-hub-format=...` to a URL, after any query already there (as upstream), unless
    the URL has it already (tfhub.dev's download links did; upstream then sent it twice).

    The query there is kept as written: upstream decoded and encoded it again, which dropped a
    parameter without a value (`?raw`, `?a=&b=1`) and re-encoded others (`p=a/b` -> `p=a%2Fb`).
    """
    parts = urllib.parse.urlsplit(url)
    if query in urllib.parse.parse_qsl(parts.query):  # Upstream sent it twice.
        return url
    added = urllib.parse.urlencode([query])
    kept = parts.query.rstrip("&")
    return urllib.parse.urlunsplit(parts._replace(query=f"{kept}&{added}" if kept else added))
