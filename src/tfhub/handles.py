"""Parse and classify handles; name their cache folders.

A handle is parsed once into a frozen record (`utils/records.py`) whose ``str()`` gives back the
handle that is hashed for the cache (for Kaggle models: the canonical short form, so both URL
forms share one cache entry). ``cache_key(handle)`` is ``sha1(handle)`` hex, exactly as
tensorflow_hub names its cache folders, so caches are shared with the upstream library.

This module is the one to import: it parses, and re-exports its parts' public names
(`handle_check.py`: refusing what cannot name a model, `cache_key`; `handle_urls.py`: schemes and
the format query; `handle_signing.py`: signed URLs; `handle_kaggle.py`: Kaggle's model URLs).
"""

from __future__ import annotations

import os
import urllib.parse

from . import errors
from .handle_check import cache_key, check
from .handle_kaggle import KAGGLE_MODELS_PREFIX, KaggleModel, kaggle_mirror_url, parse_kaggle
from .handle_signing import is_signed_url, unsigned_url
from .handle_urls import (
    ARCHIVE_SUFFIXES,
    COMPRESSED_FORMAT_QUERY,
    GFILE_SCHEMES,
    UNCOMPRESSED_FORMAT_QUERY,
    append_format_query,
    is_archive_path,
    is_http_url,
    is_loopback_url,
    normalize_scheme,
    scheme,
    unknown_scheme,
    without_userinfo,
)
from .utils import urls
from .utils.records import FrozenRecord
from .utils.redact import redact

__all__ = [
    "ARCHIVE_SUFFIXES",
    "COMPRESSED_FORMAT_QUERY",
    "GCS_GOOGLE_CN_TEMPLATE",
    "GFILE_SCHEMES",
    "HUB_TF_GOOGLE_CN",
    "KAGGLE_MODELS_PREFIX",
    "UNCOMPRESSED_FORMAT_QUERY",
    "GcsPath",
    "Handle",
    "HttpModel",
    "KaggleModel",
    "LocalPath",
    "append_format_query",
    "cache_handle",
    "cache_key",
    "check",
    "file_url_to_path",
    "is_archive_path",
    "is_http_url",
    "is_loopback_url",
    "is_read_in_place",
    "is_signed_url",
    "kaggle_mirror_url",
    "normalize_scheme",
    "parse",
    "parse_kaggle",
    "scheme",
    "unknown_scheme",
    "unsigned_url",
]

# Read by HttpModel.download_url at call time from this module (tests point it at a local server).
HUB_TF_GOOGLE_CN = "https://hub.tensorflow.google.cn/"
GCS_GOOGLE_CN_TEMPLATE = "https://gcs.tensorflow.google.cn/tfhub-modules/%s.tar.gz"


class LocalPath(FrozenRecord):
    """A folder on the local filesystem (or a file:// URL, stored here as its path)."""

    _fields = ("path",)
    path: str

    def __init__(self, path: str) -> None:
        self._init_fields(path)

    def __str__(self) -> str:
        return self.path


class GcsPath(FrozenRecord):
    """A gs:// folder or archive, read through tf.io.gfile."""

    _fields = ("url",)
    url: str

    def __init__(self, url: str) -> None:
        self._init_fields(url)

    @property
    def is_archive(self) -> bool:
        return is_archive_path(self.url)

    def __str__(self) -> str:
        return self.url


class HttpModel(FrozenRecord):
    """An http(s) URL: an archive, or a model page that speaks the hosting protocol."""

    _fields = ("url",)
    url: str

    def __init__(self, url: str) -> None:
        self._init_fields(url)

    def download_url(self) -> str:
        """Returns the URL to fetch the compressed model from (upstream's mapping); a signed
        URL as it is, since adding `tf-hub-format` would void its signature (upstream added
        it, and the store refused the download)."""
        if self.url.startswith(HUB_TF_GOOGLE_CN):
            return _china_mirror_url(self.url)
        url = kaggle_mirror_url(self.url)  # Refuses a `..` part; a signed URL as it is.
        if is_signed_url(url):
            return url
        return append_format_query(url, COMPRESSED_FORMAT_QUERY)

    def __str__(self) -> str:
        return self.url


def _china_mirror_url(url: str) -> str:
    """The mirror's archive of a `https://hub.tensorflow.google.cn/...` model, as upstream maps
    it, with slashes after the version dropped and a query kept after `.tar.gz` (upstream's
    template put both inside the archive's name: `.../2/.tar.gz`)."""
    rest = url[len(HUB_TF_GOOGLE_CN) :]
    path, _, query = rest.partition("#")[0].partition("?")
    archive = GCS_GOOGLE_CN_TEMPLATE % path.rstrip("/")
    return f"{archive}?{query}" if query else archive


Handle = LocalPath | GcsPath | HttpModel | KaggleModel


def file_url_to_path(url: str) -> str:
    """Returns the local path of a file:// URL.

    Raises:
        tfhub.errors.FileUrlHostError: (an InvalidHandleError and an IOError) for a file:// URL
            with a host (`file://models/m`: a slash short), offering the three-slash form.
    """
    parsed = urllib.parse.urlsplit(normalize_scheme(url))
    if parsed.netloc not in ("", "localhost"):
        local = "file:///" + url[len("file://") :]
        raise errors.FileUrlHostError(
            f"file:// URLs must name a local path (file:///abs/path), not a host "
            f"({redact(parsed.netloc)!r}). Did you mean {redact(local)!r}? "
            f"Received: handle={redact(url)!r}"
        )
    return urllib.parse.unquote(parsed.path)


def parse(handle: str, *, local_controls: bool = False) -> Handle:
    """Classifies a handle string.

    Args:
        handle: a local path, file://, gs://, http(s):// URL or Kaggle model URL.
        local_controls: take a local path holding control characters (`check`'s).

    Returns:
        The parsed handle.

    Raises:
        tfhub.errors.InvalidHandleError: if `handle` is not a non-empty string, holds control
            characters, or is an http(s) URL that cannot be parsed (e.g. a port out of range).
    """
    check(handle, local_controls=local_controls)
    found = scheme(handle)
    if found == "file":
        return LocalPath(file_url_to_path(handle))
    if found == "gs":
        url = normalize_scheme(handle)
        if not urllib.parse.urlsplit(url).netloc:
            raise errors.InvalidHandleError(
                "A gs:// handle names a bucket and a path in it: gs://BUCKET/PATH. "
                f"Received: handle={redact(handle)!r}"
            )
        return GcsPath(url)
    if found in ("http", "https"):
        url = normalize_scheme(handle)
        _check_http_url(url)
        return parse_kaggle(url) or HttpModel(url)
    return LocalPath(os.fspath(handle))


def is_read_in_place(handle: str) -> bool:
    """Whether hub.resolve reads `handle` where it is and never caches it: a local path (a
    file:// URL, another tf.io.gfile path) or a gs:// folder. A gs:// archive and an http(s)
    URL are cached (what `tfhub pull` and `tfhub import` take); a `scheme://` no built-in
    resolver reads (a custom resolver's `mirror://`) is that resolver's to cache or not: False.

    Raises:
        tfhub.errors.InvalidHandleError: as `parse`, for a handle it refuses.
    """
    parsed = parse(handle)  # Checked first: a handle `parse` refuses raises.
    if unknown_scheme(handle) is not None:
        return False
    return isinstance(parsed, LocalPath) or (isinstance(parsed, GcsPath) and not parsed.is_archive)


def _check_http_url(url: str) -> None:
    """Raises InvalidHandleError for an http(s) URL whose host holds a space, without a host
    or with a bad port (a NoServerURLError, also upstream's URLError), with a password cut by a
    '/', '?' or '#' (`_cut_userinfo_end`), or with a backslash in its authority
    (`_backslash_problem`)."""
    cut = _cut_userinfo_end(url)
    if cut is not None:
        raise errors.InvalidHandleError(
            "The URL has a user name and password holding a '/', '?' or '#', which ends the host "
            "there: percent-encode them (%2F, %3F, %23). Received: handle="
            f"{redact(url[: url.index('://') + 3] + '***' + url[cut:])!r}"
        )
    host = _spaced_host(url)
    if host is not None:  # requests would ask DNS for it, and again on each retry.
        raise errors.InvalidHandleError(
            f"The URL's host {host!r} holds a space, which no host name does: remove it (a "
            f"typo?). Received: handle={redact(url)!r}"
        )
    problem = urls.server_problem(url)
    if problem is not None and not problem.startswith("cannot be parsed"):
        # No host or no usable port: upstream's urlopen raised URLError, an IOError, for it.
        raise errors.NoServerURLError(
            f"The URL {problem}. Received: handle={redact(url)!r}", reason=f"The URL {problem}"
        )
    problem = problem or _backslash_problem(url)
    if problem is not None:
        raise errors.InvalidHandleError(f"The URL {problem}. Received: handle={redact(url)!r}")


def _spaced_host(url: str) -> str | None:
    """The host of `url` if it holds white space (`https://tfhub .dev/m`), else None."""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:  # An unclosed IPv6 host: `urls.server_problem` says so.
        return None
    return host if any(char.isspace() for char in host) else None


def _cut_userinfo_end(url: str) -> int | None:
    """The index of the '@' ending the user name and password of `url` if a '/', '?' or '#' in
    them cut the authority short (`https://user:Ab/cd@host/m`: 'Ab' would read as a port, and
    no redaction finds the password), else None. A port of digits, or none, is taken as
    written: `https://h:8080/@scope/m` has an '@' in its path."""
    try:
        netloc = urllib.parse.urlsplit(url).netloc
    except ValueError:
        return None
    start = url.index("://") + 3
    host, colon, port = netloc.rpartition(":")
    if "@" in netloc or not (colon and port) or host.startswith("["):
        return None
    if port.isascii() and port.isdigit():
        return None
    at = url.find("@", start + len(netloc))
    return at if at >= 0 else None


def _backslash_problem(url: str) -> str | None:
    """Says why a backslash before the path of `url` (`http://A\\@B/m`) names no server, else
    None: urlsplit reads host B (user `A\\`), the cache key's; urllib3 (requests), as browsers,
    ends the host at the backslash and connects to A, whose answer would fill B's cache entry.
    tensorflow_hub's urllib could not open such a URL either."""
    authority = urllib.parse.urlsplit(url).netloc
    if "\\" not in authority:
        return None
    return (
        "has a backslash before its path (in its host, port, user name or password), where "
        "clients disagree on which server it names: write '/' to start the path, or %5C for a "
        "backslash in a user name or password"
    )


def cache_handle(handle: str, parsed: Handle | None = None) -> str:
    """Returns the string hashed for a handle's cache folder.

    Kaggle URLs in canonical form, http(s) and gs:// schemes lower-cased (`HTTP://h/x` is
    `http://h/x`); a signed URL (S3 presigned, GCS signed, Azure SAS) without its signature's
    parameters, so that each new signature of one object finds the entry the first one made
    (upstream hashed them as given: one download, and one entry, per signature); an http(s)
    URL without its user name and password (the folder's name, sha1 of the URL with them,
    let anyone who reads the cache folder test guessed passwords offline); anything else as
    given (upstream's key). `parsed` is `parse(handle)`, if the caller has it.
    """
    parsed = parse(handle) if parsed is None else parsed
    if isinstance(parsed, HttpModel):
        return unsigned_url(without_userinfo(str(parsed)))
    if isinstance(parsed, (KaggleModel, GcsPath)):
        return str(parsed)
    return handle
