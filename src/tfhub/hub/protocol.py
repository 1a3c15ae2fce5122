"""The hosting protocol's HTTP rules, free of any server: paths, formats, ranges, validators.

One implementation, used by the ASGI app (`tfhub serve`) and by the tests' fault-injecting
http.server shell:

* `split_path` turns a URL path into safe segments or refuses it (doubled slashes, `.`/`..`,
  backslashes, NUL, absolute paths), and `request_segments` also refuses encoded slashes;
* `requested_format` reads `?tf-hub-format=` (a comma-separated list, as the protocol says),
  and `conflicting_formats` finds it given more than once with different formats;
* `plan_file` decides status, byte range and headers for a file from `Range`, `If-Range`,
  `If-Match` and `If-None-Match` (and `HEAD`), as RFC 9110 says for a single `bytes=` range.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field

from ..utils.numbers import is_number
from . import confinement

FORMAT_QUERY_KEY = "tf-hub-format"
COMPRESSED = "compressed"
UNCOMPRESSED = "uncompressed"
ARCHIVE_CONTENT_TYPE = "application/x-tar"
ARCHIVE_SUFFIX = ".tar.gz"
_SEGMENT = re.compile(r"[\w.~@+-]+")  # After percent-decoding; no `/`, `\`, `%`, NUL, spaces.
_ENCODED_SEPARATOR = re.compile(rb"%(2f|5c)", re.IGNORECASE)  # A slash or backslash, encoded.
_RANGE = re.compile(r"bytes=(?P<start>[0-9]*)-(?P<end>[0-9]*)")


def split_path(raw_path: str) -> list[str] | None:
    """Splits a decoded URL path into segments, or returns None if it is odd or unsafe.

    Refused: empty or doubled slashes inside (`a//b`), `.` and `..` segments, characters other
    than letters, digits and `_.~@+-` (so no `%`, left-over encodings, backslashes or NUL),
    and segments starting with `.` (hidden files). A trailing slash is allowed.

    Args:
        raw_path: the request path after percent-decoding, e.g. "/google/model/1".

    Returns:
        The segments (e.g. ["google", "model", "1"]), [] for "/", or None.
    """
    if not raw_path.startswith("/") or raw_path.startswith("//"):
        return None
    inner = raw_path[1:]
    if inner.endswith("/"):
        inner = inner[:-1]
    if not inner:
        return []
    segments = inner.split("/")
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or segment.startswith("."):
            return None
    return segments


def request_segments(path: str, raw_path: bytes | None) -> list[str] | None:
    """The safe segments of a request's path (see `split_path`), or None.

    ASGI servers decode `%2F` in the path they give (`/acme%2Femb%2F1` arrives as
    `/acme/emb/1`): the path as sent is checked for an encoded `/` or `\\` too, so that such
    a request is refused, not an alias of another URL.

    Args:
        path: the request's decoded path (ASGI `path`).
        raw_path: the path as sent (ASGI `raw_path`), if the server gives it.

    Returns:
        The segments, or None.
    """
    if raw_path is not None and _ENCODED_SEPARATOR.search(raw_path):
        return None
    return split_path(path)


def quoted(path: str) -> str:
    """A path as it may go into a URL: percent-encoded UTF-8 (`acme/émb/1` ->
    `acme/%C3%A9mb/1`), `/` kept. Headers must be ASCII, and tensorflow_hub cannot load a
    URL that is not."""
    return urllib.parse.quote(path, safe="/")


def folder_file(
    root: str, segments: list[str], *, compressed: bool, archives_only: bool = False
) -> str | None:
    """Maps URL segments to a file of a plain folder, as the hosting protocol serves one.

    `/NAME` is the file `ROOT/NAME`; with `?tf-hub-format=compressed` it is `ROOT/NAME.tar.gz`
    when `NAME` is not a file (so `/publisher/model/1` finds `publisher/model/1.tar.gz`, the
    layout of tfhub.dev's storage bucket). Files reached through symlinks leading out of ROOT
    are refused.

    Args:
        root: the served folder.
        segments: the safe URL segments (see `split_path`).
        compressed: True if the client asked for `tf-hub-format=compressed`.
        archives_only: serve only `.tar.gz` files (the hub server: nothing else of ROOT leaks).

    Returns:
        The file path, or None.
    """
    if not segments:
        return None
    path = os.path.join(root, *segments)
    candidates = [path, path + ARCHIVE_SUFFIX] if compressed else [path]
    for candidate in candidates:
        if archives_only and not candidate.endswith(ARCHIVE_SUFFIX):
            continue
        if os.path.isfile(candidate) and confinement.inside(candidate, root):
            return candidate
    return None


def requested_format(query: dict[str, list[str]], *, uncompressed: bool = True) -> str | None:
    """Returns "compressed", "uncompressed" or None (a browser) from `?tf-hub-format=`.

    The value is a comma-separated list of formats the client accepts, in its order of
    preference: the first one this server serves wins, else the first one it knows (which the
    caller refuses, saying why). An unknown-only list gives "".

    Args:
        query: the request's query parameters, each with its values.
        uncompressed: whether the server serves uncompressed models (a hub started with
            `--uncompressed-base`); without, `uncompressed,compressed` gets "compressed" (the
            client accepts it too; it was refused with 406).
    """
    values = query.get(FORMAT_QUERY_KEY)
    if not values:
        return None
    known = [
        item
        for value in values
        for item in (part.strip().lower() for part in value.split(","))
        if item in (COMPRESSED, UNCOMPRESSED)
    ]
    served = [item for item in known if uncompressed or item == COMPRESSED]
    return (served or known or [""])[0]


def conflicting_formats(query: dict[str, list[str]], *, uncompressed: bool) -> list[str] | None:
    """The values of a `tf-hub-format` given more than once that ask for different formats
    (each read alone by `requested_format`, with `uncompressed` as this server serves), in
    their order; None if it is given once, or its values agree (`compressed` twice; on a server
    without uncompressed models, `uncompressed,compressed` and `compressed`). Such a request is
    refused (400): servers differ in which value they read (nginx's map in front of `tfhub
    serve` leaves it to this one).
    """
    values = query.get(FORMAT_QUERY_KEY) or []
    formats = {
        requested_format({FORMAT_QUERY_KEY: [value]}, uncompressed=uncompressed) for value in values
    }
    if len(formats) < 2:
        return None
    return values


def archive_disposition(version: str) -> str:
    """The `Content-Disposition` of a version's archive: saved as `<version>.tar.gz`, the name
    tfhub.dev's storage gave it (without it, browsers named it after the URL's last segment
    and `application/x-tar`: `1.tar`, gzip bytes under a .tar name). A name that is not ASCII
    (a hand-written bucket path) is sent encoded as RFC 6266 says (`filename*`)."""
    name = f"{version}{ARCHIVE_SUFFIX}"
    encoded = urllib.parse.quote(name)
    if encoded != name:
        return f"attachment; filename*=utf-8''{encoded}"
    return f'attachment; filename="{name}"'


# The headers of an answer no cache may keep: a 412 or 416 says only that this request failed.
NOT_STORED = {"Cache-Control": "no-store"}
FAILED_STATUSES = frozenset({412, 416})


def file_etag(size: int, mtime_ns: int) -> str:
    """A strong validator for a file: the same on every worker or replica sharing the file."""
    return f'"{size:x}-{mtime_ns:x}"'


@dataclass(frozen=True)
class FilePlan:
    """What to answer for a file: status, the body's byte range [start, end), and headers."""

    status: int
    start: int = 0
    end: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.end - self.start


def _parse_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """Returns (start, end) for one satisfiable range, None to ignore it, False if unsatisfiable.

    Positions may have more digits than `int` reads (4,300): they are compared as digit
    strings and are past the end of any file (RFC 9110 has no limit on their length).
    """
    match = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if not match or (not match["start"] and not match["end"]):
        return None  # Malformed or several ranges: RFC 9110 lets a server ignore Range.
    first, last = _digits(match["start"]), _digits(match["end"])
    if not first:  # bytes=-N: the last N bytes.
        suffix = _at_most(last, size)
        return (size - suffix, size) if suffix > 0 and size > 0 else False
    if last and _order(last) < _order(first):
        return None
    start = _at_most(first, size)
    end = _at_most(last, size - 1) + 1 if last else size
    return (start, end) if start < size else False


def _digits(text: str) -> str:
    """ASCII digits without their leading zeros ("0" for zeros only, "" for none)."""
    return (text.lstrip("0") or "0") if text else ""


def _order(digits: str) -> tuple[int, str]:
    """Sorts digit strings without leading zeros as the numbers they write."""
    return len(digits), digits


def _at_most(digits: str, limit: int) -> int:
    """The number the digits write, or `limit` if it is larger (however many digits)."""
    if not is_number(digits):  # More digits than int() reads: larger than any file.
        return limit
    return min(int(digits), limit)


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match comparison (weak: `W/` prefixes ignored; `*` matches anything)."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag.removeprefix("W/") in [tag.removeprefix("W/") for tag in tags]


def if_match_fails(header: str | None, etag: str) -> bool:
    """True if an `If-Match` field (None: not sent) names neither `etag` nor `*`: the answer is
    412 (RFC 9110 13.1.1, as nginx answers). Compared strongly: `W/"x"` never matches."""
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" not in tags and etag not in tags


def plan_file(
    headers: dict[str, str],
    *,
    size: int,
    etag: str,
    content_type: str = ARCHIVE_CONTENT_TYPE,
) -> FilePlan:
    """Decides how to answer a GET or HEAD of a file.

    Args:
        headers: the request headers, names in lower case.
        size: the file size in bytes.
        etag: the file's strong ETag (see `file_etag`).
        content_type: the Content-Type to send.

    Returns:
        412 if `If-Match` names neither the ETag nor `*` (`if_match_fails`); 304 if
        `If-None-Match` matches; 206 with `Content-Range` for one satisfiable `Range`
        (unless `If-Range` names another version: then 200, the whole file); 416 for an
        unsatisfiable range; else 200. Headers include Content-Length, ETag, Accept-Ranges;
        a 412 or 416 is `NOT_STORED` (`Cache-Control: no-store`), the others public.
    """
    base = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": "public, max-age=3600"}
    if if_match_fails(headers.get("if-match"), etag):  # Before If-None-Match (RFC 9110 13.2.2).
        return FilePlan(412, headers={**base, **NOT_STORED, "Content-Length": "0"})
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return FilePlan(304, headers=base)
    base["Content-Type"] = content_type
    wanted = headers.get("range")
    if_range = headers.get("if-range")
    if wanted is not None and (if_range is None or if_range.strip() == etag):
        found = _parse_range(wanted, size)
        if found is False:
            return FilePlan(
                416,
                headers={
                    **base,
                    **NOT_STORED,
                    "Content-Range": f"bytes */{size}",
                    "Content-Length": "0",
                },
            )
        if isinstance(found, tuple):
            start, end = found
            partial = {"Content-Range": f"bytes {start}-{end - 1}/{size}"}
            return FilePlan(
                206, start, end, {**base, **partial, "Content-Length": str(end - start)}
            )
    return FilePlan(200, 0, size, {**base, "Content-Length": str(size)})
