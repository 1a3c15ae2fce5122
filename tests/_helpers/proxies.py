"""Proxy settings for tests of tfhub's HTTP client."""

from __future__ import annotations

import pytest

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def clear_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Removes every proxy variable (both spellings) for the test, so only what it sets counts."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
