"""ASGI middleware of the hub server: bearer-token auth, proxies' headers, `OPTIONS`, security
headers and the access log (what rewrites or bounds a request's target: `request_target`).

Auth (only with `--token-file`): a request without `Authorization: Bearer <token>` gets 401
with `WWW-Authenticate: Basic` and `Bearer` (Basic first: behind nginx's `auth_request`, only
the first one reaches the client, and a browser asks for a password only for Basic), a wrong
token 403; tokens are compared in constant time and never logged. Browsers cannot send a
bearer token, so HTTP Basic credentials whose password is a token (any user name) are accepted
too: the browser asks for them once. `/healthz` stays open for load balancers (what it tells a
request without a token is only "ok"). The access log
writes one line per request to the `tfhub.hub.access` logger: client, [time], "method path",
status, bytes, seconds; a secret in the query (`?token=`, a signature) shown as `***`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import sys
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import Any

from ..utils.printable import escaped
from ..utils.redact import redact
from .files import Receive, Scope, Send
from .request_target import send_text

access_logger = logging.getLogger("tfhub.hub.access")
OPEN_PATHS = frozenset({"/healthz", "/healthz/"})
# Set in the scope of a request to an open path of a hub with tokens: True if it sent a known one.
AUTHENTICATED = "tfhub.authenticated"
ASGIApp = Any


def bearer_token(scope: Scope) -> str | None:
    """The token of `Authorization: Bearer <token>`, or the password of `Basic`, or None.

    The header's bytes are read as UTF-8, as the token file is (bytes that are not UTF-8 stay
    as surrogate escapes: `_known` compares the bytes sent).
    """
    for key, value in scope.get("headers", []):
        if key.lower() == b"authorization":
            scheme, _, token = value.decode("utf-8", "surrogateescape").partition(" ")
            if scheme.lower() == "basic":
                token = _basic_password(token.strip())
            elif scheme.lower() != "bearer":
                continue
            if token.strip():
                return token.strip()
    return None


def _basic_password(credentials: str) -> str:
    """The password of base64 `user:password` credentials ("" if they do not decode)."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


class TokenAuth:
    """Refuses requests without a known bearer token (401 without one, 403 with a wrong one).

    The known tokens are asked of `tokens` at each request (`token_file.TokenFile.tokens` reads
    the file again when it changed), so a token removed from the file is refused at once.
    """

    def __init__(self, app: ASGIApp, tokens: Callable[[], frozenset[str]]) -> None:
        self.app = app
        self._tokens = tokens
        self._encoded: tuple[frozenset[str], list[bytes]] = (frozenset(), [])

    def _known(self, token: str) -> bool:
        current = self._tokens()
        if current is not self._encoded[0]:
            self._encoded = (current, [known.encode() for known in current])
        given = token.encode("utf-8", "surrogateescape")
        return any([hmac.compare_digest(given, known) for known in self._encoded[1]])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in OPEN_PATHS:  # Open, but told whether a known token came with it.
            token = bearer_token(scope)
            scope[AUTHENTICATED] = token is not None and self._known(token)
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is None:
            await send_text(
                send,
                401,
                "401 Unauthorized: this hub needs a token (send 'Authorization: Bearer <token>'; "
                "tfhub clients: set TFHUB_TOKEN and TFHUB_TOKEN_HOST; browsers: any user name "
                "and the token as password).",
                [  # Basic first: nginx's auth_request passes on only the first one.
                    ("WWW-Authenticate", 'Basic realm="tfhub", charset="UTF-8"'),
                    ("WWW-Authenticate", 'Bearer realm="tfhub"'),
                ],
            )
        elif not self._known(token):
            await send_text(send, 403, "403 Forbidden: this token is not accepted by this hub.")
        else:
            await self.app(scope, receive, send)


class ForwardedHeaders:
    """Reads `X-Forwarded-Proto` (the scheme) and `X-Forwarded-For` (the client) of a request
    from a proxy on a trusted address, as uvicorn's `proxy_headers` does; granian reads neither.

    The scheme is taken even without `X-Forwarded-For` (a proxy may send only the scheme);
    the client is the last address of `X-Forwarded-For` that is not a trusted proxy.
    """

    def __init__(self, app: ASGIApp, trusted: frozenset[str]) -> None:
        """`trusted`: the proxies' addresses, e.g. {"127.0.0.1"}."""
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") or ("", 0)
        if scope["type"] == "http" and client[0] in self.trusted:
            scope = {**scope, **self._forwarded(scope["headers"])}
        await self.app(scope, receive, send)

    def _forwarded(self, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        """The scope entries the headers give: "scheme" and "client", where present."""
        found: dict[str, Any] = {}
        chain: list[str] = []
        for name, value in headers:
            text = value.decode("latin-1")
            if name.lower() == b"x-forwarded-proto" and text.strip() in ("http", "https"):
                found["scheme"] = text.strip()
            elif name.lower() == b"x-forwarded-for":
                chain += [host.strip() for host in text.split(",") if host.strip()]
        outside = [host for host in chain if host not in self.trusted]
        if chain:
            found["client"] = ((outside or chain)[-1], 0)
        return found


# The methods the hub answers: the routes' (GET, with HEAD) and `AnswerOptions`'; a 405's `Allow`
# (from the routes) and an OPTIONS answer's say the same.
SERVED_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOWED_METHODS = ", ".join(SERVED_METHODS)


class AnswerOptions:
    """Answers `OPTIONS` (`OPTIONS *`, the server's, or a path's) with 200, `Content-Length: 0`
    (RFC 9110 9.3.7; a 204 may not carry Content-Length, 8.6) and the methods the hub serves in
    `Allow`, the same for every path and without a token (it tells nothing of the catalog);
    Starlette answered 405 for a path and a bare 404 for `*`. Every 405 of the app inside
    (the routes', `/static`'s) gets that same `Allow`, in that order."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") != "OPTIONS":
            await self.app(scope, receive, _allowing(send))
            return
        headers = [(b"allow", ALLOWED_METHODS.encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _allowing(send: Send) -> Send:
    """`send` that gives a 405's start `Allow: ALLOWED_METHODS` in place of its own."""

    async def send_allowing(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            headers.append((b"allow", ALLOWED_METHODS.encode()))
            message = {**message, "headers": headers}
        await send(message)

    return send_allowing


# Defence in depth under the sanitiser: the pages use no inline style or script, only the
# hub's CSS, images (docs may link any http(s) one) and the search form. A doc's external
# image is fetched without this private hub's URL as the Referer. The CSS and the forms'
# actions are path-only URLs (`site`, see `pages._common`): 'self' then covers them whatever origin
# the browser used, also one other than --base-url's (a proxy, the server's own address).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_RAW_SECURITY_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP answer that does not set them itself: the pages,
    and also what a browser may be shown otherwise (the 400 of a refused path, the protocol's
    text 404/406, Starlette's 404 and 405, the 401/403 of `TokenAuth`, the JSON API, the CSS).

    Wrap it around `TokenAuth` so that the auth answers get the headers too.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_security(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_security(headers: Iterable[Sequence[bytes]]) -> list[tuple[bytes, bytes]]:
    """The raw ASGI headers plus each security header they do not already have."""
    raw = [(bytes(key), bytes(value)) for key, value in headers]
    present = {key.lower() for key, _ in raw}
    return raw + [(key, value) for key, value in _RAW_SECURITY_HEADERS if key not in present]


class AccessLog:
    """Logs `client [time] "METHOD path?query" status bytes seconds` per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 0, "bytes": 0}

        async def logging_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            _log(scope, state["status"], state["bytes"], time.perf_counter() - started)


def _log(scope: Scope, status: int, sent: int, seconds: float) -> None:
    client = scope.get("client") or ("-", 0)
    query = scope.get("query_string", b"").decode("latin-1")
    # A token or signature in the query (`?token=...`) is redacted here, not by the handler: a
    # worker process of `--server uvicorn --workers N` logs through `enable_access_log`'s own.
    target = redact(scope.get("path", "") + (f"?{query}" if query else ""))
    when = time.strftime("%d/%b/%Y:%H:%M:%S %z")
    method = scope.get("method", "-")
    access_logger.info(
        '%s [%s] "%s %s" %d %d %.3f',
        loggable(str(client[0])),
        when,
        loggable(method),
        loggable(target),
        status,
        sent,
        seconds,
    )


def loggable(text: str) -> str:
    """Text as the access log writes it: control and other non-printable characters, `"` and
    `\\` as `\\xHH` escapes, as nginx writes them, so a request (`%0D%0A`, `%1B` in its path)
    cannot forge a log line or send terminal escapes."""
    return escaped(text, also='"\\')


def enable_access_log() -> None:
    """Sends the `tfhub.hub.access` lines to stderr (the root logger is left alone).

    Under the `tfhub` command, the "tfhub" logger already writes to stderr (the lines go
    there); elsewhere (an ASGI server importing `app_from_env`) a handler is added once.
    """
    access = logging.getLogger("tfhub.hub.access")
    access.setLevel(logging.INFO)
    if not access.handlers and not logging.getLogger("tfhub").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
