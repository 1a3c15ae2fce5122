"""The JSON API for scripts, under `/api/`.

* `GET /api/models?q=TEXT&task=...&limit=N&offset=N`: search (same filters as the index page);
* `GET /api/models/<publisher>/<model>`: one model, all its versions, sizes, signatures and
  docs (`doc_markdown`: the Markdown file as published; `tfhub mirror` copies it);
* `GET /api/publishers`: the publishers and their model handles;
* `GET /api/publishers/<publisher>`: one publisher, its models, collections and doc as published
  (`doc_markdown`; `tfhub mirror` copies it into a hub that lacks it);
* `GET /api/facets`: each filter's values with their model counts.

Docs and sizes are read at request time, inside ROOT only: a doc is read through
`confinement.read_inside` (at most `MAX_DOC_BYTES`), a folder measured at its real path if that
is inside ROOT, an archive's size taken if its real path is; a doc or folder swapped for a
symlink out of ROOT since the scan is answered as one removed since (`doc_markdown` or
`size_bytes` null). A doc left out (refused, removed, unreadable, larger, no longer UTF-8) or
a size refused is named with why in one warning in the server log per path per process: pages
and API calls ask again and again.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import errors
from ..utils.numbers import is_number
from ..utils.redact import redact
from ..utils.warn_once import WarnedOnce
from . import archives, confinement, protocol
from . import settled as settled_lib
from .catalog import folder_size
from .catalog_entries import FACETS, Model, Version, requested_filters
from .docs_format import DocFile
from .docs_text import decode_doc
from .middleware import SERVED_METHODS

if TYPE_CHECKING:
    from .app import HubState
    from .settled import Settled

MAX_LIMIT = 1000
# The most bytes of a doc the API reads (as `publish --doc` reads: a doc's body is shown up to
# 65,536 characters); a larger one (a file swapped in since the scan) gives no doc_markdown.
MAX_DOC_BYTES = settled_lib.MAX_DOC_BYTES
logger = logging.getLogger(__name__)
# Paths whose size was refused, and docs left out (`doc_markdown: null`): warned about once
# per path per process (the ones seen longest ago forgotten: `utils.warn_once`).
_SIZES_REFUSED: WarnedOnce[Path] = WarnedOnce()
_DOCS_LEFT_OUT: WarnedOnce[Path] = WarnedOnce()
_LEFT_OUT = "doc_markdown null"


def _state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


def version_size(
    version: Version, settled: Settled | None = None, *, root: str | os.PathLike[str] | None = None
) -> int | None:
    """The bytes a version's files take (archive, or folder), None if not in the hub or
    unknown (its archive removed by hand since the last scan: pages still render), or if its
    real path is not inside ROOT (swapped for a symlink out of it since the scan).
    `settled`: the request's journals (see `Version.archive_file`); `root`: ROOT (default
    the version's own, the folder above its `assets/docs`)."""
    bound = root if root is not None else _version_root(version)
    try:
        archive = version.archive_file(settled)
        if archive is not None:
            real = _real(archive, bound)
            return None if real is None else os.stat(real).st_size
        folder = version.folder_path(settled)
        if folder is not None:
            real = _real(folder, bound)
            if real is None:
                return None
            return archives.FOLDERS.cached(Path(real), "size", folder_size)  # Per change.
    except OSError:
        return None
    return None


def _version_root(version: Version) -> Path | None:
    """ROOT of a version scanned in a hub (`Version.docs` is ROOT/assets/docs), else None."""
    return None if version.docs is None else version.docs.parent.parent


def _real(path: Path, root: str | os.PathLike[str] | None) -> str | None:
    """The real path of `path` if inside `root` (None: no bound known, the path's own)."""
    refused, key = "its size left out", Path(os.path.abspath(path))
    quiet = key in _SIZES_REFUSED  # Once per path: pages and API calls ask again and again.
    bound = path if root is None else root
    real = confinement.real_inside(path, bound, refused=refused, quiet=quiet)
    if real is None:
        _SIZES_REFUSED.add(key)
    else:  # Fine again: a later refusal is said again.
        _SIZES_REFUSED.discard(key)
    return real


def model_summary(model: Model, base_url: str) -> dict[str, Any]:
    """The short JSON form of a model (search results)."""
    latest = model.latest
    return {
        "handle": model.handle,
        "publisher": model.publisher,
        "name": model.name,
        "kind": model.kind.value,
        "description": latest.doc.shown_description,
        "latest_version": latest.version,
        "versions": sorted(model.versions),
        "url": f"{base_url}/{protocol.quoted(model.handle)}/{latest.version}",
        "metadata": {facet: model.facet_values(facet) for facet in FACETS},
    }


def version_json(
    model: Model,
    version: Version,
    base_url: str,
    settled: Settled | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """One version: where to get it, its size, doc metadata and signature summary (`settled`:
    the request's journals, see `Version.archive_file`; `root`: ROOT, see `version_size`)."""
    return {
        "version": version.version,
        "url": f"{base_url}/{protocol.quoted(model.handle)}/{version.version}",
        "servable": version.servable,
        "size_bytes": version_size(version, settled, root=root),
        "asset_path": version.asset_path,
        "metadata": {
            key: [v.value for v in values] for key, values in version.doc.metadata.items()
        },
        "signatures": None if version.signatures is None else version.signatures.to_json(),
        "doc_markdown": doc_text(version, settled, root=root),
    }


def doc_text(
    version: Version, settled: Settled | None = None, *, root: str | os.PathLike[str] | None = None
) -> str | None:
    """The version's doc as published (what `tfhub mirror` copies), None if unreadable or
    refused (`root`: ROOT, see `version_size`)."""
    bound = root if root is not None else _version_root(version)
    return _file_text(version.doc, version.doc_file(settled), root=bound)


def _file_text(
    doc: DocFile | None, path: Path | None = None, *, root: str | os.PathLike[str] | None = None
) -> str | None:
    """A doc's text as published (read from `path`, default its own), None if there is none,
    it is unreadable, or refused (see the module docstring; `root`: ROOT, None: the folder
    holding the doc); credentials in its URLs (an asset-path's password or signature)
    redacted, as the catalog shows them. A doc left out is named in one warning per path
    (`_DOCS_LEFT_OUT`: pages and API calls ask again and again), forgotten once it reads fine
    again (a doc briefly gone, then swapped for a link out of ROOT, is warned about again)."""
    if doc is None:
        return None
    file = path or doc.path
    bound = file.parent if root is None else Path(root)
    quiet = file in _DOCS_LEFT_OUT
    try:
        data = confinement.read_inside(
            file, bound, limit=MAX_DOC_BYTES, refused=_LEFT_OUT, quiet=quiet
        )
        if data is None:  # Refused (`read_inside` warned), or gone.
            why = None if os.path.lexists(file) else "it is gone (removed since the scan)"
        elif len(data) > MAX_DOC_BYTES:
            why = f"it is larger than {MAX_DOC_BYTES >> 20} MiB"
        else:
            text = redact(decode_doc(data, path=os.fspath(file), shown=os.fspath(file)))
            _DOCS_LEFT_OUT.discard(file)  # Read fine again: a later refusal is said again.
            return text
    except OSError as err:  # No permission, an I/O error.
        why = f"it cannot be read ({err.strerror or err})"
    except errors.DocFormatError as err:  # No longer UTF-8 since the scan.
        why = f"it is no longer UTF-8 text ({err})"
    if _DOCS_LEFT_OUT.first_time(file) and why is not None:
        logger.warning("Left out the doc %s from the API: %s (%s)", file, why, _LEFT_OUT)
    return None


def _filters(request: Request) -> dict[str, str]:
    return requested_filters(request.query_params)


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    return int(value) if is_number(value) else default


async def search_models(request: Request) -> Response:
    state = _state(request)
    query, filters = request.query_params.get("q", ""), _filters(request)
    # Off the event loop: a search of a large hub takes a while (other requests go on).
    hits = await anyio.to_thread.run_sync(state.index.search, query, filters)
    offset = _int_param(request, "offset", 0)
    limit = min(_int_param(request, "limit", 100), MAX_LIMIT)
    base = state.base_url(request)
    models = [model_summary(model, base) for model in hits[offset : offset + limit]]
    return JSONResponse({"total": len(hits), "offset": offset, "models": models})


def _named_model(state: HubState, segments: list[str] | None) -> Model | None:
    """The model `/api/models/<segments>` names: the model of that handle itself, else (as the
    protocol reads a path) the model of `publisher/model/version` or `publisher/model`.

    The model itself comes first: with models `acme/x` (version 1) and `acme/x/1` (version 2),
    `/api/models/acme/x/1` is the model `acme/x/1` (which no other API URL reaches; `tfhub
    mirror` of `.../acme/x/1/2` asks there), not version 1 of `acme/x`.
    """
    if not segments:
        return None
    model = state.catalog.models.get("/".join(segments))
    if model is not None and model.versions:
        return model
    found = state.catalog.find(segments)
    return None if found is None else found[0]


def _missing_version_hint(state: HubState, segments: list[str]) -> str:
    """What the 404 of `/api/models/<segments>` adds when they name a version the model lacks:
    the version as written without leading zeros, else the versions it has (as the download's
    404 says), else ""."""
    missing = state.catalog.missing_version(segments)
    if missing is None:
        return ""
    if missing.meant is not None:
        return f" (a version is written without leading zeros: {missing.meant})"
    return f" ({missing.has_versions})"


async def one_model(request: Request) -> Response:
    state = _state(request)
    segments = protocol.request_segments(
        "/" + request.path_params["handle"], request.scope.get("raw_path")
    )
    model = _named_model(state, segments)
    base = state.base_url(request)
    if model is None:  # Also a path the protocol refuses (`..`, hidden or odd segments).
        named = f"model {'/'.join(segments)}" if segments else "model at this path"
        hint = _missing_version_hint(state, segments) if segments else ""
        return JSONResponse(
            {
                "error": f"404 Not Found: no {named} in this hub{hint}; its models are listed "
                f"at {base}/api/models (?q= searches them)."
            },
            status_code=404,
        )
    data = model_summary(model, base)
    # Off the event loop: the docs are read and the folders measured (disk, up to 64 MiB).
    data["versions"] = await anyio.to_thread.run_sync(_versions_json, state, model, base)
    data["body_markdown"] = model.latest.doc.body
    return JSONResponse(data)


def _versions_json(state: HubState, model: Model, base: str) -> list[dict[str, Any]]:
    """`version_json` of each version of `model`, oldest first."""
    settled = state.catalog.settled()  # One for all versions: the model folder listed once.
    return [
        version_json(model, model.versions[v], base, settled, root=state.catalog.root)
        for v in sorted(model.versions)
    ]


async def publishers(request: Request) -> Response:
    catalog = _state(request).catalog
    data = [
        {
            "name": p.name,
            "description": p.doc.shown_description if p.doc else "",
            "models": p.models,
        }
        for p in sorted(catalog.publishers.values(), key=lambda p: p.name)
    ]
    return JSONResponse({"publishers": data})


async def one_publisher(request: Request) -> Response:
    state = _state(request)
    segments = protocol.request_segments(
        "/" + request.path_params["name"], request.scope.get("raw_path")
    )
    publisher = state.catalog.publishers.get(segments[0]) if segments else None
    base = state.base_url(request)
    if publisher is None or segments is None:  # Also a name the protocol refuses (`..`, `<`).
        named = f"publisher {segments[0]}" if segments else "publisher at this path"
        return JSONResponse(
            {
                "error": f"404 Not Found: no {named} in this hub; its publishers are listed at "
                f"{base}/api/publishers."
            },
            status_code=404,
        )
    doc_markdown = await anyio.to_thread.run_sync(  # Off the event loop: a read from disk.
        lambda: _file_text(publisher.doc, root=state.catalog.root)
    )
    return JSONResponse(
        {
            "name": publisher.name,
            "url": f"{base}/{protocol.quoted(publisher.name)}",
            "description": publisher.doc.shown_description if publisher.doc else "",
            "models": publisher.models,
            "collections": publisher.collections,
            "doc_markdown": doc_markdown,
        }
    )


async def facets(request: Request) -> Response:
    index = _state(request).index
    return JSONResponse({name: dict(sorted(c.items())) for name, c in index.facets.items()})


def routes() -> list[Route]:
    """The API's routes (GET and HEAD): each path is answered with a trailing slash too, as
    the pages and `/api/models/<handle>/` are (a script joining URLs writes one)."""
    methods = list(SERVED_METHODS)  # OPTIONS: `middleware.AnswerOptions` answers it first.
    own = [
        ("/api/models", search_models),
        ("/api/publishers", publishers),
        ("/api/publishers/{name}", one_publisher),
        ("/api/facets", facets),
    ]
    return [
        *(Route(path + end, answer, methods=methods) for path, answer in own for end in ("", "/")),
        Route("/api/models/{handle:path}", one_model, methods=methods),
        Route("/api", unknown_path, methods=methods),
        Route("/api/{rest:path}", unknown_path, methods=methods),  # Last: after the API's own.
    ]


async def unknown_path(request: Request) -> Response:
    """A JSON 404 for a path below /api that is none of the API's (a script reads JSON there;
    no model can be at /api/...: "api" is a reserved publisher name)."""
    base = _state(request).base_url(request)
    return JSONResponse(
        {
            "error": "404 Not Found: no such API path in this hub; its API is "
            f"{base}/api/models (?q= searches), {base}/api/models/<handle>, "
            f"{base}/api/publishers, {base}/api/publishers/<name> and {base}/api/facets."
        },
        status_code=404,
    )
