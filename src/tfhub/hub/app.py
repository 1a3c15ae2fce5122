"""The hub's ASGI application (Starlette): protocol routes, HTML pages, JSON API, static files.

`/<publisher>/<model>[/<version>]?tf-hub-format=compressed` answers the archive (latest
version without one); `?tf-hub-format=uncompressed` answers 303 with the model's location in
the body when `uncompressed_base` is set, else 406; without the query the same URL is the
model's page; a `tf-hub-format` given twice with different formats is a 400. `/api/...` is
JSON; `/static/...` the pages' CSS; `/healthz` (or `/healthz/`) for probes. Only GET and
HEAD are served (read-only); `OPTIONS` is answered with `Allow` (`middleware.AnswerOptions`).
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from .. import errors
from ..utils.logging import warnings_to_stderr
from ..utils.numbers import is_number
from . import api, archive_answers, archives, pages, protocol, refresh
from .cache_dir import check_cache_dir, default_cache_dir
from .catalog import Catalog
from .catalog_entries import Model, Version
from .files import FileResponse, Receive, Scope, Send
from .middleware import (
    AUTHENTICATED,
    SERVED_METHODS,
    AccessLog,
    AnswerOptions,
    ForwardedHeaders,
    SecurityHeaders,
    TokenAuth,
    enable_access_log,
)
from .request_target import AbsoluteForm, PathPrefix, TargetLength, Utf8Query
from .search import SearchIndex
from .settings import ServeSettings, base_path, check_root, check_settings
from .token_file import TokenFile

logger = logging.getLogger(__name__)
_METHODS = list(SERVED_METHODS)  # OPTIONS is answered by `AnswerOptions` before them.
STATIC_DIR = Path(__file__).parent / "static"


@dataclass
class HubState:
    """What every request reads: settings, the catalog and its search index (read-only)."""

    settings: ServeSettings
    catalog: Catalog
    index: SearchIndex
    started: float = field(default_factory=time.time)
    scan_seconds: float = 0.0
    index_seconds: float = 0.0

    @classmethod
    def load(cls, settings: ServeSettings) -> HubState:
        """Scans ROOT and builds the index.

        Raises:
            tfhub.errors.ServeConfigError: if ROOT is not a folder.
        """
        check_root(settings)  # Not the token file: `TokenFile` reads it when it changes.
        started = time.perf_counter()
        catalog = Catalog.scan(settings.root)
        scanned = time.perf_counter()
        index = SearchIndex.build(catalog)
        return cls(
            settings,
            catalog,
            index,
            scan_seconds=scanned - started,
            index_seconds=time.perf_counter() - scanned,
        )

    def base_url(self, request: Request) -> str:
        """The public URL of this hub, without a trailing slash."""
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def hub_state(request: Request) -> HubState:
    state: HubState = request.app.state.hub
    return state


async def protocol_or_page(request: Request) -> Response:
    """The catch-all route: archives for `?tf-hub-format=...`, else HTML pages."""
    segments = protocol.request_segments(request.url.path, request.scope.get("raw_path"))
    state = hub_state(request)
    if segments is None:
        return pages.refused_path(request, state)
    query = _query_lists(request)
    uncompressed = bool(state.settings.uncompressed_base)
    conflicting = protocol.conflicting_formats(query, uncompressed=uncompressed)
    if conflicting is not None:
        return _conflicting_formats(conflicting)
    wanted = protocol.requested_format(query, uncompressed=uncompressed)
    if wanted is None:
        plain = _plain_archive(state, segments, compressed=False)
        return plain or await pages.page(request, state, segments)
    found = state.catalog.find(segments)
    if wanted == protocol.COMPRESSED:
        if found is None:
            plain = _plain_archive(state, segments, compressed=True)
            return plain or _not_found(state, segments)
        latest = not is_number(segments[-1]) or segments[-1] != str(found[1].version)
        return await _archive(state, *found, latest=latest)
    if found is None:
        return _not_found(state, segments)
    if wanted == protocol.UNCOMPRESSED:
        return _uncompressed(state, *found)
    return PlainTextResponse(
        "406 Not Acceptable: tf-hub-format must list 'compressed' or 'uncompressed'.\n",
        status_code=406,
    )


def _conflicting_formats(values: list[str]) -> Response:
    """The 400 for `tf-hub-format` given more than once with different formats (`values`)."""
    shown = ", ".join(repr(value) for value in values)
    return PlainTextResponse(
        f"400 Bad Request: tf-hub-format is given {len(values)} times, asking for different "
        f"formats ({shown}); give it once (e.g. ?tf-hub-format=compressed).\n",
        status_code=400,
    )


def _not_found(state: HubState, segments: list[str]) -> Response:
    reason = state.catalog.not_found_reason(segments)
    return PlainTextResponse(f"404 Not Found: no model {reason}.\n", status_code=404)


def _plain_archive(state: HubState, segments: list[str], *, compressed: bool) -> Any:
    """A `.tar.gz` of ROOT outside the docs (tfhub.dev's bucket layout), as a response or None."""
    if segments and segments[0] == "assets":
        return None  # Archives beside docs are served through the catalog only.
    path = protocol.folder_file(
        state.settings.root, segments, compressed=compressed, archives_only=True
    )
    if path is None:
        return None
    headers = _cache_control(state, latest=False)
    # The name of the file found: `/p/m/1.tar.gz` names it itself (not `1.tar.gz.tar.gz`).
    version = os.path.basename(path).removesuffix(protocol.ARCHIVE_SUFFIX)
    headers["Content-Disposition"] = protocol.archive_disposition(version)
    return FileResponse(path, root=state.settings.root, headers=headers)


def _query_lists(request: Request) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        result.setdefault(key, []).append(value)
    return result


def _cache_control(state: HubState, *, latest: bool) -> dict[str, str]:
    """Versions are immutable: caches may keep them; `latest` must be revalidated (ETag).

    With tokens, only the client may cache (a shared cache must not serve it to others).
    """
    scope = "private" if state.settings.token_file else "public"
    return {"Cache-Control": f"{scope}, no-cache" if latest else f"{scope}, max-age=86400"}


async def _archive(state: HubState, model: Model, version: Version, *, latest: bool) -> Any:
    # Removed by hand since the last scan (the catalog still lists it): a 404, not an error.
    missing = f"404 Not Found: {model.handle}/{version.version} has no model files in this hub.\n"
    settled = state.catalog.settled()  # One for the request: the model folder listed once.
    folder = version.folder_path(settled)
    if version.folder is not None and (folder is None or not folder.is_dir()):
        return PlainTextResponse(missing, status_code=404)
    try:
        path = await archives.archive_for(
            version, cache_dir=state.settings.cache_dir, root=state.catalog.root, settled=settled
        )
    except errors.ServeConfigError as err:  # The cache folder failed its check: the server's.
        return archive_answers.cache_refused(err, f"{model.handle}/{version.version}")
    except errors.NotAModelError as err:  # Not servable as found: a link, a FIFO, a torn file.
        return archive_answers.refused_pack(folder, err, f"{model.handle}/{version.version}")
    except OSError as err:
        return archive_answers.pack_failed(
            folder, err, f"{model.handle}/{version.version}", cache_dir=state.settings.cache_dir
        )
    if path is None and version.folder is not None:  # Its folder refused (logged), or gone.
        return PlainTextResponse(missing, status_code=404)
    if path is None:
        return PlainTextResponse(
            f"404 Not Found: {archive_answers.not_here(model, version)}\n", status_code=404
        )
    # The version's archive lies in ROOT; a folder version's is packed into the cache folder.
    root = state.catalog.root if version.archive is not None else state.settings.cache_dir
    headers = _cache_control(state, latest=latest)
    headers["Content-Disposition"] = protocol.archive_disposition(str(version.version))
    return FileResponse(path, root=root, headers=headers, missing=missing)


def _uncompressed(state: HubState, model: Model, version: Version) -> Response:
    base = state.settings.uncompressed_base
    if not base:
        return PlainTextResponse(
            "406 Not Acceptable: this hub serves only tf-hub-format=compressed (it was started "
            "without --uncompressed-base); unset TFHUB_MODEL_LOAD_FORMAT (or the tools' "
            "--tfhub_model_load_format) or set it to COMPRESSED.\n",
            status_code=406,
        )
    location = f"{base.rstrip('/')}/{protocol.quoted(model.handle)}/{version.version}"
    return PlainTextResponse(location, status_code=303, headers={"Location": location})


async def auth_check(request: Request) -> Response:
    """204 for a request the token check let through (nginx's `auth_request` asks here)."""
    return Response(status_code=204)


async def healthz(request: Request) -> Response:
    """/healthz: "ok" and, unless the hub has tokens and the request sent none it knows, the
    number of models and how long the last scan took (a stranger learns nothing of the catalog
    of a private hub: the path is open for load balancers)."""
    state = hub_state(request)
    if request.scope.get(AUTHENTICATED) is False:
        return PlainTextResponse("ok\n")
    count = len(state.catalog.models)
    return PlainTextResponse(
        f"ok {count} model{'' if count == 1 else 's'}; scan {state.scan_seconds:.2f} s, "
        f"index {state.index_seconds:.2f} s\n"
    )


# A C0 control character or DEL, which no path of the hub holds (`protocol.split_path`).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RefuseControlCharacters:
    """Answers a path holding a control character (`%09`, `%0D`, `%0A`...) with the 400 of a
    refused path (`pages.refused_path`) before Starlette routes it.

    Starlette's `request.url` drops tab, CR and LF (`urllib.parse.urlsplit` strips them), so
    `/ac%09me/emb/1` was served as `/acme/emb/1`; its routes' patterns end in `$`, which
    matches before a final LF (`/api/models/acme/emb%0A` answered `acme/emb`), and their `.*`
    stops at an LF inside (`/acme%0A/emb/1` got Starlette's bare `404 Not Found`).
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _CONTROL.search(scope.get("path", "")):
            request = Request({**scope, "app": self.app}, receive)
            response = pages.refused_path(request, self.app.state.hub)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(settings: ServeSettings, *, started: bool = False) -> Any:
    """Builds the ASGI app for one ROOT.

    Args:
        settings: the server's options.
        started: for a worker of `tfhub serve`, whose parent checked the options at start: a
            token file emptied since refuses every token, rather than failing the worker.

    Returns:
        The ASGI application, wrapped in the access log and (with a token file) auth.

    Raises:
        tfhub.errors.ServeConfigError: for a ROOT that is not a folder, a bad token file, or a
            cache folder a stranger could plant archives in (`check_cache_dir`).
    """
    tokens = check_settings(settings, started=started)
    settings = replace(settings, cache_dir=_checked_cache_dir(settings))
    # Stamped before the load: a doc published during it is a change at the first rescan.
    baseline = refresh.tree_stamp(settings.root) if settings.rescan_seconds > 0 else None
    state = HubState.load(settings)
    app = _routed(settings, baseline)
    app.state.hub = state
    return _wrapped(app, settings, tokens)


def _checked_cache_dir(settings: ServeSettings) -> str:
    """The real path of the folder of packed folder versions (--cache-dir, else the default,
    which must be this user's: no team folder), checked; not made yet.

    Raises:
        tfhub.errors.ServeConfigError: a folder a stranger could plant archives in.
    """
    # Checked here too (not only by the CLI: the library's create_app and BackgroundServer),
    # and its real path kept: no link is followed again per request.
    given = settings.cache_dir  # The default folder must be this user's (no team folder).
    return check_cache_dir(
        given or default_cache_dir(settings.root),
        team=bool(given),
        make=False,  # Made before the first pack, if any (a program's server may pack none).
        shared_parents=settings.cache_dir_shared_parents,
    )


def _routed(settings: ServeSettings, baseline: str | None) -> Starlette:
    """The Starlette app of the routes (health, static files, auth check, JSON API, then the
    hosting protocol and pages), whose lifespan rescans ROOT (`refresh.lifespan`) from the
    stamp `baseline`."""
    static = pages.StaticAssets(directory=STATIC_DIR, private=bool(settings.token_file))
    routes = [
        Route("/healthz", healthz, methods=_METHODS),
        Route("/healthz/", healthz, methods=_METHODS),  # As a script joining URLs writes it.
        Route("/favicon.ico", static.favicon, methods=_METHODS),
        Route("/api/auth", auth_check, methods=_METHODS),
        Mount("/static", app=static, name="static"),
        *api.routes(),
        Route("/{path:path}", protocol_or_page, methods=_METHODS),
    ]
    return Starlette(
        routes=routes,
        lifespan=refresh.lifespan(
            lambda: HubState.load(settings), settings.root, settings.rescan_seconds, baseline
        ),
    )


def _wrapped(app: Starlette, settings: ServeSettings, tokens: TokenFile | None) -> Any:
    """`app` in its middleware, outermost last: control characters refused, the token check
    (with a token file), the --base-url path prefix, `OPTIONS` answered, bounded targets and
    security headers on every answer, the access log, and absolute-form targets and raw UTF-8
    queries read first."""
    wrapped: Any = RefuseControlCharacters(app)
    if tokens is not None:
        wrapped = TokenAuth(wrapped, tokens.tokens)
    prefix = base_path(settings.base_url)
    if prefix:
        wrapped = PathPrefix(wrapped, prefix)
    wrapped = AnswerOptions(wrapped)  # Any path (and `*`), without a token: only `Allow`.
    wrapped = SecurityHeaders(TargetLength(wrapped))  # Every answer, 401/403, 414 and errors.
    if settings.access_log:
        wrapped = AccessLog(wrapped)
    # First: the log, the prefix and the routes see the path and the query as UTF-8.
    return Utf8Query(AbsoluteForm(wrapped))


def app_from_env() -> Any:
    """Factory for worker processes: the app for the settings in TFHUB_SERVE_SETTINGS."""
    settings = ServeSettings.from_env()
    if settings.access_log:
        enable_access_log()  # First: it adds its handler only where "tfhub" has none.
    warnings_to_stderr()
    return create_app(settings, started=True)  # The parent checked the options at start.


# Proxies whose X-Forwarded-Proto/-For are believed: uvicorn's default (its proxy_headers).
TRUSTED_PROXIES = frozenset({"127.0.0.1"})


def granian_app_from_env() -> Any:
    """`app_from_env` for granian workers, reading `X-Forwarded-Proto` and `X-Forwarded-For`
    from a proxy on `TRUSTED_PROXIES`, as uvicorn does by default: behind nginx with TLS, the
    pages' and the API's URLs (from each request without --base-url) then say https://, and
    the access log names the proxy's client. granian reads neither header by itself."""
    return ForwardedHeaders(app_from_env(), TRUSTED_PROXIES)
