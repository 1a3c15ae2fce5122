"""`Utf8Query` reads each byte of a raw query that is not UTF-8 as Latin-1, and keeps the rest
as UTF-8 (review fx61e F1). Before, one invalid byte anywhere turned the whole query Latin-1:
`q=\\xe6\\xa8\\xa1&x=\\xfc` was read `{'q': 'æ¨¡', 'x': 'ü'}`, the valid `模` lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from tfhub.hub.request_target import SENT_QUERY_LENGTH, Utf8Query


def _params(query: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    """The parameters Starlette reads from `query` after `Utf8Query`, and the scope it passed."""
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    scope = {"type": "http", "query_string": query, "path": "/", "headers": []}
    asyncio.run(Utf8Query(app)(scope, None, None))
    return dict(Request(seen[0]).query_params), seen[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"q=\xe6\xa8\xa1&x=\xfc", {"q": "模", "x": "ü"}),
        (b"q=Z\xfcrich \xe6\xa8\xa1", {"q": "Zürich 模"}),
        (b"q=\xe6\xa8", {"q": "æ¨"}),  # A cut sequence: each of its bytes as Latin-1.
        (b"q=Z\xfcrich", {"q": "Zürich"}),
        ("q=Zürich".encode(), {"q": "Zürich"}),
    ],
)
def test_each_byte_that_is_not_utf8_reads_as_latin1(query: bytes, expected: dict) -> None:
    params, scope = _params(query)
    assert params == expected
    assert scope["query_string"].isascii() and scope[SENT_QUERY_LENGTH] == len(query)
