"""One HTTP request sent straight to an ASGI app, as a server would send it (no socket)."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any


def asgi_request(
    app: Any,
    method: str,
    raw_path: bytes,
    query: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    client: str = "127.0.0.1",
    waits: bool = False,
) -> tuple[int, bytes]:
    """Sends `method raw_path?query` (Host: hub.test, plus `headers`) from the address `client`
    to `app`; returns the status and the body. `waits`: after the request, `receive` waits as a
    server's does until the client leaves (never, here); else it gives the request again."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"hub.test")]
        + [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
        "client": (client, 40000),
        "server": ("127.0.0.1", 80),
    }
    status: list[int] = []
    body: list[bytes] = []
    requested: list[bool] = []

    async def receive() -> dict[str, Any]:
        if requested and waits:
            await asyncio.Event().wait()  # Until the client disconnects: never, here.
        requested.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    asyncio.run(app(scope, receive, send))
    return status[0], b"".join(body)
