"""tfhub.dev's hub handles (`publisher/model/version`) as the documentation files write them: their
grammar, and why a hub cannot hold one. Pure Python: no TensorFlow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import errors
from ..utils.printable import short_repr

PUBLISHER_PATTERN = r"[a-z\d-]+"
MODEL_PATTERN = r"[\w.-]+(?:/[\w.-]+)*"
COLLECTION_PATTERN = r"(?:\w|-|/|&|;|\.)+"
VERSION_PATTERN = r"\d+"
# The most digits a version may have. tfhub.dev's versions are small numbers; without a bound,
# a doc or handle with more than 4,300 digits made `int()` raise a bare ValueError (Python's
# limit on integer string conversion) that stopped `tfhub serve` and `tfhub validate`.
MAX_VERSION_DIGITS = 18
# What each part of a handle is made of, as `parse_handle` and the docs' first lines read it.
HANDLE_GRAMMAR = (
    "publisher: a-z, 0-9 and '-'; model parts: letters, digits, '_', '.', '-', joined by '/'; "
    "version: a number"
)

_HANDLE = re.compile(
    rf"(?P<publisher>{PUBLISHER_PATTERN})/(?P<model>{MODEL_PATTERN})/(?P<version>{VERSION_PATTERN})"
)


@dataclass(frozen=True)
class DocHandle:
    """`publisher/model/version` (model may contain `/`); a Publisher doc has only `publisher`."""

    publisher: str
    model: str = ""
    version: int | None = None

    def __str__(self) -> str:
        if not self.model:
            return self.publisher
        return f"{self.publisher}/{self.model}/{self.version}"

    @property
    def model_handle(self) -> str:
        """`publisher/model` without the version (how the protocol names the latest version)."""
        return f"{self.publisher}/{self.model}"


def parse_handle(text: str) -> DocHandle:
    """Parses a model handle `publisher/model/version` as tfhub.dev spells it.

    Args:
        text: e.g. "google/imagenet/mobilenet_v2_100_224/feature_vector/5".

    Returns:
        The handle.

    Raises:
        InvalidHandleError: if the text is not `publisher/model/version` (publisher: lower-case
            letters, digits and `-`; model: `[\\w.-]` parts joined by `/`; version: digits,
            without leading zeros, as tfhub.dev wrote them: `1`, never `01`; `0` is a version).
            HandleTypeError (also a TypeError) if it is not a str (None, bytes, a Path).
    """
    if not isinstance(text, str):
        raise errors.HandleTypeError(
            "A hub handle is the text publisher/model/version (a str), e.g. "
            f"google/text-embedding/1. Received: handle={text!r}"
        )
    match = _HANDLE.fullmatch(text.strip().strip("/"))
    if not match:
        raise errors.InvalidHandleError(
            "A hub handle is publisher/model/version, e.g. google/text-embedding/1 "
            f"({HANDLE_GRAMMAR}). Received: handle={text!r}"
        )
    if not match["version"].isascii():
        raise _non_ascii_version(text, match)
    handle = DocHandle(match["publisher"], match["model"], version_number(match["version"]))
    if match["version"] != str(handle.version):
        raise errors.InvalidHandleError(
            f"The hub handle {text!r} writes its version with leading zeros: tfhub serve "
            "answers such a URL with 404 (a version has one URL, as clients cache by the "
            f"handle's text); write {handle}. Received: handle={text!r}"
        )
    reason = handle_problem(handle)
    if reason:
        raise errors.InvalidHandleError(
            f"The hub handle {text!r} {reason}. Received: handle={text!r}"
        )
    return handle


def _non_ascii_version(text: str, match: re.Match[str]) -> errors.InvalidHandleError:
    """The refusal of a handle whose version has digits other than 0-9 (`٣`, `３`: `\\d`
    matches them), naming the handle in ASCII digits when the version is short enough."""
    digits = match["version"]
    if len(digits) <= MAX_VERSION_DIGITS:
        remedy = f"write {match['publisher']}/{match['model']}/{int(digits)}"
    else:
        remedy = f"write it with at most {MAX_VERSION_DIGITS} digits"
    return errors.InvalidHandleError(
        f"The hub handle {text!r} writes its version {digits!r} in non-ASCII digits: "
        "tensorflow_hub cannot load a URL that is not ASCII (tfhub.dev's handles are ASCII), "
        f"so versions are written in 0-9 only; {remedy}. Received: handle={text!r}"
    )


def version_number(digits: str) -> int:
    """The number a handle's version writes (the digits `VERSION_PATTERN` matched).

    Args:
        digits: the version as written, e.g. "5".

    Returns:
        The version.

    Raises:
        InvalidHandleError: if it has more than `MAX_VERSION_DIGITS` digits (the message shows
            the first few and how many there are).
    """
    if len(digits) > MAX_VERSION_DIGITS:
        shown = digits[:MAX_VERSION_DIGITS] + "..."
        raise errors.InvalidHandleError(
            f"A hub handle's version is a number of at most {MAX_VERSION_DIGITS} digits, e.g. "
            f"1; shorten it. Received: version={shown!r} ({len(digits):,} digits)"
        )
    return int(digits)


def is_handle_shaped(text: str) -> bool:
    """True if the text has the form `publisher/model/version` (its parts may still be refused
    by `parse_handle`, see `handle_problem`)."""
    return _HANDLE.fullmatch(text.strip().strip("/")) is not None


def unsafe_part(handle: DocHandle) -> str | None:
    """The first part of the handle that is empty, `.`, `..` or starts with `.`, or None."""
    parts = [*handle.publisher.split("/"), *(handle.model.split("/") if handle.model else [])]
    for part in parts:
        if not part or part.startswith("."):
            return part
    return None


# The first path segments of `tfhub serve`'s own routes (app.py; a test checks the two agree):
# the pages and archives of a publisher named so could not be reached.
RESERVED_PUBLISHERS = frozenset({"api", "healthz", "static"})
PART_RULE = "a handle's parts name folders of the hub, so none may be '.' or '..' or start with '.'"


def handle_problem(handle: DocHandle) -> str | None:
    """Why a hub cannot hold this handle, said after the handle ("has ..."), or None.

    Its parts name folders of the hub: a part that is `.` or `..` would put files outside the
    hub folder, one that starts with `.` into a hidden folder the server never serves. A part
    that is not ASCII makes a URL tensorflow_hub cannot load (tfhub.dev's handles are ASCII).
    A publisher named as one of the server's own routes (`RESERVED_PUBLISHERS`) would have
    pages and archives nobody reaches.
    """
    unsafe = unsafe_part(handle)
    if unsafe is not None:
        return (
            f"has the part {short_repr(unsafe)}: {PART_RULE} (that would put files outside the hub "
            "folder, or where the server never looks); rename that part, e.g. "
            "google/text-embedding/1"
        )
    if handle.publisher in RESERVED_PUBLISHERS:
        return (
            f"has the publisher {handle.publisher!r}, a name tfhub serve's own routes use "
            f"(reserved: {', '.join(sorted(RESERVED_PUBLISHERS))}): its pages and archives "
            "could not be reached; choose another publisher name"
        )
    parts = [handle.publisher, *handle.model.split("/")]
    odd = next((part for part in parts if not part.isascii()), None)
    if odd is not None:
        return (
            f"has the non-ASCII part {short_repr(odd)}: tensorflow_hub cannot load a URL that "
            "is not ASCII (tfhub.dev's handles are ASCII); use only a-z, A-Z, 0-9, '_', '.' and "
            "'-' in its parts"
        )
    return None
