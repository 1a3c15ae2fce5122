"""What `tfhub mirror` reads of its source: the source hub's JSON API, when the source is
another `tfhub serve`.

A hub URL (`https://host[/prefix]/publisher/model[/version]`) names a model whose API answer
(`<prefix>/api/models/<publisher>/<model>`) gives each version's doc as published (`source_doc`),
and its publisher's doc (`/api/publishers/<publisher>`, `source_publisher_doc`). The API is
asked at each prefix of the URL's path, for a hub served below a path. What is read of an
answer is bounded by the `max_bytes` the caller gives (`mirror.MAX_API_BYTES`). `public_source`
is how a source may be shown or written into a doc: without credentials or query.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass

from .. import _http, errors, handles
from ..utils.numbers import is_number, is_whole_number
from . import doc_handles, protocol
from .doc_handles import DocHandle
from .docs_format import DocKind, parse_first_line

logger = logging.getLogger(__name__)


def public_source(source: str) -> str:
    """The source as it may be written into a doc: a URL without credentials or query."""
    parts = urllib.parse.urlsplit(source)
    if not parts.scheme or len(parts.scheme) == 1:  # A path (or a Windows drive letter).
        return source
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class SourceDoc:
    """A version's Module doc as another `tfhub serve` published it."""

    text: str  # The doc, its first line `# Module <origin>`.
    origin: DocHandle  # The version's handle in that hub.
    url: str  # The version's URL in that hub (with its version, for a version-less source).
    base: str  # That hub's URL (the path before the handle), where its API is.


def source_doc(source: str, *, max_bytes: int) -> tuple[SourceDoc | None, list[str]]:
    """The Module doc of the version `source` names on another `tfhub serve`, if it has one.

    The source hub's JSON API (`<prefix>/api/models/<publisher>/<model>`) gives each version's
    doc as published. A hub served below a path (`tfhub serve --base-url https://host/hub`)
    has its API there: the API is asked at each prefix of the URL's path, the shortest first,
    until one answers.

    Args:
        source: the handle `tfhub mirror` was given.
        max_bytes: the most bytes of an API answer that are read.

    Returns:
        (the doc, or None if no API gives a Module doc for the version; the API URLs asked,
        none for a source that is not a hub URL). An answer that is not JSON, or JSON nested
        too deep to decode, gives no doc.

    Raises:
        MirrorTooLargeError: an answer is longer than `max_bytes`.
    """
    url = _hub_url(source)
    if url is None:
        return None, []
    asked: list[str] = []
    for candidate in _api_urls(url):
        asked.append(public_source(candidate.api))
        data = _api_answer(candidate.api, source, max_bytes)
        if data is None:
            continue
        found = _module_doc(data, candidate)
        if found is not None:
            return found, asked
        break  # The source's hub answered: it has no Module doc for the version.
    return None, asked


def asks_an_api(source: str) -> bool:
    """True if `source_doc` asks a hub's JSON API about `source`: an http(s) URL of a hub
    model (not of an archive file, not a Kaggle URL)."""
    return _hub_url(source) is not None


def _hub_url(source: str) -> str | None:
    """The URL of `source` if it is an http(s) URL of a hub model, else None."""
    parsed = handles.parse(source)
    if isinstance(parsed, handles.HttpModel) and not handles.is_archive_path(parsed.url):
        return parsed.url
    return None


def _api_answer(api: str, source: str, max_bytes: int) -> object | None:
    """The JSON a source hub's API URL answers, or None: an answer that says the hub has no
    such page here (a 4xx but 408 and 429, such as the 404 of a path that is no API), not
    JSON, or JSON nested too deep.

    Raises:
        MirrorTooLargeError: the answer is longer than `max_bytes`.
        MirrorSourceError: no answer (none in time, a connection refused or cut, a 5xx, 429 or
            408 after the retries): the hub may be there, busy or failing, and its API names the
            version's handle and doc, so the mirror must not go on without it.
    """
    try:
        with _http.get(api, handle=public_source(source), max_body=max_bytes) as response:
            if _unanswering(response.status_code):  # After the retries.
                raise _unanswered(api, source, f"it answered {response.status_code}")
            if response.status_code != 200:
                return None
            _check_api_size(response.content, api, max_bytes)
            data: object = response.json()
            return data
    except (errors.MirrorTooLargeError, errors.MirrorSourceError):
        raise  # Not "no doc here": a source to distrust, or one that did not answer.
    except errors.HTTPStatusError as err:
        if _unanswering(err.status):
            raise _unanswered(api, source, f"it answered {err.status}") from err
        logger.info("No doc from %s (%s)", public_source(api), err)
        return None
    except errors.DownloadError as err:  # No answer in time, a connection refused or cut.
        raise _unanswered(api, source, str(err)) from err
    except (errors.TFHubError, ValueError, RecursionError) as err:  # Nested too deep.
        logger.info("No doc from %s (%s)", public_source(api), err)
        return None


# Statuses of a hub that is there but did not answer: a server error, or "too many requests" /
# "request timeout" (a busy hub or its proxy), each after the retries `_http.get` makes.
_BUSY = frozenset({408, 429})


def _unanswering(status: int) -> bool:
    """True for a status that says the hub did not answer, not that it has no such page."""
    return status >= 500 or status in _BUSY


def _unanswered(api: str, source: str, cause: str) -> errors.MirrorSourceError:
    """The error for a source hub's API URL that did not answer (`cause` says how)."""
    shown = public_source(api)
    return errors.MirrorSourceError(
        f"Cannot mirror {public_source(source)}: its hub's JSON API {shown} did not answer "
        f"({cause}); nothing was written. That API names the version's handle and doc in its "
        "hub, which the mirror copies: mirror again once the hub answers (for a slow hub, "
        "raise TFHUB_HTTP_TIMEOUT), or pass --as publisher/model/version with the doc already "
        "in ROOT to mirror without it.",
        url=shown,
        cause=cause,
    )


def source_publisher_doc(found: SourceDoc, source: str, *, max_bytes: int) -> str | None:
    """The doc of the source version's publisher as its hub published it (its API's
    `/api/publishers/<publisher>`; a hub from before that route gives none), or None; an
    answer longer than `max_bytes` raises MirrorTooLargeError."""
    publisher = found.origin.publisher
    data = _api_answer(f"{found.base}/api/publishers/{publisher}", source, max_bytes)
    text = data.get("doc_markdown") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return None
    try:  # Read as the hub reads a first line (blanks after it, `&zwnj;`, ...).
        first = parse_first_line(text.split("\n", 1)[0])
    except errors.InvalidHandleError:  # A version too long: no publisher's line either.
        return None
    if first != (DocKind.PUBLISHER, DocHandle(publisher, "", None)):
        return None
    return text


def _check_api_size(body: bytes, url: str, max_bytes: int) -> None:
    """Raises MirrorTooLargeError if an API answer is longer than `max_bytes`."""
    if len(body) > max_bytes:
        raise errors.MirrorTooLargeError(
            f"The JSON API answer {public_source(url)} is longer than {max_bytes:,} bytes, "
            "the most tfhub mirror reads of one (a hub's docs are far smaller): is the source "
            "a tfhub serve? Mirror the archive's URL with --as instead.",
            path=public_source(url),
            limit=max_bytes,
        )


@dataclass(frozen=True)
class _ApiCandidate:
    """Where a hub URL's model may be asked: its API URL, the model's handle there, the version
    the URL names (None: the latest), and the hub's base URL (the path before the handle)."""

    api: str
    model_handle: str
    version: int | None
    base: str


def _api_urls(url: str) -> list[_ApiCandidate]:
    """The API URLs of the model a hub URL names, at each prefix of the URL's path that leaves
    a handle, the shortest prefix first: `/hub/acme/emb/1` gives `/api/models/hub/acme/emb`
    (version 1 of hub/acme/emb), then `/hub/api/models/acme/emb` (acme/emb/1). A path that
    ends with no version (`/acme/emb`, the latest) gives the model's API URLs the same way."""
    parts = urllib.parse.urlsplit(url)
    segments = parts.path.strip("/").split("/")
    found: list[_ApiCandidate] = []
    for cut in range(max(0, len(segments) - 1)):
        prefix = "".join(f"/{segment}" for segment in segments[:cut])
        base = f"{parts.scheme}://{parts.netloc}{prefix}"
        rest = "/".join(segments[cut:])
        for text, version in _handle_readings(rest):
            found.append(_ApiCandidate(f"{base}/api/models/{text}", text, version, base))
    return found


def _handle_readings(path: str) -> list[tuple[str, int | None]]:
    """(model handle, version) of a URL path that names a version (`acme/emb/1`), else of one
    that names a model and so its latest version (`acme/emb`: version None); [] for neither
    (or a handle no hub can hold)."""
    try:
        handle = doc_handles.parse_handle(path)
        return [(handle.model_handle, handle.version)]
    except errors.InvalidHandleError:
        pass
    if "/" in path and not is_number(path.rsplit("/", 1)[1]):
        try:  # A model handle: what it would be with a version.
            return [(doc_handles.parse_handle(f"{path}/1").model_handle, None)]
        except errors.InvalidHandleError:
            pass
    return []


def _module_doc(data: object, candidate: _ApiCandidate) -> SourceDoc | None:
    """The Module doc of the candidate's version (the model's latest if it names none) in the
    API's answer for the model, or None (also for a `latest_version` no handle may have, such
    as -1 or 22 digits: a warning names the API URL and the value)."""
    version = candidate.version
    if version is None and isinstance(data, dict):
        latest = data.get("latest_version")
        version = latest if is_whole_number(latest) else None
        if version is not None and not 0 <= version < 10**doc_handles.MAX_VERSION_DIGITS:
            logger.warning(
                "The hub's JSON API at %s names latest_version %s, which is not a version "
                "(0 to %d digits): its doc is not used",
                public_source(candidate.api),
                version,
                doc_handles.MAX_VERSION_DIGITS,
            )
            version = None
    text = _version_doc(data, version) if version is not None else None
    if text is None or not text.startswith(f"# {DocKind.MODULE.value} "):
        return None
    origin = doc_handles.parse_handle(f"{candidate.model_handle}/{version}")
    url = f"{candidate.base}/{protocol.quoted(str(origin))}"
    return SourceDoc(text.replace("\r\n", "\n"), origin, url, candidate.base)


def _version_doc(data: object, version: int | None) -> str | None:
    """The `doc_markdown` of a version in the API's answer for a model, or None."""
    versions = data.get("versions", []) if isinstance(data, dict) else []
    for entry in versions if isinstance(versions, list) else []:
        if not isinstance(entry, dict):
            continue
        text = entry.get("doc_markdown")
        if entry.get("version") == version and isinstance(text, str):
            return text
    return None
