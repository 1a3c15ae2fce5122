"""The HTML pages: index (search and filters), publisher, collection and model pages.

Pages are Jinja2 templates with autoescaping; documentation bodies are rendered by
`render.markdown_to_html` (sanitised) in a worker thread, so a slow doc does not hold up the
other requests, and cached per text. URL segments come from
`protocol.split_path`: `[]` is the index, `[publisher]` a publisher, `publisher/collections/...`
a collection, anything else a model handle (with or without version).
"""

from __future__ import annotations

import functools
import html
import os
import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from .._token import host_entry
from ..utils import paths
from ..utils.numbers import is_number
from . import protocol, render
from .api import version_size
from .catalog import Catalog
from .catalog_entries import Model, Version, requested_filters
from .files import joined_headers
from .keras_call import keras_call
from .starter import HUB_URL_PLACEHOLDER

if TYPE_CHECKING:
    from .app import HubState
    from .signatures import SignatureSummary

PAGE_SIZE = 50
# The most characters the search boxes take: 500 characters of 4 UTF-8 bytes, percent-encoded,
# are 6,000 bytes, inside `request_target.MAX_TARGET_BYTES` with the filters; a text pasted into a
# box (10 KB) made the browser ask a URL the hub answers with a plain-text 414. Searches
# read the first `search.MAX_QUERY_WORDS` words anyway.
MAX_QUERY_CHARS = 500
TITLE_VALUE_CHARS = 80  # The most characters of a query or filter value a title shows.
TEMPLATES = Path(__file__).parent / "templates"
# tfhub.dev's URL of a page, as a doc writes it (the path: the characters of a handle).
_TFHUB_DEV_URL = re.compile(r"https?://tfhub\.dev/([A-Za-z0-9_.~@+/-]+)")


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["size"] = human_size
    environment.filters["shape"] = shape_text
    return environment


@functools.lru_cache(maxsize=1024)
def rendered(markdown: str) -> str:
    """Sanitised HTML of a doc body (cached: docs do not change while served)."""
    return render.markdown_to_html(markdown)


async def doc_html(
    markdown: str, base: str, catalog: Catalog, *, doc_path: str | None = None
) -> str:
    """A doc body as sanitised HTML with this hub's URL `base` in place of the starter docs'
    placeholder and of tfhub.dev's URLs of what this hub has (`_with_hub_links`), its
    site-absolute links below `base`'s path (`render.below_path`), its relative links to doc
    files of this hub (`[v2](2.md)`, read from `doc_path`, the doc's path below
    ROOT/assets/docs) leading to their pages (`render.doc_file_links`), rendered off the
    event loop (markdown-it yields the GIL, nh3 releases it), and so are those rewrites (a
    doc at the size limit has thousands of links: tens of ms of CPU per view)."""
    return await run_in_threadpool(_doc_shown, markdown, base, catalog, doc_path)


def _doc_shown(markdown: str, base: str, catalog: Catalog, doc_path: str | None) -> str:
    """`doc_html`'s work, in a worker thread."""
    prefix = urllib.parse.urlsplit(base).path.rstrip("/")
    body = render.below_path(_with_hub_url(rendered(markdown), base), prefix)
    if doc_path is not None:
        body = render.doc_file_links(body, doc_path, catalog.doc_page, prefix)
    return _with_hub_links(body, base, catalog)


def _with_hub_links(body: str, base: str, catalog: Catalog) -> str:
    """Sanitised HTML with each `https://tfhub.dev/<path>` that names a model, version,
    collection or publisher of this hub replaced by this hub's URL of it (escaped, as in
    `_with_hub_url`); other tfhub.dev URLs are left as written.

    Docs of a fork of tfhub.dev link their models there (collections list them so, usage
    snippets load them so); tfhub.dev redirects to Kaggle since 2023-11, and a hub without
    internet access reaches neither.
    """

    def replace(match: re.Match[str]) -> str:
        path = match[1].rstrip(".")  # A URL ending a sentence.
        if not _names_something(catalog, path.rstrip("/").split("/")):
            return match[0]
        return f"{html.escape(base, quote=True)}/{path}{match[1][len(path) :]}"

    return _TFHUB_DEV_URL.sub(replace, body)


def _names_something(catalog: Catalog, segments: list[str]) -> bool:
    """True if URL segments name a page of the catalog other than the index."""
    if len(segments) == 1:
        return segments[0] in catalog.publishers
    return catalog.find(segments) is not None or catalog.find_collection(segments) is not None


def _with_hub_url(body: str, base: str) -> str:
    """Sanitised HTML with the starter docs' placeholder URL replaced by this hub's (escaped:
    the URL may come from the request's Host header)."""
    return body.replace(HUB_URL_PLACEHOLDER, html.escape(base, quote=True))


def human_size(value: int | None) -> str:
    """1234567 -> "1.2 MB"; None -> "-"."""
    return "-" if value is None else paths.human_size(value, si=True)


def shape_text(shape: tuple[int | None, ...] | None) -> str:
    """(None, 3) -> "[?, 3]"; None (unknown rank) -> "unknown"."""
    if shape is None:
        return "unknown"
    return "[" + ", ".join("?" if dim is None else str(dim) for dim in shape) + "]"


def _html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = _environment().get_template(name).render(status=status, **context)
    return HTMLResponse(body, status_code=status)  # middleware.SecurityHeaders adds headers.


async def page(request: Request, state: HubState, segments: list[str]) -> Response:
    """Answers the HTML page for a URL path (404 page if it names nothing)."""
    catalog = state.catalog
    if not segments:  # Off the event loop: a search of a large hub takes a while.
        return await run_in_threadpool(index_page, request, state)
    if len(segments) == 1 and segments[0] in catalog.publishers:
        return await publisher_page(request, state, segments[0])
    found = catalog.find_collection(segments)
    if found is not None:
        return _html(
            "collection.html",
            **_common(request, state),
            model=found[0],
            version=found[1],
            body=await doc_html(
                found[1].doc.body,
                state.base_url(request),
                catalog,
                doc_path=found[1].doc.rel_path,
            ),
        )
    found = catalog.find(segments)
    if found is not None:
        return await model_page(request, state, *found)
    return _html(
        "error.html",
        404,
        **_common(request, state),
        path="/".join(segments),
        model=catalog.model_without_version(segments)
        or catalog.collection_without_version(segments),
        search=urllib.parse.urlencode({"q": search_words(segments)}),
    )


def search_words(segments: list[str]) -> str:
    """What the 404 page of a path searches for: its last segment that is not a version
    number (`lab/emb-typo/1` searches `emb-typo`; a search for `1` found nothing of it)."""
    names = [segment for segment in segments if not is_number(segment)]
    return (names or segments)[-1]


def refused_path(request: Request, state: HubState) -> Response:
    """The 400 of a path `protocol.split_path` refuses (`/lab/model(1)`, `/a b`, `/a%2Fb`):
    the HTML error page for a browser (it sent `Accept: text/html`; a link copied with the
    `)` or `,` after it gave a plain-text answer), plain text for any other client."""
    accept = request.headers.get("accept", "")
    if "text/html" not in accept or "tf-hub-format" in request.query_params:
        return PlainTextResponse("400 Bad Request: this path is not allowed.\n", status_code=400)
    raw = request.scope.get("raw_path") or request.url.path.encode()  # As sent: `a%2Fb`.
    path = raw.decode("utf-8", "replace")[1:]
    return _html("error.html", 400, **_common(request, state), path=path)


class StaticAssets(StaticFiles):
    """The pages' CSS and icon (`/static/...`), revalidated at each use (`no-cache`, ETag):
    without `Cache-Control`, browsers kept the CSS, by its Last-Modified, for a tenth of its
    age (weeks for a file installed months ago), so after an upgrade of tfhub the new pages
    were shown with the old CSS. With tokens, only the browser may keep it (`private`)."""

    def __init__(self, *, directory: str | Path, private: bool) -> None:
        super().__init__(directory=directory)
        self.cache_control = f"{'private' if private else 'public'}, no-cache"

    def file_response(
        self, full_path: Any, stat_result: os.stat_result, scope: Any, status_code: int = 200
    ) -> Response:
        """Starlette's answer (200 or 304) with `Cache-Control`; 412 (`no-store`) if `If-Match`
        names another ETag (`protocol.if_match_fails`, its lines joined, as the archives are
        answered)."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = self.cache_control
        if_match = joined_headers(scope).get("if-match")  # Its lines as one list, as archives.
        if protocol.if_match_fails(if_match, response.headers.get("etag", "")):
            return Response(status_code=412, headers=protocol.NOT_STORED)
        return response

    async def favicon(self, request: Request) -> Response:
        """/favicon.ico: the icon the pages name (`favicon.svg`), answered as `/static/...` is
        (ETag, 304, `no-cache`: after an upgrade browsers show the new icon at once). Browsers
        ask for it for every answer that names no icon (the API's JSON, plain-text errors)."""
        return await self.get_response("favicon.svg", request.scope)


def _common(request: Request, state: HubState) -> dict[str, Any]:
    """What every page's template reads.

    `base` is the hub's public URL (links, snippets); `site` only its path ("" or "/hub"), for
    the URLs the Content-Security-Policy governs (the stylesheet, the forms' actions): the
    browser resolves them against the origin it used, which 'self' allows. `token_host` is
    the TFHUB_TOKEN_HOST entry of this hub, as the client matches it (host:port, no path).
    """
    base = state.base_url(request)
    return {
        "base": base,
        "site": urllib.parse.urlsplit(base).path,
        "auth": bool(state.settings.token_file),
        "token_host": host_entry(base),
        "max_query": MAX_QUERY_CHARS,
    }


def index_page(request: Request, state: HubState) -> Response:
    """The index: a search box, one select per filter, and the matching models.

    Each select offers first the values that find models with the query and the other
    filters, counted so (`SearchIndex.facet_counts`), then, apart, the hub's values that find
    none there: they were mixed in with the hub's counts (`mobilenet-v2 (1)` beside
    `task=text-embedding`, which found nothing). They stay offered for a form changed in
    several places before it is sent.
    """
    query = request.query_params.get("q", "")
    filters = requested_filters(request.query_params)
    hits = state.index.search(query, filters)
    first = _first_shown(request.query_params.get("start", "0"), len(hits))
    kept = {key: value for key, value in request.query_params.items() if key != "start" and value}
    return _html(
        "index.html",
        **_common(request, state),
        title=index_title(query, filters),
        query=query,
        filters=filters,
        facets={
            name: _options(counts)
            for name, counts in state.index.facet_counts(query, filters).items()
        },
        hits=hits[first : first + PAGE_SIZE],
        first=first,
        page_size=PAGE_SIZE,
        total=len(hits),
        models=len(state.catalog.models),
        kept=urllib.parse.urlencode(kept),
    )


def index_title(query: str, filters: dict[str, str]) -> str:
    """An index page's title without its range: what it searches and filters by
    ("Models by many", "Models for task x, language en", "halves – search in models by lab"),
    so that each filtered page has its own (all were "Models")."""
    shown = {name: value[:TITLE_VALUE_CHARS] for name, value in filters.items() if value}
    label = "Models"
    if "publisher" in shown:
        label += f" by {shown.pop('publisher')}"
    if shown:
        label += " for " + ", ".join(f"{name} {value}" for name, value in shown.items())
    if not query:
        return label
    searched = f"{query[:TITLE_VALUE_CHARS]} – search"
    return f"{searched} in {label[0].lower()}{label[1:]}" if label != "Models" else searched


def _options(counts: dict[str, int]) -> tuple[list[tuple[str, int]], list[str]]:
    """A filter's (value, count) that find models, sorted, and the values that find none."""
    found = sorted((value, count) for value, count in counts.items() if count)
    return found, sorted(value for value, count in counts.items() if not count)


def _first_shown(start: str, total: int) -> int:
    """The index of the first hit an index page shows for its `start` parameter: 0 for one
    that is not a number, the start of the last page for one past the end (it showed the last
    hit alone: 'Models (26–26 of 26)')."""
    first = int(start) if is_number(start) else 0
    return first if first < total else max(0, total - 1) // PAGE_SIZE * PAGE_SIZE


async def publisher_page(request: Request, state: HubState, name: str) -> Response:
    """A publisher: its doc, its first `PAGE_SIZE` models (the index, filtered by publisher,
    pages through them all) and its collections."""
    publisher = state.catalog.publishers[name]
    catalog = state.catalog
    base = state.base_url(request)
    doc = publisher.doc
    body = await doc_html(doc.body, base, catalog, doc_path=doc.rel_path) if doc else ""
    return _html(
        "publisher.html",
        **_common(request, state),
        publisher=publisher,
        body=body,
        models=[catalog.models[h] for h in publisher.models[:PAGE_SIZE]],
        total=len(publisher.models),
        all_models=urllib.parse.urlencode({"publisher": name}),
        collections=[catalog.collections[h] for h in publisher.collections],
    )


async def model_page(request: Request, state: HubState, model: Model, version: Version) -> Response:
    """A model version: doc, metadata, versions with sizes, signatures, snippets."""
    versions = await run_in_threadpool(_sized_versions, state.catalog, model)
    base = state.base_url(request)
    return _html(
        "model.html",
        **_common(request, state),
        model=model,
        version=version,
        versions=versions,
        url=f"{base}/{protocol.quoted(model.handle)}/{version.version}",
        body=await doc_html(version.doc.body, base, state.catalog, doc_path=version.doc.rel_path),
        metadata=[
            (key, value.value, _metadata_link(key, value.value, base, state.catalog))
            for key, value in version.doc.entries
        ],
        summary=version.signatures,
        keras=_keras_keywords(version.signatures),
        formats=state.catalog.derived.get(f"{model.handle}/{version.version}", []),
    )


def _keras_keywords(summary: SignatureSummary | None) -> list[str] | None:
    """The page's hub.KerasLayer keyword arguments besides the handle (`keras_call`, as the
    starter doc's snippet), e.g. `["signature='serving_default'", "output_key='y'"]`; None for
    a model hub.KerasLayer cannot use; [] (the handle alone) for a version without summary."""
    if summary is None:
        return []
    call = keras_call(summary)
    return None if call is None else call.keywords()


def _sized_versions(catalog: Catalog, model: Model) -> list[tuple[Version, int | None]]:
    """The model's versions, newest first, with their sizes (`api.version_size`): a walk of
    each folder version, so run in a worker thread (other requests are answered meanwhile;
    on the event loop, a folder of 60,000 files held every request for 0.6 s a view)."""
    settled = catalog.settled()  # One for all versions: the model folder listed once.
    return [
        (model.versions[v], version_size(model.versions[v], settled))
        for v in sorted(model.versions, reverse=True)
    ]


def _metadata_link(key: str, value: str, base: str, catalog: Catalog) -> str | None:
    """Where a metadata value links to: itself for an http(s) URL (colab, demo, asset-path),
    this hub's page of a `parent-model` it has (a Lite, Tfjs or Coral doc's module), else None."""
    if value.startswith(("http://", "https://")):
        return value
    if key == "parent-model" and catalog.find(value.split("/")) is not None:
        return f"{base}/{value}"
    return None
